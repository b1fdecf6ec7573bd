/**
 * The seam between what serves requests (sessions, the scheduler's jobs, idle work, status)
 * and what runs the model. The local node-llama-cpp engine (engine/engine.ts) is one
 * implementation; a remote server is another kind. Both serve requests through the same
 * pipeline (pipeline/), which they feed as token-level engines (pipeline/engine-port.ts). Everything here is plain types: no
 * backend's library comes in through this file.
 */
import type { BackendInfo, DeviceKind, KvCacheInfo, MemoryInfo, ModelInfo, ModelState, PrecisionListResult, PrecisionSetParams, PrecisionSetResult } from "./protocol.js";
import type { EditEvent } from "./next-edit/edit-history.js";
import type { RelatedFile } from "./next-edit/format.js";
import type { NextEditFormatChoice } from "./next-edit/formats.js";
import type { NextEdit, Position } from "./protocol.js";
import type { ContextChunk } from "./prompt/fim-prompt.js";

/** Bytes of a download: on disk so far, and the file's size (null until the server says). */
export interface DownloadBytes {
  receivedBytes: number;
  totalBytes: number | null;
}

/** Download and load progress (0..1 when known) while a backend gets ready; a download tells its bytes too. */
export type ProgressReporter = (phase: "download" | "load", progress: number | null, message: string, bytes?: DownloadBytes) => void;

export interface CompletionInput {
  workspaceId: string;
  text: string;
  cursorOffset: number;
  maxTokens: number;
  mode: "auto" | "line" | "block" | undefined;
  chunks?: readonly ContextChunk[];
  /** The document completed in: it owns a KV cache; prompt lookup searches the workspace's other documents. */
  documentUri: string;
  /** For the FIM format: the document's language (comment style of chunk headers), its path in the workspace, the workspace's name. */
  languageId?: string;
  fileName?: string;
  repoName?: string;
  signal: AbortSignal;
  onPrefill?: (evaluated: number, total: number) => void;
  onText?: (delta: string) => void;
  /** Where the scheduler may let a waiting completion run (between chunks and tokens). */
  yieldPoint?: () => Promise<void>;
}

export interface ExplainInput {
  code: string;
  languageId: string;
  fileName: string;
  maxTokens: number;
  signal: AbortSignal;
  onPrefill?: (evaluated: number, total: number) => void;
  onText?: (delta: string) => void;
  yieldPoint?: () => Promise<void>;
}

export interface NextEditInput {
  workspaceId: string;
  /** The document: its cache slot, its text now and the cursor in it. */
  documentUri: string;
  text: string;
  cursor: Position;
  /** Its path in the workspace, as prompts name it. */
  path: string;
  /** Its edit history, oldest first (next-edit/edit-history.ts). */
  events: readonly EditEvent[];
  related?: readonly RelatedFile[];
  /** --next-edit-format; "auto" picks by the model's name and vocabulary. */
  format: NextEditFormatChoice;
  maxTokens: number;
  signal: AbortSignal;
  onPrefill?: (evaluated: number, total: number) => void;
  yieldPoint?: () => Promise<void>;
}

/** A next-edit request's outcome: the generation's counts (its text is the model's raw output) and the edits read from it. */
export interface NextEditOutcome extends GenerationOutcome {
  edits: NextEdit[];
  cursor?: Position;
  /** The share of the model's window that repeats the window's lines; null when the output could not be read. */
  copied: number | null;
  /** The format the model was asked in. */
  format: string;
}

export type GenerationStop = "eos" | "boundary" | "maxTokens" | "contextFull" | "cancelled";

export interface GenerationOutcome {
  text: string;
  stopReason: GenerationStop;
  promptTokens: number;
  reusedTokens: number;
  evaluatedTokens: number;
  generatedTokens: number;
  tokensAfterCancel: number;
  prefillMs: number;
  /** Milliseconds from the start of this call to the first generated token. */
  firstTokenMs: number | null;
  /** Milliseconds from the first generated token to the last (decoding alone). */
  decodeMs: number;
  /** Speculative decoding: drafted tokens the target checked, and those it agreed with. */
  draftTokens: number;
  acceptedTokens: number;
  /** A completion's prompt: a held layout continued, laid out anew at the held cut, or fresh (null: not a completion). */
  promptLayout: PromptLayoutKind | null;
  /** The model that produced it, as roles.ts names it (absent: the request never reached a model). */
  model?: string;
}

export type PromptLayoutKind = "held" | "overflow" | "fresh";

/** An outcome with nothing done yet: the start of every generation, and what a job cancelled before it ran reports. */
export function emptyOutcome(stopReason: GenerationStop, promptTokens = 0): GenerationOutcome {
  return {
    text: "",
    stopReason,
    promptTokens,
    reusedTokens: 0,
    evaluatedTokens: 0,
    generatedTokens: 0,
    tokensAfterCancel: 0,
    prefillMs: 0,
    firstTokenMs: null,
    decodeMs: 0,
    draftTokens: 0,
    acceptedTokens: 0,
    promptLayout: null,
  };
}

/** What loading a model will take, asked before its weights load, and the memory free where they would go. */
export interface LoadNeed {
  /** Its weights and KV caches. */
  bytes: number;
  /** Where they would load: VRAM on a GPU, else RAM. */
  memory: "RAM" | "VRAM";
  /** Bytes free there now (beside every model already loaded). */
  freeBytes: number;
}

/** Asked before a model's weights load: throws a typed error to refuse one that would not fit. */
export type Admission = (need: LoadNeed) => Promise<void>;

/** What a backend can do beyond completing and explaining; what it can't answers a typed error. */
export interface BackendCapabilities {
  /** Saves and restores KV states across restarts. */
  kvPersistence: boolean;
  /** Switches between precision variants and KV cache types (hearth/precision/*). */
  precisionVariants: boolean;
  /** Decodes speculatively. */
  speculation: boolean;
}

/** Completions, warm-ups and explanations: made by the one pipeline (pipeline/) over the backend's engine. */
export interface RequestPipeline {
  complete(input: CompletionInput): Promise<GenerationOutcome>;
  /** The idle warm-up: the document's prompt laid out anew and evaluated; the prompt tokens it evaluated. */
  warmUp(input: Omit<CompletionInput, "maxTokens" | "onPrefill" | "onText">): Promise<number>;
  explain(input: ExplainInput): Promise<GenerationOutcome>;
  /** The edit the user makes next, predicted by a next-edit model (pipeline/next-edit.ts). */
  nextEdit(input: NextEditInput): Promise<NextEditOutcome>;
}

export interface InferenceBackend {
  readonly capabilities: BackendCapabilities;
  /** How this backend's requests are served: pipeline/pipeline.ts over its engine port. */
  readonly pipeline: RequestPipeline;
  /** The model's state: loading (with progress), ready or failed. */
  readonly state: ModelState;
  /** Starts loading once; every caller awaits the same load. Never rejects: failure is a state. */
  load(report: ProgressReporter): Promise<void>;
  /** Tokens of `text` in the model's vocabulary (an estimate before it is loaded). */
  countTokens(text: string): number;
  /** Writes the workspace's changed KV states, each at most once per `minIntervalMs`; in how many ms a skipped one is due. */
  saveWorkspace(workspaceId: string, minIntervalMs?: number): Promise<number | null>;
  saveAll(): Promise<void>;
  /** Drops what is kept for a workspace whose last client left. */
  forgetWorkspace(workspaceId: string): void;
  /** Whether a completion could run now beside the one generating. */
  hasFreeSequence(): boolean;
  cachedTokens(workspaceId: string): number;
  liveDocuments(workspaceId: string): number;
  kvStoreInfo(): KvCacheInfo | null;
  deviceKind(): DeviceKind;
  deviceName(): Promise<string>;
  modelInfo(): ModelInfo;
  memory(): Promise<MemoryInfo>;
  /** Which backend this is and how its server is doing (status bar, hearth status). */
  backendInfo(): Promise<BackendInfo>;
  /** Called whenever `state` changes after load() resolved (a server lost or back). */
  onStateChange?: (state: ModelState) => void;
  dispose(): Promise<void>;
}

/** Precision variants and KV cache types (hearth/precision/*): the local engine's; a backend without them has none. */
export interface PrecisionControl {
  list(): Promise<PrecisionListResult>;
  set(params: PrecisionSetParams): Promise<PrecisionSetResult>;
}
