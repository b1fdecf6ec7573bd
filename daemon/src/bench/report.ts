/**
 * The bench's report: JSON (everything, for files and tools) and Markdown (tables for a
 * terminal, a pull request or the README). One column per configuration, then each other
 * column's ratio to the first, because on a shared machine ratios taken in one run mean
 * more than absolute figures taken at different times.
 */
import type { MemoryInfo } from "../protocol.js";
import type { Bandwidth, MachineInfo } from "../machine.js";
import { CALL_CONTEXTS, type CallContext } from "./replay.js";
import type { ContextStats, LatencyStats, TraceSummary } from "./stats.js";

export const REPORT_FORMAT = "hearth-bench-report";

export interface RestartResult {
  /** Process start to listening. */
  listeningMs: number;
  /** Listening to model ready. */
  modelLoadMs: number;
  /** The first completion request's own time (sent to result). */
  completionMs: number;
  /** Process start to the first completion's result: what a user waits after a restart. */
  totalMs: number;
  promptTokens: number;
  reusedTokens: number;
  evaluatedTokens: number;
}

export interface ConfigReport {
  label: string;
  kind: "hearth" | "llama-server";
  /** What was asked (model source, flags) and what the daemon says it runs. */
  requested: Record<string, string | number>;
  model: { source: string; file: string | null; fileBytes: number | null; name: string | null; precision: string | null; kvCacheType: string | null; contextSize: number | null; draft: string | null } | null;
  device: { kind: string; name: string; threads: number } | null;
  serveArgs: string[] | null;
  url: string | null;
  serverProps: Record<string, unknown> | null;
  start: { listeningMs: number; modelLoadMs: number; readyMs: number; precisionSwitchMs: number | null } | null;
  memory: MemoryInfo | null;
  /** Model bytes ÷ measured read bandwidth: the least time per generated token. */
  floor: { modelBytes: number; msPerToken: number; tokensPerS: number } | null;
  restart: { withSavedState: RestartResult; withoutSavedState: RestartResult } | null;
  traces: TraceSummary[];
  /** Problems with this configuration's figures (inconsistent counts), empty when none. */
  problems: string[];
}

export interface BenchReport {
  format: typeof REPORT_FORMAT;
  version: 1;
  startedAt: string;
  /** The command that made it (reports before it was kept have none). */
  command?: string;
  durationMs: number;
  hearthVersion: string;
  machine: MachineInfo;
  bandwidth: Bandwidth;
  maxTokens: number;
  traces: { name: string; description: string; keystrokes: number; scheduledMs: number }[];
  configs: ConfigReport[];
}

// ---------------------------------------------------------------------------------------
// Markdown

const dash = "–";

/** Milliseconds as a number, for cells whose row says "(ms)". */
function ms(x: number | null | undefined): string {
  return x === null || x === undefined ? dash : `${Math.round(x)}`;
}

/** A duration with its unit, for cells in prose. */
function duration(x: number | null | undefined): string {
  return x === null || x === undefined ? dash : x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`;
}

function num(x: number | null | undefined, digits = 0): string {
  return x === null || x === undefined ? dash : x.toFixed(digits);
}

function bytes(x: number | null | undefined): string {
  if (x === null || x === undefined) return dash;
  if (x >= 1024 ** 3) return `${(x / 1024 ** 3).toFixed(2)} GiB`;
  if (x >= 1024 ** 2) return `${(x / 1024 ** 2).toFixed(1)} MiB`;
  return `${(x / 1024).toFixed(0)} KiB`;
}

function percent(x: number | null): string {
  return x === null ? dash : `${Math.round(x * 100)}%`;
}

function triple(l: LatencyStats): string {
  return l.count === 0 ? dash : `${ms(l.p50)} / ${ms(l.p95)} / ${ms(l.max)}`;
}

function ratio(a: number | null | undefined, b: number | null | undefined): string {
  return a === null || a === undefined || b === null || b === undefined || a === 0 ? dash : `${(b / a).toFixed(2)}×`;
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

export function machineLine(report: BenchReport): string {
  const m = report.machine;
  return `${m.cpu}, ${m.logicalCores} logical cores, ${bytes(m.ramBytes)} RAM (load ${m.loadAverage1m} at start), ${m.platform}, Node ${m.node}; memory read bandwidth ${(report.bandwidth.bytesPerSecond / 1e9).toFixed(1)} GB/s (${report.bandwidth.method})`;
}

function modelCell(c: ConfigReport): string {
  if (c.kind === "llama-server") return c.serverProps?.model_path !== undefined ? String(c.serverProps.model_path) : (c.url ?? dash);
  const m = c.model;
  if (m === null) return dash;
  return `${m.name ?? path(m.file ?? m.source)} ${m.precision ?? ""}`.trim();
}

function path(file: string): string {
  return file.split("/").pop() ?? file;
}

function restartCell(r: RestartResult | undefined): string {
  if (r === undefined) return dash;
  return `${duration(r.totalMs)} (load ${duration(r.modelLoadMs)}, completion ${duration(r.completionMs)}; reused ${r.reusedTokens}/${r.promptTokens} tokens)`;
}

const CONTEXT_LABELS: Record<CallContext, string> = {
  first: "first in a file or after a jump",
  switch: "first after switching files",
  accept: "accepting a suggestion (the trace's text)",
  "new-line": "first on a new line",
  line: "within a line",
};

/** n, evaluated tokens p50 / p95, server time to first token p50, latency p50 (reports from before these figures show a dash). */
function contextCell(c: ContextStats | undefined): string {
  if (c === undefined || c.evaluatedTokens.count === 0) return dash;
  return `${c.evaluatedTokens.count}, ${num(c.evaluatedTokens.p50)} / ${num(c.evaluatedTokens.p95)}, ${ms(c.serverFirstTokenMs?.p50)}, ${ms(c.latencyMs.p50)}`;
}

/** The whole report as Markdown: configurations, then one table per trace with each other column's ratio to the first. */
export function renderMarkdown(report: BenchReport): string {
  const configs = report.configs;
  const [first, ...others] = configs;
  const header = ["", ...configs.map((c) => c.label)];
  const out: string[] = [];
  out.push(`## hearth bench, ${report.startedAt.slice(0, 16).replace("T", " ")} UTC (${(report.durationMs / 1000).toFixed(0)} s)`);
  out.push("");
  out.push(`Machine: ${machineLine(report)}. Completions ask for at most ${report.maxTokens} tokens.`);
  out.push("");
  const rows: string[][] = [
    ["model", ...configs.map(modelCell)],
    ["model file", ...configs.map((c) => bytes(c.model?.fileBytes))],
    ["device / threads", ...configs.map((c) => (c.device ? `${c.device.kind} / ${c.device.threads}` : dash))],
    ["KV cache type / context", ...configs.map((c) => (c.model?.kvCacheType ? `${c.model.kvCacheType} / ${c.model.contextSize ?? dash}` : dash))],
    ["speculation", ...configs.map((c) => (c.kind === "hearth" ? String(c.requested.spec ?? "daemon default") + (c.model?.draft ? ` (draft ${path(c.model.draft)})` : "") : dash))],
    ["start: listening / model load (ms)", ...configs.map((c) => (c.start ? `${ms(c.start.listeningMs)} / ${ms(c.start.modelLoadMs)}` : dash))],
    ["memory: daemon RSS / weights / KV", ...configs.map((c) => (c.memory ? `${bytes(c.memory.daemonRssBytes)} / ${bytes(c.memory.modelBytes)} / ${bytes(c.memory.kvBytes)}` : dash))],
    ["VRAM used", ...configs.map((c) => (c.memory && c.memory.vramTotalBytes > 0 ? bytes(c.memory.vramUsedBytes) : dash))],
    ["bandwidth floor (ms/token, tokens/s ceiling)", ...configs.map((c) => (c.floor ? `${c.floor.msPerToken} ms, ${c.floor.tokensPerS}/s` : dash))],
    ["restart → first completion, saved state", ...configs.map((c) => restartCell(c.restart?.withSavedState))],
    ["restart → first completion, fresh home", ...configs.map((c) => restartCell(c.restart?.withoutSavedState))],
  ];
  out.push(table(header, rows));
  for (const trace of report.traces) {
    const sums = configs.map((c) => c.traces.find((t) => t.trace === trace.name));
    const get = <T>(f: (s: TraceSummary) => T): (T | undefined)[] => sums.map((s) => (s === undefined ? undefined : f(s)));
    const row = (name: string, cells: (string | undefined)[], pick?: (s: TraceSummary) => number | null): string[] => [
      name,
      ...cells.map((x) => x ?? dash),
      ...others.map((_, i) => {
        const base = sums[0];
        const other = sums[i + 1];
        return pick && base && other ? ratio(pick(base), pick(other)) : "";
      }),
    ];
    out.push("");
    out.push(`### ${trace.name}: ${trace.keystrokes} keystrokes over ${(trace.scheduledMs / 1000).toFixed(0)} s`);
    out.push("");
    out.push(trace.description);
    out.push("");
    const traceRows: string[][] = [
      row("latency keystroke → result p50 / p95 / max (ms)", get((s) => triple(s.latencyMs)), (s) => s.latencyMs.p50),
      row("keystroke → first token p50 / p95 / max (ms)", get((s) => triple(s.firstTokenMs)), (s) => s.firstTokenMs.p50),
      row("server time per request p50 / p95 (ms)", get((s) => (s.serverMs.count === 0 ? dash : `${ms(s.serverMs.p50)} / ${ms(s.serverMs.p95)}`)), (s) => s.serverMs.p50),
      row("requests sent / cancelled / completed / failed", get((s) => `${s.sent} / ${s.cancelled} / ${s.completed} / ${s.failed}`), (s) => s.sent),
      row("keystrokes debounced / client cache / skipped", get((s) => `${s.debounced} / ${s.clientCacheHits} / ${s.skipped}`)),
      row("prompt tokens / evaluated (cache reuse)", get((s) => `${s.promptTokens} / ${s.evaluatedTokens} (${percent(s.cacheReuse)})`), (s) => s.evaluatedTokens),
      row("all requests incl. cancelled: evaluated / generated tokens", get((s) => (s.serverWork ? `${s.serverWork.evaluatedTokens} / ${s.serverWork.generatedTokens}${s.serverWork.complete ? "" : " (partial)"}` : dash))),
      row("generated tokens; decode tokens/s", get((s) => `${s.generatedTokens}; ${num(s.decodeTokensPerS, 1)}`), (s) => s.decodeTokensPerS),
      row("prefill tokens/s", get((s) => num(s.prefillTokensPerS, 0)), (s) => s.prefillTokensPerS),
      row("speculation drafted / accepted (rate)", get((s) => `${s.draftTokens} / ${s.acceptedTokens} (${percent(s.acceptanceRate)})`)),
      row("accepted suggestions the model had right", get((s) => `${s.acceptsMatched} of ${s.accepts}`)),
      row("evaluated tokens per typed key after the first, p50 / p95 / max", get((s) => triple(s.keystrokeEvaluated)), (s) => s.keystrokeEvaluated.p95),
      ...CALL_CONTEXTS.map((context) =>
        row(`${CONTEXT_LABELS[context]}: n, evaluated p50 / p95, first token p50, latency p50 (ms)`, get((s) => contextCell(s.byContext[context])), (s) => s.byContext[context].latencyMs.p50),
      ),
    ];
    out.push(table([...header, ...others.map((o) => `${o.label} ÷ ${first?.label ?? ""}`)], traceRows));
    const errors = sums.flatMap((s, i) => (s && s.errors.length > 0 ? [`${configs[i]?.label}: ${s.errors.slice(0, 3).join("; ")}`] : []));
    if (errors.length > 0) out.push("", `Errors: ${errors.join(" · ")}`);
  }
  const problems = configs.flatMap((c) => c.problems.map((p) => `${c.label}: ${p}`));
  if (problems.length > 0) out.push("", `**Inconsistent figures:** ${problems.join("; ")}`);
  out.push("");
  return out.join("\n");
}

/** The compact table the README shows: one row per trace and configuration. */
export function renderReadmeTable(report: BenchReport): string {
  const out: string[] = [];
  const configs = report.configs.map((c) => {
    const threads = c.device ? `, ${c.device.threads} thread${c.device.threads === 1 ? "" : "s"}` : "";
    return `**${c.label}**: ${modelCell(c)}${c.model?.fileBytes ? ` (${bytes(c.model.fileBytes)})` : ""}${threads}, KV ${c.model?.kvCacheType ?? dash}, speculation ${String(c.requested.spec ?? "default")}; start ${duration(c.start?.listeningMs)} + load ${duration(c.start?.modelLoadMs)}; RSS ${bytes(c.memory?.daemonRssBytes)}; decode ceiling from bandwidth ${c.floor ? `${c.floor.tokensPerS} tok/s` : dash}; restart → first completion ${duration(c.restart?.withSavedState.totalMs)} with saved state (reused ${c.restart?.withSavedState.reusedTokens ?? dash} of ${c.restart?.withSavedState.promptTokens ?? dash} tokens), ${duration(c.restart?.withoutSavedState.totalMs)} from a fresh home`;
  });
  out.push(`Measured ${report.startedAt.slice(0, 10)} on ${machineLine(report)}. The whole run took ${(report.durationMs / 1000).toFixed(0)} s.`);
  if (report.command !== undefined) out.push("", `Command: \`${report.command}\``);
  out.push("");
  for (const line of configs) out.push(`- ${line}`);
  out.push("");
  const rows: string[][] = [];
  for (const trace of report.traces) {
    for (const c of report.configs) {
      const s = c.traces.find((t) => t.trace === trace.name);
      if (!s) continue;
      rows.push([
        trace.name,
        c.label,
        `${s.sent} / ${s.cancelled} / ${s.completed}`,
        triple(s.latencyMs),
        ms(s.firstTokenMs.p50),
        `${s.evaluatedTokens} / ${s.promptTokens} (${percent(s.cacheReuse)})`,
        s.keystrokeEvaluated === undefined || s.keystrokeEvaluated.count === 0 ? dash : `${num(s.keystrokeEvaluated.p50)} / ${num(s.keystrokeEvaluated.p95)}`,
        contextCell(s.byContext?.line),
        contextCell(s.byContext?.["new-line"]),
        contextCell(s.byContext?.switch),
        num(s.decodeTokensPerS, 1),
      ]);
    }
  }
  out.push(
    table(
      [
        "trace",
        "config",
        "sent / cancelled / completed",
        "latency p50 / p95 / max (ms)",
        "first token p50 (ms)",
        "evaluated / prompt tokens (reuse)",
        "evaluated per typed key after the first, p50 / p95",
        "within a line: n, evaluated p50 / p95, first token p50, latency p50 (ms)",
        "first on a new line: same",
        "first after a file switch: same",
        "decode tok/s",
      ],
      rows,
    ),
  );
  return out.join("\n");
}
