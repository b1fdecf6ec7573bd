/**
 * The figures the status bar shows, gathered from finished requests: the last completion's
 * latency as the user felt it (keystroke-to-suggestion round trip, measured here) and a
 * rolling median, plus the daemon's own per-request metrics for the tooltip (tokens/s,
 * KV-cache reuse, speculative acceptance), and next-edit suggestions' latency and how many
 * shown were accepted. vscode-free so it is unit-tested in plain Node.
 */
import type { RequestMetrics } from "../../../daemon/src/protocol.js";

export interface StatsSnapshot {
  lastLatencyMs: number | null;
  medianLatencyMs: number | null;
  completions: number;
  /** Generated tokens per second of decoding (after the first token), last request. */
  tokensPerSecond: number | null;
  /** Share of prompt tokens found in the KV cache over the window, 0..1. */
  cacheReuse: number | null;
  /** Share of drafted tokens accepted over the window, 0..1 (null when nothing was drafted). */
  speculativeAcceptance: number | null;
  /** Suggestions answered by the client cache without a request. */
  clientCacheHits: number;
  nextEdit: NextEditFigures;
}

/** Next-edit suggestions in this window: asked for, answered, shown, accepted, and how fast the answers came. */
export interface NextEditFigures {
  requests: number;
  shown: number;
  accepted: number;
  /** Median round trip (request to answer, as this window saw it) over the last answers; null before the first. */
  medianLatencyMs: number | null;
  lastLatencyMs: number | null;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? null) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Tokens per second while decoding: the time after the first token over the tokens after it. */
export function decodeRate(metrics: RequestMetrics): number | null {
  if (metrics.firstTokenMs === null || metrics.generatedTokens < 2) return null;
  return metrics.decodeMs > 0 ? ((metrics.generatedTokens - 1) * 1000) / metrics.decodeMs : null;
}

export class RequestStats {
  private readonly latencies: number[] = [];
  private readonly metrics: RequestMetrics[] = [];
  private completions = 0;
  private clientCacheHits = 0;
  private readonly nextEditLatencies: number[] = [];
  private nextEditRequests = 0;
  private nextEditShown = 0;
  private nextEditAccepted = 0;

  constructor(private readonly window = 20) {}

  /** A completion came back from the daemon after `latencyMs` (not counted when cancelled). */
  recordCompletion(latencyMs: number, metrics: RequestMetrics): void {
    this.completions++;
    push(this.latencies, latencyMs, this.window);
    this.recordMetrics(metrics);
  }

  /** Any finished request's daemon-side metrics (explanations included). */
  recordMetrics(metrics: RequestMetrics): void {
    push(this.metrics, metrics, this.window);
  }

  recordClientCacheHit(): void {
    this.clientCacheHits++;
  }

  /** A next-edit request was sent. */
  recordNextEditRequest(): void {
    this.nextEditRequests++;
  }

  /** A next-edit answer came back after `latencyMs` (with or without edits; not when cancelled). */
  recordNextEditAnswer(latencyMs: number, metrics: RequestMetrics): void {
    push(this.nextEditLatencies, latencyMs, this.window);
    this.recordMetrics(metrics);
  }

  /** A next-edit suggestion was put on screen (decorations or ghost text). */
  recordNextEditShown(): void {
    this.nextEditShown++;
  }

  /** A next-edit suggestion shown was accepted. */
  recordNextEditAccepted(): void {
    this.nextEditAccepted++;
  }

  /** Forgets every figure: they described another daemon, model or backend. */
  reset(): void {
    this.latencies.length = 0;
    this.metrics.length = 0;
    this.completions = 0;
    this.clientCacheHits = 0;
    this.nextEditLatencies.length = 0;
    this.nextEditRequests = 0;
    this.nextEditShown = 0;
    this.nextEditAccepted = 0;
  }

  snapshot(): StatsSnapshot {
    const prompt = sum(this.metrics, (m) => m.promptTokens);
    const drafted = sum(this.metrics, (m) => m.draftTokens);
    const last = this.metrics[this.metrics.length - 1];
    return {
      lastLatencyMs: this.latencies[this.latencies.length - 1] ?? null,
      medianLatencyMs: median(this.latencies),
      completions: this.completions,
      tokensPerSecond: last ? decodeRate(last) : null,
      cacheReuse: prompt > 0 ? sum(this.metrics, (m) => m.reusedTokens) / prompt : null,
      speculativeAcceptance: drafted > 0 ? sum(this.metrics, (m) => m.acceptedTokens) / drafted : null,
      clientCacheHits: this.clientCacheHits,
      nextEdit: {
        requests: this.nextEditRequests,
        shown: this.nextEditShown,
        accepted: this.nextEditAccepted,
        medianLatencyMs: median(this.nextEditLatencies),
        lastLatencyMs: this.nextEditLatencies[this.nextEditLatencies.length - 1] ?? null,
      },
    };
  }
}

function push<T>(list: T[], value: T, limit: number): void {
  list.push(value);
  if (list.length > limit) list.splice(0, list.length - limit);
}

function sum<T>(list: readonly T[], of: (item: T) => number): number {
  return list.reduce((total, item) => total + of(item), 0);
}
