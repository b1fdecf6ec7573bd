/**
 * The function around the cursor, for Explain Selection with nothing selected, when the
 * language has no document-symbol provider to ask (or it finds nothing). Heuristic: the
 * nearest line above that looks like a function or method header and whose body (braces
 * matched, or indentation for Python-like languages) contains the cursor; else the block of
 * non-blank lines around the cursor. vscode-free.
 */
import { commentSyntax, initialLexState, scanBrackets } from "../completion/brackets.js";

export interface LineRange {
  /** First and last line, inclusive, zero-based. */
  startLine: number;
  endLine: number;
}

const HEADERS: readonly RegExp[] = [
  /^\s*(export\s+)?(default\s+)?(async\s+)?function\b/,
  /^\s*(export\s+)?(const|let|var)\s+[\w$]+\s*(:[^=]+)?=\s*(async\s+)?(function\b|(\([^)]*\)|[\w$]+)\s*(:[^=]+)?=>)/,
  /^\s*(async\s+)?def\s+\w+/,
  /^\s*(pub(\([\w:]+\))?\s+)?(async\s+)?(unsafe\s+)?fn\s+\w+/,
  /^\s*func\s+/,
  /^\s*(public|private|protected|internal|static|override|async|final|virtual|abstract|\s)*[\w$<>[\],.?]+\s+[\w$]+\s*\([^;]*\)\s*(\{|throws\b|$)/,
  /^\s*(public|private|protected|static|async|get|set|\s)*[\w$]+\s*\([^;]*\)\s*(:\s*[^{]+)?\{\s*$/,
];

const indentOf = (line: string): number => (/^[ \t]*/.exec(line)?.[0] ?? "").replace(/\t/g, "    ").length;

export function isFunctionHeader(line: string): boolean {
  return !/^\s*(if|for|while|switch|catch|return|else)\b/.test(line) && HEADERS.some((re) => re.test(line));
}

/** Where the body that starts at `header` ends, or null when it cannot tell. */
function bodyEnd(lines: readonly string[], header: number, languageId: string): number | null {
  const syntax = commentSyntax(languageId);
  const usesBraces = !["python", "yaml", "coffeescript", "nim"].includes(languageId);
  if (usesBraces) {
    const state = initialLexState();
    let depth = 0;
    let opened = false;
    for (let line = header; line < lines.length; line++) {
      let closedHere = false;
      scanBrackets(`${lines[line] ?? ""}\n`, state, syntax, (ch) => {
        if (ch === "{") {
          depth++;
          opened = true;
        } else if (ch === "}" && opened) {
          depth--;
          if (depth === 0) {
            closedHere = true;
            return false;
          }
        }
        return true;
      });
      if (closedHere) return line;
      // A header with no brace within a few lines is a declaration, not a definition.
      if (!opened && line - header > 3) return null;
    }
    return null;
  }
  const base = indentOf(lines[header] ?? "");
  let end = header;
  for (let line = header + 1; line < lines.length; line++) {
    const text = lines[line] ?? "";
    if (text.trim() === "") continue;
    if (indentOf(text) <= base) break;
    end = line;
  }
  return end;
}

export function enclosingFunction(lines: readonly string[], cursorLine: number, languageId: string): LineRange {
  for (let line = Math.min(cursorLine, lines.length - 1); line >= 0; line--) {
    if (!isFunctionHeader(lines[line] ?? "")) continue;
    const end = bodyEnd(lines, line, languageId);
    if (end !== null && end >= cursorLine) return { startLine: line, endLine: end };
  }
  return paragraphAround(lines, cursorLine);
}

/** The run of non-blank lines around the cursor (the cursor's line when it is blank). */
export function paragraphAround(lines: readonly string[], cursorLine: number): LineRange {
  const blank = (i: number): boolean => (lines[i] ?? "").trim() === "";
  if (blank(cursorLine)) return { startLine: cursorLine, endLine: cursorLine };
  let start = cursorLine;
  let end = cursorLine;
  while (start > 0 && !blank(start - 1)) start--;
  while (end < lines.length - 1 && !blank(end + 1)) end++;
  return { startLine: start, endLine: end };
}
