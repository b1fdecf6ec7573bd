/**
 * One Tab accepts a suggestion. VS Code lets Tab indent instead when the suggestion, shown
 * at a cursor inside the line's indentation, starts with at least a tab's width of
 * whitespace. A model that sees a prompt ending in the line's indentation often writes that
 * indentation again; the line already has it, so it is trimmed from the suggestion, which
 * then starts at the cursor with the code. vscode-free, unit-tested.
 */

/**
 * `linePrefix`: the current line up to the cursor. When it is only whitespace and the
 * suggestion starts with that same whitespace, the repeat is dropped.
 */
export function trimRepeatedIndentation(linePrefix: string, text: string): string {
  if (!/^[ \t]+$/.test(linePrefix) || !text.startsWith(linePrefix)) return text;
  const trimmed = text.slice(linePrefix.length);
  // Nothing but whitespace left would show nothing worth accepting: keep the suggestion as is.
  return trimmed.trim() === "" ? text : trimmed;
}
