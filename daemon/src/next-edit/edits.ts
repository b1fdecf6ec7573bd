/**
 * From a rewritten window to the edits a client shows: the window and the model's version
 * compared line by line (the longest common subsequence), each changed run of lines trimmed
 * to the characters that differ (line by line where the run keeps its line count), edits
 * that only take back what the user just did dropped, and each edit classified: an insertion
 * at the cursor (shown as an inline completion), a nearby edit, or a jump to lines away.
 * Pure; positions are LSP's (UTF-16 code units, which JavaScript strings index).
 */

import type { NextEdit, NextEditKind, Position } from "../protocol.js";

export type { Position };

export interface Suggestion {
  edits: NextEdit[];
  /** The share of the model's window (in characters, each line with its newline) that repeats lines of the window as it was: what copy speculation can draft. Null when the output could not be read. */
  copied: number | null;
  /** Where the cursor goes once the edits are accepted (the end of the last one); absent without edits. */
  cursor?: Position;
}

/** An edit of the window's text by offsets (the window's lines joined by newlines). */
interface OffsetEdit {
  start: number;
  end: number;
  newText: string;
}

/** An edit this many lines or fewer from the cursor's line is nearby; farther, a jump. */
const NEARBY_LINES = 2;

/** The line pairs both versions share, in order (classic LCS over at most a few dozen lines). */
function commonLines(a: readonly string[], b: readonly string[]): [number, number][] {
  const n = a.length;
  const m = b.length;
  const table: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    const row = table[i] as number[];
    const below = table[i + 1] as number[];
    for (let j = m - 1; j >= 0; j--) row[j] = a[i] === b[j] ? (below[j + 1] as number) + 1 : Math.max(below[j] as number, row[j + 1] as number);
  }
  const pairs: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      pairs.push([i, j]);
      i++;
      j++;
    } else if ((table[i + 1]?.[j] ?? 0) >= (table[i]?.[j + 1] ?? 0)) i++;
    else j++;
  }
  return pairs;
}

/** The smallest edit turning `oldText` at `offset` into `newText`, or null when they are equal. */
function trimmed(offset: number, oldText: string, newText: string): OffsetEdit | null {
  if (oldText === newText) return null;
  let head = 0;
  const shorter = Math.min(oldText.length, newText.length);
  while (head < shorter && oldText[head] === newText[head]) head++;
  let tail = 0;
  while (tail < shorter - head && oldText[oldText.length - 1 - tail] === newText[newText.length - 1 - tail]) tail++;
  return { start: offset + head, end: offset + oldText.length - tail, newText: newText.slice(head, newText.length - tail) };
}

/** Minimal edits turning the window's lines into `updated`, by offsets in the window's text. */
export function diffWindow(window: readonly string[], updated: readonly string[]): OffsetEdit[] {
  const lineOffsets: number[] = [];
  let offset = 0;
  for (const line of window) {
    lineOffsets.push(offset);
    offset += line.length + 1;
  }
  const offsetOf = (line: number): number => (line < window.length ? (lineOffsets[line] as number) : offset - 1);
  const edits: OffsetEdit[] = [];
  const pairs = [...commonLines(window, updated), [window.length, updated.length] as [number, number]];
  let a = 0;
  let c = 0;
  for (const [b, d] of pairs) {
    if (b > a || d > c) {
      const oldRun = window.slice(a, b);
      const newRun = updated.slice(c, d);
      if (oldRun.length === newRun.length) {
        oldRun.forEach((line, k) => {
          const edit = trimmed(offsetOf(a + k), line, newRun[k] as string);
          if (edit) edits.push(edit);
        });
      } else if (b < window.length) {
        // Lines followed by a kept line: each with its newline.
        const edit = trimmed(offsetOf(a), oldRun.map((l) => `${l}\n`).join(""), newRun.map((l) => `${l}\n`).join(""));
        if (edit) edits.push(edit);
      } else if (a > 0) {
        // The window's last lines: each after the newline before it.
        const edit = trimmed(offsetOf(a - 1) + (window[a - 1] as string).length, oldRun.map((l) => `\n${l}`).join(""), newRun.map((l) => `\n${l}`).join(""));
        if (edit) edits.push(edit);
      } else {
        const edit = trimmed(0, oldRun.join("\n"), newRun.join("\n"));
        if (edit) edits.push(edit);
      }
    }
    a = b + 1;
    c = d + 1;
  }
  return edits;
}

/** A window-text offset as a document position. */
function positionIn(lines: readonly string[], startLine: number, offset: number): Position {
  let line = 0;
  let rest = offset;
  while (line < lines.length - 1 && rest > (lines[line] as string).length) {
    rest -= (lines[line] as string).length + 1;
    line++;
  }
  return { line: startLine + line, character: rest };
}

export interface SuggestInput {
  /** The window now, its first line's number in the document, and the cursor (document position). */
  window: readonly string[];
  startLine: number;
  cursor: Position;
  /** The window before the edit in progress (the window itself when none). */
  original: readonly string[];
  /** The model's rewritten window; null when its output could not be read. */
  updated: readonly string[] | null;
}

export function suggestEdits(input: SuggestInput): Suggestion {
  if (input.updated === null) return { edits: [], copied: null };
  const copied = copiedShare(input.window, input.updated);
  const undo = new Set(diffWindow(input.window, input.original).map(key));
  const edits = diffWindow(input.window, input.updated).filter((edit) => !undo.has(key(edit)));
  if (edits.length === 0) return { edits: [], copied };
  const windowText = input.window.join("\n");
  let shift = 0;
  let cursorOffset = 0;
  for (const edit of edits) {
    cursorOffset = edit.start + shift + edit.newText.length;
    shift += edit.newText.length - (edit.end - edit.start);
  }
  const newText = applyOffsets(windowText, edits);
  return {
    edits: edits.map((edit) => {
      const start = positionIn(input.window, input.startLine, edit.start);
      const end = positionIn(input.window, input.startLine, edit.end);
      return { range: { start, end }, newText: edit.newText, kind: classify(start, end, input.cursor) };
    }),
    cursor: positionIn(newText.split("\n"), input.startLine, cursorOffset),
    copied,
  };
}

/** The share of `updated`'s characters on lines it shares, in order, with `window`. */
export function copiedShare(window: readonly string[], updated: readonly string[]): number {
  const total = updated.reduce((n, line) => n + line.length + 1, 0);
  if (total === 0) return 1;
  const kept = commonLines(window, updated).reduce((n, [, j]) => n + (updated[j] as string).length + 1, 0);
  return Math.round((kept / total) * 1000) / 1000;
}

function key(edit: OffsetEdit): string {
  return `${edit.start}:${edit.end}:${edit.newText}`;
}

function applyOffsets(text: string, edits: readonly OffsetEdit[]): string {
  let out = "";
  let at = 0;
  for (const edit of edits) {
    out += text.slice(at, edit.start) + edit.newText;
    at = edit.end;
  }
  return out + text.slice(at);
}

function classify(start: Position, end: Position, cursor: Position): NextEditKind {
  if (start.line === end.line && start.character === end.character && start.line === cursor.line && start.character === cursor.character) return "insertion";
  const distance = cursor.line < start.line ? start.line - cursor.line : cursor.line > end.line ? cursor.line - end.line : 0;
  return distance <= NEARBY_LINES ? "nearby" : "jump";
}
