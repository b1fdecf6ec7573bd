/**
 * The daemon's front door and its refusal of bad input, against a real daemon process over
 * real sockets: each bad message gets a JSON-RPC error and the daemon keeps serving.
 */
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import http from "node:http";
import WebSocket from "ws";
import { discoveryPath } from "../../daemon/src/discovery.js";
import { ErrorCodes, Limits } from "../../daemon/src/protocol.js";
import { startDaemon, type RunningDaemon } from "../helpers/daemon-process.js";
import { testModels } from "../helpers/test-models.js";

function upgradeStatus(port: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/`, { headers });
    socket.once("open", () => {
      socket.close();
      resolve(101);
    });
    socket.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
    socket.once("error", reject);
  });
}

/** A raw socket: sends frames as given and collects the parsed replies. */
async function rawSocket(daemon: RunningDaemon): Promise<{ send: (frame: string) => void; next: () => Promise<Record<string, unknown>>; close: () => void }> {
  const socket = new WebSocket(`ws://127.0.0.1:${daemon.info.port}/`, { headers: { Authorization: `Bearer ${daemon.info.token}` } });
  await new Promise((resolve, reject) => (socket.once("open", resolve), socket.once("error", reject)));
  const queue: Record<string, unknown>[] = [];
  const waiters: ((m: Record<string, unknown>) => void)[] = [];
  socket.on("message", (data) => {
    const message = JSON.parse(String(data)) as Record<string, unknown>;
    // Notifications (model progress) may arrive at any time; the tests read responses.
    if (typeof message.method === "string") return;
    const waiter = waiters.shift();
    if (waiter) waiter(message);
    else queue.push(message);
  });
  return {
    send: (frame) => socket.send(frame),
    next: () => {
      const queued = queue.shift();
      return queued ? Promise.resolve(queued) : new Promise((resolve) => waiters.push(resolve));
    },
    close: () => socket.close(),
  };
}

describe("daemon server", function () {
  this.timeout(60_000);
  let daemon: RunningDaemon;

  before(async () => {
    daemon = await startDaemon({ model: (await testModels()).target });
  });
  after(async () => {
    assert.equal(await daemon.stop(), 0, daemon.stderr());
  });

  it("writes daemon.json with port, pid, token and version, readable by the user alone", () => {
    assert.equal(statSync(discoveryPath(daemon.home)).mode & 0o777, 0o600);
    assert.equal(daemon.info.pid, daemon.child.pid);
    assert.ok(daemon.info.token.length >= 32);
    assert.match(daemon.info.version, /^\d+\.\d+\.\d+/);
  });

  it("answers 401 without the token or with a wrong one", async () => {
    assert.equal(await upgradeStatus(daemon.info.port, {}), 401);
    assert.equal(await upgradeStatus(daemon.info.port, { Authorization: "Bearer wrong" }), 401);
  });

  it("answers 403 to a browser origin even with the token", async () => {
    assert.equal(await upgradeStatus(daemon.info.port, { Authorization: `Bearer ${daemon.info.token}`, Origin: "https://evil.example" }), 403);
  });

  it("accepts the token and no origin", async () => {
    assert.equal(await upgradeStatus(daemon.info.port, { Authorization: `Bearer ${daemon.info.token}` }), 101);
  });

  it("listens on loopback only and answers plain HTTP with 426", async () => {
    const status = await new Promise<number>((resolve, reject) => http.get(`http://127.0.0.1:${daemon.info.port}/`, (res) => resolve(res.statusCode ?? 0)).on("error", reject));
    assert.equal(status, 426);
    assert.match(daemon.stderr(), /listening on ws:\/\/127\.0\.0\.1:/);
  });

  it("answers malformed JSON, unknown methods, bad params and oversized messages with JSON-RPC errors, and stays up", async () => {
    const raw = await rawSocket(daemon);
    raw.send("{not json");
    const parse = await raw.next();
    assert.equal((parse.error as { code: number }).code, ErrorCodes.ParseError);
    assert.equal(parse.id, null);

    raw.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { processId: null, capabilities: {}, workspaceFolders: [{ uri: "file:///w", name: "w" }] } }));
    assert.ok((await raw.next()).result);

    raw.send(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "hearth/noSuchMethod", params: {} }));
    const unknown = await raw.next();
    assert.equal(unknown.id, 2);
    assert.equal((unknown.error as { code: number }).code, ErrorCodes.MethodNotFound);

    raw.send(JSON.stringify({ jsonrpc: "2.0", id: 3, method: "textDocument/inlineCompletion", params: { textDocument: { uri: 42 }, position: { line: -1, character: 0 } } }));
    const bad = await raw.next();
    assert.equal(bad.id, 3);
    const badError = bad.error as { code: number; message: string; data: { code: string; hint: string } };
    assert.equal(badError.code, ErrorCodes.InvalidParams);
    assert.match(badError.message, /params\.textDocument\.uri/);
    assert.equal(badError.data.code, "HEARTH_ERR_INVALID_PARAMS");

    raw.send(JSON.stringify({ jsonrpc: "2.0", id: 4, method: "textDocument/inlineCompletion", params: { textDocument: { uri: "file:///w/never-opened.ts" }, position: { line: 0, character: 0 }, context: { triggerKind: 1 } } }));
    const notOpen = await raw.next();
    assert.equal((notOpen.error as { code: number }).code, ErrorCodes.DocumentNotOpen);

    raw.send(JSON.stringify({ jsonrpc: "2.0", id: 5, method: "textDocument/didOpen", params: { textDocument: { uri: "file:///w/big.ts", languageId: "typescript", version: 1, text: "x".repeat(Limits.maxMessageBytes + 10) } } }));
    const big = await raw.next();
    assert.equal(big.id, 5);
    assert.equal((big.error as { code: number; data: { code: string } }).data.code, "HEARTH_ERR_MESSAGE_TOO_LARGE");

    raw.send(JSON.stringify([1, 2, 3]));
    assert.equal(((await raw.next()).error as { code: number }).code, ErrorCodes.InvalidRequest);

    raw.send(JSON.stringify({ jsonrpc: "2.0", id: 6, method: "hearth/status" }));
    const status = await raw.next();
    assert.equal(status.id, 6);
    assert.equal((status.result as { pid: number }).pid, daemon.info.pid);
    raw.close();
    assert.equal(daemon.child.exitCode, null);
  });

  it("refuses requests before initialize", async () => {
    const raw = await rawSocket(daemon);
    raw.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "hearth/explain", params: {} }));
    assert.equal(((await raw.next()).error as { code: number }).code, ErrorCodes.ServerNotInitialized);
    raw.close();
  });
});
