/**
 * A remote engine (llama.cpp's server, an OpenAI-compatible server) as the pipeline's
 * token-level engine: the server's facts learned at connect, workspaces pinned to its slots
 * (each slot's cache holds what Hearth last sent it), one evaluation streamed per request
 * (remote-stream.ts), and a server that goes away: typed errors, retries with backoff,
 * completions again once it is back. Prompts, stop rules and metrics are the pipeline's
 * (pipeline/); the wire formats are the dialects' (dialect.ts, llama-server.ts, openai.ts).
 */
import os from "node:os";
import type { BackendCapabilities, InferenceBackend, ProgressReporter, RequestPipeline } from "../backend.js";
import { HearthError } from "../errors.js";
import { ErrorCodes, type BackendInfo, type DeviceKind, type KvCacheInfo, type MemoryInfo, type ModelInfo, type ModelState } from "../protocol.js";
import type { CacheSlot, EnginePort, EngineRun, EngineRunRequest, Vocabulary } from "../pipeline/engine-port.js";
import { Pipeline } from "../pipeline/pipeline.js";
import { PrefillBudget } from "../prompt/prefill-budget.js";
import type { HeldLayout } from "../prompt/prompt-layout.js";
import { readChatEvent, type CompletionEvent, type Dialect, type RequestBody, type ServerFacts } from "./dialect.js";
import { badAnswer, timedOut, type RemoteServer } from "./http.js";
import { streamRun } from "./remote-stream.js";

export type { CompletionEvent, Dialect, ServerFacts, ServerUsage } from "./dialect.js";

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
  /** The token-level engine the pipeline drives (public for tests that watch the prompts it is given). */
  readonly port: EnginePort<T> = this.enginePort();
  readonly pipeline: RequestPipeline = new Pipeline<T>(this.port);
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
  /** Decode time per generated token on this server, measured on finished requests. */
  private decodeMsPerToken: number | null = null;
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
      if (this.facts) report("load", 1, `${this.options.server.label} ready: ${this.facts.model} (${this.facts.slots ?? "no"} slots, ctx ${this.facts.contextSize}, FIM ${fimName(this.facts)})`);
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
        if (this.modelState.state !== "ready") this.options.log(`${this.options.server.label}: ${facts.model}, ${facts.slots ?? "no"} slots, ctx ${facts.contextSize}, FIM ${fimName(facts)}`);
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

  /** The server as the pipeline sees it: its vocabulary, its slots' caches, and streamed evaluations. */
  private enginePort(): EnginePort<T> {
    return {
      ready: async () => vocabularyOf(await this.ready()),
      // Where Hearth only estimates tokens, the budget is divided by the measured ratio so estimated prompts fit.
      promptRoom: (maxTokens) => Math.floor(((this.facts?.contextSize ?? 0) - maxTokens - 8) / this.tokenRatio),
      // Read when used: the port is made before the constructor sets the budget.
      prefillBudget: () => this.prefillBudget,
      completionSlot: async (workspaceId, documentUri) => this.completionSlot(await this.ready(), workspaceId, documentUri),
      // The server applies the model's chat template itself (/v1/chat/completions).
      renderChat: null,
      runExplanation: async (prompt, request) => {
        const facts = await this.ready();
        if (!("messages" in prompt)) throw new Error("a remote engine takes an explanation's messages, not tokens");
        const slot = facts.slots !== null && facts.slots >= 2 ? facts.slots - 1 : null;
        const body = this.dialect.chatBody(prompt.messages, { slot, maxTokens: request.maxTokens, model: this.options.model ?? facts.model });
        return this.streamed(body, prompt.estimatedTokens, request, (event) => readChatEvent(this.options.server, event));
      },
      guard: (signal, work) => this.guarded(signal, work),
    };
  }

  /** A document's layouts and its workspace's slot, whose cache holds the prompt last sent there. */
  private completionSlot(facts: ServerFacts<T>, workspaceId: string, documentUri: string): CacheSlot<T> {
    const slot = this.slotFor(workspaceId, facts.slots);
    const documentKey = `${workspaceId}\u0000${documentUri}`;
    const held = this.heldFor(documentKey);
    // What the cache holds as this request starts: the slot's last prompt, or (a server without slots) this document's last head.
    const sent: readonly T[] = slot === null ? (held[0]?.head ?? []) : (this.slotPrompt.get(slot) ?? []);
    const uncached = (prompt: readonly T[]): number => prompt.length - commonPrefix(prompt, sent);
    return {
      get held() {
        return held;
      },
      hold: (layouts) => {
        held.splice(0, held.length, ...layouts);
        this.layouts.set(documentKey, held);
      },
      uncached,
      run: async (prompt, request) => {
        const notHeld = uncached(prompt);
        const body = this.dialect.completionBody(prompt, { slot, maxTokens: request.maxTokens, model: this.options.model ?? facts.model });
        const run = await this.streamed(body, prompt.length, request, (event) => this.dialect.readCompletionEvent(this.options.server, event));
        // Where Hearth only estimates: a prompt the server counted near its context's end raises
        // the ratio, so the next ones keep a margin. Only then: a budget that moved on a keystroke
        // would lay the prompt out anew (and the server evaluate it anew).
        const room = facts.contextSize - request.maxTokens - 8;
        if (run.promptTokens > room * 0.95 && prompt.length > 0 && run.stopReason !== "cancelled") {
          this.tokenRatio = Math.max(this.tokenRatio, (run.promptTokens / prompt.length) * 1.1);
        }
        // What the slot holds now: this prompt (and what was generated, which the next prompt never shares past the middle).
        if (slot !== null) this.slotPrompt.set(slot, prompt);
        // Where the server doesn't say, count the tokens the slot did not hold as evaluated.
        if (run.evaluatedTokens === 0 && run.stopReason !== "cancelled") run.evaluatedTokens = notHeld;
        run.reusedTokens = Math.max(0, prompt.length - run.evaluatedTokens);
        return run;
      },
      release: () => undefined,
    };
  }

  /**
   * Runs a request; a failure (not a cancel) is typed, recorded (failed()) and thrown. A prompt
   * the server found longer than its context (an estimate that counted too few) is fitted
   * again, once, smaller.
   */
  private async guarded<R>(signal: AbortSignal, work: () => Promise<R>): Promise<R> {
    try {
      try {
        return await work();
      } catch (error) {
        const overflow = error instanceof HearthError && error.rpcCode === ErrorCodes.BackendBadAnswer && /HTTP 400.*context/i.test(error.message);
        if (!overflow || signal.aborted) throw error;
        this.tokenRatio *= 1.5;
        this.options.log(`${this.options.server.label} refused a prompt as longer than its context: prompts are now fitted to 1/${this.tokenRatio.toFixed(2)} of it`);
        return await work();
      }
    } catch (error) {
      if (signal.aborted) throw error;
      const hearthError = asHearthError(error, this.options.server);
      this.failed(hearthError);
      throw hearthError;
    }
  }

  /**
   * A request's overall deadline: the wait for the answer, then its token limit at four times
   * the measured decode time per token (never under 50 ms a token, and 250 ms a token until
   * a speed is measured), so a server that streams on past the limit is stopped and reported.
   */
  private deadlineFor(maxTokens: number): number {
    const perToken = this.decodeMsPerToken === null ? 250 : Math.max(50, 4 * this.decodeMsPerToken);
    return this.options.server.answerTimeoutMs + maxTokens * perToken;
  }

  /** One streamed evaluation, counted among the server's active requests; a finished one is the server's latest latency. */
  private async streamed(body: RequestBody, promptTokens: number, request: EngineRunRequest, read: (event: unknown) => CompletionEvent): Promise<EngineRun> {
    const started = performance.now();
    this.active++;
    try {
      const run = await streamRun(this.options.server, body, read, promptTokens, request, this.stopAll.signal, this.deadlineFor(request.maxTokens));
      if (run.stopReason !== "cancelled") {
        this.lastLatencyMs = performance.now() - started;
        this.lastError = null;
      }
      if (run.generatedTokens >= 4 && run.decodeMs > 0) {
        const perToken = run.decodeMs / run.generatedTokens;
        this.decodeMsPerToken = this.decodeMsPerToken === null ? perToken : this.decodeMsPerToken * 0.7 + perToken * 0.3;
      }
      return run;
    } finally {
      this.active--;
    }
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
      fim: (facts?.fim ?? null) !== null,
      fimTemplate: facts?.fim?.family.name ?? null,
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

export function asHearthError(error: unknown, server: RemoteServer): HearthError {
  if (error instanceof HearthError) return error;
  return badAnswer(server, error instanceof Error ? error.message : String(error));
}

/** What the pipeline needs of the server's vocabulary. */
function vocabularyOf<T>(facts: ServerFacts<T>): Vocabulary<T> {
  return {
    fim: facts.fim,
    ...(facts.noFim !== null ? { noFim: facts.noFim } : {}),
    tokenize: facts.tokenize,
    countTokens: facts.countTokens,
    bosRule: facts.bosRule,
    modelName: facts.model,
    ...(facts.specialToken ? { specialToken: facts.specialToken } : {}),
  };
}

/** The FIM format as the log names it: a chat model's "none" is no failure (it explains and suggests next edits). */
function fimName<T>(facts: ServerFacts<T>): string {
  return facts.fim?.family.name ?? "none: explanations and next edits only";
}
