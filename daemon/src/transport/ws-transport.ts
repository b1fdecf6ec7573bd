/**
 * vscode-jsonrpc message reader/writer over a WebSocket: one JSON-RPC message per text frame.
 * Used by the daemon, the CLI and the extension alike. Frames that are not JSON, not a
 * JSON-RPC message, or too large are answered with a JSON-RPC error on the spot and never
 * reach the connection, so a bad client can't take the session down.
 */
import { AbstractMessageReader, AbstractMessageWriter, type DataCallback, type Disposable, type Message } from "vscode-jsonrpc/node";
import WebSocket from "ws";
import { ErrorCodes, Limits } from "../protocol.js";

function isMessage(value: unknown): value is Message {
  return typeof value === "object" && value !== null && !Array.isArray(value) && (value as { jsonrpc?: unknown }).jsonrpc === "2.0";
}

/** The request id of a frame we refuse to parse in full, when it is cheap to see. */
function peekId(text: string): number | string | null {
  const match = /"id"\s*:\s*(\d{1,15}|"[^"\\]{0,200}")/.exec(text.slice(0, 512));
  if (!match?.[1]) return null;
  return match[1].startsWith('"') ? match[1].slice(1, -1) : Number(match[1]);
}

export class WsMessageReader extends AbstractMessageReader {
  private callback: DataCallback | null = null;
  private readonly buffered: Message[] = [];

  constructor(
    private readonly socket: WebSocket,
    private readonly options: { maxMessageBytes?: number; answerInvalid?: boolean } = {},
  ) {
    super();
    socket.on("message", (data, isBinary) => this.onFrame(data, isBinary));
    socket.on("error", (error) => this.fireError(error));
    socket.on("close", () => this.fireClose());
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    for (const message of this.buffered.splice(0)) callback(message);
    return { dispose: () => (this.callback = null) };
  }

  private onFrame(data: WebSocket.RawData, isBinary: boolean): void {
    const bytes = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data instanceof ArrayBuffer ? data.byteLength : data.length;
    const limit = this.options.maxMessageBytes ?? Limits.maxMessageBytes;
    const text = Array.isArray(data) ? Buffer.concat(data).toString("utf8") : Buffer.from(data as ArrayBuffer).toString("utf8");
    if (bytes > limit) {
      this.refuse(peekId(text), ErrorCodes.MessageTooLarge, `Message of ${bytes} bytes exceeds the ${limit}-byte limit.`, "HEARTH_ERR_MESSAGE_TOO_LARGE", "Send smaller documents or changes (incremental sync).");
      return;
    }
    if (isBinary) {
      this.refuse(null, ErrorCodes.InvalidRequest, "Binary frames are not JSON-RPC.", "HEARTH_ERR_BINARY_FRAME", "Send each JSON-RPC message as one text frame.");
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      this.refuse(null, ErrorCodes.ParseError, `Parse error: ${error instanceof Error ? error.message : String(error)}`, "HEARTH_ERR_PARSE", "Send one well-formed JSON-RPC 2.0 message per text frame.");
      return;
    }
    if (!isMessage(parsed)) {
      const id = typeof parsed === "object" && parsed !== null ? peekId(text) : null;
      this.refuse(id, ErrorCodes.InvalidRequest, 'Not a JSON-RPC 2.0 message (it needs "jsonrpc": "2.0" and a method or an id).', "HEARTH_ERR_INVALID_REQUEST", "Batches are not supported; send one message per frame.");
      return;
    }
    if (this.callback) this.callback(parsed);
    else this.buffered.push(parsed);
  }

  private refuse(id: number | string | null, code: number, message: string, name: string, hint: string): void {
    if (!this.options.answerInvalid || this.socket.readyState !== WebSocket.OPEN) return;
    this.socket.send(JSON.stringify({ jsonrpc: "2.0", id, error: { code, message, data: { code: name, hint } } }));
  }
}

export class WsMessageWriter extends AbstractMessageWriter {
  private errorCount = 0;

  constructor(private readonly socket: WebSocket) {
    super();
  }

  write(message: Message): Promise<void> {
    if (this.socket.readyState !== WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.socket.send(JSON.stringify(message), (error) => {
        if (!error) return resolve();
        this.errorCount++;
        this.fireError(error, message, this.errorCount);
        reject(error);
      });
    });
  }

  end(): void {}
}
