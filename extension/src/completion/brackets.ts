/**
 * A small lexer that finds the brackets in code while skipping strings and comments, for
 * post-processing. It is deliberately rough (no template-literal nesting, no heredocs):
 * it only has to tell a completion's real brackets from ones quoted in text.
 */

export const OPENERS: Readonly<Record<string, string>> = { "(": ")", "[": "]", "{": "}" };
export const CLOSERS: Readonly<Record<string, string>> = { ")": "(", "]": "[", "}": "{" };

export interface LexState {
  /** The quote character of the string we are in, or null in code. */
  quote: string | null;
  blockComment: boolean;
  /** Inside a line comment that runs to the end of the text scanned so far. */
  lineComment: boolean;
}

export interface CommentSyntax {
  line: readonly string[];
  block: readonly [string, string] | null;
}

const HASH_LANGUAGES = new Set(["python", "shellscript", "ruby", "perl", "r", "yaml", "toml", "dockerfile", "makefile", "powershell", "coffeescript", "elixir", "julia", "nim", "crystal"]);
const DASH_LANGUAGES = new Set(["sql", "lua", "haskell", "elm", "ada"]);

export function commentSyntax(languageId: string): CommentSyntax {
  if (HASH_LANGUAGES.has(languageId)) return { line: ["#"], block: null };
  if (DASH_LANGUAGES.has(languageId)) return { line: ["--"], block: null };
  return { line: ["//"], block: ["/*", "*/"] };
}

export const initialLexState = (): LexState => ({ quote: null, blockComment: false, lineComment: false });

/**
 * Walks `text` from `state` (mutated), calling `onBracket` for each bracket in code.
 * `onBracket` may return false to stop the walk. Returns the index where it stopped.
 */
export function scanBrackets(text: string, state: LexState, syntax: CommentSyntax, onBracket: (char: string, index: number) => boolean | void): number {
  let i = 0;
  while (i < text.length) {
    const ch = text[i] ?? "";
    if (state.lineComment) {
      if (ch === "\n") state.lineComment = false;
      i++;
      continue;
    }
    if (state.blockComment) {
      const end = syntax.block?.[1] ?? "";
      if (text.startsWith(end, i)) {
        state.blockComment = false;
        i += end.length;
      } else i++;
      continue;
    }
    if (state.quote !== null) {
      if (ch === "\\") i += 2;
      else {
        // A line ends a plain string (an unterminated quote in the prefix must not swallow the completion).
        if (ch === state.quote || (ch === "\n" && state.quote !== "`")) state.quote = null;
        i++;
      }
      continue;
    }
    if (syntax.block !== null && text.startsWith(syntax.block[0], i)) {
      state.blockComment = true;
      i += syntax.block[0].length;
      continue;
    }
    if (syntax.line.some((marker) => text.startsWith(marker, i))) {
      state.lineComment = true;
      continue;
    }
    if (ch === '"' || ch === "'" || ch === "`") {
      state.quote = ch;
      i++;
      continue;
    }
    if ((ch in OPENERS || ch in CLOSERS) && onBracket(ch, i) === false) return i;
    i++;
  }
  return i;
}
