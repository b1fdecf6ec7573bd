/**
 * Runs the next-edit bench: starts one daemon per Hearth configuration on a temporary home
 * (its next-edit model here, or a llama-server through --next-edit-backend), loads the
 * next-edit model with one request on a scratch document (so no trace pays for the load),
 * replays every next-edit trace against every configuration, interleaved trace by trace,
 * beside llama-server driven as a plain next-edit client, and stops what it started.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Defaults } from "../protocol.js";
import { HEARTH_VERSION } from "../version.js";
import { describeMachine } from "../machine.js";
import { generatedModelsDir, parseGenerated, resolveHearthConfig, UnsupportedConfigError } from "./bench-config.js";
import { BenchDaemon, connectBench, helpHasOption, serveHelpText } from "./bench-daemon.js";
import { ensureSyntheticModel, syntheticPresets } from "../gguf/model-cache.js";
import type { HearthClient } from "../client/hearth-client.js";
import type { DiscoveryInfo } from "../discovery.js";
import { HearthNextEditDriver } from "./next-edit-hearth.js";
import { PlainSweepClient } from "./next-edit-llama-server.js";
import { replayNextEdits, type NextEditDriver } from "./next-edit-replay.js";
import {
  NEXT_EDIT_REPORT_FORMAT,
  nextEditProblems,
  nextEditServerWork,
  summarizeNextEdits,
  WARM_SHARE_GOAL,
  warmFigure,
  type NextEditBenchReport,
  type NextEditConfigReport,
} from "./next-edit-report.js";
import { RequestLog } from "./request-log.js";
import { llamaServerProps } from "./replay-llama-server.js";
import { countKeystrokes, traceDurationMs, type Trace } from "./trace.js";

/** The next-edit model when none is named: tiny, on Qwen2.5-Coder's tokenizer, named for Sweep's format. */
export const DEFAULT_NEXT_EDIT_MODEL = "generated:tiny-sweep";

export interface NextEditHearthConfig {
  kind: "hearth";
  label: string;
  /** The completion model the daemon also serves (the bench asks it for nothing): a path or generated:NAME. */
  model: string;
  /** --next-edit-model: a .gguf path or generated:NAME here; with a backend, the model to ask it for. */
  nextEditModel?: string;
  /** --next-edit-backend: llama-server=URL or openai=URL. */
  nextEditBackend?: string;
  /** --next-edit-format: auto or a format's name. */
  nextEditFormat?: string;
  threads?: number;
  ctx?: number;
}

export interface NextEditPeerConfig {
  kind: "llama-server";
  label: string;
  url: string;
}

export type NextEditConfigSpec = NextEditHearthConfig | NextEditPeerConfig;

export interface NextEditBenchOptions {
  command?: string;
  traces: Trace[];
  configs: NextEditConfigSpec[];
  /** The `hearth` entry script daemons are started with. */
  entry: string;
  /** Upper bound on generated tokens per request (the daemon's own default when the extension asks). */
  maxTokens: number;
  log: (line: string) => void;
}

interface LiveDaemon {
  daemon: BenchDaemon;
  info: DiscoveryInfo;
  control: HearthClient;
  home: string;
}

/** `hearth serve` arguments for a configuration: the completion model's, then the next-edit role's. */
async function serveArgsFor(spec: NextEditHearthConfig, help: string, log: (line: string) => void): Promise<string[]> {
  if (!helpHasOption(help, "next-edit-model")) throw new UnsupportedConfigError("this daemon has no next-edit role (`hearth serve --help` lists no --next-edit-model)");
  const { serveArgs } = await resolveHearthConfig({ kind: "hearth", label: spec.label, model: spec.model, ...(spec.threads !== undefined ? { threads: spec.threads } : {}), ...(spec.ctx !== undefined ? { ctx: spec.ctx } : {}) }, help, log);
  const args = [...serveArgs];
  if (spec.nextEditBackend !== undefined) {
    args.push("--next-edit-backend", spec.nextEditBackend);
    if (spec.nextEditModel !== undefined) args.push("--next-edit-model", spec.nextEditModel);
  } else {
    const model = spec.nextEditModel ?? DEFAULT_NEXT_EDIT_MODEL;
    const generated = parseGenerated(model);
    let file = model;
    if (generated !== null) {
      log(`making (or finding) generated model ${generated.name}@${generated.precision ?? "Q8_0"} in ${generatedModelsDir()}`);
      file = await ensureSyntheticModel(syntheticPresets[generated.name], { cacheDir: generatedModelsDir(), precision: generated.precision ?? "Q8_0" });
    }
    args.push("--next-edit-model", file);
  }
  if (spec.nextEditFormat !== undefined) args.push("--next-edit-format", spec.nextEditFormat);
  return args;
}

function emptyReport(spec: NextEditConfigSpec): NextEditConfigReport {
  return {
    label: spec.label,
    kind: spec.kind,
    serveArgs: null,
    url: spec.kind === "llama-server" ? spec.url : null,
    serverProps: null,
    nextEditModel: null,
    traces: [],
    warm: warmFigure([]),
    problems: [],
  };
}

/** Loads the next-edit model with one small request in a workspace of its own, and says what the daemon runs. */
async function loadNextEditModel(live: LiveDaemon, maxTokens: number): Promise<NextEditConfigReport["nextEditModel"]> {
  const client = await connectBench(live.info, { uri: "file:///hearth-bench/next-edit-warm-up", name: "next-edit-warm-up" });
  try {
    const uri = "file:///hearth-bench/next-edit-warm-up/warm-up.ts";
    await client.open({ uri, languageId: "typescript", version: 1, text: "export function warmUp(): number {\n  return 1;\n}\n" });
    const started = performance.now();
    const result = await client.nextEdit({ textDocument: { uri }, position: { line: 1, character: 2 }, maxTokens: Math.min(maxTokens, 4) });
    const loadMs = Math.round(performance.now() - started);
    await client.close(uri);
    const role = (await live.control.status()).models.find((m) => m.role === "nextEdit");
    return { name: result.metrics.model ?? role?.name ?? null, source: role?.source ?? null, format: result.format, loadMs };
  } finally {
    client.dispose();
  }
}

async function replayOnHearth(live: LiveDaemon, report: NextEditConfigReport, trace: Trace, options: NextEditBenchOptions): Promise<void> {
  const driver = await HearthNextEditDriver.connect(live.info, trace, { maxTokens: options.maxTokens });
  const log = await RequestLog.start(live.control);
  // The log keeps 50 requests; reading it every second keeps up with any trace.
  const poller = setInterval(() => void log.poll().catch(() => undefined), 1000);
  try {
    const result = await replayNextEdits(trace, driver);
    clearInterval(poller);
    await log.poll();
    const summary = summarizeNextEdits(result, nextEditServerWork(log.requests, log.complete));
    report.traces.push(summary);
    report.problems.push(...nextEditProblems(summary).map((p) => `${trace.name}: ${p}`));
  } finally {
    clearInterval(poller);
    driver.dispose();
  }
}

async function replayOnPeer(report: NextEditConfigReport, url: string, trace: Trace, options: NextEditBenchOptions): Promise<void> {
  const driver: NextEditDriver = new PlainSweepClient(url, { maxTokens: options.maxTokens });
  const summary = summarizeNextEdits(await replayNextEdits(trace, driver));
  report.traces.push(summary);
  report.problems.push(...nextEditProblems(summary).map((p) => `${trace.name}: ${p}`));
}

export async function runNextEditBench(options: NextEditBenchOptions): Promise<NextEditBenchReport> {
  const startedAt = new Date();
  const started = performance.now();
  const log = options.log;
  const machine = describeMachine();
  const help = options.configs.some((c) => c.kind === "hearth") ? serveHelpText(options.entry) : "";
  const reports = new Map<NextEditConfigSpec, NextEditConfigReport>();
  const live = new Map<NextEditConfigSpec, LiveDaemon>();
  const homes: string[] = [];
  try {
    for (const spec of options.configs) {
      const report = emptyReport(spec);
      reports.set(spec, report);
      if (spec.kind === "llama-server") {
        report.serverProps = await llamaServerProps(spec.url);
        continue;
      }
      report.serveArgs = await serveArgsFor(spec, help, log);
      const home = mkdtempSync(path.join(os.tmpdir(), "hearth-bench-"));
      homes.push(home);
      log(`starting ${spec.label}: hearth serve ${report.serveArgs.join(" ")}`);
      const { daemon, info } = await BenchDaemon.start({ entry: options.entry, home, serveArgs: report.serveArgs });
      const control = await connectBench(info, null).catch(async (error: unknown) => {
        await daemon.stop(info).catch(() => daemon.kill());
        throw error;
      });
      const running: LiveDaemon = { daemon, info, control, home };
      live.set(spec, running);
      await daemon.waitReady(control);
      report.nextEditModel = await loadNextEditModel(running, options.maxTokens);
      log(`${spec.label}: next-edit model ${report.nextEditModel?.name ?? "?"} (${report.nextEditModel?.format ?? "?"}) answered its first request in ${report.nextEditModel?.loadMs ?? "?"} ms`);
    }

    for (const trace of options.traces) {
      for (const spec of options.configs) {
        const report = reports.get(spec) as NextEditConfigReport;
        log(`replaying ${trace.name} (${countKeystrokes(trace)} keystrokes, ${(traceDurationMs(trace) / 1000).toFixed(0)} s) on ${spec.label}`);
        const running = live.get(spec);
        if (running) await replayOnHearth(running, report, trace, options);
        else if (spec.kind === "llama-server") await replayOnPeer(report, spec.url, trace, options);
        // Let the machine settle between replays.
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  } finally {
    for (const running of live.values()) {
      running.control.dispose();
      await running.daemon.stop(running.info).catch(() => running.daemon.kill());
    }
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  }
  for (const report of reports.values()) report.warm = warmFigure(report.traces);

  return {
    format: NEXT_EDIT_REPORT_FORMAT,
    version: 1,
    startedAt: startedAt.toISOString(),
    ...(options.command !== undefined ? { command: options.command } : {}),
    durationMs: Math.round(performance.now() - started),
    hearthVersion: HEARTH_VERSION,
    machine,
    maxTokens: options.maxTokens,
    settleMs: Defaults.nextEditSettleMs,
    goal: { evaluatedShareAtMost: WARM_SHARE_GOAL, what: "after a document's first next-edit request, the share of its prompt each request within the same edit evaluates" },
    traces: options.traces.map((t) => ({
      name: t.name,
      description: t.description,
      keystrokes: countKeystrokes(t),
      applies: t.events.filter((e) => e.type === "apply").length,
      scheduledMs: traceDurationMs(t),
    })),
    configs: options.configs.map((spec) => reports.get(spec) ?? emptyReport(spec)),
  };
}
