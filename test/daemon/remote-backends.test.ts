/**
 * Hearth driving llama.cpp's server: a real llama-server (built from the bundled llama.cpp
 * source) on the generated tiny model, a real daemon started with --backend, real WebSocket
 * clients typing as editors do. Both adapters: llama-server (/completion with Hearth's FIM
 * prompt as token ids, a slot per workspace) and openai (/v1/completions with the prompt as
 * text, the shape vLLM serves). The server's own counts (timings.prompt_n) are the figures.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { readFileSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { CancellationTokenSource } from "vscode-jsonrpc";
import type { HearthClient } from "../../daemon/src/client/hearth-client.js";
import { ErrorCodes, type RequestMetrics } from "../../daemon/src/protocol.js";
import { startDaemon, tempHome, untilStatus, type RunningDaemon } from "../helpers/daemon-process.js";
import { Editor } from "../helpers/editor.js";
import { startLlamaServer, type RunningLlamaServer } from "../helpers/llama-server.js";
import { testModels } from "../helpers/test-models.js";

/** The issue's bar: typing within a line costs at most this many prompt tokens by the server's count. */
const MAX_KEYSTROKE_TOKENS = 16;

function codeFile(name: string, lines: number): string {
  const out: string[] = [];
  for (let i = 0; out.length < lines; i++) {
    if (out.length === Math.floor(lines / 2)) out.push(`export function ${name}Total(input: number[]): number {`, "  ", "}");
    out.push(`export const ${name}${i} = { label: "${name}-${i}", weight: ${(i * 37) % 101}, enabled: ${i % 3 === 0} };`);
  }
  return `${out.join("\n")}\n`;
}

function cursorIn(text: string, name: string): number {
  return text.indexOf(`${name}Total(input: number[]): number {\n  `) + `${name}Total(input: number[]): number {\n  `.length;
}

async function errorOf(promise: Promise<unknown>): Promise<{ code: number; message: string; data?: { code?: string; hint?: string } }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: number; message: string };
  }
  assert.fail("the request succeeded");
}

/** Waits for the server to be connected, then completes a short file through it. */
async function completesOnce(client: HearthClient, what: string): Promise<void> {
  await untilStatus(client, what, (s) => s.modelState.state === "ready");
  const uri = "file:///workspace/a/short.ts";
  await client.open({ uri, languageId: "typescript", version: 1, text: "export const a = 1;\nexport const b = " });
  const result = await client.complete({ textDocument: { uri }, position: { line: 1, character: 17 }, context: { triggerKind: 2 }, hearth: { maxTokens: 4 } });
  assert.ok(result.metrics.promptTokens > 0, `${what}: a prompt reached the server`);
}

function remoteDaemon(backend: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RunningDaemon> {
  return startDaemon({ model: "unused.gguf", args: ["--backend", backend, "--remote-timeout-ms", "5000", ...args], env });
}

describe("remote engines: llama.cpp's server", function () {
  this.timeout(180_000);
  let model: string;
  let server: RunningLlamaServer;
  before(async () => {
    model = (await testModels()).target;
    // Three slots: two workspaces and one for explanations.
    server = await startLlamaServer({ model, slots: 3, ctxPerSlot: 4096, metrics: true });
  });
  after(async () => {
    await server?.stop();
  });

  it(`llama-server: two windows typing in turn cost at most ${MAX_KEYSTROKE_TOKENS} prompt tokens a keystroke by the server's count, on a slot each`, async () => {
    const daemon = await remoteDaemon(`llama-server=${server.url}`);
    try {
      const windows: { client: HearthClient; editor: Editor }[] = [];
      for (const name of ["alpha", "beta"]) {
        const client = await daemon.connect([{ uri: `file:///work/${name}`, name }]);
        const text = codeFile(name, 150);
        windows.push({ client, editor: await Editor.open(client, `file:///work/${name}/${name}.ts`, text, cursorIn(text, name)) });
      }
      const first = await Promise.all(windows.map(async (w) => (await w.editor.complete()).metrics));
      for (const m of first) assert.ok(m.promptTokens > 400, `a real prompt: ${m.promptTokens} tokens`);
      const later: RequestMetrics[] = [];
      let streamed = 0;
      for (const key of ["let", " s", "um", " =", " 0", ";"]) {
        for (const w of windows) {
          await w.editor.type(key);
          const result = await w.editor.complete(8, { onDelta: () => streamed++ });
          later.push(result.metrics);
        }
      }
      const evaluated = later.map((m) => m.evaluatedTokens);
      assert.ok(Math.max(...evaluated) <= MAX_KEYSTROKE_TOKENS, `evaluated per keystroke: ${evaluated.join(", ")}`);
      assert.ok(later.every((m) => m.promptLayout === "held" && m.promptTokens > 400), later.map((m) => `${m.promptLayout}/${m.promptTokens}`).join(", "));
      assert.ok(streamed > 0, "partial results streamed");
      const status = await windows[0]!.client.status();
      assert.equal(status.backend.kind, "llama-server");
      assert.equal(status.backend.slots, 3);
      assert.equal(status.device.kind, "remote");
      assert.equal(status.model.fimTemplate, "qwen");
      const cache = status.backend.serverCache;
      assert.ok(cache && cache.cachedPromptTokens > 2 * cache.evaluatedPromptTokens, `the server's /metrics: mostly cached prompt tokens: ${JSON.stringify(cache)}`);
      for (const w of windows) w.client.dispose();
    } finally {
      await daemon.stop();
    }
  });

  it("llama-server: the first completion into a big file is cut to the prefill budget, from the prompt speed measured at connect", async () => {
    // A 1 ms budget means the smallest cold prompt (512 tokens); with no speed known, the first
    // request would take the whole context (every keystroke on a slow server cancels it first,
    // so no finished request would ever teach the speed).
    const daemon = await remoteDaemon(`llama-server=${server.url}`, ["--max-prefill-ms", "1"]);
    try {
      const client = await daemon.connect([{ uri: "file:///work/big", name: "big" }]);
      await untilStatus(client, "the server's facts", (s) => s.modelState.state === "ready");
      const text = codeFile("big", 3000);
      const editor = await Editor.open(client, "file:///work/big/big.ts", text, cursorIn(text, "big"));
      const { metrics } = await editor.complete(4);
      assert.ok(metrics.evaluatedTokens <= 512 + 16, `evaluated ${metrics.evaluatedTokens} of ${metrics.promptTokens} by the server's count`);
      assert.ok(metrics.promptTokens >= 400, `still a real prompt: ${metrics.promptTokens}`);
      client.dispose();
    } finally {
      await daemon.stop();
    }
  });

  it("llama-server: a cancelled explanation stops the server's generation and its slot goes idle", async () => {
    const daemon = await remoteDaemon(`llama-server=${server.url}`);
    try {
      const client = await daemon.connect([{ uri: "file:///work/cancel", name: "cancel" }]);
      const text = codeFile("gamma", 60);
      await client.open({ uri: "file:///work/cancel/g.ts", languageId: "typescript", version: 1, text });
      const cancel = new CancellationTokenSource();
      const logBefore = server.log().length;
      const explained = client.explain(
        { textDocument: { uri: "file:///work/cancel/g.ts" }, range: { start: { line: 0, character: 0 }, end: { line: 20, character: 0 } }, maxTokens: 2000 },
        { onDelta: () => cancel.cancel(), cancel },
      );
      const error = await errorOf(explained);
      assert.equal(error.code, ErrorCodes.RequestCancelled, error.message);
      // The server logs the cancel when it sees the connection close, then releases the slot.
      await server.untilLog(/cancel task/, logBefore);
      await server.untilLog(/stop processing/, logBefore);
      const stopped = /stop processing: n_tokens = (\d+)/.exec(server.log().slice(logBefore));
      assert.ok((await server.slots()).every((s) => !s.is_processing), "every slot idle");
      if (stopped) assert.ok(Number(stopped[1]) < 2000, `the slot held ${stopped[1]} tokens when it stopped`);
      client.dispose();
    } finally {
      await daemon.stop();
    }
  });

  it("llama-server: a wrong key is a typed error with a hint, the right one works, and the key is nowhere but the header", async () => {
    const key = `sk-hearth-test-${Math.random().toString(36).slice(2)}`;
    const guarded = await startLlamaServer({ model, slots: 1, ctxPerSlot: 2048, apiKey: key });
    const home = tempHome();
    const keyFile = path.join(home, "..", `${path.basename(home)}-key`);
    writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
    try {
      const wrong = await remoteDaemon(`llama-server=${guarded.url}`, [], { HEARTH_API_KEY: "sk-wrong" });
      try {
        const client = await wrong.connect();
        const status = await untilStatus(client, "the key refused", (s) => s.modelState.state === "failed");
        assert.match(status.backend.lastError ?? "", /refused the API key \(HTTP 401/);
        await client.open({ uri: "file:///workspace/a/k.ts", languageId: "typescript", version: 1, text: "const a = 1;\n" });
        const error = await errorOf(client.complete({ textDocument: { uri: "file:///workspace/a/k.ts" }, position: { line: 1, character: 0 }, context: { triggerKind: 2 } }));
        assert.equal(error.code, ErrorCodes.BackendUnauthorized, error.message);
        assert.match(error.data?.hint ?? "", /--api-key-file/);
        client.dispose();
      } finally {
        await wrong.stop();
      }
      const right = await startDaemon({ model: "unused.gguf", home, args: ["--backend", `llama-server=${guarded.url}`, "--api-key-file", keyFile] });
      try {
        const client = await right.connect();
        await completesOnce(client, "connected with the key");
        const status = JSON.stringify(await client.status());
        assert.ok(!status.includes(key), "the key is not in hearth/status");
        client.dispose();
        assert.ok(!readFileSync(path.join(home, "daemon.json"), "utf8").includes(key), "the key is not in daemon.json");
        assert.ok(!right.stderr().includes(key), "the key is not in the daemon's log");
      } finally {
        await right.stop();
      }
    } finally {
      await guarded.stop();
    }
  });

  it("llama-server: killed mid-session, completions fail with a typed error, then resume when it is back", async () => {
    const own = await startLlamaServer({ model, slots: 2, ctxPerSlot: 2048 });
    const daemon = await remoteDaemon(`llama-server=${own.url}`);
    let restarted: RunningLlamaServer | null = null;
    try {
      const client = await daemon.connect();
      const text = codeFile("delta", 40);
      const editor = await Editor.open(client, "file:///workspace/a/d.ts", text, cursorIn(text, "delta"));
      assert.ok((await editor.complete()).metrics.promptTokens > 0);
      await own.stop();
      const error = await errorOf(editor.complete());
      assert.equal(error.code, ErrorCodes.BackendUnreachable, error.message);
      assert.match(error.data?.hint ?? "", /retries with backoff/);
      const down = await untilStatus(client, "the server marked unreachable", (s) => s.modelState.state === "failed" && !s.backend.reachable);
      assert.match(down.backend.lastError ?? "", /ECONNREFUSED/);
      restarted = await startLlamaServer({ model, slots: 2, ctxPerSlot: 2048, port: own.port });
      await untilStatus(client, "the server back", (s) => s.modelState.state === "ready");
      await editor.type("re");
      const again = await editor.complete();
      assert.ok(again.metrics.promptTokens > 0 && again.metrics.evaluatedTokens > 0, "the restarted server evaluated the prompt anew");
      client.dispose();
      assert.ok((await daemon.stop()) === 0, "the daemon stayed up and stopped cleanly");
    } finally {
      await daemon.stop();
      await restarted?.stop();
      await own.stop();
    }
  });

  it("https: a server whose certificate is trusted (NODE_EXTRA_CA_CERTS) completes; an untrusted one is a typed TLS error", async () => {
    // A TLS front for the real server, with a self-signed certificate for 127.0.0.1.
    const dir = tempHome("hearth-tls-");
    const key = path.join(dir, "key.pem");
    const cert = path.join(dir, "cert.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert], { stdio: "ignore" });
    const upstream = new URL(server.url);
    const front = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
      const forward = httpRequest({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      res.on("close", () => forward.destroy());
      req.pipe(forward);
    });
    front.listen(0, "127.0.0.1");
    await once(front, "listening");
    const url = `https://127.0.0.1:${(front.address() as AddressInfo).port}`;
    try {
      const trusted = await remoteDaemon(`llama-server=${url}`, [], { NODE_EXTRA_CA_CERTS: cert });
      try {
        const client = await trusted.connect();
        await completesOnce(client, "connected over https");
        client.dispose();
      } finally {
        await trusted.stop();
      }
      const untrusted = await remoteDaemon(`llama-server=${url}`);
      try {
        const client = await untrusted.connect();
        const status = await untilStatus(client, "the certificate refused", (s) => s.modelState.state === "failed");
        assert.match(status.backend.lastError ?? "", /TLS certificate is not trusted.*NODE_EXTRA_CA_CERTS/);
        client.dispose();
      } finally {
        await untrusted.stop();
      }
    } finally {
      front.closeAllConnections();
      front.close();
    }
  });

  it("openai: /v1/completions streams Hearth's FIM prompt as text; the server's prefix cache keeps keystrokes cheap; cancel and an unknown model are typed", async () => {
    const daemon = await remoteDaemon(`openai=${server.url}`, ["--fim-template", "qwen", "--ctx", "4096"]);
    try {
      const client = await daemon.connect([{ uri: "file:///work/oa", name: "oa" }]);
      const text = codeFile("omega", 120);
      const editor = await Editor.open(client, "file:///work/oa/o.ts", text, cursorIn(text, "omega"));
      const first = await editor.complete();
      assert.ok(first.metrics.promptTokens > 400, `prompt ${first.metrics.promptTokens}`);
      const later: RequestMetrics[] = [];
      let streamed = 0;
      for (const key of ["co", "ns", "t ", "x"]) {
        await editor.type(key);
        later.push((await editor.complete(8, { onDelta: () => streamed++ })).metrics);
      }
      assert.ok(Math.max(...later.map((m) => m.evaluatedTokens)) <= MAX_KEYSTROKE_TOKENS, `evaluated per keystroke: ${[first.metrics, ...later].map((m) => `${m.evaluatedTokens}/${m.promptTokens} ${m.promptLayout}`).join(", ")}`);
      assert.ok(streamed > 0, "partial results streamed");
      const status = await client.status();
      assert.equal(status.backend.kind, "openai");
      assert.equal(status.backend.slots, null);
      // Precision belongs to the server.
      const refused = await errorOf(client.precisionList());
      assert.equal(refused.code, ErrorCodes.NotSupportedByBackend);
      // Cancel mid-stream: the request ends as cancelled and the server stops.
      const cancel = new CancellationTokenSource();
      const logBefore = server.log().length;
      const explained = client.explain({ textDocument: { uri: "file:///work/oa/o.ts" }, range: { start: { line: 0, character: 0 }, end: { line: 10, character: 0 } }, maxTokens: 2000 }, { onDelta: () => cancel.cancel(), cancel });
      // The request ends as cancelled, unless the generated model's answer (often a dozen
      // tokens) was whole before the cancel arrived; either way the server is left with nothing
      // running. The llama-server test above checks the cancel itself on a longer answer.
      await explained.then(
        (answer) => assert.ok(answer.metrics.generatedTokens < 2000, "answered before the cancel arrived, within its limit"),
        (error: { code?: number }) => assert.equal(error.code, ErrorCodes.RequestCancelled),
      );
      await server.untilLog(/stop processing/, logBefore);
      assert.ok((await server.slots()).every((s) => !s.is_processing), "every slot idle");
      client.dispose();
    } finally {
      await daemon.stop();
    }
    const unknown = await remoteDaemon(`openai=${server.url}`, ["--remote-model", "no-such-model", "--fim-template", "qwen"]);
    try {
      const client = await unknown.connect();
      const status = await untilStatus(client, "the unknown model reported", (s) => s.modelState.state === "failed");
      assert.match(status.modelState.state === "failed" ? status.modelState.message : "", /does not serve no-such-model/);
      client.dispose();
    } finally {
      await unknown.stop();
    }
  });
});
