/**
 * Completion and explanation through a real daemon on a generated GGUF model: streaming,
 * KV-cache reuse, workspace isolation, cancellation (mid-prefill and mid-generation) and
 * superseding.
 */
import assert from "node:assert/strict";
import { CancellationTokenSource, ResponseError } from "vscode-jsonrpc/node";
import type { HearthClient } from "../../daemon/src/client/hearth-client.js";
import { ErrorCodes, type RequestMetrics } from "../../daemon/src/protocol.js";
import { startDaemon, untilStatus, type RunningDaemon } from "../helpers/daemon-process.js";
import { testModels } from "../helpers/test-models.js";

const SOURCE = [
  "import { readFileSync } from 'node:fs';",
  "",
  "export function parseConfig(path: string): Record<string, string> {",
  "  const result: Record<string, string> = {};",
  "  for (const line of readFileSync(path, 'utf8').split('\\n')) {",
  "    const [key, value] = line.split('=');",
  "    ",
  "  }",
  "  return result;",
  "}",
  "",
].join("\n");
const CURSOR = { line: 6, character: 4 };

/** A long file, so that prefill takes many chunks. */
function longSource(lines: number): string {
  return Array.from({ length: lines }, (_, i) => `export const value${i} = compute(${i}, "item-${i}") + offset${i % 7};`).join("\n") + "\n";
}

async function openDoc(client: HearthClient, uri: string, text: string): Promise<void> {
  await client.open({ uri, languageId: "typescript", version: 1, text });
}

function expectCancelled(error: unknown): void {
  assert.ok(error instanceof ResponseError, `expected a ResponseError, got ${String(error)}`);
  assert.equal(error.code, ErrorCodes.RequestCancelled);
}

async function lastMetrics(client: HearthClient): Promise<RequestMetrics> {
  const status = await client.status();
  const last = status.recentRequests[status.recentRequests.length - 1];
  assert.ok(last, "status lists the request");
  return last;
}

describe("daemon completion and explanation", function () {
  this.timeout(120_000);
  let daemon: RunningDaemon;
  let client: HearthClient;

  before(async () => {
    daemon = await startDaemon({ model: (await testModels()).target, args: ["--ctx", "4096", "--workspaces", "2"] });
    client = await daemon.connect([{ uri: "file:///workspace/a", name: "a" }]);
  });
  after(async () => {
    client.dispose();
    assert.equal(await daemon.stop(), 0, daemon.stderr());
  });

  it("streams a completion as partial results and returns the whole of it with metrics", async () => {
    const uri = "file:///workspace/a/config.ts";
    await openDoc(client, uri, SOURCE);
    const deltas: string[] = [];
    const result = await client.complete(
      { textDocument: { uri }, position: CURSOR, context: { triggerKind: 1 }, hearth: { maxTokens: 24, mode: "block" } },
      { onDelta: (d) => deltas.push(d) },
    );
    const text = result.items[0]?.insertText ?? "";
    const m = result.metrics;
    assert.equal(m.kind, "completion");
    assert.ok(m.generatedTokens > 0 && m.generatedTokens <= 24, `generated ${m.generatedTokens}`);
    assert.ok(["eos", "boundary", "maxTokens"].includes(m.stopReason), m.stopReason);
    assert.equal(deltas.join(""), text, "the streamed deltas add up to the result");
    assert.equal(m.reusedTokens + m.evaluatedTokens, m.promptTokens);
    assert.ok(m.firstTokenMs !== null && m.firstTokenMs <= m.totalMs);
    assert.deepEqual(result.items[0]?.range, text ? { start: CURSOR, end: CURSOR } : undefined);
  });

  it("is deterministic: the same request gives the same text", async () => {
    const uri = "file:///workspace/a/config.ts";
    const ask = () => client.complete({ textDocument: { uri }, position: CURSOR, context: { triggerKind: 1 }, hearth: { maxTokens: 16, mode: "block" } });
    const [a, b] = [await ask(), await ask()];
    assert.equal(a.items[0]?.insertText ?? "", b.items[0]?.insertText ?? "");
  });

  it("reuses the KV cache: a repeat evaluates one token, a keystroke a handful", async () => {
    const uri = "file:///workspace/a/reuse.ts";
    // Text no earlier test sent, so the first request finds nothing cached.
    await openDoc(client, uri, `// reuse\n${SOURCE}`);
    const line = CURSOR.line + 1;
    const ask = (character: number) =>
      client.complete({ textDocument: { uri }, position: { line, character }, context: { triggerKind: 2 }, hearth: { maxTokens: 4, mode: "line" } });
    const first = await ask(4);
    assert.ok(first.metrics.evaluatedTokens > 50, `first request evaluates the prompt (${first.metrics.evaluatedTokens})`);
    const repeat = await ask(4);
    assert.equal(repeat.metrics.evaluatedTokens, 1);
    assert.equal(repeat.metrics.reusedTokens, repeat.metrics.promptTokens - 1);

    await client.change({
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line, character: 4 }, end: { line, character: 4 } }, text: "re" }],
    });
    const typed = await ask(6);
    assert.ok(typed.metrics.evaluatedTokens <= 4, `a keystroke re-evaluated ${typed.metrics.evaluatedTokens} tokens`);
    assert.ok(typed.metrics.reusedTokens >= first.metrics.promptTokens - 4);
  });

  it("keeps two workspaces' caches apart", async () => {
    const other = await daemon.connect([{ uri: "file:///workspace/b", name: "b" }]);
    try {
      const uriA = "file:///workspace/a/iso.ts";
      const uriB = "file:///workspace/b/iso.ts";
      await openDoc(client, uriA, SOURCE);
      await openDoc(other, uriB, longSource(40));
      const askA = () => client.complete({ textDocument: { uri: uriA }, position: CURSOR, context: { triggerKind: 1 }, hearth: { maxTokens: 4 } });
      await askA();
      const b = await other.complete({ textDocument: { uri: uriB }, position: { line: 10, character: 0 }, context: { triggerKind: 1 }, hearth: { maxTokens: 4 } });
      assert.ok(b.metrics.evaluatedTokens > 100, "B's first request shares nothing with A's cache");
      assert.notEqual(b.metrics.workspaceId, (await askA()).metrics.workspaceId);
      const againA = await askA();
      assert.equal(againA.metrics.evaluatedTokens, 1, "A's cache survived B's request");
      const status = await client.status();
      assert.equal(status.workspaces.filter((w) => w.cachedTokens > 0).length >= 2, true);
    } finally {
      other.dispose();
    }
  });

  it("streams an explanation through the model's chat template", async () => {
    const uri = "file:///workspace/a/explain.ts";
    await openDoc(client, uri, SOURCE);
    const deltas: string[] = [];
    const result = await client.explain(
      { textDocument: { uri }, range: { start: { line: 2, character: 0 }, end: { line: 9, character: 1 } }, maxTokens: 40 },
      { onDelta: (d) => deltas.push(d) },
    );
    assert.equal(result.metrics.kind, "explain");
    assert.ok(result.metrics.generatedTokens > 0);
    // No chat model is set: the completion model explains, and the result says so.
    assert.deepEqual(result.servedBy, { role: "completion", model: "hearth-tiny-target", fallback: true });
    assert.equal(result.metrics.model, "hearth-tiny-target");
    assert.ok(deltas.length > 0, "text arrived as partial results");
    assert.equal(deltas.join("").trim(), result.markdown);
  });

  it("cancels during prefill, between chunks", async () => {
    const uri = "file:///workspace/a/long.ts";
    const text = longSource(220);
    await openDoc(client, uri, text);
    const cancel = new CancellationTokenSource();
    const request = client.complete(
      { textDocument: { uri }, position: { line: 200, character: 0 }, context: { triggerKind: 1 }, hearth: { maxTokens: 8 } },
      { cancel, onWorkDone: (v) => v.kind === "report" && cancel.cancel() },
    );
    await assert.rejects(request, (e) => (expectCancelled(e), true));
    const m = await lastMetrics(client);
    assert.equal(m.stopReason, "cancelled");
    assert.equal(m.generatedTokens, 0);
    assert.ok(m.promptTokens > 1000, `prompt ${m.promptTokens}`);
    assert.ok(m.evaluatedTokens < m.promptTokens / 2, `prefill stopped early: ${m.evaluatedTokens} of ${m.promptTokens}`);
  });

  it("cancels during generation within one token", async () => {
    const uri = "file:///workspace/a/explain-cancel.ts";
    await openDoc(client, uri, SOURCE);
    const cancel = new CancellationTokenSource();
    const request = client.explain(
      { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 10, character: 0 } }, maxTokens: 2000 },
      { cancel, onDelta: () => cancel.cancel() },
    );
    await assert.rejects(request, (e) => (expectCancelled(e), true));
    const m = await lastMetrics(client);
    assert.equal(m.stopReason, "cancelled");
    assert.ok(m.generatedTokens > 0 && m.generatedTokens < 2000);
    assert.ok(m.tokensAfterCancel <= 1, `${m.tokensAfterCancel} tokens after the cancel`);
  });

  it("cancels when the client's socket closes", async () => {
    const before = (await lastMetrics(client)).requestId;
    const leaving = await daemon.connect([{ uri: "file:///workspace/a", name: "a" }]);
    const uri = "file:///workspace/a/leave.ts";
    await openDoc(leaving, uri, SOURCE);
    const request = leaving.explain(
      { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 10, character: 0 } }, maxTokens: 2000 },
      { onDelta: () => leaving.socket.terminate() },
    );
    await assert.rejects(request);
    // Requests run in order, so one sent now finishes after the abandoned one has stopped.
    await openDoc(client, uri, SOURCE);
    await client.complete({ textDocument: { uri }, position: CURSOR, context: { triggerKind: 1 }, hearth: { maxTokens: 1 } });
    const status = await client.status();
    const abandoned = status.recentRequests.find((r) => r.kind === "explain" && r.requestId > before);
    assert.equal(abandoned?.stopReason, "cancelled", JSON.stringify(status.recentRequests.map((r) => [r.requestId, r.kind, r.stopReason]).concat([[before]])));
    assert.ok((abandoned?.generatedTokens ?? 0) < 2000);
  });

  it("supersedes an older completion for the same document", async () => {
    const uri = "file:///workspace/a/supersede.ts";
    await openDoc(client, uri, longSource(120));
    const older = client.complete({ textDocument: { uri }, position: { line: 100, character: 0 }, context: { triggerKind: 2 }, hearth: { maxTokens: 8 } });
    const newer = client.complete({ textDocument: { uri }, position: { line: 101, character: 0 }, context: { triggerKind: 2 }, hearth: { maxTokens: 8 } });
    await assert.rejects(older, (e) => (expectCancelled(e), (e as ResponseError<{ code: string }>).data?.code === "HEARTH_ERR_SUPERSEDED"));
    const result = await newer;
    assert.notEqual(result.metrics.stopReason, "superseded");
    const status = await client.status();
    assert.ok(status.recentRequests.some((r) => r.stopReason === "superseded"));
  });
});

describe("context from other files", function () {
  this.timeout(120_000);

  it("brings an edited file's chunk into other files' prompts at idle, pre-evaluated", async () => {
    const daemon = await startDaemon({ model: (await testModels()).target });
    const client = await daemon.connect([{ uri: "file:///workspace/ring", name: "ring" }]);
    try {
      const helper = "file:///workspace/ring/helpers.ts";
      const main = "file:///workspace/ring/main.ts";
      await openDoc(client, helper, "export function clamp(value: number, low: number, high: number): number {\n  return Math.min(high, Math.max(low, value));\n}\n");
      await openDoc(client, main, SOURCE);
      const ask = () => client.complete({ textDocument: { uri: main }, position: CURSOR, context: { triggerKind: 1 }, hearth: { maxTokens: 4 } });
      const passes = (await client.status()).idle.passes;
      const before = await ask();
      // The daemon promotes queued chunks once the workspace is idle, then warms the prompt up:
      // wait (bounded) for that idle pass to end, not only for the promotion, or the request
      // below would cut the warm-up short on a slow machine.
      await untilStatus(client, "the idle pass after the promotion", (s) => s.idle.passes > passes && (s.workspaces.find((w) => w.folders.includes("file:///workspace/ring"))?.contextChunks.active ?? 0) > 0, 30_000);
      const after = await ask();
      assert.ok(after.metrics.promptTokens > before.metrics.promptTokens + 20, `the helper's chunk is in the prompt: ${before.metrics.promptTokens} → ${after.metrics.promptTokens}`);
      assert.ok(after.metrics.evaluatedTokens <= 2, `the idle warm-up already evaluated it: ${after.metrics.evaluatedTokens}`);
    } finally {
      client.dispose();
      await daemon.stop();
    }
  });
});

describe("prefill budget", function () {
  this.timeout(120_000);

  it("cuts the first request of a fresh daemon in a 3,000-line file to the budget", async () => {
    const daemon = await startDaemon({ model: (await testModels()).target, args: ["--max-prefill-ms", "1"] });
    try {
      const client = await daemon.connect([{ uri: "file:///workspace/big", name: "big" }]);
      const uri = "file:///workspace/big/huge.ts";
      await openDoc(client, uri, longSource(3000));
      const first = await client.complete({ textDocument: { uri }, position: { line: 2400, character: 0 }, context: { triggerKind: 1 }, hearth: { maxTokens: 2 } });
      assert.ok(first.metrics.promptTokens <= 512 && first.metrics.evaluatedTokens <= 512, `cut on the first request: ${JSON.stringify(first.metrics)}`);
      client.dispose();
    } finally {
      await daemon.stop();
    }
  });

  it("cuts a cold prompt that would take longer than --max-prefill-ms to evaluate", async () => {
    // 1 ms is less than any machine needs, so every cold prompt is cut to the 512-token floor once a speed is known.
    const daemon = await startDaemon({ model: (await testModels()).target, args: ["--max-prefill-ms", "1"] });
    const client = await daemon.connect([{ uri: "file:///workspace/budget", name: "budget" }]);
    let restarted: RunningDaemon | null = null;
    try {
      const uri = "file:///workspace/budget/long.ts";
      await openDoc(client, uri, longSource(220));
      // The daemon calibrated its prefill speed at load, so even its first request is cut.
      const first = await client.complete({ textDocument: { uri }, position: { line: 60, character: 0 }, context: { triggerKind: 1 }, hearth: { maxTokens: 2 } });
      assert.ok(first.metrics.promptTokens <= 512, `the first request is cut to the budget: ${first.metrics.promptTokens} tokens`);
      assert.match(daemon.stderr(), /prefill speed calibrated: \d+ tokens\/s/);
      const jump = await client.complete({ textDocument: { uri }, position: { line: 200, character: 0 }, context: { triggerKind: 1 }, hearth: { maxTokens: 2 } });
      assert.ok(jump.metrics.promptTokens <= 512, `a cold jump is cut to the budget: ${jump.metrics.promptTokens} tokens`);
      const again = await client.complete({ textDocument: { uri }, position: { line: 200, character: 0 }, context: { triggerKind: 1 }, hearth: { maxTokens: 2 } });
      assert.equal(again.metrics.evaluatedTokens, 1, "the cut prompt is stable, so it stays cached");
      client.dispose();
      await daemon.stop({ keepHome: true });

      // After a restart the budget is the same, so the prompt is cut the same way and found in the saved cache.
      restarted = await startDaemon({ model: (await testModels()).target, home: daemon.home, args: ["--max-prefill-ms", "1"] });
      const back = await restarted.connect([{ uri: "file:///workspace/budget", name: "budget" }]);
      await openDoc(back, uri, longSource(220));
      const warm = await back.complete({ textDocument: { uri }, position: { line: 200, character: 0 }, context: { triggerKind: 1 }, hearth: { maxTokens: 2 } });
      assert.equal(warm.metrics.promptTokens, jump.metrics.promptTokens);
      assert.ok(warm.metrics.evaluatedTokens <= 2, `restored, not re-evaluated: ${warm.metrics.evaluatedTokens}`);
      back.dispose();
    } finally {
      client.dispose();
      await restarted?.stop({ keepHome: true });
      await daemon.stop();
    }
  });
});
