/**
 * `hearth bench --next-edit` end to end on the smallest settings: the shipped next-edit
 * traces replayed through a real daemon whose next-edit model is a generated one on
 * Qwen2.5-Coder's real tokenizer (named for Sweep's format), then one trace through the CLI
 * beside two real llama-servers (one driven as a plain Sweep client, one behind Hearth's
 * --next-edit-backend). The report must add up and show the warm cache: a request within an
 * edit, after the document's first, evaluates well under its whole prompt on Hearth. Never
 * timed: latency is the bench's output, not something a test asserts.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runNextEditBench } from "../../daemon/src/bench/next-edit-run.js";
import { NEXT_EDIT_REPORT_FORMAT, type NextEditBenchReport, type NextEditTraceSummary } from "../../daemon/src/bench/next-edit-report.js";
import { countKeystrokes, loadTrace } from "../../daemon/src/bench/trace.js";
import { checkPlayable } from "../../daemon/src/bench/trace-editor.js";
import { ensureSyntheticModel, syntheticPresets } from "../../daemon/src/gguf/model-cache.js";
import { hearthBin, repoRoot, runCli } from "../helpers/daemon-process.js";
import { startLlamaServer, type RunningLlamaServer } from "../helpers/llama-server.js";
import { testModels } from "../helpers/test-models.js";

const TRACES_DIR = path.join(repoRoot, "bench", "traces", "next-edit");

function sweepModel(): Promise<string> {
  return ensureSyntheticModel(syntheticPresets["tiny-sweep"], { cacheDir: path.join(repoRoot, ".cache", "test-models"), precision: "Q8_0" });
}

/** What holds for every configuration's summary of a trace, whatever the timing. */
function addsUp(label: string, s: NextEditTraceSummary, keystrokes: number): void {
  const where = `${label}/${s.trace}`;
  assert.deepEqual(s.errors, [], where);
  assert.equal(s.keystrokes, keystrokes, where);
  assert.ok(s.sent > 0 && s.completed > 0, `${where}: the trace produced requests (${s.sent} sent, ${s.completed} completed)`);
  assert.equal(s.completed + s.cancelled + s.failed, s.sent, where);
  assert.equal(s.failed, 0, where);
  assert.equal(s.requests.length, s.sent, where);
  assert.ok(s.requests.some((r) => r.trigger === "accept"), `${where}: Tab asked for the next suggestion at once`);
  assert.ok(s.appliesMatched <= s.applies, where);
  for (const r of s.requests) {
    if (r.outcome !== "completed") continue;
    assert.ok(r.promptTokens !== null && r.evaluatedTokens !== null && r.latencyMs !== null, `${where}: a completed request has its figures`);
    assert.ok(r.promptTokens > 0 && r.evaluatedTokens <= r.promptTokens, `${where}: evaluated ${r.evaluatedTokens} of ${r.promptTokens}`);
    assert.ok((r.acceptedTokens ?? 0) <= (r.draftTokens ?? 0), `${where}: accepted ${r.acceptedTokens} of ${r.draftTokens} drafted`);
    if (r.copied !== null) assert.ok(r.copied >= 0 && r.copied <= 1, `${where}: copied ${r.copied}`);
  }
  const l = s.latencyMs;
  assert.ok(l.p50 !== null && l.p95 !== null && l.max !== null && l.p50 <= l.p95 && l.p95 <= l.max, `${where}: p50 <= p95 <= max`);
}

describe("hearth bench --next-edit", function () {
  this.timeout(600_000);

  it("replays every shipped next-edit trace through a real daemon: each asks, evaluated <= prompt, and a request within an edit evaluates well under its prompt", async () => {
    const files = readdirSync(TRACES_DIR).filter((f) => f.endsWith(".json"));
    assert.deepEqual(files.sort(), ["add-parameter.json", "change-field-type.json", "rename-variable.json"]);
    const traces = files.map((f) => checkPlayable(loadTrace(path.join(TRACES_DIR, f)), f));
    const report = await runNextEditBench({
      traces,
      configs: [{ kind: "hearth", label: "hearth", model: (await testModels()).target, nextEditModel: await sweepModel(), threads: 1 }],
      entry: hearthBin,
      maxTokens: 16,
      log: () => undefined,
    });
    const [hearth] = report.configs;
    assert.ok(hearth);
    assert.deepEqual(hearth.problems, []);
    assert.equal(hearth.nextEditModel?.format, "sweep", "the model's name chose Sweep's format");
    assert.match(hearth.nextEditModel?.name ?? "", /tiny-sweep/);
    assert.deepEqual(hearth.traces.map((t) => t.trace), traces.map((t) => t.name));
    for (const [i, s] of hearth.traces.entries()) {
      const trace = traces[i]!;
      addsUp("hearth", s, countKeystrokes(trace));
      assert.equal(s.applies, trace.events.filter((e) => e.type === "apply").length);
      // The daemon's log saw every request that completed, and the work of the cancelled ones.
      assert.ok(s.serverWork !== null && s.serverWork.requests >= s.completed && s.serverWork.evaluatedTokens <= s.serverWork.promptTokens, JSON.stringify(s.serverWork));
    }
    // The warm cache: within an edit, after the document's first request, only the window from the changed line is evaluated again.
    const warm = hearth.traces.flatMap((t) => t.requests.filter((r) => r.context === "edit" && r.outcome === "completed"));
    assert.ok(warm.length > 0, "some request within an edit completed after an earlier one of the same edit");
    for (const r of warm) assert.ok((r.evaluatedShare ?? 1) <= 0.5, `a request within an edit evaluated ${r.evaluatedTokens} of ${r.promptTokens} prompt tokens`);
    assert.equal(hearth.warm.requests, warm.length);
    assert.ok(hearth.warm.evaluatedTokens < hearth.warm.promptTokens / 2);
  });

  it("through the CLI beside llama-server (a plain Sweep client, and behind --next-edit-backend): the JSON report has its fields, the plain client's figures are the server's", async () => {
    const model = await sweepModel();
    const servers: RunningLlamaServer[] = [];
    const dir = mkdtempSync(path.join(os.tmpdir(), "hearth-bench-next-edit-"));
    try {
      servers.push(await startLlamaServer({ model, slots: 1, ctxPerSlot: 4096 }), await startLlamaServer({ model, slots: 1, ctxPerSlot: 4096 }));
      const [behindHearth, plain] = servers as [RunningLlamaServer, RunningLlamaServer];
      const trace = path.join(TRACES_DIR, "rename-variable.json");
      const out = path.join(dir, "report.json");
      const run = await runCli(
        [
          "bench",
          "--next-edit",
          "--model",
          (await testModels()).target,
          "--next-edit-model",
          model,
          "--threads",
          "1",
          "--max-tokens",
          "16",
          "--trace",
          trace,
          "--peer",
          `hearth=--next-edit-backend llama-server=${behindHearth.url} --label via-llama-server`,
          "--peer",
          `llama-server=${plain.url}`,
          "--out",
          out,
          "--quiet",
        ],
        { UV_THREADPOOL_SIZE: "1" },
      );
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /\| rename-variable \| llama-server \|/);
      assert.match(run.stdout, /goal ≤ 25%/);
      const report = JSON.parse(readFileSync(out, "utf8")) as NextEditBenchReport;
      assert.equal(report.format, NEXT_EDIT_REPORT_FORMAT);
      assert.equal(report.version, 1);
      assert.equal(report.maxTokens, 16);
      assert.equal(report.settleMs, 300);
      assert.equal(report.goal.evaluatedShareAtMost, 0.25);
      assert.match(report.command ?? "", /^hearth bench --next-edit /);
      assert.deepEqual(report.traces.map((t) => t.name), ["rename-variable"]);
      assert.deepEqual(report.configs.map((c) => [c.label, c.kind]), [["hearth", "hearth"], ["via-llama-server", "hearth"], ["llama-server", "llama-server"]]);
      const keystrokes = countKeystrokes(loadTrace(trace));
      for (const config of report.configs) {
        assert.deepEqual(config.problems, [], config.label);
        const s = config.traces[0];
        assert.ok(s, `${config.label} has the trace`);
        addsUp(config.label, s, keystrokes);
        for (const key of ["context", "trigger", "outcome", "promptTokens", "evaluatedTokens", "evaluatedShare", "latencyMs", "draftTokens", "acceptedTokens", "copied", "edits"]) {
          assert.ok(s.requests.every((r) => key in r), `${config.label}: every request has ${key}`);
        }
        for (const key of ["requests", "evaluatedShare", "promptTokens", "evaluatedTokens", "meetsGoal"]) assert.ok(key in config.warm, `${config.label}: warm.${key}`);
        assert.ok(["first", "new-edit", "edit", "accept"].every((c) => c in s.byContext));
      }
      const [, via, peer] = report.configs as [unknown, NextEditBenchReport["configs"][number], NextEditBenchReport["configs"][number]];
      assert.match(via.nextEditModel?.source ?? "", /^llama-server=/);
      assert.equal(via.nextEditModel?.format, "sweep");
      assert.ok(via.serveArgs?.includes("--next-edit-backend"));
      assert.equal(peer.serveArgs, null);
      assert.equal(peer.url, plain.url);
      assert.equal(peer.traces[0]?.serverWork, null, "a plain client has no daemon log: its figures are the server's answers");
      assert.ok(peer.serverProps !== null, "the server's /props is in the report");
    } finally {
      for (const server of servers) await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
