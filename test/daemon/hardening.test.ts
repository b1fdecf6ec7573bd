/**
 * Faults as they happen to users, made real: a stale daemon.json whose port another
 * program now holds, a home others can write to, a damaged lock after kill -9. Real
 * processes, real sockets, real files.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { chmodSync, closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import http, { type IncomingHttpHeaders } from "node:http";
import os from "node:os";
import path from "node:path";
import { CancellationTokenSource, type ResponseError } from "vscode-jsonrpc/node";
import { WebSocketServer } from "ws";
import { readDiscovery, writeDiscovery } from "../../daemon/src/discovery.js";
import { openSocket } from "../../daemon/src/client/connect.js";
import { documentCacheKey } from "../../daemon/src/engine/sequence-pool.js";
import { ErrorCodes, Limits, type StatusResult } from "../../daemon/src/protocol.js";
import { runCli, startDaemon, tempHome, untilStatus, type RunningDaemon } from "../helpers/daemon-process.js";
import { testModels } from "../helpers/test-models.js";


/** A pid that belonged to a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await once(child, "exit");
  return child.pid ?? 999_999;
}

/** A plain WebSocket server that accepts any upgrade and records everything it is sent. */
async function impostor(): Promise<{ port: number; upgrades: IncomingHttpHeaders[]; frames: string[]; close: () => Promise<void> }> {
  const upgrades: IncomingHttpHeaders[] = [];
  const frames: string[] = [];
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  server.on("connection", (socket, request) => {
    upgrades.push(request.headers);
    socket.on("message", (data) => frames.push(String(data)));
  });
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return { port: address.port, upgrades, frames, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe("hardening", function () {
  this.timeout(120_000);
  let model: string;
  let work: string;
  let file: string;
  before(async () => {
    model = (await testModels()).target;
    work = mkdtempSync(path.join(os.tmpdir(), "hearth-hardening-"));
    file = path.join(work, "secret.ts");
    writeFileSync(file, "const apiKey = 'sk-do-not-leak-0123456789';\nexport function total(values: number[]): number {\n  \n}\n");
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  describe("a stale port held by another program", () => {
    it("gets neither the token nor a document: the client treats it as no daemon and starts its own", async () => {
      const home = tempHome();
      const fake = await impostor();
      const token = "the-daemons-secret-token-that-must-not-leak";
      try {
        writeDiscovery(home, { port: fake.port, pid: await deadPid(), token, version: "0.1.0" });
        const refused = await runCli(["status", "--home", home, "--no-spawn"]);
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, /no Hearth daemon runs .*did not prove it holds the daemon's token/);

        const completed = await runCli(["complete", `${file}:3:3`, "--home", home, "--model", model, "--max-tokens", "4", "--json"]);
        assert.equal(completed.code, 0, completed.stderr);
        const started = readDiscovery(home);
        assert.ok(started && started.port !== fake.port && started.token !== token, "a real daemon took over with its own port and token");

        assert.equal(fake.upgrades.length, 2, "the impostor saw the two upgrade requests");
        for (const headers of fake.upgrades) {
          assert.equal(headers.authorization, undefined);
          assert.ok(!JSON.stringify(headers).includes(token), "no header carries the token");
        }
        assert.deepEqual(fake.frames, [], "not one frame: no proof, no initialize, no document");
      } finally {
        await runCli(["stop", "--home", home]);
        await fake.close();
        rmSync(home, { recursive: true, force: true });
      }
    });
  });

  describe("a private home", () => {
    it("refuses a home that group or others can write to, daemon and client alike", async () => {
      const home = tempHome();
      try {
        chmodSync(home, 0o777);
        for (const args of [["serve", "--home", home, "--model", model], ["status", "--home", home]]) {
          const refused = await runCli(args);
          assert.equal(refused.code, 1, args[0]);
          assert.match(refused.stderr, /writable by group or others \(mode 777\).*chmod 700/, args[0]);
        }
        assert.deepEqual(readdirSync(home), [], "nothing was written there");
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    });

    it("creates its home 0700 and every file in it 0600, saved KV states included", async () => {
      const parent = tempHome();
      const home = path.join(parent, "new", "home");
      try {
        const completed = await runCli(["complete", `${file}:3:3`, "--home", home, "--model", model, "--max-tokens", "4", "--json"]);
        assert.equal(completed.code, 0, completed.stderr);
        await runCli(["stop", "--home", home]);
        const seen: string[] = [];
        const walk = (dir: string): void => {
          assert.equal(statSync(dir).mode & 0o777, 0o700, `${dir} is private`);
          for (const name of readdirSync(dir)) {
            const entry = path.join(dir, name);
            if (statSync(entry).isDirectory()) walk(entry);
            else {
              seen.push(name);
              assert.equal(statSync(entry).mode & 0o777, 0o600, `${entry} is private`);
            }
          }
        };
        walk(home);
        assert.ok(seen.some((name) => name.endsWith(".state")), `a KV state was saved: ${seen.join(", ")}`);
      } finally {
        rmSync(parent, { recursive: true, force: true });
      }
    });
  });

  describe("a lock left by kill -9", () => {
    for (const [what, content] of [
      ["damaged bytes", () => "58AA"],
      ["the bare pid of another program (an earlier version's form)", (other: number) => String(other)],
      ["the pid of another program that reused the daemon's", (other: number) => JSON.stringify({ pid: other, startTime: "1" })],
    ] as const) {
      it(`is taken over when it holds ${what}`, async () => {
        const home = tempHome();
        // A live process that is not Hearth: its pid is what a reused pid looks like.
        const other = spawn("sleep", ["60"], { stdio: "ignore" });
        try {
          writeFileSync(path.join(home, "daemon.lock"), content(other.pid ?? 0), { mode: 0o600 });
          const daemon = await startDaemon({ model, home });
          const lock = JSON.parse(readFileSync(path.join(home, "daemon.lock"), "utf8")) as { pid: number };
          assert.equal(lock.pid, daemon.child.pid, "the new daemon holds the lock");
          // A live daemon's lock still keeps a second one out.
          const second = await runCli(["serve", "--home", home, "--model", model]);
          assert.equal(second.code, 1);
          assert.match(second.stderr, new RegExp(`A Hearth daemon \\(pid ${daemon.child.pid}\\) already runs`));
          await daemon.stop();
        } finally {
          other.kill();
          rmSync(home, { recursive: true, force: true });
        }
      });
    }
  });

  describe("a full disk", () => {
    it("keeps serving on a full tmpfs home: failed saves are warnings, no partial file stays, the saved state survives", async () => {
      const home = tempHome();
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=3m,mode=0700", "tmpfs", home]);
      let daemon: RunningDaemon | null = null;
      try {
        // One live cache: every switch between the two files evicts the other one's state to disk.
        daemon = await startDaemon({ model, home, args: ["--workspaces", "1"] });
        const client = await daemon.connect([{ uri: "file:///disk", name: "disk" }]);
        const text = (name: string): string => `${Array.from({ length: 30 }, (_, i) => `export const ${name}${i} = ${i};`).join("\n")}\n`;
        const docs = ["a", "b"].map((name) => ({ uri: `file:///disk/${name}.ts`, text: text(name) }));
        for (const doc of docs) await client.open({ uri: doc.uri, languageId: "typescript", version: 1, text: doc.text });
        const ask = (doc: { uri: string }) => client.complete({ textDocument: { uri: doc.uri }, position: { line: 30, character: 0 }, context: { triggerKind: 1 }, hearth: { maxTokens: 4 } });
        const a = docs[0]!;
        const b = docs[1]!;
        const firstA = await ask(a);
        await ask(b); // evicts a: its state is saved while there is room
        const kv = path.join(home, "kv", (await client.status()).kvCache?.fingerprint ?? "");
        const saved = readdirSync(kv).filter((f) => f.endsWith(".state"));
        assert.equal(saved.length, 1, "a.ts's state is on disk");
        const savedBytes = statSync(path.join(kv, saved[0]!)).size;

        // Fill the disk to the last byte.
        const filler = path.join(home, "filler");
        const fd = openSync(filler, "w", 0o600);
        try {
          for (;;) writeSync(fd, Buffer.alloc(64 * 1024));
        } catch (error) {
          assert.equal((error as NodeJS.ErrnoException).code, "ENOSPC");
        } finally {
          closeSync(fd);
        }
        const served: string[] = [];
        for (const doc of [a, b, a, b, a, b]) served.push((await ask(doc)).metrics.stopReason);
        assert.equal(served.length, 6, "all six completions on the full disk were answered");
        const status = await client.status();
        assert.ok((status.kvCache?.failedSaves ?? 0) >= 1, JSON.stringify(status.kvCache));
        assert.match(daemon.stderr(), /warning: could not save the KV state .*ENOSPC|no space/i);
        assert.deepEqual(readdirSync(kv).filter((f) => f.includes(".tmp")), [], "no partial file stays");
        assert.equal(statSync(path.join(kv, saved[0]!)).size, savedBytes, "the earlier state is intact");

        // Room again, a restart: the state saved before the disk filled still loads.
        rmSync(filler);
        client.dispose();
        await daemon.stop({ keepHome: true });
        daemon = await startDaemon({ model, home, args: ["--workspaces", "1"] });
        const again = await daemon.connect([{ uri: "file:///disk", name: "disk" }]);
        await again.open({ uri: a.uri, languageId: "typescript", version: 1, text: a.text });
        const back = await again.complete({ textDocument: { uri: a.uri }, position: { line: 30, character: 0 }, context: { triggerKind: 1 }, hearth: { maxTokens: 4 } });
        assert.ok(back.metrics.evaluatedTokens <= 2 && back.metrics.promptTokens === firstA.metrics.promptTokens, `restored, not re-evaluated: ${JSON.stringify(back.metrics)}`);
        const after = (await again.status()).kvCache;
        assert.equal(after?.loads, 1);
        assert.equal(after?.discarded, 0, "nothing on disk was damaged");
        again.dispose();
      } finally {
        await daemon?.stop({ keepHome: true });
        execFileSync("umount", [home]);
        rmSync(home, { recursive: true, force: true });
      }
    });
  });

  describe("document sync", () => {
    it("answers a version gap with a typed error until the whole text is sent again, never completing on diverged text", async () => {
      const daemon = await startDaemon({ model });
      try {
        const client = await daemon.connect([{ uri: "file:///sync", name: "sync" }]);
        const uri = "file:///sync/a.ts";
        await client.open({ uri, languageId: "typescript", version: 1, text: "export const a = 1;\n" });
        const at = { line: 1, character: 0 };
        await client.change({ textDocument: { uri, version: 3 }, contentChanges: [{ range: { start: at, end: at }, text: "export const b" }] });
        const ask = () => client.complete({ textDocument: { uri }, position: { line: 1, character: 14 }, context: { triggerKind: 1 }, hearth: { maxTokens: 2 } });
        await assert.rejects(ask(), (e: ResponseError<{ code: string; hint: string }>) => e.code === ErrorCodes.DocumentOutOfSync && e.data?.code === "HEARTH_ERR_DOCUMENT_OUT_OF_SYNC" && /whole text/.test(e.data.hint));
        await client.change({ textDocument: { uri, version: 4 }, contentChanges: [{ text: "export const a = 1;\nexport const b" }] });
        const back = await ask();
        assert.ok(back.metrics.promptTokens > 0, "in sync again");
        client.dispose();
      } finally {
        await daemon.stop();
      }
    });
  });

  describe("fair scheduling", () => {
    // Which of the long and the neighbour's completions ends first depends on the device's
    // speed (a GPU can finish the 4k-token prefill before the neighbour arrives), so this test
    // asserts what holds at any speed; the nesting order itself is unit/scheduler.test.ts's.
    it("answers another workspace's completion and a cancelled waiting request beside a long cold prefill, which still finishes whole", async () => {
      // No prefill budget: the 4k-token cold prompt is evaluated whole, 64 tokens at a time.
      const daemon = await startDaemon({ model, args: ["--max-prefill-ms", "0"] });
      try {
        const a = await daemon.connect([{ uri: "file:///fair/a", name: "a" }]);
        const b = await daemon.connect([{ uri: "file:///fair/b", name: "b" }]);
        const code = `${Array.from({ length: 600 }, (_, i) => `export const value${i} = compute(${i}, "item-${i}") + offset${i % 7};`).join("\n")}\n`;
        await a.open({ uri: "file:///fair/a/long.ts", languageId: "typescript", version: 1, text: code });
        await b.open({ uri: "file:///fair/b/short.ts", languageId: "typescript", version: 1, text: "export const answer = " });
        let started: () => void = () => undefined;
        const prefilling = new Promise<void>((resolve) => (started = resolve));
        const long = a.complete({ textDocument: { uri: "file:///fair/a/long.ts" }, position: { line: 590, character: 0 }, context: { triggerKind: 1 }, hearth: { maxTokens: 4 } }, { onWorkDone: (v) => v.kind === "report" && started() });
        await prefilling;
        // An explanation queues behind it (only completions nest); cancelled, it is answered as cancelled.
        const waitingCancel = new CancellationTokenSource();
        const waiting = a.explain({ textDocument: { uri: "file:///fair/a/long.ts" }, range: { start: { line: 0, character: 0 }, end: { line: 3, character: 0 } }, maxTokens: 8 }, { cancel: waitingCancel });
        waitingCancel.cancel();
        await assert.rejects(waiting, (e: ResponseError<unknown>) => e.code === ErrorCodes.RequestCancelled);
        const neighbour = await b.complete({ textDocument: { uri: "file:///fair/b/short.ts" }, position: { line: 0, character: 22 }, context: { triggerKind: 1 }, hearth: { maxTokens: 4 } });
        const longResult = await long;
        assert.ok(neighbour.metrics.promptTokens > 0 && neighbour.metrics.workspaceId !== longResult.metrics.workspaceId, "the neighbour is answered in its own workspace");
        assert.ok(longResult.metrics.evaluatedTokens > 2000, `the long prompt is evaluated whole (${longResult.metrics.evaluatedTokens} tokens)`);
        assert.ok(!["cancelled", "superseded", "error"].includes(longResult.metrics.stopReason), `the long completion is not cut short (${longResult.metrics.stopReason})`);
        a.dispose();
        b.dispose();
      } finally {
        await daemon.stop();
      }
    });
  });

  describe("bounded state", () => {
    it("drops a workspace when its last client leaves, and refuses connections past the limit with a clear answer", async () => {
      const daemon = await startDaemon({ model });
      try {
        const watcher = await daemon.connect([{ uri: "file:///bounded/watch", name: "watch" }]);
        const visitor = await daemon.connect([{ uri: "file:///bounded/visit", name: "visit" }]);
        await visitor.open({ uri: "file:///bounded/visit/a.ts", languageId: "typescript", version: 1, text: "export const a = 1;\n" });
        await visitor.complete({ textDocument: { uri: "file:///bounded/visit/a.ts" }, position: { line: 1, character: 0 }, context: { triggerKind: 1 }, hearth: { maxTokens: 2 } });
        const listed = (s: StatusResult): boolean => s.workspaces.some((w) => w.folders.includes("file:///bounded/visit"));
        assert.equal(listed(await watcher.status()), true);
        visitor.dispose();
        await untilStatus(watcher, "the workspace dropped once its last client left", (s) => !listed(s), 10_000);

        const sockets = [];
        // The watcher holds one; fill the rest.
        for (let i = 1; i < Limits.maxConnections; i++) sockets.push(await openSocket(daemon.info));
        await assert.rejects(openSocket(daemon.info), /HTTP 503/);
        for (const socket of sockets) socket.close();
        assert.ok((await watcher.status()).pid > 0, "the daemon kept serving");
        watcher.dispose();
      } finally {
        await daemon.stop();
      }
    });
  });

  describe("stopping during a download", () => {
    it("aborts the download instead of waiting for it", async () => {
      // A real HTTP server that starts sending a model and then stalls, as a slow mirror does.
      let requestClosed: () => void = () => undefined;
      const closed = new Promise<void>((resolve) => (requestClosed = resolve));
      let requested: () => void = () => undefined;
      const downloading = new Promise<void>((resolve) => (requested = resolve));
      const server = http.createServer((req, res) => {
        res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": String(1024 ** 3) });
        if (req.method === "HEAD") {
          res.end();
          return;
        }
        res.write(Buffer.from("GGUF"));
        req.socket.once("close", () => requestClosed());
        requested();
      });
      server.listen(0, "127.0.0.1");
      await once(server, "listening");
      const address = server.address();
      if (address === null || typeof address === "string") throw new Error("no TCP address");
      const daemon = await startDaemon({ model: `http://127.0.0.1:${address.port}/stalled-model.gguf` });
      try {
        await downloading;
        daemon.child.kill("SIGTERM");
        assert.equal(await daemon.exited, 0, daemon.stderr());
        await closed;
        assert.match(daemon.stderr(), /stopped/);
      } finally {
        await daemon.stop();
        server.closeAllConnections();
        server.close();
      }
    });
  });

  describe("files that may hold secrets", () => {
    it("keeps a .env file out of other files' prompts and off the disk, for any client", async () => {
      const daemon = await startDaemon({ model });
      try {
        const client = await daemon.connect([{ uri: "file:///private", name: "private" }]);
        const secret = { uri: "file:///private/.env", text: "API_KEY=sk-not-for-the-model-0123456789\n" };
        const code = { uri: "file:///private/main.ts", text: "export function main(): void {\n  \n}\n" };
        for (const doc of [secret, code]) await client.open({ uri: doc.uri, languageId: "plaintext", version: 1, text: doc.text });
        for (const doc of [secret, code]) await client.complete({ textDocument: { uri: doc.uri }, position: { line: 1, character: 2 }, context: { triggerKind: 1 }, hearth: { maxTokens: 2 } });
        const idle = await untilStatus(client, "the idle pass", (s) => s.idle.passes >= 1);
        const ring = idle.workspaces.find((w) => w.folders.includes("file:///private"))?.contextChunks;
        assert.equal((ring?.active ?? 0) + (ring?.pending ?? 0), 1, `only main.ts's chunk is in the ring: ${JSON.stringify(ring)}`);
        client.dispose();
        await daemon.stop({ keepHome: true });
        const workspaceId = idle.workspaces.find((w) => w.folders.includes("file:///private"))?.workspaceId ?? "";
        const states = readdirSync(path.join(daemon.home, "kv", idle.kvCache?.fingerprint ?? "")).filter((f) => f.endsWith(".state"));
        assert.deepEqual(states, [`${documentCacheKey(workspaceId, code.uri)}.state`], "main.ts's state alone was saved");
      } finally {
        await daemon.stop();
      }
    });
  });
});
