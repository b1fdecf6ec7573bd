/**
 * Plays a trace in real time against a driver (a Hearth daemon, or a peer server) and
 * records every completion the editor asked for: when its keystroke happened, whether it
 * was debounced away, answered from a client cache, sent, cancelled or completed, and what
 * the server said it cost. Keystrokes keep their schedule whatever the server does, as a
 * person keeps typing whether or not a suggestion showed up.
 */
import type { TextDocumentContentChangeEvent } from "../protocol.js";
import { countKeystrokes, traceDurationMs, type Trace } from "./trace.js";
import { expandTrace, TraceEditor, type EditorFile } from "./trace-editor.js";

/**
 * What became of one completion the editor asked for (one keystroke):
 * - debounced: a newer keystroke (or a cursor move) came before the debounce delay ran out;
 * - client-cache: the client answered it from suggestions it had (no request);
 * - skipped: the client's rules asked for nothing here (llama.vscode: a long line suffix);
 * - completed: sent and its result arrived while still wanted (shown to the user);
 * - cancelled: sent, then made moot by a newer keystroke or a move before its result;
 * - failed: sent and answered with an error.
 */
export type CallOutcome = "debounced" | "client-cache" | "skipped" | "completed" | "cancelled" | "failed";

/** What a server reported about one request, in one shape for Hearth and its peers. */
export interface CallUsage {
  promptTokens: number;
  /** Prompt tokens the server evaluated (the rest came from its cache). */
  evaluatedTokens: number;
  generatedTokens: number;
  prefillMs: number | null;
  /** Time spent generating `decodeTokens` tokens (after the first, for Hearth; all of them for llama-server). */
  decodeMs: number | null;
  decodeTokens: number;
  draftTokens: number;
  acceptedTokens: number;
  /** The server's own time for the request. */
  serverMs: number | null;
  /** The server's time from the request to its first generated token: what the prompt cost, whatever the answer's length. */
  serverFirstTokenMs: number | null;
}

/**
 * Where in the editing a keystroke's completion falls, for the cost a user feels at each:
 * - first: the first request in a file, or the first after a cursor jump in it;
 * - switch: the first request in a file after another file had the focus;
 * - accept: a keystroke that accepted a suggestion (the trace's own text, not the model's:
 *   a real accept inserts what the model generated, which its cache already holds);
 * - new-line: the first request after Enter (or an accepted suggestion that ended a line);
 * - line: every other keystroke, typing within a line.
 * "First request" means the first one whose result arrives: a keystroke debounced away, or
 * whose request a newer keystroke cancelled (leaving the rest of a cold prefill to the
 * next), passes its context on.
 */
export type CallContext = "first" | "switch" | "accept" | "new-line" | "line";

/** Strongest first: a mark only gives way to a stronger one. */
export const CALL_CONTEXTS: readonly CallContext[] = ["first", "switch", "accept", "new-line", "line"];

export interface CompletionCall {
  workspace: string;
  file: string;
  context: CallContext;
  /** Milliseconds from the replay's start (drivers stamp performance.now(); the replay shifts them at the end). */
  keystrokeMs: number;
  /** The keystroke was accepting a suggestion. */
  accept: boolean;
  outcome: CallOutcome | "pending";
  sentMs: number | null;
  firstTokenMs: number | null;
  doneMs: number | null;
  text: string | null;
  usage: CallUsage | null;
  error: string | null;
}

export interface ReplayDriver {
  open(file: EditorFile): void;
  close(file: EditorFile): void;
  /** The cursor left the spot or another editor took focus: a pending completion is moot. */
  interrupt(file: EditorFile): void;
  /** A keystroke changed the text: sync it, then ask for a completion (the driver's client rules). */
  change(file: EditorFile, change: TextDocumentContentChangeEvent, call: CompletionCall): void;
  /** An accepted next-edit suggestion changed the text (a next-edit trace): sync it; the cursor jumped, so a pending completion is moot and none is asked. */
  applied(file: EditorFile, changes: TextDocumentContentChangeEvent[]): void;
  /** The suggestion last shown in this file and the offset it was shown at. */
  shown(file: EditorFile): { offset: number; text: string } | null;
  /** Resolves once every request has settled. */
  drain(): Promise<void>;
}

export interface ReplayResult {
  trace: string;
  /** Wall time of the replay, including waiting for the last request. */
  durationMs: number;
  /** The trace's own duration (sum of its delays). */
  scheduledMs: number;
  keystrokes: number;
  calls: CompletionCall[];
  accepts: number;
  /** Accepted text whose first line the last shown suggestion had right. */
  acceptsMatched: number;
  /** The worst delay of a keystroke behind its schedule (the bench's own event loop). */
  maxKeyLagMs: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

function firstLine(text: string): string {
  return (text.split("\n")[0] ?? "").trimEnd();
}

export async function replayTrace(trace: Trace, driver: ReplayDriver): Promise<ReplayResult> {
  const editor = new TraceEditor(trace);
  const steps = expandTrace(trace);
  const calls: CompletionCall[] = [];
  let accepts = 0;
  let acceptsMatched = 0;
  let maxKeyLagMs = 0;
  const context = new CallContexts();
  const start = performance.now();
  let due = 0;
  for (const step of steps) {
    due += step.delayMs;
    await sleep(start + due - performance.now());
    const now = performance.now() - start;
    maxKeyLagMs = Math.max(maxKeyLagMs, now - due);
    for (const effect of editor.apply(step)) {
      const file = effect.file;
      if (step.kind === "move") context.mark(file.trace.id, "first");
      switch (effect.kind) {
        case "open":
          context.mark(file.trace.id, "first");
          driver.open(file);
          break;
        case "close":
          driver.close(file);
          break;
        case "interrupt":
          driver.interrupt(file);
          break;
        case "apply":
          context.mark(file.trace.id, "first");
          driver.applied(file, effect.changes);
          break;
        case "change": {
          if (effect.accept) {
            accepts++;
            const shown = driver.shown(file);
            const at = file.offsetAt(effect.change.range?.start ?? { line: 0, character: 0 });
            if (shown !== null && shown.offset === at && firstLine(shown.text) !== "" && firstLine(shown.text) === firstLine(effect.change.text)) acceptsMatched++;
          }
          const call: CompletionCall = {
            workspace: file.trace.workspace,
            file: file.trace.id,
            context: context.next(file.trace.id, effect.change.text.includes("\n"), effect.accept),
            keystrokeMs: performance.now(),
            accept: effect.accept,
            outcome: "pending",
            sentMs: null,
            firstTokenMs: null,
            doneMs: null,
            text: null,
            usage: null,
            error: null,
          };
          calls.push(call);
          context.track(file.trace.id, call);
          driver.change(file, effect.change, call);
          break;
        }
      }
    }
  }
  await driver.drain();
  // Drivers stamp performance.now(); the report counts from the replay's start.
  for (const call of calls) {
    call.keystrokeMs -= start;
    if (call.sentMs !== null) call.sentMs -= start;
    if (call.firstTokenMs !== null) call.firstTokenMs -= start;
    if (call.doneMs !== null) call.doneMs -= start;
  }
  return {
    trace: trace.name,
    durationMs: performance.now() - start,
    scheduledMs: traceDurationMs(trace),
    keystrokes: countKeystrokes(trace),
    calls,
    accepts,
    acceptsMatched,
    maxKeyLagMs,
  };
}

/** Follows which keystrokes of each file come before the first result after an open, a jump, a switch or Enter. */
class CallContexts {
  private readonly pending = new Map<string, CallContext>();
  /** The calls made since the file's context was marked: once one of them has its result, the mark is spent. */
  private readonly since = new Map<string, CompletionCall[]>();
  private lastFile: string | null = null;

  mark(file: string, context: CallContext): void {
    const current = this.pending.get(file);
    // The stronger reason wins: a jump after Enter is a jump.
    if (current === undefined || CALL_CONTEXTS.indexOf(context) < CALL_CONTEXTS.indexOf(current)) this.pending.set(file, context);
    this.since.set(file, []);
  }

  /** The context of a keystroke in `file`; `newLine` when it ends a line (the cursor is then on a new one), `accept` when it accepted a suggestion. */
  next(file: string, newLine: boolean, accept: boolean): CallContext {
    if ((this.since.get(file) ?? []).some((call) => call.outcome === "completed" || call.outcome === "failed")) this.pending.delete(file);
    if (this.lastFile !== null && this.lastFile !== file) this.mark(file, "switch");
    this.lastFile = file;
    if (accept) this.mark(file, "accept");
    else if (newLine) this.mark(file, "new-line");
    return this.pending.get(file) ?? "line";
  }

  track(file: string, call: CompletionCall): void {
    const since = this.since.get(file);
    if (since) since.push(call);
    else this.since.set(file, [call]);
  }
}
