/**
 * The trace format and generator, without a daemon: a seed decides a trace byte for byte,
 * replaying a generated trace's edits rebuilds its source, the loader rejects malformed
 * traces with messages that name the field, and the shipped traces load and stay short.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { countKeystrokes, formatTrace, loadTrace, parseTrace, traceDurationMs, TraceFormatError, type Trace } from "../../daemon/src/bench/trace.js";
import { checkPlayable, expandTrace, TraceEditor } from "../../daemon/src/bench/trace-editor.js";
import { typingTraceFromSource, Typist } from "../../daemon/src/bench/trace-generator.js";
import { TRACE_RECIPES } from "../../daemon/src/bench/trace-recipes.js";
import { repoRoot } from "../helpers/daemon-process.js";

const SOURCE = [
  "export function clamp(value: number, min: number, max: number): number {",
  "  if (value < min) return min;",
  "  if (value > max) return max;",
  "  return value;",
  "}",
  "",
  "export const answer = clamp(42, 0, 100);",
  "",
].join("\n");

function generate(seed: number): Trace {
  return typingTraceFromSource({
    name: "clamp",
    description: "types clamp",
    seed,
    source: { path: "src/clamp.ts", text: SOURCE, languageId: "typescript" },
    startLine: 1,
    endLine: 5,
  });
}

function finalText(trace: Trace, fileId: string): string {
  const editor = new TraceEditor(trace);
  for (const step of expandTrace(trace)) editor.apply(step);
  const file = editor.files.get(fileId);
  assert.ok(file);
  return file.text;
}

function rejects(value: unknown, pattern: RegExp): void {
  assert.throws(() => checkPlayable(parseTrace(value, "t.json"), "t.json"), (error: unknown) => error instanceof TraceFormatError && pattern.test(error.message));
}

describe("bench traces", () => {
  describe("generator", () => {
    it("is deterministic: the same seed gives the same trace, another seed another rhythm", () => {
      assert.equal(formatTrace(generate(7)), formatTrace(generate(7)));
      assert.notEqual(formatTrace(generate(7)), formatTrace(generate(8)));
      const typist = () => new Typist(3);
      assert.deepEqual(typist().type("const x = 1;\nconst y = 2;"), typist().type("const x = 1;\nconst y = 2;"));
    });

    it("types the cut lines back: replaying the trace rebuilds the source", () => {
      for (const seed of [1, 2, 3, 4, 5]) {
        const trace = parseTrace(generate(seed));
        assert.notEqual(trace.files[0]?.text, SOURCE);
        assert.equal(finalText(trace, "f1"), SOURCE, `seed ${seed}`);
      }
    });

    it("has a human rhythm: gaps within bounds, pauses longer than keys, and keys carry auto-indent", () => {
      const trace = generate(11);
      const gaps = trace.events.flatMap((e) => (e.type === "type" || e.type === "delete" ? e.delaysMs : [e.delayMs]));
      assert.ok(gaps.every((g) => g >= 0 && g <= 10_000));
      const keys = trace.events.flatMap((e) => (e.type === "type" ? e.keys : []));
      assert.ok(keys.includes("\n  "), "Enter carries the next line's indentation");
      const duration = traceDurationMs(trace);
      const keystrokes = countKeystrokes(trace);
      assert.ok(duration / keystrokes > 80 && duration / keystrokes < 600, `mean gap ${duration / keystrokes} ms`);
    });
  });

  describe("format", () => {
    const valid = (): Record<string, unknown> => JSON.parse(formatTrace(generate(1))) as Record<string, unknown>;

    it("round-trips through its file form", () => {
      const trace = generate(1);
      assert.deepEqual(parseTrace(JSON.parse(formatTrace(trace))), trace);
    });

    it("rejects malformed traces with the field and what was expected", () => {
      rejects({ ...valid(), format: "other" }, /t\.json: format must be "hearth-trace"/);
      rejects({ ...valid(), version: 2 }, /version must be 1/);
      rejects({ ...valid(), events: [{ type: "type", keys: ["a", "b"], delaysMs: [10] }] }, /events\[0\]\.delaysMs must hold one delay per key \(2\); got 1/);
      rejects({ ...valid(), events: [{ type: "jump", delayMs: 0 }] }, /events\[0\]\.type must be one of/);
      rejects({ ...valid(), events: [{ type: "open", delayMs: -1, file: "f1" }] }, /events\[0\]\.delayMs must be an integer from 0/);
      rejects({ ...valid(), events: [{ type: "type", keys: ["a"], delaysMs: [10] }] }, /events\[0\] type with no file open/);
      rejects({ ...valid(), events: [{ type: "open", delayMs: 0, file: "f1" }, { type: "move", delayMs: 0, line: 999, character: 0 }] }, /events\[1\] line 999 is past the end/);
      rejects({ ...valid(), events: [{ type: "open", delayMs: 0, file: "f1" }, { type: "delete", delaysMs: [5] }] }, /events\[1\] backspace at the start/);
      rejects({ ...valid(), events: [{ type: "open", delayMs: 0, file: "nope" }] }, /names no file of this trace/);
      rejects({ ...valid(), files: [{ id: "f1", workspace: "elsewhere", path: "a.ts", languageId: "typescript", text: "" }] }, /files\[0\]\.workspace names no workspace/);
      rejects({ ...valid(), files: [{ id: "f1", workspace: "main", path: "../a.ts", languageId: "typescript", text: "" }] }, /must be a relative path inside the workspace/);
      rejects({ ...valid(), extra: 1 }, /trace\.extra is not a field/);
    });

    it("checks the shape on parse and the events' fit to the text in checkPlayable", () => {
      const offTheEnd = { ...valid(), events: [{ type: "open", delayMs: 0, file: "f1" }, { type: "move", delayMs: 0, line: 999, character: 0 }] };
      const trace = parseTrace(offTheEnd, "t.json");
      assert.throws(() => checkPlayable(trace, "t.json"), (error: unknown) => error instanceof TraceFormatError && /^t\.json: events\[1\] line 999 is past the end/.test(error.message));
      const playable = generate(1);
      assert.equal(checkPlayable(playable), playable);
    });
  });

  describe("shipped traces", () => {
    const dir = path.join(repoRoot, "bench", "traces");
    const files = readdirSync(dir).filter((f) => f.endsWith(".json"));

    it("ship one per recipe, each valid and short enough to replay in under a minute", () => {
      assert.deepEqual(files.map((f) => f.replace(/\.json$/, "")).sort(), TRACE_RECIPES.map((r) => r.name).sort());
      for (const file of files) {
        const trace = checkPlayable(loadTrace(path.join(dir, file)), file);
        assert.equal(`${trace.name}.json`, file);
        assert.ok(traceDurationMs(trace) < 60_000, `${file}: ${traceDurationMs(trace)} ms`);
        assert.ok(countKeystrokes(trace) >= 50, `${file}: ${countKeystrokes(trace)} keystrokes`);
        assert.ok(trace.provenance && trace.provenance.sources.length > 0, `${file} says where its text came from`);
      }
      const workspaces = files.map((f) => (JSON.parse(readFileSync(path.join(dir, f), "utf8")) as Trace).workspaces.length);
      assert.ok(workspaces.some((n) => n >= 2), "one trace uses two workspaces");
    });
  });
});
