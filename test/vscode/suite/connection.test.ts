/**
 * The extension finds or starts the daemon of $HEARTH_HOME (set by test/vscode/run.sh),
 * connects through the language client, and sends the workspace folders and open documents.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import * as vscode from "vscode";
import { connected, hearth, modelReady, nextEvent, openFile, waitUntil, workspaceFolder } from "./helpers.js";

describe("connection", function () {
  this.timeout(120_000);

  it("starts (or finds) the daemon of HEARTH_HOME and connects to it", async () => {
    const api = await hearth();
    assert.equal(api.daemonHome, path.resolve(process.env.HEARTH_HOME ?? ""), "the suite runs against the daemon home run.sh made");
    const state = await connected(api);
    const discovery = JSON.parse(readFileSync(path.join(api.daemonHome, "daemon.json"), "utf8")) as { pid: number; port: number };
    assert.equal(state.info.pid, discovery.pid);
    assert.ok(existsSync(path.join(api.daemonHome, "daemon.log")), "a daemon the extension started logs to daemon.log");
    assert.ok(state.methods.has("textDocument/inlineCompletion"), "the daemon advertises its methods");
    process.kill(state.info.pid, 0);
  });

  it("sends the workspace folders, and the status bar shows the model's memory", async () => {
    const api = await hearth();
    await connected(api);
    await modelReady(api);
    const status = await api.refreshDaemonStatus();
    assert.ok(status, "hearth/status answered");
    const folder = workspaceFolder().uri.toString();
    assert.ok(
      status.workspaces.some((w) => w.folders.includes(folder)),
      `the daemon knows the workspace ${folder}: ${JSON.stringify(status.workspaces)}`,
    );
    assert.match(api.statusBar().text, /\d+(\.\d+)? (B|KB|MB|GB) (V)?RAM/);
    assert.match(api.statusBar().tooltip, /\*\*Hearth\*\* · /);
  });

  it("syncs documents: a completion in a file opened after connecting sees its text", async () => {
    const api = await hearth();
    await connected(api);
    const editor = await openFile("sync-check.ts", "export const answer = ");
    const end = editor.document.lineAt(0).range.end;
    editor.selection = new vscode.Selection(end, end);
    // A request for a document the daemon never received fails with HEARTH_ERR_DOCUMENT_NOT_OPEN.
    const finished = nextEvent("the completion request to finish", api.onDidCompletionEvent, (e) => e.kind === "completed" || e.kind === "failed", 60_000);
    await vscode.commands.executeCommand("editor.action.inlineSuggest.trigger");
    const event = await finished;
    assert.equal(event.kind, "completed", JSON.stringify(event));
    await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
  });

  it("retries with backoff while no daemon can start, says so, and recovers when the setting is fixed", async () => {
    const api = await hearth();
    const before = await connected(api);
    const settings = vscode.workspace.getConfiguration("hearth");
    // A file is no place for a daemon home: every attempt fails until the setting is fixed.
    const badHome = path.join(workspaceFolder().uri.fsPath, "README.md");
    const failing = waitUntil(
      "two failed connection attempts",
      () => {
        const state = api.connection();
        return state.kind === "reconnecting" && state.attempt >= 3 ? state : undefined;
      },
      [api.onDidChangeConnection],
      60_000,
    );
    await settings.update("daemon.home", badHome, vscode.ConfigurationTarget.Global);
    try {
      const state = await failing;
      assert.ok(state.retryInMs >= 1000, `the wait grows: ${state.retryInMs} ms before attempt ${state.attempt}`);
      assert.equal(api.statusBar().text, "$(debug-disconnect) Hearth: reconnecting");
      assert.match(api.statusBar().tooltip, /Lost the daemon: /);
    } finally {
      await settings.update("daemon.home", undefined, vscode.ConfigurationTarget.Global);
    }
    const after = await connected(api, 60_000);
    assert.equal(after.info.pid, before.info.pid, "back to the same daemon");
  });
});
