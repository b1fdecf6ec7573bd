/**
 * The Hearth wire protocol: every method the daemon answers, with its parameter and result
 * types. Shared by the daemon, the CLI and the VS Code extension; it imports only
 * vscode-jsonrpc so each side can build typed connections from the same constants.
 *
 * Transport: JSON-RPC 2.0, one message per WebSocket text frame, on ws://127.0.0.1:PORT/
 * after the token handshake of handshake.ts (each side proves the token over the other's
 * nonce; the token itself never crosses the wire). Standard LSP shapes where LSP has a method for the
 * job (initialize, document sync, textDocument/inlineCompletion from LSP 3.18, $/progress,
 * $/cancelRequest, shutdown); `hearth/*` methods for the rest.
 *
 * Streaming follows LSP partial results: a request that carries `partialResultToken`
 * receives `$/progress` notifications `{token, value: TextDelta}` as text is generated,
 * and the response still carries the whole result. A request that carries
 * `workDoneToken` receives LSP work-done progress (`begin`/`report`/`end`) during prompt
 * prefill, which is also the earliest point a client can observe (and cancel) the work.
 */
import { NotificationType, NotificationType0, ProgressType, RequestType, RequestType0 } from "vscode-jsonrpc/node";

/** 2: the token handshake (handshake.ts), DocumentOutOfSync, promptLayout and idle figures. */
export const PROTOCOL_VERSION = 2;

// ---------------------------------------------------------------------------------------
// LSP base shapes (the subset Hearth uses; field names and meaning as in LSP 3.18)

export type DocumentUri = string;
export type ProgressToken = number | string;

/** Zero-based line and UTF-16 code-unit character offset, as in LSP. */
export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface TextDocumentIdentifier {
  uri: DocumentUri;
}

export interface VersionedTextDocumentIdentifier extends TextDocumentIdentifier {
  version: number;
}

export interface TextDocumentItem {
  uri: DocumentUri;
  languageId: string;
  version: number;
  text: string;
}

export interface WorkspaceFolder {
  uri: DocumentUri;
  name: string;
}

export interface WorkDoneProgressParams {
  workDoneToken?: ProgressToken;
}

export interface PartialResultParams {
  partialResultToken?: ProgressToken;
}

// ---------------------------------------------------------------------------------------
// Lifecycle

export interface ClientInfo {
  name: string;
  version?: string;
}

export interface InitializeParams extends WorkDoneProgressParams {
  processId: number | null;
  clientInfo?: ClientInfo;
  /** Accepted for LSP compatibility; Hearth reads no client capability yet. */
  capabilities: object;
  /** The folders that make up this client's workspace; they key its KV cache. */
  workspaceFolders?: WorkspaceFolder[] | null;
}

export interface ServerCapabilities {
  textDocumentSync: { openClose: true; change: TextDocumentSyncKind };
  inlineCompletionProvider: true;
  experimental: { hearth: { protocolVersion: number; methods: string[] } };
}

export interface InitializeResult {
  capabilities: ServerCapabilities;
  serverInfo: { name: string; version: string };
  /** The workspace id this connection's requests are cached under. */
  workspaceId: string;
}

export const TextDocumentSyncKind = { Full: 1, Incremental: 2 } as const;
export type TextDocumentSyncKind = (typeof TextDocumentSyncKind)[keyof typeof TextDocumentSyncKind];

export const InitializeRequest = new RequestType<InitializeParams, InitializeResult, void>("initialize");
export const InitializedNotification = new NotificationType<object>("initialized");
export const ShutdownRequest = new RequestType0<null, void>("shutdown");
export const ExitNotification = new NotificationType0("exit");

// ---------------------------------------------------------------------------------------
// Document synchronisation (LSP)

export interface DidOpenTextDocumentParams {
  textDocument: TextDocumentItem;
}

/** A change with a range is incremental; one without replaces the whole text. */
export interface TextDocumentContentChangeEvent {
  range?: Range;
  text: string;
}

export interface DidChangeTextDocumentParams {
  textDocument: VersionedTextDocumentIdentifier;
  contentChanges: TextDocumentContentChangeEvent[];
}

export interface DidCloseTextDocumentParams {
  textDocument: TextDocumentIdentifier;
}

export const DidOpenTextDocumentNotification = new NotificationType<DidOpenTextDocumentParams>("textDocument/didOpen");
export const DidChangeTextDocumentNotification = new NotificationType<DidChangeTextDocumentParams>("textDocument/didChange");
export const DidCloseTextDocumentNotification = new NotificationType<DidCloseTextDocumentParams>("textDocument/didClose");

// ---------------------------------------------------------------------------------------
// Streaming and metrics

/** The partial-result value of every streamed Hearth request: text appended since the last one. */
export interface TextDelta {
  delta: string;
}

export const TextDeltaProgress = new ProgressType<TextDelta>();

/** LSP work-done progress values; Hearth reports prompt prefill with them. */
export type WorkDoneProgressValue =
  | { kind: "begin"; title: string; cancellable?: boolean; message?: string; percentage?: number }
  | { kind: "report"; cancellable?: boolean; message?: string; percentage?: number }
  | { kind: "end"; message?: string };

export const WorkDoneProgress = new ProgressType<WorkDoneProgressValue>();

export type StopReason =
  | "eos" // the model ended generation
  | "boundary" // a line or block boundary fitting the request was reached
  | "maxTokens"
  | "contextFull"
  | "cancelled" // $/cancelRequest or the socket closed
  | "superseded" // a newer completion request for the same document arrived
  | "error";

/** What one request cost. Times are milliseconds measured in the daemon. */
export interface RequestMetrics {
  requestId: number;
  kind: "completion" | "explain" | "nextEdit";
  workspaceId: string;
  /** Tokens in the prompt the model saw. */
  promptTokens: number;
  /** Prompt tokens already in the workspace's KV cache: not evaluated again. */
  reusedTokens: number;
  /** Prompt tokens evaluated for this request (promptTokens - reusedTokens when it finished prefill). */
  evaluatedTokens: number;
  generatedTokens: number;
  /** Tokens generated after cancellation was signalled (0 or 1 when cancellation works). */
  tokensAfterCancel: number;
  queueMs: number;
  prefillMs: number;
  /** From the request's arrival to its first generated token; null when none was generated. */
  firstTokenMs: number | null;
  /** From the first generated token to the last: decoding alone (0 with fewer than two tokens). */
  decodeMs: number;
  totalMs: number;
  stopReason: StopReason;
  /** Speculative decoding: tokens drafted and accepted (0 when speculation is off). */
  draftTokens: number;
  acceptedTokens: number;
  /**
   * A completion's prompt layout: "held" continued the layout the cache holds (a keystroke,
   * Enter included), "overflow" laid it out anew at the held cut because the typed block
   * grew past its bound, "fresh" laid it out anew (a cursor jump, an edit elsewhere, a new
   * document); null for explanations and requests that never ran.
   */
  promptLayout: "held" | "overflow" | "fresh" | null;
  /** The model that served the request (its name, as `models` in hearth/status lists it); null when it never reached one. */
  model: string | null;
  finishedAt: string;
}

// ---------------------------------------------------------------------------------------
// Inline completion (LSP 3.18) with Hearth's optional knobs

export const InlineCompletionTriggerKind = { Invoked: 1, Automatic: 2 } as const;
export type InlineCompletionTriggerKind = (typeof InlineCompletionTriggerKind)[keyof typeof InlineCompletionTriggerKind];

export interface SelectedCompletionInfo {
  range: Range;
  text: string;
}

export interface InlineCompletionContext {
  triggerKind: InlineCompletionTriggerKind;
  selectedCompletionInfo?: SelectedCompletionInfo;
}

/** Hearth's extension of the LSP params; every field optional. */
export interface HearthCompletionOptions {
  /** Upper bound on generated tokens (1..1024). */
  maxTokens?: number;
  /** "line" stops at the end of the line, "block" at the end of the block; "auto" picks by the cursor's place. */
  mode?: "auto" | "line" | "block";
}

export interface InlineCompletionParams extends WorkDoneProgressParams, PartialResultParams {
  textDocument: TextDocumentIdentifier;
  position: Position;
  context: InlineCompletionContext;
  hearth?: HearthCompletionOptions;
}

export interface InlineCompletionItem {
  insertText: string;
  range?: Range;
}

/** LSP's InlineCompletionList plus the request's metrics (clients that don't know it ignore it). */
export interface InlineCompletionList {
  items: InlineCompletionItem[];
  metrics: RequestMetrics;
}

export const InlineCompletionRequest = new RequestType<InlineCompletionParams, InlineCompletionList, void>(
  "textDocument/inlineCompletion",
);

// ---------------------------------------------------------------------------------------
// hearth/explain

export interface ExplainParams extends WorkDoneProgressParams, PartialResultParams {
  textDocument: TextDocumentIdentifier;
  range: Range;
  /** Upper bound on generated tokens (1..4096). */
  maxTokens?: number;
}

export interface ExplainResult {
  markdown: string;
  metrics: RequestMetrics;
  /** Which model explained: the chat role's, or the completion model's when no chat model is set (`fallback`). */
  servedBy: ServedBy;
}

/** The role whose model served a request, and whether it stood in for a role with no model of its own. */
export interface ServedBy {
  role: ModelRole;
  model: string;
  /** True when the role asked for (chat) has no model set and the completion model served instead. */
  fallback: boolean;
}

export const ExplainRequest = new RequestType<ExplainParams, ExplainResult, void>("hearth/explain");

// ---------------------------------------------------------------------------------------
// hearth/nextEdit: the edit the user makes next, at the cursor or lines away

export interface NextEditParams extends WorkDoneProgressParams {
  textDocument: TextDocumentIdentifier;
  position: Position;
  /** Upper bound on generated tokens (1..Limits.maxNextEditTokens); the model writes the whole window again. */
  maxTokens?: number;
}

/** "insertion": text inserted at the cursor (shown as an inline completion); "nearby": an edit within 2 lines of the cursor's; "jump": farther. */
export type NextEditKind = "insertion" | "nearby" | "jump";

export interface NextEdit {
  range: Range;
  newText: string;
  kind: NextEditKind;
}

export interface NextEditResult {
  /** In document order, each range in the document as it is now; none when the model suggests nothing. */
  edits: NextEdit[];
  /** Where the cursor goes once every edit is applied: the end of the last one. */
  cursor?: Position;
  /** The prompt format the model was asked in (sweep, zeta, zeta2, instinct). */
  format: string;
  /** The share (0..1) of the model's rewritten window on lines it copied from the window; null when its output could not be read (cut short, no end marker). */
  copied: number | null;
  metrics: RequestMetrics;
}

export const NextEditRequest = new RequestType<NextEditParams, NextEditResult, void>("hearth/nextEdit");

export interface NextEditAcceptedParams {
  textDocument: TextDocumentIdentifier;
}

/** The client is applying a suggestion: the document's next change is marked accepted in its edit history. */
export const NextEditAcceptedNotification = new NotificationType<NextEditAcceptedParams>("hearth/nextEdit/accepted");

// ---------------------------------------------------------------------------------------
// hearth/status

/** "remote": the model runs on a server Hearth drives (llama-server, an OpenAI-compatible server). */
export type DeviceKind = "cuda" | "vulkan" | "metal" | "cpu" | "remote";

export type BackendKind = "local" | "llama-server" | "openai";

/** What runs the model: this machine, or a server (never its API key). */
export interface BackendInfo {
  kind: BackendKind;
  /** The server's base URL; null for the local engine. */
  url: string | null;
  /** The model the server reports (or was told with --remote-model); null for the local engine. */
  serverModel: string | null;
  /** Whether the last exchange with the server worked (always true for the local engine). */
  reachable: boolean;
  /** The last failure talking to the server, with its hint; null when none. */
  lastError: string | null;
  /** Server slots Hearth spreads workspaces over (llama-server); null where the server has none. */
  slots: number | null;
  /**
   * The server's cache where it reports it (llama-server's /metrics when started with
   * --metrics): prompt tokens it evaluated and those it found in its cache, all clients
   * together, and the KV cache's fill where the server has that metric; null: "remote".
   */
  serverCache: { evaluatedPromptTokens: number; cachedPromptTokens: number; usageRatio: number | null } | null;
  /** Latency of the last request to the server, in ms (null before the first). */
  lastLatencyMs: number | null;
}

export interface MemoryInfo {
  /** Bytes of model weights resident (RAM or VRAM). */
  modelBytes: number;
  /** Bytes of KV cache allocated for all sequences. */
  kvBytes: number;
  vramUsedBytes: number;
  vramFreeBytes: number;
  vramTotalBytes: number;
  ramUsedBytes: number;
  ramFreeBytes: number;
  ramTotalBytes: number;
  /** Resident set size of the daemon process. */
  daemonRssBytes: number;
}

export type ModelState =
  | { state: "loading"; source: string; progress: number | null }
  | { state: "ready" }
  /**
   * code: the failure's HEARTH_ERR_* name, so a client can word its own hint (settings in an
   * editor, flags in a terminal). download: what a download would fetch, when the model (or
   * its draft) is not on disk (HEARTH_ERR_MODEL_NOT_DOWNLOADED) or its download failed.
   */
  | { state: "failed"; message: string; hint: string; code?: string; download?: ModelDownloadInfo };

/**
 * A model that is not on disk: what was configured, what a download fetches and how big it
 * is. A daemon started with `--download never` (as the VS Code extension starts it) fails
 * with this instead of downloading; a client asks its user, then sends hearth/downloadModel.
 */
export interface ModelDownloadInfo {
  role: ModelRole;
  /** What was configured: a catalog name, an hf: URI or an https URL. */
  source: string;
  /** What is fetched: an hf: URI (through HF_ENDPOINT) or a URL. */
  uri: string;
  /** The catalog's entry, when it holds the model. */
  catalogName: string | null;
  title: string | null;
  /** The file's size when the catalog knows it; sizeExact false: as a hub's listing rounds it. */
  sizeBytes: number | null;
  sizeExact: boolean;
  /** Bytes of an interrupted download kept to resume from (0: none). */
  partialBytes: number;
}

export interface ModelInfo {
  /** What the user configured: a path, an hf: URI or generated:NAME. */
  source: string;
  /** The local file it resolved to (null until resolved). */
  path: string | null;
  name: string;
  /** The weights' type, e.g. Q8_0, F16. */
  precision: string;
  /** KV cache element type. */
  kvCacheType: KvCacheType;
  /** Flash attention as set up for this device ("auto": llama.cpp's choice, on a GPU); null: a remote engine's own. */
  flashAttention: boolean | "auto" | null;
  /** The precision variant's id as hearth/precision/set takes it. */
  variant: string;
  contextSize: number;
  fim: boolean;
  /** The FIM format in use (a model family's, or "gguf": the GGUF's own FIM token ids); null without FIM. */
  fimTemplate: string | null;
  draft: string | null;
}

/**
 * What each model does: `completion` fills in the middle (the model every daemon loads),
 * `chat` explains, `nextEdit` suggests the next edit, `draft` drafts tokens for speculation.
 */
export const MODEL_ROLES = ["completion", "chat", "nextEdit", "draft"] as const;
export type ModelRole = (typeof MODEL_ROLES)[number];

/** One configured model, by role (hearth/status `models`). */
export interface RoleModelInfo {
  role: ModelRole;
  /** What the user configured: a path, an hf: URI, generated:NAME, or the server (llama-server=URL). */
  source: string;
  /** The model's name once loaded ("" before). */
  name: string;
  /** The weights' type, e.g. Q8_0 ("" before loading, or where a server does not say). */
  precision: string;
  /** Secondary models load on first use and unload after an idle time; a draft follows the completion model. */
  state: "unloaded" | "loading" | "ready" | "failed";
  /** Weights plus KV caches while loaded; 0 when unloaded or remote; null for a draft (counted in the completion model's). */
  memoryBytes: number | null;
  /** Why the last load failed (with what to do), while it stays failed; null otherwise. */
  error: string | null;
}

export interface WorkspaceInfo {
  workspaceId: string;
  folders: string[];
  /** Context-ring chunks in prompts now, and queued for the next idle moment. */
  contextChunks: { active: number; pending: number };
  /** Tokens currently held in the workspace's live KV caches (one per recently completed document). */
  cachedTokens: number;
  /** The workspace's documents with a live KV cache (the others wait on disk). */
  liveDocuments: number;
  clients: number;
  lastUsed: string | null;
}

export interface KvCacheInfo {
  /** Where this model's saved workspace states live. */
  directory: string;
  fingerprint: string;
  saves: number;
  loads: number;
  /** Saved states refused (wrong fingerprint, truncated, unloadable) and deleted. */
  discarded: number;
  /** States removed to keep the folder within its bounds. */
  pruned: number;
  /** Saves that failed (a full disk, a write error); the previous state stayed and serving went on. */
  failedSaves: number;
}

export interface StatusResult {
  version: string;
  protocolVersion: number;
  pid: number;
  uptimeMs: number;
  device: { kind: DeviceKind; name: string; threads: number };
  backend: BackendInfo;
  model: ModelInfo;
  modelState: ModelState;
  memory: MemoryInfo;
  /** Every configured model by role: the completion model first, then chat, next-edit and draft where set. */
  models: RoleModelInfo[];
  workspaces: WorkspaceInfo[];
  /** Null until the model is loaded, or when persistence is off. */
  kvCache: KvCacheInfo | null;
  clients: number;
  /**
   * Work done between requests: idle passes (the last prompt laid out anew and evaluated,
   * then the KV save) that ran to the end, and the prompt tokens their warm-ups evaluated.
   */
  idle: { passes: number; warmedTokens: number };
  /** Next-edit suggestions since the daemon started, every client's together, and each connected client's own. */
  nextEdit: NextEditStatus;
  /** Newest last, bounded. */
  recentRequests: RequestMetrics[];
}

/** How next-edit suggestions are doing: how many were asked for, carried edits and were applied, and how fast. */
export interface NextEditCounters {
  /** hearth/nextEdit requests taken for work (valid, with a next-edit model set). */
  requests: number;
  /** Requests answered with at least one edit. */
  suggested: number;
  /** hearth/nextEdit/accepted notifications: suggestions a client applied. */
  accepted: number;
  /** The median time from a request's arrival to its answer over the last answers, in ms; null before the first. */
  latencyP50Ms: number | null;
}

/** One connected client's next-edit counts. */
export interface SessionNextEditCounters extends NextEditCounters {
  /** The client's name from initialize (clientInfo), or "" when it gave none. */
  client: string;
  /** The workspace it joined; null before initialize. */
  workspaceId: string | null;
}

export interface NextEditStatus extends NextEditCounters {
  /** Connected clients, in the order they connected. */
  sessions: SessionNextEditCounters[];
}

export const StatusRequest = new RequestType0<StatusResult, void>("hearth/status");

/** Sent to every client while a model is downloading or loading; also written to the daemon's stderr. */
export interface ModelProgressParams {
  source: string;
  /** The role whose model this is; absent: the completion model. */
  role?: ModelRole;
  phase: "download" | "load" | "ready" | "failed";
  /** 0..1 when known. */
  progress: number | null;
  message: string;
  /** While downloading: bytes on disk so far (a resumed download counts its kept bytes) and the file's size (null until the server says). */
  receivedBytes?: number;
  totalBytes?: number | null;
}

export const ModelProgressNotification = new NotificationType<ModelProgressParams>("hearth/modelProgress");

/** Stops the whole daemon (saving what it must) after answering; used by `hearth stop`. */
export const StopDaemonRequest = new RequestType0<null, void>("hearth/stopDaemon");

// ---------------------------------------------------------------------------------------
// hearth/context/add: extra context chunks (e.g. text the user copied or a file's outline)

export interface ContextChunkParams {
  uri: DocumentUri;
  text: string;
}

export interface AddContextParams {
  chunks: ContextChunkParams[];
}

/**
 * Queues chunks in the workspace's context ring. Chunks around edits in open documents are
 * queued automatically from document sync; this is for anything else worth knowing.
 */
export const AddContextNotification = new NotificationType<AddContextParams>("hearth/context/add");

// ---------------------------------------------------------------------------------------
// hearth/precision/list and hearth/precision/set

export const KV_CACHE_TYPES = ["f16", "q8_0", "q4_0"] as const;
export type KvCacheType = (typeof KV_CACHE_TYPES)[number];

export interface PrecisionVariant {
  /** The quantization, e.g. "Q8_0", "Q4_K_M", "F16"; what hearth/precision/set takes. */
  id: string;
  /** Where it comes from: a file beside the configured one, an hf: URI, derived locally with llama.cpp's quantizer, or generated. */
  origin: "file" | "hf" | "derived" | "generated";
  /** The model source it resolves to (a path, an hf: URI or generated:NAME@TYPE). */
  source: string;
  /** On disk now (a derived or hf variant that isn't is made or downloaded when chosen). */
  available: boolean;
  fileBytes: number | null;
  /** Weights plus the KV cache at the current context size and KV type. */
  estimatedMemoryBytes: number | null;
  /** Decode speed measured on this machine since the daemon started; null until used. */
  tokensPerSecond: number | null;
  /** What `hearth eval` measured of this variant (kept in the daemon's home); null until evaluated. */
  accuracy: VariantAccuracy | null;
  current: boolean;
}

/** A variant's accuracy cost as `hearth eval` measured it. */
export interface VariantAccuracy {
  /** Share of tasks whose first line matched the solution. */
  exactMatchRate: number;
  /** Share of tasks whose greedy completion equals the reference variant's; null for the reference itself. */
  agreementRate: number | null;
  /** The highest-precision variant evaluated beside it (the reference); null when this is it. */
  reference: string | null;
  tasks: number;
  /** When (ISO 8601). */
  measuredAt: string;
}

export interface KvCacheTypeInfo {
  type: KvCacheType;
  supported: boolean;
  /** Why not, when not supported. */
  reason?: string;
  estimatedKvBytes: number;
}

export interface PrecisionListResult {
  current: { variant: string; kvCacheType: KvCacheType };
  variants: PrecisionVariant[];
  kvCacheTypes: KvCacheTypeInfo[];
}

export interface PrecisionSetParams extends WorkDoneProgressParams {
  variant: string;
  kvCacheType?: KvCacheType;
}

export interface PrecisionSetResult {
  model: ModelInfo;
  memory: MemoryInfo;
}

// ---------------------------------------------------------------------------------------
// hearth/downloadModel and hearth/models: a first run with the user's consent

export interface DownloadModelParams {
  /** The role whose model to fetch; absent: the completion model (and its draft). */
  role?: ModelRole;
}

export interface DownloadModelResult {
  role: ModelRole;
  source: string;
  /** The file on disk now. */
  path: string;
  bytes: number;
  /** It was on disk already: nothing was fetched. */
  alreadyDownloaded: boolean;
}

/**
 * Downloads a role's model even when the daemon runs with `--download never` (the client
 * asked: that is the user's consent), reporting hearth/modelProgress with bytes; the
 * completion model is then loaded, and the answer comes once it is ready. $/cancelRequest
 * stops the transfer and keeps the partial file, which the next download resumes. Requests
 * for the same role while one runs join it; the transfer stops when all of them cancelled.
 */
export const DownloadModelRequest = new RequestType<DownloadModelParams, DownloadModelResult, void>("hearth/downloadModel");

/** `hearth models --json`: this machine, the catalog with what fits here and what is on disk, the recommended tier. */
export interface ModelCatalogResult {
  machine: {
    platform: string;
    arch: string;
    /** Logical CPU cores. */
    cpuCores: number;
    cpuModel: string;
    ramTotalBytes: number;
    ramFreeBytes: number;
    /** "cuda", "vulkan", "metal"; false: llama.cpp runs on the CPU here; null: not known (no binding could be loaded). */
    gpu: string | false | null;
    gpuDevices: string[];
    vramTotalBytes: number | null;
    vramFreeBytes: number | null;
  };
  /** The context size memory figures are computed for. */
  contextSize: number;
  recommendedTier: string | null;
  tiers: Array<{ id: string; title: string; recommended: boolean; models: Partial<Record<ModelRole, string>> }>;
  models: CatalogModelView[];
  /** Pulled files no catalog entry names (pulled by hf: URI or URL). */
  otherDownloads: Array<{ fileName: string; path: string; bytes: number }>;
}

export interface CatalogModelView {
  name: string;
  title: string;
  roles: ModelRole[];
  uri: string;
  quantization: string;
  parameters: string;
  sizeBytes: number;
  sizeExact: boolean;
  sha256: string | null;
  contextLength: number;
  format: string;
  /** Weights plus an f16 KV cache at `contextSize`. */
  memoryBytes: number;
  /** Whether it fits this machine's RAM, and its VRAM (null: no GPU known). */
  fits: { ram: boolean; vram: boolean | null };
  downloaded: boolean;
  path: string | null;
}

export const ModelCatalogRequest = new RequestType0<ModelCatalogResult, void>("hearth/models");

export const PrecisionListRequest = new RequestType0<PrecisionListResult, void>("hearth/precision/list");
export const PrecisionSetRequest = new RequestType<PrecisionSetParams, PrecisionSetResult, void>("hearth/precision/set");

/** Every method name the daemon handles, for capabilities and documentation. */
export const HEARTH_METHODS: readonly string[] = [
  InitializeRequest.method,
  InitializedNotification.method,
  ShutdownRequest.method,
  ExitNotification.method,
  DidOpenTextDocumentNotification.method,
  DidChangeTextDocumentNotification.method,
  DidCloseTextDocumentNotification.method,
  InlineCompletionRequest.method,
  ExplainRequest.method,
  NextEditRequest.method,
  NextEditAcceptedNotification.method,
  StatusRequest.method,
  StopDaemonRequest.method,
  PrecisionListRequest.method,
  PrecisionSetRequest.method,
  DownloadModelRequest.method,
  ModelCatalogRequest.method,
  AddContextNotification.method,
  "$/cancelRequest",
];

// ---------------------------------------------------------------------------------------
// Errors

/**
 * JSON-RPC error codes. The standard ones as JSON-RPC and LSP define them; Hearth's own lie
 * below -32899 so they collide with neither. Every Hearth error carries `data: ErrorData`,
 * whose `code` is one of the names in HEARTH_ERRORS; docs/errors.md says what each means
 * and what to do about it. -33006 is not used (a superseded request answers
 * RequestCancelled, which clients already treat as a quiet cancel) and is not reused.
 */
export const ErrorCodes = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  ServerNotInitialized: -32002,
  RequestCancelled: -32800,
  MessageTooLarge: -33000,
  ModelNotReady: -33001,
  ModelLoadFailed: -33002,
  DocumentNotOpen: -33003,
  DocumentTooLarge: -33004,
  ShuttingDown: -33005,
  NoFimSupport: -33007,
  BusyQueueFull: -33008,
  UnknownVariant: -33009,
  UnsupportedKvCacheType: -33010,
  DocumentOutOfSync: -33011,
  NotSupportedByBackend: -33012,
  /** A remote engine (llama-server, an OpenAI-compatible server) did not answer, refused the key, lacks the model, timed out or answered nonsense. */
  BackendUnreachable: -33013,
  BackendUnauthorized: -33014,
  BackendUnknownModel: -33015,
  BackendTimeout: -33016,
  BackendBadAnswer: -33017,
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/**
 * Every Hearth error name, with the JSON-RPC code it always travels with and what it means.
 * A name is a client's stable handle (match on `data.code`); several names may share a code
 * (all cancellations are RequestCancelled), never the other way round. `rpcCode: null` marks
 * an error that never crosses the wire: the CLI, the extension or the bench raise it locally.
 */
export const HEARTH_ERRORS = {
  // The wire and the session
  HEARTH_ERR_PARSE: { rpcCode: ErrorCodes.ParseError, meaning: "A text frame was not well-formed JSON." },
  HEARTH_ERR_INVALID_REQUEST: { rpcCode: ErrorCodes.InvalidRequest, meaning: "A frame was JSON but not one JSON-RPC 2.0 message (a batch, or no method and no id)." },
  HEARTH_ERR_BINARY_FRAME: { rpcCode: ErrorCodes.InvalidRequest, meaning: "A binary WebSocket frame arrived; JSON-RPC travels in text frames." },
  HEARTH_ERR_MESSAGE_TOO_LARGE: { rpcCode: ErrorCodes.MessageTooLarge, meaning: "A message exceeded the daemon's size limit (Limits.maxMessageBytes)." },
  HEARTH_ERR_INVALID_PARAMS: { rpcCode: ErrorCodes.InvalidParams, meaning: "A request's or notification's parameters failed validation." },
  HEARTH_ERR_NOT_INITIALIZED: { rpcCode: ErrorCodes.ServerNotInitialized, meaning: "A request that needs a workspace came before initialize." },
  HEARTH_ERR_ALREADY_INITIALIZED: { rpcCode: ErrorCodes.InvalidRequest, meaning: "initialize was sent twice on one connection." },
  HEARTH_ERR_SHUT_DOWN: { rpcCode: ErrorCodes.InvalidRequest, meaning: "A request came after this connection sent shutdown." },
  HEARTH_ERR_INTERNAL: { rpcCode: ErrorCodes.InternalError, meaning: "Something failed that Hearth did not expect: a bug." },
  // Scheduling and cancellation
  HEARTH_ERR_CANCELLED: { rpcCode: ErrorCodes.RequestCancelled, meaning: "The client cancelled the request ($/cancelRequest)." },
  HEARTH_ERR_SUPERSEDED: { rpcCode: ErrorCodes.RequestCancelled, meaning: "A newer completion request for the same document replaced this one." },
  HEARTH_ERR_SWITCHING_MODEL: { rpcCode: ErrorCodes.RequestCancelled, meaning: "The request stopped because the daemon is switching precision variant." },
  HEARTH_ERR_CANCELLED_BY_SHUTDOWN: { rpcCode: ErrorCodes.RequestCancelled, meaning: "The request was queued or running when the daemon began shutting down." },
  HEARTH_ERR_SHUTTING_DOWN: { rpcCode: ErrorCodes.ShuttingDown, meaning: "The request arrived after the daemon began shutting down." },
  HEARTH_ERR_QUEUE_FULL: { rpcCode: ErrorCodes.BusyQueueFull, meaning: "Too many requests are already queued or running (Limits.maxQueuedRequests)." },
  // Documents
  HEARTH_ERR_DOCUMENT_NOT_OPEN: { rpcCode: ErrorCodes.DocumentNotOpen, meaning: "A request named a document this connection has not opened." },
  HEARTH_ERR_DOCUMENT_TOO_LARGE: { rpcCode: ErrorCodes.DocumentTooLarge, meaning: "A document's text exceeds Limits.maxDocumentChars." },
  HEARTH_ERR_DOCUMENT_OUT_OF_SYNC: { rpcCode: ErrorCodes.DocumentOutOfSync, meaning: "The daemon's copy of a document missed or could not apply a change." },
  // The model
  HEARTH_ERR_MODEL_NOT_READY: { rpcCode: ErrorCodes.ModelNotReady, meaning: "No model is loaded yet, or the remote server is not connected yet." },
  HEARTH_ERR_MODEL_LOAD_FAILED: { rpcCode: ErrorCodes.ModelLoadFailed, meaning: "The model could not be found, downloaded or loaded." },
  HEARTH_ERR_DERIVE_FAILED: { rpcCode: ErrorCodes.ModelLoadFailed, meaning: "Deriving a precision variant from the model file failed." },
  HEARTH_ERR_NO_DRAFT_MODEL: { rpcCode: ErrorCodes.ModelLoadFailed, meaning: "Draft speculation was asked for and no draft model is configured or found." },
  HEARTH_ERR_DRAFT_VOCABULARY: { rpcCode: ErrorCodes.ModelLoadFailed, meaning: "The draft model's vocabulary differs from the target model's." },
  HEARTH_ERR_MODEL_OVER_BUDGET: { rpcCode: ErrorCodes.ModelLoadFailed, meaning: "A chat or next-edit model would not fit in the memory budget beside the models already loaded (with no budget set: in the memory free on this machine)." },
  HEARTH_ERR_NO_FIM: { rpcCode: ErrorCodes.NoFimSupport, meaning: "The model (or server) cannot fill in the middle, or its FIM format is unknown." },
  HEARTH_ERR_UNKNOWN_VARIANT: { rpcCode: ErrorCodes.UnknownVariant, meaning: "hearth/precision/set named a variant this model does not have." },
  HEARTH_ERR_KV_TYPE_UNSUPPORTED: { rpcCode: ErrorCodes.UnsupportedKvCacheType, meaning: "hearth/precision/set asked for a KV cache type this model or device cannot use." },
  HEARTH_ERR_NO_NEXT_EDIT_MODEL: { rpcCode: ErrorCodes.NotSupportedByBackend, meaning: "hearth/nextEdit came and no next-edit model is configured." },
  HEARTH_ERR_NEXT_EDIT_FORMAT: { rpcCode: ErrorCodes.NotSupportedByBackend, meaning: "No next-edit prompt format fits the next-edit model (its vocabulary lacks the format's special tokens, or its name says none)." },
  HEARTH_ERR_NEXT_EDIT_RESERVED_TEXT: { rpcCode: ErrorCodes.InvalidParams, meaning: "The text around the cursor contains one of the next-edit format's own markers, which Hearth never passes to the model." },
  HEARTH_ERR_NOT_SUPPORTED_BY_BACKEND: { rpcCode: ErrorCodes.NotSupportedByBackend, meaning: "The backend cannot do what was asked (a remote server cannot switch precision)." },
  // Remote engines
  HEARTH_ERR_BACKEND_UNREACHABLE: { rpcCode: ErrorCodes.BackendUnreachable, meaning: "The remote server did not answer." },
  HEARTH_ERR_BACKEND_UNAUTHORIZED: { rpcCode: ErrorCodes.BackendUnauthorized, meaning: "The remote server refused the API key." },
  HEARTH_ERR_BACKEND_UNKNOWN_MODEL: { rpcCode: ErrorCodes.BackendUnknownModel, meaning: "The remote server does not serve the model Hearth asked for." },
  HEARTH_ERR_BACKEND_TIMEOUT: { rpcCode: ErrorCodes.BackendTimeout, meaning: "The remote server did not answer in time." },
  HEARTH_ERR_BACKEND_BAD_ANSWER: { rpcCode: ErrorCodes.BackendBadAnswer, meaning: "The remote server answered something Hearth cannot use." },
  HEARTH_ERR_MODEL_NOT_FOUND: { rpcCode: ErrorCodes.ModelLoadFailed, meaning: "The model file named by the model setting does not exist." },
  HEARTH_ERR_MODEL_DOWNLOAD_FAILED: { rpcCode: ErrorCodes.ModelLoadFailed, meaning: "The model could not be downloaded (no network, a refused or broken transfer)." },
  HEARTH_ERR_MODEL_NOT_DOWNLOADED: {
    rpcCode: ErrorCodes.ModelLoadFailed,
    meaning: "The model is not on disk and the daemon runs with --download never (as an editor starts it), or its download was cancelled; data.download says what a download would fetch.",
  },
  HEARTH_ERR_MODEL_HUB_UNREACHABLE: { rpcCode: ErrorCodes.ModelLoadFailed, meaning: "The model's download could not start: the hub (HF_ENDPOINT, else huggingface.co) or the URL's server did not answer." },
  HEARTH_ERR_BACKEND_BAD_VALUE: { rpcCode: ErrorCodes.BackendBadAnswer, meaning: "The remote server sent a number outside sane bounds (slots, context size, token ids, lengths)." },
  HEARTH_ERR_BACKEND_OVERRAN: { rpcCode: ErrorCodes.BackendTimeout, meaning: "The remote server streamed past the request's overall deadline." },
  // Never on the wire: raised by the CLI, the extension or the bench
  HEARTH_ERR_LSP_FRAMING: { rpcCode: null, meaning: "A message from the editor to `hearth lsp --stdio` was framed wrongly or was too large." },
  HEARTH_ERR_HOME_NOT_PRIVATE: { rpcCode: null, meaning: "Hearth's home folder is not the user's alone (another owner, or writable by group or others)." },
  HEARTH_ERR_ALREADY_RUNNING: { rpcCode: null, meaning: "Another daemon already runs on this home." },
  HEARTH_ERR_NO_DAEMON: { rpcCode: null, meaning: "A client found no daemon and could not start one." },
  HEARTH_ERR_NOT_OUR_DAEMON: { rpcCode: null, meaning: "What answered on the daemon's port could not prove it holds the token." },
  HEARTH_ERR_NOT_CONNECTED: { rpcCode: null, meaning: "The VS Code extension is not connected to its daemon yet." },
  HEARTH_ERR_BENCH_UNSUPPORTED: { rpcCode: null, meaning: "A bench configuration asks for something the daemon cannot run." },
  HEARTH_ERR_BENCH_DAEMON: { rpcCode: null, meaning: "The daemon the bench started refused its options or could not load the model." },
  HEARTH_ERR_BAD_EVAL_FILE: { rpcCode: null, meaning: "An evaluation task file (JSONL) does not follow the format." },
  HEARTH_ERR_BAD_TRACE: { rpcCode: null, meaning: "An editing trace does not follow the format." },
  // Model downloads (hearth pull / rm / models)
  HEARTH_ERR_CATALOG: { rpcCode: null, meaning: "The model catalog (built in, or the HEARTH_CATALOG file) is malformed." },
  HEARTH_ERR_UNKNOWN_MODEL: { rpcCode: null, meaning: "A name is no catalog model, hf: URI or https URL." },
  HEARTH_ERR_DOWNLOAD_SOURCE: { rpcCode: null, meaning: "A URI, URL or HF_ENDPOINT cannot be fetched from as written." },
  HEARTH_ERR_DOWNLOAD_HTTP: { rpcCode: null, meaning: "The hub or server answered an error or could not be reached." },
  HEARTH_ERR_DOWNLOAD_TRUNCATED: { rpcCode: null, meaning: "A download ended before its size, again and again; its bytes are kept to resume." },
  HEARTH_ERR_DOWNLOAD_TOO_LARGE: { rpcCode: null, meaning: "A download is (or announces) more bytes than the model may have." },
  HEARTH_ERR_DOWNLOAD_SIZE: { rpcCode: null, meaning: "A downloaded file's size differs from the one expected." },
  HEARTH_ERR_DOWNLOAD_HASH: { rpcCode: null, meaning: "A downloaded file's sha256 differs from the one expected." },
  HEARTH_ERR_NOT_DOWNLOADED: { rpcCode: null, meaning: "hearth rm found nothing downloaded for the name." },
  HEARTH_ERR_DOWNLOAD_BUSY: { rpcCode: null, meaning: "Another process is downloading the same model file." },
} as const satisfies Record<`HEARTH_ERR_${string}`, { rpcCode: ErrorCode | null; meaning: string }>;

export type HearthErrorName = keyof typeof HEARTH_ERRORS;

/** The names a daemon may send in `ErrorData.code`, each with one JSON-RPC code. */
export type WireErrorName = { [N in HearthErrorName]: (typeof HEARTH_ERRORS)[N]["rpcCode"] extends null ? never : N }[HearthErrorName];

/** The JSON-RPC code that `name` travels with. */
export type RpcCodeOf<N extends WireErrorName> = (typeof HEARTH_ERRORS)[N]["rpcCode"];

export function rpcCodeOf<N extends WireErrorName>(name: N): RpcCodeOf<N> {
  return HEARTH_ERRORS[name].rpcCode;
}

/**
 * Machine-readable name and a sentence that says what to do. `code` is a HearthErrorName
 * from this version of the protocol; a client should treat a name it does not know (from a
 * newer daemon) by its JSON-RPC code.
 */
export interface ErrorData {
  code: string;
  hint: string;
  /** With HEARTH_ERR_MODEL_NOT_DOWNLOADED (and a failed download): the model a download would fetch. */
  download?: ModelDownloadInfo;
}

/** Limits the daemon enforces on what clients send; exported so clients can stay inside them. */
export const Limits = {
  /** Largest JSON-RPC message accepted, in bytes (UTF-8). */
  maxMessageBytes: 8 * 1024 * 1024,
  /** Largest document text the daemon keeps. */
  maxDocumentChars: 4 * 1024 * 1024,
  maxOpenDocumentsPerClient: 512,
  /** WebSocket connections at once, those still proving the token included. */
  maxConnections: 64,
  maxUriLength: 4096,
  maxCompletionTokens: 1024,
  maxExplainTokens: 4096,
  maxNextEditTokens: 2048,
  maxQueuedRequests: 64,
  maxWorkspaceFolders: 64,
  maxContextChunks: 16,
  maxContextChunkChars: 64 * 1024,
} as const;

/** What a request asks for when it names no limit of its own; every client uses these. */
export const Defaults = {
  completionMaxTokens: 128,
  explainMaxTokens: 512,
  nextEditMaxTokens: 512,
  /** How long a document stays unchanged before a client asks for its next edit (the extension's rule; the bench replays it). */
  nextEditSettleMs: 300,
} as const;
