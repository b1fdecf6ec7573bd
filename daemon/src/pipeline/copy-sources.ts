/**
 * What a next edit's output is expected to copy, for copy speculation: the window as the
 * model writes it when it changes nothing, and, when the edit in progress renames an
 * identifier, the same window with the rename carried through every other use of the old
 * name, which is what a next-edit model most often writes then. The engine drafts from
 * whichever the output follows (engine/predictors/lookup-predictor.ts); a wrong guess costs
 * only refuted drafts, never a different output.
 */
import { copiedText, type NextEditFormat, type NextEditPromptInput } from "../next-edit/format.js";

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const WORD_CHAR = /[\w$]/;

/** The texts the output is expected to copy, most likely first. */
export function copySources(format: NextEditFormat, input: NextEditPromptInput): string[] {
  const plain = copiedText(format, input);
  const rename = renameInProgress(input.original, input.window);
  if (rename === null) return [plain];
  const uses = new RegExp(`(?<![\\w$])${escapeRegExp(rename.from)}(?![\\w$])`, "g");
  const carried = copiedText(format, { ...input, window: input.window.map((line) => line.replace(uses, rename.to)) });
  return carried === plain ? [plain] : [plain, carried];
}

/**
 * The rename the edit in progress makes, when it makes one: the window before it and now
 * differ on one line, where one identifier was replaced by another (the change widened to
 * whole words). Null for any other edit, or none.
 */
export function renameInProgress(before: readonly string[], after: readonly string[]): { from: string; to: string } | null {
  if (before.length !== after.length) return null;
  const changed = before.map((line, i) => (line === after[i] ? -1 : i)).filter((i) => i !== -1);
  if (changed.length !== 1) return null;
  const a = before[changed[0] as number] as string;
  const b = after[changed[0] as number] as string;
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let end = 0;
  while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end]) end++;
  // Widen to whole words: the shared text around the change is the same on both sides.
  while (start > 0 && WORD_CHAR.test(a[start - 1] as string)) start--;
  while (end > 0 && WORD_CHAR.test(a[a.length - end] as string)) end--;
  const from = a.slice(start, a.length - end);
  const to = b.slice(start, b.length - end);
  return from !== to && IDENTIFIER.test(from) && IDENTIFIER.test(to) ? { from, to } : null;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
