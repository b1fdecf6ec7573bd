/**
 * The connection to the daemon: a vscode-languageclient LanguageClient over the daemon's
 * WebSocket (MessageTransports built from the shared WsMessageReader/Writer), which syncs
 * documents and sends the workspace folders in `initialize`. Each connection gets a fresh
 * LanguageClient: its built-in restart policy gives up after a few tries and shows a toast
 * each time, so the client is told never to restart and this class reconnects instead,
 * with exponential backoff, starting a new daemon when the old one died. Progress is
 * reported through `onDidChangeState` (the status bar), and a failure streak is shown once,
 * as a notification with what to do — never a storm of modals.
 */
import * as vscode from "vscode";
import {
  CloseAction,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ErrorAction,
  LanguageClient,
  RevealOutputChannelOn,
  State,
  type DynamicFeature,
  type LanguageClientOptions,
  type MessageTransports,
  type StaticFeature,
} from "vscode-languageclient/node";
import type { NotificationType } from "vscode-jsonrpc/node";
import type { DiscoveryInfo } from "../../daemon/src/discovery.js";
import { InlineCompletionRequest, Limits, StopDaemonRequest } from "../../daemon/src/protocol.js";
import { WsMessageReader, WsMessageWriter } from "../../daemon/src/transport/ws-transport.js";
import { backoffMs } from "./backoff.js";
import type { DaemonLauncher } from "./daemon-launcher.js";
import { describeError, type Log } from "./log.js";

export type ConnectionState =
  | { kind: "connecting"; attempt: number }
  | { kind: "connected"; info: DiscoveryInfo; methods: ReadonlySet<string>; serverVersion: string }
  | { kind: "reconnecting"; attempt: number; retryInMs: number; reason: string }
  | { kind: "stopped" };

export class NotConnectedError extends Error {
  readonly code = "HEARTH_ERR_NOT_CONNECTED";
  constructor() {
    super("Hearth is not connected to its daemon yet.");
  }
}

/** After this many failed attempts in a row the user is told once (with what to do). */
const FAILURES_BEFORE_NOTICE = 3;

/** The methods the daemon says it handles (`capabilities.experimental.hearth.methods`). */
function advertisedMethods(result: unknown): Set<string> {
  const methods = (result as { capabilities?: { experimental?: { hearth?: { methods?: unknown } } } } | undefined)?.capabilities?.experimental?.hearth?.methods;
  return new Set(Array.isArray(methods) ? methods.filter((m): m is string => typeof m === "string") : []);
}

/** Room for the JSON-RPC envelope around a document's text in one message. */
const MESSAGE_OVERHEAD_BYTES = 64 * 1024;

function fitsDaemon(document: vscode.TextDocument): boolean {
  // The offset of the end is the length in UTF-16 units without copying the text.
  const chars = document.offsetAt(document.lineAt(document.lineCount - 1).range.end);
  if (chars > Limits.maxDocumentChars) return false;
  // The daemon also bounds a message's bytes: UTF-8 takes up to 3 bytes per UTF-16 unit, so
  // only a long document needs the exact count.
  return chars * 3 <= Limits.maxMessageBytes - MESSAGE_OVERHEAD_BYTES || Buffer.byteLength(document.getText(), "utf8") <= Limits.maxMessageBytes - MESSAGE_OVERHEAD_BYTES;
}

/**
 * Hearth's inline provider sends completion requests itself (debounce, cache, streaming,
 * post-processing, metrics); the library's generic one would register a second provider.
 */
class HearthLanguageClient extends LanguageClient {
  override registerFeature(feature: StaticFeature | DynamicFeature<unknown>): void {
    if ("registrationType" in feature && feature.registrationType.method === InlineCompletionRequest.method) return;
    super.registerFeature(feature);
  }

  /**
   * The library shows some errors as notifications whatever the options say ("force");
   * Hearth's own notices decide what the user sees, so here errors are only logged.
   */
  override error(message: string, data?: unknown, _showNotification?: boolean | "force"): void {
    super.error(message, data, false);
  }
}

export class DaemonClient implements vscode.Disposable {
  private readonly stateEmitter = new vscode.EventEmitter<ConnectionState>();
  readonly onDidChangeState = this.stateEmitter.event;
  private readonly failureEmitter = new vscode.EventEmitter<string>();
  /** Fires once per streak of failed connection attempts, with the last reason. */
  readonly onPersistentFailure = this.failureEmitter.event;
  private current: LanguageClient | null = null;
  private currentState: ConnectionState = { kind: "stopped" };
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private failures = 0;
  private noticeShown = false;
  private running = false;
  private disposed = false;
  /** Notification handlers, registered again on each new connection. */
  private readonly notificationHandlers: Array<(client: LanguageClient) => vscode.Disposable> = [];
  private connecting: Promise<void> | null = null;
  /** A restart was asked for: the closed connection and a first failed try are expected, not errors. */
  private restarting = false;
  private readonly changeObservers = new Set<(event: vscode.TextDocumentChangeEvent) => void>();

  constructor(
    private readonly launcher: DaemonLauncher,
    private readonly log: Log,
    /** Whether a document may reach the daemon at all (its language is on, it is not excluded as a secret). */
    private readonly syncable: (document: vscode.TextDocument) => boolean = () => true,
  ) {}

  get state(): ConnectionState {
    return this.currentState;
  }

  /** The LanguageClient while connected; throws NotConnectedError otherwise. */
  requireClient(): LanguageClient {
    if (this.current === null || this.currentState.kind !== "connected") throw new NotConnectedError();
    return this.current;
  }

  /**
   * Sends the whole text of a document the daemon says is out of step (a change it missed or
   * could not apply): a didChange without a range, which the daemon takes whatever came before.
   */
  async resync(document: vscode.TextDocument): Promise<void> {
    if (!fitsDaemon(document)) return;
    await this.requireClient().sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri: document.uri.toString(), version: document.version },
      contentChanges: [{ text: document.getText() }],
    });
  }

  /** Whether the document's text goes to the daemon as it changes. */
  synced(document: vscode.TextDocument): boolean {
    return this.syncable(document) && fitsDaemon(document);
  }

  /**
   * Sends the text of a document that is not kept in sync (its language is off for
   * completions), for one request about it such as an explanation.
   */
  async sendOnce(document: vscode.TextDocument): Promise<void> {
    if (!fitsDaemon(document)) return;
    await this.requireClient().sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri: document.uri.toString(), languageId: document.languageId, version: document.version, text: document.getText() },
    });
  }

  /**
   * `observer` sees each change just before it is sent to the daemon (only changes that are
   * sent): a notification it starts sending reaches the daemon before that change does.
   */
  beforeSendingChange(observer: (event: vscode.TextDocumentChangeEvent) => void): vscode.Disposable {
    this.changeObservers.add(observer);
    return { dispose: () => this.changeObservers.delete(observer) };
  }

  /** Whether the connected daemon handles `method` (false while not connected). */
  supports(method: string): boolean {
    return this.currentState.kind === "connected" && this.currentState.methods.has(method);
  }

  onNotification<P>(type: NotificationType<P>, handler: (params: P) => void): void {
    this.notificationHandlers.push((client) => client.onNotification(type, handler));
    if (this.current) this.notificationHandlers[this.notificationHandlers.length - 1]?.(this.current);
  }

  /** Starts connecting (once); later calls are no-ops while running. */
  start(): void {
    if (this.running || this.disposed) return;
    this.running = true;
    this.failures = 0;
    void this.connect();
  }

  /** Drops the connection and connects again now (settings or workspace folders changed). */
  async reconnect(reason: string): Promise<void> {
    if (this.disposed) return;
    this.log.info(`reconnecting: ${reason}`);
    this.running = true;
    this.failures = 0;
    this.clearRetry();
    await this.connecting;
    await this.closeCurrent();
    await this.connect();
  }

  /**
   * Asks the daemon to stop (it saves its caches first); the closed connection then brings
   * up a new daemon through the usual reconnection. Every window connected to it follows.
   */
  async restartDaemon(): Promise<void> {
    const client = this.current;
    if (client === null || this.currentState.kind !== "connected") {
      await this.reconnect("restart requested while disconnected");
      return;
    }
    this.log.info("asking the daemon to stop so that a fresh one starts");
    this.failures = 0;
    this.restarting = true;
    const closed = new Promise<void>((resolve) => {
      const subscription = client.onDidChangeState((event) => {
        if (event.newState === State.Stopped) {
          subscription.dispose();
          resolve();
        }
      });
    });
    try {
      await client.sendRequest(StopDaemonRequest);
    } catch (error) {
      this.restarting = false;
      throw error;
    }
    await closed;
  }

  private async connect(): Promise<void> {
    if (this.connecting) return this.connecting;
    this.connecting = this.connectOnce().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async connectOnce(): Promise<void> {
    if (this.disposed || !this.running) return;
    this.setState({ kind: "connecting", attempt: this.failures + 1 });
    let client: LanguageClient | null = null;
    try {
      const endpoint = await this.launcher.connect();
      if (this.disposed || !this.running) {
        endpoint.socket.close();
        return;
      }
      const transports: MessageTransports = { reader: new WsMessageReader(endpoint.socket), writer: new WsMessageWriter(endpoint.socket), detached: false };
      client = new HearthLanguageClient("hearth", "Hearth", () => Promise.resolve(transports), this.clientOptions());
      const thisClient = client;
      this.current = client;
      for (const register of this.notificationHandlers) register(client);
      client.onDidChangeState((event) => {
        if (event.newState === State.Stopped && this.current === thisClient) this.onConnectionLost(thisClient, "the connection to the daemon closed");
      });
      await client.start();
      if (this.current !== client) return;
      this.failures = 0;
      this.noticeShown = false;
      this.restarting = false;
      const result = client.initializeResult;
      this.setState({ kind: "connected", info: endpoint.info, methods: advertisedMethods(result), serverVersion: result?.serverInfo?.version ?? "?" });
      this.log.info(`connected to the Hearth daemon ${result?.serverInfo?.version ?? ""} (pid ${endpoint.info.pid}, port ${endpoint.info.port})`);
    } catch (error) {
      if (client !== null && this.current === client) this.current = null;
      if (client !== null) void client.dispose(2000).catch(() => undefined);
      this.onConnectFailed(error);
    }
  }

  private clientOptions(): LanguageClientOptions {
    return {
      documentSelector: [{ scheme: "file" }, { scheme: "untitled" }],
      outputChannel: this.log.channel,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      // Reconnection is ours (see the class comment); these only keep the library quiet.
      errorHandler: {
        error: () => ({ action: ErrorAction.Continue, handled: true }),
        closed: () => ({ action: CloseAction.DoNotRestart, handled: true }),
      },
      initializationFailedHandler: () => false,
      middleware: {
        // Only documents of enabled languages that are not excluded as secrets reach the
        // daemon (its prompts and saved states), and none over its size limit.
        didOpen: (document, next) => (this.syncable(document) && fitsDaemon(document) ? next(document) : Promise.resolve()),
        didChange: (event, next) => {
          if (!this.syncable(event.document) || !fitsDaemon(event.document)) return Promise.resolve();
          // Synchronously, so what an observer sends is on the wire first (the library sends in call order).
          for (const observer of this.changeObservers) observer(event);
          return next(event);
        },
      },
    };
  }

  private onConnectionLost(client: LanguageClient, reason: string): void {
    if (this.current !== client) return;
    this.current = null;
    void client.dispose(2000).catch(() => undefined);
    if (this.disposed || !this.running) return;
    if (this.restarting) this.log.info("the daemon stopped as asked; starting a new one");
    else this.log.warn(`${reason}; reconnecting`);
    this.scheduleRetry(reason);
  }

  private onConnectFailed(error: unknown): void {
    if (this.disposed || !this.running) return;
    this.failures++;
    const reason = describeError(error);
    // While an asked-for restart runs, the old daemon may still hold its port for a moment.
    if (this.restarting && this.failures === 1) this.log.info(`the new daemon is not up yet (${reason}); trying again`);
    else this.log.error(`could not connect to the Hearth daemon (attempt ${this.failures})`, error);
    if (this.failures >= FAILURES_BEFORE_NOTICE && !this.noticeShown) {
      this.noticeShown = true;
      this.failureEmitter.fire(reason);
    }
    this.scheduleRetry(reason);
  }

  private scheduleRetry(reason: string): void {
    this.clearRetry();
    const attempt = this.failures + 1;
    const retryInMs = backoffMs(attempt);
    this.setState({ kind: "reconnecting", attempt, retryInMs, reason });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, retryInMs);
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private async closeCurrent(): Promise<void> {
    const client = this.current;
    this.current = null;
    if (client === null) return;
    try {
      await client.dispose(2000);
    } catch (error) {
      this.log.debug(`closing the old connection: ${describeError(error)}`);
    }
  }

  private setState(state: ConnectionState): void {
    this.currentState = state;
    this.stateEmitter.fire(state);
  }

  /** Stops the connection (the daemon keeps running for other windows until its idle timeout). */
  async stop(): Promise<void> {
    this.running = false;
    this.clearRetry();
    await this.closeCurrent();
    if (!this.disposed) this.setState({ kind: "stopped" });
  }

  dispose(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    const stopped = this.stop();
    this.disposed = true;
    return stopped.finally(() => {
      this.stateEmitter.dispose();
      this.failureEmitter.dispose();
    });
  }
}
