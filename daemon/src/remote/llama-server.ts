/**
 * llama.cpp's server as Hearth's engine: Hearth's own FIM prompt as token ids through
 * /completion (so the layout that makes a keystroke cost a few tokens is the one the server
 * evaluates), `cache_prompt` with one slot per workspace (`id_slot`: windows don't evict each
 * other), streamed, `n_predict` bounded, and the server's `timings` (prompt_n: the tokens it
 * evaluated) in Hearth's metrics. The tokenizer is the server's (/tokenize, cached), the
 * context size the slot's (/props), so `--backend` needs no local model file.
 */
import { badAnswer, requestJson, requestText, type RemoteServer } from "./http.js";
import { chatRequest, usageOf, type CompletionEvent, type Dialect, type ServerFacts } from "./dialect.js";
import { bindFimFormat, FIM_SPECIAL_TEXTS, FimTemplateError, type FimTemplateChoice } from "../prompt/fim-format.js";
import { NEXT_EDIT_SPECIAL_TEXTS } from "../next-edit/formats.js";
import { CALIBRATION_TEXT, CALIBRATION_TOKENS } from "../prompt/prefill-budget.js";
import { HearthError } from "../errors.js";
import { ErrorCodes } from "../protocol.js";
import { boundedInt, boundedName, boundedNumber, MAX_SERVER_CONTEXT, MAX_SERVER_SLOTS, MIN_SERVER_CONTEXT, tokenIds } from "./server-values.js";
import { TokenCache } from "./token-cache.js";

type Id = number;

export function llamaServerDialect(fimTemplate: FimTemplateChoice): Dialect<Id> {
  return {
    kind: "llama-server",
    async probe(server, signal): Promise<ServerFacts<Id>> {
      const props = asObject(server, await requestJson(server, "GET", "/props", undefined, signal), "/props");
      const settings = asObject(server, props.default_generation_settings ?? {}, "/props default_generation_settings");
      // Every number is bounded before use: a slot count sizes the slot table, the context size every budget.
      const params = settings.params;
      const nCtx = settings.n_ctx ?? (typeof params === "object" && params !== null ? (params as { n_ctx?: unknown }).n_ctx : undefined);
      if (nCtx === undefined) throw badAnswer(server, "/props without default_generation_settings.n_ctx (is this llama.cpp's server?)");
      const contextSize = boundedInt(server, nCtx, "/props default_generation_settings.n_ctx", MIN_SERVER_CONTEXT, MAX_SERVER_CONTEXT);
      const slots = props.total_slots === undefined ? 1 : boundedInt(server, props.total_slots, "/props total_slots", 1, MAX_SERVER_SLOTS);
      const modelPath = boundedName(server, typeof props.model_path === "string" ? props.model_path : typeof props.model_alias === "string" ? props.model_alias : "model", "/props model_path");
      // No probe signal here: the cache outlives the probe, and each lookup has its own answer deadline.
      const tokens = new TokenCache<Id>((text) => tokenize(server, text, false));
      // Special tokens are looked up once: a text the vocabulary has as one special token tokenizes to that token alone.
      // One after another on one kept-alive connection: a score of requests at once would hold the server's HTTP threads.
      const special = new Map<string, Id | null>();
      for (const text of new Set([...FIM_SPECIAL_TEXTS, ...NEXT_EDIT_SPECIAL_TEXTS])) {
        const ids = await tokenize(server, text, true, signal);
        special.set(text, ids.length === 1 && ids[0] !== undefined ? ids[0] : null);
      }
      const bos = await bosToken(server, signal);
      // A vocabulary that doesn't ask for BOS isn't told apart from one without it: neither gets one.
      const bosRule = { bos, addBos: bos !== null };
      let fim;
      try {
        fim = bindFimFormat<Id>(
          {
            specialToken: (text) => special.get(text) ?? null,
            tokenize: (text) => tokens.get(text),
            // The server does not publish the GGUF's FIM ids: families are matched by their tokens' texts.
            fimIds: { prefix: null, suffix: null, middle: null },
            architecture: /gemma/i.test(modelPath) ? "gemma" : "",
            bosRule,
          },
          fimTemplate,
        );
      } catch (error) {
        if (error instanceof FimTemplateError) throw noFim(server, error.message);
        throw error;
      }
      // A chat model has no FIM tokens: it connects (explanations, next edits), and only a completion is refused.
      const missing = fim === null ? noFim(server, "its model has none of the FIM token families Hearth knows") : null;
      // Fitting counts tokens many times per layout: an estimate from the server's own tokenizer on code.
      const sample = await tokenize(server, CALIBRATION_TEXT, false, signal);
      const charsPerToken = sample.length > 0 ? CALIBRATION_TEXT.length / sample.length : 3;
      // The prompt speed, on the slot explanations use (its cache matters least); a server
      // that won't say leaves the budget to learn from finished requests.
      const prefillTokensPerSecond = await measurePrefill(server, sample.slice(0, CALIBRATION_TOKENS), slots > 1 ? slots - 1 : null, signal).catch(() => null);
      return {
        model: modelPath.split(/[\\/]/).pop() ?? modelPath,
        contextSize,
        slots,
        precision: typeof props.model_ftype === "string" ? boundedName(server, props.model_ftype, "/props model_ftype") : "",
        fim,
        noFim: missing,
        countTokens: (text) => Math.ceil(text.length / charsPerToken),
        // The text typed since the layout (a new string each keystroke) is not worth caching: only the head's pieces are.
        tokenize: (text) => tokenize(server, text, false),
        bosRule,
        specialToken: (text) => special.get(text) ?? null,
        tokenRatio: 1,
        prefillTokensPerSecond,
      };
    },
    completionBody(prompt, { slot, maxTokens }) {
      return {
        path: "/completion",
        body: {
          prompt: [...prompt],
          n_predict: maxTokens,
          cache_prompt: true,
          ...(slot !== null ? { id_slot: slot } : {}),
          stream: true,
          // Greedy, as the local engine decodes: the same prompt gives the same completion.
          temperature: 0,
        },
      };
    },
    chatBody(messages, { slot, maxTokens, model }) {
      // The explanation slot's cache is kept between explanations; the server adds BOS through the chat template.
      return chatRequest(messages, { maxTokens, model }, { stream_options: { include_usage: true }, ...(slot !== null ? { id_slot: slot, cache_prompt: true } : {}) });
    },
    readCompletionEvent(server, event): CompletionEvent {
      if (typeof event !== "object" || event === null) throw badAnswer(server, "a stream event that is not an object");
      const e = event as { content?: unknown; stop?: unknown; stop_type?: unknown; tokens_evaluated?: unknown; timings?: unknown };
      if (e.content !== undefined && typeof e.content !== "string") throw badAnswer(server, "a stream event whose content is not text");
      const done = e.stop === true ? (e.stop_type === "limit" ? "maxTokens" : "eos") : null;
      const usage = usageOf(event).usage;
      const evaluated = typeof e.tokens_evaluated === "number" ? boundedInt(server, e.tokens_evaluated, "a stream event's tokens_evaluated", 0, MAX_SERVER_CONTEXT) : null;
      return { delta: typeof e.content === "string" ? e.content : "", done, ...(usage ? { usage: { ...usage, promptTokens: evaluated ?? usage.promptTokens } } : {}) };
    },
    async serverCache(server) {
      // /metrics exists only when the server runs with --metrics; without it the cache is just "remote".
      const text = await fetchMetrics(server);
      if (text === null) return null;
      const metric = (name: string): number | null => {
        const match = new RegExp(`^llamacpp:${name}(?:\\{[^}]*\\})?\\s+([0-9.eE+-]+)`, "m").exec(text);
        return match ? Number(match[1]) : null;
      };
      const evaluated = metric("prompt_tokens_total");
      const cached = metric("prompt_tokens_cached_total");
      if (evaluated === null || cached === null) return null;
      return { evaluatedPromptTokens: evaluated, cachedPromptTokens: cached, usageRatio: metric("kv_cache_usage_ratio") };
    },
  };
}

/** Evaluates `tokens` uncached and reads the server's own prompt timing. */
async function measurePrefill(server: RemoteServer, tokens: readonly Id[], slot: number | null, signal: AbortSignal): Promise<number | null> {
  if (tokens.length < 64) return null;
  const body = { prompt: [...tokens], n_predict: 1, cache_prompt: false, temperature: 0, ...(slot !== null ? { id_slot: slot } : {}) };
  const answer = asObject(server, await requestJson(server, "POST", "/completion", body, signal), "/completion");
  const timings = (answer.timings ?? {}) as { prompt_n?: unknown; prompt_ms?: unknown };
  // The server evaluated at most what it was sent, in at most an hour.
  const n = timings.prompt_n === undefined ? 0 : boundedInt(server, timings.prompt_n, "/completion timings.prompt_n", 0, tokens.length + 1);
  const ms = timings.prompt_ms === undefined ? 0 : boundedNumber(server, timings.prompt_ms, "/completion timings.prompt_ms", 0, 3_600_000);
  return n >= 64 && ms > 0 ? (1000 * n) / ms : null;
}

async function fetchMetrics(server: RemoteServer): Promise<string | null> {
  try {
    // Status is polled: a slow server must not hold it up.
    return await requestText(server, "GET", "/metrics", undefined, AbortSignal.timeout(1000));
  } catch {
    // 501 without --metrics, or a server that has none: the cache is "remote".
    return null;
  }
}

/**
 * The BOS token when the server's vocabulary adds one (tokenizer.ggml.add_bos_token): the
 * server puts it in front of text it tokenizes with add_special, but never in front of a
 * prompt of token ids, which is what Hearth sends; so Hearth sends it itself.
 */
async function bosToken(server: RemoteServer, signal: AbortSignal): Promise<Id | null> {
  const plain = await tokenize(server, "a", false, signal);
  const special = await tokenize(server, "a", false, signal, true);
  const first = special[0];
  return first !== undefined && special.length > plain.length && plain.every((t, i) => special[i + 1] === t) ? first : null;
}

async function tokenize(server: RemoteServer, text: string, parseSpecial: boolean, signal?: AbortSignal, addSpecial = false): Promise<Id[]> {
  if (text === "") return [];
  const answer = asObject(server, await requestJson(server, "POST", "/tokenize", { content: text, add_special: addSpecial, parse_special: parseSpecial }, signal), "/tokenize");
  if (!Array.isArray(answer.tokens)) throw badAnswer(server, "/tokenize without a list of token ids");
  // add_special may add BOS (and EOS): one more token per special, beyond the text's bytes.
  return tokenIds(server, answer.tokens, "/tokenize tokens", addSpecial ? `${text}  ` : text);
}

function noFim(server: RemoteServer, why: string): HearthError {
  return new HearthError(ErrorCodes.NoFimSupport, "HEARTH_ERR_NO_FIM", `${server.label} can't fill in the middle: ${why}.`, "For completions serve a FIM code model such as Qwen2.5-Coder (a chat model belongs in --chat-backend), or name its format with --fim-template.");
}

function asObject(server: RemoteServer, value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw badAnswer(server, `${what} is not a JSON object`);
  return value as Record<string, unknown>;
}
