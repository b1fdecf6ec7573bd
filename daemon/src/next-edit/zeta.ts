/**
 * Zeta (zed-industries/zeta, Qwen2.5-Coder-7B): an Alpaca-style prompt. The user's edits as
 * unified diffs under `### User Edits:`, then the excerpt in a fence named by the path, with
 * `<|editable_region_start|>`, `<|user_cursor_is_here|>` and `<|editable_region_end|>` around
 * the region the model rewrites, then `### Response:`. The markers are plain text in the
 * Qwen vocabulary (several tokens each), so the whole prompt is text. The model writes the
 * excerpt again with the region rewritten and ends at `<|editable_region_end|>`; the region
 * is read between the markers as Zed's `clean_zeta1_model_output` reads it.
 */
import { block, outputLines, unifiedHunk, withCursor, type NextEditFormat, type NextEditPromptInput, type RenderedPrompt } from "./format.js";

const CURSOR = "<|user_cursor_is_here|>";
const START_OF_FILE = "<|start_of_file|>";
const REGION_START = "<|editable_region_start|>";
const REGION_END = "<|editable_region_end|>";

const INSTRUCTION =
  "### Instruction:\n" +
  "You are a code completion assistant and your task is to analyze user edits and then rewrite an " +
  "excerpt that the user provides, suggesting the appropriate edits within the excerpt, taking " +
  "into account the cursor location.\n\n" +
  "### User Edits:\n\n";
const EXCERPT_HEADER = "\n\n### User Excerpt:\n\n";
const RESPONSE_HEADER = "\n\n### Response:\n";

function render(input: NextEditPromptInput): RenderedPrompt {
  const events = input.history.map((entry) => `User edited ${entry.path}:\n\`\`\`diff\n${unifiedHunk(entry)}\n\`\`\``).join("\n\n");
  const excerpt =
    `\`\`\`${input.path}\n` +
    (input.atFileStart ? `${START_OF_FILE}\n` : "") +
    block(input.above) +
    `${REGION_START}\n` +
    withCursor(input.window, input.cursor, CURSOR) +
    `\n${REGION_END}` +
    input.below.map((line) => `\n${line}`).join("") +
    "\n```";
  return { kind: "pieces", pieces: [{ text: INSTRUCTION + events + EXCERPT_HEADER + excerpt + RESPONSE_HEADER }] };
}

function parse(output: string): string[] | null {
  const text = output.split(CURSOR).join("");
  const startAt = text.indexOf(REGION_START);
  const endAt = text.indexOf(REGION_END);
  if (endAt === -1) return null;
  let start = startAt === -1 ? 0 : startAt + REGION_START.length;
  if (text[start] === "\n") start++;
  if (start > endAt) return [];
  return outputLines(text.slice(start, endAt));
}

export const ZETA: NextEditFormat = {
  name: "zeta",
  window: { above: 5, below: 10 },
  context: { above: 10, below: 10 },
  maxHistoryEvents: 10,
  // zeta1.rs: MAX_EVENT_TOKENS.
  historyTokens: 500,
  specialTokens: [],
  reserved: [CURSOR, START_OF_FILE, REGION_START, REGION_END],
  endMarkers: [REGION_END],
  render,
  parse,
  // The region again, the cursor marker where it was, as the model starts its response.
  unchanged: (input) => `${REGION_START}\n${withCursor(input.window, input.cursor, CURSOR)}\n${REGION_END}`,
};
