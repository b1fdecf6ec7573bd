/**
 * Explain Selection streams the explanation into the webview panel (the page reports what
 * it rendered), and with nothing selected it explains the function around the cursor.
 */
import assert from "node:assert/strict";
import * as vscode from "vscode";
import type { ExplainOutcome } from "../../../extension/src/explain/explain-controller.js";
import { closeAllEditors, connected, hearth, modelReady, nextEvent, openFile, screenshot, typeText } from "./helpers.js";

const CODE = [
  "export class LruCache<K, V> {",
  "  private readonly map = new Map<K, V>();",
  "",
  "  constructor(private readonly capacity: number) {}",
  "",
  "  get(key: K): V | undefined {",
  "    const value = this.map.get(key);",
  "    if (value !== undefined) {",
  "      this.map.delete(key);",
  "      this.map.set(key, value);",
  "    }",
  "    return value;",
  "  }",
  "}",
  "",
].join("\n");

describe("Explain Selection", function () {
  this.timeout(120_000);

  before(async () => {
    const api = await hearth();
    await connected(api);
    await modelReady(api);
  });

  after(async () => {
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
  });

  it("streams the explanation into the webview as it is generated", async () => {
    const api = await hearth();
    const editor = await openFile("explain.ts", CODE);
    editor.selection = new vscode.Selection(5, 0, 12, 3);
    const renders: Array<{ textLength: number; done: boolean; visibleText: string }> = [];
    const subscription = api.onDidRenderExplain((r) => renders.push(r));
    try {
      const lastRender = nextEvent("the panel to show the finished explanation", api.onDidRenderExplain, (r) => r.done && r.textLength > 0, 90_000);
      const outcome = await vscode.commands.executeCommand<ExplainOutcome>("hearth.explainSelection");
      assert.equal(outcome.status, "done", JSON.stringify(outcome));
      assert.ok(outcome.status === "done" && outcome.deltas >= 1, "text arrived as partial results");
      const final = await lastRender;
      assert.equal(final.textLength, outcome.status === "done" ? outcome.markdown.length : -1);
      assert.ok(final.visibleText.trim().length > 0, "the page shows the text");
      const partial = renders.filter((r) => !r.done && r.textLength > 0);
      assert.ok(partial.length >= 1, `the page showed text before the end: ${JSON.stringify(renders.map((r) => [r.textLength, r.done]))}`);
      await screenshot("explain-panel");
    } finally {
      subscription.dispose();
    }
  });

  it("stops generating when asked (the panel's Stop button runs the same command)", async () => {
    const api = await hearth();
    const settings = vscode.workspace.getConfiguration("hearth");
    const previous = settings.inspect<number>("explain.maxTokens")?.workspaceValue;
    await settings.update("explain.maxTokens", 4096, vscode.ConfigurationTarget.Workspace);
    try {
      const editor = await openFile("explain-stop.ts", CODE);
      // The model may end its text before the stop lands: then try again.
      for (let attempt = 1; attempt <= 3; attempt++) {
        editor.selection = new vscode.Selection(0, 0, 13, 1);
        const firstText = nextEvent("the first streamed text in the panel", api.onDidRenderExplain, (r) => !r.done && r.textLength > 0, 90_000);
        const running = vscode.commands.executeCommand<ExplainOutcome>("hearth.explainSelection");
        await firstText;
        await vscode.commands.executeCommand("hearth.stopExplain");
        const outcome = await running;
        if (outcome.status === "done") continue;
        assert.equal(outcome.status, "stopped", JSON.stringify(outcome));
        const status = await api.refreshDaemonStatus();
        const last = status?.recentRequests.filter((m) => m.kind === "explain").pop();
        assert.equal(last?.stopReason, "cancelled", "the daemon stopped generating");
        return;
      }
      assert.fail("in 3 attempts the explanation always ended before the stop reached the daemon");
    } finally {
      await settings.update("explain.maxTokens", previous, vscode.ConfigurationTarget.Workspace);
    }
  });

  it("explains the whole function around the cursor when nothing is selected, and typing afterwards replaces nothing", async () => {
    const api = await hearth();
    const editor = await openFile("explain-cursor.ts", CODE);
    editor.selection = new vscode.Selection(8, 4, 8, 4);
    const finished = nextEvent("the explanation to finish", api.onDidRenderExplain, (r) => r.done, 90_000);
    const outcome = await vscode.commands.executeCommand<ExplainOutcome>("hearth.explainSelection");
    assert.equal(outcome.status, "done", JSON.stringify(outcome));
    await finished;
    // It explained the get() method, lines 6-13, and marked it without selecting it.
    assert.ok(outcome.status === "done");
    assert.deepEqual(outcome.lines, { startLine: 5, endLine: 12 });
    const shown = await vscode.window.showTextDocument(editor.document, { viewColumn: editor.viewColumn, preserveFocus: false });
    assert.ok(shown.selection.isEmpty, `nothing selected: ${JSON.stringify(shown.selection)}`);
    await screenshot("explain-no-selection");
    // The key a user types next lands at the cursor; the function stays.
    await typeText("x");
    const lines = CODE.split("\n");
    lines[8] = `${lines[8]?.slice(0, 4)}x${lines[8]?.slice(4)}`;
    assert.equal(editor.document.getText(), lines.join("\n"));
    await closeAllEditors();
  });
});
