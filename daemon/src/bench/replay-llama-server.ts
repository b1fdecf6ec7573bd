/**
 * Drives a llama.cpp server's /infill endpoint the way llama.vscode (ggml-org/llama.vscode,
 * src/completion.ts and src/llama-server.ts) does, so the same trace measures what a
 * llama.vscode user would feel:
 * - the prompt: `input_prefix` = up to 256 lines above the cursor line, `input_suffix` =
 *   the rest of the cursor line plus up to 64 lines below, `prompt` = the cursor line's text
 *   before the cursor ("" when it is only indentation), `input_extra` empty (llama.vscode
 *   fills it from a ring of chunks of recently opened and edited files, which the bench does
 *   not reproduce), `n_predict` 128, `n_indent`,
 *   `t_max_prompt_ms` 500, `t_max_predict_ms` 1000, `samplers` top_k/top_p/infill,
 *   `cache_prompt: true`, and `id_slot: 0` so every request reuses one slot's cache;
 * - its client rules: no completion when more than 8 characters follow the cursor; a
 *   result cache keyed by prefix|suffix|prompt that also answers while the user types what
 *   it suggested; one request at a time (a newer one waits, polling every 150 ms, and gives
 *   up when VS Code cancels it); no cancellation of a request in flight (a moot result is
 *   still computed, then dropped); no streaming, so there is no first-token time.
 */
import { createHash } from "node:crypto";
import type { TextDocumentContentChangeEvent } from "../protocol.js";
import type { CallUsage, CompletionCall, ReplayDriver } from "./replay.js";
import type { EditorFile } from "./trace-editor.js";

/** llama.vscode's defaults (its package.json and configuration.ts). */
export const llamaVscodeDefaults = {
  nPrefix: 256,
  nSuffix: 64,
  nPredict: 128,
  tMaxPromptMs: 500,
  tMaxPredictMs: 1000,
  maxLineSuffix: 8,
  pollMs: 150,
  topK: 40,
  topP: 0.99,
  samplers: ["top_k", "top_p", "infill"],
} as const;

export interface InfillRequest {
  input_prefix: string;
  input_suffix: string;
  input_extra: { filename: string; text: string }[];
  prompt: string;
  n_predict: number;
  n_indent?: number;
  top_k: number;
  top_p: number;
  stream: false;
  samplers: string[];
  cache_prompt: true;
  id_slot: number;
  t_max_prompt_ms: number;
  t_max_predict_ms: number;
}

/** The fields of llama-server's /infill answer the bench reads. */
export interface InfillResponse {
  content?: string;
  tokens_evaluated?: number;
  tokens_cached?: number;
  timings?: { prompt_n?: number; prompt_ms?: number; predicted_n?: number; predicted_ms?: number };
}

/** The request llama.vscode would send with the cursor where it is in `file`. */
export function infillRequestFor(file: EditorFile, options: { nPredict?: number } = {}): { request: InfillRequest; lineSuffix: string } {
  const lines = file.text.split("\n");
  const { line } = file.cursorPosition;
  const { before: linePrefix, after: lineSuffix } = file.cursorLine();
  const prefixLines = lines.slice(Math.max(0, line - llamaVscodeDefaults.nPrefix), line);
  const suffixLines = lines.slice(line + 1, line + 1 + llamaVscodeDefaults.nSuffix);
  const lineText = linePrefix + lineSuffix;
  const nIndent = lineText.length - lineText.trimStart().length;
  const request: InfillRequest = {
    input_prefix: `${prefixLines.join("\n")}\n`,
    input_suffix: `${lineSuffix}\n${suffixLines.join("\n")}\n`,
    input_extra: [],
    prompt: /^[ \t]*$/.test(linePrefix) ? "" : linePrefix,
    n_predict: options.nPredict ?? llamaVscodeDefaults.nPredict,
    top_k: llamaVscodeDefaults.topK,
    top_p: llamaVscodeDefaults.topP,
    stream: false,
    samplers: [...llamaVscodeDefaults.samplers],
    cache_prompt: true,
    id_slot: 0,
    t_max_prompt_ms: llamaVscodeDefaults.tMaxPromptMs,
    t_max_predict_ms: llamaVscodeDefaults.tMaxPredictMs,
  };
  // llama.vscode spreads `nindent && {n_indent}`: absent when 0.
  if (nIndent > 0) request.n_indent = nIndent;
  return { request, lineSuffix };
}

export function usageFromInfill(response: InfillResponse, elapsedMs: number): CallUsage {
  const t = response.timings ?? {};
  const evaluated = t.prompt_n ?? 0;
  const generated = t.predicted_n ?? 0;
  return {
    promptTokens: response.tokens_evaluated ?? evaluated,
    evaluatedTokens: evaluated,
    generatedTokens: generated,
    prefillMs: t.prompt_ms ?? null,
    decodeMs: generated > 0 ? (t.predicted_ms ?? null) : null,
    decodeTokens: generated,
    draftTokens: 0,
    acceptedTokens: 0,
    serverMs: t.prompt_ms !== undefined && t.predicted_ms !== undefined ? t.prompt_ms + t.predicted_ms : elapsedMs,
    serverFirstTokenMs: t.prompt_ms !== undefined && t.predicted_ms !== undefined && generated > 0 ? t.prompt_ms + t.predicted_ms / generated : null,
  };
}

/** What a /props answer says about the server (for the report), when it says it. */
export async function llamaServerProps(baseUrl: string): Promise<Record<string, unknown> | null> {
  try {
    const response = await fetch(new URL("/props", baseUrl), { signal: AbortSignal.timeout(5000) });
    if (!response.ok) return null;
    const value: unknown = await response.json();
    if (typeof value !== "object" || value === null) return null;
    const props = value as Record<string, unknown>;
    const keep: Record<string, unknown> = {};
    for (const key of ["model_path", "total_slots", "build_info"]) if (props[key] !== undefined) keep[key] = props[key];
    const settings = props.default_generation_settings;
    if (typeof settings === "object" && settings !== null && "n_ctx" in settings) keep.n_ctx = (settings as { n_ctx: unknown }).n_ctx;
    return keep;
  } catch {
    return null;
  }
}

/** POSTs one /infill request; a non-2xx answer is an error that says what the server said. */
export async function postInfill(baseUrl: string, request: InfillRequest, timeoutMs = 300_000): Promise<InfillResponse> {
  const response = await fetch(new URL("/infill", baseUrl), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`llama-server answered /infill with HTTP ${response.status}: ${text.slice(0, 200)}`);
  const value: unknown = JSON.parse(text);
  if (typeof value !== "object" || value === null) throw new Error("llama-server's /infill answer is not a JSON object");
  return value as InfillResponse;
}

interface Window {
  inProgress: boolean;
  /** VS Code's token for the current provider call: a newer keystroke cancels it. */
  current: { cancelled: boolean } | null;
}

export class LlamaServerDriver implements ReplayDriver {
  private readonly windows = new Map<string, Window>();
  /** llama.vscode's LRU result cache, keyed by a hash of prefix|suffix|prompt. */
  private readonly results = new Map<string, string>();
  private readonly shownIn = new Map<string, { offset: number; text: string }>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly baseUrl: string,
    private readonly options: { nPredict?: number; maxCacheKeys?: number } = {},
  ) {}

  open(): void {}

  close(): void {}

  interrupt(file: EditorFile): void {
    const window = this.window(file);
    if (window.current) window.current.cancelled = true;
  }

  shown(file: EditorFile): { offset: number; text: string } | null {
    return this.shownIn.get(file.uri) ?? null;
  }

  /** llama.vscode keeps no document state: an applied edit only makes a pending completion moot. */
  applied(file: EditorFile): void {
    this.interrupt(file);
  }

  change(file: EditorFile, _change: TextDocumentContentChangeEvent, call: CompletionCall): void {
    const window = this.window(file);
    if (window.current) window.current.cancelled = true;
    const token = { cancelled: false };
    window.current = token;
    const { request, lineSuffix } = infillRequestFor(file, this.options.nPredict === undefined ? {} : { nPredict: this.options.nPredict });
    const offset = file.cursor;
    if (lineSuffix.length > llamaVscodeDefaults.maxLineSuffix) {
      call.outcome = "skipped";
      return;
    }
    const cached = this.cachedCompletion(request);
    if (cached !== undefined) {
      call.outcome = "client-cache";
      call.text = cached;
      return;
    }
    const work = (async () => {
      while (window.inProgress) {
        await new Promise((resolve) => setTimeout(resolve, llamaVscodeDefaults.pollMs));
        if (token.cancelled) {
          call.outcome = "debounced";
          return;
        }
      }
      if (token.cancelled) {
        call.outcome = "debounced";
        return;
      }
      window.inProgress = true;
      call.sentMs = performance.now();
      try {
        const response = await postInfill(this.baseUrl, request);
        call.doneMs = performance.now();
        call.usage = usageFromInfill(response, call.doneMs - call.sentMs);
        call.text = response.content ?? "";
        // llama.vscode caches only suggestions it shows (an empty one returns first).
        if (call.text.trim() !== "") this.remember(request, call.text);
        call.outcome = token.cancelled ? "cancelled" : "completed";
        if (call.outcome === "completed" && call.text.trim() !== "") this.shownIn.set(file.uri, { offset, text: call.text });
      } catch (error) {
        call.doneMs = performance.now();
        call.outcome = token.cancelled ? "cancelled" : "failed";
        call.error = error instanceof Error ? error.message : String(error);
      } finally {
        window.inProgress = false;
      }
    })();
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private window(file: EditorFile): Window {
    let window = this.windows.get(file.trace.workspace);
    if (!window) {
      window = { inProgress: false, current: null };
      this.windows.set(file.trace.workspace, window);
    }
    return window;
  }

  private key(prefix: string, suffix: string, prompt: string): string {
    return createHash("sha256").update(`${prefix}|${suffix}|${prompt}`).digest("hex");
  }

  /** llama.vscode's getCachedCompletion: the exact key, or a shorter prompt whose result starts with what was typed since. */
  private cachedCompletion(request: InfillRequest): string | undefined {
    const prompt = request.prompt;
    for (let i = prompt.length; i >= 0; i--) {
      const result = this.results.get(this.key(request.input_prefix, request.input_suffix, prompt.slice(0, i)));
      if (result === undefined) continue;
      const typed = prompt.slice(i);
      if (result.startsWith(typed)) return result.slice(typed.length);
    }
    return undefined;
  }

  private remember(request: InfillRequest, text: string): void {
    const key = this.key(request.input_prefix, request.input_suffix, request.prompt);
    this.results.delete(key);
    this.results.set(key, text);
    const max = this.options.maxCacheKeys ?? 250;
    while (this.results.size > max) {
      const oldest = this.results.keys().next();
      if (oldest.done) break;
      this.results.delete(oldest.value);
    }
  }
}
