/**
 * What a next-edit prompt format is, as data: how many lines around the cursor the model
 * rewrites and sees, how much history it takes, the special tokens it needs, the texts it
 * reserves, where its output ends, how it renders a prompt and how it reads the rewritten
 * window back. One file per family (sweep.ts, zeta.ts, zeta2.ts, instinct.ts); formats.ts
 * chooses among them.
 *
 * Pure and token-agnostic, like the FIM templates: a prompt is rendered as pieces (special
 * tokens by text, plain text between them) or as chat messages, and the pipeline turns
 * either into the engine's tokens.
 */
import type { PromptPiece } from "../prompt/fim-templates.js";

export type NextEditFormatName = "sweep" | "zeta" | "zeta2" | "instinct";

export const NEXT_EDIT_FORMAT_NAMES: readonly NextEditFormatName[] = ["sweep", "zeta", "zeta2", "instinct"];

/** One event of the edit history, as a prompt shows it. */
export interface HistoryEntry {
  /** The document's path as the prompt names it. */
  path: string;
  /** First line of the region (0-based), in the document after the event. */
  startLine: number;
  oldLines: readonly string[];
  newLines: readonly string[];
  /** The event was a suggestion the user accepted. */
  accepted: boolean;
}

export interface RelatedFile {
  name: string;
  text: string;
}

/** What a format renders from: the window the model rewrites and what it reads around it. */
export interface NextEditPromptInput {
  path: string;
  related: readonly RelatedFile[];
  /** Settled events, oldest first, already cut to the format's budget. */
  history: readonly HistoryEntry[];
  /** Lines above the window shown as context (none for a format without context). */
  above: readonly string[];
  /** The window the model rewrites, as it is now. */
  window: readonly string[];
  /** The same window before the edit in progress (the window itself when there is none). */
  original: readonly string[];
  /** The cursor, within the window. */
  cursor: { line: number; character: number };
  below: readonly string[];
  /** `above` (or the window, without context) starts at the document's first line. */
  atFileStart: boolean;
}

export type RenderedPrompt = { kind: "pieces"; pieces: PromptPiece[] } | { kind: "chat"; system: string; user: string };

export interface NextEditFormat {
  name: NextEditFormatName;
  /** Lines the model rewrites, above and below the cursor's line. */
  window: { above: number; below: number };
  /** Lines shown around the window, read but not rewritten. */
  context: { above: number; below: number };
  /** History events the format takes at most, newest kept. */
  maxHistoryEvents: number;
  /** Tokens of history the format takes at most (counted on the rendered entries), newest kept. */
  historyTokens: number;
  /** Special tokens the vocabulary must have for this format. */
  specialTokens: readonly string[];
  /** Texts the document must not contain: they would read as the format's own markers. */
  reserved: readonly string[];
  /** The output's text ends at the first of these (the engine also stops at end of generation). */
  endMarkers: readonly string[];
  render(input: NextEditPromptInput): RenderedPrompt;
  /** The rewritten window's lines, or null when the output can't be read as one. */
  parse(output: string): string[] | null;
  /**
   * What the model writes when it keeps the window as it is (markers included, up to its end
   * marker), which copy speculation drafts from; absent: the window's lines (`copiedText`).
   */
  unchanged?(input: NextEditPromptInput): string;
}

/** The text a format's output starts by copying: its `unchanged` output, else the window's lines. */
export function copiedText(format: NextEditFormat, input: NextEditPromptInput): string {
  return format.unchanged ? format.unchanged(input) : block(input.window);
}

/** Lines as a block of text, each ending with a newline. */
export function block(lines: readonly string[]): string {
  return lines.map((line) => `${line}\n`).join("");
}

/** The window's text with `marker` at the cursor, lines joined without a final newline. */
export function withCursor(window: readonly string[], cursor: { line: number; character: number }, marker: string): string {
  return window.map((line, i) => (i === cursor.line ? line.slice(0, cursor.character) + marker + line.slice(cursor.character) : line)).join("\n");
}

/** A model's text output as lines: one final newline is the last line's end, not another line. */
export function outputLines(text: string): string[] {
  const body = text.endsWith("\n") ? text.slice(0, -1) : text;
  return body === "" ? [] : body.split("\n");
}

/** The text before the first of `markers` (all of it when none occurs). */
export function cutAtFirst(text: string, markers: readonly string[]): string {
  let end = text.length;
  for (const marker of markers) {
    const at = text.indexOf(marker);
    if (at !== -1 && at < end) end = at;
  }
  return text.slice(0, end);
}

/** A history event as unified-diff lines (`-old`, `+new`) under its hunk header. */
export function unifiedHunk(entry: HistoryEntry): string {
  const header = `@@ -${entry.startLine + 1},${entry.oldLines.length} +${entry.startLine + 1},${entry.newLines.length} @@`;
  return [header, ...entry.oldLines.map((l) => `-${l}`), ...entry.newLines.map((l) => `+${l}`)].join("\n");
}

/** Every text of the input a format reads from the document (or the workspace). */
export function documentTexts(input: NextEditPromptInput): string[] {
  return [
    input.path,
    ...input.related.flatMap((r) => [r.name, r.text]),
    ...input.history.flatMap((h) => [h.path, ...h.oldLines, ...h.newLines]),
    ...input.above,
    ...input.window,
    ...input.original,
    ...input.below,
  ];
}

/** Texts that look like a special token of a common vocabulary: `<|im_end|>`, `<｜fim▁begin｜>`, `<[fim-suffix]>`, `</s>`. */
const SPECIAL_LOOKING = /<\|[^|\s]{1,48}\|>|<｜[^｜\s]{1,48}｜>|<\[[^\]\s]{1,48}\]>|<\/?s>|<(?:fim|file|repo)_[a-z_]{1,24}>/;

/**
 * The first text in the input that looks like a special token, or null: for an engine whose
 * server parses special tokens out of the text it is sent, where such text would reach the
 * model as one.
 */
export function specialLookingTextIn(input: NextEditPromptInput): string | null {
  for (const text of documentTexts(input)) {
    const found = SPECIAL_LOOKING.exec(text);
    if (found) return found[0];
  }
  return null;
}

/** The first of the format's reserved texts the input contains, or null. */
export function reservedTextIn(format: NextEditFormat, input: NextEditPromptInput): string | null {
  const texts = documentTexts(input);
  for (const marker of format.reserved) {
    // A marker may span a line break only if it contains one; none do, so lines suffice.
    if (texts.some((text) => text.includes(marker))) return marker;
  }
  return null;
}
