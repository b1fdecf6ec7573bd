/**
 * Turns a replay's call records into the figures the bench reports. Counts partition the
 * keystrokes (every keystroke asks for one completion, and each ends one way), so a
 * report can be checked for consistency: keystrokes = debounced + client-cache + skipped +
 * sent, and sent = completed + cancelled + failed.
 */
import type { RequestMetrics } from "../protocol.js";
import { CALL_CONTEXTS, type CallContext, type CompletionCall, type ReplayResult } from "./replay.js";

export interface LatencyStats {
  count: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
  mean: number | null;
}

/** Nearest-rank percentile of sorted values (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? null;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

export function latencyStats(values: readonly number[]): LatencyStats {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.length === 0 ? null : sorted.reduce((a, b) => a + b, 0) / sorted.length;
  const r = (x: number | null): number | null => (x === null ? null : round1(x));
  return { count: sorted.length, p50: r(percentile(sorted, 50)), p95: r(percentile(sorted, 95)), max: r(sorted[sorted.length - 1] ?? null), mean: r(mean) };
}

/** Work the server did for every request it ran, cancelled ones included (Hearth's request log). */
export interface ServerWork {
  requests: number;
  cancelled: number;
  promptTokens: number;
  evaluatedTokens: number;
  generatedTokens: number;
  /** Tokens generated after a cancellation was signalled (0 or 1 each when cancellation works). */
  tokensAfterCancel: number;
  /** False when the daemon's log (its last 50 requests) rolled over between two reads. */
  complete: boolean;
}

export interface TraceSummary {
  trace: string;
  durationMs: number;
  scheduledMs: number;
  keystrokes: number;
  debounced: number;
  clientCacheHits: number;
  skipped: number;
  sent: number;
  completed: number;
  cancelled: number;
  failed: number;
  /** Completed requests whose suggestion was empty. */
  empty: number;
  /** Keystroke to result, completed requests. */
  latencyMs: LatencyStats;
  /** Keystroke to first streamed token, completed requests that streamed one. */
  firstTokenMs: LatencyStats;
  /** The server's own time per completed request. */
  serverMs: LatencyStats;
  /** Over completed requests: prompt tokens, and those evaluated (the rest reused from the cache). */
  promptTokens: number;
  evaluatedTokens: number;
  /** 1 - evaluated / prompt: the share of prompt tokens the cache saved. */
  cacheReuse: number | null;
  generatedTokens: number;
  /** Generation speed over completed requests (tokens after the first ÷ time after the first, for Hearth). */
  decodeTokensPerS: number | null;
  prefillTokensPerS: number | null;
  draftTokens: number;
  acceptedTokens: number;
  acceptanceRate: number | null;
  accepts: number;
  acceptsMatched: number;
  maxKeyLagMs: number;
  serverWork: ServerWork | null;
  /** Completed requests by where they fall in the editing (see CallContext). */
  byContext: Record<CallContext, ContextStats>;
  /** Evaluated prompt tokens over completed requests for typed keys: not the first in a file or after a jump, not an accepted suggestion. */
  keystrokeEvaluated: LatencyStats;
  errors: string[];
}

export interface ContextStats {
  /** Evaluated prompt tokens per completed request. */
  evaluatedTokens: LatencyStats;
  /** Keystroke to result. */
  latencyMs: LatencyStats;
  /** The server's time to the first generated token: the prompt's cost, apart from how long the answer runs. */
  serverFirstTokenMs: LatencyStats;
}

function count(calls: readonly CompletionCall[], outcome: CompletionCall["outcome"]): number {
  return calls.filter((c) => c.outcome === outcome).length;
}

export function summarizeReplay(result: ReplayResult, serverLog: { requests: RequestMetrics[]; complete: boolean } | null = null): TraceSummary {
  const calls = result.calls;
  const completed = calls.filter((c) => c.outcome === "completed");
  const usages = completed.flatMap((c) => (c.usage ? [c.usage] : []));
  const sum = (f: (u: (typeof usages)[number]) => number): number => usages.reduce((a, u) => a + f(u), 0);
  const promptTokens = sum((u) => u.promptTokens);
  const evaluatedTokens = sum((u) => u.evaluatedTokens);
  const decodeMs = sum((u) => (u.decodeMs !== null && u.decodeTokens > 0 ? u.decodeMs : 0));
  const decodeTokens = sum((u) => (u.decodeMs !== null && u.decodeTokens > 0 ? u.decodeTokens : 0));
  const prefillMs = sum((u) => (u.prefillMs !== null && u.evaluatedTokens > 0 ? u.prefillMs : 0));
  const prefillTokens = sum((u) => (u.prefillMs !== null && u.evaluatedTokens > 0 ? u.evaluatedTokens : 0));
  const draftTokens = sum((u) => u.draftTokens);
  const acceptedTokens = sum((u) => u.acceptedTokens);
  const errors = [...new Set(calls.flatMap((c) => (c.error ? [c.error] : [])))];
  return {
    trace: result.trace,
    durationMs: Math.round(result.durationMs),
    scheduledMs: result.scheduledMs,
    keystrokes: result.keystrokes,
    debounced: count(calls, "debounced"),
    clientCacheHits: count(calls, "client-cache"),
    skipped: count(calls, "skipped"),
    sent: calls.filter((c) => c.sentMs !== null).length,
    completed: completed.length,
    cancelled: count(calls, "cancelled"),
    failed: count(calls, "failed"),
    empty: completed.filter((c) => (c.text ?? "") === "").length,
    latencyMs: latencyStats(completed.flatMap((c) => (c.doneMs !== null ? [c.doneMs - c.keystrokeMs] : []))),
    firstTokenMs: latencyStats(completed.flatMap((c) => (c.firstTokenMs !== null ? [c.firstTokenMs - c.keystrokeMs] : []))),
    serverMs: latencyStats(usages.flatMap((u) => (u.serverMs !== null ? [u.serverMs] : []))),
    promptTokens,
    evaluatedTokens,
    cacheReuse: promptTokens > 0 ? round3(1 - evaluatedTokens / promptTokens) : null,
    generatedTokens: sum((u) => u.generatedTokens),
    decodeTokensPerS: decodeMs > 0 ? round1((decodeTokens * 1000) / decodeMs) : null,
    prefillTokensPerS: prefillMs > 0 ? round1((prefillTokens * 1000) / prefillMs) : null,
    draftTokens,
    acceptedTokens,
    acceptanceRate: draftTokens > 0 ? round3(acceptedTokens / draftTokens) : null,
    accepts: result.accepts,
    acceptsMatched: result.acceptsMatched,
    maxKeyLagMs: round1(result.maxKeyLagMs),
    serverWork: serverLog === null ? null : serverWork(serverLog.requests, serverLog.complete),
    byContext: Object.fromEntries(CALL_CONTEXTS.map((context) => [context, contextStats(completed.filter((c) => c.context === context))])) as Record<CallContext, ContextStats>,
    keystrokeEvaluated: latencyStats(completed.flatMap((c) => (c.context !== "first" && c.context !== "accept" && c.usage ? [c.usage.evaluatedTokens] : []))),
    errors,
  };
}

function contextStats(calls: readonly CompletionCall[]): ContextStats {
  return {
    evaluatedTokens: latencyStats(calls.flatMap((c) => (c.usage ? [c.usage.evaluatedTokens] : []))),
    latencyMs: latencyStats(calls.flatMap((c) => (c.doneMs !== null ? [c.doneMs - c.keystrokeMs] : []))),
    serverFirstTokenMs: latencyStats(calls.flatMap((c) => (c.usage?.serverFirstTokenMs != null ? [c.usage.serverFirstTokenMs] : []))),
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function serverWork(requests: readonly RequestMetrics[], complete: boolean): ServerWork {
  const completions = requests.filter((r) => r.kind === "completion");
  return {
    requests: completions.length,
    cancelled: completions.filter((r) => r.stopReason === "cancelled" || r.stopReason === "superseded").length,
    promptTokens: completions.reduce((a, r) => a + r.promptTokens, 0),
    evaluatedTokens: completions.reduce((a, r) => a + r.evaluatedTokens, 0),
    generatedTokens: completions.reduce((a, r) => a + r.generatedTokens, 0),
    tokensAfterCancel: completions.reduce((a, r) => a + r.tokensAfterCancel, 0),
    complete,
  };
}

/** Checks the invariants a summary must satisfy; returns what is wrong (empty when consistent). */
export function summaryProblems(s: TraceSummary): string[] {
  const problems: string[] = [];
  if (s.debounced + s.clientCacheHits + s.skipped + s.sent !== s.keystrokes) problems.push(`debounced ${s.debounced} + client-cache ${s.clientCacheHits} + skipped ${s.skipped} + sent ${s.sent} != keystrokes ${s.keystrokes}`);
  if (s.completed + s.cancelled + s.failed !== s.sent) problems.push(`completed ${s.completed} + cancelled ${s.cancelled} + failed ${s.failed} != sent ${s.sent}`);
  for (const [name, l] of [["latency", s.latencyMs], ["first token", s.firstTokenMs], ["server", s.serverMs]] as const) {
    if (l.p50 !== null && l.p95 !== null && l.max !== null && !(l.p50 <= l.p95 && l.p95 <= l.max)) problems.push(`${name}: p50 ${l.p50} <= p95 ${l.p95} <= max ${l.max} does not hold`);
  }
  if (s.evaluatedTokens > s.promptTokens) problems.push(`evaluated tokens ${s.evaluatedTokens} > prompt tokens ${s.promptTokens}`);
  if (s.acceptedTokens > s.draftTokens) problems.push(`accepted tokens ${s.acceptedTokens} > draft tokens ${s.draftTokens}`);
  if (s.acceptsMatched > s.accepts) problems.push(`matched accepts ${s.acceptsMatched} > accepts ${s.accepts}`);
  return problems;
}
