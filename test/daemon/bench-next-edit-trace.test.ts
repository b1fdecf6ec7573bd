/**
 * The next-edit traces without a server: the `apply` event (an accepted suggestion's edits in
 * one change set), the script that turns a refactoring into keystrokes and Tabs, the shipped
 * traces (one per recipe, each finishing its refactoring, each edit typed with pauses that
 * make the extension ask within it while the daemon's history keeps it one event), and the
 * replay's request rules and contexts, against a driver that answers in-process.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import path from "node:path";
import { EditHistory, HISTORY_DEFAULTS } from "../../daemon/src/next-edit/edit-history.js";
import { NEXT_EDIT_FORMATS } from "../../daemon/src/next-edit/formats.js";
import { cutWindow } from "../../daemon/src/next-edit/window.js";
import { renderText } from "../../daemon/src/prompt/fim-templates.js";
import { plainSweepPrompt } from "../../daemon/src/bench/next-edit-llama-server.js";
import { NEXT_EDIT_TRACE_RECIPES } from "../../daemon/src/bench/next-edit-recipes.js";
import { replayNextEdits, type NextEditAnswer, type NextEditDriver } from "../../daemon/src/bench/next-edit-replay.js";
import { changedPart, identifierUses, locate, nextEditTrace } from "../../daemon/src/bench/next-edit-script.js";
import { formatTrace, loadTrace, parseTrace, traceDurationMs, TraceFormatError, TRACE_FORMAT, TRACE_VERSION, type Trace, type TraceEvent } from "../../daemon/src/bench/trace.js";
import { checkPlayable, EditorFile, expandTrace, TraceEditor } from "../../daemon/src/bench/trace-editor.js";
import { Defaults, type TextDocumentContentChangeEvent } from "../../daemon/src/protocol.js";
import { repoRoot } from "../helpers/daemon-process.js";

const SOURCE = ["function area(radius) {", "  const r2 = radius * radius;", "  return Math.PI * r2;", "}", "", "const small = area(1);", "const large = area(100);", ""].join("\n");

function trace(events: TraceEvent[], text = SOURCE): Trace {
  return { format: TRACE_FORMAT, version: TRACE_VERSION, name: "t", description: "", workspaces: [{ id: "w" }], files: [{ id: "f1", workspace: "w", path: "area.js", languageId: "javascript", text }], events };
}

function finalText(t: Trace): string {
  const editor = new TraceEditor(t);
  for (const step of expandTrace(t)) editor.apply(step);
  return editor.files.get("f1")?.text ?? "";
}

/** Applies LSP changes one after another, as the daemon's document sync does. */
function applyChanges(text: string, changes: readonly TextDocumentContentChangeEvent[]): string {
  const file = new EditorFile({ id: "x", workspace: "w", path: "x", languageId: "x", text });
  for (const change of changes) {
    if (!("range" in change) || change.range === undefined) throw new Error("a full-text change");
    file.edit(file.offsetAt(change.range.start), file.offsetAt(change.range.end), change.text);
  }
  return file.text;
}

describe("next-edit traces", () => {
  describe("the apply event", () => {
    it("applies an accepted suggestion's edits as one change set: last edit first, each range valid in turn, the cursor at the end of the last", () => {
      const editor = new TraceEditor(trace([]));
      editor.apply({ kind: "open", delayMs: 0, file: "f1" });
      const file = editor.files.get("f1") as EditorFile;
      const before = file.text;
      const [effect] = editor.apply({
        kind: "apply",
        delayMs: 0,
        edits: [
          { line: 0, character: 14, endLine: 0, endCharacter: 20, text: "size" },
          { line: 1, character: 13, endLine: 1, endCharacter: 19, text: "size" },
          { line: 1, character: 22, endLine: 1, endCharacter: 28, text: "size" },
        ],
      });
      assert.ok(effect?.kind === "apply");
      assert.deepEqual(
        effect.changes.map((c) => ("range" in c ? c.range?.start : null)),
        [
          { line: 1, character: 22 },
          { line: 1, character: 13 },
          { line: 0, character: 14 },
        ],
      );
      assert.equal(file.text, before.replace("area(radius)", "area(size)").replace("radius * radius", "size * size"));
      assert.equal(applyChanges(before, effect.changes), file.text, "the changes in order give the same text, as the daemon applies them");
      assert.deepEqual(file.cursorPosition, { line: 1, character: 24 });
      assert.equal(file.version, 2, "one change set, one version");
    });

    it("is checked on load: edits in document order, not overlapping, each changing something, each fitting the text", () => {
      const rejects = (edits: unknown, pattern: RegExp): void =>
        assert.throws(
          () => checkPlayable(parseTrace({ ...JSON.parse(formatTrace(trace([]))), events: [{ type: "open", delayMs: 0, file: "f1" }, { type: "apply", delayMs: 0, edits }] }, "t.json"), "t.json"),
          (error: unknown) => error instanceof TraceFormatError && pattern.test(error.message),
        );
      rejects([], /events\[1\]\.edits must hold at least one edit/);
      rejects([{ line: 1, character: 0, endLine: 1, endCharacter: 2, text: "a" }, { line: 0, character: 0, endLine: 0, endCharacter: 1, text: "b" }], /events\[1\]\.edits\[1\] must start at or after the end of the edit before it/);
      rejects([{ line: 0, character: 3, endLine: 0, endCharacter: 3, text: "" }], /events\[1\]\.edits\[0\] changes nothing/);
      rejects([{ line: 0, character: 5, endLine: 0, endCharacter: 2, text: "x" }], /events\[1\]\.edits\[0\] must end at or after its start/);
      rejects([{ line: 0, character: 0, endLine: 0, endCharacter: 1, text: "x", extra: 1 }], /edits\[0\]\.extra is not a field/);
      rejects([{ line: 99, character: 0, endLine: 99, endCharacter: 1, text: "x" }], /events\[1\] line 99 is past the end/);
    });
  });

  describe("the script", () => {
    const edits = () => [
      ...identifierUses(SOURCE, "radius", 0, 3).map((use) => ({ ...use, text: "size" })),
      { ...locate(SOURCE, { anchor: "const large", find: "area(100)" }), text: "area(100, 2)" },
    ];
    const make = (seed: number): Trace => nextEditTrace({ name: "t", description: "renames.", seed, source: { path: "area.js", text: SOURCE, languageId: "javascript" }, edits: edits(), filePath: "area.js", workspace: "w" });

    it("finds edits by content and retypes whole words", () => {
      assert.deepEqual(identifierUses("a.radius + radius + radius2", "radius", 0, 0), [{ start: 11, end: 17 }]);
      assert.deepEqual(locate("x = 1;\ny = 1 + 1;", { anchor: "y =", find: "1", occurrence: 2 }), { start: 15, end: 16 });
      assert.deepEqual(changedPart("dataLength", "byteLength"), { head: 0, tail: 0 }, "not half an identifier");
      assert.deepEqual(changedPart("describe(value)", "describe(value, 40)"), { head: 14, tail: 1 });
    });

    it("is deterministic, types the first edit, accepts the rest where the window reaches them, and ends with the refactoring done", () => {
      assert.equal(formatTrace(make(3)), formatTrace(make(3)));
      assert.notEqual(formatTrace(make(3)), formatTrace(make(4)));
      const t = checkPlayable(parseTrace(make(3)));
      assert.equal(finalText(t), SOURCE.replace(/\bradius\b/g, "size").replace("area(100)", "area(100, 2)"));
      const applies = t.events.filter((e) => e.type === "apply");
      assert.equal(applies.length, 1, "one Tab: every other edit lies in the typed one's window");
      assert.match(t.description, /1 edit typed, 3 accepted with 1 Tab\.$/);
    });
  });

  describe("shipped traces", () => {
    const dir = path.join(repoRoot, "bench", "traces", "next-edit");
    const files = readdirSync(dir).filter((f) => f.endsWith(".json"));
    const load = (name: string): Trace => checkPlayable(loadTrace(path.join(dir, `${name}.json`)), name);

    it("ship one per recipe, each playable, under a minute, with Tabs", () => {
      assert.deepEqual(files.map((f) => f.replace(/\.json$/, "")).sort(), NEXT_EDIT_TRACE_RECIPES.map((r) => r.name).sort());
      for (const recipe of NEXT_EDIT_TRACE_RECIPES) {
        const t = load(recipe.name);
        assert.ok(traceDurationMs(t) < 60_000, `${t.name}: ${traceDurationMs(t)} ms`);
        assert.ok(t.events.some((e) => e.type === "apply"), `${t.name} accepts suggestions`);
      }
    });

    it("finish their refactorings", () => {
      const renamed = finalText(load("rename-variable"));
      const frame = renamed.slice(renamed.indexOf("static frame("), renamed.indexOf("applyMask(data, mask, data, 0, byteLength);"));
      assert.ok(!/\bdataLength\b/.test(frame) && (frame.match(/\bbyteLength\b/g) ?? []).length === 13, "every use of dataLength renamed");
      const added = finalText(load("add-parameter"));
      assert.ok(added.includes("function describe(value: unknown, maxChars: number): string {"));
      assert.ok(added.includes("text.length > maxChars ? `${text.slice(0, maxChars)}…`"));
      const calls = added.match(/\bdescribe\((?!value: unknown)[^)]*\)/g) ?? [];
      assert.equal(calls.length, 4);
      assert.ok(calls.every((call) => call.endsWith(", 40)")), `every call passes maxChars: ${calls.join(" ")}`);
      const changed = finalText(load("change-field-type"));
      assert.ok(changed.includes("current: AbortController | null;"));
      assert.ok(!changed.includes(".cancelled") && !changed.includes("{ cancelled: false }"), "every use fixed");
    });

    it("type each edit with a pause the extension asks in, and keep its keys within the history's merge window", () => {
      for (const recipe of NEXT_EDIT_TRACE_RECIPES) {
        const t = load(recipe.name);
        // Runs of keys between moves and Tabs: one edit each.
        const runs: number[][] = [];
        let run: number[] | null = null;
        for (const event of t.events) {
          if (event.type === "type" || event.type === "delete") {
            if (run === null) runs.push((run = []));
            run.push(...event.delaysMs);
          } else run = null;
        }
        assert.ok(runs.length > 0, t.name);
        for (const gaps of runs) {
          const within = gaps.slice(1);
          assert.ok(within.some((gap) => gap > Defaults.nextEditSettleMs), `${t.name}: a request lands within the edit`);
          assert.ok(within.every((gap) => gap < HISTORY_DEFAULTS.mergeWithinMs), `${t.name}: the edit stays one event (${Math.max(...within)} ms)`);
        }
      }
    });
  });

  describe("the plain client's prompt", () => {
    it("is Hearth's Sweep prompt with the edit in progress also as the last diff block, before both windows", () => {
      let now = 0;
      const history = new EditHistory({ now: () => now });
      const uri = "file:///w/area.js";
      const settled = SOURCE.replace("const small = area(1);", "const small = area(2);");
      history.record(uri, SOURCE, settled);
      now += 5000;
      const typing = settled.replace("area(radius)", "area(rad)");
      history.record(uri, settled, typing);
      const events = history.events(uri);
      const cut = cutWindow(NEXT_EDIT_FORMATS.sweep, { text: typing, cursor: { line: 0, character: 17 }, path: "area.js", events, related: [], countTokens: (t) => t.length });
      const rendered = NEXT_EDIT_FORMATS.sweep.render(cut.input);
      assert.ok(rendered.kind === "pieces");
      const hearth = renderText(rendered.pieces);
      const plain = plainSweepPrompt("area.js", events, cut.input.original, cut.input.window);
      const inProgress = "<|file_sep|>area.js.diff\noriginal:\nfunction area(radius) {\nupdated:\nfunction area(rad) {\n";
      const at = hearth.indexOf("<|file_sep|>original/area.js\n");
      assert.ok(at > 0 && hearth.slice(0, at).includes("area(1)"), "Hearth shows the settled edit as history");
      assert.equal(plain, hearth.slice(0, at) + inProgress + hearth.slice(at));
      assert.ok(plain.endsWith("<|file_sep|>updated/area.js\n"));
    });
  });

  describe("the replay", () => {
    /** Answers at once, or (when `hold` says so) only when cancelled. */
    function driver(hold: (n: number) => boolean): NextEditDriver & { changes: number; accepted: number } {
      let n = 0;
      const answer: NextEditAnswer = { edits: [], copied: 0.5, usage: { promptTokens: 100, evaluatedTokens: 20, generatedTokens: 3, draftTokens: 2, acceptedTokens: 1, prefillMs: 1, decodeMs: 1, serverMs: 2 } };
      return {
        changes: 0,
        accepted: 0,
        open: () => undefined,
        close: () => undefined,
        changed(_file, _changes, _before, accepted) {
          this.changes++;
          if (accepted) this.accepted++;
        },
        ask: (_file, _position, signal) =>
          hold(n++)
            ? new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(new Error("cancelled"))))
            : Promise.resolve(answer),
      };
    }

    const events: TraceEvent[] = [
      { type: "open", delayMs: 0, file: "f1", line: 0, character: 20 },
      // Within an edit: a pause longer than the settle delay, then the edit settles.
      { type: "type", keys: ["X", "Y"], delaysMs: [50, 30] },
      { type: "type", keys: ["Z"], delaysMs: [700] },
      { type: "apply", delayMs: 700, edits: [{ line: 1, character: 13, endLine: 1, endCharacter: 19, text: "radiusXYZ" }] },
      { type: "move", delayMs: 400, line: 5, character: 0 },
      { type: "type", keys: ["a"], delaysMs: [50] },
      { type: "type", keys: ["b"], delaysMs: [700] },
    ];

    it("asks after each settle and at once after Tab, and places each request in the editing", async () => {
      const d = driver(() => false);
      const result = await replayNextEdits(trace(events), d);
      assert.deepEqual(
        result.calls.map((c) => [c.trigger, c.context, c.outcome]),
        [
          ["settle", "first", "completed"],
          ["settle", "edit", "completed"],
          ["accept", "accept", "completed"],
          ["settle", "new-edit", "completed"],
          ["settle", "edit", "completed"],
        ],
      );
      assert.equal(d.changes, 6);
      assert.equal(d.accepted, 1);
      assert.deepEqual([result.keystrokes, result.applies, result.appliesMatched], [5, 1, 0]);
      assert.ok(result.calls.every((c) => c.usage?.evaluatedTokens === 20 && c.copied === 0.5 && c.doneMs !== null && c.doneMs >= c.sentMs));
    });

    it("cancels a request a newer change makes moot, and a cancelled first request passes its place on", async () => {
      const result = await replayNextEdits(trace(events), driver((n) => n === 0));
      assert.deepEqual(
        result.calls.map((c) => [c.context, c.outcome]),
        [
          ["first", "cancelled"],
          ["first", "completed"],
          ["accept", "completed"],
          ["new-edit", "completed"],
          ["edit", "completed"],
        ],
      );
      assert.equal(result.calls[0]?.usage, null);
    });
  });
});
