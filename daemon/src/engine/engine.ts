/**
 * The only owner of node-llama-cpp state: the runtime, the loaded model, its context and
 * the per-workspace sequences. Requests reach it through its `pipeline` (pipeline/), which
 * drives it as a token-level engine (`port`: the vocabulary, a document's sequence, and
 * generate()); loading happens once at start-up, in the background, so that clients can
 * connect and watch its progress.
 */
import { stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { getModuleVersion, readGgufFileInfo, resolveChatWrapper, type ChatHistoryItem, type ChatWrapper, type Llama, type LlamaContext, type LlamaContextSequence, type LlamaModel, type Token } from "node-llama-cpp";
import { HearthError } from "../errors.js";
import { ErrorCodes, type BackendInfo, type DeviceKind, type KvCacheInfo, type KvCacheType, type MemoryInfo, type ModelInfo, type ModelState } from "../protocol.js";
import type { ExplainMessages } from "../prompt/explain-prompt.js";
import { fingerprintOf, modelFileSha256 } from "./fingerprint.js";
import { KvStore } from "./kv-store.js";
import { bosRuleOf, fimFormatFor, specialTokenLookup } from "./fim-format.js";
import type { FimFormat, FimTemplateChoice } from "../prompt/fim-format.js";
import type { Admission, BackendCapabilities, InferenceBackend, RequestPipeline } from "../backend.js";
import type { CacheSlot, EnginePort, Vocabulary } from "../pipeline/engine-port.js";
import { Pipeline } from "../pipeline/pipeline.js";
import { flashAttentionFor } from "./attention.js";
import { generate } from "./generate.js";
import { PrefillChunker } from "../pipeline/prefill-chunk.js";
import { freeMemoryFor, kvCacheBytes, memorySnapshot, modelShape, modelShapeOf, trainedContextOf, type ModelShape } from "./memory.js";
import { acquireLlama, releaseLlama } from "./runtime.js";
import { resolveModelSource, type ProgressReporter } from "./model-source.js";
import { CALIBRATION_TEXT, CALIBRATION_TOKENS, PrefillBudget } from "../prompt/prefill-budget.js";
import { quantTagOf } from "./precision/variants.js";
import { SequencePool } from "./sequence-pool.js";
import { Speculation, type SpeculationMode } from "./speculation.js";

export const DEFAULT_MAX_PREFILL_MS = 4000;
const PREFILL_SPEED_FILE = "prefill-tokens-per-second.json";

import type { DownloadChoice, GpuChoice } from "../options.js";

export type { GpuChoice };

export interface EngineOptions {
  modelSource: string;
  kvCacheType?: KvCacheType;
  modelsDir: string;
  /** The daemon's home: KV state files and the model hash cache live under it. */
  home: string;
  /** Save and restore workspaces' KV state (default true). */
  persistKv?: boolean;
  contextSize: number;
  /** Workspaces with a live KV cache at once; one more sequence serves explanations. */
  maxWorkspaces: number;
  /** Longest a completion's cold prefill should take; longer prompts are cut (0: never cut). */
  maxPrefillMs?: number;
  /** Tokens per prefill step; null or absent: sized to the device by the step times (prefill-chunk.ts). */
  prefillChunk?: number | null;
  /** Bytes the KV caches may take together (0: no limit but maxWorkspaces). */
  memoryBudgetBytes?: number;
  /** Bytes the saved KV states may take on disk, every model's together. */
  kvDiskBytes?: number;
  threads: number;
  gpu: GpuChoice;
  /** never: a model (or draft) that is not on disk fails the load with HEARTH_ERR_MODEL_NOT_DOWNLOADED instead of being fetched (default allow). */
  download?: DownloadChoice;
  /** The role this engine serves, named in a not-downloaded error (default completion). */
  role?: "completion" | "chat" | "nextEdit";
  /** Speculative decoding: prompt lookup (the default), a draft model, or none. */
  speculation?: SpeculationMode;
  /** The draft model for speculation "draft": a .gguf path, an hf: URI or generated:NAME. */
  draftModelSource?: string | null;
  /** The FIM format: detected from the model's special tokens ("auto", the default) or a family by name. */
  fimTemplate?: FimTemplateChoice;
  /**
   * Asked before the weights load, with the bytes the model will need (its file and its KV
   * caches) and the memory free where they would go: throws (a typed error) to refuse a
   * model the memory left can't hold.
   */
  admit?: Admission;
}

/** Explanations' speculation gate and recent text, apart from every workspace's. */
const EXPLAIN_GATE = "\u0000explain";

interface Loaded {
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  pool: SequencePool;
  /** Explanations get a sequence of their own so they never evict a workspace's cache. */
  explainSequence: LlamaContextSequence;
  /** The model's chat template, resolved on the first explanation. */
  chatWrapper?: ChatWrapper;
  /** What the prompt rules need of the vocabulary (FIM format, tokenizer, BOS). */
  vocabulary: Vocabulary<Token>;
  path: string;
  store: KvStore | null;
  speculation: Speculation;
  /** The loaded file's precision (from its GGUF metadata). */
  precision: string;
  /** Its fill-in-the-middle format; null when it has none. */
  fim: FimFormat<Token> | null;
}

/** A load the user asked for: downloads allowed, and stopped when the asker gives up. */
export interface LoadOverride {
  download: DownloadChoice;
  signal: AbortSignal;
}

/** What is (to be) loaded: the model source and the KV cache type. */
export interface Selection {
  source: string;
  kvCacheType: KvCacheType;
}

/** GGUF type names node-llama-cpp takes for each KV cache type Hearth offers. */
const KV_GGML_TYPE: Record<KvCacheType, "F16" | "Q8_0" | "Q4_0"> = { f16: "F16", q8_0: "Q8_0", q4_0: "Q4_0" };

/** The local backend: node-llama-cpp on this machine's CPU or GPU. */
export class Engine implements InferenceBackend {
  readonly capabilities: BackendCapabilities;
  /** The token-level engine the pipeline drives (public for tests that watch the prompts it is given). */
  readonly port: EnginePort<Token> = this.enginePort();
  readonly pipeline: RequestPipeline = new Pipeline<Token>(this.port);
  private loaded: Loaded | null = null;
  private llama: Llama | null = null;
  private modelState: ModelState;
  /** Why the last load failed (kept whole: its name and what a download would fetch). */
  private failure: HearthError | null = null;
  private readyPromise: Promise<void> | null = null;
  private selection: Selection;
  private family: { source: string; path: string; precision: string } | null = null;
  private readonly prefillBudget: PrefillBudget;
  /** Prefill step size for the loaded model on this device; a new model starts it afresh. */
  private prefillChunker: PrefillChunker;
  /** Decode tokens/s per model file and KV type, measured on real requests. */
  private readonly speeds = new Map<string, number>();
  /** Aborts a download under way when the daemon stops, rather than waiting for it. */
  private readonly loadAbort = new AbortController();

  constructor(
    private readonly options: EngineOptions,
    private readonly log: (message: string) => void = () => undefined,
  ) {
    this.selection = { source: options.modelSource, kvCacheType: options.kvCacheType ?? "f16" };
    this.capabilities = { kvPersistence: options.persistKv !== false, precisionVariants: true, speculation: (options.speculation ?? "lookup") !== "off" };
    this.prefillBudget = new PrefillBudget(options.maxPrefillMs ?? DEFAULT_MAX_PREFILL_MS);
    this.prefillChunker = this.newPrefillChunker();
    this.modelState = { state: "loading", source: options.modelSource, progress: null };
  }

  get current(): Selection {
    return { ...this.selection };
  }

  get state(): ModelState {
    return this.modelState;
  }

  /** Starts loading once; every caller awaits the same load. Never rejects: failure is a state. */
  load(report: ProgressReporter, override?: LoadOverride): Promise<void> {
    this.readyPromise ??= this.loadOnce(report, override).catch((error: unknown) => {
      const hearthError =
        error instanceof HearthError
          ? error
          : new HearthError(
              ErrorCodes.ModelLoadFailed,
              "HEARTH_ERR_MODEL_LOAD_FAILED",
              `Could not load ${this.selection.source}: ${error instanceof Error ? error.message : String(error)}`,
              "Check that the file is a GGUF model this version of llama.cpp supports, and that there is enough memory.",
            );
      this.failure = hearthError;
      this.modelState = { state: "failed", message: hearthError.message, hint: hearthError.hint, code: hearthError.code, ...(hearthError.download ? { download: hearthError.download } : {}) };
    });
    return this.readyPromise;
  }

  /**
   * Loads again after a failed load (a model not on disk, a download that failed), with
   * downloads allowed this once and stopped by `signal`; a load under way or done is
   * awaited as it is. Never rejects: the outcome is `state`.
   */
  async reload(report: ProgressReporter, override: LoadOverride): Promise<void> {
    await this.readyPromise;
    if (this.modelState.state !== "failed") return;
    this.failure = null;
    this.modelState = { state: "loading", source: this.selection.source, progress: null };
    this.readyPromise = null;
    await this.load(report, override);
  }

  private async loadOnce(report: ProgressReporter, override?: LoadOverride): Promise<void> {
    const signal = override ? AbortSignal.any([this.loadAbort.signal, override.signal]) : this.loadAbort.signal;
    const download = override?.download ?? this.options.download ?? "allow";
    const modelPath = await resolveModelSource(this.selection.source, {
      modelsDir: this.options.modelsDir,
      signal,
      download,
      role: this.options.role ?? "completion",
      report: (phase, progress, message, bytes) => {
        this.modelState = { state: "loading", source: this.selection.source, progress };
        report(phase, progress, message, bytes);
      },
    });
    this.llama ??= await acquireLlama({ gpu: this.options.gpu, threads: this.options.threads });
    const llama = this.llama;
    // The runtime first: it says where the weights would go (VRAM on a GPU) and how much is free there.
    if (this.options.admit) await this.options.admit({ bytes: await this.estimateNeed(modelPath), ...(await freeMemoryFor(llama)) });
    report("load", null, `Loading ${modelPath}`);
    const model = await llama.loadModel({
      modelPath,
      onLoadProgress: (progress) => {
        this.modelState = { state: "loading", source: this.selection.source, progress };
      },
    });
    const contextSize = Math.min(this.options.contextSize, model.trainContextSize);
    const workspaces = this.workspaceSlots(model, contextSize);
    const sequences = workspaces + 1;
    const context = await model.createContext({
      contextSize,
      sequences,
      threads: this.options.threads,
      experimentalKvCacheKeyType: KV_GGML_TYPE[this.selection.kvCacheType],
      experimentalKvCacheValueType: KV_GGML_TYPE[this.selection.kvCacheType],
      flashAttention: flashAttentionFor(llama.gpu === false ? "cpu" : "gpu", this.selection.kvCacheType),
    });
    const store =
      this.options.persistKv === false
        ? null
        : new KvStore(
            path.join(this.options.home, "kv"),
            fingerprintOf({
              modelSha256: await modelFileSha256(modelPath, this.options.home),
              contextSize: context.contextSize,
              kvKeyType: String(context.kvCacheKeyType),
              kvValueType: String(context.kvCacheValueType),
              runtimeVersion: await getModuleVersion(),
            }),
            this.log,
            this.options.kvDiskBytes,
          );
    const speculation = await Speculation.create(llama, model, context, {
      mode: this.options.speculation ?? "lookup",
      draftSource: this.options.draftModelSource ?? null,
      modelsDir: this.options.modelsDir,
      download,
      signal,
      report,
      sequences,
      threads: this.options.threads,
    }, modelPath).catch(async (error: unknown) => {
      // A refused draft fails the load: free the target rather than leak it.
      await context.dispose();
      await model.dispose();
      throw error;
    });
    const pool = new SequencePool(context, workspaces, store, () => speculation.predictor(), this.log);
    const explainSequence = context.getSequence({ tokenPredictor: speculation.predictor() });
    const fim = fimFormatFor(model, this.options.fimTemplate ?? "auto");
    this.prefillChunker = this.newPrefillChunker();
    const vocabulary: Vocabulary<Token> = {
      fim,
      tokenize: (text) => model.tokenize(text, false),
      countTokens: (text) => model.tokenize(text, false).length,
      bosRule: bosRuleOf(model),
      specialToken: specialTokenLookup(model),
      modelName: `${path.basename(modelPath)} ${String(model.fileInfo.metadata.general.name ?? "")}`.trim(),
    };
    this.loaded = { llama, model, context, pool, explainSequence, speculation, path: modelPath, store, precision: precisionName(model.fileInfo.metadata.general.file_type), fim, vocabulary };
    if (store) this.prefillBudget.seed(store.readNumber(PREFILL_SPEED_FILE) ?? Number.NaN);
    // A first request into a big file must be cut like every later one: measure now when
    // no speed was kept from an earlier run.
    if (this.prefillBudget.enabled && this.prefillBudget.speed === null) await this.calibratePrefill(model, explainSequence);
    // The configured model anchors its precision family, whichever variant is loaded later.
    if (this.selection.source === this.options.modelSource) this.family = { source: this.options.modelSource, path: modelPath, precision: this.loaded.precision };
    this.failure = null;
    this.modelState = { state: "ready" };
    report("load", 1, `Model ready: ${path.basename(modelPath)} on ${this.deviceKind()}`);
  }

  /** What loading the file will take, before loading it: the file (the weights) and the KV caches of its sequences. */
  private async estimateNeed(modelPath: string): Promise<number> {
    const info = await readGgufFileInfo(modelPath, { readTensorInfo: false, sourceType: "filesystem" });
    const contextSize = Math.min(this.options.contextSize, trainedContextOf(info.metadata) ?? this.options.contextSize);
    const kv = kvCacheBytes(modelShapeOf(info.metadata), contextSize, this.options.maxWorkspaces + 1, this.selection.kvCacheType, this.selection.kvCacheType);
    return (await stat(modelPath)).size + kv;
  }

  private newPrefillChunker(): PrefillChunker {
    const fixed = this.options.prefillChunk ?? null;
    return fixed === null ? new PrefillChunker() : PrefillChunker.fixed(fixed);
  }

  /** Prefills a short code-like prompt in the chunks requests use, and learns the speed from it. */
  private async calibratePrefill(model: LlamaModel, sequence: LlamaContextSequence): Promise<void> {
    const sample = model.tokenize(CALIBRATION_TEXT, false);
    const tokens: Token[] = [];
    while (tokens.length < CALIBRATION_TOKENS && sample.length > 0) tokens.push(...sample.slice(0, CALIBRATION_TOKENS - tokens.length));
    const started = performance.now();
    for (let done = 0; done < tokens.length; ) {
      const chunk = tokens.slice(done, done + this.prefillChunker.size);
      await this.prefillChunker.step(chunk.length, () => sequence.evaluateWithoutGeneratingNewTokens(chunk));
      done += chunk.length;
    }
    const elapsed = performance.now() - started;
    await sequence.clearHistory();
    this.prefillBudget.record(tokens.length, elapsed);
    this.log(`prefill speed calibrated: ${Math.round((1000 * tokens.length) / elapsed)} tokens/s (${tokens.length} tokens in ${Math.round(elapsed)} ms)`);
  }

  /** Waits for the model; throws a typed error when loading failed. */
  async ready(): Promise<Loaded> {
    await this.readyPromise;
    if (this.loaded) return this.loaded;
    const state = this.modelState;
    if (state.state === "failed") {
      throw this.failure ?? new HearthError(ErrorCodes.ModelLoadFailed, "HEARTH_ERR_MODEL_LOAD_FAILED", state.message, state.hint);
    }
    throw new HearthError(ErrorCodes.ModelNotReady, "HEARTH_ERR_MODEL_NOT_READY", "The model is not loaded.", "Wait for hearth/modelProgress to report ready.");
  }

  /** The engine as the pipeline sees it: the loaded model's vocabulary, its sequences, and generate(). */
  private enginePort(): EnginePort<Token> {
    return {
      ready: async () => (await this.ready()).vocabulary,
      // Room for the answer and the FIM tokens; the rest of the context holds the prompt.
      promptRoom: (maxTokens) => sequenceContextSize(this.loaded) - maxTokens - 8,
      // Read when used: the port is made before the constructor sets the budget.
      prefillBudget: () => this.prefillBudget,
      completionSlot: (workspaceId, documentUri) => this.completionSlot(workspaceId, documentUri),
      renderChat: (messages) => {
        const loaded = this.loaded;
        if (!loaded) return [];
        loaded.chatWrapper ??= resolveChatWrapper(loaded.model);
        return loaded.chatWrapper.generateContextState({ chatHistory: explainHistory(messages) }).contextText.tokenize(loaded.model.tokenizer);
      },
      runExplanation: async (prompt, request) => {
        const { model, explainSequence: sequence, speculation } = await this.ready();
        const tokens = "tokens" in prompt ? prompt.tokens : [];
        speculation.begin(sequence, EXPLAIN_GATE, EXPLAIN_GATE);
        const run = await generate(sequence, model, { ...request, prompt: tokens, chunker: this.prefillChunker });
        speculation.end(sequence, EXPLAIN_GATE, EXPLAIN_GATE, tokens, run);
        return run;
      },
    };
  }

  /** A document's sequence, held for one request: generation there speculates and teaches the decode speed. */
  private async completionSlot(workspaceId: string, documentUri: string): Promise<CacheSlot<Token>> {
    const { model, pool, speculation } = await this.ready();
    const cache = await pool.acquire(workspaceId, documentUri);
    const { sequence } = cache;
    if (cache.restored) this.log(`restored the saved KV cache of workspace ${workspaceId} for ${documentUri} (${sequence.nextTokenIndex} tokens)`);
    return {
      get held() {
        return cache.layouts;
      },
      hold: (layouts) => cache.setLayouts(layouts),
      uncached: (tokens) => tokens.length - sequence.compareContextTokens([...tokens]).firstDifferentIndex,
      run: async (prompt, request) => {
        // A next edit's windows as tokens (plain text, as the model writes it): the output starts right after the prompt.
        const copy = request.copyFrom?.length ? { windows: request.copyFrom.map((text) => model.tokenize(text, false)), outputStart: prompt.length } : null;
        speculation.begin(sequence, workspaceId, documentUri, copy);
        const run = await generate(sequence, model, { ...request, prompt, chunker: this.prefillChunker });
        this.recordSpeed(run.generatedTokens, performance.now() - request.startedAt - (run.firstTokenMs ?? 0));
        speculation.end(sequence, workspaceId, documentUri, prompt, run, copy);
        return run;
      },
      release: () => cache.release(),
    };
  }

  /** Tokens of `text` in the loaded model's vocabulary (about a quarter of its length before loading). */
  countTokens(text: string): number {
    const model = this.loaded?.model;
    return model ? model.tokenize(text, false).length : Math.ceil(text.length / 4);
  }

  /**
   * Writes the workspace's documents' KV states that changed, each at most once per
   * `minIntervalMs`; run it between requests. Returns in how many ms a skipped one is due
   * (null when none was skipped).
   */
  async saveWorkspace(workspaceId: string, minIntervalMs = 0): Promise<number | null> {
    const due = (await this.loaded?.pool.save(workspaceId, minIntervalMs)) ?? null;
    this.savePrefillSpeed();
    return due;
  }

  async saveAll(): Promise<void> {
    await this.loaded?.pool.saveAll();
    this.savePrefillSpeed();
  }

  /** The prefill budget shapes prompts, so it must survive a restart as the cache does. */
  private savePrefillSpeed(): void {
    const speed = this.prefillBudget.speed;
    if (speed !== null) this.loaded?.store?.writeNumber(PREFILL_SPEED_FILE, speed);
  }

  kvStoreInfo(): KvCacheInfo | null {
    const store = this.loaded?.store;
    return store ? { directory: store.dir, fingerprint: store.fingerprint, ...store.stats } : null;
  }

  cachedTokens(workspaceId: string): number {
    return this.loaded?.pool.cachedTokens(workspaceId) ?? 0;
  }

  liveDocuments(workspaceId: string): number {
    return this.loaded?.pool.liveDocuments(workspaceId) ?? 0;
  }

  /** Drops the per-workspace state of a workspace whose last client left (its KV caches stay, on disk and live). */
  forgetWorkspace(workspaceId: string): void {
    this.loaded?.speculation.forget(workspaceId);
  }

  /** Whether a completion could run now beside the one generating (a sequence nobody holds). */
  hasFreeSequence(): boolean {
    return this.loaded?.pool.hasFreeSlot() ?? false;
  }

  deviceKind(): DeviceKind {
    const gpu = this.loaded?.llama.gpu ?? false;
    return gpu === false ? "cpu" : gpu;
  }

  async deviceName(): Promise<string> {
    if (!this.loaded || this.loaded.llama.gpu === false) return `CPU: ${os.cpus()[0]?.model.trim() ?? "unknown"}`;
    const names = await this.loaded.llama.getGpuDeviceNames();
    return names.join(", ") || String(this.loaded.llama.gpu);
  }

  /**
   * Live workspace caches: --workspaces, fewer when the memory budget can't hold that many
   * beside the weights (each sequence allocates the whole context), never fewer than one.
   */
  private workspaceSlots(model: LlamaModel, contextSize: number): number {
    const budget = this.options.memoryBudgetBytes ?? 0;
    if (budget <= 0) return this.options.maxWorkspaces;
    const perSequence = kvCacheBytes(modelShape(model), contextSize, 1, this.selection.kvCacheType, this.selection.kvCacheType);
    const fits = Math.max(1, Math.floor(Math.max(0, budget - model.size) / perSequence) - 1);
    if (fits < this.options.maxWorkspaces) this.log(`memory budget ${budget} bytes holds ${fits} workspace cache(s) of ${perSequence} bytes (plus one for explanations)`);
    return Math.min(this.options.maxWorkspaces, fits);
  }

  /** Whether this KV type can be used with the loaded model; null when it can, else why not. */
  kvCacheTypeProblem(type: KvCacheType): string | null {
    if (type === "f16") return null;
    const model = this.loaded?.model;
    if (model && !model.flashAttentionSupported) return `${type} needs flash attention, which this model/backend does not support`;
    return null;
  }

  /**
   * Unloads the current model and loads `next`. The workspaces' KV states are saved first
   * (under the old fingerprint, for when it comes back). If `next` fails to load, the
   * previous selection is loaded again and the failure is thrown.
   */
  async switchTo(next: Selection, report: ProgressReporter): Promise<void> {
    await this.readyPromise;
    const previous = this.selection;
    await this.saveAll();
    await this.unload();
    this.selection = next;
    this.modelState = { state: "loading", source: next.source, progress: null };
    this.readyPromise = null;
    // A client asked for this variant: an hf: one not on disk is fetched even under --download never.
    const asked: LoadOverride = { download: "allow", signal: this.loadAbort.signal };
    await this.load(report, asked);
    // Re-read through a function: TypeScript narrowed modelState to "loading" above.
    const state = this.state;
    if (state.state !== "failed") return;
    this.selection = previous;
    this.readyPromise = null;
    await this.load(report, asked);
    throw new HearthError(ErrorCodes.ModelLoadFailed, "HEARTH_ERR_MODEL_LOAD_FAILED", `${state.message} The previous model is loaded again.`, state.hint);
  }

  /** Records a finished request's decode speed for the precision picker. */
  recordSpeed(generatedTokens: number, decodeMs: number): void {
    if (!this.loaded || generatedTokens < 4 || decodeMs <= 0) return;
    const key = `${this.loaded.path}\u0000${this.selection.kvCacheType}`;
    const measured = (1000 * generatedTokens) / decodeMs;
    const previous = this.speeds.get(key);
    this.speeds.set(key, previous === undefined ? measured : previous * 0.7 + measured * 0.3);
  }

  measuredSpeed(file: string, kvCacheType: KvCacheType): number | null {
    return this.speeds.get(`${file}\u0000${kvCacheType}`) ?? null;
  }

  /** The configured model (the family's anchor): its source, file and precision once loaded. */
  familyAnchor(): { source: string; path: string; precision: string } | null {
    return this.family;
  }

  /** The loaded model's file, precision, size and shape, for listing variants (plain data: node-llama-cpp stays in here). */
  loadedModel(): { path: string; precision: string; modelBytes: number; shape: ModelShape; contextSize: number; sequences: number } | null {
    const loaded = this.loaded;
    if (!loaded) return null;
    return { path: loaded.path, precision: loaded.precision, modelBytes: loaded.model.size, shape: modelShape(loaded.model), contextSize: loaded.context.contextSize, sequences: loaded.context.totalSequences };
  }

  modelInfo(): ModelInfo {
    const loaded = this.loaded;
    return {
      source: this.selection.source,
      path: loaded?.path ?? null,
      name: loaded ? String(loaded.model.fileInfo.metadata.general.name ?? path.basename(loaded.path)) : "",
      precision: loaded?.precision ?? "",
      variant: loaded ? variantIdOf(this.selection.source, loaded.path, loaded.precision) : "",
      kvCacheType: this.selection.kvCacheType,
      flashAttention: loaded ? loaded.context.flashAttention : null,
      contextSize: loaded?.context.contextSize ?? this.options.contextSize,
      fim: loaded ? loaded.fim !== null : false,
      fimTemplate: loaded?.fim?.family.name ?? null,
      draft: loaded?.speculation.draftSource ?? null,
    };
  }

  async backendInfo(): Promise<BackendInfo> {
    return { kind: "local", url: null, serverModel: null, reachable: true, lastError: null, slots: null, serverCache: null, lastLatencyMs: null };
  }

  async memory(): Promise<MemoryInfo> {
    const loaded = this.loaded;
    if (!loaded) return memorySnapshot(null, 0, 0);
    const kv = kvCacheBytes(modelShape(loaded.model), loaded.context.contextSize, loaded.context.totalSequences, this.selection.kvCacheType, this.selection.kvCacheType);
    return memorySnapshot(loaded.llama, loaded.model.size, kv);
  }

  private async unload(): Promise<void> {
    const loaded = this.loaded;
    this.loaded = null;
    if (!loaded) return;
    loaded.pool.dispose();
    loaded.explainSequence.dispose();
    await loaded.context.dispose();
    await loaded.speculation.dispose();
    await loaded.model.dispose();
  }

  async dispose(): Promise<void> {
    // A download is given up; a load still under way would leave native threads behind
    // that keep the process alive, so that one is waited for.
    this.loadAbort.abort();
    await this.readyPromise;
    await this.unload();
    const llama = this.llama;
    this.llama = null;
    if (llama) await releaseLlama(llama);
  }
}

function explainHistory(messages: ExplainMessages): ChatHistoryItem[] {
  return [
    { type: "system", text: messages.system },
    { type: "user", text: messages.user },
    { type: "model", response: [] },
  ];
}

function sequenceContextSize(loaded: Loaded | null): number {
  return loaded?.context.contextSize ?? 0;
}

/** The variant id of what is loaded: the source's tag when it has one, else the file's precision. */
function variantIdOf(source: string, file: string, precision: string): string {
  if (source.startsWith("generated:")) return source.split("@")[1] ?? "Q8_0";
  return quantTagOf(path.basename(file)) ?? quantTagOf(source.split(":").pop() ?? "") ?? precision;
}

/** llama.cpp's LLAMA_FTYPE numbers for the precisions people pick. */
const FILE_TYPE_NAMES: Record<number, string> = {
  0: "F32",
  1: "F16",
  2: "Q4_0",
  3: "Q4_1",
  7: "Q8_0",
  8: "Q5_0",
  9: "Q5_1",
  10: "Q2_K",
  11: "Q3_K_S",
  12: "Q3_K_M",
  13: "Q3_K_L",
  14: "Q4_K_S",
  15: "Q4_K_M",
  16: "Q5_K_S",
  17: "Q5_K_M",
  18: "Q6_K",
  32: "BF16",
};

export function precisionName(fileType: unknown): string {
  return typeof fileType === "number" ? (FILE_TYPE_NAMES[fileType] ?? `type ${fileType}`) : "unknown";
}
