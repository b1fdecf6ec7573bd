/**
 * The daemon's front door and its refusal of bad input, against a real daemon process over
 * real sockets: each bad message gets a JSON-RPC error and the daemon keeps serving.
 */
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import http from "node:http";
import WebSocket from "ws";
import { openSocket } from "../../daemon/src/client/connect.js";
import { discoveryPath } from "../../daemon/src/discovery.js";
import { CLIENT_NONCE_HEADER, clientProofFrame, newNonce, SERVER_NONCE_HEADER, SERVER_PROOF_HEADER, serverProof, UNAUTHORIZED_CLOSE_CODE } from "../../daemon/src/handshake.js";
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

/** Runs the handshake by hand: what the daemon proves in the upgrade, then the first frame we send; resolves with the close code. */
function handshakeByHand(port: number, token: string, firstFrame: (clientNonce: string, serverNonce: string) => string): Promise<{ proven: boolean; closeCode: number }> {
  return new Promise((resolve, reject) => {
    const clientNonce = newNonce();
    const socket = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: { [CLIENT_NONCE_HEADER]: clientNonce } });
    let proven = false;
    let serverNonce = "";
    socket.once("upgrade", (res) => {
      serverNonce = String(res.headers[SERVER_NONCE_HEADER]);
      proven = res.headers[SERVER_PROOF_HEADER] === serverProof(token, clientNonce, serverNonce);
    });
    socket.once("open", () => socket.send(firstFrame(clientNonce, serverNonce)));
    socket.once("close", (code) => resolve({ proven, closeCode: code }));
    socket.once("error", reject);
  });
}

/** A raw socket after the handshake: sends frames as given and collects the parsed replies. */
async function rawSocket(daemon: RunningDaemon): Promise<{ send: (frame: string) => void; next: () => Promise<Record<string, unknown>>; close: () => void }> {
  const socket = await openSocket(daemon.info);
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

  it("answers 401 to an upgrade without a handshake nonce, even with the token as a bearer header", async () => {
    assert.equal(await upgradeStatus(daemon.info.port, {}), 401);
    assert.equal(await upgradeStatus(daemon.info.port, { Authorization: `Bearer ${daemon.info.token}` }), 401);
    assert.equal(await upgradeStatus(daemon.info.port, { [CLIENT_NONCE_HEADER]: "short" }), 401);
  });

  it("answers 403 to a browser origin", async () => {
    assert.equal(await upgradeStatus(daemon.info.port, { [CLIENT_NONCE_HEADER]: newNonce(), Origin: "https://evil.example" }), 403);
  });

  it("proves the token over the client's nonce, and serves only a client that proves it back", async () => {
    const { token, port } = daemon.info;
    const wrong = await handshakeByHand(port, token, (cn, sn) => clientProofFrame("not-the-token", cn, sn));
    assert.equal(wrong.proven, true, "the daemon's proof checks out");
    assert.equal(wrong.closeCode, UNAUTHORIZED_CLOSE_CODE, "a wrong client proof closes the socket");
    // JSON-RPC before the proof is refused the same way: nothing runs on an unproven socket.
    const early = await handshakeByHand(port, token, () => JSON.stringify({ jsonrpc: "2.0", id: 1, method: "hearth/status" }));
    assert.equal(early.closeCode, UNAUTHORIZED_CLOSE_CODE);
    assert.match(daemon.stderr(), /refused a connection: a wrong proof of the token/);
    const raw = await rawSocket(daemon);
    raw.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "hearth/status" }));
    assert.equal(((await raw.next()).result as { pid: number }).pid, daemon.info.pid, "a client that proved the token is served");
    raw.close();
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
