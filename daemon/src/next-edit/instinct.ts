/**
 * Instinct (continuedev/instinct, Qwen2.5-Coder-7B): a chat request through the model's chat
 * template. The user message holds other files under `### Context:`, the recent edits as
 * diffs under `### User Edits:` (most recent first, as Instinct was trained), and the excerpt
 * under `### User Excerpt:` with the editable region (the cursor's line −1/+5) between
 * `<|editable_region_start|>` and `<|editable_region_end|>`, the cursor marked
 * `<|user_cursor_is_here|>`. The model answers with the rewritten region alone and ends its
 * turn. The system message here is the opening of Continue's (core/nextEdit/constants.ts),
 * not all of it.
 */
import { block, outputLines, withCursor, type NextEditFormat, type NextEditPromptInput, type RenderedPrompt } from "./format.js";

const CURSOR = "<|user_cursor_is_here|>";
const REGION_START = "<|editable_region_start|>";
const REGION_END = "<|editable_region_end|>";
const CONTEXT_FILE = "<|context_file|>";
const SNIPPET = "<|snippet|>";

const SYSTEM =
  "You are Instinct, an intelligent next-edit predictor developed by Continue.dev. Your role as an AI agent is to help developers complete " +
  "their code tasks by predicting the next edit that they will make within the section of code marked by <|editable_region_start|> and " +
  "<|editable_region_end|> tags.";

const USER_PREFIX =
  "Reference the user excerpt, user edits, and the snippets to understand the developer's intent. Update the editable region of the user " +
  "excerpt by predicting and completing the changes they would have made next. This may be a deletion, addition, or modification of code.";

function render(input: NextEditPromptInput): RenderedPrompt {
  const context = input.related.map((r) => `${CONTEXT_FILE}: ${r.name}\n${SNIPPET}\n${r.text}`).join("\n");
  const edits = [...input.history]
    .reverse()
    .map((h) => `User edited file "${h.path}"\n\n\`\`\`diff\n${[...h.oldLines.map((l) => `-${l}`), ...h.newLines.map((l) => `+${l}`)].join("\n")}\n\`\`\``)
    .join("\n\n");
  const excerpt = `${block(input.above)}${REGION_START}\n${withCursor(input.window, input.cursor, CURSOR)}\n${REGION_END}\n${block(input.below)}`;
  const user = `${USER_PREFIX}\n\n### Context:\n${context}\n\n### User Edits:\n\n${edits}\n\n### User Excerpt:\n${input.path}\n\n${excerpt}\`\`\`\n### Response:`;
  return { kind: "chat", system: SYSTEM, user };
}

function parse(output: string): string[] | null {
  const text = output.split(CURSOR).join("").split(REGION_START).join("").split(REGION_END).join("");
  // A chat answer may come fenced.
  const fenced = /^```[^\n]*\n([\s\S]*?)\n?```\s*$/.exec(text);
  return outputLines(fenced?.[1] !== undefined ? `${fenced[1]}\n` : text.replace(/^\n/, ""));
}

export const INSTINCT: NextEditFormat = {
  name: "instinct",
  window: { above: 1, below: 5 },
  context: { above: 25, below: 25 },
  maxHistoryEvents: 5,
  historyTokens: 1024,
  specialTokens: [],
  reserved: [CURSOR, REGION_START, REGION_END, CONTEXT_FILE, SNIPPET],
  endMarkers: [],
  render,
  parse,
};
