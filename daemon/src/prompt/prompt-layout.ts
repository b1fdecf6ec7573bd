/**
 * A prompt layout that holds while the user types, so that Enter costs what any keystroke
 * costs. A fresh layout puts the lines above the cursor before the FIM suffix token and
 * only the cursor line's text after the middle token. Pressing Enter would move the
 * finished line above the suffix, and node-llama-cpp re-evaluates from the first token that
 * differs: the whole suffix, every new line. Instead the layout is held: the part before
 * the middle token stays exactly as it was laid out (the same strings, the same tokens),
 * and everything typed since (finished lines and the current line) goes after the middle
 * token, where the model reads it as the middle it has written so far, which is how FIM
 * models are trained. The layout is laid out anew when the text it holds changes (a
 * cursor jump, an edit above or below), when the typed block passes a bound, and at idle.
 *
 * Pure: text in, decisions out. The engine tokenizes and keeps the token arrays.
 */

/** Lines typed after the middle token before the layout is renewed on the keystroke path. */
export const MAX_HELD_LINES = 32;
/** How much text before the anchor a layout remembers, to see that it has not moved. */
export const ANCHOR_CONTEXT_CHARS = 64;
/** The most text typed after the middle token before the layout is renewed. */
export const MAX_HELD_CHARS = 8192;

export interface HeldLayout<T> {
  /** Other files' chunks as they were formatted into the head. */
  context: string;
  /** The document text right before `anchor` that the head holds (whole lines). */
  above: string;
  /** The document text from the cursor onward that the head holds. */
  suffix: string;
  /** Offset in the document where `above` ends and the middle begins (a line start, or mid-way into a very long line). */
  anchor: number;
  /** The document text right before the anchor (up to ANCHOR_CONTEXT_CHARS), which tells a shifted anchor even when `above` is empty. */
  beforeAnchor: string;
  /** The token budget the layout was fitted to: a prefill-budget cut holds while typing. */
  budget: number;
  /** The prompt up to and including the middle token. */
  head: readonly T[];
}

/**
 * A held layout as it is kept beside a saved KV state (its tokens are the state's own first
 * `headLength` tokens), so that after a restart the first keystroke continues it instead of
 * laying the prompt out anew and re-evaluating everything after the lines typed since.
 */
export type SavedLayout = Omit<HeldLayout<never>, "head"> & { headLength: number };

/** Longest text a saved layout may hold in one field: a file on disk is not trusted. */
const MAX_SAVED_FIELD_CHARS = 1024 * 1024;

export function savedLayoutOf<T>(layout: HeldLayout<T>): SavedLayout {
  const { head, ...rest } = layout;
  return { ...rest, headLength: head.length };
}

/** The layout back over the state's tokens; null when it does not fit them. */
export function heldLayoutFrom<T>(saved: SavedLayout, tokens: readonly T[]): HeldLayout<T> | null {
  if (saved.headLength > tokens.length) return null;
  const { headLength, ...rest } = saved;
  return { ...rest, head: tokens.slice(0, headLength) };
}

/** Reads a saved layout from JSON, refusing anything malformed or oversized. */
export function parseSavedLayout(value: unknown): SavedLayout | null {
  if (typeof value !== "object" || value === null) return null;
  const v = value as Record<string, unknown>;
  const text = (key: string): string | null => (typeof v[key] === "string" && (v[key] as string).length <= MAX_SAVED_FIELD_CHARS ? (v[key] as string) : null);
  const count = (key: string): number | null => (Number.isSafeInteger(v[key]) && (v[key] as number) >= 0 ? (v[key] as number) : null);
  const [context, above, suffix, beforeAnchor] = [text("context"), text("above"), text("suffix"), text("beforeAnchor")];
  const [anchor, budget, headLength] = [count("anchor"), count("budget"), count("headLength")];
  if (context === null || above === null || suffix === null || beforeAnchor === null || anchor === null || budget === null || headLength === null) return null;
  return { context, above, suffix, anchor, beforeAnchor, budget, headLength };
}

export type Continuation =
  | { kind: "held"; middle: string }
  /** The layout still matches the text, but the typed block grew past the bound. */
  | { kind: "overflow" }
  /** The text the head holds changed, or the cursor left the typed block: lay out anew. */
  | { kind: "moved" };

/**
 * Whether `layout` still describes `text` with the cursor at `cursor`, and if so the
 * middle to append after the head: the text from the anchor to the cursor.
 */
export function continueLayout<T>(layout: HeldLayout<T>, text: string, cursor: number, context: string): Continuation {
  if (context !== layout.context) return { kind: "moved" };
  if (cursor < layout.anchor || layout.anchor < layout.above.length || layout.anchor < layout.beforeAnchor.length) return { kind: "moved" };
  if (!text.startsWith(layout.suffix, cursor + closerGap(text, cursor, layout.suffix))) return { kind: "moved" };
  if (text.slice(layout.anchor - layout.above.length, layout.anchor) !== layout.above) return { kind: "moved" };
  // Text before the anchor unchanged too: else the anchor's offset no longer points where
  // the layout began, and the middle would not be the text between prefix and suffix.
  if (!text.startsWith(layout.beforeAnchor, layout.anchor - layout.beforeAnchor.length)) return { kind: "moved" };
  if (cursor - layout.anchor > MAX_HELD_CHARS) return { kind: "overflow" };
  const middle = text.slice(layout.anchor, cursor);
  if (countNewlines(middle) > MAX_HELD_LINES) return { kind: "overflow" };
  return { kind: "held", middle };
}

/** Closing characters an editor inserts after the cursor as the user types their opener. */
const AUTO_CLOSERS = /^[)\]}>"'`]{1,4}$/;

/**
 * How many auto-inserted closers sit between the cursor and the held suffix: typing `(`
 * makes the editor insert `()` with the cursor between, so the text after the cursor is
 * `)` plus the suffix the layout holds. The layout stays held (the model sees the closer
 * once it is typed over, or at the next renewal; the client drops a closer the document
 * already has from a suggestion), instead of the whole suffix being evaluated again for
 * every bracket and quote. 0 when the suffix follows the cursor directly or no such gap fits.
 */
function closerGap(text: string, cursor: number, suffix: string): number {
  if (text.startsWith(suffix, cursor)) return 0;
  for (let gap = 1; gap <= 4; gap++) {
    if (AUTO_CLOSERS.test(text.slice(cursor, cursor + gap)) && text.startsWith(suffix, cursor + gap)) return gap;
  }
  return 0;
}

function countNewlines(text: string): number {
  let count = 0;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) count++;
  return count;
}

/** What the stop rules need to know about the cursor's line, whatever the layout. */
export interface CursorLine {
  /** The cursor line's text after the cursor. */
  lineSuffix: string;
  /** Leading whitespace of the cursor's line. */
  indent: string;
}

export function cursorLine(text: string, cursor: number): CursorLine {
  // Bounded scans: on a 2 MB minified line the stop rules need only the near text.
  const lineStart = cursor === 0 ? 0 : text.lastIndexOf("\n", cursor - 1) + 1;
  const newline = text.indexOf("\n", cursor);
  const lineEnd = Math.min(newline === -1 ? text.length : newline, cursor + 4096);
  return { lineSuffix: text.slice(cursor, lineEnd), indent: /^[ \t]*/.exec(text.slice(lineStart, Math.min(lineEnd, lineStart + 256)))?.[0] ?? "" };
}
