/**
 * How next-edit suggestions are doing, for hearth/status: requests taken, answers that
 * carried edits, suggestions a client said it applied, and the answers' median latency.
 * One counter per connection and one for the whole daemon; the session feeds both. Pure.
 */
import type { NextEditCounters } from "../protocol.js";

/** Latencies kept for the median: enough to be steady, bounded whatever the uptime. */
const LATENCY_WINDOW = 200;

export class NextEditCounts {
  private requests = 0;
  private suggested = 0;
  private accepted = 0;
  private readonly latencies: number[] = [];

  /** A request was taken for work (its parameters were valid and a next-edit model is set). */
  requested(): void {
    this.requests++;
  }

  /** A request was answered after `latencyMs` (arrival to answer), with `edits` edits. */
  answered(latencyMs: number, edits: number): void {
    if (edits > 0) this.suggested++;
    this.latencies.push(latencyMs);
    if (this.latencies.length > LATENCY_WINDOW) this.latencies.splice(0, this.latencies.length - LATENCY_WINDOW);
  }

  /** A client applied a suggestion (hearth/nextEdit/accepted). */
  acceptedOne(): void {
    this.accepted++;
  }

  snapshot(): NextEditCounters {
    return { requests: this.requests, suggested: this.suggested, accepted: this.accepted, latencyP50Ms: median(this.latencies) };
  }
}

/** The middle value (the mean of the two middle ones for an even count), rounded to 0.1 ms; null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const value = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return Math.round(value * 10) / 10;
}
