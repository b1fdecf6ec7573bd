/**
 * What a remote engine's wire format must say, and the pieces the formats share: a dialect
 * (llama-server.ts, openai.ts) learns the server's facts at connect, writes completion and
 * chat request bodies, and reads their stream events. remote-backend.ts drives a dialect and
 * knows neither format.
 */
import type { HearthError } from "../errors.js";
import type { BackendInfo, BackendKind } from "../protocol.js";
import type { BosRule } from "../prompt/bos.js";
import type { ExplainMessages } from "../prompt/explain-prompt.js";
import type { FimFormat } from "../prompt/fim-format.js";
import { badAnswer, type RemoteServer } from "./http.js";

/** What a server told Hearth when it connected (again). */
export interface ServerFacts<T> {
  /** The model's name as the server gives it. */
  model: string;
  /** Tokens one request may hold (llama-server: the slot's n_ctx). */
  contextSize: number;
  /** Slots requests can be pinned to; null where the server has none (OpenAI). */
  slots: number | null;
  /** The model's precision where the server says (llama-server's model_ftype), else "". */
  precision: string;
  /**
   * The model's FIM format; null for a model without one (a chat or instruct model served
   * for explanations or next edits), which connects all the same: only a completion sent to
   * it is refused, with `noFim`.
   */
  fim: FimFormat<T> | null;
  /** Why the model can't complete at a cursor (HEARTH_ERR_NO_FIM, saying what to do); null when it can. */
  noFim: HearthError | null;
  /** Cheap token count for fitting (calibrated against the server's tokenizer where it has one). */
  countTokens: (text: string) => number;
  /** Exact tokens of plain text where the server tokenizes, else the estimate's pieces. */
  tokenize: (text: string) => Promise<T[]>;
  /** The token a text is as one special token, where the server says (llama-server's /tokenize); absent elsewhere. */
  specialToken?: (text: string) => T | null;
  /** Whether Hearth's token-id prompts start with BOS: where the server's vocabulary asks for it (the server adds none to token ids). */
  bosRule: BosRule<T>;
  /** The server's tokens per token counted here, measured at connect (1 where the server's own tokenizer counts). */
  tokenRatio: number;
  /**
   * Prompt tokens per second the server evaluated in a calibration at connect; null where it
   * reports no timings. Without it a cold prompt into a big file on a slow server would never
   * be cut: each keystroke cancels the request before it finishes, and only finished ones teach the speed.
   */
  prefillTokensPerSecond: number | null;
}

/** One streamed event, read by the dialect. */
export interface CompletionEvent {
  delta: string;
  /** The server says the answer is over (EOS, stop word or n_predict). */
  done: "eos" | "maxTokens" | null;
  /** Set on the last event where the server reports them. */
  usage?: ServerUsage;
}

export interface ServerUsage {
  promptTokens: number;
  /** Prompt tokens the server evaluated (llama-server's timings.prompt_n); null where unreported. */
  evaluatedTokens: number | null;
  cachedTokens: number | null;
  prefillMs: number | null;
  generatedTokens: number | null;
}

export interface RequestBody {
  path: string;
  body: unknown;
}

export interface Dialect<T> {
  kind: Exclude<BackendKind, "local">;
  probe(server: RemoteServer, signal: AbortSignal): Promise<ServerFacts<T>>;
  completionBody(prompt: readonly T[], options: { slot: number | null; maxTokens: number; model: string }): RequestBody;
  readCompletionEvent(server: RemoteServer, event: unknown): CompletionEvent;
  /** An explanation through /v1/chat/completions (the server applies the model's chat template). */
  chatBody(messages: ExplainMessages, options: { slot: number | null; maxTokens: number; model: string }): RequestBody;
  /** The server's KV cache use, where it reports it. */
  serverCache?(server: RemoteServer): Promise<BackendInfo["serverCache"]>;
}

/** The chat request both formats send; `extra` is the format's own fields (a slot, usage in the stream). */
export function chatRequest(messages: ExplainMessages, options: { maxTokens: number; model: string }, extra: Record<string, unknown>): RequestBody {
  return {
    path: "/v1/chat/completions",
    body: {
      model: options.model,
      messages: [
        { role: "system", content: messages.system },
        { role: "user", content: messages.user },
      ],
      max_tokens: options.maxTokens,
      temperature: 0,
      stream: true,
      ...extra,
    },
  };
}

/** /v1/chat/completions stream events: {choices: [{delta: {content}, finish_reason}], usage?}. */
export function readChatEvent(server: RemoteServer, event: unknown): CompletionEvent {
  const choices = (event as { choices?: unknown } | null)?.choices;
  // The usage-only last event (include_usage) has an empty choices list.
  if (Array.isArray(choices) && choices.length === 0) return { delta: "", done: null, ...usageOf(event) };
  const choice = firstChoice(server, event);
  const delta = (choice.delta ?? {}) as { content?: unknown };
  const content = typeof delta.content === "string" ? delta.content : "";
  return { delta: content, done: finishReason(choice.finish_reason), ...usageOf(event) };
}

export function firstChoice(server: RemoteServer, event: unknown): { text?: unknown; delta?: unknown; finish_reason?: unknown } {
  if (typeof event !== "object" || event === null) throw badAnswer(server, "a stream event that is not an object");
  const choices = (event as { choices?: unknown }).choices;
  if (!Array.isArray(choices)) throw badAnswer(server, "a stream event without choices");
  const choice: unknown = choices[0] ?? {};
  if (typeof choice !== "object" || choice === null) throw badAnswer(server, "a choice that is not an object");
  return choice;
}

export function finishReason(reason: unknown): CompletionEvent["done"] {
  if (reason === "length") return "maxTokens";
  if (typeof reason === "string") return "eos";
  return null;
}

/** OpenAI's usage (with vLLM's prompt_tokens_details.cached_tokens) and llama-server's timings, where an event has them. */
export function usageOf(event: unknown): { usage?: ServerUsage } {
  const e = event as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown; prompt_tokens_details?: { cached_tokens?: unknown } | null }; timings?: { prompt_n?: unknown; cache_n?: unknown; prompt_ms?: unknown; predicted_n?: unknown } };
  const num = (value: unknown): number | null => (typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : null);
  const timings = e.timings;
  const usage = e.usage;
  if (!usage && !timings) return {};
  const evaluated = num(timings?.prompt_n);
  const cached = num(timings?.cache_n) ?? num(usage?.prompt_tokens_details?.cached_tokens);
  const promptTokens = num(usage?.prompt_tokens) ?? (evaluated !== null ? evaluated + (cached ?? 0) : null);
  if (promptTokens === null) return {};
  return { usage: { promptTokens, evaluatedTokens: evaluated, cachedTokens: cached, prefillMs: num(timings?.prompt_ms), generatedTokens: num(timings?.predicted_n) ?? num(usage?.completion_tokens) } };
}
