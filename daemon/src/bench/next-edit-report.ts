/**
 * The next-edit bench's figures: per trace and configuration, every request (its place in the
 * editing, prompt and evaluated tokens, latency, drafted/accepted tokens, the share of the
 * window its output copied), their p50/p95, and the warm-cache goal: after a document's
 * first request, each request within the same edit evaluates at most 25% of its prompt.
 * JSON for files, Markdown for docs/performance.md.
 */
import type { RequestMetrics } from "../protocol.js";
import type { MachineInfo } from "../machine.js";
import { NEXT_EDIT_CONTEXTS, type NextEditCall, type NextEditContext, type NextEditReplayResult } from "./next-edit-replay.js";
import { latencyStats, type LatencyStats } from "./stats.js";

export const NEXT_EDIT_REPORT_FORMAT = "hearth-next-edit-bench-report";

/** The goal: a request within the edit in progress evaluates at most this share of its prompt. */
export const WARM_SHARE_GOAL = 0.25;

/** One request as the report keeps it. */
export interface NextEditRequestRecord {
  context: NextEditContext;
  trigger: NextEditCall["trigger"];
  outcome: NextEditCall["outcome"];
  /** Milliseconds from the replay's start. */
  sentMs: number;
  latencyMs: number | null;
  promptTokens: number | null;
  evaluatedTokens: number | null;
  evaluatedShare: number | null;
  generatedTokens: number | null;
  draftTokens: number | null;
  acceptedTokens: number | null;
  copied: number | null;
  edits: number | null;
}

export interface NextEditContextStats {
  completed: number;
  promptTokens: LatencyStats;
  evaluatedTokens: LatencyStats;
  /** Evaluated ÷ prompt tokens per completed request (0..1). */
  evaluatedShare: LatencyStats;
  /** Request sent to answer. */
  latencyMs: LatencyStats;
}

/** What the daemon's own log says it did for next edits during the replay, cancelled requests included. */
export interface NextEditServerWork {
  requests: number;
  cancelled: number;
  promptTokens: number;
  evaluatedTokens: number;
  generatedTokens: number;
  draftTokens: number;
  acceptedTokens: number;
  complete: boolean;
}

export interface NextEditTraceSummary {
  trace: string;
  durationMs: number;
  scheduledMs: number;
  keystrokes: number;
  applies: number;
  appliesMatched: number;
  sent: number;
  completed: number;
  cancelled: number;
  failed: number;
  /** Over completed requests. */
  promptTokens: LatencyStats;
  evaluatedTokens: LatencyStats;
  evaluatedShare: LatencyStats;
  latencyMs: LatencyStats;
  serverMs: LatencyStats;
  generatedTokens: number;
  draftTokens: number;
  acceptedTokens: number;
  acceptanceRate: number | null;
  /** The share of the window the output copied, over completed requests whose output was a finished window. */
  copied: LatencyStats;
  byContext: Record<NextEditContext, NextEditContextStats>;
  serverWork: NextEditServerWork | null;
  maxKeyLagMs: number;
  requests: NextEditRequestRecord[];
  errors: string[];
}

export interface NextEditConfigReport {
  label: string;
  kind: "hearth" | "llama-server";
  /** How it was set up: the serve arguments, or the server's URL and what /props says. */
  serveArgs: string[] | null;
  url: string | null;
  serverProps: Record<string, unknown> | null;
  /** The next-edit model as the daemon reports it, its format, and the first request's time (loading it). */
  nextEditModel: { name: string | null; source: string | null; format: string | null; loadMs: number | null } | null;
  traces: NextEditTraceSummary[];
  /** Requests within an edit after the document's first, over every trace: the warm-cache goal. */
  warm: WarmFigure;
  problems: string[];
}

export interface WarmFigure {
  requests: number;
  evaluatedShare: LatencyStats;
  promptTokens: number;
  evaluatedTokens: number;
  /** Every such request within the goal; null when there were none. */
  meetsGoal: boolean | null;
}

export interface NextEditBenchReport {
  format: typeof NEXT_EDIT_REPORT_FORMAT;
  version: 1;
  startedAt: string;
  command?: string;
  durationMs: number;
  hearthVersion: string;
  machine: MachineInfo;
  maxTokens: number;
  settleMs: number;
  goal: { evaluatedShareAtMost: number; what: string };
  traces: { name: string; description: string; keystrokes: number; applies: number; scheduledMs: number }[];
  configs: NextEditConfigReport[];
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

function shareOf(call: NextEditCall): number | null {
  const u = call.usage;
  return u !== null && u.promptTokens > 0 ? round3(u.evaluatedTokens / u.promptTokens) : null;
}

function record(call: NextEditCall): NextEditRequestRecord {
  const u = call.usage;
  return {
    context: call.context,
    trigger: call.trigger,
    outcome: call.outcome,
    sentMs: Math.round(call.sentMs),
    latencyMs: call.doneMs === null ? null : Math.round(call.doneMs - call.sentMs),
    promptTokens: u?.promptTokens ?? null,
    evaluatedTokens: u?.evaluatedTokens ?? null,
    evaluatedShare: shareOf(call),
    generatedTokens: u?.generatedTokens ?? null,
    draftTokens: u?.draftTokens ?? null,
    acceptedTokens: u?.acceptedTokens ?? null,
    copied: call.copied,
    edits: call.edits,
  };
}

function contextStats(calls: readonly NextEditCall[]): NextEditContextStats {
  const usages = calls.flatMap((c) => (c.usage ? [c.usage] : []));
  return {
    completed: calls.length,
    promptTokens: latencyStats(usages.map((u) => u.promptTokens)),
    evaluatedTokens: latencyStats(usages.map((u) => u.evaluatedTokens)),
    evaluatedShare: shareStats(calls.flatMap((c) => (shareOf(c) !== null ? [shareOf(c) as number] : []))),
    latencyMs: latencyStats(calls.flatMap((c) => (c.doneMs !== null ? [c.doneMs - c.sentMs] : []))),
  };
}

/** Like latencyStats, for shares: three decimals kept. */
function shareStats(values: readonly number[]): LatencyStats {
  const s = latencyStats(values.map((v) => v * 1000));
  const back = (x: number | null): number | null => (x === null ? null : round3(x / 1000));
  return { count: s.count, p50: back(s.p50), p95: back(s.p95), max: back(s.max), mean: back(s.mean) };
}

export function nextEditServerWork(requests: readonly RequestMetrics[], complete: boolean): NextEditServerWork {
  const nextEdits = requests.filter((r) => r.kind === "nextEdit");
  const sum = (f: (r: RequestMetrics) => number): number => nextEdits.reduce((a, r) => a + f(r), 0);
  return {
    requests: nextEdits.length,
    cancelled: nextEdits.filter((r) => r.stopReason === "cancelled" || r.stopReason === "superseded").length,
    promptTokens: sum((r) => r.promptTokens),
    evaluatedTokens: sum((r) => r.evaluatedTokens),
    generatedTokens: sum((r) => r.generatedTokens),
    draftTokens: sum((r) => r.draftTokens),
    acceptedTokens: sum((r) => r.acceptedTokens),
    complete,
  };
}

export function summarizeNextEdits(result: NextEditReplayResult, serverWork: NextEditServerWork | null = null): NextEditTraceSummary {
  const calls = result.calls;
  const completed = calls.filter((c) => c.outcome === "completed");
  const usages = completed.flatMap((c) => (c.usage ? [c.usage] : []));
  const sum = (f: (u: (typeof usages)[number]) => number): number => usages.reduce((a, u) => a + f(u), 0);
  const draftTokens = sum((u) => u.draftTokens);
  const acceptedTokens = sum((u) => u.acceptedTokens);
  return {
    trace: result.trace,
    durationMs: Math.round(result.durationMs),
    scheduledMs: result.scheduledMs,
    keystrokes: result.keystrokes,
    applies: result.applies,
    appliesMatched: result.appliesMatched,
    sent: calls.length,
    completed: completed.length,
    cancelled: calls.filter((c) => c.outcome === "cancelled").length,
    failed: calls.filter((c) => c.outcome === "failed").length,
    promptTokens: latencyStats(usages.map((u) => u.promptTokens)),
    evaluatedTokens: latencyStats(usages.map((u) => u.evaluatedTokens)),
    evaluatedShare: shareStats(completed.flatMap((c) => (shareOf(c) !== null ? [shareOf(c) as number] : []))),
    latencyMs: latencyStats(completed.flatMap((c) => (c.doneMs !== null ? [c.doneMs - c.sentMs] : []))),
    serverMs: latencyStats(usages.flatMap((u) => (u.serverMs !== null ? [u.serverMs] : []))),
    generatedTokens: sum((u) => u.generatedTokens),
    draftTokens,
    acceptedTokens,
    acceptanceRate: draftTokens > 0 ? round3(acceptedTokens / draftTokens) : null,
    copied: shareStats(completed.flatMap((c) => (c.copied !== null ? [c.copied] : []))),
    byContext: Object.fromEntries(NEXT_EDIT_CONTEXTS.map((context) => [context, contextStats(completed.filter((c) => c.context === context))])) as Record<NextEditContext, NextEditContextStats>,
    serverWork,
    maxKeyLagMs: Math.round(result.maxKeyLagMs),
    requests: calls.map(record),
    errors: [...new Set(calls.flatMap((c) => (c.error ? [c.error] : [])))],
  };
}

/** The warm-cache figure over a configuration's traces: completed requests within an edit after the document's first. */
export function warmFigure(traces: readonly NextEditTraceSummary[]): WarmFigure {
  const warm = traces.flatMap((t) => t.requests.filter((r) => r.context === "edit" && r.outcome === "completed" && r.evaluatedShare !== null));
  const shares = shareStats(warm.map((r) => r.evaluatedShare as number));
  return {
    requests: warm.length,
    evaluatedShare: shares,
    promptTokens: warm.reduce((a, r) => a + (r.promptTokens ?? 0), 0),
    evaluatedTokens: warm.reduce((a, r) => a + (r.evaluatedTokens ?? 0), 0),
    meetsGoal: warm.length === 0 ? null : (shares.max as number) <= WARM_SHARE_GOAL,
  };
}

/** What is inconsistent in a summary (empty when nothing is). */
export function nextEditProblems(s: NextEditTraceSummary): string[] {
  const problems: string[] = [];
  if (s.completed + s.cancelled + s.failed !== s.sent) problems.push(`completed ${s.completed} + cancelled ${s.cancelled} + failed ${s.failed} != sent ${s.sent}`);
  for (const r of s.requests) {
    if (r.promptTokens !== null && r.evaluatedTokens !== null && r.evaluatedTokens > r.promptTokens) problems.push(`a request evaluated ${r.evaluatedTokens} of ${r.promptTokens} prompt tokens`);
    if (r.draftTokens !== null && r.acceptedTokens !== null && r.acceptedTokens > r.draftTokens) problems.push(`a request accepted ${r.acceptedTokens} of ${r.draftTokens} drafted tokens`);
  }
  for (const [name, l] of [["latency", s.latencyMs], ["evaluated share", s.evaluatedShare]] as const) {
    if (l.p50 !== null && l.p95 !== null && l.max !== null && !(l.p50 <= l.p95 && l.p95 <= l.max)) problems.push(`${name}: p50 ${l.p50} <= p95 ${l.p95} <= max ${l.max} does not hold`);
  }
  if (s.appliesMatched > s.applies) problems.push(`matched accepts ${s.appliesMatched} > accepts ${s.applies}`);
  return [...new Set(problems)];
}

// ---------------------------------------------------------------------------------------
// Markdown

const dash = "–";

function num(x: number | null | undefined): string {
  return x === null || x === undefined ? dash : `${Math.round(x)}`;
}

function pct(x: number | null | undefined): string {
  return x === null || x === undefined ? dash : `${Math.round(x * 100)}%`;
}

function pair(l: LatencyStats, f: (x: number | null) => string): string {
  return l.count === 0 ? dash : `${f(l.p50)} / ${f(l.p95)}`;
}

function contextCell(c: NextEditContextStats): string {
  return c.completed === 0 ? dash : `${c.completed}, ${pct(c.evaluatedShare.p50)} / ${pct(c.evaluatedShare.max)}`;
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

export function warmLine(c: NextEditConfigReport): string {
  const w = c.warm;
  if (w.requests === 0) return `**${c.label}**: no completed request within an edit after the first`;
  const verdict = w.meetsGoal ? "met" : "not met";
  return `**${c.label}**: ${w.requests} requests within an edit after the first evaluated ${pct(w.evaluatedShare.p50)} of their prompt at the median, ${pct(w.evaluatedShare.p95)} at p95, ${pct(w.evaluatedShare.max)} at most (${w.evaluatedTokens} of ${w.promptTokens} tokens); goal ≤ ${pct(WARM_SHARE_GOAL)}: ${verdict}`;
}

function configLine(c: NextEditConfigReport): string {
  if (c.kind === "llama-server") return `**${c.label}**: ${c.serverProps?.model_path !== undefined ? String(c.serverProps.model_path).split("/").pop() : (c.url ?? dash)} (a plain client: the whole Sweep prompt as text to /completion, cache_prompt on)`;
  const m = c.nextEditModel;
  return `**${c.label}**: next-edit model ${m?.name ?? dash} (format ${m?.format ?? dash}; first request, loading it: ${num(m?.loadMs)} ms); \`hearth serve ${(c.serveArgs ?? []).join(" ")}\``;
}

/** The tables for docs/performance.md and the terminal. */
export function renderNextEditMarkdown(report: NextEditBenchReport): string {
  const header = [
    "trace",
    "config",
    "sent / cancelled / completed",
    "prompt tokens p50",
    "evaluated p50 / p95",
    "latency p50 / p95 (ms)",
    "drafted / accepted",
    "copied p50 (n)",
    "first: n, evaluated p50 / max",
    "new edit: same",
    "same edit after the first (goal ≤ 25%): same",
    "after Tab: same",
  ];
  const rows: string[][] = [];
  for (const trace of report.traces) {
    for (const config of report.configs) {
      const s = config.traces.find((t) => t.trace === trace.name);
      if (!s) continue;
      rows.push([
        trace.name,
        config.label,
        `${s.sent} / ${s.cancelled} / ${s.completed}`,
        num(s.promptTokens.p50),
        pair(s.evaluatedTokens, num),
        pair(s.latencyMs, num),
        `${s.draftTokens} / ${s.acceptedTokens}`,
        s.copied.count === 0 ? dash : `${pct(s.copied.p50)} (${s.copied.count})`,
        contextCell(s.byContext.first),
        contextCell(s.byContext["new-edit"]),
        contextCell(s.byContext.edit),
        contextCell(s.byContext.accept),
      ]);
    }
  }
  const traces = report.traces.map((t) => `- \`${t.name}\`: ${t.description} (${t.keystrokes} keystrokes, ${t.applies} accepted suggestions, ${(t.scheduledMs / 1000).toFixed(0)} s)`);
  return [
    `Measured ${report.startedAt.slice(0, 10)} on ${report.machine.cpu}, ${report.machine.logicalCores} logical cores (load ${report.machine.loadAverage1m} at start); at most ${report.maxTokens} generated tokens a request; the whole run took ${(report.durationMs / 1000).toFixed(0)} s.`,
    ...(report.command !== undefined ? ["", `Command: \`${report.command}\``] : []),
    "",
    ...report.configs.map((c) => `- ${configLine(c)}`),
    "",
    ...traces,
    "",
    table(header, rows),
    "",
    ...report.configs.map((c) => `- ${warmLine(c)}`),
    "",
  ].join("\n");
}
