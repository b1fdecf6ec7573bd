/**
 * What a next-edit suggestion looks like and does, without VS Code: how an edit is shown
 * relative to the cursor, the jump hint's wording, and the text once the edits are applied
 * (the tests compare the editor's document with this).
 */
import type { Position, Range } from "../../../daemon/src/protocol.js";

export interface PlainEdit {
  range: Range;
  newText: string;
}

/**
 * How a suggestion is drawn: as ghost text (an insertion exactly at the cursor, through the
 * inline completion provider), beside the cursor's line, or far away behind a jump hint.
 */
export type NextEditPresentation = "ghost" | "beside" | "jump";

/** Lines between the cursor and an edit within which Tab accepts at once instead of jumping. */
export const NEARBY_LINES = 2;

/** "ghost" for one insertion exactly at the cursor; else as presentationOf. */
export function displayOf(edits: readonly PlainEdit[], cursor: Position): NextEditPresentation {
  return isInsertionAt(edits, cursor) ? "ghost" : presentationOf(edits, cursor.line);
}

/**
 * "jump" when any edit lies more than NEARBY_LINES lines from the cursor's line (an edit
 * whose lines include the cursor's is 0 away), as the daemon classifies edits.
 */
export function presentationOf(edits: readonly PlainEdit[], cursorLine: number): "beside" | "jump" {
  const distance = (edit: PlainEdit): number => (cursorLine < edit.range.start.line ? edit.range.start.line - cursorLine : cursorLine > edit.range.end.line ? cursorLine - edit.range.end.line : 0);
  return edits.some((edit) => distance(edit) > NEARBY_LINES) ? "jump" : "beside";
}

/** The hint drawn at the cursor for an edit elsewhere; `line` is 0-based, the hint 1-based like the gutter. */
export function jumpHint(line: number): string {
  return `→ line ${line + 1} · Tab`;
}

/** How new text reads in a one-line `after` decoration: line breaks shown as ⏎, trimmed to `maxChars`. */
export function previewText(newText: string, maxChars = 120): string {
  const oneLine = newText.replace(/\r?\n/g, " ⏎ ");
  return oneLine.length > maxChars ? `${oneLine.slice(0, maxChars - 1)}…` : oneLine;
}

function offsetOf(lineStarts: readonly number[], text: string, position: Position): number {
  const start = lineStarts[position.line];
  if (start === undefined) throw new RangeError(`line ${position.line} is past the end of the text (${lineStarts.length} lines)`);
  const nextStart = lineStarts[position.line + 1];
  const lineEnd = nextStart === undefined ? text.length : nextStart - (text[nextStart - 2] === "\r" ? 2 : 1);
  if (position.character > lineEnd - start) throw new RangeError(`character ${position.character} is past the end of line ${position.line}`);
  return start + position.character;
}

/**
 * The text with every edit applied: ranges are in the text as it is now, in document order,
 * and must not overlap (the daemon's contract); an edit that breaks this throws.
 */
export function applyEdits(text: string, edits: readonly PlainEdit[]): string {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") lineStarts.push(i + 1);
  let result = "";
  let consumed = 0;
  for (const edit of edits) {
    const start = offsetOf(lineStarts, text, edit.range.start);
    const end = offsetOf(lineStarts, text, edit.range.end);
    if (start < consumed || end < start) throw new RangeError("edits overlap or are out of order");
    result += text.slice(consumed, start) + edit.newText;
    consumed = end;
  }
  return result + text.slice(consumed);
}

/** An insertion exactly at the cursor (the only kind ghost text can show). */
export function isInsertionAt(edits: readonly PlainEdit[], cursor: Position): boolean {
  const only = edits.length === 1 ? edits[0] : undefined;
  if (only === undefined) return false;
  const { start, end } = only.range;
  return start.line === end.line && start.character === end.character && start.line === cursor.line && start.character === cursor.character && only.newText.length > 0;
}
