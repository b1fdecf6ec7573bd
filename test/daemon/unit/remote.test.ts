/**
 * The remote backends' pure parts and their HTTP failure handling. The failures a real
 * llama-server can't be made to produce (malformed answers, a stall, a 404 for a model) come
 * from a small local HTTP server; the real server's behaviour is in remote-backends.test.ts.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { checkRemoteTransport, parseBackendChoice, readApiKey } from "../../../daemon/src/backends.js";
import { packageRoot } from "../../../daemon/src/version.js";
import { vocabModel } from "../../helpers/vocab-models.js";
import { planCompletionPrompt } from "../../../daemon/src/prompt/completion-prompt.js";
import { ErrorCodes } from "../../../daemon/src/protocol.js";
import { requestJson, streamEvents, type RemoteServer } from "../../../daemon/src/remote/http.js";
import { estimatePieces, familyFromModelName } from "../../../daemon/src/remote/openai.js";

describe("remote backends: choosing and configuring", function () {
  // One test loads a real tokenizer.
  this.timeout(60_000);
  it("parses --backend and refuses what it can't use, with the reason", () => {
    assert.deepEqual(parseBackendChoice("local"), { kind: "local" });
    const choice = parseBackendChoice("llama-server=http://gpu-box:8080");
    assert.ok(choice.kind === "llama-server");
    assert.equal(choice.url.href, "http://gpu-box:8080/");
    assert.equal(parseBackendChoice("openai=https://host/v1base").kind, "openai");
    assert.throws(() => parseBackendChoice("ollama=http://x"), /local, llama-server=URL or openai=URL/);
    assert.throws(() => parseBackendChoice("openai=ftp://x"), /http:\/\/ or https:\/\//);
    assert.throws(() => parseBackendChoice("openai=not a url"), /needs an http/);
    assert.throws(() => parseBackendChoice("openai=https://user:secret@host"), /not in the URL/);
  });

  it("sends code and key over plain http only to this machine, unless the network is declared trusted", () => {
    for (const url of ["http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080", "https://gpu-box:8443"]) checkRemoteTransport(parseBackendChoice(`llama-server=${url}`), false);
    assert.throws(() => checkRemoteTransport(parseBackendChoice("openai=http://gpu-box:8000"), false), /unencrypted.*https:\/\/.*--insecure-http/);
    checkRemoteTransport(parseBackendChoice("openai=http://gpu-box:8000"), true);
  });

  it("reads the key from a private one-line file, else HEARTH_API_KEY", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "hearth-key-"));
    const file = path.join(dir, "key");
    writeFileSync(file, "sk-abc\n", { mode: 0o600 });
    assert.equal(readApiKey(file, {}), "sk-abc");
    chmodSync(file, 0o644);
    assert.throws(() => readApiKey(file, {}), /readable by other users.*chmod 600/);
    writeFileSync(file, "a\nb\n", { mode: 0o600 });
    chmodSync(file, 0o600);
    assert.throws(() => readApiKey(file, {}), /on one line/);
    assert.equal(readApiKey(null, { HEARTH_API_KEY: " sk-env " }), "sk-env");
    assert.equal(readApiKey(null, {}), null);
  });

  it("tells FIM families from model names, and estimates code tokens near a BPE count", () => {
    assert.equal(familyFromModelName("Qwen/Qwen2.5-Coder-7B"), "qwen");
    assert.equal(familyFromModelName("bigcode/starcoder2-15b"), "starcoder");
    assert.equal(familyFromModelName("deepseek-ai/deepseek-coder-6.7b-base"), "deepseek-coder");
    assert.equal(familyFromModelName("codellama/CodeLlama-7b-hf"), "codellama");
    assert.equal(familyFromModelName("mistralai/Codestral-22B-v0.1"), "codestral");
    assert.equal(familyFromModelName("google/codegemma-2b"), "codegemma");
    assert.equal(familyFromModelName("gpt-4o"), null);
  });

  it("estimates a code file's tokens within 0.7-1.5x of Qwen2's real tokenizer, the pieces covering the text exactly", async () => {
    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.disabled });
    try {
      const model = await llama.loadModel({ modelPath: vocabModel("qwen2"), vocabOnly: true });
      for (const file of ["daemon/src/scheduler.ts", "daemon/src/remote/http.ts", "scripts/llama-server/build.sh"]) {
        const text = readFileSync(path.join(packageRoot(), file), "utf8");
        assert.equal(estimatePieces(text).join(""), text, `${file}: pieces cover the text`);
        const ratio = estimatePieces(text).length / model.tokenize(text).length;
        assert.ok(ratio > 0.7 && ratio < 1.5, `${file}: estimate/real = ${ratio.toFixed(2)}`);
      }
      await model.dispose();
    } finally {
      await llama.dispose();
    }
  });

  it("fits a fresh prompt to the budget in real tokens when the count it fits with underestimates", async () => {
    const text = Array.from({ length: 400 }, (_, i) => `line ${i} with some words in it`).join("\n");
    const tokenize = (t: string): number[] => [...t].map((c) => c.charCodeAt(0));
    const plan = await planCompletionPrompt<number>({
      text,
      cursor: text.length,
      chunks: [],
      renderHead: (parts) => [-1, ...tokenize(parts.above), -2, ...tokenize(parts.suffix), -3],
      tokenize,
      // A third of the real count: the first fit is three times too long.
      countTokens: (t) => Math.ceil(t.length / 3),
      maxPromptTokens: 2000,
      coldLimit: Number.POSITIVE_INFINITY,
      uncached: (p) => p.length,
      held: [],
      renew: false,
    });
    assert.ok(plan.prompt.length <= 2000, `${plan.prompt.length} tokens`);
    assert.ok(plan.prompt.length > 1000, `still uses the budget: ${plan.prompt.length}`);
  });
});

describe("remote backends: a server that answers badly", () => {
  let server: Server;
  let base: string;
  let handler: (url: string, res: ServerResponse) => void = () => undefined;
  before(async () => {
    server = createServer((req, res) => handler(req.url ?? "", res));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  const remote = (over: Partial<RemoteServer> = {}): RemoteServer => ({ url: new URL(base), apiKey: "sk-secret-1", answerTimeoutMs: 400, idleTimeoutMs: 400, label: "test server", ...over });
  const codeOf = async (promise: Promise<unknown>): Promise<{ rpcCode: number; message: string; hint: string }> => {
    try {
      await promise;
    } catch (error) {
      return error as { rpcCode: number; message: string; hint: string };
    }
    assert.fail("no error");
  };

  it("maps 401, a 404 for a model, 500 and a non-JSON body to typed errors that never carry the key", async () => {
    const answers: Record<string, [number, string]> = {
      "/a": [401, '{"error":{"message":"Invalid API Key"}}'],
      "/b": [404, '{"error":{"message":"The model `x` does not exist."}}'],
      "/c": [500, "boom"],
      "/d": [200, "<html>not json</html>"],
    };
    handler = (url, res) => {
      const [status, body] = answers[url] ?? [404, "?"];
      res.statusCode = status;
      res.end(body);
    };
    const expected: Record<string, number> = { "/a": ErrorCodes.BackendUnauthorized, "/b": ErrorCodes.BackendUnknownModel, "/c": ErrorCodes.BackendBadAnswer, "/d": ErrorCodes.BackendBadAnswer };
    for (const [url, code] of Object.entries(expected)) {
      const error = await codeOf(requestJson(remote(), "GET", url));
      assert.equal(error.rpcCode, code, `${url}: ${error.message}`);
      assert.ok(error.hint.length > 20, "a hint");
      assert.ok(!`${error.message} ${error.hint}`.includes("sk-secret-1"), "no key in the error");
    }
  });

  it("times out a server that never answers, and one that stops mid-stream", async () => {
    handler = () => undefined;
    assert.equal((await codeOf(requestJson(remote(), "GET", "/stall"))).rpcCode, ErrorCodes.BackendTimeout);
    handler = (_url, res) => {
      res.setHeader("content-type", "text/event-stream");
      res.write('data: {"content":"a"}\n\n');
    };
    let events = 0;
    const error = await codeOf(streamEvents(remote(), "/stream", {}, new AbortController().signal, () => void events++));
    assert.equal(error.rpcCode, ErrorCodes.BackendTimeout);
    assert.equal(events, 1);
  });

  it("says a refused connection is unreachable, and a malformed event a bad answer", async () => {
    const closed = createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, "close");
    const refused = await codeOf(requestJson(remote({ url: new URL(`http://127.0.0.1:${port}`) }), "GET", "/props"));
    assert.equal(refused.rpcCode, ErrorCodes.BackendUnreachable);
    assert.match(refused.message, /ECONNREFUSED/);
    handler = (_url, res) => {
      res.setHeader("content-type", "text/event-stream");
      res.end("data: {not json\n\n");
    };
    assert.equal((await codeOf(streamEvents(remote(), "/stream", {}, new AbortController().signal, () => undefined))).rpcCode, ErrorCodes.BackendBadAnswer);
  });
});
