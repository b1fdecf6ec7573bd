/**
 * Runs a bench: measures the machine, starts one daemon per Hearth configuration on a
 * temporary home (timing start and model load), replays every trace against every
 * configuration — interleaved, trace by trace, so a noisy neighbour hurts all columns
 * alike — then measures restart-to-first-completion on the same home (saved state) and on
 * a fresh one, and stops everything it started.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { HearthClient } from "../client/hearth-client.js";
import type { DiscoveryInfo } from "../discovery.js";
import type { StatusResult } from "../protocol.js";
import { HEARTH_VERSION } from "../version.js";
import { fileBytes, resolveHearthConfig, switchPrecision, type ConfigSpec, type HearthConfigSpec, type ResolvedHearthConfig } from "./bench-config.js";
import { BenchDaemon, connectBench, serveHelpText } from "./bench-daemon.js";
import { bandwidthFloor, describeMachine, measureReadBandwidth, type Bandwidth } from "../machine.js";
import { replayTrace, type ReplayDriver } from "./replay.js";
import { HearthDriver } from "./replay-hearth.js";
import { llamaServerProps, LlamaServerDriver } from "./replay-llama-server.js";
import { REPORT_FORMAT, type BenchReport, type ConfigReport, type RestartResult } from "./report.js";
import { summarizeReplay, summaryProblems } from "./stats.js";
import { countKeystrokes, traceDurationMs, type Trace } from "./trace.js";
import { expandTrace, TraceEditor, workspaceFolderUri } from "./trace-editor.js";
import { RequestLog } from "./request-log.js";

export interface BenchOptions {
  /** The command line that ran the bench, kept in the report. */
  command?: string;
  traces: Trace[];
  configs: ConfigSpec[];
  /** The `hearth` entry script daemons are started with. */
  entry: string;
  maxTokens: number;
  /** Measure restart to first completion (stops and restarts each daemon). */
  restart: boolean;
  log: (line: string) => void;
  /** For tests: a smaller buffer makes the bandwidth measurement quick. */
  bandwidthBufferBytes?: number;
}

interface LiveHearth {
  resolved: ResolvedHearthConfig;
  home: string;
  daemon: BenchDaemon;
  info: DiscoveryInfo;
  control: HearthClient;
  report: ConfigReport;
}

function emptyReport(spec: ConfigSpec): ConfigReport {
  const requested: Record<string, string | number> = {};
  if (spec.kind === "hearth") {
    requested.model = spec.model;
    for (const key of ["precision", "kv", "spec", "draft", "threads", "ctx"] as const) if (spec[key] !== undefined) requested[key] = spec[key];
  } else requested.url = spec.url;
  return {
    label: spec.label,
    kind: spec.kind,
    requested,
    model: null,
    device: null,
    serveArgs: null,
    url: spec.kind === "llama-server" ? spec.url : null,
    serverProps: null,
    start: null,
    memory: null,
    floor: null,
    restart: null,
    traces: [],
    problems: [],
  };
}

function modelFromStatus(status: StatusResult, resolved: ResolvedHearthConfig): ConfigReport["model"] {
  const file = status.model.path ?? resolved.modelFile;
  return {
    source: resolved.spec.model,
    file,
    fileBytes: fileBytes(file),
    name: status.model.name,
    precision: status.model.precision,
    kvCacheType: status.model.kvCacheType,
    contextSize: status.model.contextSize,
    draft: status.model.draft,
  };
}

async function startHearth(resolved: ResolvedHearthConfig, options: BenchOptions, home: string): Promise<LiveHearth> {
  const report = emptyReport(resolved.spec);
  report.serveArgs = resolved.serveArgs;
  const { daemon, info, listeningMs } = await BenchDaemon.start({ entry: options.entry, home, serveArgs: resolved.serveArgs });
  let control: HearthClient | null = null;
  try {
    control = await connectBench(info, null);
    const loadStarted = performance.now();
    let status = await daemon.waitReady(control);
    const modelLoadMs = performance.now() - loadStarted;
    const readyMs = performance.now() - daemon.spawnedAt;
    // hearth/precision/set wants an initialized session; a folder-less one takes no KV cache.
    if (resolved.switchTo !== null) await control.initialize(null, "hearth-bench-control");
    const precisionSwitchMs = await switchPrecision(control, status, resolved);
    if (precisionSwitchMs !== null) status = await control.status();
    report.start = { listeningMs: Math.round(listeningMs), modelLoadMs: Math.round(modelLoadMs), readyMs: Math.round(readyMs), precisionSwitchMs: precisionSwitchMs === null ? null : Math.round(precisionSwitchMs) };
    report.model = modelFromStatus(status, resolved);
    report.device = status.device;
    return { resolved, home, daemon, info, control, report };
  } catch (error) {
    control?.dispose();
    await daemon.stop(info).catch(() => daemon.kill());
    throw error;
  }
}

async function replayOnHearth(live: LiveHearth, trace: Trace, options: BenchOptions): Promise<void> {
  const driver = await HearthDriver.connect(live.info, trace, { maxTokens: options.maxTokens });
  const log = await RequestLog.start(live.control);
  // The log keeps 50 requests; reading it every second keeps up with any trace.
  const poller = setInterval(() => void log.poll().catch(() => undefined), 1000);
  try {
    const result = await replayTrace(trace, driver);
    clearInterval(poller);
    await log.poll();
    const summary = summarizeReplay(result, { requests: log.requests, complete: log.complete });
    live.report.traces.push(summary);
    live.report.problems.push(...summaryProblems(summary).map((p) => `${trace.name}: ${p}`));
  } finally {
    clearInterval(poller);
    driver.dispose();
  }
}

async function replayOnPeer(report: ConfigReport, url: string, trace: Trace, options: BenchOptions): Promise<void> {
  const driver: ReplayDriver = new LlamaServerDriver(url, { nPredict: options.maxTokens });
  const summary = summarizeReplay(await replayTrace(trace, driver));
  report.traces.push(summary);
  report.problems.push(...summaryProblems(summary).map((p) => `${trace.name}: ${p}`));
}

/**
 * The last trace's active file as it ends, with its cursor: what a user reopens after a
 * restart. The last trace, because its workspace's cache (saved on stop) holds that file.
 */
function restartDocument(trace: Trace): { folder: { uri: string; name: string }; uri: string; languageId: string; text: string; position: { line: number; character: number } } {
  const editor = new TraceEditor(trace);
  for (const step of expandTrace(trace)) editor.apply(step);
  const file = editor.active ?? [...editor.files.values()][0];
  if (!file) throw new Error(`trace ${trace.name} has no file`);
  return { folder: { uri: workspaceFolderUri(file.trace.workspace), name: file.trace.workspace }, uri: file.uri, languageId: file.trace.languageId, text: file.text, position: file.cursorPosition };
}

async function measureRestart(resolved: ResolvedHearthConfig, home: string, trace: Trace, options: BenchOptions): Promise<RestartResult> {
  const doc = restartDocument(trace);
  const { daemon, info, listeningMs } = await BenchDaemon.start({ entry: options.entry, home, serveArgs: resolved.serveArgs });
  const client = await connectBench(info, doc.folder).catch(async (error: unknown) => {
    await daemon.stop(info).catch(() => daemon.kill());
    throw error;
  });
  try {
    const loadStarted = performance.now();
    await daemon.waitReady(client);
    const modelLoadMs = performance.now() - loadStarted;
    if (resolved.switchTo !== null) await switchPrecision(client, await client.status(), resolved);
    await client.open({ uri: doc.uri, languageId: doc.languageId, version: 1, text: doc.text });
    const sent = performance.now();
    const result = await client.complete({ textDocument: { uri: doc.uri }, position: doc.position, context: { triggerKind: 2 }, hearth: { maxTokens: options.maxTokens, mode: "auto" } });
    const done = performance.now();
    return {
      listeningMs: Math.round(listeningMs),
      modelLoadMs: Math.round(modelLoadMs),
      completionMs: Math.round(done - sent),
      totalMs: Math.round(done - daemon.spawnedAt),
      promptTokens: result.metrics.promptTokens,
      reusedTokens: result.metrics.reusedTokens,
      evaluatedTokens: result.metrics.evaluatedTokens,
    };
  } finally {
    client.dispose();
    await daemon.stop(info).catch(() => daemon.kill());
  }
}

function tempHome(): string {
  return mkdtempSync(path.join(os.tmpdir(), "hearth-bench-"));
}

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const startedAt = new Date();
  const started = performance.now();
  const log = options.log;
  const machine = describeMachine();
  log(`measuring memory read bandwidth`);
  const bandwidth: Bandwidth = measureReadBandwidth(options.bandwidthBufferBytes === undefined ? {} : { bufferBytes: options.bandwidthBufferBytes });
  const help = options.configs.some((c) => c.kind === "hearth") ? serveHelpText(options.entry) : "";

  const resolved = new Map<ConfigSpec, ResolvedHearthConfig>();
  for (const spec of options.configs) if (spec.kind === "hearth") resolved.set(spec, await resolveHearthConfig(spec, help, log));

  const live = new Map<ConfigSpec, LiveHearth>();
  const peers = new Map<ConfigSpec, ConfigReport>();
  const homes: string[] = [];
  try {
    for (const spec of options.configs) {
      if (spec.kind === "hearth") {
        const home = tempHome();
        homes.push(home);
        log(`starting ${spec.label}: hearth serve ${(resolved.get(spec) as ResolvedHearthConfig).serveArgs.join(" ")}`);
        const running = await startHearth(resolved.get(spec) as ResolvedHearthConfig, options, home);
        log(`${spec.label}: listening after ${running.report.start?.listeningMs} ms, model ready ${running.report.start?.modelLoadMs} ms later`);
        live.set(spec, running);
      } else {
        const report = emptyReport(spec);
        report.serverProps = await llamaServerProps(spec.url);
        peers.set(spec, report);
      }
    }

    for (const trace of options.traces) {
      for (const spec of options.configs) {
        log(`replaying ${trace.name} (${countKeystrokes(trace)} keystrokes, ${(traceDurationMs(trace) / 1000).toFixed(0)} s) on ${spec.label}`);
        const running = live.get(spec);
        if (running) await replayOnHearth(running, trace, options);
        else if (spec.kind === "llama-server") await replayOnPeer(peers.get(spec) as ConfigReport, spec.url, trace, options);
        // Let the machine settle between replays.
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }

    for (const running of live.values()) {
      const status = await running.control.status();
      running.report.memory = status.memory;
      const modelBytes = status.memory.modelBytes > 0 ? status.memory.modelBytes : (running.report.model?.fileBytes ?? 0);
      if (modelBytes > 0) running.report.floor = { modelBytes, ...bandwidthFloor(modelBytes, bandwidth) };
    }

    for (const running of live.values()) {
      running.control.dispose();
      await running.daemon.stop(running.info);
      const last = options.traces[options.traces.length - 1];
      if (!options.restart || last === undefined) continue;
      log(`${running.report.label}: restart on the same home (saved state), then on a fresh home`);
      const withSavedState = await measureRestart(running.resolved, running.home, last, options);
      const fresh = tempHome();
      homes.push(fresh);
      const withoutSavedState = await measureRestart(running.resolved, fresh, last, options);
      running.report.restart = { withSavedState, withoutSavedState };
    }
  } finally {
    for (const running of live.values()) {
      running.control.dispose();
      await running.daemon.stop(running.info).catch(() => running.daemon.kill());
    }
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  }

  return {
    format: REPORT_FORMAT,
    version: 1,
    startedAt: startedAt.toISOString(),
    ...(options.command !== undefined ? { command: options.command } : {}),
    durationMs: Math.round(performance.now() - started),
    hearthVersion: HEARTH_VERSION,
    machine,
    bandwidth,
    maxTokens: options.maxTokens,
    traces: options.traces.map((t) => ({ name: t.name, description: t.description, keystrokes: countKeystrokes(t), scheduledMs: traceDurationMs(t) })),
    configs: options.configs.map((spec) => (live.get(spec)?.report ?? peers.get(spec) ?? emptyReport(spec)) as ConfigReport),
  };
}

export type { HearthConfigSpec };
