/**
 * hearth/nextEdit through a real daemon process and a real WebSocket: without a next-edit
 * model the answer is the typed error that names the option to set; bad parameters and
 * unopened documents get their own typed errors; the daemon stays up and keeps completing.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ResponseError } from "vscode-jsonrpc/node";
import { openSocket } from "../../daemon/src/client/connect.js";
import { HearthClient } from "../../daemon/src/client/hearth-client.js";
import { ErrorCodes, NextEditAcceptedNotification, NextEditRequest } from "../../daemon/src/protocol.js";
import { ensureSyntheticModel, syntheticPresets } from "../../daemon/src/gguf/model-cache.js";
import { repoRoot, runCli, startDaemon, type RunningDaemon } from "../helpers/daemon-process.js";
import { testModels } from "../helpers/test-models.js";

const URI = "file:///workspace/a/src/shapes.ts";

function hearthCode(error: unknown): string | undefined {
  return (error as ResponseError<{ code: string; hint: string }>).data?.code;
}

describe("hearth/nextEdit through a real daemon", function () {
  this.timeout(120_000);
  let daemon: RunningDaemon;
  let client: HearthClient;
  before(async () => {
    daemon = await startDaemon({ model: (await testModels()).target, args: ["--next-edit-format", "zeta"] });
    client = await daemon.connect();
    await client.open({ uri: URI, languageId: "typescript", version: 1, text: "export function area(radius: number) {\n  return Math.PI * radius * radius;\n}\n" });
    await client.change({ textDocument: { uri: URI, version: 2 }, contentChanges: [{ range: { start: { line: 0, character: 21 }, end: { line: 0, character: 27 } }, text: "size" }] });
  });
  after(async () => {
    client.dispose();
    await daemon.stop();
  });

  it("is listed among the methods initialize announces", async () => {
    const other = new HearthClient(await openSocket(daemon.info));
    try {
      const result = await other.initialize([{ uri: "file:///workspace/b", name: "b" }]);
      const methods = result.capabilities.experimental.hearth.methods;
      assert.ok(methods.includes(NextEditRequest.method) && methods.includes(NextEditAcceptedNotification.method), methods.join(", "));
    } finally {
      other.dispose();
    }
  });

  it("answers HEARTH_ERR_NO_NEXT_EDIT_MODEL, naming --next-edit-model and hearth.model.nextEdit, when none is configured", async () => {
    await client.nextEditAccepted(URI);
    await assert.rejects(client.nextEdit({ textDocument: { uri: URI }, position: { line: 0, character: 25 } }), (error: unknown) => {
      const e = error as ResponseError<{ code: string; hint: string }>;
      assert.equal(e.code, ErrorCodes.NotSupportedByBackend);
      assert.equal(hearthCode(e), "HEARTH_ERR_NO_NEXT_EDIT_MODEL");
      assert.match(e.data?.hint ?? "", /--next-edit-model/);
      assert.match(e.data?.hint ?? "", /hearth\.model\.nextEdit/);
      return true;
    });
  });

  it("checks its parameters and the document before anything else", async () => {
    await assert.rejects(client.nextEdit({ textDocument: { uri: URI }, position: { line: -1, character: 0 } }), (e: unknown) => hearthCode(e) === "HEARTH_ERR_INVALID_PARAMS");
    await assert.rejects(client.nextEdit({ textDocument: { uri: URI }, position: { line: 0, character: 0 }, maxTokens: 1_000_000 }), (e: unknown) => hearthCode(e) === "HEARTH_ERR_INVALID_PARAMS");
    await assert.rejects(client.nextEdit({ textDocument: { uri: "file:///workspace/a/never-opened.ts" }, position: { line: 0, character: 0 } }), (e: unknown) => hearthCode(e) === "HEARTH_ERR_DOCUMENT_NOT_OPEN");
  });

  it("hearth next-edit: replays --history, then reports the same typed error with its hint; refuses a diff that does not fit", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "hearth-next-edit-cli-"));
    try {
      const file = path.join(dir, "shapes.py");
      writeFileSync(file, "def area(size):\n    return 3.14 * size * size\n");
      const diff = path.join(dir, "edit.diff");
      writeFileSync(diff, "--- a/shapes.py\n+++ b/shapes.py\n@@ -1,1 +1,1 @@\n-def area(radius):\n+def area(size):\n");
      const run = await runCli(["next-edit", `${file}:2:12`, "--history", diff, "--home", daemon.home, "--no-spawn", "--workspace", dir]);
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /next-edit model/);
      assert.match(run.stderr, /--next-edit-model/);
      writeFileSync(diff, "@@ -1,1 +1,1 @@\n-x\n+not in the file\n");
      const bad = await runCli(["next-edit", `${file}:2:12`, "--history", diff, "--home", daemon.home, "--no-spawn"]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /does not match the file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("stays up and keeps completing", async () => {
    const list = await client.complete({ textDocument: { uri: URI }, position: { line: 1, character: 9 }, context: { triggerKind: 1 }, hearth: { maxTokens: 4 } });
    assert.ok(Array.isArray(list.items));
    assert.equal(list.metrics.kind, "completion");
    assert.equal(daemon.child.exitCode, null);
  });
});

describe("hearth/nextEdit with a next-edit model of its own", function () {
  this.timeout(180_000);
  let daemon: RunningDaemon;
  before(async () => {
    // Qwen2.5-Coder's real tokenizer (Sweep's format needs its <|file_sep|>); the weights are generated, so the edits are meaningless but real.
    const spec = { ...syntheticPresets["tiny-draft"], name: "hearth-tiny-qwen2.5-coder", vocabSize: 151936, vocabulary: "qwen2.5-coder" as const };
    const nextEditModel = await ensureSyntheticModel(spec, { cacheDir: path.join(repoRoot, ".cache", "test-models"), precision: "Q8_0" });
    daemon = await startDaemon({ model: (await testModels()).target, args: ["--next-edit-model", nextEditModel, "--next-edit-format", "sweep"] });
  });
  after(async () => {
    await daemon.stop();
  });

  it("loads the model set by --next-edit-model on first use, answers with its edits, and names it in the metrics and status", async () => {
    const client = await daemon.connect([{ uri: "file:///workspace/a", name: "a" }]);
    try {
      const before = await client.status();
      assert.equal(before.models.find((m) => m.role === "nextEdit")?.state, "unloaded");
      await client.open({ uri: URI, languageId: "typescript", version: 1, text: "export function area(radius: number) {\n  return Math.PI * radius * radius;\n}\n" });
      await client.change({ textDocument: { uri: URI, version: 2 }, contentChanges: [{ range: { start: { line: 0, character: 21 }, end: { line: 0, character: 27 } }, text: "size" }] });
      const result = await client.nextEdit({ textDocument: { uri: URI }, position: { line: 0, character: 25 }, maxTokens: 24 });
      assert.equal(result.format, "sweep");
      assert.ok(Array.isArray(result.edits));
      for (const edit of result.edits) assert.ok(edit.range.start.line >= 0 && edit.range.end.line <= 3, JSON.stringify(edit));
      assert.ok(result.metrics.promptTokens > 0 && result.metrics.generatedTokens > 0, JSON.stringify(result.metrics));
      assert.match(result.metrics.model ?? "", /qwen2\.5-coder/);
      const after = await client.status();
      const role = after.models.find((m) => m.role === "nextEdit");
      assert.equal(role?.state, "ready");
      assert.ok((role?.memoryBytes ?? 0) > 0);
    } finally {
      client.dispose();
    }
  });

  it("counts requests, answers with edits, accepted suggestions and the median latency, per client and in all, in hearth/status and hearth status", async () => {
    const observer = await daemon.connect();
    const baseline = (await observer.status()).nextEdit;
    observer.dispose();
    const first = await daemon.connect([{ uri: "file:///workspace/counts", name: "counts" }]);
    const second = await daemon.connect([{ uri: "file:///workspace/counts", name: "counts" }]);
    try {
      const text = "export function area(radius: number) {\n  return Math.PI * radius * radius;\n}\n";
      const uri = "file:///workspace/counts/shapes.ts";
      for (const client of [first, second]) {
        await client.open({ uri, languageId: "typescript", version: 1, text });
        await client.change({ textDocument: { uri, version: 2 }, contentChanges: [{ range: { start: { line: 0, character: 21 }, end: { line: 0, character: 27 } }, text: "size" }] });
      }
      const ask = (client: HearthClient) => client.nextEdit({ textDocument: { uri }, position: { line: 0, character: 25 }, maxTokens: 24 });
      const answers = [await ask(first), await ask(first), await ask(second)];
      // A request refused for its parameters is not one taken for work.
      await assert.rejects(first.nextEdit({ textDocument: { uri }, position: { line: -1, character: 0 } }), (e: unknown) => hearthCode(e) === "HEARTH_ERR_INVALID_PARAMS");
      await first.nextEditAccepted(uri);
      // The status request follows the notification on the same connection, so it is counted by then.
      const status = await first.status();
      const withEdits = (list: typeof answers) => list.filter((answer) => answer.edits.length > 0).length;
      const own = status.nextEdit.sessions.filter((s) => s.workspaceId === status.workspaces.find((w) => w.folders.includes("file:///workspace/counts"))?.workspaceId);
      assert.equal(own.length, 2, JSON.stringify(status.nextEdit.sessions));
      const [a, b] = own;
      assert.ok(a && b);
      assert.deepEqual([a.client, a.requests, a.suggested, a.accepted], ["hearth-test", 2, withEdits(answers.slice(0, 2)), 1]);
      assert.deepEqual([b.client, b.requests, b.suggested, b.accepted], ["hearth-test", 1, withEdits(answers.slice(2)), 0]);
      assert.equal(status.nextEdit.requests - baseline.requests, 3);
      assert.equal(status.nextEdit.suggested - baseline.suggested, withEdits(answers));
      assert.equal(status.nextEdit.accepted - baseline.accepted, 1);
      // The median of one client's two answers lies between them; of one answer, it is that answer's time.
      const firstTimes = answers.slice(0, 2).map((answer) => answer.metrics.totalMs);
      assert.ok(a.latencyP50Ms !== null && a.latencyP50Ms >= Math.min(...firstTimes) - 0.1 && a.latencyP50Ms <= Math.max(...firstTimes) + 0.1, `${a.latencyP50Ms} vs ${firstTimes.join(", ")}`);
      assert.ok(b.latencyP50Ms !== null && Math.abs(b.latencyP50Ms - (answers[2]?.metrics.totalMs ?? NaN)) <= 0.1, `${b.latencyP50Ms} vs ${answers[2]?.metrics.totalMs}`);
      assert.ok(status.nextEdit.latencyP50Ms !== null && status.nextEdit.latencyP50Ms > 0, JSON.stringify(status.nextEdit));

      // hearth status prints the daemon's figures and each client's that asked.
      const cli = await runCli(["status", "--home", daemon.home, "--no-spawn"]);
      assert.equal(cli.code, 0, cli.stderr);
      const line = cli.stdout.split("\n").find((l) => l.startsWith("next edits: "));
      assert.ok(line, cli.stdout);
      assert.match(line, new RegExp(`^next edits: ${status.nextEdit.requests} requests, ${status.nextEdit.suggested} with edits, ${status.nextEdit.accepted} accepted`));
      assert.match(cli.stdout, /^ {2}hearth-test \(workspace [^)]+\): 2 requests, \d+ with edits, 1 accepted.*median \d+ ms$/m);
    } finally {
      first.dispose();
      second.dispose();
    }
  });
});
