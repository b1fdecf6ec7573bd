/**
 * A request's metrics as clients see them (hearth/status, the status bar, the bench): the
 * pipeline's outcome, with the scheduler's queue time and how the request ended.
 */
import type { GenerationOutcome } from "../backend.js";
import type { RequestMetrics } from "../protocol.js";

export interface RequestRecord {
  requestId: number;
  kind: RequestMetrics["kind"];
  workspaceId: string;
  /** performance.now() when the request arrived. */
  arrivedAt: number;
  /** How long it waited in the scheduler's queue. */
  queueMs: number;
  /** How it ended, where not by the outcome's own stop reason. */
  ended: "superseded" | "cancelled" | "error" | null;
}

export function requestMetrics(record: RequestRecord, result: GenerationOutcome): RequestMetrics {
  return {
    requestId: record.requestId,
    kind: record.kind,
    workspaceId: record.workspaceId,
    promptTokens: result.promptTokens,
    reusedTokens: result.reusedTokens,
    evaluatedTokens: result.evaluatedTokens,
    generatedTokens: result.generatedTokens,
    tokensAfterCancel: result.tokensAfterCancel,
    queueMs: round(record.queueMs),
    prefillMs: round(result.prefillMs),
    // From the request's arrival, as the client waits for it: the queue included.
    firstTokenMs: result.firstTokenMs === null ? null : round(record.queueMs + result.firstTokenMs),
    decodeMs: round(result.decodeMs),
    totalMs: round(performance.now() - record.arrivedAt),
    stopReason: record.ended ?? result.stopReason,
    draftTokens: result.draftTokens,
    acceptedTokens: result.acceptedTokens,
    promptLayout: result.promptLayout,
    model: result.model ?? null,
    finishedAt: new Date().toISOString(),
  };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
