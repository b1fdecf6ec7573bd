/**
 * The daemon's front door: an HTTP server on 127.0.0.1 that accepts WebSocket upgrades only
 * from non-browser clients (a request with an Origin header comes from a web page: 403)
 * that take part in the token handshake (handshake.ts: a client nonce, else 401). The
 * upgrade answers with the daemon's proof of the token; a socket becomes a session only
 * once its first frame proves the client knows the token too (else it is closed, 4401).
 * Plain HTTP requests get 426.
 */
import http from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import {
  CLIENT_NONCE_HEADER,
  CLIENT_PROOF_TIMEOUT_MS,
  clientProof,
  isNonce,
  MAX_PROOF_FRAME_BYTES,
  newNonce,
  parseClientProofFrame,
  proofMatches,
  SERVER_NONCE_HEADER,
  SERVER_PROOF_HEADER,
  serverProof,
  UNAUTHORIZED_CLOSE_CODE,
} from "./handshake.js";
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

interface Challenge {
  clientNonce: string;
  serverNonce: string;
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
}

export class HearthServer {
  private readonly http: http.Server;
  private readonly wss: WebSocketServer;
  private readonly alive = new WeakSet<WebSocket>();
  /** The nonces of each upgrade under way, for the response headers and the client's proof. */
  private readonly challenges = new WeakMap<http.IncomingMessage, Challenge>();
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(private readonly options: ServerOptions) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: options.hardMaxPayload, perMessageDeflate: false });
    this.http = http.createServer((_req, res) => {
      res.writeHead(426, { "Content-Type": "text/plain" }).end("Hearth speaks JSON-RPC over WebSocket only.\n");
    });
    this.http.on("upgrade", (request, socket, head) => this.upgrade(request, socket, head));
    this.wss.on("headers", (headers, request) => {
      const challenge = this.challenges.get(request);
      if (!challenge) return;
      headers.push(`${SERVER_NONCE_HEADER}: ${challenge.serverNonce}`, `${SERVER_PROOF_HEADER}: ${serverProof(options.token, challenge.clientNonce, challenge.serverNonce)}`);
    });
  }

  private upgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => socket.destroy());
    if (request.headers.origin !== undefined) {
      this.options.log(`refused a connection with Origin ${request.headers.origin}`);
      return refuse(socket, 403, "Forbidden: browser origins may not connect to Hearth");
    }
    if (this.wss.clients.size >= Limits.maxConnections) {
      this.options.log(`refused a connection: ${this.wss.clients.size} are open`);
      return refuse(socket, 503, `Service Unavailable: ${Limits.maxConnections} connections are open; close some (each VS Code window, CLI call and bench driver holds one)`);
    }
    const clientNonce = request.headers[CLIENT_NONCE_HEADER];
    if (!isNonce(clientNonce)) {
      this.options.log("refused a connection without a handshake nonce");
      return refuse(socket, 401, `Unauthorized: send ${CLIENT_NONCE_HEADER} (64 hex digits) and prove the token from daemon.json in the first frame`);
    }
    const challenge = { clientNonce, serverNonce: newNonce() };
    this.challenges.set(request, challenge);
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      this.alive.add(ws);
      ws.on("pong", () => this.alive.add(ws));
      this.awaitClientProof(ws, challenge);
    });
  }

  /** Hands the socket on as a connection only once its first frame proves the token. */
  private awaitClientProof(ws: WebSocket, challenge: Challenge): void {
    const refuseSocket = (why: string): void => {
      this.options.log(`refused a connection: ${why}`);
      ws.close(UNAUTHORIZED_CLOSE_CODE, "unauthorized");
    };
    const timer = setTimeout(() => refuseSocket("no proof of the token in time"), CLIENT_PROOF_TIMEOUT_MS);
    timer.unref();
    ws.once("close", () => clearTimeout(timer));
    ws.once("message", (data, isBinary) => {
      clearTimeout(timer);
      // Refused by size before it is decoded: an unproven peer may send up to maxPayload.
      const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
      const frame = isBinary || size > MAX_PROOF_FRAME_BYTES ? null : parseClientProofFrame(String(data));
      if (!frame || !proofMatches(frame.proof, clientProof(this.options.token, challenge.clientNonce, challenge.serverNonce))) return refuseSocket("a wrong proof of the token");
      this.options.onConnection(ws);
    });
  }

  /** Listens on `port` (default: the configured one; 0 for any free port) and resolves with the port it got. */
  listen(port = this.options.port): Promise<number> {
    return new Promise((resolve, reject) => {
      this.http.once("error", reject);
      this.http.listen(port, this.options.host, () => {
        this.http.off("error", reject);
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
