/**
 * Sweep Next-Edit (sweepai/sweep-next-edit 0.5B and 1.5B, Qwen2.5-Coder base): plain
 * Qwen2.5-Coder repository blocks. Each related file, then each recent edit as
 * `<|file_sep|>PATH.diff` with `original:` and `updated:` lines, then the window before the
 * edit in progress (`original/PATH`), the window now (`current/PATH`) and
 * `<|file_sep|>updated/PATH`, after which the model writes the whole updated window and stops
 * at `<|file_sep|>` or `</s>`. The window is 10 lines above the cursor's line and 10 below.
 * Rendered as Zed's Sweep prompt (crates/edit_prediction/src/sweep_prompt.rs) renders it,
 * with one difference for the cache: the edit in progress is shown only as original against
 * current, not also as a diff block before them, so a keystroke changes only the current
 * window.
 */
import { block, cutAtFirst, outputLines, type NextEditFormat, type NextEditPromptInput, type RenderedPrompt } from "./format.js";
import type { PromptPiece } from "../prompt/fim-templates.js";

const FILE_SEP = "<|file_sep|>";
const END_OF_TEXT = "</s>";

/** Zed keeps the last 3 change blocks of at most 40 lines each (head, `...`, tail). */
export const MAX_CHANGE_BLOCKS = 3;
const MAX_CHANGE_LINES = 40;

function limitLines(lines: readonly string[]): string {
  if (lines.length <= MAX_CHANGE_LINES) return lines.join("\n");
  const head = Math.floor(MAX_CHANGE_LINES / 2);
  const tail = MAX_CHANGE_LINES - head - 1;
  return [...lines.slice(0, head), "...", ...lines.slice(lines.length - tail)].join("\n");
}

export function withNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}

/** A change as a `PATH.diff` block's content: its lines before and after, each side cut to 40 lines. */
export function changeBlock(oldLines: readonly string[], newLines: readonly string[]): string {
  return `original:\n${withNewline(limitLines(oldLines))}updated:\n${limitLines(newLines)}`;
}

function render(input: NextEditPromptInput): RenderedPrompt {
  const pieces: PromptPiece[] = [];
  const file = (path: string, content: string): void => {
    pieces.push({ special: FILE_SEP }, { text: `${path}\n${withNewline(content)}` });
  };
  for (const related of input.related) file(related.name, related.text);
  for (const entry of input.history) file(`${entry.path}.diff`, changeBlock(entry.oldLines, entry.newLines));
  file(`original/${input.path}`, block(input.original));
  file(`current/${input.path}`, block(input.window));
  pieces.push({ special: FILE_SEP }, { text: `updated/${input.path}\n` });
  return { kind: "pieces", pieces };
}

export const SWEEP: NextEditFormat = {
  name: "sweep",
  window: { above: 10, below: 10 },
  context: { above: 0, below: 0 },
  maxHistoryEvents: MAX_CHANGE_BLOCKS,
  historyTokens: 512,
  specialTokens: [FILE_SEP],
  reserved: [FILE_SEP, END_OF_TEXT],
  endMarkers: [FILE_SEP, END_OF_TEXT],
  render,
  parse: (output) => outputLines(cutAtFirst(output, [FILE_SEP, END_OF_TEXT])),
};
