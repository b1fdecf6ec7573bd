/**
 * Lays out a fill-in-the-middle prompt so that the part that changes on each keystroke comes
 * last. node-llama-cpp re-evaluates from the first token that differs from the KV cache, so
 * the order is: context from other files, the lines above the cursor, the suffix, the
 * middle token, and only then the current line's text before the cursor. Typing within a
 * line then costs the few tokens of that line; the suffix stays cached.
 *
 * Pure: text in, segments out. Tokenization happens in the engine.
 */

export interface FimPromptOptions {
  /** Lines above the cursor line to include (the window moves in steps of `prefixStepLines`). */
  maxPrefixLines: number;
  /** Lines below the cursor line to include. */
  maxSuffixLines: number;
  /** The prefix window's first line moves only in steps this big, so the cache survives scrolling. */
  prefixStepLines: number;
}

export const defaultFimPromptOptions: FimPromptOptions = { maxPrefixLines: 256, maxSuffixLines: 64, prefixStepLines: 32 };

/**
 * Character caps that keep a prompt's text, and so the tokenizer's work on the event loop,
 * bounded whatever the file: a 2 MB minified line would otherwise be tokenized whole. The
 * cursor's line keeps this much before the cursor (the middle starts mid-line past that).
 */
export const MAX_LINE_PREFIX_CHARS = 2048;
/** Text after the cursor, the rest of its line included. */
export const MAX_SUFFIX_CHARS = 16 * 1024;
/** Whole lines above the cursor's line (fewer lines when they are long). */
export const MAX_ABOVE_CHARS = 64 * 1024;

export interface ContextChunk {
  /** A label such as the file's path, written before the chunk's text. */
  name: string;
  text: string;
}

export interface FimSegments {
  /** Other files' chunks, already joined; "" when none. */
  context: string;
  /** Whole lines above the cursor's line, each ending in "\n". */
  above: string;
  /** Text after the cursor to the end of the suffix window. */
  suffix: string;
  /** The cursor line's text before the cursor; goes after the middle token. */
  linePrefix: string;
  /** The cursor line's text after the cursor. */
  lineSuffix: string;
  /** Leading whitespace of the cursor's line. */
  indent: string;
  /**
   * Offset in the document where `above` ends and `linePrefix` begins: the cursor line's
   * start, or a point in it MAX_LINE_PREFIX_CHARS before the cursor on a very long line.
   */
  anchor: number;
}

function lineStartOffsets(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

export function formatContextChunks(chunks: readonly ContextChunk[]): string {
  return chunks.map((chunk) => `// ${chunk.name}\n${chunk.text.endsWith("\n") ? chunk.text : `${chunk.text}\n`}`).join("");
}

export function buildFimSegments(
  text: string,
  cursorOffset: number,
  chunks: readonly ContextChunk[] = [],
  options: FimPromptOptions = defaultFimPromptOptions,
): FimSegments {
  const starts = lineStartOffsets(text);
  let cursorLine = 0;
  while (cursorLine + 1 < starts.length && (starts[cursorLine + 1] ?? Infinity) <= cursorOffset) cursorLine++;
  const lineStart = starts[cursorLine] ?? 0;
  const nextLineStart = starts[cursorLine + 1];
  const lineEnd = nextLineStart === undefined ? text.length : nextLineStart - 1;

  // A line too long to send whole is entered mid-way: nothing above it goes with it.
  const longLine = cursorOffset - lineStart > MAX_LINE_PREFIX_CHARS;
  const anchor = longLine ? cursorOffset - MAX_LINE_PREFIX_CHARS : lineStart;
  const firstWanted = Math.max(0, cursorLine - options.maxPrefixLines);
  let firstLine = firstWanted - (firstWanted % options.prefixStepLines);
  while (firstLine < cursorLine && lineStart - (starts[firstLine] ?? 0) > MAX_ABOVE_CHARS) firstLine++;
  const above = longLine ? "" : text.slice(starts[firstLine] ?? 0, lineStart);

  const suffixEndLine = cursorLine + 1 + options.maxSuffixLines;
  const suffixEnd = Math.min(starts[suffixEndLine] ?? text.length, cursorOffset + MAX_SUFFIX_CHARS);
  const linePrefix = text.slice(anchor, cursorOffset);
  const lineSuffix = text.slice(cursorOffset, Math.min(lineEnd, suffixEnd));
  const indent = /^[ \t]*/.exec(text.slice(lineStart, Math.min(lineEnd, lineStart + 256)))?.[0] ?? "";
  return {
    context: formatContextChunks(chunks),
    above,
    suffix: text.slice(cursorOffset, suffixEnd),
    linePrefix,
    lineSuffix,
    indent,
    anchor,
  };
}

/**
 * Shrinks the segments until their tokens fit `budget`: the suffix to a quarter of it (cut
 * at line ends), other files' context next, then whole lines off the top of `above`, in
 * steps of `stepLines` so the prompt's first tokens (and the cache) stay put while the
 * cursor moves down a few lines.
 */
export function fitSegments(segments: FimSegments, countTokens: (text: string) => number, budget: number, stepLines = defaultFimPromptOptions.prefixStepLines): FimSegments {
  const fitted = { ...segments };
  let suffixLines = fitted.suffix.split("\n");
  while (suffixLines.length > 1 && countTokens(fitted.suffix) > budget / 4) {
    suffixLines = suffixLines.slice(0, Math.max(1, Math.floor(suffixLines.length * 0.75)));
    fitted.suffix = suffixLines.join("\n");
  }
  // The line being typed gets a fixed reserve rather than its actual length, so where
  // `above` is cut doesn't move with each keystroke (that would miss the cache every time).
  const linePrefixReserve = Math.max(countTokens(fitted.linePrefix), Math.floor(budget / 8));
  const fixed = (): number => countTokens(fitted.suffix) + linePrefixReserve + 3;
  if (countTokens(fitted.context) + countTokens(fitted.above) + fixed() > budget) fitted.context = "";
  const aboveLines = fitted.above.split("\n");
  // The line counts the cut may leave: steps of `stepLines` while many remain, then single
  // lines. Tokens only shrink along that list, so a binary search finds the first that fits
  // with a handful of tokenizations instead of one per step (a 64 KiB window has hundreds).
  const lengths: number[] = [];
  for (let length = aboveLines.length; length >= 1; length -= length > stepLines * 2 ? stepLines : 1) lengths.push(length);
  const fits = (length: number): boolean => countTokens(aboveLines.slice(aboveLines.length - length).join("\n")) + fixed() <= budget;
  let low = 0;
  let high = lengths.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (fits(lengths[mid] ?? 0)) high = mid;
    else low = mid + 1;
  }
  const kept = lengths[low];
  // lower bound: `kept` was checked to fit, or nothing does.
  fitted.above = kept === undefined ? "" : aboveLines.slice(aboveLines.length - kept).join("\n");
  return fitted;
}
