/**
 * Decides where a streamed completion ends. Pure, so the rules are tested as data.
 *
 * - line mode (the cursor sits before other text on its line): the first newline ends it.
 * - block mode (the cursor is at the end of its line): whole lines follow until the code
 *   leaves the cursor's block (a line indented less than the cursor's line, or a closing
 *   line back at its level after deeper lines), repeats the suffix's next line or the line
 *   before it, or runs past `maxLines`.
 */

export type CompletionMode = "line" | "block";

export interface StopContext {
  mode: CompletionMode;
  /** Indentation of the cursor's line. */
  indent: string;
  /** The first non-blank line after the cursor's line, trimmed ("" when none). */
  nextSuffixLine: string;
  maxLines: number;
}

export interface StopDecision {
  /** The completion as it should be shown (possibly shorter than what was generated). */
  text: string;
  stop: boolean;
}

/** What a completion may stream before it ends: its whole lines (the last line may still change), trailing blanks off. */
export function streamableText(generated: string): string {
  const lastNewline = generated.lastIndexOf("\n");
  return (lastNewline === -1 ? generated : generated.slice(0, lastNewline)).replace(/\s+$/, "");
}

export function pickMode(lineSuffix: string, requested: "auto" | "line" | "block" | undefined): CompletionMode {
  if (requested === "line" || requested === "block") return requested;
  return lineSuffix.trim().length > 0 ? "line" : "block";
}

export function firstNonBlankLine(text: string): string {
  for (const line of text.split("\n")) {
    if (line.trim().length > 0) return line.trim();
  }
  return "";
}

function indentWidth(line: string): number {
  let width = 0;
  for (const ch of line) {
    if (ch === " ") width += 1;
    else if (ch === "\t") width += 4;
    else break;
  }
  return width;
}

const CLOSING_LINE = /^[)\]}]+[;,)]*$/;

/** Looks at everything generated so far and says whether to stop, and what to keep. */
export function decideStop(generated: string, context: StopContext): StopDecision {
  if (context.mode === "line") {
    const newline = generated.indexOf("\n");
    return newline === -1 ? { text: generated, stop: false } : { text: generated.slice(0, newline), stop: true };
  }
  const lines = generated.split("\n");
  // Only lines followed by a newline are complete; the last one may still grow.
  const complete = lines.length - 1;
  const base = indentWidth(context.indent);
  let wentDeeper = false;
  let blankRun = 0;
  for (let i = 1; i < complete; i++) {
    const line = lines[i] ?? "";
    const trimmed = line.trim();
    const keep = (count: number): StopDecision => ({ text: lines.slice(0, count).join("\n").replace(/\s+$/, ""), stop: true });
    if (trimmed.length === 0) {
      blankRun++;
      if (blankRun >= 2) return keep(i);
      continue;
    }
    blankRun = 0;
    const width = indentWidth(line);
    if (context.nextSuffixLine !== "" && trimmed === context.nextSuffixLine) return keep(i);
    // A model stuck in a loop repeats lines; the first repeat ends the suggestion.
    if (i >= 1 && line === lines[i - 1] && trimmed.length > 1) return keep(i);
    if (width < base) return keep(i);
    if (width > base) wentDeeper = true;
    else if (wentDeeper) return CLOSING_LINE.test(trimmed) ? keep(i + 1) : keep(i);
    if (i >= context.maxLines) return keep(i);
  }
  return { text: generated, stop: false };
}

/** What to show when generation ended for another reason (end of text, token limit). */
export function finalText(generated: string, context: StopContext): string {
  const decision = decideStop(`${generated}\n`, context);
  return decision.text.replace(/\s+$/, "");
}

/** How a generation's text is judged as it streams: one set for completions, one for explanations. */
export interface GenerationRules {
  /** Given all text generated so far: what may be shown and whether to stop. */
  decide(generated: string): StopDecision;
  /** Text to return when generation ends without `decide` saying so. */
  finish(generated: string): string;
  /** What may stream before the end: the part no later token can change. */
  stable(generated: string): string;
}

/**
 * A completion's rules for a cursor's line and block, for one generation. The stop decision
 * depends only on the generation's complete lines, and once there is one so does the
 * streamable text: both are worked out again only when a newline arrives, so the work per
 * token does not grow with the lines generated so far.
 */
export function completionRules(context: StopContext): GenerationRules {
  /** Where the text's last newline was at the previous call (-1: none yet), and what was said then. */
  let lastNewline = -1;
  let decided: StopDecision | null = null;
  let streamable = "";
  /** Whether `generated` has no newline after the one seen last (looking at the new part only). */
  const sameLines = (generated: string): boolean => {
    const stillThere = lastNewline === -1 || generated.charCodeAt(lastNewline) === 10;
    return stillThere && generated.indexOf("\n", lastNewline + 1) === -1;
  };
  const seen = (generated: string): void => {
    lastNewline = generated.lastIndexOf("\n");
  };
  return {
    decide: (text) => {
      if (decided !== null && !decided.stop && sameLines(text)) return { text, stop: false };
      decided = decideStop(text, context);
      streamable = streamableText(text);
      seen(text);
      return decided;
    },
    finish: (text) => finalText(text, context),
    // Before the first newline the line being written is what streams: only after it do whole lines.
    stable: (text) => (decided !== null && lastNewline !== -1 && sameLines(text) ? streamable : streamableText(text)),
  };
}

/** An explanation streams everything and ends where the model ends (or the token limit). */
export const EXPLANATION_RULES: GenerationRules = {
  decide: (text) => ({ text, stop: false }),
  finish: (text) => text.trim(),
  stable: (text) => text,
};
