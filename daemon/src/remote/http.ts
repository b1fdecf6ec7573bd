/**
 * HTTP to a remote engine: JSON requests and server-sent-event streams over http or https,
 * with `Authorization: Bearer` when a key is configured, a deadline for the answer to start,
 * an idle timer that only real content re-arms, an overall deadline per stream, bounded
 * bodies, lines and streams, and every failure turned into a typed error with a hint.
 * node:http(s) rather than fetch, so that https trusts the system's CAs and
 * NODE_EXTRA_CA_CERTS alike. The key goes into the Authorization header and nowhere else: no
 * error message, log line or status field carries it.
 */
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import tls from "node:tls";
import { HearthError } from "../errors.js";
import { ErrorCodes } from "../protocol.js";

export interface RemoteServer {
  /** Base URL (path prefix kept), e.g. http://gpu-box:8080 or https://host/llama */
  url: URL;
  apiKey: string | null;
  /** How long the server may take to start answering. */
  answerTimeoutMs: number;
  /** How long a stream may go without an event. */
  idleTimeoutMs: number;
  /** What the errors call the server ("llama-server at http://…"). */
  label: string;
}

/** Largest JSON body or single stream event read from a server. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** Debian, Fedora/RHEL, Alpine/macOS bundles: the system's trusted CAs. */
const SYSTEM_CA_FILES = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"];

let trustedCas: string[] | null = null;
/** Node's bundled roots, the system's bundle, and NODE_EXTRA_CA_CERTS (an explicit `ca` replaces Node's defaults, so all three are passed). */
function caCertificates(): string[] {
  if (trustedCas) return trustedCas;
  const cas = [...tls.rootCertificates];
  const system = SYSTEM_CA_FILES.find((file) => fs.existsSync(file));
  for (const file of [system, process.env.NODE_EXTRA_CA_CERTS]) {
    if (!file) continue;
    try {
      cas.push(fs.readFileSync(file, "utf8"));
    } catch {
      // An unreadable bundle is a missing one: Node's roots still apply.
    }
  }
  trustedCas = cas;
  return cas;
}

/**
 * Kept-alive connections save a handshake per keystroke; an idle one is closed after 3 s,
 * before servers close theirs (llama-server's keep-alive is 5 s), and a request that finds
 * its reused connection already closed is sent again once on a new one (open() below).
 * At most 4 at once per server: llama-server gives each open connection one of its few HTTP
 * threads (--parallel + 4) until it closes, so a client with many would starve the others
 * (and itself: requests past the threads wait out a kept-alive connection, seen as 5 s stalls).
 */
const KEEP_ALIVE = { keepAlive: true, maxSockets: 4, timeout: 3000 };
const agents = { http: new http.Agent(KEEP_ALIVE), https: null as https.Agent | null };
function agentFor(url: URL): http.Agent {
  if (url.protocol === "http:") return agents.http;
  agents.https ??= new https.Agent({ ...KEEP_ALIVE, ca: caCertificates() });
  return agents.https;
}

export function unreachable(server: RemoteServer, why: string): HearthError {
  return new HearthError(ErrorCodes.BackendUnreachable, "HEARTH_ERR_BACKEND_UNREACHABLE", `Could not reach ${server.label}: ${why}.`, "Start the server or check the URL given to --backend (hearth.backend); Hearth retries with backoff and completes again as soon as it answers.");
}

export function badAnswer(server: RemoteServer, why: string): HearthError {
  return new HearthError(ErrorCodes.BackendBadAnswer, "HEARTH_ERR_BACKEND_BAD_ANSWER", `${server.label} answered something Hearth can't use: ${why}.`, "Check that the URL points at the right kind of server (--backend llama-server=URL for llama.cpp's server, openai=URL for /v1/completions).");
}

export function timedOut(server: RemoteServer, what: string, ms: number): HearthError {
  return new HearthError(ErrorCodes.BackendTimeout, "HEARTH_ERR_BACKEND_TIMEOUT", `${server.label} ${what} within ${ms} ms.`, "The server may be overloaded or still loading its model; raise --remote-timeout-ms if it is just slow.");
}

function httpError(server: RemoteServer, status: number, body: string): HearthError {
  const message = serverMessage(body);
  if (status === 401 || status === 403) {
    return new HearthError(ErrorCodes.BackendUnauthorized, "HEARTH_ERR_BACKEND_UNAUTHORIZED", `${server.label} refused the API key (HTTP ${status}${message ? `: ${message}` : ""}).`, "Give the server's key with --api-key-file FILE or HEARTH_API_KEY (in VS Code: Hearth: Set Remote API Key).");
  }
  if (status === 404 && /model/i.test(message)) {
    return new HearthError(ErrorCodes.BackendUnknownModel, "HEARTH_ERR_BACKEND_UNKNOWN_MODEL", `${server.label} does not serve that model: ${message}.`, "Name one of the server's models with --remote-model (hearth.remote.model); GET /v1/models lists them.");
  }
  if (status === 503) return unreachable(server, `HTTP 503${message ? ` (${message})` : ""}, the server is loading or busy`);
  return badAnswer(server, `HTTP ${status}${message ? `: ${message}` : ""}`);
}

/** The error text a server put in its body (llama-server and OpenAI both use {error: {message}}), bounded. */
function serverMessage(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === "object" && parsed !== null && "error" in parsed) {
      const error = (parsed as { error: unknown }).error;
      if (typeof error === "string") return error.slice(0, 300);
      if (typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string") return (error as { message: string }).message.slice(0, 300);
    }
  } catch {
    // not JSON: the raw text below
  }
  return body.trim().slice(0, 300);
}

function networkWhy(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ECONNREFUSED") return "connection refused (ECONNREFUSED)";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `no such host (${code})`;
  if (code === "ECONNRESET" || code === "EPIPE") return `the connection was dropped (${code})`;
  if (typeof code === "string" && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|TLS/.test(code)) return `its TLS certificate is not trusted (${code}); add its CA with NODE_EXTRA_CA_CERTS`;
  return error instanceof Error ? error.message : String(error);
}

interface Opened {
  response: http.IncomingMessage;
  /** Ends the exchange early (the server sees the connection close and stops generating). */
  destroy: () => void;
}

function endpoint(server: RemoteServer, path: string): URL {
  const base = server.url.href.endsWith("/") ? server.url.href : `${server.url.href}/`;
  return new URL(path.replace(/^\//, ""), base);
}

/** Sends one request and waits for the answer's headers; non-2xx statuses become typed errors. */
async function open(server: RemoteServer, method: "GET" | "POST", path: string, body: unknown, signal: AbortSignal | undefined): Promise<Opened> {
  try {
    return await openOnce(server, method, path, body, signal);
  } catch (error) {
    // A kept-alive connection the server had closed: the request never reached it, send it again.
    if (error instanceof StaleConnection) return openOnce(server, method, path, body, signal);
    throw error;
  }
}

class StaleConnection extends Error {}

function openOnce(server: RemoteServer, method: "GET" | "POST", path: string, body: unknown, signal: AbortSignal | undefined): Promise<Opened> {
  const url = endpoint(server, path);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const headers: Record<string, string> = { accept: "application/json, text/event-stream" };
  if (payload) headers["content-type"] = "application/json";
  if (server.apiKey) headers.authorization = `Bearer ${server.apiKey}`;
  if (payload) headers["content-length"] = String(payload.length);
  return new Promise<Opened>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const request = (url.protocol === "https:" ? https : http).request(url, { method, headers, agent: agentFor(url) });
    const onAbort = (): void => {
      request.destroy();
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      request.destroy();
      reject(timedOut(server, "did not start answering", server.answerTimeoutMs));
    }, server.answerTimeoutMs);
    signal?.addEventListener("abort", onAbort, { once: true });
    const settle = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    request.on("error", (error) => {
      settle();
      const code = (error as NodeJS.ErrnoException).code;
      if (request.reusedSocket && (code === "ECONNRESET" || code === "EPIPE") && !signal?.aborted) return reject(new StaleConnection());
      reject(signal?.aborted ? signal.reason : unreachable(server, networkWhy(error)));
    });
    request.on("response", (response) => {
      settle();
      const status = response.statusCode ?? 0;
      if (status >= 200 && status < 300) return resolve({ response, destroy: () => request.destroy() });
      readBody(server, response)
        .then((text) => reject(httpError(server, status, text)))
        .catch(reject);
    });
    request.end(payload);
  });
}

function readBody(server: RemoteServer, response: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    response.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        response.destroy();
        reject(badAnswer(server, `a body over ${MAX_BODY_BYTES} bytes`));
        return;
      }
      parts.push(chunk);
    });
    response.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    response.on("error", (error) => reject(unreachable(server, networkWhy(error))));
  });
}

function parseJson(server: RemoteServer, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw badAnswer(server, `not JSON (${JSON.stringify(text.slice(0, 80))})`);
  }
}

export async function requestText(server: RemoteServer, method: "GET" | "POST", path: string, body?: unknown, signal?: AbortSignal): Promise<string> {
  const { response } = await open(server, method, path, body, signal);
  return readBody(server, response);
}

export async function requestJson(server: RemoteServer, method: "GET" | "POST", path: string, body?: unknown, signal?: AbortSignal): Promise<unknown> {
  const { response } = await open(server, method, path, body, signal);
  return parseJson(server, await readBody(server, response));
}

/**
 * What a stream's handler says of one event:
 * - "progress": it carried generated content; the idle timer starts again.
 * - "stop": Hearth has what it needs (or the server overran); the connection is closed.
 * - nothing: it carried nothing new (an empty delta, a usage-only event); the idle timer
 *   runs on, so a server that sends only such events still times out.
 */
export type EventVerdict = "progress" | "stop" | void;

export interface StreamOptions {
  /**
   * The most the whole exchange may take, in ms from the call (the wait for the answer
   * included); null or absent: no deadline beyond the idle timer. Time Hearth spends inside
   * onEvent (a waiting request run at a yield point) does not count against it or the idle timer.
   */
  deadlineMs?: number | null;
}

/** Largest single line of a stream (one event's data): a token's event is well under 1 KiB, a last event with timings and the prompt's text a few hundred KiB at most. */
export const MAX_STREAM_LINE_BYTES = 4 * 1024 * 1024;
/** Largest whole stream: comments, keep-alives and events together. */
export const MAX_STREAM_BYTES = 32 * 1024 * 1024;

/** The overall deadline passed: the server went on past what the request allows (n_predict ignored, a trickle of tokens). */
export function overran(server: RemoteServer, ms: number): HearthError {
  return new HearthError(ErrorCodes.BackendTimeout, "HEARTH_ERR_BACKEND_OVERRAN", `${server.label} did not finish its answer within ${ms} ms, so Hearth closed the connection.`, "The server may be ignoring n_predict or be overloaded; check its logs, or raise --remote-timeout-ms if it is just slow.");
}

/**
 * POSTs `body` and hands each server-sent event's JSON to `onEvent`, one at a time, until
 * the stream ends, `onEvent` returns "stop" (the connection is closed: llama-server and
 * vLLM stop generating for a closed connection), or `signal` aborts (likewise). Resolves
 * with whether it ended early. Bounded three ways besides the caller's own count: the idle
 * timer (server.idleTimeoutMs without an event onEvent calls progress), the overall
 * deadline (options.deadlineMs), and sizes (a line over MAX_STREAM_LINE_BYTES, a stream
 * over MAX_STREAM_BYTES); each closes the connection and rejects with a typed error.
 * Comments (": ping"), empty `data:` lines and other fields are skipped: onEvent never sees
 * them and they re-arm nothing. The work per chunk is proportional to the chunk.
 */
export async function streamEvents(server: RemoteServer, path: string, body: unknown, signal: AbortSignal, onEvent: (event: unknown) => EventVerdict | Promise<EventVerdict>, options: StreamOptions = {}): Promise<"ended" | "stopped"> {
  const deadlineMs = options.deadlineMs ?? null;
  if (deadlineMs !== null && !(Number.isFinite(deadlineMs) && deadlineMs > 0)) throw new RangeError(`a stream's deadline must be a positive number of ms; got ${deadlineMs}.`);
  // Time not counted (spent in onEvent) pushes the deadline back by as much.
  let deadlineAt = deadlineMs === null ? Number.POSITIVE_INFINITY : performance.now() + deadlineMs;
  const overrun = new AbortController();
  let overrunTimer: NodeJS.Timeout | null = deadlineMs === null ? null : setTimeout(() => overrun.abort(overran(server, deadlineMs)), deadlineMs);
  let opened: Opened;
  try {
    opened = await open(server, "POST", path, body, AbortSignal.any([signal, overrun.signal]));
  } catch (error) {
    if (overrunTimer) clearTimeout(overrunTimer);
    throw overrun.signal.aborted && !signal.aborted ? overrun.signal.reason : error;
  }
  const { response, destroy } = opened;
  return new Promise((resolve, reject) => {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let streamBytes = 0;
    let done = false;
    let idle: NodeJS.Timeout | null = null;
    /** When the idle timer fires if nothing re-arms it; paused (kept as what is left) while onEvent runs. */
    let idleAt = performance.now() + server.idleTimeoutMs;
    const finish = (error: unknown, how: "ended" | "stopped" = "ended"): void => {
      if (done) return;
      done = true;
      pauseClocks();
      signal.removeEventListener("abort", onAbort);
      if (how === "stopped" || error) destroy();
      if (error) reject(error);
      else resolve(how);
    };
    const pauseClocks = (): number => {
      if (idle) clearTimeout(idle);
      if (overrunTimer) clearTimeout(overrunTimer);
      idle = null;
      overrunTimer = null;
      return performance.now();
    };
    const runClocks = (pausedAt: number, progress: boolean): void => {
      if (done) return;
      const now = performance.now();
      idleAt = progress ? now + server.idleTimeoutMs : idleAt + (now - pausedAt);
      idle = setTimeout(() => finish(timedOut(server, "sent nothing more", server.idleTimeoutMs)), Math.max(0, idleAt - now));
      if (deadlineMs !== null) {
        deadlineAt += now - pausedAt;
        overrunTimer = setTimeout(() => finish(overran(server, deadlineMs)), Math.max(0, deadlineAt - now));
      }
    };
    const onAbort = (): void => finish(null, "stopped");
    signal.addEventListener("abort", onAbort, { once: true });
    runClocks(pauseClocks(), false);
    /** One line; true when onEvent said stop; `progress` collects whether any event was progress. */
    const handle = async (line: string, seen: { progress: boolean }): Promise<boolean> => {
      // SSE: "data:" carries the event; comments (":"), "event:", "id:", "retry:" carry nothing Hearth uses.
      if (!line.startsWith("data:")) return false;
      const data = line.slice(5).trim();
      if (data === "" || data === "[DONE]") return false;
      const verdict = await onEvent(parseJson(server, data));
      if (verdict === "progress") seen.progress = true;
      return verdict === "stop";
    };
    // Lines are handled in order, one event at a time, through one promise chain: the socket
    // pauses while they are, and the end of the stream waits for the chain (Node emits 'end'
    // on a nextTick, before the promise of the last chunk's lines has run).
    let chain: Promise<void> = Promise.resolve();
    const run = (step: () => Promise<void>): void => {
      chain = chain.then(async () => {
        if (done) return;
        try {
          await step();
        } catch (error) {
          finish(error);
        }
      });
    };
    const handleLines = (lines: string[], then: () => void): void => {
      // While Hearth handles events (a waiting completion may run inside one) the server is not the one being slow.
      const pausedAt = pauseClocks();
      run(async () => {
        const seen = { progress: false };
        for (const line of lines) {
          if (done) return;
          if (await handle(line, seen)) return finish(null, "stopped");
        }
        runClocks(pausedAt, seen.progress);
        then();
      });
    };
    response.on("data", (chunk: Buffer) => {
      if (done) return;
      streamBytes += chunk.length;
      if (streamBytes > MAX_STREAM_BYTES) return finish(badAnswer(server, `a stream over ${MAX_STREAM_BYTES} bytes`));
      // Only the new chunk is searched for line ends: a long line costs its length once, not once per chunk.
      const lines: string[] = [];
      let from = 0;
      for (let end = chunk.indexOf(10); end !== -1; end = chunk.indexOf(10, from)) {
        if (pendingBytes + end - from > MAX_STREAM_LINE_BYTES) return finish(badAnswer(server, `a stream line over ${MAX_STREAM_LINE_BYTES} bytes`));
        pending.push(chunk.subarray(from, end));
        lines.push(Buffer.concat(pending).toString("utf8").replace(/\r$/, ""));
        pending = [];
        pendingBytes = 0;
        from = end + 1;
      }
      if (from < chunk.length) {
        pending.push(chunk.subarray(from));
        pendingBytes += chunk.length - from;
        if (pendingBytes > MAX_STREAM_LINE_BYTES) return finish(badAnswer(server, `a stream line over ${MAX_STREAM_LINE_BYTES} bytes`));
      }
      if (lines.length === 0) return;
      response.pause();
      handleLines(lines, () => response.resume());
    });
    response.on("end", () => {
      const last = Buffer.concat(pending).toString("utf8").trim();
      handleLines(last === "" ? [] : [last], () => finish(null));
    });
    response.on("error", (error) => finish(signal.aborted ? null : unreachable(server, networkWhy(error)), "stopped"));
    response.on("close", () => {
      if (!done && !response.complete) finish(signal.aborted ? null : unreachable(server, "the connection closed mid-answer"), "stopped");
    });
  });
}
