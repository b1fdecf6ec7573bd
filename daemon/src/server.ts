/**
 * The daemon's front door: an HTTP server on 127.0.0.1 that accepts WebSocket upgrades only
 * with the daemon's bearer token (else 401) and only from non-browser clients (a request
 * with an Origin header comes from a web page: 403). Plain HTTP requests get 426.
 */
import { timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { Limits } from "./protocol.js";

export interface ServerOptions {
  host: string;
  port: number;
  token: string;
  /** Frames above this close the socket (1009); below it, oversize messages get a JSON-RPC error. */
  hardMaxPayload: number;
  heartbeatMs: number;
  onConnection: (socket: WebSocket) => void;
  log: (message: string) => void;
}

export const defaultServerOptions = { host: "127.0.0.1", port: 0, hardMaxPayload: Limits.maxMessageBytes * 4, heartbeatMs: 30_000 };

function tokenMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer (.+)$/.exec(header ?? "");
  if (!match?.[1]) return false;
  const given = Buffer.from(match[1]);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
}

export class HearthServer {
  private readonly http: http.Server;
  private readonly wss: WebSocketServer;
  private readonly alive = new WeakSet<WebSocket>();
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(private readonly options: ServerOptions) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: options.hardMaxPayload, perMessageDeflate: false });
    this.http = http.createServer((_req, res) => {
      res.writeHead(426, { "Content-Type": "text/plain" }).end("Hearth speaks JSON-RPC over WebSocket only.\n");
    });
    this.http.on("upgrade", (request, socket, head) => this.upgrade(request, socket, head));
  }

  private upgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => socket.destroy());
    if (request.headers.origin !== undefined) {
      this.options.log(`refused a connection with Origin ${request.headers.origin}`);
      return refuse(socket, 403, "Forbidden: browser origins may not connect to Hearth");
    }
    if (!tokenMatches(request.headers.authorization, this.options.token)) {
      this.options.log("refused a connection without the daemon's token");
      return refuse(socket, 401, "Unauthorized: send Authorization: Bearer <token from daemon.json>");
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      this.alive.add(ws);
      ws.on("pong", () => this.alive.add(ws));
      this.options.onConnection(ws);
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.http.once("error", reject);
      this.http.listen(this.options.port, this.options.host, () => {
        const address = this.http.address();
        if (address === null || typeof address === "string") return reject(new Error("server has no TCP address"));
        this.heartbeat = setInterval(() => this.beat(), this.options.heartbeatMs);
        this.heartbeat.unref();
        resolve(address.port);
      });
    });
  }

  /** A socket that missed a whole heartbeat is dead (its peer vanished without a FIN). */
  private beat(): void {
    for (const ws of this.wss.clients) {
      if (!this.alive.has(ws)) {
        ws.terminate();
        continue;
      }
      this.alive.delete(ws);
      ws.ping();
    }
  }

  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}
