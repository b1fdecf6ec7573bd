/**
 * An OpenAI-compatible server (vLLM, SGLang, LM Studio, Ollama's /v1, llama.cpp's server):
 * Hearth's FIM prompt rendered as text through /v1/completions, streamed. These servers
 * tokenize the text themselves and cache by prefix (vLLM's automatic prefix caching), so the
 * prompt is laid out as for the local engine: what is stable for a workspace first, the line
 * being typed last, and a keystroke shares all but the last few tokens with the last prompt.
 *
 * There is no tokenizer to ask: tokens are estimated (word, number and symbol pieces, long
 * words in 4-character pieces) and prompts are fitted to the context with a margin. The FIM
 * family comes from --fim-template or the model's name; a model whose name tells none (a
 * chat model, for explanations through /v1/chat/completions) connects without one.
 */
import { HearthError } from "../errors.js";
import { ErrorCodes } from "../protocol.js";
import { bindFimFormat, type FimFormat, type FimTemplateChoice } from "../prompt/fim-format.js";
import { FIM_FAMILIES, type FimFamilyName } from "../prompt/fim-templates.js";
import { CALIBRATION_TEXT } from "../prompt/prefill-budget.js";
import { badAnswer, requestJson } from "./http.js";
import { chatRequest, finishReason, firstChoice, usageOf, type CompletionEvent, type Dialect, type ServerFacts } from "./dialect.js";
import { boundedInt, boundedName } from "./server-values.js";

/** A piece of prompt text; the prompt is their concatenation. */
type Piece = string;

/** Without a /props to ask, the context a request may fill (--ctx overrides). */
export const DEFAULT_OPENAI_CONTEXT = 4096;

/** Model names to FIM families, most specific first. */
const FAMILY_BY_NAME: readonly [RegExp, FimFamilyName][] = [
  [/codegemma/i, "codegemma"],
  [/codestral/i, "codestral"],
  [/code-?llama/i, "codellama"],
  [/deepseek/i, "deepseek-coder"],
  [/starcoder/i, "starcoder"],
  [/qwen/i, "qwen"],
];

export function familyFromModelName(name: string): FimFamilyName | null {
  return FAMILY_BY_NAME.find(([pattern]) => pattern.test(name))?.[1] ?? null;
}

/**
 * Pseudo-tokens close to a code model's count: a word piece of up to 8 letters with its
 * leading space, up to 3 digits, a run of spaces or newlines, 1-2 symbols. Measured on 20 KB
 * of TypeScript, C++ and Python: 0.84-1.32x the tokens of the Qwen2, StarCoder and
 * DeepSeek-Coder tokenizers (test/daemon/unit/remote.test.ts checks it on Qwen2's).
 */
export function estimatePieces(text: string): Piece[] {
  return text.match(/ ?[A-Za-z_]{1,8}| ?[0-9]{1,3}| +|\n+|[^\sA-Za-z_0-9]{1,2}|\s/g) ?? [];
}

/** Code unlike the calibration sample may have this many more tokens per piece: prompts keep the margin. */
const ESTIMATE_MARGIN = 1.15;

export function openAiDialect(fimTemplate: FimTemplateChoice, contextSize: number, requestedModel: string | null): Dialect<Piece> {
  return {
    kind: "openai",
    async probe(server, signal): Promise<ServerFacts<Piece>> {
      const listed = await requestJson(server, "GET", "/v1/models", undefined, signal);
      const data = (listed as { data?: unknown } | null)?.data;
      if (!Array.isArray(data)) throw badAnswer(server, "/v1/models without a data list (is this an OpenAI-compatible server?)");
      const ids = data.map((m, index) => (typeof m === "object" && m !== null && typeof (m as { id?: unknown }).id === "string" ? boundedName(server, (m as { id: string }).id, `/v1/models data[${index}].id`) : null)).filter((id): id is string => id !== null);
      const model = requestedModel ?? ids[0];
      if (model === undefined) throw badAnswer(server, "/v1/models lists no model");
      if (!ids.includes(model)) {
        throw new HearthError(ErrorCodes.BackendUnknownModel, "HEARTH_ERR_BACKEND_UNKNOWN_MODEL", `${server.label} does not serve ${model}; it serves ${ids.slice(0, 8).join(", ") || "nothing"}.`, "Name one of those with --remote-model (hearth.remote.model).");
      }
      const fim = fimFormatOf(model, fimTemplate);
      // One request of code with one token to generate: the usage the server reports says how
      // many of its tokens an estimated piece is (from 0.84 to 1.32 on real code tokenizers).
      // A chat model (no FIM format) is asked through what it serves, /v1/chat/completions: its
      // template's tokens count too, so the ratio errs high and prompts fit with room to spare.
      const calibrationPath = fim === null ? "/v1/chat/completions" : "/v1/completions";
      const sent = performance.now();
      const calibration = await requestJson(server, "POST", calibrationPath, calibrationBody(model, fim === null), signal);
      const elapsed = performance.now() - sent;
      // A tokenizer gives at most a token per byte (and a few it adds; a chat template some hundreds): more, and the ratio would shrink every prompt to nothing.
      const reportedRaw = (calibration as { usage?: { prompt_tokens?: unknown } } | null)?.usage?.prompt_tokens;
      // Fewer than a token per 32 bytes of code, and it would grow every prompt past the server's context. 0: not counted.
      const bytes = Buffer.byteLength(CALIBRATION_TEXT);
      const added = fim === null ? MAX_CHAT_TEMPLATE_TOKENS : 16;
      const reported = reportedRaw === undefined || reportedRaw === null || reportedRaw === 0 ? null : boundedInt(server, reportedRaw, `${calibrationPath} usage.prompt_tokens`, Math.ceil(bytes / 32), bytes + added);
      const measured = reported !== null && reported > 0 ? reported / estimatePieces(CALIBRATION_TEXT).length : 1;
      // The same request says roughly how fast the server evaluates a prompt (its round trip
      // included, so it errs slow and the prefill budget cuts a little early rather than late).
      const prefillTokensPerSecond = reported !== null && reported >= 64 && elapsed > 0 ? (1000 * reported) / elapsed : null;
      const noFim =
        fim === null
          ? new HearthError(ErrorCodes.NoFimSupport, "HEARTH_ERR_NO_FIM", `Hearth can't tell the FIM format of ${model} from its name.`, "For completions name it with --fim-template (qwen, starcoder, deepseek-coder, codellama, codestral, codegemma), or serve a FIM code model; a chat model belongs in --chat-backend.")
          : null;
      return { model, contextSize, tokenRatio: measured * ESTIMATE_MARGIN, slots: null, precision: "", fim, noFim, bosRule: { bos: null, addBos: false }, countTokens: (text) => estimatePieces(text).length, tokenize: async (text) => estimatePieces(text), prefillTokensPerSecond };
    },
    completionBody(prompt, { maxTokens, model }) {
      return {
        path: "/v1/completions",
        body: { model, prompt: prompt.join(""), max_tokens: maxTokens, temperature: 0, stream: true, stream_options: { include_usage: true } },
      };
    },
    chatBody(messages, { maxTokens, model }) {
      return chatRequest(messages, { maxTokens, model }, { stream_options: { include_usage: true } });
    },
    readCompletionEvent(server, event): CompletionEvent {
      // The usage-only last event (include_usage) has an empty choices list.
      const choices = (event as { choices?: unknown } | null)?.choices;
      if (Array.isArray(choices) && choices.length === 0) return { delta: "", done: null, ...usageOf(event) };
      const choice = firstChoice(server, event);
      if (choice.text !== undefined && typeof choice.text !== "string") throw badAnswer(server, "a choice whose text is not text");
      return { delta: typeof choice.text === "string" ? choice.text : "", done: finishReason(choice.finish_reason), ...usageOf(event) };
    },
  };
}

/** Tokens a chat template may add around the calibration's one message (a long default system prompt included). */
const MAX_CHAT_TEMPLATE_TOKENS = 1024;

/**
 * The FIM format named by --fim-template or told by the model's name; null when neither
 * tells one (a chat model: it connects, and only completions are refused). A template named
 * "gguf" can't be used here: the server does not publish the GGUF's FIM ids.
 */
function fimFormatOf(model: string, fimTemplate: FimTemplateChoice): FimFormat<Piece> | null {
  const name = fimTemplate === "auto" ? familyFromModelName(model) : fimTemplate;
  if (name === null) return null;
  if (name === "gguf") {
    throw new HearthError(ErrorCodes.NoFimSupport, "HEARTH_ERR_NO_FIM", `An OpenAI-compatible server does not publish ${model}'s FIM token ids, so --fim-template gguf can't be used with it.`, "Name its format with --fim-template (qwen, starcoder, deepseek-coder, codellama, codestral, codegemma).");
  }
  const family = FIM_FAMILIES[name];
  // The server parses the tokens' texts in the prompt: a piece is the token's text
  // (SentencePiece's "▁" is the space it stands for).
  const texts = new Set([family.prefix, family.suffix, family.middle, family.fileSeparator, family.repoName].filter((t): t is string => t !== null));
  const fim = bindFimFormat<Piece>(
    {
      specialToken: (text) => (texts.has(text) ? text.replace(/^▁/, " ") : null),
      tokenize: (text) => estimatePieces(text),
      fimIds: { prefix: null, suffix: null, middle: null },
      architecture: name === "codegemma" ? "gemma" : "",
      // The server tokenizes the text and adds BOS itself where its vocabulary asks for it.
      bosRule: { bos: null, addBos: false },
    },
    name,
  );
  if (fim === null) throw new Error(`no ${name} FIM format`);
  return fim;
}

/** The calibration request: the code sample as a prompt (/v1/completions) or as a user's message (/v1/chat/completions). */
function calibrationBody(model: string, chat: boolean): unknown {
  const common = { model, max_tokens: 1, temperature: 0, stream: false };
  return chat ? { ...common, messages: [{ role: "user", content: CALIBRATION_TEXT }] } : { ...common, prompt: CALIBRATION_TEXT };
}
