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
 * Explain and status are workspace/executeCommand commands answering Markdown.
 *
 * The bridge keeps its own copy of the open documents, so that when the daemon restarts it
 * reconnects and opens them again; it exits when the editor closes stdin (or sends exit).
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
} from "vscode-jsonrpc/node";
import { connectToDaemon } from "../client/connect.js";
import { HearthClient } from "../client/hearth-client.js";
import { applyChanges } from "../documents.js";
import { ErrorCodes, type InlineCompletionList, type ModelProgressParams, type Position, type Range, type StatusResult, type TextDocumentContentChangeEvent, type WorkspaceFolder } from "../protocol.js";

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
  text: string;
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
  readonly done: Promise<void>;
  private markDone: () => void = () => undefined;

  constructor(private readonly options: BridgeOptions) {
    this.done = new Promise((resolve) => (this.markDone = resolve));
    this.editor = createMessageConnection(new StreamMessageReader(options.input), new StreamMessageWriter(options.output));
    this.register();
    this.editor.onClose(() => this.close());
    options.input.on("end", () => this.close());
    this.editor.listen();
  }

  private register(): void {
    const e = this.editor;
    e.onRequest("initialize", async (params: InitializeParamsSeen) => {
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
        },
        serverInfo: { name: "hearth", version: "lsp-bridge" },
      };
    });
    e.onNotification("initialized", () => undefined);
    e.onRequest("shutdown", () => null);
    e.onNotification("exit", () => this.close());
    e.onNotification("textDocument/didOpen", (p: { textDocument: { uri: string; languageId: string; version: number; text: string } }) => {
      const { uri, languageId, text } = p.textDocument;
      this.documents.set(uri, { languageId, version: 1, text });
      void this.forward(async (d) => {
        if (this.synced.has(uri)) return;
        this.synced.set(uri, 1);
        await d.open({ uri, languageId, version: 1, text });
      });
    });
    e.onNotification("textDocument/didChange", (p: { textDocument: { uri: string; version: number }; contentChanges: TextDocumentContentChangeEvent[] }) => {
      const doc = this.documents.get(p.textDocument.uri);
      if (!doc) return;
      doc.text = applyChanges(doc.text, p.contentChanges);
      doc.version += 1;
      const version = doc.version;
      const uri = p.textDocument.uri;
      void this.forward(async (d) => {
        // A daemon connected since this change was made got the document with it already (reopen).
        if ((this.synced.get(uri) ?? 0) >= version) return;
        this.synced.set(uri, version);
        await d.change({ textDocument: { uri, version }, contentChanges: p.contentChanges });
      });
    });
    e.onNotification("textDocument/didClose", (p: { textDocument: { uri: string } }) => {
      this.documents.delete(p.textDocument.uri);
      void this.forward(async (d) => {
        if (!this.synced.delete(p.textDocument.uri)) return;
        await d.close(p.textDocument.uri);
      });
    });
    e.onRequest("textDocument/inlineCompletion", (p: { textDocument: { uri: string }; position: Position; context?: { triggerKind?: number } }, token: CancellationToken) =>
      this.complete(p.textDocument.uri, p.position, p.context?.triggerKind ?? 2, token),
    );
    e.onRequest("textDocument/completion", async (p: { textDocument: { uri: string }; position: Position }, token: CancellationToken) => {
      const list = await this.complete(p.textDocument.uri, p.position, 1, token);
      return { isIncomplete: true, items: list.items.filter((item) => item.insertText.trim() !== "").map((item, index) => completionItem(item.insertText, item.range ?? { start: p.position, end: p.position }, index)) };
    });
    e.onRequest("workspace/executeCommand", async (p: { command: string; arguments?: unknown[] }, token: CancellationToken) => {
      if (p.command === LSP_COMMANDS.status) return statusMarkdown(await (await this.connected()).status());
      if (p.command === LSP_COMMANDS.explain) {
        const target = explainTarget(p.arguments?.[0]);
        const daemon = await this.connected();
        const result = await daemon.explain({ textDocument: { uri: target.uri }, range: target.range ?? this.wholeDocument(target.uri) }, { cancel: linked(token) });
        return result.markdown;
      }
      throw new ResponseError(ErrorCodes.InvalidParams, `unknown command ${p.command}; Hearth has ${Object.values(LSP_COMMANDS).join(", ")}`);
    });
  }

  private async complete(uri: string, position: Position, triggerKind: number, token: CancellationToken): Promise<InlineCompletionList> {
    const daemon = await this.connected();
    throwIfCancelled(token);
    const list = await daemon.complete({ textDocument: { uri }, position, context: { triggerKind: triggerKind === 1 ? 1 : 2 } }, { cancel: linked(token) });
    // Cancelled while the daemon answered: the editor has moved on, and LSP says answer RequestCancelled.
    throwIfCancelled(token);
    return list;
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
