/**
 * What the editor shows of a raw completion. The model continues the text at the cursor
 * without seeing how the editor will show it; these steps (Tabby's and Continue's lessons)
 * make the suggestion fit: one line in the middle of a line, no repeat of what already
 * follows the cursor, no bracket the document already closes, the document's indentation
 * style. Each step is a pure function; the golden cases in test/fixtures/completion run the
 * whole pipeline. vscode-free so it is unit-tested in plain Node.
 */
import { CLOSERS, OPENERS, commentSyntax, initialLexState, scanBrackets } from "./brackets.js";

export interface PostProcessInput {
  /** Text before the cursor; a window is enough if it holds the whole current line. */
  prefix: string;
  /** Text after the cursor; a window of a few lines is enough. */
  suffix: string;
  /** The daemon's suggestion, as generated. */
  completion: string;
  languageId: string;
  insertSpaces: boolean;
  tabSize: number;
  eol: "\n" | "\r\n";
  /** Generation stopped at its token limit, so the last line may be cut in the middle. */
  truncated?: boolean;
}

export interface PostProcessResult {
  /** What to show; empty means show nothing. */
  text: string;
  /**
   * How many characters after the cursor the suggestion replaces: closing brackets and
   * quotes the editor typed itself, which the suggestion brings in their place.
   */
  replaceChars: number;
  /** The steps that changed the text, in order (for logs and the golden files). */
  changedBy: string[];
}

interface Context {
  input: PostProcessInput;
  /** The current line up to the cursor. */
  linePrefix: string;
  /** The current line after the cursor (without what the suggestion replaces). */
  lineSuffix: string;
  /** Characters after the cursor the suggestion replaces (see PostProcessResult). */
  replaceChars: number;
  /** The lines after the current one. */
  nextLines: string[];
  /** The cursor has code after it on its line: the suggestion must stay on this line. */
  midLine: boolean;
}

/** A step may update the context (only `lineSuffix` and `replaceChars`) for the steps after it. */
type Step = (text: string, context: Context) => string;

export function postProcess(input: PostProcessInput): PostProcessResult {
  const context = contextOf(input);
  const changedBy: string[] = [];
  let text = input.completion.replace(/\r\n/g, "\n");
  for (const [name, step] of STEPS) {
    const replacedBefore = context.replaceChars;
    const next = step(text, context);
    if (next !== text || context.replaceChars !== replacedBefore) changedBy.push(name);
    text = next;
    if (text === "") break;
  }
  return { text: input.eol === "\r\n" ? text.replace(/\n/g, "\r\n") : text, changedBy, replaceChars: text === "" ? 0 : context.replaceChars };
}

function contextOf(input: PostProcessInput): Context {
  const prefix = input.prefix.replace(/\r\n/g, "\n");
  const suffix = input.suffix.replace(/\r\n/g, "\n");
  const linePrefix = prefix.slice(prefix.lastIndexOf("\n") + 1);
  const newline = suffix.indexOf("\n");
  const lineSuffix = newline === -1 ? suffix : suffix.slice(0, newline);
  const nextLines = newline === -1 ? [] : suffix.slice(newline + 1).split("\n");
  return { input, linePrefix, lineSuffix, replaceChars: 0, nextLines, midLine: lineSuffix.trim() !== "" };
}

const isBlank = (s: string): boolean => s.trim() === "";
const leadingWhitespace = (s: string): string => /^[ \t]*/.exec(s)?.[0] ?? "";

/** "x = " followed by " 1" would show "x =  1": the space is already typed. */
const trimSpaceAlreadyTyped: Step = (text, { linePrefix }) =>
  !isBlank(linePrefix) && /[ \t]$/.test(linePrefix) ? text.replace(/^[ \t]+/, "") : text;

/** In the middle of a line a suggestion that spills onto new lines would break the line in two. */
const singleLineMidLine: Step = (text, { midLine }) => {
  if (!midLine) return text;
  const newline = text.indexOf("\n");
  return newline === -1 ? text : text.slice(0, newline);
};

/**
 * The rest of the line is only closing brackets and quotes (the editor auto-closed them)
 * and the suggestion's first line brings them itself, in order: let the suggestion replace
 * them instead of cutting it short ("foo(" + ")" with "a, b);" becomes "foo(a, b);").
 */
const absorbAutoClosed: Step = (text, context) => {
  const closers = context.lineSuffix.trimEnd();
  if (closers === "" || !/^[)\]}>'"`;,]+$/.test(closers)) return text;
  const firstLine = text.split("\n", 1)[0] ?? "";
  let at = 0;
  for (const ch of firstLine) if (ch === closers[at]) at++;
  if (at < closers.length) return text;
  context.replaceChars = closers.length;
  context.lineSuffix = context.lineSuffix.slice(closers.length);
  return text;
};

/**
 * A multi-line suggestion that reaches a line the document already has after the cursor is
 * repeating the document: keep what comes before that line. Short lines ("}", "end") only
 * count with their indentation, longer ones by their content.
 */
const stopAtRepeatedNextLine: Step = (text, { linePrefix, nextLines, midLine }) => {
  if (midLine) return text;
  const next = nextLines.find((line) => !isBlank(line));
  if (next === undefined) return text;
  const lines = text.split("\n");
  // The first line continues the cursor's line: it is a whole line only when nothing precedes it.
  const first = isBlank(linePrefix) ? 0 : 1;
  for (let i = first; i < lines.length; i++) {
    const line = i === 0 ? linePrefix + (lines[0] ?? "") : (lines[i] ?? "");
    if (isBlank(line)) continue;
    const sameContent = line.trim().length >= 10 && line.trim() === next.trim();
    if (line.trimEnd() === next.trimEnd() || sameContent) return lines.slice(0, i).join("\n");
  }
  return text;
};

/**
 * The end of a one-line suggestion repeats the start of what follows the cursor (typically
 * the ")" or "\";" the editor closed already): drop the repeat. Only punctuation, or the
 * whole rest of the line, counts: a shared letter is a coincidence.
 */
const trimSuffixOverlap: Step = (text, { lineSuffix }) => {
  if (text.includes("\n") || lineSuffix === "") return text;
  const whole = lineSuffix.trimEnd();
  for (let k = Math.min(text.length, lineSuffix.length); k > 0; k--) {
    const overlap = lineSuffix.slice(0, k);
    if (!text.endsWith(overlap)) continue;
    if (k === whole.length || /^[\s)\]}>'"`;,.:]+$/.test(overlap)) return text.slice(0, text.length - k);
  }
  return text;
};

/**
 * Brackets: a suggestion that closes a bracket opened before the cursor, when the document
 * already closes it right after the cursor, would close it twice: cut before it. A "}" that
 * closes it where the document does not ends the enclosing block: stop at the end of that
 * line (a ")" or "]" just ends an expression the cursor was in). A closer that matches neither the suggestion's own open bracket nor the one open
 * before the cursor is noise: cut before it.
 */
const balanceBrackets: Step = (text, { input, lineSuffix, nextLines }) => {
  const syntax = commentSyntax(input.languageId);
  const state = initialLexState();
  // Brackets still open at the cursor (as far as the prefix window shows).
  const open: string[] = [];
  scanBrackets(input.prefix.replace(/\r\n/g, "\n"), state, syntax, (ch) => {
    if (ch in OPENERS) open.push(ch);
    else if (open[open.length - 1] === CLOSERS[ch]) open.pop();
  });
  if (state.lineComment || state.blockComment) return text;
  const after = [lineSuffix, ...nextLines].join("\n").trimStart();
  const stack: string[] = [];
  let cut: number | null = null;
  scanBrackets(text, state, syntax, (ch, index) => {
    if (ch in OPENERS) {
      stack.push(ch);
      return true;
    }
    const top = stack.pop();
    if (top !== undefined) {
      if (top === CLOSERS[ch]) return true;
      cut = index;
      return false;
    }
    const outer = open.pop();
    if (outer !== undefined && outer !== CLOSERS[ch]) cut = index;
    else if (after.startsWith(ch)) cut = index;
    else if (ch === "}") {
      // The block around the cursor ends here: what follows belongs to other code.
      const newline = text.indexOf("\n", index);
      if (newline === -1) return true;
      cut = newline;
    } else return true;
    return false;
  });
  if (cut === null) return text;
  const kept = text.slice(0, cut);
  // Cutting before a closer on a line of its own leaves that line's indentation behind.
  return /\n[ \t]*$/.test(kept) ? kept.replace(/\n[ \t]*$/, "") : kept;
};

/** Generation hit its token limit: the last of several lines is probably cut mid-way. */
const dropCutOffLastLine: Step = (text, { input }) => {
  if (!input.truncated) return text;
  const newline = text.lastIndexOf("\n");
  return newline === -1 ? text : text.slice(0, newline);
};

/** Lines after the first take the document's indentation style (tabs or N spaces). */
const matchIndentationStyle: Step = (text, { input }) => {
  const lines = text.split("\n");
  const unit = input.insertSpaces ? " ".repeat(input.tabSize) : "\t";
  return lines
    .map((line, i) => {
      if (i === 0) return line;
      const indent = leadingWhitespace(line);
      const width = [...indent].reduce((n, c) => (c === "\t" ? n + input.tabSize - (n % input.tabSize) : n + 1), 0);
      const styled = input.insertSpaces ? " ".repeat(width) : unit.repeat(Math.floor(width / input.tabSize)) + " ".repeat(width % input.tabSize);
      return styled + line.slice(indent.length);
    })
    .join("\n");
};

/** Trailing spaces and blank lines at the end would leave the cursor somewhere odd. */
const trimTrailingWhitespace: Step = (text) =>
  text
    .split("\n")
    .map((line, i, all) => (i === all.length - 1 || !isBlank(line) ? line.replace(/[ \t]+$/, "") : ""))
    .join("\n")
    .replace(/\s+$/, "");

/** Nothing left, or only what the document already has right after the cursor. */
const dropEmptyOrRepeated: Step = (text, { lineSuffix, nextLines }) => {
  if (isBlank(text)) return "";
  const after = [lineSuffix, ...nextLines].join("\n").trimStart();
  return after.startsWith(text.trim()) ? "" : text;
};

const STEPS: ReadonlyArray<readonly [string, Step]> = [
  ["trimSpaceAlreadyTyped", trimSpaceAlreadyTyped],
  ["singleLineMidLine", singleLineMidLine],
  ["absorbAutoClosed", absorbAutoClosed],
  ["dropCutOffLastLine", dropCutOffLastLine],
  ["stopAtRepeatedNextLine", stopAtRepeatedNextLine],
  ["balanceBrackets", balanceBrackets],
  ["trimSuffixOverlap", trimSuffixOverlap],
  ["matchIndentationStyle", matchIndentationStyle],
  ["trimTrailingWhitespace", trimTrailingWhitespace],
  ["dropEmptyOrRepeated", dropEmptyOrRepeated],
];
