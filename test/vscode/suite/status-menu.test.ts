/** The status bar's menu: pausing stops completions and shows in the status bar. */
import assert from "node:assert/strict";
import * as vscode from "vscode";
import { closeAllEditors, connected, endOf, hearth, nextEvent, openFile, screenshot, setCursor } from "./helpers.js";

describe("status bar menu", function () {
  this.timeout(60_000);

  it("opens from the status bar item's command", async () => {
    const api = await hearth();
    await connected(api);
    const editor = await openFile("menu.ts", "export const a = 1;\n");
    setCursor(editor, endOf(editor));
    // The pick stays open until closed; its promise settles then.
    const menu = vscode.commands.executeCommand<string | undefined>("hearth.showStatus");
    await screenshot("status-menu");
    await vscode.commands.executeCommand("workbench.action.closeQuickOpen");
    assert.equal(await menu, undefined, "closing the menu runs nothing");
    await closeAllEditors();
  });

  it("pauses completions, says so, and resumes", async () => {
    const api = await hearth();
    const paused = nextEvent("the status bar to show the pause", api.onDidRenderStatusBar, (v) => v.text.includes("paused"), 10_000);
    assert.equal(await vscode.commands.executeCommand<boolean>("hearth.togglePause"), true);
    await paused;
    const editor = await openFile("paused.ts", "export function add(a: number, b: number) {\n  return ");
    setCursor(editor, endOf(editor));
    const skipped = nextEvent("the provider to skip the paused request", api.onDidCompletionEvent, (e) => e.kind !== "cache-hit", 30_000);
    await vscode.commands.executeCommand("editor.action.inlineSuggest.trigger");
    assert.deepEqual(await skipped, { kind: "skipped", uri: editor.document.uri.toString(), reason: "paused" });
    const resumed = nextEvent("the status bar to drop the pause", api.onDidRenderStatusBar, (v) => !v.text.includes("paused"), 10_000);
    assert.equal(await vscode.commands.executeCommand<boolean>("hearth.togglePause"), false);
    await resumed;
    await closeAllEditors();
  });

  it("says when completions are off in the active editor's language, and turns them on", async () => {
    const api = await hearth();
    const settings = vscode.workspace.getConfiguration("hearth");
    const before = settings.inspect<Record<string, boolean>>("completion.languages");
    const off = nextEvent("the status bar to say completions are off here", api.onDidRenderStatusBar, (v) => v.text === "$(circle-slash) Hearth: off in markdown", 10_000);
    const editor = await openFile("notes.md", "# Notes\n\nSome text\n", "markdown");
    setCursor(editor, endOf(editor));
    await off;
    assert.match(api.statusBar().tooltip, /Click to turn them on/);
    await screenshot("off-in-language");
    try {
      const on = nextEvent("the status bar to drop the off state", api.onDidRenderStatusBar, (v) => !v.text.includes("off in markdown"), 10_000);
      assert.equal(await vscode.commands.executeCommand<string>("hearth.enableLanguage"), "markdown");
      await on;
      assert.equal(vscode.workspace.getConfiguration("hearth").get<Record<string, boolean>>("completion.languages")?.markdown, true);
    } finally {
      await settings.update("completion.languages", before?.globalValue, vscode.ConfigurationTarget.Global);
      await settings.update("completion.languages", before?.workspaceValue, vscode.ConfigurationTarget.Workspace);
    }
    await closeAllEditors();
  });
});
