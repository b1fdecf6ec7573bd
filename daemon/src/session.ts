/**
 * One client connection: its JSON-RPC handlers, its open documents and its in-flight jobs.
 * Parameters are validated before use; every failure leaves as a typed JSON-RPC error and
 * the session (and daemon) carry on.
 */
import { createMessageConnection, ResponseError, type CancellationToken, type MessageConnection, type ProgressType, type RequestParam } from "vscode-jsonrpc/node";
import type WebSocket from "ws";
import { DocumentStore, offsetAt } from "./documents.js";
import { emptyOutcome, type GenerationOutcome, type InferenceBackend, type PrecisionControl } from "./backend.js";
import { HearthError, cancelledError, toHearthError } from "./errors.js";
import type { MetricsLog } from "./metrics.js";
import { EditHistory } from "./next-edit/edit-history.js";
import { NextEditCounts } from "./next-edit/next-edit-counts.js";
import type { NextEditFormatChoice } from "./next-edit/formats.js";
import { defaultExcludes } from "./privacy.js";
import { chunkAround } from "./prompt/context-ring.js";
import {
  AddContextNotification,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  Defaults,
  DownloadModelRequest,
  ErrorCodes,
  ExitNotification,
  ExplainRequest,
  HEARTH_METHODS,
  InitializedNotification,
  InitializeRequest,
  InlineCompletionRequest,
  ModelCatalogRequest,
  ModelProgressNotification,
  NextEditAcceptedNotification,
  NextEditRequest,
  PrecisionListRequest,
  PrecisionSetRequest,
  PROTOCOL_VERSION,
  ShutdownRequest,
  StatusRequest,
  StopDaemonRequest,
  TextDeltaProgress,
  TextDocumentSyncKind,
  WorkDoneProgress,
  type ExplainResult,
  type InitializeResult,
  type InlineCompletionList,
  type ModelCatalogResult,
  type ModelProgressParams,
  type NextEditResult,
  type ProgressToken,
  type RequestMetrics,
  type SessionNextEditCounters,
  type StatusResult,
} from "./protocol.js";
import type { JobHandle, Scheduler } from "./scheduler.js";
import { WsMessageReader, WsMessageWriter } from "./transport/ws-transport.js";
import * as validate from "./validate.js";
import { requestMetrics } from "./pipeline/metrics.js";
import { fileNameOf, type Workspace } from "./workspace.js";
import type { WorkspaceRegistry } from "./workspaces.js";
import type { ModelRoles } from "./roles.js";
import type { ModelDownloads } from "./model-downloads.js";

export interface SessionServices {
  version: string;
  /** What runs the model (the local engine, or another backend). */
  backend: InferenceBackend;
  scheduler: Scheduler;
  metrics: MetricsLog;
  workspaces: WorkspaceRegistry;
  status(): Promise<StatusResult>;
  requestStop(): void;
  log(message: string): void;
  /** Precision switching: the local engine's; null for a backend that can't. */
  precision: PrecisionControl | null;
  /** The models by role: which pipeline serves completions, explanations and next edits. */
  roles: ModelRoles;
  /** --next-edit-format: "auto" picks by the model's name and vocabulary. */
  nextEditFormat: NextEditFormatChoice;
  /** Next-edit counts of the whole daemon; each session also keeps its own. */
  nextEditCounts: NextEditCounts;
  /** hearth/downloadModel: fetches a role's model when a client asks. */
  downloads: ModelDownloads;
  /** hearth/models: the catalog as this machine sees it. */
  modelCatalog(): Promise<ModelCatalogResult>;
}

/** A document this large keeps no edit history: diffing it on every keystroke would cost more than a suggestion is worth. */
const MAX_HISTORY_DOCUMENT_CHARS = 1024 * 1024;

export class Session {
  private readonly connection: MessageConnection;
  private readonly documents = new DocumentStore();
  /** What the user changed lately in each open document, for next-edit prompts; excluded files keep none. */
  private readonly history = new EditHistory({ now: () => Date.now() });
  /** This connection's next-edit counts, for hearth/status. */
  private readonly nextEditCounts = new NextEditCounts();
  /** The client's name from initialize. */
  private clientName = "";
  private readonly jobs = new Set<JobHandle>();
  /** The workspace this connection joined at initialize. */
  private joined: Workspace | null = null;
  private shutDown = false;
  private closed = false;
  readonly onClose: Promise<void>;

  constructor(
    private readonly socket: WebSocket,
    private readonly services: SessionServices,
  ) {
    const reader = new WsMessageReader(socket, { answerInvalid: true });
    const writer = new WsMessageWriter(socket);
    this.connection = createMessageConnection(reader, writer, {
      error: (m) => services.log(`rpc error: ${m}`),
      warn: (m) => services.log(`rpc warn: ${m}`),
      info: () => undefined,
      log: () => undefined,
    });
    this.onClose = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.once("close", () => this.dispose());
    this.register();
    this.connection.listen();
  }

  get workspace(): string | null {
    return this.joined?.id ?? null;
  }

  /** This connection's next-edit counts, named by its client and workspace. */
  nextEditStatus(): SessionNextEditCounters {
    return { client: this.clientName, workspaceId: this.workspace, ...this.nextEditCounts.snapshot() };
  }

  notifyModelProgress(params: ModelProgressParams): void {
    if (!this.closed) void this.connection.sendNotification(ModelProgressNotification, params).catch(() => undefined);
  }

  /** Ends the session: aborts its jobs and closes the socket with the given WebSocket code. */
  close(code = 1000, reason = ""): void {
    this.dispose();
    if (this.socket.readyState === this.socket.OPEN) this.socket.close(code, reason);
  }

  private dispose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const job of this.jobs) job.abort("cancelled");
    if (this.joined !== null) this.services.workspaces.leave(this.joined);
    this.connection.dispose();
  }

  private register(): void {
    const c = this.connection;
    c.onRequest(InitializeRequest.method, (params: unknown) => this.guard(() => this.initialize(params), false));
    c.onNotification(InitializedNotification.method, () => undefined);
    c.onRequest(ShutdownRequest.method, () =>
      this.guard(async () => {
        this.shutDown = true;
        for (const job of this.jobs) job.abort("cancelled");
        return null;
      }),
    );
    c.onNotification(ExitNotification.method, () => this.close(1000, "exit"));
    c.onNotification(DidOpenTextDocumentNotification.method, (params: unknown) =>
      this.notification(() => {
        const { textDocument } = validate.didOpenParams(params);
        this.documents.open(textDocument);
        this.history.forget(textDocument.uri);
        this.requireWorkspace().addChunk(textDocument.uri, chunkAround(textDocument.text, 0));
      }),
    );
    c.onNotification(DidChangeTextDocumentNotification.method, (params: unknown) =>
      this.notification(() => {
        const p = validate.didChangeParams(params);
        const beforeText = this.syncedText(p.textDocument.uri);
        this.documents.change(p.textDocument.uri, p.textDocument.version, p.contentChanges);
        this.recordEdit(p.textDocument.uri, beforeText);
        const line = p.contentChanges[p.contentChanges.length - 1]?.range?.start.line ?? 0;
        this.requireWorkspace().addChunk(p.textDocument.uri, chunkAround(this.documents.require(p.textDocument.uri).text, line));
      }),
    );
    c.onNotification(AddContextNotification.method, (params: unknown) =>
      this.notification(() => {
        for (const chunk of validate.addContextParams(params).chunks) this.requireWorkspace().addChunk(chunk.uri, chunk.text);
      }),
    );
    c.onNotification(DidCloseTextDocumentNotification.method, (params: unknown) =>
      this.notification(() => {
        const { uri } = validate.didCloseParams(params).textDocument;
        this.documents.close(uri);
        this.history.forget(uri);
      }),
    );
    c.onNotification(NextEditAcceptedNotification.method, (params: unknown) =>
      this.notification(() => {
        this.history.acceptNext(validate.nextEditAcceptedParams(params).textDocument.uri);
        this.nextEditCounts.acceptedOne();
        this.services.nextEditCounts.acceptedOne();
      }),
    );
    c.onRequest(NextEditRequest.method, (params: unknown, token: CancellationToken) => this.guard(() => this.nextEdit(params, token)));
    c.onRequest(InlineCompletionRequest.method, (params: unknown, token: CancellationToken) => this.guard(() => this.inlineCompletion(params, token)));
    c.onRequest(ExplainRequest.method, (params: unknown, token: CancellationToken) => this.guard(() => this.explain(params, token)));
    // Daemon-wide, not about a workspace: allowed before initialize (hearth status, hearth stop).
    c.onRequest(StatusRequest.method, () => this.guard(() => this.services.status(), false));
    c.onRequest(PrecisionListRequest.method, () =>
      this.guard(async () => {
        return this.precisionService().list();
      }),
    );
    c.onRequest(PrecisionSetRequest.method, (params: unknown) =>
      this.guard(async () => {
        return this.precisionService().set(validate.precisionSetParams(params));
      }),
    );
    // Daemon-wide as well: a first run asks before it has a workspace to complete in.
    c.onRequest(ModelCatalogRequest.method, () => this.guard(() => this.services.modelCatalog(), false));
    c.onRequest(DownloadModelRequest.method, (params: unknown, token: CancellationToken) =>
      this.guard(async () => {
        const { role = "completion" } = validate.downloadModelParams(params);
        const controller = new AbortController();
        const subscription = token.onCancellationRequested(() => controller.abort());
        // A client that leaves stops waiting too (the download stops when no one waits).
        const onClose = (): void => controller.abort();
        this.socket.once("close", onClose);
        try {
          return await this.services.downloads.download(role, controller.signal);
        } finally {
          subscription.dispose();
          this.socket.off("close", onClose);
        }
      }, false),
    );
    c.onRequest(StopDaemonRequest.method, () =>
      this.guard(async () => {
        // Answer first, then stop: the caller learns the request was taken.
        setImmediate(() => this.services.requestStop());
        return null;
      }, false),
    );
  }

  /** Progress is best effort: a client that left can't receive it, and that must not stop the job. */
  private progress<P extends object>(type: ProgressType<P>, token: ProgressToken, value: P): void {
    if (this.closed) return;
    try {
        void this.connection.sendProgress(type, token, value as RequestParam<P>).catch(() => undefined);
    } catch {
      // The connection closed between the check and the send.
    }
  }

  /** Runs a handler, turning any failure into a ResponseError with Hearth's code and hint. */
  private async guard<T>(work: () => Promise<T>, needsInitialize = true): Promise<T | ResponseError<unknown>> {
    try {
      if (needsInitialize && this.joined === null) {
        throw new HearthError(ErrorCodes.ServerNotInitialized, "HEARTH_ERR_NOT_INITIALIZED", "The session is not initialized.", "Send initialize first.");
      }
      if (this.shutDown) {
        throw new HearthError(ErrorCodes.InvalidRequest, "HEARTH_ERR_SHUT_DOWN", "This session has received shutdown.", "Send exit and open a new connection.");
      }
      return await work();
    } catch (error) {
      const hearthError = toHearthError(error);
      if (hearthError.rpcCode === ErrorCodes.InternalError) this.services.log(`internal error: ${error instanceof Error ? error.stack : String(error)}`);
      return new ResponseError(hearthError.rpcCode, hearthError.message, hearthError.data);
    }
  }

  /** Notifications have no response; a bad one is logged and answered with nothing. */
  private notification(work: () => void): void {
    try {
      if (this.joined === null) throw new Error("notification before initialize");
      work();
    } catch (error) {
      this.services.log(`ignored notification: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async initialize(params: unknown): Promise<InitializeResult> {
    const p = validate.initializeParams(params);
    if (this.joined !== null) {
      throw new HearthError(ErrorCodes.InvalidRequest, "HEARTH_ERR_ALREADY_INITIALIZED", "initialize was already sent on this connection.", "Open a new connection for another workspace.");
    }
    this.joined = this.services.workspaces.join(p.workspaceFolders);
    this.clientName = p.clientInfo?.name ?? "";
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        inlineCompletionProvider: true,
        experimental: { hearth: { protocolVersion: PROTOCOL_VERSION, methods: [...HEARTH_METHODS] } },
      },
      serverInfo: { name: "hearth", version: this.services.version },
      workspaceId: this.joined.id,
    };
  }

  private async inlineCompletion(params: unknown, token: CancellationToken): Promise<InlineCompletionList> {
    const p = validate.inlineCompletionParams(params);
    const document = this.documents.require(p.textDocument.uri);
    const cursorOffset = offsetAt(document.text, p.position);
    const text = document.text;
    const workspace = this.requireWorkspace();
    const uri = p.textDocument.uri;
    const ring = workspace.ring;
    const input = { workspaceId: workspace.id, text, cursorOffset, documentUri: uri, mode: p.hearth?.mode, languageId: document.languageId, fileName: workspace.pathOf(uri), repoName: workspace.repoName };
    const version = document.version;
    const pipeline = await this.services.roles.pipelineFor("completion");
    // At idle the prompt is laid out anew (lines typed since move above the suffix, new
    // context chunks join the head) and evaluated, off the next keystroke's path. Only while
    // the document is as this request saw it: a later request lays out its own.
    const warm = async (signal: AbortSignal): Promise<number> => {
      if (this.documents.get(uri)?.version !== version) return 0;
      return pipeline.warmUp({ ...input, chunks: ring.chunksFor(uri), signal });
    };
    const outcome = await this.runJob(
      "completion",
      uri,
      token,
      p.workDoneToken,
      p.partialResultToken,
      (handle, hooks) =>
        pipeline.complete({ ...input, chunks: ring.chunksFor(uri), maxTokens: p.hearth?.maxTokens ?? Defaults.completionMaxTokens, signal: handle.signal, ...hooks }),
      warm,
    );
    const cursor = p.position;
    return {
      items: outcome.result.text.length > 0 ? [{ insertText: outcome.result.text, range: { start: cursor, end: cursor } }] : [],
      metrics: outcome.metrics,
    };
  }

  private async explain(params: unknown, token: CancellationToken): Promise<ExplainResult> {
    const p = validate.explainParams(params);
    const document = this.documents.require(p.textDocument.uri);
    const code = document.text.slice(offsetAt(document.text, p.range.start), offsetAt(document.text, p.range.end));
    if (code.trim().length === 0) throw validate.emptyRange();
    const fileName = fileNameOf(document.uri);
    // The chat model where one is set (loaded now if it is not), else the completion model, and the result says which.
    const { pipeline, servedBy } = await this.services.roles.serve("chat");
    const outcome = await this.runJob("explain", null, token, p.workDoneToken, p.partialResultToken, (handle, hooks) =>
      pipeline.explain({
        code,
        languageId: document.languageId,
        fileName,
        maxTokens: p.maxTokens ?? Defaults.explainMaxTokens,
        signal: handle.signal,
        ...hooks,
      }),
    );
    // The model's own name, learned once it served (a request may have waited for its load).
    return { markdown: outcome.result.text, metrics: outcome.metrics, servedBy: { ...servedBy, model: outcome.metrics.model ?? servedBy.model } };
  }

  /** A change enters the document's edit history, unless the file is one whose text never reaches a prompt. */
  private recordEdit(uri: string, beforeText: string | null): void {
    if (defaultExcludes.matches(uri)) return;
    const afterText = this.syncedText(uri);
    if (beforeText === null || afterText === null || afterText.length > MAX_HISTORY_DOCUMENT_CHARS || beforeText.length > MAX_HISTORY_DOCUMENT_CHARS) {
      // A change the daemon could not follow (or a huge file) leaves no history to stand on.
      this.history.forget(uri);
      return;
    }
    this.history.record(uri, beforeText, afterText);
  }

  /** The document's text while the daemon's copy follows the editor's; null when it is not open or out of step. */
  private syncedText(uri: string): string | null {
    try {
      return this.documents.require(uri).text;
    } catch {
      return null;
    }
  }

  private async nextEdit(params: unknown, token: CancellationToken): Promise<NextEditResult> {
    const p = validate.nextEditParams(params);
    const document = this.documents.require(p.textDocument.uri);
    const pipeline = await this.services.roles.pipelineFor("nextEdit");
    if (pipeline === null) {
      throw new HearthError(
        ErrorCodes.NotSupportedByBackend,
        "HEARTH_ERR_NO_NEXT_EDIT_MODEL",
        "No next-edit model is configured, so the daemon can't suggest next edits.",
        "Configure one with --next-edit-model (hearth.model.nextEdit), such as Sweep Next-Edit 1.5B (hf:sweepai/sweep-next-edit-1.5b-GGUF).",
      );
    }
    const workspace = this.requireWorkspace();
    const uri = p.textDocument.uri;
    const input = {
      workspaceId: workspace.id,
      documentUri: uri,
      text: document.text,
      cursor: p.position,
      path: workspace.pathOf(uri),
      // A copy: the job may wait in the queue while later changes grow the history past this text.
      events: [...this.history.events(uri)],
      related: workspace.ring.chunksFor(uri),
      format: this.services.nextEditFormat,
      maxTokens: p.maxTokens ?? Defaults.nextEditMaxTokens,
    };
    this.nextEditCounts.requested();
    this.services.nextEditCounts.requested();
    const outcome = await this.runJob("nextEdit", uri, token, p.workDoneToken, undefined, (handle, hooks) =>
      pipeline.nextEdit({ ...input, signal: handle.signal, onPrefill: hooks.onPrefill, yieldPoint: hooks.yieldPoint }),
    );
    const { edits, cursor, format, copied } = outcome.result;
    this.nextEditCounts.answered(outcome.metrics.totalMs, edits.length);
    this.services.nextEditCounts.answered(outcome.metrics.totalMs, edits.length);
    return { edits, ...(cursor !== undefined ? { cursor } : {}), format, copied, metrics: outcome.metrics };
  }

  /** What the backend can't do answers a typed error that says so, instead of failing somewhere inside it. */
  private precisionService(): PrecisionControl {
    const service = this.services.precision;
    if (service !== null && this.services.backend.capabilities.precisionVariants) return service;
    throw new HearthError(
      ErrorCodes.NotSupportedByBackend,
      "HEARTH_ERR_NOT_SUPPORTED_BY_BACKEND",
      "This daemon's backend can't switch precision: a remote server loads its own model file.",
      "Restart the server with another quantization of the model, or run Hearth's local engine (hearth serve --model, hearth.backend: local).",
    );
  }

  private requireWorkspace(): Workspace {
    if (this.joined === null) throw new Error("unreachable: guarded by initialize");
    return this.joined;
  }

  /**
   * Queues a generation, wires cancellation and progress to it, records its metrics, and
   * turns an aborted job into LSP's RequestCancelled error.
   */
  private async runJob<O extends GenerationOutcome>(
    kind: RequestMetrics["kind"],
    documentUri: string | null,
    token: CancellationToken,
    workDoneToken: ProgressToken | undefined,
    partialResultToken: ProgressToken | undefined,
    work: (handle: JobHandle, hooks: { onPrefill: (done: number, total: number) => void; onText: (delta: string) => void; yieldPoint: () => Promise<void> }) => Promise<O>,
    warm?: (signal: AbortSignal) => Promise<number>,
  ): Promise<{ result: O; metrics: RequestMetrics }> {
    const arrived = performance.now();
    const requestId = this.services.metrics.newRequestId();
    const workspace = this.requireWorkspace();
    const workspaceId = kind === "explain" ? "explain" : workspace.id;
    // A next-edit request supersedes the document's older next-edit request, never its completion.
    const supersedeKey = documentUri === null ? null : `${workspace.id}\u0000${documentUri}${kind === "nextEdit" ? "\u0000nextEdit" : ""}`;
    // Assigned by the scheduler's callback, which TypeScript's flow analysis can't see.
    let handle = null as JobHandle | null;
    let failure: unknown = null;
    const hooks = {
      onPrefill: (done: number, total: number): void => {
        if (workDoneToken === undefined) return;
        const percentage = Math.floor((100 * done) / total);
        this.progress(WorkDoneProgress, workDoneToken, { kind: "report", message: `prefill ${done}/${total} tokens`, percentage });
      },
      onText: (delta: string): void => {
        if (partialResultToken !== undefined) this.progress(TextDeltaProgress, partialResultToken, { delta });
      },
    };
    const outcome = await this.services.scheduler.submit(
      supersedeKey,
      (h) => {
        handle = h;
        this.jobs.add(h);
        // A $/cancelRequest that arrived while the request itself still waited to be read
        // leaves the token cancelled already; its listener would only run on a later timer.
        if (token.isCancellationRequested) h.abort("cancelled");
        else token.onCancellationRequested(() => h.abort("cancelled"));
      },
      async (h) => {
        if (h.signal.aborted) return null;
        workspace.touch();
        if (workDoneToken !== undefined) this.progress(WorkDoneProgress, workDoneToken, { kind: "begin", title: kind === "explain" ? "Explaining" : kind === "nextEdit" ? "Predicting the next edit" : "Completing", cancellable: true });
        try {
          return await work(h, { ...hooks, yieldPoint: () => h.yield() });
        } catch (error) {
          failure = error;
          return null;
        } finally {
          if (workDoneToken !== undefined) this.progress(WorkDoneProgress, workDoneToken, { kind: "end" });
        }
      },
      { priority: kind === "completion" ? "completion" : "other" },
    ).finally(() => {
      if (handle) this.jobs.delete(handle);
    });
    const finished: JobHandle = handle ?? unreachable();
    const aborted = finished.abortReason;
    const result: GenerationOutcome = outcome ?? emptyOutcome("cancelled");
    const ended = aborted === "superseded" ? "superseded" : aborted !== null ? "cancelled" : failure !== null ? "error" : null;
    const metrics = requestMetrics({ requestId, kind, workspaceId, arrivedAt: arrived, queueMs: finished.queueMs, ended }, result);
    this.services.metrics.record(metrics);
    if (kind === "completion" && warm) workspace.requestFinished(warm);
    if (aborted !== null) throw cancelledError(aborted);
    if (failure !== null) throw failure;
    if (outcome === null) throw cancelledError("cancelled");
    return { result: outcome, metrics };
  }
}

function unreachable(): never {
  throw new Error("unreachable: the scheduler hands out a job handle before running it");
}
