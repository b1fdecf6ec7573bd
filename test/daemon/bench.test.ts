/**
 * `hearth bench` and `hearth eval` end to end on the generated tiny model: a short trace
 * replayed through a real daemon (and, as a second column, a fake llama.cpp server), then a
 * restart with and without saved state. The report's fields must be consistent — counts
 * add up, p50 <= p95 <= max, evaluated <= prompt tokens — never fast: timing is the
 * bench's output, not something a test asserts.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { runBench } from "../../daemon/src/bench/bench-run.js";
import { loadEvalTasks, runEval } from "../../daemon/src/bench/eval-run.js";
import { renderMarkdown, renderReadmeTable, type BenchReport } from "../../daemon/src/bench/report.js";
import { summaryProblems, type LatencyStats } from "../../daemon/src/bench/stats.js";
import { countKeystrokes, formatTrace, parseTrace, type Trace } from "../../daemon/src/bench/trace.js";
import { typingTraceFromSource } from "../../daemon/src/bench/trace-generator.js";
import { ensureSyntheticModel, syntheticPresets } from "../../daemon/src/gguf/model-cache.js";
import { accuracyOfReport } from "../../daemon/src/cli/commands/eval.js";
import { recordAccuracy } from "../../daemon/src/accuracy-record.js";
import { hearthBin, repoRoot, runCli, startDaemon, tempHome, untilStatus } from "../helpers/daemon-process.js";
import { testModels } from "../helpers/test-models.js";

function shortTrace(): Trace {
  const text = readFileSync(path.join(repoRoot, "test", "fixtures", "demo", "fibonacci.ts"), "utf8");
  const lines = text.split("\n");
  // The last few non-empty lines: a short burst of typing (a few seconds).
  let end = lines.length;
  while (end > 1 && (lines[end - 1] ?? "").trim() === "") end--;
  return parseTrace(
    typingTraceFromSource({
      name: "short",
      description: "the end of fibonacci.ts",
      seed: 9,
      source: { path: "test/fixtures/demo/fibonacci.ts", text, languageId: "typescript" },
      startLine: Math.max(1, end - 2),
      endLine: end,
      rhythm: { longPauseChance: 0 },
    }),
  );
}

function ordered(name: string, l: LatencyStats): void {
  if (l.count === 0) return;
  assert.ok(l.p50 !== null && l.p95 !== null && l.max !== null, `${name}: figures present`);
  assert.ok(l.p50 <= l.p95 && l.p95 <= l.max, `${name}: ${l.p50} <= ${l.p95} <= ${l.max}`);
}

describe("hearth bench", function () {
  this.timeout(300_000);

  it("replays a short trace through a real daemon and a fake llama-server; the report adds up", async () => {
    const { target } = await testModels();
    const infill: unknown[] = [];
    const peer = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        if (req.url === "/infill") infill.push(JSON.parse(body));
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(req.url === "/props" ? { model_path: "/fake.gguf" } : { content: "x", tokens_evaluated: 20, timings: { prompt_n: 5, prompt_ms: 2, predicted_n: 1, predicted_ms: 1 } }));
      });
    });
    peer.listen(0, "127.0.0.1");
    await once(peer, "listening");
    const trace = shortTrace();
    let report: BenchReport;
    try {
      report = await runBench({
        traces: [trace],
        configs: [
          { kind: "hearth", label: "hearth", model: target, threads: 1 },
          { kind: "llama-server", label: "llama-server", url: `http://127.0.0.1:${(peer.address() as AddressInfo).port}` },
        ],
        entry: hearthBin,
        maxTokens: 16,
        restart: true,
        log: () => undefined,
        bandwidthBufferBytes: 16 * 1024 * 1024,
      });
    } finally {
      await new Promise<void>((resolve) => peer.close(() => resolve()));
    }

    assert.equal(report.configs.length, 2);
    assert.ok(report.bandwidth.bytesPerSecond > 0);
    assert.deepEqual(report.traces.map((t) => t.name), ["short"]);
    const [hearth, llama] = report.configs;
    assert.ok(hearth && llama);
    for (const config of report.configs) {
      assert.deepEqual(config.problems, [], config.label);
      const s = config.traces[0];
      assert.ok(s, `${config.label} has the trace`);
      assert.deepEqual(summaryProblems(s), []);
      assert.equal(s.keystrokes, countKeystrokes(trace));
      assert.equal(s.debounced + s.clientCacheHits + s.skipped + s.sent, s.keystrokes);
      assert.equal(s.completed + s.cancelled + s.failed, s.sent);
      assert.equal(s.failed, 0, s.errors.join("; "));
      assert.ok(s.completed >= 1, `${config.label}: the last keystroke's request completes`);
      assert.ok(s.evaluatedTokens <= s.promptTokens);
      ordered("latency", s.latencyMs);
      ordered("first token", s.firstTokenMs);
      ordered("server", s.serverMs);
    }
    assert.equal(llama.traces[0]?.sent, infill.length);

    // Hearth's own figures: streamed first tokens, the daemon's request log, memory, start and restart.
    const s = hearth.traces[0]!;
    assert.ok(s.firstTokenMs.count <= s.completed);
    assert.ok(s.latencyMs.count === s.completed);
    assert.ok(s.serverWork !== null && s.serverWork.requests >= s.completed, "the daemon logged every request");
    assert.ok(s.serverWork.evaluatedTokens >= s.evaluatedTokens);
    assert.equal(hearth.device?.threads, 1);
    assert.ok(hearth.model?.precision && hearth.model.fileBytes && hearth.model.fileBytes > 0);
    assert.ok(hearth.memory && hearth.memory.daemonRssBytes > 0 && hearth.memory.modelBytes > 0);
    assert.ok(hearth.floor && hearth.floor.msPerToken > 0);
    assert.ok(hearth.start && hearth.start.listeningMs > 0 && hearth.start.readyMs >= hearth.start.listeningMs);
    assert.ok(hearth.restart, "restart measured");
    for (const r of [hearth.restart.withSavedState, hearth.restart.withoutSavedState]) {
      assert.ok(r.totalMs >= r.listeningMs && r.totalMs >= r.completionMs);
      assert.ok(r.reusedTokens <= r.promptTokens && r.evaluatedTokens <= r.promptTokens);
    }
    assert.equal(hearth.restart.withoutSavedState.reusedTokens, 0, "a fresh home has no saved cache");

    const markdown = renderMarkdown(report);
    assert.match(markdown, /### short: \d+ keystrokes/);
    assert.match(markdown, /\| latency keystroke → result p50 \/ p95 \/ max \(ms\) \|/);
    assert.match(markdown, /llama-server ÷ hearth/);
    assert.match(renderReadmeTable(report), /\| short \| hearth \|/);
    assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
  });

  it("refuses what the daemon cannot do instead of ignoring it", async () => {
    const home = path.join(os.tmpdir(), `hearth-bench-refuse-${process.pid}`);
    const result = await runCli(["bench", "--model", "generated:tiny-target", "--precision", "Q5_K_M", "--no-restart", "--quiet"], { HEARTH_HOME: home });
    rmSync(home, { recursive: true, force: true });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /generated models come at F32, F16, Q8_0, Q4_0; got --precision Q5_K_M/);
    const usage = await runCli(["bench", "--spec", "fast"]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--spec must be off, lookup, draft/);
    const peer = await runCli(["bench", "--peer", "vllm=http://x"]);
    assert.equal(peer.code, 2);
    assert.match(peer.stderr, /--peer must be llama-server=URL or hearth=FLAGS/);
  });

  it("runs a trace file from the command line: Markdown on stdout, JSON with --out", async () => {
    const { target } = await testModels();
    const dir = path.join(os.tmpdir(), `hearth-bench-cli-${process.pid}`);
    const traceFile = path.join(dir, "short.json");
    const out = path.join(dir, "report.json");
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(traceFile, formatTrace(shortTrace()));
      const result = await runCli(["bench", "--trace", traceFile, "--model", target, "--threads", "1", "--max-tokens", "8", "--no-restart", "--out", out, "--quiet"]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /## hearth bench/);
      assert.ok(existsSync(out));
      const report = JSON.parse(readFileSync(out, "utf8")) as BenchReport;
      assert.equal(report.configs[0]?.traces[0]?.trace, "short");
      // The command that made the figures travels with them (without --out's path).
      assert.equal(report.command, `hearth bench --trace ${traceFile} --model ${target} --threads 1 --max-tokens 8 --no-restart --quiet`);
      const again = await runCli(["bench", "report", out, "--readme"]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /\| trace \| config \|/);
      assert.ok(again.stdout.includes(`Command: \`${report.command}\``), again.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("hearth eval", function () {
  this.timeout(300_000);

  it("scores the sample tasks per precision variant, compares each with the highest precision, and the precision list of a daemon on that home shows it", async () => {
    const cacheDir = path.join(repoRoot, ".cache", "test-models");
    const spec = syntheticPresets["tiny-target"];
    const f16 = await ensureSyntheticModel(spec, { cacheDir, precision: "F16" });
    const q4 = await ensureSyntheticModel(spec, { cacheDir, precision: "Q4_0" });
    const file = path.join(repoRoot, "test", "fixtures", "eval", "sample.jsonl");
    const tasks = loadEvalTasks(file);
    const report = await runEval({
      file,
      tasks,
      variants: [
        { kind: "hearth", label: "Q4_0", model: q4, threads: 1 },
        { kind: "hearth", label: "F16", model: f16, threads: 1 },
      ],
      entry: hearthBin,
      maxTokens: 24,
      log: () => undefined,
    });
    assert.equal(report.taskCount, tasks.length);
    const [q, f] = report.variants;
    assert.ok(q && f);
    assert.equal(f.precision, "F16");
    assert.equal(f.agreement, null, "the highest precision is the reference");
    assert.ok(q.agreement !== null && q.agreement.reference === "F16");
    assert.ok(q.agreement.sameCompletion <= q.agreement.sameFirstLine && q.agreement.sameFirstLine <= tasks.length);
    for (const v of report.variants) {
      assert.equal(v.tasks.length, tasks.length);
      assert.equal(v.exactMatches, v.tasks.filter((t) => t.exact).length);
      assert.ok(v.exactMatchRate >= 0 && v.exactMatchRate <= 1);
    }
    // What hearth eval keeps in the home, the precision picker of a daemon on that home shows.
    const home = tempHome();
    recordAccuracy(home, report.variants.map((v) => ({ source: v.model, precision: v.precision, accuracy: accuracyOfReport(v, report.taskCount) })));
    assert.equal(statSync(path.join(home, "eval", "accuracy.json")).mode & 0o777, 0o600);
    const daemon = await startDaemon({ model: q4, home });
    try {
      const client = await daemon.connect();
      await untilStatus(client, "the model", (s) => s.modelState.state === "ready");
      const current = (await client.precisionList()).variants.find((v) => v.current);
      assert.equal(current?.id, "Q4_0");
      assert.deepEqual(current?.accuracy && { agreementRate: current.accuracy.agreementRate, reference: current.accuracy.reference, tasks: current.accuracy.tasks }, { agreementRate: q.agreement.rate, reference: "F16", tasks: tasks.length });
      client.dispose();
    } finally {
      await daemon.stop();
    }
  });

  it("says which line of a bad task file is wrong", async () => {
    const file = path.join(os.tmpdir(), `hearth-eval-bad-${process.pid}.jsonl`);
    writeFileSync(file, `${JSON.stringify({ prompt: "a", suffix: "b", canonical_solution: "c" })}\n{"prompt": 1}\n`);
    try {
      const result = await runCli(["eval", file]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /:2: "prompt" must be a string/);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
