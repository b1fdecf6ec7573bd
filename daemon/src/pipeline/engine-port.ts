/**
 * What a backend gives the pipeline: a token-level engine. It knows its vocabulary (how text
 * becomes tokens, the FIM format, whether a prompt starts with BOS), where a document's cache
 * lives (a local sequence, a llama-server slot, an OpenAI server's prefix cache) and how to
 * evaluate a prompt there and stream what the model generates, with abort. It knows nothing
 * of prompt layouts, stop rules or metrics: the pipeline (completion.ts, explanation.ts) does,
 * once for every backend.
 *
 * `T` is the backend's token: node-llama-cpp's ids, llama-server's ids, or text pieces for a
 * server that tokenizes itself.
 */
import type { GenerationOutcome } from "../backend.js";
import type { HearthError } from "../errors.js";
import type { BosRule } from "../prompt/bos.js";
import type { FimFormat } from "../prompt/fim-format.js";
import type { ExplainMessages } from "../prompt/explain-prompt.js";
import type { PrefillBudget } from "../prompt/prefill-budget.js";
import type { HeldLayout } from "../prompt/prompt-layout.js";

/** One evaluation on an engine: what the pipeline asks for, beside the prompt. */
export interface EngineRunRequest {
  maxTokens: number;
  signal: AbortSignal;
  /** When the request began (performance.now()): the first token is timed from there. */
  startedAt: number;
  /** All text generated so far, after each token (or server event); true stops the generation. */
  onGenerated: (generated: string) => boolean;
  onPrefill?: (evaluated: number, total: number) => void;
  /** Where the scheduler may let a waiting completion run (between prefill chunks and tokens). */
  yieldPoint?: () => Promise<void>;
  /**
   * Texts the output is expected to copy, most likely first (a next edit: the window as the
   * model writes it when it changes nothing, and with the user's rename carried through it).
   * An engine that drafts tokens drafts from them (copy speculation); the others ignore them.
   * Greedy output never depends on them.
   */
  copyFrom?: readonly string[];
}

/**
 * What an evaluation did, counted by the engine. `stopReason` "boundary" means `onGenerated`
 * said stop; the text shown is the pipeline's to decide from `generatedText`.
 */
export type EngineRun = Omit<GenerationOutcome, "text" | "promptLayout"> & { generatedText: string };

/** A document's cache on the engine, held for one request. */
export interface CacheSlot<T> {
  /** The layouts the cache holds, most recent first. */
  readonly held: readonly HeldLayout<T>[];
  /** Replaces the layouts the cache is known to hold. */
  hold(layouts: HeldLayout<T>[]): void;
  /** Tokens of `prompt` the cache does not hold yet. */
  uncached(prompt: readonly T[]): number;
  /** Evaluates `prompt` (reusing what the cache shares with it) and generates. */
  run(prompt: readonly T[], request: EngineRunRequest): Promise<EngineRun>;
  /** Ends the request's hold on the cache. */
  release(): void;
}

/** What the vocabulary says, as the prompt rules need it. */
export interface Vocabulary<T> {
  /** The FIM format; null when the model can't fill in the middle. */
  fim: FimFormat<T> | null;
  /** Why `fim` is null, where the engine can say more than that the model has no FIM tokens (a remote server's model). */
  noFim?: HearthError;
  /** Prompt tokens of plain text (special-token texts stay text). */
  tokenize(text: string): T[] | Promise<T[]>;
  /** A cheap count for fitting (exact, or an estimate where the engine tokenizes remotely). */
  countTokens(text: string): number;
  /** Whether and how a prompt of token ids starts with BOS (prompt/bos.ts). */
  bosRule: BosRule<T>;
  /**
   * The token `text` is as one special token, or null. Absent where the engine takes text and
   * the server tokenizes it, special tokens parsed (an OpenAI-compatible server): next-edit
   * formats with special tokens can't be used there, and text that spells one is refused.
   */
  specialToken?: (text: string) => T | null;
  /** The model's file name and GGUF name, for formats chosen by name (next-edit); absent where unknown. */
  modelName?: string;
}

/** An explanation's prompt: tokens through the model's chat template, or the messages for a server that applies its own. */
export type ChatPrompt<T> = { tokens: readonly T[] } | { messages: ExplainMessages; estimatedTokens: number };

export interface EnginePort<T> {
  /** Waits until the engine can serve; throws the typed error that says why not. */
  ready(): Promise<Vocabulary<T>>;
  /** The most prompt tokens that leave room for `maxTokens` of answer (and the engine's margin). */
  promptRoom(maxTokens: number): number;
  /** What learns the prefill speed and says how many tokens a cold prompt may evaluate. */
  prefillBudget(): PrefillBudget;
  /** The cache of a document, held until `release()`. */
  completionSlot(workspaceId: string, documentUri: string): Promise<CacheSlot<T>>;
  /**
   * The chat template as tokens (BOS included where the template puts it), or null where the
   * engine takes messages and applies the template itself.
   */
  renderChat: ((messages: ExplainMessages) => T[]) | null;
  /** Evaluates an explanation's prompt on the cache kept for explanations. */
  runExplanation(prompt: ChatPrompt<T>, request: EngineRunRequest): Promise<EngineRun>;
  /**
   * Wraps each request: where a remote engine records failures and, for a prompt the server
   * found longer than its context (an estimate that counted too few), fits again smaller once.
   */
  guard?<R>(signal: AbortSignal, work: () => Promise<R>): Promise<R>;
}
