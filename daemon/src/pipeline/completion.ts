/**
 * How a completion is made, for every backend, top to bottom: plan the FIM prompt (the held
 * layout continued, or laid out anew within the context and the prefill budget), hold the
 * layout on the document's cache, generate with the completion's stop rules, keep the layout
 * the cache now holds, and teach the prefill budget. The engine (engine-port.ts) only
 * evaluates and streams.
 */
import { emptyOutcome, type CompletionInput, type GenerationOutcome } from "../backend.js";
import { HearthError } from "../errors.js";
import { ErrorCodes } from "../protocol.js";
import { planCompletionPrompt } from "../prompt/completion-prompt.js";
import { completionRules, pickMode } from "../prompt/completion-stops.js";
import type { FimFormat } from "../prompt/fim-format.js";
import type { CacheSlot, EnginePort, Vocabulary } from "./engine-port.js";
import { TextStream } from "./text-stream.js";

/** The workspace's name in FIM formats that take one, when the client sent none. */
const DEFAULT_REPO_NAME = "workspace";

/** A completion block ends after this many lines whatever the code does. */
const MAX_COMPLETION_LINES = 16;

/**
 * One completion (renew false) or the idle warm-up (renew true: the prompt laid out anew and
 * evaluated, so the next keystroke pays a handful of tokens; null when the cache already holds it).
 */
export async function runCompletion<T>(port: EnginePort<T>, input: CompletionInput, renew: boolean): Promise<GenerationOutcome | null> {
  const started = performance.now();
  const vocabulary = await port.ready();
  const fim = fimOf(vocabulary);
  const slot = await port.completionSlot(input.workspaceId, input.documentUri);
  try {
    return await completeOn(port, slot, vocabulary, fim, input, renew, started);
  } finally {
    slot.release();
  }
}

async function completeOn<T>(port: EnginePort<T>, slot: CacheSlot<T>, vocabulary: Vocabulary<T>, fim: FimFormat<T>, input: CompletionInput, renew: boolean, started: number): Promise<GenerationOutcome | null> {
  const uncached = (prompt: readonly T[]): number => slot.uncached(prompt);
  const plan = await planCompletionPrompt<T>({
    text: input.text,
    cursor: input.cursorOffset,
    chunks: input.chunks ?? [],
    renderHead: (parts) => fim.head({ ...parts, languageId: input.languageId ?? "", fileName: input.fileName ?? "", repoName: input.repoName ?? DEFAULT_REPO_NAME }),
    tokenize: (text) => (text.length === 0 ? [] : vocabulary.tokenize(text)),
    countTokens: (text) => (text.length === 0 ? 0 : vocabulary.countTokens(text)),
    maxPromptTokens: port.promptRoom(input.maxTokens),
    coldLimit: port.prefillBudget().limit(),
    uncached,
    held: slot.held,
    renew,
  });
  const prompt = plan.prompt;
  // The last prompt token is always evaluated again (for its logits): one token is nothing to warm.
  if (renew && uncached(prompt) <= 1) return null;
  if (input.signal.aborted) return { ...emptyOutcome("cancelled", prompt.length), promptLayout: plan.how };
  // Until this request has evaluated its prompt the cache may still hold more of an older
  // layout's tokens; keep that layout too, so after a cancelled warm-up the next keystroke
  // continues whichever of the two the cache holds more of.
  slot.hold([plan.layout, ...slot.held.filter((l) => l !== plan.layout)].slice(0, 2));
  const text = new TextStream(completionRules({ mode: pickMode(plan.lineSuffix, input.mode), indent: plan.indent, nextSuffixLine: plan.nextSuffixLine, maxLines: MAX_COMPLETION_LINES }), input.onText);
  const run = await slot.run(prompt, {
    maxTokens: input.maxTokens,
    signal: input.signal,
    startedAt: started,
    onGenerated: (generated) => text.push(generated),
    ...(input.onPrefill ? { onPrefill: input.onPrefill } : {}),
    ...(input.yieldPoint ? { yieldPoint: input.yieldPoint } : {}),
  });
  if (run.stopReason !== "cancelled") slot.hold([plan.layout]);
  port.prefillBudget().record(run.evaluatedTokens, run.prefillMs);
  const { generatedText: _generated, ...counts } = run;
  return { ...counts, text: text.finish(run), promptLayout: plan.how };
}

function fimOf<T>(vocabulary: Vocabulary<T>): FimFormat<T> {
  if (vocabulary.fim !== null) return vocabulary.fim;
  // A chat model (explanations, next edits) connects without FIM: only completions are refused.
  throw vocabulary.noFim ?? new HearthError(
    ErrorCodes.NoFimSupport,
    "HEARTH_ERR_NO_FIM",
    "The loaded model has no fill-in-the-middle tokens, so it cannot complete code at a cursor.",
    "Configure a FIM code model such as Qwen2.5-Coder (hf:ggml-org/Qwen2.5-Coder-1.5B-Q8_0-GGUF).",
  );
}
