/**
 * Zeta 2 (zed-industries/zeta-2, Seed-Coder-8B): suffix-first FIM with git merge markers
 * (zeta_prompt.rs, module seed_coder). The code after the editable region follows
 * `<[fim-suffix]>`; after `<[fim-prefix]>` come related files and the edit history, each
 * under `<filename>`, then the current file's code before the region and the region itself
 * between `<<<<<<< CURRENT` and `=======`, the cursor marked `<|user_cursor|>`; then
 * `<[fim-middle]>`. The model writes the updated region and `>>>>>>> UPDATED` (or `NO_EDITS`
 * first when it has none). The FIM markers are Seed-Coder's special tokens; Seed-Coder's
 * vocabulary is not among the bundled ones, so this format is checked as rendered text.
 */
import { block, cutAtFirst, outputLines, unifiedHunk, withCursor, type NextEditFormat, type NextEditPromptInput, type RenderedPrompt } from "./format.js";
import type { PromptPiece } from "../prompt/fim-templates.js";

const FIM_SUFFIX = "<[fim-suffix]>";
const FIM_PREFIX = "<[fim-prefix]>";
const FIM_MIDDLE = "<[fim-middle]>";
const FILE_MARKER = "<filename>";
const CURSOR = "<|user_cursor|>";
const START = "<<<<<<< CURRENT\n";
const SEPARATOR = "=======\n";
const END = ">>>>>>> UPDATED";
const NO_EDITS = "NO_EDITS";

function withNewline(text: string): string {
  return text === "" || text.endsWith("\n") ? text : `${text}\n`;
}

function render(input: NextEditPromptInput): RenderedPrompt {
  const related = input.related.map((r) => `${FILE_MARKER}${r.name}\n${withNewline(r.text)}`).join("");
  const history =
    input.history.length === 0
      ? ""
      : `${FILE_MARKER}edit_history\n` +
        input.history.map((h) => `${h.accepted ? "// User accepted prediction:\n" : ""}--- a/${h.path}\n+++ b/${h.path}\n${unifiedHunk(h)}\n`).join("");
  const cursorSection = `${FILE_MARKER}${input.path}\n${block(input.above)}${START}${withNewline(withCursor(input.window, input.cursor, CURSOR))}${SEPARATOR}`;
  const pieces: PromptPiece[] = [
    { special: FIM_SUFFIX },
    { text: block(input.below) },
    { special: FIM_PREFIX },
    { text: (related === "" ? "" : `${related}\n`) + (history === "" ? "" : `${history}\n`) + cursorSection },
    { special: FIM_MIDDLE },
  ];
  return { kind: "pieces", pieces: pieces.filter((p) => !("text" in p) || p.text !== "") };
}

function parse(output: string): string[] | null {
  if (!output.includes(END)) return null;
  const region = cutAtFirst(output, [END]).split(CURSOR).join("");
  return region.startsWith(NO_EDITS) ? null : outputLines(region);
}

export const ZETA2: NextEditFormat = {
  name: "zeta2",
  window: { above: 10, below: 10 },
  context: { above: 10, below: 10 },
  maxHistoryEvents: 10,
  historyTokens: 1024,
  specialTokens: [FIM_SUFFIX, FIM_PREFIX, FIM_MIDDLE],
  reserved: [FIM_SUFFIX, FIM_PREFIX, FIM_MIDDLE, FILE_MARKER, CURSOR, "<<<<<<< CURRENT", "=======", END],
  endMarkers: [END],
  render,
  parse,
  unchanged: (input) => `${withNewline(withCursor(input.window, input.cursor, CURSOR))}${END}`,
};
