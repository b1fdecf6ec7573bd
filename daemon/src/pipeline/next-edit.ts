/**
 * How a next-edit suggestion is made, for every backend: choose the model's format, cut the
 * window around the cursor with the document's edit history, render the prompt as the
 * engine's tokens (stable parts first: related files, settled history, the window before the
 * edit in progress; the window as it is now last, so a keystroke within the edit re-evaluates
 * only from the changed line), BOS as the vocabulary asks, generate on the document's cache
 * until the format's end marker, and read the rewritten window back as edits. The output
 * mostly copies the window: the engine is told what it copies (`copyFrom`, copy-sources.ts),
 * and the local engine drafts from it (copy speculation, engine/predictors/copy-alignment.ts).
 */
import { emptyOutcome, type NextEditInput, type NextEditOutcome } from "../backend.js";
import { HearthError } from "../errors.js";
import { suggestEdits } from "../next-edit/edits.js";
import { reservedTextIn, specialLookingTextIn, type NextEditFormat, type NextEditPromptInput } from "../next-edit/format.js";
import { chooseNextEditFormat, NextEditFormatError } from "../next-edit/formats.js";
import { nextEditRules } from "../next-edit/stops.js";
import { piecesToTokens } from "../next-edit/tokens.js";
import { cutWindow } from "../next-edit/window.js";
import { ErrorCodes } from "../protocol.js";
import { startAsTrained } from "../prompt/bos.js";
import { copySources } from "./copy-sources.js";
import type { EnginePort, Vocabulary } from "./engine-port.js";
import { TextStream } from "./text-stream.js";

export async function runNextEdit<T>(port: EnginePort<T>, input: NextEditInput): Promise<NextEditOutcome> {
  const started = performance.now();
  const vocabulary = await port.ready();
  const format = formatFor(port, vocabulary, input);
  const cut = cutWindow(format, { text: input.text, cursor: input.cursor, path: input.path, events: input.events, related: input.related ?? [], countTokens: (t) => (t === "" ? 0 : vocabulary.countTokens(t)) });
  // A server that parses special tokens out of text would read any that the document spells as one.
  const reserved = reservedTextIn(format, cut.input) ?? (vocabulary.specialToken === undefined ? specialLookingTextIn(cut.input) : null);
  if (reserved !== null) {
    throw new HearthError(
      ErrorCodes.InvalidParams,
      "HEARTH_ERR_NEXT_EDIT_RESERVED_TEXT",
      `The text around the cursor contains ${reserved}, which the model would read as one of its own markers (the ${format.name} next-edit format's, or a special token the server parses out of text); Hearth does not pass it to the model.`,
      "Nothing to fix in the file: next-edit suggestions are off near that text; completions still work.",
    );
  }
  const prompt = await fittedPrompt(port, vocabulary, format, cut.input, input.maxTokens);
  const slot = await port.completionSlot(input.workspaceId, input.documentUri);
  try {
    if (input.signal.aborted) return { ...emptyOutcome("cancelled", prompt.length), edits: [], copied: null, format: format.name };
    const stream = new TextStream(nextEditRules(format.endMarkers));
    const run = await slot.run(prompt, {
      maxTokens: input.maxTokens,
      signal: input.signal,
      startedAt: started,
      onGenerated: (generated) => stream.push(generated),
      copyFrom: copySources(format, cut.input),
      ...(input.onPrefill ? { onPrefill: input.onPrefill } : {}),
      ...(input.yieldPoint ? { yieldPoint: input.yieldPoint } : {}),
    });
    stream.finish(run);
    // Only a window the model finished is a suggestion: one cut by the token limit would delete the rest.
    const finished = run.stopReason === "eos" || run.stopReason === "boundary";
    const suggestion = suggestEdits({
      window: cut.input.window,
      startLine: cut.startLine,
      cursor: input.cursor,
      original: cut.input.original,
      updated: finished ? format.parse(run.generatedText) : null,
    });
    const { generatedText, ...counts } = run;
    return { ...counts, text: generatedText, promptLayout: null, ...suggestion, format: format.name };
  } finally {
    slot.release();
  }
}

function formatFor<T>(port: EnginePort<T>, vocabulary: Vocabulary<T>, input: NextEditInput): NextEditFormat {
  const special = vocabulary.specialToken;
  try {
    return chooseNextEditFormat(input.format, vocabulary.modelName ?? "", (text) => special !== undefined && special(text) !== null, port.renderChat !== null);
  } catch (error) {
    if (!(error instanceof NextEditFormatError)) throw error;
    throw new HearthError(
      ErrorCodes.NotSupportedByBackend,
      "HEARTH_ERR_NEXT_EDIT_FORMAT",
      error.message,
      "Name the format with --next-edit-format (hearth.nextEdit.format), or use a next-edit model Hearth knows (Sweep, Zeta, Zeta 2, Instinct).",
    );
  }
}

/** The prompt as tokens; what doesn't fit the context goes first: related files, then history. */
async function fittedPrompt<T>(port: EnginePort<T>, vocabulary: Vocabulary<T>, format: NextEditFormat, input: NextEditPromptInput, maxTokens: number): Promise<T[]> {
  const room = port.promptRoom(maxTokens);
  const attempts: NextEditPromptInput[] = [input, { ...input, related: [] }, { ...input, related: [], history: [] }];
  let prompt: T[] = [];
  for (const attempt of attempts) {
    prompt = await promptTokens(port, vocabulary, format, attempt);
    if (prompt.length <= room) return prompt;
  }
  throw new HearthError(
    ErrorCodes.DocumentTooLarge,
    "HEARTH_ERR_DOCUMENT_TOO_LARGE",
    `The ${format.name} next-edit prompt needs ${prompt.length} tokens around the cursor, more than the next-edit model's context leaves (${room}).`,
    "Give the next-edit model a larger context (--ctx), or ask for fewer tokens (maxTokens).",
  );
}

async function promptTokens<T>(port: EnginePort<T>, vocabulary: Vocabulary<T>, format: NextEditFormat, input: NextEditPromptInput): Promise<T[]> {
  const rendered = format.render(input);
  if (rendered.kind === "chat") {
    if (port.renderChat === null) throw new Error("unreachable: chat formats are refused where the engine can't render a chat");
    return startAsTrained(port.renderChat({ system: rendered.system, user: rendered.user }), vocabulary.bosRule);
  }
  const special = vocabulary.specialToken ?? (() => null);
  return piecesToTokens(rendered.pieces, { specialToken: special, tokenize: (t) => vocabulary.tokenize(t), bosRule: vocabulary.bosRule });
}

