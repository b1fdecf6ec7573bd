/**
 * What the two remote backends (llama.cpp's server, OpenAI-compatible servers) share: the
 * server's facts learned at connect, Hearth's own FIM prompt planned with the shared rules
 * (prompt/: the held layout, fitting to the slot's context, the stop rules), streaming with
 * the stop rule applied as text arrives and the connection closed the moment it says stop
 * (the server then stops generating), explanations through /v1/chat/completions, and a
 * server that goes away: typed errors, retries with backoff, completions again once it is back.
 *
 * A dialect (llama-server.ts, openai.ts) says how to learn the facts and how to ask for a
 * completion and read its events; nothing here knows either wire format.
 */
import os from "node:os";
import { emptyOutcome, type BackendCapabilities, type CompletionInput, type ExplainInput, type GenerationOutcome, type InferenceBackend, type ProgressReporter } from "../backend.js";
import { HearthError } from "../errors.js";
import { ErrorCodes, type BackendInfo, type BackendKind, type DeviceKind, type KvCacheInfo, type MemoryInfo, type ModelInfo, type ModelState } from "../protocol.js";
import { planCompletionPrompt } from "../prompt/completion-prompt.js";
import { decideStop, finalText, pickMode, streamableText, type StopContext } from "../prompt/completion-stops.js";
import { explainMessages, fitSelection } from "../prompt/explain-prompt.js";
import type { FimFormat } from "../prompt/fim-format.js";
import { PrefillBudget } from "../prompt/prefill-budget.js";
import type { HeldLayout } from "../prompt/prompt-layout.js";
import { badAnswer, streamEvents, timedOut, type RemoteServer } from "./http.js";

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
  fim: FimFormat<T>;
  /** Cheap token count for fitting (calibrated against the server's tokenizer where it has one). */
  countTokens: (text: string) => number;
  /** Exact tokens of plain text where the server tokenizes, else the estimate's pieces. */
  tokenize: (text: string) => Promise<T[]>;
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

export interface Dialect<T> {
  kind: Exclude<BackendKind, "local">;
  probe(server: RemoteServer, signal: AbortSignal): Promise<ServerFacts<T>>;
  completionBody(prompt: readonly T[], options: { slot: number | null; maxTokens: number; model: string }): { path: string; body: unknown };
  readCompletionEvent(server: RemoteServer, event: unknown): CompletionEvent;
  /** The server's KV cache use, where it reports it. */
  serverCache?(server: RemoteServer): Promise<BackendInfo["serverCache"]>;
}

export interface RemoteBackendOptions {
  server: RemoteServer;
  /** --remote-model: the model to ask for (OpenAI servers that serve several); null: the server's. */
  model: string | null;
  maxPrefillMs: number;
  log: (message: string) => void;
}

/** Backoff between probes of a server that stopped answering. */
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;
/** Documents whose held layouts are kept (a layout is a few KiB of token ids). */
const MAX_HELD_DOCUMENTS = 256;

export class RemoteBackend<T> implements InferenceBackend {
  readonly capabilities: BackendCapabilities = { kvPersistence: false, precisionVariants: false, speculation: false };
  onStateChange?: (state: ModelState) => void;
  private modelState: ModelState;
  private facts: ServerFacts<T> | null = null;
  private readyPromise: Promise<void> | null = null;
  private lastError: HearthError | null = null;
  private retryMs = FIRST_RETRY_MS;
  private retryTimer: NodeJS.Timeout | null = null;
  private probing: Promise<void> | null = null;
  private loadSettled = false;
  private disposed = false;
  private readonly stopAll = new AbortController();
  private readonly prefillBudget: PrefillBudget;
  /** Held layouts per document, most recently used last. */
  private readonly layouts = new Map<string, HeldLayout<T>[]>();
  /** Workspace to slot, most recently used last; the last slot is kept for explanations when there are two or more. */
  private readonly slotOf = new Map<string, number>();
  /** The prompt each slot was last sent: what its cache holds, as far as Hearth knows. */
  private readonly slotPrompt = new Map<number, readonly T[]>();
  private active = 0;
  private lastLatencyMs: number | null = null;
  /**
   * The server's prompt tokens per token Hearth counted: 1 where Hearth tokenizes with the
   * server's tokenizer, learned from the usage answers (and context-overflow refusals) where
   * it estimates. Budgets are divided by it, so estimated prompts fit the server's context.
   */
  private tokenRatio = 1;

  constructor(
    private readonly dialect: Dialect<T>,
    private readonly options: RemoteBackendOptions,
  ) {
    this.modelState = { state: "loading", source: this.source, progress: null };
    this.prefillBudget = new PrefillBudget(options.maxPrefillMs);
  }

  private get source(): string {
    return `${this.dialect.kind}=${this.options.server.url.href}`;
  }

  get state(): ModelState {
    return this.modelState;
  }

  private setState(state: ModelState): void {
    const changed = state.state !== this.modelState.state;
    this.modelState = state;
    // The daemon announces the state load() ends in; later changes (lost, back) are told here.
    if (changed && this.loadSettled) this.onStateChange?.(state);
  }

  /** Resolves after the first attempt to reach the server; a failure keeps retrying in the background. */
  load(report: ProgressReporter): Promise<void> {
    this.readyPromise ??= (async () => {
      report("load", null, `Connecting to ${this.options.server.label}`);
      await this.probe();
      this.loadSettled = true;
      if (this.facts) report("load", 1, `${this.options.server.label} ready: ${this.facts.model} (${this.facts.slots ?? "no"} slots, ctx ${this.facts.contextSize}, FIM ${this.facts.fim.family.name})`);
    })();
    return this.readyPromise;
  }

  /** Learns the server's facts; on failure records the error and schedules the next try. */
  private probe(): Promise<void> {
    this.probing ??= (async () => {
      try {
        const signal = AbortSignal.any([this.stopAll.signal, AbortSignal.timeout(this.options.server.answerTimeoutMs)]);
        const facts = await this.dialect.probe(this.options.server, signal);
        if (this.disposed) return;
        const changed = this.facts !== null && (this.facts.contextSize !== facts.contextSize || this.facts.slots !== facts.slots || this.facts.model !== facts.model);
        // A restarted server holds nothing of what Hearth sent it.
        this.slotPrompt.clear();
        if (changed) this.layouts.clear();
        this.facts = facts;
        this.tokenRatio = facts.tokenRatio;
        if (this.prefillBudget.speed === null && facts.prefillTokensPerSecond !== null) this.prefillBudget.seed(facts.prefillTokensPerSecond);
        this.lastError = null;
        this.retryMs = FIRST_RETRY_MS;
        if (this.modelState.state !== "ready") this.options.log(`${this.options.server.label}: ${facts.model}, ${facts.slots ?? "no"} slots, ctx ${facts.contextSize}, FIM ${facts.fim.family.name}`);
        this.setState({ state: "ready" });
      } catch (error) {
        if (this.disposed) return;
        // Whatever stopped the probe (down, slow, a server still starting that answers 503 or nonsense), try again later.
        const why = error instanceof DOMException && error.name === "TimeoutError" ? timedOut(this.options.server, "did not answer the probe", this.options.server.answerTimeoutMs) : error;
        this.failed(why, true);
      } finally {
        this.probing = null;
      }
    })();
    return this.probing;
  }

  /** A failure that means the server is gone (or never was): say so, and probe again later. */
  /**
   * Any failure talking to the server, a probe's or a request's (whatever step failed:
   * tokenizing, completing, explaining). One that means the server is gone marks it so and
   * makes sure a probe is due; the wait doubles with each failed probe only, so requests made
   * while it is down (every keystroke) don't push the next try away.
   */
  private failed(error: unknown, probing = false): void {
    const hearthError = asHearthError(error, this.options.server);
    const wasReady = this.modelState.state === "ready";
    this.lastError = hearthError;
    if (probing || hearthError.rpcCode === ErrorCodes.BackendUnreachable || hearthError.rpcCode === ErrorCodes.BackendTimeout) {
      const retryIn = this.retryMs;
      if (probing) this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2);
      if (wasReady || this.modelState.state === "loading") this.options.log(`${hearthError.message} Retrying in ${retryIn} ms.`);
      this.setState({ state: "failed", message: hearthError.message, hint: `${hearthError.hint} (next try in ${Math.round(retryIn / 100) / 10} s)`, code: hearthError.code });
      if (this.retryTimer === null && !this.disposed) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          void this.probe();
        }, retryIn);
        this.retryTimer.unref();
      }
    }
  }

  private async ready(): Promise<ServerFacts<T>> {
    await this.readyPromise;
    if (this.facts && this.modelState.state === "ready") return this.facts;
    if (this.lastError) throw this.lastError;
    throw new HearthError(ErrorCodes.ModelNotReady, "HEARTH_ERR_MODEL_NOT_READY", `${this.options.server.label} is not connected yet.`, "Wait for hearth/modelProgress to report ready.");
  }

  /** Workspaces share the slots least-recently-used first; explanations keep the last slot when there are two or more. */
  private slotFor(workspaceId: string, slots: number | null): number | null {
    if (slots === null) return null;
    const usable = slots >= 2 ? slots - 1 : 1;
    let slot = this.slotOf.get(workspaceId);
    this.slotOf.delete(workspaceId);
    if (slot === undefined || slot >= usable) {
      const taken = new Set([...this.slotOf.values()].filter((s) => s < usable));
      slot = [...Array(usable).keys()].find((s) => !taken.has(s));
      if (slot === undefined) {
        // Every slot has a workspace: the least recently used one gives its slot up.
        const [oldest, oldestSlot] = this.slotOf.entries().next().value as [string, number];
        this.slotOf.delete(oldest);
        slot = oldestSlot;
      }
    }
    this.slotOf.set(workspaceId, slot);
    return slot;
  }

  private heldFor(key: string): HeldLayout<T>[] {
    const held = this.layouts.get(key) ?? [];
    this.layouts.delete(key);
    this.layouts.set(key, held);
    while (this.layouts.size > MAX_HELD_DOCUMENTS) this.layouts.delete(this.layouts.keys().next().value as string);
    return held;
  }

  async complete(input: CompletionInput): Promise<GenerationOutcome> {
    return (await this.runFitted(input, false)) ?? emptyOutcome("eos");
  }

  async warmUp(input: Omit<CompletionInput, "maxTokens" | "onPrefill" | "onText">): Promise<number> {
    return (await this.runFitted({ ...input, maxTokens: 1 }, true))?.evaluatedTokens ?? 0;
  }

  /** A prompt the server found longer than its context (an estimate that counted too few) is fitted again, once, smaller. */
  private runFitted(input: CompletionInput, renew: boolean): Promise<GenerationOutcome | null> {
    return this.talking(input.signal, async () => {
      try {
        return await this.runCompletion(input, renew);
      } catch (error) {
        const overflow = error instanceof HearthError && error.rpcCode === ErrorCodes.BackendBadAnswer && /HTTP 400.*context/i.test(error.message);
        if (!overflow) throw error;
        this.tokenRatio *= 1.5;
        this.options.log(`${this.options.server.label} refused a prompt as longer than its context: prompts are now fitted to 1/${this.tokenRatio.toFixed(2)} of it`);
        return this.runCompletion(input, renew);
      }
    });
  }

  /** Runs a request; a failure (not a cancel) is typed, recorded (failed()) and thrown. */
  private async talking<R>(signal: AbortSignal, work: () => Promise<R>): Promise<R> {
    try {
      return await work();
    } catch (error) {
      if (signal.aborted) throw error;
      const hearthError = asHearthError(error, this.options.server);
      this.failed(hearthError);
      throw hearthError;
    }
  }

  private async runCompletion(input: CompletionInput, renew: boolean): Promise<GenerationOutcome | null> {
    const called = performance.now();
    const facts = await this.ready();
    const slot = this.slotFor(input.workspaceId, facts.slots);
    const documentKey = `${input.workspaceId}\u0000${input.documentUri}`;
    const held = this.heldFor(documentKey);
    const sent = slot === null ? (held[0]?.head ?? []) : (this.slotPrompt.get(slot) ?? []);
    const uncached = (prompt: readonly T[]): number => prompt.length - commonPrefix(prompt, sent);
    const plan = await planCompletionPrompt<T>({
      text: input.text,
      cursor: input.cursorOffset,
      chunks: input.chunks ?? [],
      renderHead: (parts) => facts.fim.head({ ...parts, languageId: input.languageId ?? "", fileName: input.fileName ?? "", repoName: input.repoName ?? "workspace" }),
      tokenize: (text) => facts.tokenize(text),
      countTokens: facts.countTokens,
      maxPromptTokens: Math.floor((facts.contextSize - input.maxTokens - 8) / this.tokenRatio),
      coldLimit: this.prefillBudget.limit(),
      uncached,
      held,
      renew,
    });
    if (renew && uncached(plan.prompt) <= 1) return null;
    if (input.signal.aborted) return emptyOutcome("cancelled", plan.prompt.length);
    this.layouts.set(documentKey, [plan.layout, ...held.filter((l) => l !== plan.layout)].slice(0, 2));
    const stopContext: StopContext = { mode: pickMode(plan.lineSuffix, input.mode), indent: plan.indent, nextSuffixLine: plan.nextSuffixLine, maxLines: 16 };
    const request = this.dialect.completionBody(plan.prompt, { slot, maxTokens: input.maxTokens, model: this.options.model ?? facts.model });
    const outcome = await this.stream(request, plan.prompt.length, input, called, {
      decide: (text) => decideStop(text, stopContext),
      finish: (text) => finalText(text, stopContext),
      stable: streamableText,
      read: (event) => this.dialect.readCompletionEvent(this.options.server, event),
    });
    // Where Hearth only estimates: a prompt the server counted near its context's end raises
    // the ratio, so the next ones keep a margin. Only then: a budget that moved on a keystroke
    // would lay the prompt out anew (and the server evaluate it anew).
    const room = facts.contextSize - input.maxTokens - 8;
    if (outcome.promptTokens > room * 0.95 && plan.prompt.length > 0 && outcome.stopReason !== "cancelled") {
      this.tokenRatio = Math.max(this.tokenRatio, (outcome.promptTokens / plan.prompt.length) * 1.1);
    }
    // What the slot holds now: this prompt (and what was generated, which the next prompt never shares past the middle).
    if (slot !== null) this.slotPrompt.set(slot, plan.prompt);
    if (outcome.stopReason !== "cancelled") this.layouts.set(documentKey, [plan.layout]);
    // Where the server doesn't say, count the tokens the slot did not hold as evaluated.
    if (outcome.evaluatedTokens === 0 && outcome.stopReason !== "cancelled") outcome.evaluatedTokens = uncached(plan.prompt);
    outcome.reusedTokens = Math.max(0, plan.prompt.length - outcome.evaluatedTokens);
    outcome.promptLayout = plan.how;
    this.prefillBudget.record(outcome.evaluatedTokens, outcome.prefillMs);
    return outcome;
  }

  explain(input: ExplainInput): Promise<GenerationOutcome> {
    return this.talking(input.signal, () => this.explainOnce(input));
  }

  private async explainOnce(input: ExplainInput): Promise<GenerationOutcome> {
    const called = performance.now();
    const facts = await this.ready();
    const budget = facts.contextSize - input.maxTokens - 64;
    const { code } = fitSelection(input.code, (text) => text, facts.countTokens, budget);
    const messages = explainMessages(code, input.languageId, input.fileName);
    const slot = facts.slots !== null && facts.slots >= 2 ? facts.slots - 1 : null;
    const body = {
      model: this.options.model ?? facts.model,
      messages: [
        { role: "system", content: messages.system },
        { role: "user", content: messages.user },
      ],
      max_tokens: input.maxTokens,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
      ...(slot !== null ? { id_slot: slot, cache_prompt: true } : {}),
    };
    return this.stream({ path: "/v1/chat/completions", body }, facts.countTokens(messages.system + messages.user), input, called, {
      decide: (text) => ({ text, stop: false }),
      finish: (text) => text.trim(),
      stable: (text) => text,
      read: (event) => readChatEvent(this.options.server, event),
    });
  }

  /** Streams one answer, applying the stop rule to the text so far; the connection closes as soon as it says stop or the request is cancelled. */
  private async stream(
    request: { path: string; body: unknown },
    promptTokens: number,
    input: Pick<CompletionInput, "signal" | "onPrefill" | "onText" | "yieldPoint" | "maxTokens">,
    /** When the backend call began: the first token is timed from there (a wait for the server or the tokenizer counts). */
    called: number,
    rules: { decide: (text: string) => { text: string; stop: boolean }; finish: (text: string) => string; stable: (text: string) => string; read: (event: unknown) => CompletionEvent },
  ): Promise<GenerationOutcome> {
    const outcome = emptyOutcome("eos", promptTokens);
    const started = performance.now();
    const stop = new AbortController();
    const signal = AbortSignal.any([input.signal, stop.signal, this.stopAll.signal]);
    let generated = "";
    let shown = "";
    let pieces = 0;
    let serverDone: CompletionEvent["done"] = null;
    let stoppedByRule = false;
    this.active++;
    try {
      await streamEvents(this.options.server, request.path, request.body, signal, async (raw) => {
        const event = rules.read(raw);
        if (event.usage) applyUsage(outcome, event.usage);
        if (event.done) serverDone = event.done;
        if (event.delta === "") return;
        const now = performance.now();
        if (outcome.firstTokenMs === null) {
          outcome.firstTokenMs = now - called;
          input.onPrefill?.(1, 1);
        }
        // As the client sees it: from the first text to the last.
        outcome.decodeMs = now - called - outcome.firstTokenMs;
        pieces++;
        generated += event.delta;
        const decision = rules.decide(generated);
        if (decision.stop) {
          outcome.text = decision.text;
          stoppedByRule = true;
          return "stop";
        }
        const stable = rules.stable(generated);
        if (stable.length > shown.length && stable.startsWith(shown)) {
          input.onText?.(stable.slice(shown.length));
          shown = stable;
        }
        await input.yieldPoint?.();
        return undefined;
      });
      this.lastLatencyMs = performance.now() - started;
      if (this.lastError) this.lastError = null;
    } catch (error) {
      // A cancel ends the stream quietly; anything else is the caller's (talking()) to record.
      if (!input.signal.aborted) throw error;
    } finally {
      this.active--;
    }
    if (outcome.generatedTokens === 0) outcome.generatedTokens = pieces;
    if (input.signal.aborted) outcome.stopReason = "cancelled";
    else if (stoppedByRule) outcome.stopReason = "boundary";
    else outcome.stopReason = serverDone === "maxTokens" ? "maxTokens" : "eos";
    if (!stoppedByRule) outcome.text = rules.finish(generated);
    if (outcome.stopReason !== "cancelled" && outcome.text.length > shown.length && outcome.text.startsWith(shown)) input.onText?.(outcome.text.slice(shown.length));
    if (outcome.prefillMs === 0 && outcome.firstTokenMs !== null) outcome.prefillMs = outcome.firstTokenMs;
    return outcome;
  }

  countTokens(text: string): number {
    return this.facts ? this.facts.countTokens(text) : Math.ceil(text.length / 4);
  }

  async saveWorkspace(): Promise<number | null> {
    // The server keeps its own cache; nothing of it is Hearth's to save.
    return null;
  }

  async saveAll(): Promise<void> {}

  forgetWorkspace(workspaceId: string): void {
    this.slotOf.delete(workspaceId);
    for (const key of [...this.layouts.keys()]) if (key.startsWith(`${workspaceId}\u0000`)) this.layouts.delete(key);
  }

  hasFreeSequence(): boolean {
    const slots = this.facts?.slots;
    // A server without slots batches requests itself; one with slots can take one more while a slot is idle.
    return this.facts !== null && (slots === null || slots === undefined ? true : this.active < slots);
  }

  cachedTokens(workspaceId: string): number {
    const slot = this.slotOf.get(workspaceId);
    return slot === undefined ? 0 : (this.slotPrompt.get(slot)?.length ?? 0);
  }

  liveDocuments(workspaceId: string): number {
    let count = 0;
    for (const key of this.layouts.keys()) if (key.startsWith(`${workspaceId}\u0000`)) count++;
    return count;
  }

  kvStoreInfo(): KvCacheInfo | null {
    return null;
  }

  deviceKind(): DeviceKind {
    return "remote";
  }

  async deviceName(): Promise<string> {
    return this.options.server.label;
  }

  modelInfo(): ModelInfo {
    const facts = this.facts;
    return {
      source: this.source,
      path: null,
      name: this.options.model ?? facts?.model ?? "",
      precision: facts?.precision ?? "",
      variant: "",
      kvCacheType: "f16",
      flashAttention: null,
      contextSize: facts?.contextSize ?? 0,
      fim: facts !== null,
      fimTemplate: facts?.fim.family.name ?? null,
      draft: null,
    };
  }

  async memory(): Promise<MemoryInfo> {
    const total = os.totalmem();
    const free = os.freemem();
    return { modelBytes: 0, kvBytes: 0, vramUsedBytes: 0, vramFreeBytes: 0, vramTotalBytes: 0, ramUsedBytes: total - free, ramFreeBytes: free, ramTotalBytes: total, daemonRssBytes: process.memoryUsage().rss };
  }

  async backendInfo(): Promise<BackendInfo> {
    const reachable = this.modelState.state === "ready";
    let serverCache: BackendInfo["serverCache"] = null;
    if (reachable && this.dialect.serverCache) serverCache = await this.dialect.serverCache(this.options.server).catch(() => null);
    return {
      kind: this.dialect.kind,
      url: this.options.server.url.href,
      serverModel: this.options.model ?? this.facts?.model ?? null,
      reachable,
      lastError: this.lastError ? `${this.lastError.message} ${this.lastError.hint}` : null,
      slots: this.facts?.slots ?? null,
      serverCache,
      lastLatencyMs: this.lastLatencyMs,
    };
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.stopAll.abort();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.probing;
  }
}

function commonPrefix<T>(a: readonly T[], b: readonly T[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function applyUsage(outcome: GenerationOutcome, usage: ServerUsage): void {
  outcome.promptTokens = usage.promptTokens;
  if (usage.evaluatedTokens !== null) outcome.evaluatedTokens = usage.evaluatedTokens;
  else if (usage.cachedTokens !== null) outcome.evaluatedTokens = Math.max(0, usage.promptTokens - usage.cachedTokens);
  if (usage.prefillMs !== null) outcome.prefillMs = usage.prefillMs;
  if (usage.generatedTokens !== null) outcome.generatedTokens = usage.generatedTokens;
}

export function asHearthError(error: unknown, server: RemoteServer): HearthError {
  if (error instanceof HearthError) return error;
  return badAnswer(server, error instanceof Error ? error.message : String(error));
}

/** /v1/chat/completions stream events: {choices: [{delta: {content}, finish_reason}], usage?}. */
function readChatEvent(server: RemoteServer, event: unknown): CompletionEvent {
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

