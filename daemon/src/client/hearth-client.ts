/**
 * A typed JSON-RPC client over one daemon socket, for the CLI, the bench and the tests
 * (the extension speaks through vscode-languageclient instead, over the same transport).
 */
import { createMessageConnection, CancellationTokenSource, type CancellationToken, type MessageConnection } from "vscode-jsonrpc/node";
import type WebSocket from "ws";
import {
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  DownloadModelRequest,
  ExplainRequest,
  InitializedNotification,
  InitializeRequest,
  InlineCompletionRequest,
  ModelCatalogRequest,
  ModelProgressNotification,
  NextEditAcceptedNotification,
  NextEditRequest,
  PrecisionListRequest,
  PrecisionSetRequest,
  StatusRequest,
  StopDaemonRequest,
  TextDeltaProgress,
  WorkDoneProgress,
  type DidChangeTextDocumentParams,
  type DownloadModelParams,
  type DownloadModelResult,
  type ModelCatalogResult,
  type ExplainParams,
  type ExplainResult,
  type InitializeResult,
  type InlineCompletionList,
  type InlineCompletionParams,
  type ModelProgressParams,
  type PrecisionListResult,
  type PrecisionSetParams,
  type PrecisionSetResult,
  type StatusResult,
  type TextDocumentItem,
  type WorkDoneProgressValue,
  type WorkspaceFolder,
  type NextEditParams,
  type NextEditResult,
} from "../protocol.js";
import { WsMessageReader, WsMessageWriter } from "../transport/ws-transport.js";

export interface StreamHooks {
  onDelta?: (delta: string) => void;
  onWorkDone?: (value: WorkDoneProgressValue) => void;
  /** Cancels the request ($/cancelRequest) when fired. */
  cancel?: CancellationTokenSource;
}

export class HearthClient {
  readonly connection: MessageConnection;
  private nextToken = 1;

  constructor(readonly socket: WebSocket) {
    this.connection = createMessageConnection(new WsMessageReader(socket), new WsMessageWriter(socket));
    this.connection.listen();
    // Pending requests fail at once when the daemon goes away, instead of waiting forever.
    socket.once("close", () => this.connection.dispose());
  }

  onModelProgress(handler: (params: ModelProgressParams) => void): void {
    this.connection.onNotification(ModelProgressNotification, handler);
  }

  async initialize(folders: WorkspaceFolder[] | null, clientName = "hearth-cli"): Promise<InitializeResult> {
    const result = await this.connection.sendRequest(InitializeRequest, { processId: process.pid, clientInfo: { name: clientName }, capabilities: {}, workspaceFolders: folders });
    await this.connection.sendNotification(InitializedNotification, {});
    return result;
  }

  open(document: TextDocumentItem): Promise<void> {
    return this.connection.sendNotification(DidOpenTextDocumentNotification, { textDocument: document });
  }

  change(params: DidChangeTextDocumentParams): Promise<void> {
    return this.connection.sendNotification(DidChangeTextDocumentNotification, params);
  }

  close(uri: string): Promise<void> {
    return this.connection.sendNotification(DidCloseTextDocumentNotification, { textDocument: { uri } });
  }

  complete(params: Omit<InlineCompletionParams, "partialResultToken" | "workDoneToken">, hooks: StreamHooks = {}): Promise<InlineCompletionList> {
    return this.streamed(InlineCompletionRequest, params, hooks);
  }

  explain(params: Omit<ExplainParams, "partialResultToken" | "workDoneToken">, hooks: StreamHooks = {}): Promise<ExplainResult> {
    return this.streamed(ExplainRequest, params, hooks);
  }

  /** The edit the user makes next (hearth/nextEdit); `token` cancels it. */
  nextEdit(params: NextEditParams, token?: CancellationToken): Promise<NextEditResult> {
    return token ? this.connection.sendRequest(NextEditRequest, params, token) : this.connection.sendRequest(NextEditRequest, params);
  }

  /** The document's next change applies an accepted suggestion. */
  nextEditAccepted(uri: string): Promise<void> {
    return this.connection.sendNotification(NextEditAcceptedNotification, { textDocument: { uri } });
  }

  status(): Promise<StatusResult> {
    return this.connection.sendRequest(StatusRequest);
  }

  precisionList(): Promise<PrecisionListResult> {
    return this.connection.sendRequest(PrecisionListRequest);
  }

  precisionSet(params: PrecisionSetParams): Promise<PrecisionSetResult> {
    return this.connection.sendRequest(PrecisionSetRequest, params);
  }

  /** Fetches a role's model (hearth/downloadModel); `token` stops the transfer, keeping its bytes to resume. */
  downloadModel(params: DownloadModelParams = {}, token?: CancellationToken): Promise<DownloadModelResult> {
    return token ? this.connection.sendRequest(DownloadModelRequest, params, token) : this.connection.sendRequest(DownloadModelRequest, params);
  }

  /** The catalog as the daemon's machine sees it (hearth/models). */
  modelCatalog(): Promise<ModelCatalogResult> {
    return this.connection.sendRequest(ModelCatalogRequest);
  }

  stopDaemon(): Promise<null> {
    return this.connection.sendRequest(StopDaemonRequest);
  }

  dispose(): void {
    this.socket.close();
    this.connection.dispose();
  }

  private async streamed<P extends object, R>(type: { method: string }, params: P, hooks: StreamHooks): Promise<R> {
    const partialResultToken = `p${this.nextToken++}`;
    const workDoneToken = `w${this.nextToken++}`;
    const disposables = [
      this.connection.onProgress(TextDeltaProgress, partialResultToken, (value) => hooks.onDelta?.(value.delta)),
      this.connection.onProgress(WorkDoneProgress, workDoneToken, (value) => hooks.onWorkDone?.(value)),
    ];
    try {
      const withTokens = { ...params, partialResultToken, workDoneToken };
      return hooks.cancel
        ? await this.connection.sendRequest<R>(type.method, withTokens, hooks.cancel.token)
        : await this.connection.sendRequest<R>(type.method, withTokens);
    } finally {
      for (const d of disposables) d.dispose();
    }
  }
}
