/**
 * One Tab accepts a suggestion. VS Code lets Tab indent instead when the suggestion, shown
 * at a cursor inside the line's indentation, starts with at least a tab's width of
 * whitespace. On a line of nothing but whitespace, the whitespace after the cursor is what
 * the suggestion's own indentation replaces: the suggestion's range covers it, so VS Code
 * shows the suggestion from where the line's indentation ends (its code first, which one
 * Tab accepts) and the line does not end up with its indentation twice. vscode-free.
 */

/**
 * How many characters after the cursor the suggestion replaces, at least `replaceChars`:
 * on a blank line (`line` is whitespace only), the whitespace after the cursor too, when the
 * suggestion starts with whitespace.
 */
export function replacedAfterCursor(line: string, cursor: number, text: string, replaceChars: number): number {
  if (!/^[ \t]*$/.test(line) || !/^[ \t]/.test(text)) return replaceChars;
  return Math.max(replaceChars, line.length - cursor);
}
