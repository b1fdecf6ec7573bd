/**
 * The daemon killed mid-session: the status bar says the extension is reconnecting, a new
 * daemon is started, and completions work again. Runs last: it replaces the daemon.
 */
import assert from "node:assert/strict";
import * as vscode from "vscode";
import { closeAllEditors, commitSuggestion, connected, endOf, hearth, modelReady, nextEvent, openFile, setCursor, suggestionAtCursor } from "./helpers.js";
import { SOURCE } from "./sources.js";

describe("daemon restart", function () {
  this.timeout(180_000);

  it("restarts a killed daemon, says so in the status bar, and completions resume", async () => {
    const api = await hearth();
    const old = await connected(api);
    const reconnecting = nextEvent("the status bar to say it is reconnecting", api.onDidRenderStatusBar, (v) => v.text.includes("reconnecting"), 30_000);
    process.kill(old.info.pid, "SIGKILL");
    await reconnecting;
    const fresh = await connected(api, 120_000, (state) => state.info.pid !== old.info.pid);
    assert.notEqual(fresh.info.pid, old.info.pid);
    process.kill(fresh.info.pid, 0);
    await modelReady(api);
    // Figures from the new daemon only: the old one's latency went with it.
    assert.equal(api.stats().completions, 0);
    assert.equal(api.stats().lastLatencyMs, null);

    const editor = await openFile("after-restart.ts", SOURCE);
    setCursor(editor, endOf(editor));
    const before = editor.document.getText();
    const text = await suggestionAtCursor(api);
    await commitSuggestion(editor, before + text);
    assert.match(api.statusBar().text, /Hearth: .* · [\d.]+ m?s · /);
    await closeAllEditors();
  });

  it("Hearth: Restart Daemon replaces the daemon and reconnects", async () => {
    const api = await hearth();
    const old = await connected(api);
    const asked = new Date().toISOString();
    assert.equal(await vscode.commands.executeCommand<boolean>("hearth.restartDaemon"), true);
    const fresh = await connected(api, 120_000, (state) => state.info.pid !== old.info.pid);
    process.kill(fresh.info.pid, 0);
    await modelReady(api);
    // An asked-for restart is no error: the log says what happened without one.
    const errors = api.recentLog().filter((line) => line.slice(0, asked.length) >= asked && line.includes("[error]"));
    assert.deepEqual(errors, []);
  });
});
