/**
 * Next-edit suggestions in a real VS Code against a real daemon with a generated next-edit
 * model: after an edit and a pause a suggestion shows (decorations, or ghost text for an
 * insertion at the cursor); Tab applies exactly the edits the daemon returned and moves the
 * cursor; Escape dismisses; typing cancels; an inline completion at the cursor and a next
 * edit take turns; a language switched off asks nothing; the status bar's tooltip counts
 * them. The generated model's edits are meaningless: the tests check that whatever the
 * daemon answered is what is shown and applied. Screenshots of each state go to
 * media/screenshots/ (docs/next-edit.md shows them).
 */
import assert from "node:assert/strict";
import * as vscode from "vscode";
import type { HearthApi } from "../../../extension/src/api.js";
import type { CompletionEvent } from "../../../extension/src/completion/inline-provider.js";
import type { NextEditEvent, NextEditShown } from "../../../extension/src/next-edit/next-edit-controller.js";
import { applyEdits } from "../../../extension/src/next-edit/next-edit-logic.js";
import { nextEditLine } from "../../../extension/src/stats/status-text.js";
import { closeAllEditors, connected, hearth, nextEvent, onTemporaryDaemon, openFile, pressKey, screenshot, setCursor, typeText, waitUntil } from "./helpers.js";

const SOURCE = "export function area(radius: number) {\n  return Math.PI * radius * radius;\n}\n\nexport function perimeter(radius: number) {\n  return 2 * Math.PI * radius;\n}\n";
const ENDED = new Set<NextEditEvent["kind"]>(["shown", "empty", "failed", "cancelled"]);
const COMPLETION_ENDED = new Set<CompletionEvent["kind"]>(["completed", "cancelled", "failed"]);

/** Types `text` and waits for the request it leads to, once the edit settled. */
async function typeAndWait(api: HearthApi, text: string): Promise<NextEditEvent> {
  const ended = nextEvent("the next-edit request after the edit settled", api.onDidNextEditEvent, (e) => ENDED.has(e.kind), 120_000);
  await typeText(text);
  return ended;
}

/** Types a character at a time until the daemon suggests an edit drawn as decorations (the generated model sometimes suggests nothing). */
async function suggestion(api: HearthApi, editor: vscode.TextEditor): Promise<NextEditShown> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const event = await typeAndWait(api, "s");
    if (event.kind === "failed") assert.fail(`the next-edit request failed: ${event.message}`);
    if (event.kind === "shown" && event.shown.presentation !== "ghost") return event.shown;
    if (event.kind === "shown") await vscode.commands.executeCommand("hearth.nextEdit.dismiss");
  }
  assert.fail(`no suggestion in 8 edits:\n${editor.document.getText()}`);
}

/** Sets hearth.* settings (user scope); the returned function puts back what they were. */
async function withSettings(settings: Record<string, unknown>): Promise<() => Promise<void>> {
  const config = () => vscode.workspace.getConfiguration("hearth");
  const previous = Object.keys(settings).map((key) => [key, config().inspect(key)?.globalValue] as const);
  for (const [key, value] of Object.entries(settings)) await config().update(key, value, vscode.ConfigurationTarget.Global);
  let restored = false;
  return async () => {
    if (restored) return;
    restored = true;
    for (const [key, value] of previous) await config().update(key, value, vscode.ConfigurationTarget.Global);
  };
}

/** Both features' events in the order they happened. */
function recordTurns(api: HearthApi): { log: Array<{ completion: CompletionEvent } | { nextEdit: NextEditEvent }>; dispose(): void } {
  const log: Array<{ completion: CompletionEvent } | { nextEdit: NextEditEvent }> = [];
  const subscriptions = [api.onDidCompletionEvent((completion) => log.push({ completion })), api.onDidNextEditEvent((nextEdit) => log.push({ nextEdit }))];
  return { log, dispose: () => subscriptions.forEach((s) => s.dispose()) };
}

/** Completions stay out of the way unless a test turns them on: the typescript files here have next edits alone. */
const NEXT_EDITS_ONLY = { "*": true, plaintext: false, markdown: false, scminput: false, typescript: false };

describe("next-edit suggestions", function () {
  this.timeout(600_000);
  const model = process.env.HEARTH_VSCODE_NEXT_EDIT_MODEL;
  let api: HearthApi;
  let leave: (() => void) | null = null;
  let left: Promise<void> | null = null;
  let restoreSettings: (() => Promise<void>) | null = null;

  it("asks for nothing without a next-edit model (the daemon lists none and hearth.model.nextEdit is empty)", async () => {
    api = await hearth();
    await connected(api);
    assert.equal(api.daemonStatus()?.models.some((m) => m.role === "nextEdit") ?? false, false, "the suite's own daemon has no next-edit model");
    const editor = await openFile("next-edit-no-model.ts", SOURCE, "typescript");
    setCursor(editor, new vscode.Position(0, 27));
    const off = nextEvent("the settled edit's verdict", api.onDidNextEditEvent, (e) => e.kind === "off" || e.kind === "requested");
    await typeText("s");
    assert.deepEqual(await off, { kind: "off", uri: editor.document.uri.toString(), reason: "no-model" });
    await closeAllEditors();
  });

  describe("with a daemon that has a next-edit model", () => {
    before(async () => {
      assert.ok(model, "test/vscode/run.sh passes HEARTH_VSCODE_NEXT_EDIT_MODEL (the generated next-edit model)");
      api = await hearth();
      const main = await connected(api);
      restoreSettings = await withSettings({ "completion.languages": NEXT_EDITS_ONLY });
      // The temporary daemon stays up for every test below; `after` lets it go.
      await new Promise<void>((entered, failed) => {
        left = onTemporaryDaemon(api, "next-edit", { "model.nextEdit": model, "nextEdit.format": "sweep" }, { linkModels: true }, async () => {
          await connected(api, 120_000, (state) => state.info.pid !== main.info.pid);
          await new Promise<void>((release) => {
            leave = release;
            entered();
          });
        });
        left.catch(failed);
      });
    });
    after(async () => {
      leave?.();
      await left;
      await restoreSettings?.();
    });
    afterEach(closeAllEditors);

    it("shows a suggestion after an edit settles; Escape dismisses; Tab applies exactly the daemon's edits; typing cancels", async () => {
      const editor = await openFile("next-edit.ts", SOURCE, "typescript");
      // Rename radius → radiuss on the first line: the kind of edit whose uses come next.
      setCursor(editor, new vscode.Position(0, 27));

      const shown = await suggestion(api, editor);
      assert.deepEqual(api.nextEdit(), shown, "the API reports what is shown");
      assert.equal(shown.version, editor.document.version);
      assert.ok(shown.result.edits.length > 0);
      await screenshot(`next-edit-${shown.presentation}`);

      // Escape dismisses: the suggestion and the context key go.
      const dismissed = nextEvent("the dismissal", api.onDidNextEditEvent, (e) => e.kind === "dismissed");
      await pressKey("Escape");
      await dismissed;
      assert.equal(api.nextEdit(), null);

      // Typing cancels the request in flight: the answer for the older text is never shown.
      const again = await suggestion(api, editor);
      const before = editor.document.getText();
      const expected = applyEdits(before, again.result.edits);
      assert.notEqual(expected, before, `the daemon's edits change the text: ${JSON.stringify(again.result.edits)}`);
      console.log(`next edit: ${again.result.edits.length} edit(s), ${again.presentation}, ${again.result.metrics.generatedTokens} tokens generated`);
      // Tab: a far edit is jumped to first (the cursor lands on it, the edit is drawn beside it), then applied.
      for (let press = 0; press < 2 && editor.document.getText() === before; press++) {
        const outcome = nextEvent("Tab to accept or jump", api.onDidNextEditEvent, (e) => e.kind === "accepted" || e.kind === "shown");
        await pressKey("Tab");
        const event = await outcome;
        if (event.kind === "shown") {
          const first = again.result.edits[0];
          assert.ok(first);
          assert.deepEqual([editor.selection.active.line, editor.selection.active.character], [first.range.start.line, first.range.start.character], "the jump moves the cursor to the edit");
          assert.equal(event.shown.presentation, "beside");
        }
      }
      assert.equal(editor.document.getText(), expected, "Tab applies exactly the edits the daemon returned");
      const cursor = again.result.cursor;
      if (cursor) assert.deepEqual([editor.selection.active.line, editor.selection.active.character], [cursor.line, cursor.character], "the cursor goes where the daemon said");
      await screenshot("next-edit-accepted");
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
    });

    it("draws an edit away from the cursor behind a jump hint: Tab jumps to it, Tab again applies exactly the daemon's edits", async () => {
      // The generated model writes `from typing import data.name ==` whatever it is shown: with
      // that line three or more lines above the cursor, its rewrite keeps the line, and the
      // edit above it lies away from the cursor.
      const lines = Array.from({ length: 20 }, (_, i) => `const v${i} = ${i};`);
      lines[2] = "from typing import data.name ==";
      const editor = await openFile("next-edit-jump.ts", `${lines.join("\n")}\n`, "typescript");
      setCursor(editor, new vscode.Position(10, 8));
      let jump: NextEditShown | null = null;
      for (let attempt = 0; attempt < 6 && jump === null; attempt++) {
        const event = await typeAndWait(api, "s");
        if (event.kind === "failed") assert.fail(`the next-edit request failed: ${event.message}`);
        if (event.kind === "shown" && event.shown.presentation === "jump") jump = event.shown;
        else if (event.kind === "shown") await vscode.commands.executeCommand("hearth.nextEdit.dismiss");
      }
      assert.ok(jump, `no edit away from the cursor in 6 edits: ${JSON.stringify(api.nextEdit())}`);
      const cursorLine = editor.selection.active.line;
      assert.ok(jump.result.edits.some((edit) => edit.range.end.line < cursorLine - 2 || edit.range.start.line > cursorLine + 2), `an edit more than two lines away: ${JSON.stringify(jump.result.edits)}`);
      await screenshot("next-edit-jump");
      const before = editor.document.getText();
      const expected = applyEdits(before, jump.result.edits);
      const first = jump.result.edits[0];
      assert.ok(first);
      // Tab jumps: the cursor lands on the first edit, which is drawn beside it now.
      const redrawn = nextEvent("the suggestion redrawn at the edit", api.onDidNextEditEvent, (e) => e.kind === "shown" || e.kind === "accepted");
      await pressKey("Tab");
      const event = await redrawn;
      assert.equal(event.kind === "shown" ? event.shown.presentation : event.kind, "beside");
      assert.deepEqual([editor.selection.active.line, editor.selection.active.character], [first.range.start.line, first.range.start.character], "the jump moves the cursor to the edit");
      assert.equal(editor.document.getText(), before, "a jump changes nothing");
      // Tab again applies every edit, in one step.
      const accepted = nextEvent("the suggestion accepted", api.onDidNextEditEvent, (e) => e.kind === "accepted");
      await pressKey("Tab");
      assert.deepEqual(await accepted, { kind: "accepted", uri: editor.document.uri.toString(), presentation: "beside" });
      assert.equal(editor.document.getText(), expected, "Tab applies exactly the edits the daemon returned");
      const cursor = jump.result.cursor;
      if (cursor) assert.deepEqual([editor.selection.active.line, editor.selection.active.character], [cursor.line, cursor.character], "the cursor goes where the daemon said");
      await vscode.commands.executeCommand("hearth.nextEdit.dismiss");
    });

    it("shows an insertion at the cursor as ghost text: Tab inserts exactly it, the daemon hears of it, the next suggestion is asked for at once, and the tooltip counts it", async () => {
      // An empty document: the model's rewritten window is all new text at the cursor, an
      // insertion there (whatever the generated model writes).
      const editor = await openFile("next-edit-ghost.ts", "s", "typescript");
      const document = editor.document;
      let ghost: NextEditShown | null = null;
      let handedOut: Promise<CompletionEvent> | null = null;
      for (let attempt = 0; attempt < 6 && ghost === null; attempt++) {
        if (document.getText() === "") await typeAndWait(api, "s");
        setCursor(editor, new vscode.Position(0, document.lineAt(0).text.length));
        handedOut = nextEvent("the inline provider to hand out the ghost text", api.onDidCompletionEvent, (e) => e.kind === "next-edit", 60_000);
        const ended = nextEvent("the request after emptying the document", api.onDidNextEditEvent, (e) => ENDED.has(e.kind), 120_000);
        await vscode.commands.executeCommand("editor.action.selectAll");
        await vscode.commands.executeCommand("deleteLeft");
        const event = await ended;
        if (event.kind === "failed") assert.fail(`the next-edit request failed: ${event.message}`);
        if (event.kind === "shown" && event.shown.presentation === "ghost") ghost = event.shown;
        else if (event.kind === "shown") await vscode.commands.executeCommand("hearth.nextEdit.dismiss");
      }
      assert.ok(ghost && handedOut, `no insertion at the cursor in 6 tries: ${JSON.stringify(api.nextEdit())}`);
      const [insertion] = ghost.result.edits;
      assert.ok(insertion && ghost.result.edits.length === 1);
      assert.equal(insertion.kind, "insertion");
      const handed = await handedOut;
      assert.deepEqual(handed, { kind: "next-edit", uri: document.uri.toString(), text: insertion.newText }, "the ghost text is the daemon's insertion");
      assert.equal(api.statusBar().tooltip.includes("Next edits:"), true, api.statusBar().tooltip);

      // The page shows the ghost text before the screenshot (Shift alone changes nothing).
      await pressKey("Shift", "ghost-text-decoration");
      await screenshot("next-edit-ghost");
      const before = document.getText();
      const acceptedBefore = (await api.refreshDaemonStatus())?.nextEdit.accepted ?? -1;
      const accepted = nextEvent("the ghost text accepted", api.onDidNextEditEvent, (e) => e.kind === "accepted", 30_000);
      const followUp = nextEvent("the next suggestion asked for after the accept", api.onDidNextEditEvent, (e) => e.kind === "requested" || e.kind === "waiting" || e.kind === "off", 30_000);
      await pressKey("Tab", "ghost-text-decoration");
      assert.deepEqual(await accepted, { kind: "accepted", uri: document.uri.toString(), presentation: "ghost" });
      assert.equal(document.getText(), applyEdits(before, ghost.result.edits), "Tab inserted exactly the daemon's insertion");
      const next = await followUp;
      assert.equal(next.kind, "requested", `asked at once, not held back: ${JSON.stringify(next)}`);
      assert.equal(next.kind === "requested" ? next.version : -1, document.version, "for the text with the insertion, before any other change");
      const cursor = ghost.result.cursor;
      assert.ok(cursor);
      assert.deepEqual([editor.selection.active.line, editor.selection.active.character], [cursor.line, cursor.character], "the cursor goes where the daemon said");
      // The daemon heard of the accept (before the change: it marks that change in its edit history).
      const status = await api.refreshDaemonStatus();
      assert.equal(status?.nextEdit.accepted, acceptedBefore + 1, JSON.stringify(status?.nextEdit));
      // The status bar's tooltip: how many shown were accepted, and the answers' latency.
      const figures = api.stats().nextEdit;
      assert.ok(figures.shown >= 1 && figures.accepted >= 1 && figures.requests >= figures.shown, JSON.stringify(figures));
      assert.ok(figures.medianLatencyMs !== null && figures.medianLatencyMs > 0, JSON.stringify(figures));
      const line = nextEditLine(api.stats());
      assert.ok(line !== null && api.statusBar().tooltip.includes(line), `${line} in ${api.statusBar().tooltip}`);
      assert.match(api.statusBar().tooltip, /Next edits: \d+ shown, \d+ accepted \(\d+%\) · latency median \d+ ms/);
      await vscode.commands.executeCommand("hearth.nextEdit.dismiss");
    });

    it("takes turns with inline completions: no next edit is asked for while a completion is in flight or shown at the cursor; none is offered while a suggestion shows", async () => {
      // Completions on, with a long wait before each: the edit settles (and would ask for a next edit) while the completion is still in flight.
      const restore = await withSettings({ "completion.languages": { ...NEXT_EDITS_ONLY, typescript: true }, "completion.debounceMs": 1500, "completion.adaptiveDebounce": false });
      const turns = recordTurns(api);
      const events = [api.onDidNextEditEvent, api.onDidCompletionEvent] as ReadonlyArray<vscode.Event<unknown>>;
      /** The first event after `from` that `accept` takes, once it happened. */
      const logged = <T>(what: string, from: number, pick: (entry: (typeof turns.log)[number]) => T | undefined, timeoutMs = 60_000): Promise<T> =>
        waitUntil(what, () => turns.log.slice(from).map(pick).find((value) => value !== undefined), events, timeoutMs).catch((error: unknown) =>
          assert.fail(`${String(error)}; the events:\n${JSON.stringify(turns.log.slice(from))}`),
        );
      const nextEditOf = (entry: (typeof turns.log)[number]) => ("nextEdit" in entry ? entry.nextEdit : undefined);
      const completionOf = (entry: (typeof turns.log)[number]) => ("completion" in entry ? entry.completion : undefined);
      try {
        const editor = await openFile("next-edit-turns.ts", SOURCE, "typescript");
        setCursor(editor, new vscode.Position(0, 27));
        let shown: NextEditShown | null = null;
        let waited = 0;
        let movedAway = 0;
        for (let attempt = 0; attempt < 8 && (shown === null || waited === 0); attempt++) {
          await vscode.commands.executeCommand("hearth.nextEdit.dismiss");
          const from = turns.log.length;
          // Typed in the page as a user types: VS Code asks the inline provider by itself.
          await pressKey("s");
          const verdict = await logged("the settled edit's next-edit verdict", from, (entry) => {
            const e = nextEditOf(entry);
            return e?.kind === "waiting" || e?.kind === "requested" ? e : undefined;
          });
          if (verdict.kind === "waiting") {
            waited++;
            assert.equal(verdict.heldBy, "completion-in-flight", "the next edit waits for the completion in flight");
            // The request VS Code's last call sent (older calls end in the debounce), and its end.
            const sent = await logged("the inline completion's request", from, (entry) => {
              const e = completionOf(entry);
              return e?.kind === "sent" ? e.id : undefined;
            });
            const ended = await logged("the inline completion's end", from, (entry) => {
              const e = completionOf(entry);
              return e !== undefined && COMPLETION_ENDED.has(e.kind) && "id" in e && e.id === sent ? e : undefined;
            });
            if (ended.kind === "completed" && ended.text !== "") {
              // Shown at the cursor: the next edit still waits; moving the cursor away (as a user does) dismisses the completion, and the next edit goes.
              assert.equal(turns.log.slice(from).some((entry) => nextEditOf(entry)?.kind === "requested"), false, "no next edit while the completion shows");
              await pressKey("ArrowDown");
              movedAway++;
            }
            await logged("the next-edit request once the completion left the cursor", from, (entry) => (nextEditOf(entry)?.kind === "requested" ? true : undefined));
          }
          const answer = await logged("the next edit's answer", from, (entry) => {
            const e = nextEditOf(entry);
            return e !== undefined && ENDED.has(e.kind) ? e : undefined;
          }, 120_000);
          if (answer.kind === "failed") assert.fail(`the next-edit request failed: ${answer.message}`);
          if (answer.kind === "shown" && answer.shown.presentation !== "ghost") shown = answer.shown;
          if (shown === null || waited === 0) setCursor(editor, new vscode.Position(0, editor.document.lineAt(0).text.indexOf("radius") + "radius".length));
        }
        console.log(`turns: ${waited} next edit(s) waited for a completion, ${movedAway} until the cursor left a completion shown`);
        assert.ok(waited > 0, `no edit settled while VS Code's completion request was in flight:\n${JSON.stringify(turns.log)}`);
        // In the whole log, no next-edit request went out between a completion's request and its end.
        let inFlight = false;
        for (const entry of turns.log) {
          const completion = completionOf(entry);
          if (completion?.kind === "sent") inFlight = true;
          if (completion !== undefined && COMPLETION_ENDED.has(completion.kind)) inFlight = false;
          if (nextEditOf(entry)?.kind === "requested") assert.equal(inFlight, false, `a next edit was asked for while a completion was in flight:\n${JSON.stringify(turns.log, null, 1)}`);
        }
        assert.ok(shown, `no suggestion drawn beside the code in 8 edits:\n${editor.document.getText()}`);
        // While the suggestion shows, the provider offers no completion of its own.
        const offered = nextEvent("the inline provider's answer while a suggestion shows", api.onDidCompletionEvent, () => true, 30_000);
        await vscode.commands.executeCommand("editor.action.inlineSuggest.trigger");
        assert.deepEqual(await offered, { kind: "skipped", uri: editor.document.uri.toString(), reason: "next-edit-shown" });
        await vscode.commands.executeCommand("hearth.nextEdit.dismiss");
      } finally {
        turns.dispose();
        await restore();
      }
    });

    it("asks nothing in a language switched off in hearth.nextEdit.languages, nor with hearth.nextEdit.enabled off (Tab then indents)", async () => {
      const editor = await openFile("next-edit-language.ts", SOURCE, "typescript");
      setCursor(editor, new vscode.Position(0, 27));
      const uri = editor.document.uri.toString();
      const restore = await withSettings({ "nextEdit.languages": { "*": true, typescript: false } });
      try {
        const verdict = nextEvent("the settled edit's verdict", api.onDidNextEditEvent, (e) => e.kind === "off" || e.kind === "requested");
        await typeText("s");
        assert.deepEqual(await verdict, { kind: "off", uri, reason: "language" });
        await restore();
        // Another language keeps its own: on for typescript again, the same edit asks.
        const asked = nextEvent("a request with the language on", api.onDidNextEditEvent, (e) => e.kind === "off" || e.kind === "requested", 30_000);
        await typeText("s");
        assert.equal((await asked).kind, "requested");
        await nextEvent("that request's end", api.onDidNextEditEvent, (e) => ENDED.has(e.kind), 120_000);
        await vscode.commands.executeCommand("hearth.nextEdit.dismiss");
      } finally {
        await restore();
      }
      // Switched off, nothing is asked for or shown, and Tab indents as usual.
      const restoreSwitch = await withSettings({ "nextEdit.enabled": false });
      try {
        const plain = await openFile("next-edit-off.ts", "x\n", "typescript");
        setCursor(plain, new vscode.Position(0, 0));
        const verdict = nextEvent("Tab's verdict", api.onDidNextEditEvent, (e) => e.kind === "off" || e.kind === "requested");
        const changed = nextEvent("Tab to indent", vscode.workspace.onDidChangeTextDocument, (e) => e.document === plain.document);
        await pressKey("Tab");
        await changed;
        assert.match(plain.document.lineAt(0).text, /^\s+x$/, "Tab indented");
        assert.deepEqual(await verdict, { kind: "off", uri: plain.document.uri.toString(), reason: "switched-off" });
        assert.equal(api.nextEdit(), null);
      } finally {
        await restoreSwitch();
      }
    });
  });
});
