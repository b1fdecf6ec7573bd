/**
 * How the shipped next-edit traces in bench/traces/next-edit are made: three refactorings a
 * next-edit model is for, on real code found by content (so a recipe survives small edits to
 * its source), their edits listed in the order a user goes through them: each typed by hand,
 * or accepted with Tab where the model's window reaches it (next-edit-script.ts).
 * `hearth bench make-traces` runs them.
 *
 * - rename-variable: ws's Sender.frame renames `dataLength` (13 uses over 60 lines): typed
 *   at its declaration, the other uses accepted window by window (a chain of Tabs).
 * - add-parameter: the trace format's `describe(value)` gets a `maxChars` parameter: typed in
 *   the signature, the body's two `40`s accepted, the four call sites typed where no
 *   suggestion reaches them and accepted where one does.
 * - change-field-type: the llama-server client's `Window.current` changes from
 *   `{ cancelled: boolean }` to `AbortController`: typed in the interface, then its seven
 *   uses (`.cancelled = true` → `.abort()`, `token.cancelled` → `token.signal.aborted`), the
 *   same way.
 */
import { identifierUses, locate, nextEditTrace, type RefactorEdit } from "./next-edit-script.js";
import { findLines, source, WS_LICENSE, type TraceRecipe } from "./trace-recipes.js";

/** `find` (on the line holding `anchor`) becomes `replace`. */
function edit(text: string, spec: Parameters<typeof locate>[1], replace: string): RefactorEdit {
  return { ...locate(text, spec), text: replace };
}

const renameVariable: TraceRecipe = {
  name: "rename-variable",
  build(root) {
    const src = source(root, "node_modules/ws/lib/sender.js", "javascript", WS_LICENSE);
    const lines = findLines(src.text, "let dataLength;", "applyMask(data, mask, data, 0, dataLength);");
    const uses = identifierUses(src.text, "dataLength", lines.startLine - 1, lines.endLine - 1);
    return nextEditTrace({
      name: "rename-variable",
      description: `Renames a local variable used in ${uses.length} places over ${lines.endLine - lines.startLine + 1} lines of a function (ws's Sender.frame: dataLength → byteLength): typed at its declaration, the other uses accepted window by window.`,
      seed: 11,
      source: src,
      edits: uses.map((use) => ({ ...use, text: "byteLength" })),
      filePath: "lib/sender.js",
      workspace: "ws",
    });
  },
};

const addParameter: TraceRecipe = {
  name: "add-parameter",
  build(root) {
    const src = source(root, "daemon/src/bench/trace.ts", "typescript");
    const t = src.text;
    const edits: RefactorEdit[] = [
      // The signature, then the body the new parameter replaces a constant in.
      edit(t, { anchor: "function describe(value: unknown): string {", find: "value: unknown" }, "value: unknown, maxChars: number"),
      edit(t, { anchor: "return text.length > 40 ?", find: "40", occurrence: 1 }, "maxChars"),
      edit(t, { anchor: "return text.length > 40 ?", find: "40", occurrence: 2 }, "maxChars"),
      // The call sites, in the order a user fixes them (the compiler's list, top down).
      edit(t, { anchor: "must be a string; got ${describe(value)}", find: "describe(value)" }, "describe(value, 40)"),
      edit(t, { anchor: "must be an integer from ${min} to ${max}; got ${describe(value)}", find: "describe(value)" }, "describe(value, 40)"),
      edit(t, { anchor: "got ${describe(t.format)}", find: "describe(t.format)" }, "describe(t.format, 40)"),
      edit(t, { anchor: "got ${describe(t.version)}", find: "describe(t.version)" }, "describe(t.version, 40)"),
    ];
    return nextEditTrace({
      name: "add-parameter",
      description: "Adds a parameter to a TypeScript function (the trace format's describe(value) gets maxChars) and fixes its body and its four call sites.",
      seed: 12,
      source: src,
      edits,
      filePath: "daemon/src/bench/trace.ts",
      workspace: "hearth",
    });
  },
};

const changeFieldType: TraceRecipe = {
  name: "change-field-type",
  build(root) {
    const src = source(root, "daemon/src/bench/replay-llama-server.ts", "typescript");
    const t = src.text;
    const cancelLine = "if (window.current) window.current.cancelled = true;";
    const edits: RefactorEdit[] = [
      edit(t, { anchor: "current: { cancelled: boolean } | null;", find: "{ cancelled: boolean }" }, "AbortController"),
      edit(t, { anchor: cancelLine, find: "cancelled = true" }, "abort()"),
      edit(t, { anchor: cancelLine, nthLine: 2, find: "cancelled = true" }, "abort()"),
      edit(t, { anchor: "const token = { cancelled: false };", find: "{ cancelled: false }" }, "new AbortController()"),
      edit(t, { anchor: "if (token.cancelled) {", find: "cancelled" }, "signal.aborted"),
      edit(t, { anchor: "if (token.cancelled) {", nthLine: 2, find: "cancelled" }, "signal.aborted"),
      edit(t, { anchor: 'call.outcome = token.cancelled ? "cancelled" : "completed";', find: "token.cancelled" }, "token.signal.aborted"),
      edit(t, { anchor: 'call.outcome = token.cancelled ? "cancelled" : "failed";', find: "token.cancelled" }, "token.signal.aborted"),
    ];
    return nextEditTrace({
      name: "change-field-type",
      description: "Changes a field's type in a TypeScript interface (the llama-server client's Window.current: { cancelled: boolean } → AbortController) and fixes its seven uses.",
      seed: 13,
      source: src,
      edits,
      filePath: "daemon/src/bench/replay-llama-server.ts",
      workspace: "hearth",
    });
  },
};

export const NEXT_EDIT_TRACE_RECIPES: readonly TraceRecipe[] = [renameVariable, addParameter, changeFieldType];
