/**
 * One evaluation on a remote server, as the pipeline's engine port runs it: the request sent,
 * its stream read event by event, the text so far handed to the pipeline after each (the
 * connection closes the moment it says stop, and the server then stops generating), the
 * server's counts taken where it reports them. Every stream is bounded three ways: by the
 * token limit (counted here, whatever the server claims), by an overall deadline, and by an
 * idle timer that only events with text re-arm (http.ts). After every event, empty ones too,
 * the scheduler may let a waiting request run and the event loop takes its turn, so a cancel
 * or another client's request is read while a server trickles.
 */
import { emptyOutcome } from "../backend.js";
import type { EngineRun, EngineRunRequest } from "../pipeline/engine-port.js";
import type { CompletionEvent, RequestBody, ServerUsage } from "./dialect.js";
import { streamEvents, type RemoteServer } from "./http.js";

export async function streamRun(
  server: RemoteServer,
  request: RequestBody,
  read: (event: unknown) => CompletionEvent,
  promptTokens: number,
  run: EngineRunRequest,
  /** Aborts every request when the daemon stops. */
  stopAll: AbortSignal,
  /** The most the whole exchange may take (ms). */
  deadlineMs: number,
): Promise<EngineRun> {
  const { text: _none, promptLayout: _layout, ...empty } = emptyOutcome("eos", promptTokens);
  const outcome: EngineRun = { ...empty, generatedText: "" };
  const stop = new AbortController();
  const signal = AbortSignal.any([run.signal, stop.signal, stopAll]);
  let pieces = 0;
  let serverDone: CompletionEvent["done"] = null;
  let stoppedByRule = false;
  let limitReached = false;
  try {
    await streamEvents(server, request.path, request.body, signal, async (raw) => {
      const event = read(raw);
      if (event.usage) applyUsage(outcome, event.usage);
      if (event.done) serverDone = event.done;
      if (event.delta !== "") {
        // A server that ignores n_predict is held to it here: each event carries at least one
        // token, so one past the limit is more than was asked for. (Stopping at the limit itself
        // would close the stream before the usage a well-behaved server sends last.)
        if (pieces >= run.maxTokens) {
          limitReached = true;
          return "stop";
        }
        const now = performance.now();
        if (outcome.firstTokenMs === null) {
          outcome.firstTokenMs = now - run.startedAt;
          run.onPrefill?.(1, 1);
        }
        // As the client sees it: from the first text to the last.
        outcome.decodeMs = now - run.startedAt - outcome.firstTokenMs;
        pieces++;
        outcome.generatedText += event.delta;
        if (run.onGenerated(outcome.generatedText)) {
          stoppedByRule = true;
          return "stop";
        }
      }
      await run.yieldPoint?.();
      await ioTurn();
      return event.delta !== "" ? "progress" : undefined;
    }, { deadlineMs });
  } catch (error) {
    // A cancel ends the stream quietly; anything else is the caller's to record.
    if (!run.signal.aborted) throw error;
  }
  if (outcome.generatedTokens === 0 || limitReached) outcome.generatedTokens = limitReached ? Math.min(pieces, run.maxTokens) : pieces;
  if (run.signal.aborted) outcome.stopReason = "cancelled";
  else if (stoppedByRule) outcome.stopReason = "boundary";
  else outcome.stopReason = limitReached || serverDone === "maxTokens" ? "maxTokens" : "eos";
  if (outcome.prefillMs === 0 && outcome.firstTokenMs !== null) outcome.prefillMs = outcome.firstTokenMs;
  return outcome;
}

function applyUsage(outcome: EngineRun, usage: ServerUsage): void {
  outcome.promptTokens = usage.promptTokens;
  if (usage.evaluatedTokens !== null) outcome.evaluatedTokens = usage.evaluatedTokens;
  else if (usage.cachedTokens !== null) outcome.evaluatedTokens = Math.max(0, usage.promptTokens - usage.cachedTokens);
  if (usage.prefillMs !== null) outcome.prefillMs = usage.prefillMs;
  if (usage.generatedTokens !== null) outcome.generatedTokens = usage.generatedTokens;
}

/** One turn of the event loop: a whole answer can arrive in one read, and its events would otherwise all be handled before a cancel is. */
function ioTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
