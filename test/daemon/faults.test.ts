/**
 * Faults a long day brings, each made real: a hostile HTTP server on 127.0.0.1 shaped like
 * llama.cpp's, a SIGKILL in the middle of a KV save, raw bytes into `hearth lsp --stdio`,
 * kv/ and models/ linked to folders others may write.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, watch, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from "vscode-jsonrpc/node";
import type { HearthClient } from "../../daemon/src/client/hearth-client.js";
import { processStartTime } from "../../daemon/src/discovery.js";
import { KvStore } from "../../daemon/src/engine/kv-store.js";
import { streamEvents, type RemoteServer } from "../../daemon/src/remote/http.js";
import { ErrorCodes } from "../../daemon/src/protocol.js";
import { hearthBin, runCli, startDaemon, tempHome, untilStatus, type RunningDaemon } from "../helpers/daemon-process.js";
import { testModels } from "../helpers/test-models.js";

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** A real HTTP server on 127.0.0.1 whose behaviour each test sets. */
async function hostileServer(): Promise<{ url: string; set(handler: Handler): void; closedConnections: () => number; requests: () => { url: string; slot: number | null }[]; close(): Promise<void> }> {
  let handler: Handler = (_req, res) => res.end();
  let closed = 0;
  const requests: { url: string; slot: number | null }[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      let slot: number | null = null;
      try {
        const parsed = JSON.parse(body) as { id_slot?: unknown };
        if (typeof parsed.id_slot === "number") slot = parsed.id_slot;
      } catch {
        // Not JSON (a GET): no slot.
      }
      requests.push({ url: req.url ?? "", slot });
      handler(req, res, body);
    });
    res.on("close", () => !res.writableFinished && closed++);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    set: (h) => (handler = h),
    closedConnections: () => closed,
    requests: () => requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Writes `send` every `everyMs` until the client goes or `forMs` pass, then ends the stream. */
function trickle(res: ServerResponse, send: () => string, everyMs: number, forMs: number): void {
  res.setHeader("content-type", "text/event-stream");
  const started = Date.now();
  const timer = setInterval(() => {
    if (res.destroyed) return clearInterval(timer);
    if (Date.now() - started > forMs) {
      clearInterval(timer);
      res.end('data: {"content":"","stop":true}\n\n');
      return;
    }
    res.write(send());
  }, everyMs);
  res.on("close", () => clearInterval(timer));
}

async function errorOf(promise: Promise<unknown>): Promise<{ rpcCode?: number; code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { rpcCode?: number; code?: string; message: string };
  }
  assert.fail("it did not fail");
}

const QWEN_SPECIAL: Record<string, number> = { "<|fim_prefix|>": 1, "<|fim_suffix|>": 2, "<|fim_middle|>": 3, "<|file_sep|>": 4, "<|repo_name|>": 5 };

/** llama-server's endpoints, every answer sane unless `override` changes it. */
function llamaServerShape(override: { props?: Record<string, unknown>; tokens?: (text: string) => unknown } = {}): Handler {
  return (req, res, body) => {
    res.setHeader("content-type", "application/json");
    if (req.url === "/props") {
      res.end(JSON.stringify({ model_path: "/models/qwen2.5-coder.gguf", total_slots: 2, default_generation_settings: { n_ctx: 4096 }, ...override.props }));
    } else if (req.url === "/tokenize") {
      const { content, parse_special } = JSON.parse(body) as { content: string; parse_special: boolean };
      const special = parse_special ? QWEN_SPECIAL[content] : undefined;
      const tokens = special !== undefined ? [special] : (override.tokens?.(content) ?? [...Buffer.from(content)].map((b) => 100 + b));
      res.end(JSON.stringify({ tokens }));
    } else if (req.url === "/completion") {
      const request = JSON.parse(body) as { stream?: boolean; prompt: number[] };
      if (!request.stream) {
        res.end(JSON.stringify({ content: "", timings: { prompt_n: request.prompt.length, prompt_ms: 20 } }));
      } else {
        res.setHeader("content-type", "text/event-stream");
        res.end('data: {"content":"x","stop":false}\n\ndata: {"content":"","stop":true,"stop_type":"eos"}\n\n');
      }
    } else {
      res.statusCode = 404;
      res.end("{}");
    }
  };
}

describe("faults a long day brings", function () {
  this.timeout(180_000);

  describe("a remote server's stream", () => {
    let hostile: Awaited<ReturnType<typeof hostileServer>>;
    before(async () => {
      hostile = await hostileServer();
    });
    after(() => hostile.close());
    const server = (over: Partial<RemoteServer> = {}): RemoteServer => ({ url: new URL(hostile.url), apiKey: null, answerTimeoutMs: 2000, idleTimeoutMs: 400, label: "hostile server", ...over });

    it("ends a stream that runs past its deadline (a server ignoring n_predict) with a typed error, and closes the connection", async () => {
      // A token every 10 ms for 5 s, each one within the idle timer.
      hostile.set((_req, res) => trickle(res, () => 'data: {"content":"x","stop":false}\n\n', 10, 5000));
      const before = hostile.closedConnections();
      let events = 0;
      const error = await errorOf(streamEvents(server(), "/completion", {}, new AbortController().signal, () => (events++, "progress"), { deadlineMs: 300 }));
      assert.equal(error.rpcCode, ErrorCodes.BackendTimeout, error.message);
      assert.equal(error.code, "HEARTH_ERR_BACKEND_OVERRAN");
      assert.ok(events > 0, "content arrived before the deadline");
      await untilTrue(() => hostile.closedConnections() > before, "the server to see its connection closed");
    });

    it("times out a server that sends only keep-alives: comments and empty events re-arm nothing", async () => {
      let n = 0;
      hostile.set((_req, res) => trickle(res, () => (n++ % 2 === 0 ? ": ping\n\n" : 'data: {"content":"","stop":false}\n\n'), 20, 5000));
      let seen = 0;
      const error = await errorOf(streamEvents(server(), "/completion", {}, new AbortController().signal, () => void seen++));
      assert.equal(error.rpcCode, ErrorCodes.BackendTimeout, error.message);
      assert.match(error.message, /sent nothing more within 400 ms/);
      assert.ok(seen > 0 && seen < n, `the handler saw the ${seen} empty events, never the comments (${n} keep-alives in all)`);
    });

    it("keeps a stream whose events carry content, and does not count the time Hearth spends handling them", async () => {
      hostile.set((_req, res) => trickle(res, () => 'data: {"content":"x","stop":false}\n\n', 50, 1000));
      let events = 0;
      assert.equal(await streamEvents(server(), "/completion", {}, new AbortController().signal, () => (events++, "progress")), "ended");
      assert.ok(events >= 5, `${events} events over 1 s, past the 400 ms idle timer`);
      // Three events, each handled for 500 ms (a waiting completion run at the yield point): past the deadline and the idle timer if they counted.
      hostile.set((_req, res) => {
        res.setHeader("content-type", "text/event-stream");
        res.end('data: {"content":"a"}\n\ndata: {"content":"b"}\n\ndata: {"content":"c","stop":true}\n\n');
      });
      let handled = 0;
      const slowHandler = async (): Promise<"progress"> => {
        handled++;
        await new Promise((resolve) => setTimeout(resolve, 500));
        return "progress";
      };
      assert.equal(await streamEvents(server(), "/completion", {}, new AbortController().signal, slowHandler, { deadlineMs: 300 }), "ended");
      assert.equal(handled, 3);
    });

    it("refuses a line over its bound and a stream of endless comments, with typed errors", async () => {
      hostile.set((_req, res) => {
        res.setHeader("content-type", "text/event-stream");
        const chunk = Buffer.alloc(64 * 1024, "a");
        let sent = 0;
        const more = (): void => {
          while (sent < 50 * 1024 * 1024 && !res.destroyed) {
            sent += chunk.length;
            if (!res.write(sent === chunk.length ? Buffer.concat([Buffer.from("data: "), chunk]) : chunk)) return void res.once("drain", more);
          }
          res.end();
        };
        more();
      });
      // A line with no end yet carries no event, so nothing re-arms the idle timer: give it room to read 4 MiB on a busy machine.
      const line = await errorOf(streamEvents(server({ idleTimeoutMs: 60_000 }), "/completion", {}, new AbortController().signal, () => "progress"));
      assert.equal(line.rpcCode, ErrorCodes.BackendBadAnswer);
      assert.match(line.message, /a stream line over 4194304 bytes/);
      hostile.set((_req, res) => {
        res.setHeader("content-type", "text/event-stream");
        const comments = Buffer.from(": keep-alive\n".repeat(5000));
        const more = (): void => {
          while (!res.destroyed) if (!res.write(comments)) return void res.once("drain", more);
        };
        more();
      });
      const endless = await errorOf(streamEvents(server({ idleTimeoutMs: 60_000 }), "/completion", {}, new AbortController().signal, () => "progress"));
      assert.equal(endless.rpcCode, ErrorCodes.BackendBadAnswer);
      assert.match(endless.message, /a stream over 33554432 bytes/);
    });
  });

  describe("a remote server's numbers", () => {
    const cases: { name: string; shape: Parameters<typeof llamaServerShape>[0]; field: RegExp }[] = [
      { name: "total_slots 1e9", shape: { props: { total_slots: 1e9 } }, field: /\/props total_slots = 1000000000/ },
      { name: "n_ctx 1e12", shape: { props: { default_generation_settings: { n_ctx: 1e12 } } }, field: /default_generation_settings\.n_ctx = 1000000000000/ },
      { name: "token ids past int32", shape: { tokens: (text) => [...Buffer.from(text)].map(() => 2 ** 40) }, field: /\/tokenize tokens\[0\] = 1099511627776/ },
      { name: "a million tokens for a few bytes", shape: { tokens: () => Array.from({ length: 1_000_000 }, () => 7) }, field: /\/tokenize tokens with 1000000 tokens/ },
    ];
    for (const { name, shape, field } of cases) {
      it(`reports ${name} as a typed error naming the field, and the daemon stays up`, async () => {
        const hostile = await hostileServer();
        hostile.set(llamaServerShape(shape));
        let daemon: RunningDaemon | null = null;
        try {
          daemon = await startDaemon({ model: "unused.gguf", args: ["--backend", `llama-server=${hostile.url}`, "--remote-timeout-ms", "2000"] });
          const client = await daemon.connect();
          const status = await untilStatus(client, "the probe's verdict", (s) => s.modelState.state === "failed", 15_000);
          assert.match(status.modelState.state === "failed" ? status.modelState.message : "", field);
          await client.open({ uri: "file:///workspace/a/x.ts", languageId: "typescript", version: 1, text: "const a = 1;\n" });
          const error = await errorOf(client.complete({ textDocument: { uri: "file:///workspace/a/x.ts" }, position: { line: 1, character: 0 }, context: { triggerKind: 1 } }));
          assert.match(error.message, field);
          assert.equal((await client.status()).pid, daemon.child.pid, "the daemon still answers");
          assert.equal(daemon.child.exitCode, null);
          client.dispose();
        } finally {
          await daemon?.stop();
          await hostile.close();
        }
      });
    }
  });

  describe("a remote server that misbehaves while a daemon completes through it", () => {
    /** llama-server's shape with three slots (two for workspaces), whose /completion streams as `stream` says per slot. */
    function streamingShape(stream: (res: ServerResponse, slot: number) => void): Handler {
      const sane = llamaServerShape({ props: { total_slots: 3 } });
      return (req, res, body) => {
        const request = req.url === "/completion" ? (JSON.parse(body) as { stream?: boolean; id_slot?: number }) : null;
        if (request?.stream) stream(res, request.id_slot ?? -1);
        else sane(req, res, body);
      };
    }
    const open = async (client: HearthClient, uri: string): Promise<void> => {
      await client.open({ uri, languageId: "typescript", version: 1, text: "export const a = 1;\nexport function f() {\n" });
    };
    const complete = (client: HearthClient, uri: string, maxTokens: number) =>
      client.complete({ textDocument: { uri }, position: { line: 2, character: 0 }, context: { triggerKind: 1 }, hearth: { maxTokens, mode: "block" } });

    it("holds a server that ignores n_predict to the token limit: the answer comes, the connection closes, the daemon answers others", async () => {
      const hostile = await hostileServer();
      // "x" every 5 ms for a minute, whatever n_predict said.
      hostile.set(streamingShape((res) => trickle(res, () => 'data: {"content":"x","stop":false}\n\n', 5, 60_000)));
      let daemon: RunningDaemon | null = null;
      try {
        daemon = await startDaemon({ model: "unused.gguf", args: ["--backend", `llama-server=${hostile.url}`, "--remote-timeout-ms", "5000"] });
        const client = await daemon.connect([{ uri: "file:///ws/a", name: "a" }]);
        await untilStatus(client, "connected", (s) => s.modelState.state === "ready", 15_000);
        await open(client, "file:///ws/a/x.ts");
        const closedBefore = hostile.closedConnections();
        const result = await complete(client, "file:///ws/a/x.ts", 8);
        assert.equal(result.metrics.stopReason, "maxTokens");
        assert.equal(result.metrics.generatedTokens, 8);
        assert.equal(result.items[0]?.insertText, "x".repeat(8));
        await untilTrue(() => hostile.closedConnections() > closedBefore, "the server to see its connection closed");
        assert.equal((await client.status()).pid, daemon.child.pid, "the daemon still answers");
        client.dispose();
      } finally {
        await daemon?.stop();
        await hostile.close();
      }
    });

    it("lets another workspace complete while a server sends one workspace nothing but keep-alives", async () => {
      const hostile = await hostileServer();
      // Slot 0 (the first workspace) gets comments and empty events for a minute; slot 1 a real answer.
      hostile.set(
        streamingShape((res, slot) => {
          if (slot === 0) trickle(res, () => ": keep-alive\n\ndata: {\"content\":\"\",\"stop\":false}\n\n", 20, 60_000);
          else {
            res.setHeader("content-type", "text/event-stream");
            res.end('data: {"content":"y","stop":false}\n\ndata: {"content":"","stop":true,"stop_type":"eos"}\n\n');
          }
        }),
      );
      let daemon: RunningDaemon | null = null;
      try {
        daemon = await startDaemon({ model: "unused.gguf", args: ["--backend", `llama-server=${hostile.url}`, "--remote-timeout-ms", "5000"] });
        const starved = await daemon.connect([{ uri: "file:///ws/a", name: "a" }]);
        const other = await daemon.connect([{ uri: "file:///ws/b", name: "b" }]);
        await untilStatus(starved, "connected", (s) => s.modelState.state === "ready", 15_000);
        await open(starved, "file:///ws/a/x.ts");
        await open(other, "file:///ws/b/y.ts");
        const events: string[] = [];
        const trickling = complete(starved, "file:///ws/a/x.ts", 8).then(
          () => events.push("keep-alive workspace answered"),
          (error: { data?: { code?: string } }) => events.push(`keep-alive workspace: ${error.data?.code ?? "error"}`),
        );
        // The first workspace's stream is under way (the server has its request) before the second asks.
        await untilTrue(() => hostile.requests().some((r) => r.slot === 0), "the keep-alive stream to start");
        const answered = await complete(other, "file:///ws/b/y.ts", 8);
        events.push("other workspace answered");
        await trickling;
        assert.equal(answered.items[0]?.insertText, "y");
        // The keep-alive stream can only end by the idle timer (5 s): the other answer came inside it.
        assert.deepEqual(events, ["other workspace answered", "keep-alive workspace: HEARTH_ERR_BACKEND_TIMEOUT"]);
        starved.dispose();
        other.dispose();
      } finally {
        await daemon?.stop();
        await hostile.close();
      }
    });
  });

  describe("an OpenAI-compatible server's numbers", () => {
    const cases: { name: string; id: string; promptTokens: number; field: RegExp }[] = [
      { name: "a model id of 5,000 characters", id: `qwen${"x".repeat(5000)}`, promptTokens: 500, field: /\/v1\/models data\[0\]\.id of 5004 characters/ },
      { name: "usage.prompt_tokens 1e9 for the calibration", id: "qwen2.5-coder", promptTokens: 1e9, field: /\/v1\/completions usage\.prompt_tokens = 1000000000/ },
    ];
    for (const { name, id, promptTokens, field } of cases) {
      it(`reports ${name} as a typed error naming the field`, async () => {
        const hostile = await hostileServer();
        hostile.set((req, res) => {
          res.setHeader("content-type", "application/json");
          if (req.url === "/v1/models") res.end(JSON.stringify({ data: [{ id }] }));
          else res.end(JSON.stringify({ choices: [{ text: "", finish_reason: "length" }], usage: { prompt_tokens: promptTokens, completion_tokens: 1 } }));
        });
        let daemon: RunningDaemon | null = null;
        try {
          daemon = await startDaemon({ model: "unused.gguf", args: ["--backend", `openai=${hostile.url}`, "--remote-timeout-ms", "2000"] });
          const client = await daemon.connect();
          const status = await untilStatus(client, "the probe's verdict", (s) => s.modelState.state === "failed", 15_000);
          assert.match(status.modelState.state === "failed" ? status.modelState.message : "", field);
          client.dispose();
        } finally {
          await daemon?.stop();
          await hostile.close();
        }
      });
    }
  });

  describe("saved KV states", () => {
    let model: string;
    const daemons: RunningDaemon[] = [];
    before(async () => {
      model = (await testModels()).target;
    });
    afterEach(async () => {
      for (const daemon of daemons.splice(0)) await daemon.stop({ keepHome: true });
    });
    const start = async (home: string, args: string[] = []): Promise<RunningDaemon> => {
      const daemon = await startDaemon({ model, home, args });
      daemons.push(daemon);
      return daemon;
    };
    // About 3,000 tokens: a state large enough that its write takes a moment.
    const TEXT = Array.from({ length: 120 }, (_, i) => `export function handler${i}(request: Request): Response {\n  return respond(request, ${i});\n}\n`).join("") + "export function last(request: Request): Response {\n  return respond(";
    const complete = async (client: HearthClient, uri: string, text = TEXT): Promise<void> => {
      await client.open({ uri, languageId: "typescript", version: 1, text });
      const lines = text.split("\n");
      await client.complete({ textDocument: { uri }, position: { line: lines.length - 1, character: (lines[lines.length - 1] ?? "").length }, context: { triggerKind: 1 }, hearth: { maxTokens: 4, mode: "line" } });
    };
    const temps = (dir: string): string[] => readdirSync(dir).filter((name) => name.endsWith(".tmp"));

    it("sweeps the temp file a save killed with SIGKILL left, at the next start", async () => {
      const home = tempHome();
      let caught = 0;
      let directory = "";
      // A kill lands mid-save only when the write is under way: the save is watched for and killed as its temp file appears.
      for (let attempt = 1; attempt <= 8 && caught === 0; attempt++) {
        const daemon = await start(home);
        const client = await daemon.connect([{ uri: "file:///kill/a", name: "a" }]);
        await complete(client, `file:///kill/a/doc${attempt}.ts`);
        directory = (await client.status()).kvCache?.directory ?? "";
        client.dispose();
        // The store makes its folder when it opens (a version that made it at the first save is watched the same way).
        mkdirSync(directory, { recursive: true, mode: 0o700 });
        const watcher = watch(directory, (_event, name) => {
          if (name?.toString().endsWith(".tmp")) daemon.child.kill("SIGKILL");
        });
        // SIGTERM saves every workspace's state before exiting.
        daemon.child.kill("SIGTERM");
        await daemon.exited;
        watcher.close();
        rmSync(path.join(home, "daemon.json"), { force: true });
        caught = temps(directory).length > 0 ? attempt : 0;
      }
      assert.ok(caught > 0, "a kill landed mid-save in 8 tries");
      const left = temps(directory);
      assert.match(left[0] ?? "", /\.state\.\d+-\d+\.tmp$|\.json\.\d+-\d+\.tmp$/, "the temp names its writer's pid and start time");
      const restarted = await start(home);
      const client = await restarted.connect([{ uri: "file:///kill/a", name: "a" }]);
      // The store opens with the model: a completion waits for it.
      await complete(client, "file:///kill/a/after.ts");
      assert.deepEqual(temps(directory), [], "swept at start");
      assert.match(restarted.stderr(), /removed \d+ temp file\(s\) \(\d+ bytes\).*killed mid-write/);
      client.dispose();
      rmSync(home, { recursive: true, force: true });
    });

    it("tells a live writer's temp from a dead one's, and counts live temps in the disk bound", async () => {
      const root = mkdtempSync(path.join(os.tmpdir(), "hearth-kv-"));
      const dir = path.join(root, "fingerprint");
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const exited = spawn(process.execPath, ["-e", ""]);
      await once(exited, "exit");
      const dead = path.join(dir, `doc.state.${exited.pid}-1.tmp`);
      const live = path.join(dir, `doc.state.${process.pid}-${processStartTime(process.pid) ?? "0"}.tmp`);
      const reused = path.join(dir, `doc.state.${process.pid}-1.tmp`);
      for (const file of [dead, live, reused]) writeFileSync(file, "x".repeat(1000));
      new KvStore(root, "fingerprint", () => undefined);
      assert.equal(existsSync(dead), false, "a dead writer's temp goes");
      assert.equal(existsSync(reused), false, "a pid now another process's: its temp goes");
      assert.equal(existsSync(live), true, "a live writer's temp stays");
      rmSync(root, { recursive: true, force: true });

      // The bound holds two states of this document; a live writer's temp takes half of one of them.
      const home = tempHome();
      const first = await start(home);
      const a = await first.connect([{ uri: "file:///bound/a", name: "a" }]);
      await complete(a, "file:///bound/a/x.ts");
      a.dispose();
      await first.stop({ keepHome: true });
      const fingerprintDir = path.join(home, "kv", readdirSync(path.join(home, "kv"))[0] ?? "");
      const stateA = readdirSync(fingerprintDir).find((name) => name.endsWith(".state")) ?? "";
      const stateBytes = statSync(path.join(fingerprintDir, stateA)).size;
      const bound = 1024 * 1024 * Math.ceil((stateBytes * 2.2) / (1024 * 1024));
      writeFileSync(path.join(fingerprintDir, `other.state.${process.pid}-${processStartTime(process.pid) ?? "0"}.tmp`), Buffer.alloc(bound - 2 * stateBytes + Math.ceil(stateBytes / 2)));
      const second = await start(home, ["--kv-disk-mb", String(bound / (1024 * 1024))]);
      const b = await second.connect([{ uri: "file:///bound/b", name: "b" }]);
      await complete(b, "file:///bound/b/y.ts");
      b.dispose();
      await second.stop({ keepHome: true });
      const states = readdirSync(fingerprintDir).filter((name) => name.endsWith(".state"));
      assert.equal(states.includes(stateA), false, `the older state made room for the live temp: ${states.join(", ")}`);
      assert.equal(states.length, 1);
      rmSync(home, { recursive: true, force: true });
    });
  });

  describe("folders under the home", () => {
    let model: string;
    before(async () => {
      model = (await testModels()).target;
    });

    for (const folder of ["kv", "models"] as const) {
      it(`refuses ${folder}/ linked to a folder others may write, and accepts a link to a private one`, async () => {
        const home = tempHome();
        const elsewhere = mkdtempSync(path.join(os.tmpdir(), "hearth-shared-"));
        try {
          chmodSync(elsewhere, 0o777);
          symlinkSync(elsewhere, path.join(home, folder));
          const refused = await runCli(["serve", "--home", home, "--model", model, "--idle-timeout", "0"]);
          assert.equal(refused.code, 1, refused.stderr);
          assert.match(refused.stderr, new RegExp(`${folder} links to ${elsewhere}, which is writable by group or others \\(mode 777\\).*chmod 700 ${elsewhere}.*rm ${home}/${folder}`));
          assert.equal(existsSync(path.join(home, "daemon.json")), false, "it never listened");

          chmodSync(elsewhere, 0o700);
          const daemon = await startDaemon({ model, home });
          const client = await daemon.connect();
          await client.open({ uri: "file:///workspace/a/x.ts", languageId: "typescript", version: 1, text: "const a = 1;\nconst b = " });
          await client.complete({ textDocument: { uri: "file:///workspace/a/x.ts" }, position: { line: 1, character: 10 }, context: { triggerKind: 1 }, hearth: { maxTokens: 2 } });
          client.dispose();
          await daemon.stop({ keepHome: true });
          if (folder === "kv") assert.ok(readdirSync(elsewhere).length > 0, "the saved state went where the private link points");
        } finally {
          rmSync(home, { recursive: true, force: true });
          rmSync(elsewhere, { recursive: true, force: true });
        }
      });
    }

    it("refuses a model's folder in kv/ that others may write", async () => {
      const home = tempHome();
      try {
        mkdirSync(path.join(home, "kv", "0123abcd"), { recursive: true, mode: 0o700 });
        chmodSync(path.join(home, "kv", "0123abcd"), 0o777);
        const refused = await runCli(["serve", "--home", home, "--model", model, "--idle-timeout", "0"]);
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, /kv\/0123abcd is writable by group or others \(mode 777\)/);
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    });
  });

  describe("the LSP bridge's stdin", () => {
    let model: string;
    before(async () => {
      model = (await testModels()).target;
    });

    interface Bridge {
      child: ChildProcess;
      lsp: MessageConnection;
      shown: string[];
      stderr: () => string;
    }
    const startBridge = (home: string): Bridge => {
      const child = spawn(process.execPath, [hearthBin, "lsp", "--stdio", "--home", home, "--model", model, "--threads", "1", "--idle-timeout", "0"], { stdio: ["pipe", "pipe", "pipe"] });
      let stderr = "";
      child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const lsp = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
      const shown: string[] = [];
      lsp.onNotification("window/showMessage", (p: { message: string }) => void shown.push(p.message));
      lsp.listen();
      return { child, lsp, shown, stderr: () => stderr };
    };
    const initialize = async (bridge: Bridge): Promise<void> => {
      await bridge.lsp.sendRequest("initialize", { processId: process.pid, rootUri: null, workspaceFolders: [{ uri: "file:///proj", name: "proj" }], capabilities: {} });
      await bridge.lsp.sendNotification("initialized", {});
    };
    const SMALL = "export function sum(values: number[]): number {\n  let total = 0;\n  for (const value of values) total += value;\n  return \n}\n";
    const at = { line: 3, character: 9 };
    const stop = async (bridge: Bridge, home: string): Promise<void> => {
      bridge.child.kill();
      await runCli(["stop", "--home", home]);
      rmSync(home, { recursive: true, force: true });
    };

    it("answers -32002 to a request before initialize, and the workspace is the one initialize names", async () => {
      const home = tempHome();
      const bridge = startBridge(home);
      try {
        const early = await errorOf(bridge.lsp.sendRequest("textDocument/inlineCompletion", { textDocument: { uri: "file:///proj/a.ts" }, position: at, context: { triggerKind: 1 } }));
        assert.equal((early as { code?: unknown }).code, -32002, early.message);
        const status = await errorOf(bridge.lsp.sendRequest("workspace/executeCommand", { command: "hearth.status" }));
        assert.equal((status as { code?: unknown }).code, -32002);
        await initialize(bridge);
        const markdown = await bridge.lsp.sendRequest<string>("workspace/executeCommand", { command: "hearth.status" });
        assert.match(markdown, /Workspace file:\/\/\/proj:/);
        assert.doesNotMatch(markdown, /no-folder/);
        await bridge.lsp.sendNotification("textDocument/didOpen", { textDocument: { uri: "file:///proj/a.ts", languageId: "typescript", version: 1, text: SMALL } });
        const list = await bridge.lsp.sendRequest<{ items: unknown[] }>("textDocument/inlineCompletion", { textDocument: { uri: "file:///proj/a.ts" }, position: at, context: { triggerKind: 1 } });
        assert.ok(list.items.length > 0);
      } finally {
        await stop(bridge, home);
      }
    });

    it("skips a message whose Content-Length claims 2 GB as it arrives, memory flat, and tells the editor", async () => {
      const home = tempHome();
      const bridge = startBridge(home);
      try {
        await initialize(bridge);
        const rss = (): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${bridge.child.pid}/status`, "utf8"))?.[1] ?? "0") * 1024;
        const before = rss();
        const stdin = bridge.child.stdin!;
        const write = (data: string | Buffer): Promise<void> => new Promise((resolve, reject) => stdin.write(data, (error) => (error ? reject(error) : resolve())));
        await write('Content-Length: 2147483648\r\n\r\n{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///proj/huge.log","languageId":"log","version":1,"text":"');
        const chunk = Buffer.alloc(1024 * 1024, "x");
        for (let sent = 0; sent < 150; sent++) await write(chunk);
        await untilTrue(() => bridge.shown.some((m) => /2147483648 bytes.*huge\.log/.test(m)), "the editor to be told");
        const grown = rss() - before;
        assert.ok(grown < 64 * 1024 * 1024, `the bridge grew ${Math.round(grown / 1024 / 1024)} MB on 150 MB sent`);
        assert.match(bridge.stderr(), /skipped a message of 2147483648 bytes/);
      } finally {
        await stop(bridge, home);
      }
    });

    it("keeps a 40 MB document out of the daemon and skips a 70 MB message: requests about them get a typed error, the others keep working, across a reconnect", async () => {
      const home = tempHome();
      const bridge = startBridge(home);
      try {
        await initialize(bridge);
        const big = "// log line\n".repeat(40 * 1024 * 1024 / 12);
        await bridge.lsp.sendNotification("textDocument/didOpen", { textDocument: { uri: "file:///proj/big.ts", languageId: "typescript", version: 1, text: big } });
        await bridge.lsp.sendNotification("textDocument/didOpen", { textDocument: { uri: "file:///proj/a.ts", languageId: "typescript", version: 1, text: SMALL } });
        const completeSmall = (): Promise<{ items: unknown[] }> => bridge.lsp.sendRequest("textDocument/inlineCompletion", { textDocument: { uri: "file:///proj/a.ts" }, position: at, context: { triggerKind: 1 } });
        for (let i = 0; i < 3; i++) assert.ok((await completeSmall()).items.length > 0, `small document, request ${i + 1}`);
        const refused = await errorOf(bridge.lsp.sendRequest("textDocument/inlineCompletion", { textDocument: { uri: "file:///proj/big.ts" }, position: { line: 0, character: 0 }, context: { triggerKind: 1 } }));
        assert.equal((refused as { code?: unknown }).code, ErrorCodes.DocumentTooLarge, refused.message);
        assert.match(refused.message, /big\.ts is \d+ characters, over the 4194304 Hearth keeps/);
        // The daemon restarts: the bridge reconnects and opens only what the daemon can take.
        await runCli(["stop", "--home", home]);
        for (let i = 0; i < 3; i++) assert.ok((await completeSmall()).items.length > 0, `after the reconnect, request ${i + 1}`);
        // A whole message over the bridge's own limit (70 MB) is skipped as it arrives; the next ones are read as usual.
        await bridge.lsp.sendNotification("textDocument/didOpen", { textDocument: { uri: "file:///proj/huge.ts", languageId: "typescript", version: 1, text: "x".repeat(70 * 1024 * 1024) } });
        assert.ok((await completeSmall()).items.length > 0, "after a skipped message");
        assert.ok(bridge.shown.some((m) => /skipped a message of \d+ bytes \(textDocument\/didOpen for file:\/\/\/proj\/huge\.ts\)/.test(m)), bridge.shown.join("\n"));
        const skipped = await errorOf(bridge.lsp.sendRequest("textDocument/inlineCompletion", { textDocument: { uri: "file:///proj/huge.ts" }, position: { line: 0, character: 0 }, context: { triggerKind: 1 } }));
        assert.equal((skipped as { code?: unknown }).code, ErrorCodes.DocumentTooLarge, skipped.message);
      } finally {
        await stop(bridge, home);
      }
    });
  });
});

async function untilTrue(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
