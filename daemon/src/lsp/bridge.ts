/**
 * `hearth lsp --stdio`: a standard LSP server on stdin/stdout for editors other than VS Code
 * (Neovim, Emacs, Helix, Zed, Sublime Text, JetBrains), bridged to the shared daemon of the
 * user's home, found or started as every client does (mutual proof, token, discovery file).
 * Every window of every editor then shares one model and its KV caches.
 *
 * The daemon already speaks LSP's shapes, so documents and inline completions pass through
 * as they are. For editors without textDocument/inlineCompletion (LSP 3.18) the same
 * completion comes back as one textDocument/completion item: a textEdit from the cursor,
 * multi-line where it fits, isIncomplete so the editor asks again as the user types.
 * Explain and status are workspace/executeCommand commands answering Markdown. The daemon's
 * next-edit suggestions pass through as the custom request hearth/nextEdit (and the
 * hearth/nextEdit/accepted notification an editor sends as it applies one), unchanged.
 *
 * The bridge keeps its own copy of the open documents, so that when the daemon restarts it
 * reconnects and opens them again; it exits when the editor closes stdin (or sends exit).
 *
 * What the editor sends is bounded: a message over MAX_EDITOR_MESSAGE_BYTES is skipped as
 * it arrives (frame-guard.ts) and the editor told; a document over the daemon's limits is
 * kept out of sync (never sent, so it can't break the connection the other documents use)
 * and requests about it answer DocumentTooLarge. Before `initialize` every request answers
 * ServerNotInitialized (-32002) and notifications are dropped, as LSP says.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  CancellationTokenSource,
  createMessageConnection,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
  type CancellationToken,
  type MessageConnection,
  type ResponseMessage,
} from "vscode-jsonrpc/node";
import { connectToDaemon } from "../client/connect.js";
import { HearthClient } from "../client/hearth-client.js";
import { applyChanges } from "../documents.js";
import { ErrorCodes, Limits, NextEditAcceptedNotification, NextEditRequest, type InlineCompletionList, type ModelProgressParams, type NextEditParams, type NextEditResult, type Position, type Range, type StatusResult, type TextDocumentContentChangeEvent, type WorkspaceFolder } from "../protocol.js";
import { FrameGuard, MAX_EDITOR_MESSAGE_BYTES, type SkippedMessage } from "./frame-guard.js";

export interface BridgeOptions {
  home: string;
  /** bin/hearth.cjs, to start a daemon when none runs. */
  entry: string;
  serveArgs: readonly string[];
  spawn: boolean;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  log: (message: string) => void;
}

/** Commands for workspace/executeCommand. */
export const LSP_COMMANDS = { explain: "hearth.explain", status: "hearth.status" } as const;

/** LSP's CompletionItemKind.Text and InsertTextFormat.PlainText. */
const KIND_TEXT = 1;
const PLAIN_TEXT = 1;

interface BridgedDocument {
  languageId: string;
  /**
   * The version the daemon knows. Editors number versions their own way (Neovim sends its
   * changedtick, which jumps), the daemon wants each change to be the last version + 1: the
   * bridge counts for the daemon itself.
   */
  version: number;
  /** null: the bridge does not hold the text (over the limits, or changed by a skipped message). */
  text: string | null;
  /** Why the daemon does not have the document; null when it may. */
  outOfSync: string | null;
}

/** Room for a didOpen's other fields beside its text. */
const MESSAGE_OVERHEAD_BYTES = 8 * 1024;
/** LSP's MessageType.Error. */
const MESSAGE_ERROR = 1;

/** Why the daemon can't take this text (its document limit, or its frame limit once sent as JSON), or null. */
function overDaemonLimits(text: string): string | null {
  if (text.length > Limits.maxDocumentChars) return `${text.length} characters, over the ${Limits.maxDocumentChars} Hearth keeps`;
  // A character is at most 6 bytes as JSON: only a text that could be over the frame limit is measured.
  if (text.length * 6 + MESSAGE_OVERHEAD_BYTES > Limits.maxMessageBytes) {
    const bytes = Buffer.byteLength(JSON.stringify(text)) + MESSAGE_OVERHEAD_BYTES;
    if (bytes > Limits.maxMessageBytes) return `${bytes} bytes as a message, over the daemon's ${Limits.maxMessageBytes}-byte limit`;
  }
  return null;
}

function changesFitAFrame(changes: readonly TextDocumentContentChangeEvent[]): boolean {
  const chars = changes.reduce((n, c) => n + c.text.length, 0);
  return chars * 6 + MESSAGE_OVERHEAD_BYTES <= Limits.maxMessageBytes || Buffer.byteLength(JSON.stringify(changes)) + MESSAGE_OVERHEAD_BYTES <= Limits.maxMessageBytes;
}

interface InitializeParamsSeen {
  processId?: number | null;
  rootUri?: string | null;
  rootPath?: string | null;
  workspaceFolders?: WorkspaceFolder[] | null;
  clientInfo?: { name?: string; version?: string };
  capabilities?: { window?: { workDoneProgress?: boolean } };
}

export class LspBridge {
  private readonly editor: MessageConnection;
  private readonly writer: StreamMessageWriter;
  private daemon: HearthClient | null = null;
  private connecting: Promise<HearthClient> | null = null;
  private folders: WorkspaceFolder[] | null = null;
  private clientName = "lsp";
  private workDoneProgress = false;
  private readonly documents = new Map<string, BridgedDocument>();
  /** Per document, the version the connected daemon has (absent: not opened there). */
  private readonly synced = new Map<string, number>();
  private progressToken: string | null = null;
  private progressSeq = 0;
  private closed = false;
  private initialized = false;
  readonly done: Promise<void>;
  private markDone: () => void = () => undefined;

  constructor(private readonly options: BridgeOptions) {
    this.done = new Promise((resolve) => (this.markDone = resolve));
    // The editor's bytes go through the guard first: vscode-jsonrpc would buffer any Content-Length whole.
    const guard = new FrameGuard((skipped) => this.skipped(skipped));
    guard.on("error", (error) => {
      this.options.log(`hearth lsp: ${error.message}; stopping, as the next message can't be found`);
      this.tellEditor(`Hearth stopped: ${error.message}.`);
      this.close();
    });
    options.input.pipe(guard);
    this.writer = new StreamMessageWriter(options.output);
    this.editor = createMessageConnection(new StreamMessageReader(guard), this.writer);
    this.register();
    this.editor.onClose(() => this.close());
    options.input.on("end", () => this.close());
    this.editor.listen();
  }

  private register(): void {
    const e = this.editor;
    e.onRequest("initialize", async (params: InitializeParamsSeen) => {
      if (this.initialized) throw new ResponseError(ErrorCodes.InvalidRequest, "initialize was sent twice; LSP allows it once per connection.");
      this.initialized = true;
      this.folders = foldersOf(params);
      this.clientName = `hearth-lsp${params.clientInfo?.name ? ` (${params.clientInfo.name})` : ""}`;
      this.workDoneProgress = params.capabilities?.window?.workDoneProgress === true;
      await this.connected();
      return {
        capabilities: {
          // Incremental: the editor sends what changed (a full-text change is valid in it too).
          textDocumentSync: { openClose: true, change: 2 },
          inlineCompletionProvider: {},
          completionProvider: { triggerCharacters: [".", "(", " ", "=", ":", ",", "{", "\n"], resolveProvider: false },
          executeCommandProvider: { commands: Object.values(LSP_COMMANDS) },
          // Custom methods, so an editor's script can tell a bridge that passes next edits through.
          experimental: { hearthNextEdit: { request: NextEditRequest.method, accepted: NextEditAcceptedNotification.method } },
        },
        serverInfo: { name: "hearth", version: "lsp-bridge" },
      };
    });
    e.onNotification("initialized", () => undefined);
    e.onRequest("shutdown", () => null);
    e.onNotification("exit", () => this.close());
    e.onNotification("textDocument/didOpen", (p: { textDocument: { uri: string; languageId: string; version: number; text: string } }) => {
      if (!this.initialized) return;
      const { uri, languageId, text } = p.textDocument;
      const over = overDaemonLimits(text);
      if (over !== null) {
        this.documents.set(uri, { languageId, version: 1, text: null, outOfSync: `${uri} is ${over}` });
        this.options.log(`hearth lsp: not sending ${uri} to the daemon: it is ${over}`);
        return;
      }
      this.documents.set(uri, { languageId, version: 1, text, outOfSync: null });
      void this.forward(async (d) => {
        if (this.synced.has(uri)) return;
        this.synced.set(uri, 1);
        await d.open({ uri, languageId, version: 1, text });
      });
    });
    e.onNotification("textDocument/didChange", (p: { textDocument: { uri: string; version: number }; contentChanges: TextDocumentContentChangeEvent[] }) => this.changed(p.textDocument.uri, p.contentChanges));
    e.onNotification("textDocument/didClose", (p: { textDocument: { uri: string } }) => {
      if (!this.initialized) return;
      this.documents.delete(p.textDocument.uri);
      void this.forward(async (d) => {
        if (!this.synced.delete(p.textDocument.uri)) return;
        await d.close(p.textDocument.uri);
      });
    });
    e.onRequest("textDocument/inlineCompletion", (p: { textDocument: { uri: string }; position: Position; context?: { triggerKind?: number } }, token: CancellationToken) => {
      this.mustBeInitialized();
      return this.complete(p.textDocument.uri, p.position, p.context?.triggerKind ?? 2, token);
    });
    e.onRequest("textDocument/completion", async (p: { textDocument: { uri: string }; position: Position }, token: CancellationToken) => {
      this.mustBeInitialized();
      const list = await this.complete(p.textDocument.uri, p.position, 1, token);
      return { isIncomplete: true, items: list.items.filter((item) => item.insertText.trim() !== "").map((item, index) => completionItem(item.insertText, item.range ?? { start: p.position, end: p.position }, index)) };
    });
    e.onRequest("workspace/executeCommand", async (p: { command: string; arguments?: unknown[] }, token: CancellationToken) => {
      this.mustBeInitialized();
      if (p.command === LSP_COMMANDS.status) return statusMarkdown(await (await this.connected()).status());
      if (p.command === LSP_COMMANDS.explain) {
        const target = explainTarget(p.arguments?.[0]);
        this.mustBeInSync(target.uri);
        const daemon = await this.connected();
        const result = await daemon.explain({ textDocument: { uri: target.uri }, range: target.range ?? this.wholeDocument(target.uri) }, { cancel: linked(token) });
        return result.markdown;
      }
      throw new ResponseError(ErrorCodes.InvalidParams, `unknown command ${p.command}; Hearth has ${Object.values(LSP_COMMANDS).join(", ")}`);
    });
    e.onRequest(NextEditRequest.method, (p: unknown, token: CancellationToken) => {
      this.mustBeInitialized();
      return this.nextEdit(nextEditParams(p), token);
    });
    e.onNotification(NextEditAcceptedNotification.method, (p: unknown) => {
      if (!this.initialized) return;
      const uri = documentUri(p);
      if (uri === null || !this.synced.has(uri)) return; // Nothing the daemon knows to mark.
      // Forwarded in order with the didChange that applies the edit, which the daemon marks accepted.
      void this.forward((d) => d.nextEditAccepted(uri));
    });
    // Any other request before initialize (LSP: -32002); after it, vscode-jsonrpc's MethodNotFound.
    e.onRequest((method: string) => {
      this.mustBeInitialized();
      throw new ResponseError(ErrorCodes.MethodNotFound, `Hearth does not handle ${method}.`);
    });
  }

  private mustBeInitialized(): void {
    if (!this.initialized) throw new ResponseError(ErrorCodes.ServerNotInitialized, "The server is not initialized: send initialize first.", { code: "HEARTH_ERR_NOT_INITIALIZED", hint: "LSP clients send initialize before any other request." });
  }

  /** Requests about a document the daemon can't have answer why, at once. */
  private mustBeInSync(uri: string): void {
    const why = this.documents.get(uri)?.outOfSync;
    if (why) throw new ResponseError(ErrorCodes.DocumentTooLarge, `Hearth does not complete in this document: ${why}.`, { code: "HEARTH_ERR_DOCUMENT_TOO_LARGE", hint: `Hearth keeps documents up to ${Limits.maxDocumentChars} characters and reads editor messages up to ${MAX_EDITOR_MESSAGE_BYTES} bytes; the other documents keep working. Close the file (or reopen it smaller).` });
  }

  /** An edit: applied to the bridge's copy and sent on, or the document taken out of (or back into) the daemon by its new size. */
  private changed(uri: string, changes: TextDocumentContentChangeEvent[]): void {
    if (!this.initialized) return;
    const doc = this.documents.get(uri);
    if (!doc) return;
    doc.version += 1;
    const version = doc.version;
    const wasSynced = doc.outOfSync === null;
    let text: string | null = null;
    try {
      // A document whose text the bridge lost comes back with a change that gives it whole.
      const full = changes.map((c) => c.range === undefined).lastIndexOf(true);
      text = doc.text !== null ? applyChanges(doc.text, changes) : full === -1 ? null : applyChanges(changes[full]?.text ?? "", changes.slice(full + 1));
    } catch {
      text = null; // Grown past the daemon's document limit.
    }
    const over = text === null ? (doc.text === null ? (doc.outOfSync ?? "out of sync") : `over the ${Limits.maxDocumentChars} characters Hearth keeps`) : overDaemonLimits(text);
    doc.text = over === null ? text : null;
    doc.outOfSync = over === null ? null : over.startsWith(uri) ? over : `${uri} is ${over}`;
    if (over !== null) {
      if (wasSynced) this.options.log(`hearth lsp: taking ${uri} out of the daemon: ${doc.outOfSync}`);
      void this.forward(async (d) => {
        if (!this.synced.delete(uri)) return;
        await d.close(uri);
      });
      return;
    }
    const current = doc.text;
    if (current === null) return;
    void this.forward(async (d) => {
      // A daemon connected since this change was made got the document with it already (reopen).
      if ((this.synced.get(uri) ?? 0) >= version) return;
      if (wasSynced && this.synced.has(uri) && changesFitAFrame(changes)) {
        this.synced.set(uri, version);
        await d.change({ textDocument: { uri, version }, contentChanges: changes });
        return;
      }
      // Back within the limits, or a change too big for one message: the whole document again.
      if (this.synced.delete(uri)) await d.close(uri);
      this.synced.set(uri, version);
      await d.open({ uri, languageId: doc.languageId, version, text: current });
    });
  }

  /** A message over MAX_EDITOR_MESSAGE_BYTES the guard skipped: the editor is told, the document it changed taken out of sync. */
  private skipped(message: SkippedMessage): void {
    const what = `a message of ${message.bytes} bytes${message.method ? ` (${message.method}${message.uri ? ` for ${message.uri}` : ""})` : ""}`;
    this.options.log(`hearth lsp: skipped ${what}: over the ${MAX_EDITOR_MESSAGE_BYTES}-byte limit`);
    this.tellEditor(`Hearth skipped ${what}: it reads messages up to ${MAX_EDITOR_MESSAGE_BYTES} bytes. Completions in that document are off until it is closed.`);
    if (message.id !== null && message.method !== null) {
      const answer: ResponseMessage = { jsonrpc: "2.0", id: message.id, error: { code: ErrorCodes.MessageTooLarge, message: `The request was ${message.bytes} bytes, over the bridge's ${MAX_EDITOR_MESSAGE_BYTES}-byte limit.`, data: { code: "HEARTH_ERR_MESSAGE_TOO_LARGE", hint: "Send smaller messages (incremental document sync)." } } };
      void this.writer.write(answer).catch(() => undefined);
    }
    const uri = message.uri;
    if (uri === null || !(message.method === "textDocument/didOpen" || message.method === "textDocument/didChange")) return;
    const known = this.documents.get(uri);
    if (message.method === "textDocument/didChange" && !known) return;
    this.documents.set(uri, { languageId: known?.languageId ?? "", version: (known?.version ?? 0) + 1, text: null, outOfSync: `${uri} came in a message of ${message.bytes} bytes, over the bridge's ${MAX_EDITOR_MESSAGE_BYTES}-byte limit` });
    void this.forward(async (d) => {
      if (!this.synced.delete(uri)) return;
      await d.close(uri);
    });
  }

  private tellEditor(message: string): void {
    void this.editor.sendNotification("window/showMessage", { type: MESSAGE_ERROR, message }).catch(() => undefined);
  }

  private async complete(uri: string, position: Position, triggerKind: number, token: CancellationToken): Promise<InlineCompletionList> {
    this.mustBeInSync(uri);
    const daemon = await this.connected();
    throwIfCancelled(token);
    const list = await daemon.complete({ textDocument: { uri }, position, context: { triggerKind: triggerKind === 1 ? 1 : 2 } }, { cancel: linked(token) });
    // Cancelled while the daemon answered: the editor has moved on, and LSP says answer RequestCancelled.
    throwIfCancelled(token);
    return list;
  }

  private async nextEdit(params: NextEditParams, token: CancellationToken): Promise<NextEditResult> {
    this.mustBeInSync(params.textDocument.uri);
    const daemon = await this.connected();
    throwIfCancelled(token);
    const result = await daemon.nextEdit(params, linked(token).token);
    throwIfCancelled(token);
    return result;
  }

  private wholeDocument(uri: string): Range {
    const lines = (this.documents.get(uri)?.text ?? "").split("\n");
    return { start: { line: 0, character: 0 }, end: { line: lines.length - 1, character: (lines[lines.length - 1] ?? "").length } };
  }

  /** Sends to the daemon when connected; a notification lost to a restart is replayed by reopen(). */
  private async forward(send: (daemon: HearthClient) => Promise<void>): Promise<void> {
    try {
      await send(await this.connected());
    } catch (error) {
      this.options.log(`hearth lsp: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** The daemon connection: found or started, initialized with the editor's workspace, the open documents opened again. */
  private connected(): Promise<HearthClient> {
    if (this.daemon) return Promise.resolve(this.daemon);
    this.connecting ??= (async () => {
      try {
        const { socket } = await connectToDaemon({ home: this.options.home, entry: this.options.entry, serveArgs: this.options.serveArgs, spawn: this.options.spawn });
        const client = new HearthClient(socket);
        client.onModelProgress((p) => this.reportProgress(p));
        await client.initialize(this.folders, this.clientName);
        // The documents as the editor has them now: what the new daemon is in step with.
        this.synced.clear();
        for (const [uri, doc] of this.documents) {
          // Only what the daemon can take: one document over its limits would close the connection the others need.
          if (doc.outOfSync !== null || doc.text === null) continue;
          this.synced.set(uri, doc.version);
          await client.open({ uri, languageId: doc.languageId, version: doc.version, text: doc.text });
        }
        socket.once("close", () => {
          if (this.daemon === client) this.daemon = null;
          if (!this.closed) this.options.log("hearth lsp: the daemon went away; reconnecting on the next request");
        });
        this.daemon = client;
        return client;
      } finally {
        this.connecting = null;
      }
    })();
    return this.connecting;
  }

  /** The model's download and load as the editor's work-done progress, where it shows that. */
  private reportProgress(p: ModelProgressParams): void {
    if (!this.workDoneProgress) return;
    const percentage = p.progress === null ? undefined : Math.round(p.progress * 100);
    if (p.phase === "download" || p.phase === "load") {
      if (this.progressToken === null) {
        const token = `hearth-model-${++this.progressSeq}`;
        this.progressToken = token;
        void this.editor.sendRequest("window/workDoneProgress/create", { token }).then(
          () => this.editor.sendNotification("$/progress", { token, value: { kind: "begin", title: "Hearth", message: p.message, ...(percentage === undefined ? {} : { percentage }) } }),
          () => undefined,
        );
      } else {
        void this.editor.sendNotification("$/progress", { token: this.progressToken, value: { kind: "report", message: p.message, ...(percentage === undefined ? {} : { percentage }) } });
      }
      return;
    }
    if (this.progressToken !== null) {
      void this.editor.sendNotification("$/progress", { token: this.progressToken, value: { kind: "end", message: p.message } });
      this.progressToken = null;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.daemon?.dispose();
    this.editor.dispose();
    this.markDone();
  }
}

function foldersOf(params: InitializeParamsSeen): WorkspaceFolder[] | null {
  if (params.workspaceFolders && params.workspaceFolders.length > 0) return params.workspaceFolders.map((f) => ({ uri: f.uri, name: f.name }));
  const root = params.rootUri ?? (params.rootPath ? new URL(`file://${path.resolve(params.rootPath)}`).href : null);
  if (!root) return null;
  let name = root;
  try {
    name = path.basename(fileURLToPath(root));
  } catch {
    // not a file: URI; the URI names it
  }
  return [{ uri: root, name }];
}

/** The completion as one item: its first line labels it, the edit inserts all of it at the cursor. */
function completionItem(text: string, range: Range, index: number): Record<string, unknown> {
  const firstLine = text.split("\n").find((line) => line.trim() !== "") ?? text;
  const lines = text.split("\n").length;
  return {
    label: firstLine.trim().slice(0, 80),
    kind: KIND_TEXT,
    detail: lines > 1 ? `Hearth (${lines} lines)` : "Hearth",
    documentation: { kind: "markdown", value: `\`\`\`\n${text}\n\`\`\`` },
    textEdit: { range, newText: text },
    insertTextFormat: PLAIN_TEXT,
    // The edit starts at the cursor: match whatever the editor filters with, and sort first.
    filterText: firstLine.trim(),
    sortText: String(index).padStart(4, "0"),
    preselect: index === 0,
  };
}

function explainTarget(argument: unknown): { uri: string; range: Range | null } {
  if (typeof argument === "string") return { uri: argument, range: null };
  if (typeof argument === "object" && argument !== null && typeof (argument as { uri?: unknown }).uri === "string") {
    const a = argument as { uri: string; range?: Range };
    return { uri: a.uri, range: a.range ?? null };
  }
  throw new ResponseError(ErrorCodes.InvalidParams, `${LSP_COMMANDS.explain} takes {uri, range?} (or a URI): the document and the lines to explain`);
}

function invalidParams(message: string): ResponseError<{ code: string; hint: string }> {
  return new ResponseError(ErrorCodes.InvalidParams, message, { code: "HEARTH_ERR_INVALID_PARAMS", hint: `${NextEditRequest.method} takes {textDocument: {uri}, position: {line, character}, maxTokens?}` });
}

function documentUri(p: unknown): string | null {
  const doc = typeof p === "object" && p !== null ? (p as { textDocument?: unknown }).textDocument : undefined;
  const uri = typeof doc === "object" && doc !== null ? (doc as { uri?: unknown }).uri : undefined;
  return typeof uri === "string" && uri.length > 0 && uri.length <= Limits.maxUriLength ? uri : null;
}

function isIndex(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

/** Only the fields the daemon reads, checked here so that a malformed request never reaches it. */
function nextEditParams(p: unknown): NextEditParams {
  const uri = documentUri(p);
  if (uri === null) throw invalidParams(`${NextEditRequest.method} needs textDocument.uri, a URI of an open document`);
  const { position, maxTokens } = p as { position?: unknown; maxTokens?: unknown };
  const at = typeof position === "object" && position !== null ? (position as { line?: unknown; character?: unknown }) : null;
  if (at === null || !isIndex(at.line) || !isIndex(at.character)) throw invalidParams(`${NextEditRequest.method} needs position {line, character}, zero-based integers`);
  if (maxTokens !== undefined && !(isIndex(maxTokens) && maxTokens >= 1 && maxTokens <= Limits.maxNextEditTokens)) throw invalidParams(`maxTokens is 1..${Limits.maxNextEditTokens}`);
  return { textDocument: { uri }, position: { line: at.line, character: at.character }, ...(maxTokens === undefined ? {} : { maxTokens }) };
}

function throwIfCancelled(token: CancellationToken): void {
  if (token.isCancellationRequested) throw new ResponseError(ErrorCodes.RequestCancelled, "Request cancelled by the editor.");
}

function linked(token: CancellationToken): CancellationTokenSource {
  const source = new CancellationTokenSource();
  if (token.isCancellationRequested) source.cancel();
  token.onCancellationRequested(() => source.cancel());
  return source;
}

function statusMarkdown(s: StatusResult): string {
  const engine = s.backend.kind === "local" ? `${s.device.kind} (${s.device.name})` : `${s.backend.kind} at ${s.backend.url}`;
  const last = s.recentRequests[s.recentRequests.length - 1];
  return [
    `**Hearth** ${s.version}, pid ${s.pid}, ${s.clients} client(s)`,
    `- Engine: ${engine}`,
    `- Model: ${s.model.name || s.model.source} (${s.modelState.state})`,
    ...s.workspaces.map((w) => `- Workspace ${w.folders.join(", ") || w.workspaceId}: ${w.cachedTokens} cached tokens`),
    ...(last ? [`- Last request: ${Math.round(last.totalMs)} ms, ${last.evaluatedTokens} of ${last.promptTokens} prompt tokens evaluated`] : []),
  ].join("\n");
}
