/**
 * A real HTTP server on 127.0.0.1 that serves a model file the way Hugging Face's hub does
 * (`/USER/REPO/resolve/main/FILE`, HEAD and Range requests, and the `/v2/USER/REPO/manifests/TAG`
 * API that names a repository's GGUF file), and misbehaves on demand: it drops the
 * connection after some bytes, ignores Range, sends more than it should, or announces more.
 */
import { once } from "node:events";
import http from "node:http";
import net, { type AddressInfo } from "node:net";

export type Misbehaviour =
  /** Serves properly, Range included. */
  | { kind: "none" }
  /** Drops the connection after `bytes` of the first answer; later Range requests are served properly. */
  | { kind: "cut-once"; bytes: number }
  /** Ignores Range, answers 200 with the full length, and drops the connection after `bytes`, every time. */
  | { kind: "cut-always"; bytes: number }
  /** A chunked answer (no length announced) with `extra` bytes after the file. */
  | { kind: "oversized"; extra: number }
  /** Announces `extra` more bytes than the file has. */
  | { kind: "announces-more"; extra: number }
  /** Sends `bytes`, then holds the rest until `release()`. */
  | { kind: "stall"; bytes: number }
  /** Answers 401 unless the request carries `Authorization: Bearer <token>`, as a private repository does. */
  | { kind: "private"; token: string };

export interface ServedRequest {
  method: string;
  url: string;
  range: string | null;
  ifRange: string | null;
  authorization: string | null;
  userAgent: string | null;
}

export interface ModelServer {
  /** http://127.0.0.1:PORT/ */
  endpoint: string;
  requests: ServedRequest[];
  /** Serves `body` at /USER/REPO/resolve/main/FILE, misbehaving as told; the manifest of USER/REPO names FILE. */
  serve(user: string, repo: string, file: string, body: Buffer, misbehaviour?: Misbehaviour, etag?: string): void;
  misbehave(user: string, repo: string, misbehaviour: Misbehaviour): void;
  /** Resolves when a "stall" answer has sent its first bytes and holds the rest. */
  stalled(): Promise<void>;
  /** Lets stalled answers finish. */
  release(): void;
  close(): Promise<void>;
}

interface Entry {
  file: string;
  body: Buffer;
  etag: string;
  misbehaviour: Misbehaviour;
  answered: number;
}

function parseRange(header: string | undefined, size: number): { start: number; end: number } | null {
  const match = /^bytes=(\d+)-(\d*)$/.exec(header ?? "");
  if (!match) return null;
  const start = Number(match[1]);
  const end = match[2] ? Math.min(Number(match[2]), size - 1) : size - 1;
  return { start, end };
}

/** Writes `data` in small pieces, so a client sees the download progress. */
async function writeInPieces(res: http.ServerResponse, data: Buffer): Promise<void> {
  const piece = 32 * 1024;
  for (let at = 0; at < data.length; at += piece) {
    if (!res.write(data.subarray(at, at + piece))) await once(res, "drain");
  }
}

/** Drops the connection once the bytes written so far have left, as a link dropped mid-transfer does. */
async function flushThenDrop(res: http.ServerResponse): Promise<void> {
  await new Promise<void>((resolve) => (res.socket ? res.socket.write("", () => resolve()) : resolve()));
  res.socket?.destroy();
}

/** `port`: listen there (a port a test first gave as an unreachable hub's); default any free port. */
export async function startModelServer(port = 0): Promise<ModelServer> {
  const entries = new Map<string, Entry>();
  const requests: ServedRequest[] = [];
  let stalledNow: () => void = () => undefined;
  let stalledPromise = new Promise<void>((resolve) => (stalledNow = resolve));
  let releaseNow: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (releaseNow = resolve));
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? "", url: req.url ?? "", range: req.headers.range ?? null, ifRange: typeof req.headers["if-range"] === "string" ? req.headers["if-range"] : null, authorization: req.headers.authorization ?? null, userAgent: req.headers["user-agent"] ?? null });
    void handle(req, res).catch(() => res.destroy());
  });
  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const manifest = /^\/v2\/([^/]+)\/([^/]+)\/manifests\/([^/]+)$/.exec(url.pathname);
    if (manifest) {
      const entry = entries.get(`${manifest[1]}/${manifest[2]}`);
      if (!entry) return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ggufFile: { rfilename: entry.file, size: entry.body.length } }));
      return;
    }
    const file = /^\/([^/]+)\/([^/]+)\/resolve\/main\/(.+)$/.exec(url.pathname);
    const entry = file ? entries.get(`${file[1]}/${file[2]}`) : undefined;
    if (!file || !entry || decodeURIComponent(file[3]!) !== entry.file) return void res.writeHead(404).end();
    const { body, misbehaviour } = entry;
    if (misbehaviour.kind === "private" && req.headers.authorization !== `Bearer ${misbehaviour.token}`) return void res.writeHead(401).end();
    const common = { "content-type": "application/octet-stream", "accept-ranges": misbehaviour.kind === "cut-always" ? "none" : "bytes", etag: entry.etag };
    if (req.method === "HEAD") return void res.writeHead(200, { ...common, "content-length": body.length }).end();
    const first = entry.answered++ === 0;
    if (misbehaviour.kind === "oversized") {
      res.writeHead(200, common);
      await writeInPieces(res, Buffer.concat([body, Buffer.alloc(misbehaviour.extra, 0x47)]));
      return void res.end();
    }
    if (misbehaviour.kind === "announces-more") {
      res.writeHead(200, { ...common, "content-length": body.length + misbehaviour.extra });
      await writeInPieces(res, body);
      return void (await flushThenDrop(res));
    }
    // If-Range with another ETag: the file changed, so the whole of it, as RFC 9110 says.
    const ifRange = req.headers["if-range"];
    const range = misbehaviour.kind === "cut-always" || (ifRange !== undefined && ifRange !== entry.etag) ? null : parseRange(req.headers.range, body.length);
    if (range && range.start >= body.length) return void res.writeHead(416, { "content-range": `bytes */${body.length}` }).end();
    const slice = range ? body.subarray(range.start, range.end + 1) : body;
    res.writeHead(range ? 206 : 200, {
      ...common,
      "content-length": slice.length,
      ...(range ? { "content-range": `bytes ${range.start}-${range.end}/${body.length}` } : {}),
    });
    if (misbehaviour.kind === "stall") {
      await writeInPieces(res, slice.subarray(0, misbehaviour.bytes));
      stalledNow();
      await released;
      await writeInPieces(res, slice.subarray(misbehaviour.bytes));
      return void res.end();
    }
    const cutAt = misbehaviour.kind === "cut-always" || (misbehaviour.kind === "cut-once" && first) ? misbehaviour.bytes : null;
    if (cutAt !== null) {
      await writeInPieces(res, slice.subarray(0, cutAt));
      return void (await flushThenDrop(res));
    }
    await writeInPieces(res, slice);
    res.end();
  }
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  const address = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}/`,
    requests,
    serve(user, repo, file, body, misbehaviour = { kind: "none" }, etag = '"model"') {
      entries.set(`${user}/${repo}`, { file, body, etag, misbehaviour, answered: 0 });
    },
    misbehave(user, repo, misbehaviour) {
      const entry = entries.get(`${user}/${repo}`);
      if (!entry) throw new Error(`nothing served for ${user}/${repo}`);
      entry.misbehaviour = misbehaviour;
      entry.answered = 0;
    },
    stalled() {
      const current = stalledPromise;
      return current.then(() => {
        stalledPromise = new Promise<void>((resolve) => (stalledNow = resolve));
      });
    },
    release() {
      releaseNow();
    },
    async close() {
      releaseNow();
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on: the endpoint of a hub that cannot be reached. */
export async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}
