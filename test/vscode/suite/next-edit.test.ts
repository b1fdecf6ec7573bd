/**
 * Next-edit suggestions in a real VS Code against a real daemon with a generated next-edit
 * model: after an edit and a pause a suggestion shows (the context key is set); Tab applies
 * exactly the edits the daemon returned and moves the cursor; Escape dismisses; typing
 * cancels. The generated model's edits are meaningless: the test checks that whatever the
 * daemon answered is what is shown and applied.
 */
import assert from "node:assert/strict";
import * as vscode from "vscode";
import type { HearthApi } from "../../../extension/src/api.js";
import type { NextEditEvent, NextEditShown } from "../../../extension/src/next-edit/next-edit-controller.js";
import { applyEdits } from "../../../extension/src/next-edit/next-edit-logic.js";
import { closeAllEditors, connected, hearth, nextEvent, onTemporaryDaemon, openFile, pressKey, setCursor, typeText } from "./helpers.js";

const SOURCE = "export function area(radius: number) {\n  return Math.PI * radius * radius;\n}\n\nexport function perimeter(radius: number) {\n  return 2 * Math.PI * radius;\n}\n";
const ENDED = new Set<NextEditEvent["kind"]>(["shown", "empty", "failed", "cancelled"]);

/** Types `text` and waits for the request it leads to, once the edit settled. */
async function typeAndWait(api: HearthApi, text: string): Promise<NextEditEvent> {
  const ended = nextEvent("the next-edit request after the edit settled", api.onDidNextEditEvent, (e) => ENDED.has(e.kind), 120_000);
  await typeText(text);
  return ended;
}

/** Types a character at a time until the daemon suggests something (the generated model sometimes suggests nothing). */
async function suggestion(api: HearthApi, editor: vscode.TextEditor): Promise<NextEditShown> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const event = await typeAndWait(api, "s");
    if (event.kind === "failed") assert.fail(`the next-edit request failed: ${event.message}`);
    if (event.kind === "shown") return event.shown;
  }
  assert.fail(`no suggestion in 8 edits:\n${editor.document.getText()}`);
}

describe("next-edit suggestions", function () {
  this.timeout(600_000);
  const model = process.env.HEARTH_VSCODE_NEXT_EDIT_MODEL;

  it("shows a suggestion after an edit settles; Escape dismisses; Tab applies exactly the daemon's edits; typing cancels", async () => {
    assert.ok(model, "test/vscode/run.sh passes HEARTH_VSCODE_NEXT_EDIT_MODEL (the generated next-edit model)");
    const api = await hearth();
    const main = await connected(api);
    await onTemporaryDaemon(api, "next-edit", { "model.nextEdit": model, "nextEdit.format": "sweep" }, { linkModels: true }, async () => {
      await connected(api, 120_000, (state) => state.info.pid !== main.info.pid);
      const editor = await openFile("next-edit.ts", SOURCE, "typescript");
      // Rename radius → radiuss on the first line: the kind of edit whose uses come next.
      setCursor(editor, new vscode.Position(0, 27));

      const shown = await suggestion(api, editor);
      assert.deepEqual(api.nextEdit(), shown, "the API reports what is shown");
      assert.equal(shown.version, editor.document.version);
      assert.ok(shown.result.edits.length > 0);

      // Escape dismisses: the suggestion and the context key go.
      const dismissed = nextEvent("the dismissal", api.onDidNextEditEvent, (e) => e.kind === "dismissed");
      // Ghost text from the completion provider would take the keys first: it is hidden here.
      await vscode.commands.executeCommand("editor.action.inlineSuggest.hide");
      await pressKey("Escape");
      await dismissed;
      assert.equal(api.nextEdit(), null);

      // Typing cancels the request in flight: the answer for the older text is never shown.
      const again = await suggestion(api, editor);
      const before = editor.document.getText();
      const expected = applyEdits(before, again.result.edits);
      assert.notEqual(expected, before, `the daemon's edits change the text: ${JSON.stringify(again.result.edits)}`);
      console.log(`next edit: ${again.result.edits.length} edit(s), ${again.presentation}, ${again.result.metrics.generatedTokens} tokens generated`);
      // Tab: a far edit is jumped to first (the cursor lands on it), then applied.
      for (let press = 0; press < 2 && editor.document.getText() === before; press++) {
        const outcome = nextEvent("Tab to accept or jump", api.onDidNextEditEvent, (e) => e.kind === "accepted" || e.kind === "shown");
        await vscode.commands.executeCommand("editor.action.inlineSuggest.hide");
        await pressKey("Tab");
        const event = await outcome;
        if (event.kind === "shown") {
          const first = again.result.edits[0];
          assert.ok(first);
          assert.deepEqual([editor.selection.active.line, editor.selection.active.character], [first.range.start.line, first.range.start.character], "the jump moves the cursor to the edit");
        }
      }
      assert.equal(editor.document.getText(), expected, "Tab applies exactly the edits the daemon returned");
      const cursor = again.result.cursor;
      if (cursor) assert.deepEqual([editor.selection.active.line, editor.selection.active.character], [cursor.line, cursor.character], "the cursor goes where the daemon said");
      // One undo step takes the whole suggestion back.
      await vscode.commands.executeCommand("undo");
      assert.equal(editor.document.getText(), before);

      // A keystroke while a request is on its way cancels it.
      await closeAllEditors();
      const fresh = await openFile("next-edit-cancel.ts", SOURCE, "typescript");
      setCursor(fresh, new vscode.Position(0, 27));
      let cancelledOne = false;
      for (let attempt = 0; attempt < 5 && !cancelledOne; attempt++) {
        const requested = nextEvent("the request after the edit settled", api.onDidNextEditEvent, (e) => e.kind === "requested", 30_000);
        await typeText("s");
        await requested;
        // The request is on its way: a keystroke now must cancel it (unless the answer came first).
        const outcome = nextEvent("the request's end", api.onDidNextEditEvent, (e) => ENDED.has(e.kind), 120_000);
        await typeText("s");
        cancelledOne = (await outcome).kind === "cancelled";
        await vscode.commands.executeCommand("hearth.nextEdit.dismiss");
      }
      assert.ok(cancelledOne, "in 5 attempts the daemon always answered before the next keystroke");
      // Switched off, nothing is asked for or shown, and Tab indents as usual.
      await vscode.workspace.getConfiguration("hearth").update("nextEdit.enabled", false, vscode.ConfigurationTarget.Global);
      try {
        const plain = await openFile("next-edit-off.ts", "x\n", "typescript");
        setCursor(plain, new vscode.Position(0, 0));
        const seen: NextEditEvent[] = [];
        const watch = api.onDidNextEditEvent((e) => seen.push(e));
        try {
          const changed = nextEvent("Tab to indent", vscode.workspace.onDidChangeTextDocument, (e) => e.document === plain.document);
          await vscode.commands.executeCommand("editor.action.inlineSuggest.hide");
          await pressKey("Tab");
          await changed;
          assert.match(plain.document.lineAt(0).text, /^\s+x$/, "Tab indented");
          assert.equal(api.nextEdit(), null);
          assert.deepEqual(seen.filter((e) => e.kind === "requested"), [], "nothing is asked for while switched off");
        } finally {
          watch.dispose();
        }
      } finally {
        await vscode.workspace.getConfiguration("hearth").update("nextEdit.enabled", undefined, vscode.ConfigurationTarget.Global);
      }
      await closeAllEditors();
    });
  });
});
