/**
 * How the shipped traces in bench/traces are made: which source files, which lines, which
 * seed. `hearth bench make-traces` runs these recipes; a trace's provenance says which
 * recipe and seed produced it. The sources are the project's own TypeScript and two
 * installed dependencies (ws, vscode-jsonrpc; both MIT, credited in the traces). Lines are
 * found by their content, not their numbers, so a recipe survives small edits to its source.
 *
 * Each trace is kept to well under a minute of typing (tens of completion requests) so
 * every shipped trace replays in a few minutes on the tiny model.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { hashSeed, Mulberry32 } from "../gguf/seeded-random.js";
import { TRACE_FORMAT, TRACE_VERSION, type Trace, type TraceEvent } from "./trace.js";
import { cutLines, sourceCredit, TRACE_GENERATOR, Typist, typingTraceFromSource, type SourceFile } from "./trace-generator.js";

export interface TraceRecipe {
  name: string;
  build(root: string): Trace;
}

export const WS_LICENSE = "MIT, (c) 2011 Einar Otto Stangvik, 2013 Arnout Kazemier, 2016 Luigi Pinca and contributors (node_modules/ws/LICENSE)";
const JSONRPC_LICENSE = "MIT, (c) Microsoft Corporation (node_modules/vscode-jsonrpc/License.txt)";

export function source(root: string, relative: string, languageId: string, license?: string): SourceFile {
  const file: SourceFile = { path: relative, text: readFileSync(path.join(root, relative), "utf8"), languageId };
  if (license !== undefined) file.license = license;
  return file;
}

/**
 * 1-based lines from the first one containing `from` (after the first containing `after`,
 * when given) to the first one at or after it containing `to`.
 */
export function findLines(text: string, from: string, to: string, after?: string): { startLine: number; endLine: number } {
  const lines = text.split("\n");
  const anchor = after === undefined ? 0 : lines.findIndex((line) => line.includes(after));
  if (anchor === -1) throw new Error(`no line contains ${JSON.stringify(after)}`);
  const start = lines.findIndex((line, i) => i >= anchor && line.includes(from));
  if (start === -1) throw new Error(`no line contains ${JSON.stringify(from)}`);
  const end = lines.findIndex((line, i) => i >= start && line.includes(to));
  if (end === -1) throw new Error(`no line after ${JSON.stringify(from)} contains ${JSON.stringify(to)}`);
  return { startLine: start + 1, endLine: end + 1 };
}

/** Typing a new function: the project's own `stringFlag`, between two functions of its file. */
const newFunction: TraceRecipe = {
  name: "new-function",
  build(root) {
    const src = source(root, "daemon/src/args.ts", "typescript");
    const lines = findLines(src.text, "export function stringFlag(", "return typeof value");
    return typingTraceFromSource({
      name: "new-function",
      description: "Types a new 4-line TypeScript function (the CLI's stringFlag) between two functions of an 80-line file.",
      seed: 1,
      source: src,
      startLine: lines.startLine,
      endLine: lines.endLine + 1,
      filePath: "daemon/src/args.ts",
      workspace: "hearth",
    });
  },
};

/** Repetitive code: more entries of the protocol's error-code table, where suggestions are easy to accept. */
const repetitive: TraceRecipe = {
  name: "repetitive-table",
  build(root) {
    const src = source(root, "daemon/src/protocol.ts", "typescript");
    const lines = findLines(src.text, "  ModelLoadFailed: -33002,", "  BusyQueueFull: -33008,");
    return typingTraceFromSource({
      name: "repetitive-table",
      description: "Adds seven near-identical entries to a constant table (the protocol's error codes); a user accepts suggestions more often here.",
      seed: 2,
      source: src,
      startLine: lines.startLine,
      endLine: lines.endLine,
      filePath: "daemon/src/protocol.ts",
      workspace: "hearth",
      rhythm: { acceptChance: 0.35 },
    });
  },
};

/** Statement lines worth editing: code, not comments, long enough to retype the end of. */
function editableLines(text: string): number[] {
  const out: number[] = [];
  text.split("\n").forEach((line, i) => {
    const body = line.trim();
    if (body.length >= 24 && body.length <= 90 && /;$/.test(body) && !body.startsWith("//") && !body.startsWith("*")) out.push(i);
  });
  return out;
}

/** Editing inside a long file: jump to three places deep in ws's websocket.js and rewrite the end of a statement. */
const longFile: TraceRecipe = {
  name: "long-file-edits",
  build(root) {
    const seed = 3;
    const src = source(root, "node_modules/ws/lib/websocket.js", "javascript", WS_LICENSE);
    const typist = new Typist(seed);
    const pick = new Mulberry32(hashSeed("long-file-edits", seed));
    const candidates = editableLines(src.text);
    const total = src.text.split("\n").length;
    let text = src.text;
    const events: TraceEvent[] = [{ type: "open", delayMs: 0, file: "f1", line: 0, character: 0 }];
    // Three spots spread over the file, far apart so the cache sees the window move.
    for (const fraction of [0.35, 0.62, 0.86]) {
      const near = candidates.filter((line) => Math.abs(line / total - fraction) < 0.05);
      const line = near[Math.floor(pick.nextFloat() * near.length)] ?? candidates[0] ?? 0;
      const lineText = text.split("\n")[line] ?? "";
      const indent = /^[ \t]*/.exec(lineText)?.[0].length ?? 0;
      const count = Math.min(lineText.length - indent, 10 + Math.floor(pick.nextFloat() * 10));
      const tail = lineText.slice(lineText.length - count);
      events.push({ type: "move", delayMs: typist.pause(2000), line, character: lineText.length });
      events.push(...typist.backspace(count, typist.pause(600)));
      events.push(...typist.type(tail, { firstDelayMs: typist.pause(700), allowAccept: false }));
      // Then a new statement under it: the same line typed again (a near-duplicate, as edits often are).
      events.push(...typist.type(`\n${lineText.slice(0, indent)}${lineText.slice(indent)}`, { firstDelayMs: typist.pause(500) }));
      const lines = text.split("\n");
      lines.splice(line + 1, 0, lineText);
      text = lines.join("\n");
      // The next spots' line numbers are in the original file; account for the lines added above them.
      for (let i = 0; i < candidates.length; i++) if ((candidates[i] as number) > line) candidates[i] = (candidates[i] as number) + 1;
    }
    return {
      format: TRACE_FORMAT,
      version: TRACE_VERSION,
      name: "long-file-edits",
      description: "Opens a 1,471-line JavaScript file (ws's websocket.js), jumps to three places deep in it, rewrites the end of a statement and adds a similar one under it.",
      workspaces: [{ id: "ws" }],
      files: [{ id: "f1", workspace: "ws", path: "lib/websocket.js", languageId: "javascript", text: src.text }],
      events,
      provenance: { generator: TRACE_GENERATOR, seed, sources: [sourceCredit(src)] },
    };
  },
};

/** Many short new lines: a function body typed line by line, where Enter comes every few keys. */
const newLines: TraceRecipe = {
  name: "multi-line-body",
  build(root) {
    const src = source(root, "node_modules/ws/lib/buffer-util.js", "javascript", WS_LICENSE);
    const lines = findLines(src.text, "function toBuffer(data) {", "return buf;");
    return typingTraceFromSource({
      name: "multi-line-body",
      description: "Types a 16-line JavaScript function (ws's toBuffer) line by line into its 142-line file: short lines, an Enter every 20 keys or so.",
      seed: 5,
      source: src,
      startLine: lines.startLine + 1,
      endLine: lines.endLine,
      filePath: "lib/buffer-util.js",
      workspace: "ws",
    });
  },
};

/** One window, two files of one workspace: the code and its test, in turn. */
const switchFiles: TraceRecipe = {
  name: "switch-files",
  build(root) {
    const seed = 6;
    const typist = new Typist(seed);
    const code = source(root, "daemon/src/prompt/context-ring.ts", "typescript");
    const test = source(root, "test/daemon/unit/context-ring.test.ts", "typescript");
    const codeLines = findLines(code.text, "  add(chunk: RingChunk): void {", "this.pending.push(chunk);");
    const testLines = findLines(test.text, "never offers a document its own chunks", "ring.add(");
    const codeCut = cutLines(code.text, codeLines.startLine + 1, codeLines.endLine);
    const testCut = cutLines(test.text, testLines.startLine + 1, testLines.endLine);
    const halves = (typed: string): [string, string] => {
      const lines = typed.split("\n");
      const cut = Math.max(1, Math.floor(lines.length / 2));
      return [lines.slice(0, cut).join("\n"), `\n${lines.slice(cut).join("\n")}`];
    };
    const [c1, c2] = halves(codeCut.typed);
    const [t1, t2] = halves(testCut.typed);
    const events: TraceEvent[] = [
      { type: "open", delayMs: 0, file: "code", line: codeCut.line, character: 0 },
      ...typist.type(c1, { firstDelayMs: typist.pause(800) }),
      { type: "open", delayMs: typist.pause(1200), file: "test", line: testCut.line, character: 0 },
      ...typist.type(t1, { firstDelayMs: typist.pause(900) }),
      { type: "focus", delayMs: typist.pause(1000), file: "code" },
      ...typist.type(c2, { firstDelayMs: typist.pause(600) }),
      { type: "focus", delayMs: typist.pause(1000), file: "test" },
      ...typist.type(t2, { firstDelayMs: typist.pause(600) }),
    ];
    return {
      format: TRACE_FORMAT,
      version: TRACE_VERSION,
      name: "switch-files",
      description: "One window, two files of one workspace (the context ring and its unit test): types half of a method, half of a test, then the rest of each, switching back and forth.",
      workspaces: [{ id: "hearth" }],
      files: [
        { id: "code", workspace: "hearth", path: "daemon/src/prompt/context-ring.ts", languageId: "typescript", text: codeCut.text },
        { id: "test", workspace: "hearth", path: "test/daemon/unit/context-ring.test.ts", languageId: "typescript", text: testCut.text },
      ],
      events,
      provenance: { generator: TRACE_GENERATOR, seed, sources: [sourceCredit(code, `${codeLines.startLine + 1}-${codeLines.endLine}`), sourceCredit(test, `${testLines.startLine + 1}-${testLines.endLine - 1}`)] },
    };
  },
};

/** Two windows, two workspaces: alternate between the project's TypeScript and vscode-jsonrpc's JavaScript. */
const twoWorkspaces: TraceRecipe = {
  name: "two-workspaces",
  build(root) {
    const seed = 4;
    const typist = new Typist(seed);
    const a = source(root, "daemon/src/cli/common.ts", "typescript");
    const b = source(root, "node_modules/vscode-jsonrpc/lib/common/messages.js", "javascript", JSONRPC_LICENSE);
    const aLines = findLines(a.text, "export function homeFrom(", "return home ?");
    const bLines = findLines(b.text, "constructor(method) {", "exports.RequestType7 = RequestType7;", "class RequestType7 extends");
    const aCut = cutLines(a.text, aLines.startLine, aLines.endLine);
    const bCut = cutLines(b.text, bLines.startLine, bLines.endLine);
    const chunks = (typed: string, at: number[]): string[] => {
      const lines = typed.split("\n");
      const out: string[] = [];
      let from = 0;
      for (const cut of [...at, lines.length]) {
        const part = lines.slice(from, cut).join("\n");
        out.push(from === 0 ? part : `\n${part}`);
        from = cut;
      }
      return out;
    };
    const [a1, a2] = chunks(aCut.typed, [1]);
    const [b1, b2] = chunks(bCut.typed, [2]);
    const events: TraceEvent[] = [
      { type: "open", delayMs: 0, file: "a", line: aCut.line, character: 0 },
      ...typist.type(a1 ?? "", { firstDelayMs: typist.pause(800) }),
      { type: "open", delayMs: typist.pause(1500), file: "b", line: bCut.line, character: 0 },
      ...typist.type(b1 ?? "", { firstDelayMs: typist.pause(900) }),
      { type: "focus", delayMs: typist.pause(1500), file: "a" },
      ...typist.type(a2 ?? "", { firstDelayMs: typist.pause(700) }),
      { type: "focus", delayMs: typist.pause(1500), file: "b" },
      ...typist.type(b2 ?? "", { firstDelayMs: typist.pause(700) }),
    ];
    return {
      format: TRACE_FORMAT,
      version: TRACE_VERSION,
      name: "two-workspaces",
      description: "Two windows on two workspaces (one daemon, two KV caches): types a TypeScript function in one and the end of a JavaScript class in the other, switching back and forth.",
      workspaces: [{ id: "hearth" }, { id: "jsonrpc" }],
      files: [
        { id: "a", workspace: "hearth", path: "daemon/src/cli/common.ts", languageId: "typescript", text: aCut.text },
        { id: "b", workspace: "jsonrpc", path: "lib/common/messages.js", languageId: "javascript", text: bCut.text },
      ],
      events,
      provenance: { generator: TRACE_GENERATOR, seed, sources: [sourceCredit(a, `${aLines.startLine}-${aLines.endLine}`), sourceCredit(b, `${bLines.startLine}-${bLines.endLine}`)] },
    };
  },
};

export const TRACE_RECIPES: readonly TraceRecipe[] = [newFunction, longFile, repetitive, twoWorkspaces, newLines, switchFiles];
