/**
 * Plays a next-edit trace in real time against a driver (a Hearth daemon, or llama-server
 * driven as a plain next-edit client) and records every next-edit request the editor makes,
 * by the extension's rules: a request once the document has stayed unchanged for the settle
 * delay (so within an edit in progress at each hesitation, and after it settles), one at once
 * after a suggestion is accepted (Tab, Tab), and a newer change cancels the request pending
 * or in flight. Moving the cursor asks for nothing. Keystrokes keep their schedule whatever
 * the server does.
 *
 * Each request is placed in the editing, for the warm-cache figure:
 * - first: the document's first request (until one completes: a cancelled one passes it on);
 * - new-edit: the first request of a later edit (typing after a move or an accepted suggestion);
 * - edit: a request within an edit some request of which has already completed: the cache
 *   holds everything up to the window as it was, so only the window from the changed line
 *   should be evaluated again;
 * - accept: the request right after an accepted suggestion.
 */
import { Defaults, type Position, type Range, type TextDocumentContentChangeEvent } from "../protocol.js";
import { traceDurationMs, type Trace, type TraceEdit } from "./trace.js";
import { expandTrace, TraceEditor, type EditorFile } from "./trace-editor.js";

export type NextEditContext = "first" | "new-edit" | "edit" | "accept";

export const NEXT_EDIT_CONTEXTS: readonly NextEditContext[] = ["first", "new-edit", "edit", "accept"];

/** What a server reported about one next-edit request, in one shape for Hearth and llama-server. */
export interface NextEditUsage {
  promptTokens: number;
  /** Prompt tokens evaluated (the rest came from the cache), by the engine's or the server's own count. */
  evaluatedTokens: number;
  generatedTokens: number;
  /** Speculation: tokens drafted and accepted (0 where the server drafts none or does not say). */
  draftTokens: number;
  acceptedTokens: number;
  prefillMs: number | null;
  decodeMs: number | null;
  /** The server's own time for the request. */
  serverMs: number | null;
}

export interface NextEditAnswer {
  edits: { range: Range; newText: string }[];
  /** The share of the rewritten window copied from the window (edits.ts `copiedShare`); null when the output was not a finished window. */
  copied: number | null;
  usage: NextEditUsage;
}

export interface NextEditCall {
  file: string;
  context: NextEditContext;
  /** settle: the document stayed unchanged; accept: a suggestion was just accepted. */
  trigger: "settle" | "accept";
  /** Milliseconds from the replay's start: the change that armed the request, the request, its answer. */
  changeMs: number;
  sentMs: number;
  doneMs: number | null;
  outcome: "pending" | "completed" | "cancelled" | "failed";
  usage: NextEditUsage | null;
  copied: number | null;
  /** Edits suggested; null without an answer. */
  edits: number | null;
  error: string | null;
}

export interface NextEditDriver {
  open(file: EditorFile): void;
  close(file: EditorFile): void;
  /**
   * The text changed (`file` holds it now, `before` held it before): by a keystroke (one
   * change), or by accepting a suggestion (`accepted`: all its changes in one).
   */
  changed(file: EditorFile, changes: TextDocumentContentChangeEvent[], before: string, accepted: boolean): void;
  /** Asks for the next edit at `position` in the file as it is; `signal` cancels it. */
  ask(file: EditorFile, position: Position, signal: AbortSignal): Promise<NextEditAnswer>;
}

export interface NextEditReplayResult {
  trace: string;
  durationMs: number;
  scheduledMs: number;
  /** Content changes the user typed (keys and backspaces). */
  keystrokes: number;
  calls: NextEditCall[];
  /** Suggestions accepted (apply events), and those whose edits the last suggestion shown had exactly. */
  applies: number;
  appliesMatched: number;
  /** The worst delay of an event behind its schedule (the bench's own event loop). */
  maxKeyLagMs: number;
}

interface FileState {
  timer: { handle: NodeJS.Timeout; done: () => void } | null;
  inFlight: AbortController | null;
  completedAny: boolean;
  /** The edit in progress: a number per edit, whether typing is in one, and whether a request of it completed. */
  edit: number;
  editOpen: boolean;
  editCompleted: boolean;
  /** The last suggestion shown, with the document version it was for. */
  shown: { version: number; edits: NextEditAnswer["edits"] } | null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

function sameEdits(shown: NextEditAnswer["edits"], applied: readonly TraceEdit[]): boolean {
  return (
    shown.length === applied.length &&
    shown.every((edit, i) => {
      const a = applied[i] as TraceEdit;
      return edit.range.start.line === a.line && edit.range.start.character === a.character && edit.range.end.line === a.endLine && edit.range.end.character === a.endCharacter && edit.newText === a.text;
    })
  );
}

export async function replayNextEdits(trace: Trace, driver: NextEditDriver, options: { settleMs?: number } = {}): Promise<NextEditReplayResult> {
  const settleMs = options.settleMs ?? Defaults.nextEditSettleMs;
  const editor = new TraceEditor(trace);
  const states = new Map<EditorFile, FileState>();
  const calls: NextEditCall[] = [];
  const inFlight = new Set<Promise<void>>();
  const timers = new Set<Promise<void>>();
  let applies = 0;
  let appliesMatched = 0;
  let keystrokes = 0;
  let maxKeyLagMs = 0;
  const start = performance.now();
  const now = (): number => performance.now() - start;

  const stateOf = (file: EditorFile): FileState => {
    let state = states.get(file);
    if (!state) {
      state = { timer: null, inFlight: null, completedAny: false, edit: 0, editOpen: false, editCompleted: false, shown: null };
      states.set(file, state);
    }
    return state;
  };

  /** A change makes what is pending or in flight for the file moot, and what is shown stale. */
  const cancelPending = (state: FileState): void => {
    if (state.timer) {
      clearTimeout(state.timer.handle);
      state.timer.done();
      state.timer = null;
    }
    state.inFlight?.abort();
    state.inFlight = null;
  };

  const ask = (file: EditorFile, trigger: NextEditCall["trigger"], changeMs: number): void => {
    const state = stateOf(file);
    const context: NextEditContext = !state.completedAny ? "first" : trigger === "accept" ? "accept" : state.editCompleted ? "edit" : "new-edit";
    const call: NextEditCall = { file: file.trace.id, context, trigger, changeMs, sentMs: now(), doneMs: null, outcome: "pending", usage: null, copied: null, edits: null, error: null };
    calls.push(call);
    const controller = new AbortController();
    state.inFlight = controller;
    const edit = state.edit;
    const version = file.version;
    const work = driver
      .ask(file, file.cursorPosition, controller.signal)
      .then(
        (answer) => {
          call.doneMs = now();
          call.usage = answer.usage;
          call.copied = answer.copied;
          call.edits = answer.edits.length;
          if (controller.signal.aborted) {
            call.outcome = "cancelled";
            return;
          }
          call.outcome = "completed";
          state.completedAny = true;
          if (trigger === "settle" && state.edit === edit) state.editCompleted = true;
          state.shown = { version, edits: answer.edits };
        },
        (error: unknown) => {
          call.doneMs = now();
          call.outcome = controller.signal.aborted ? "cancelled" : "failed";
          if (call.outcome === "failed") call.error = error instanceof Error ? error.message : String(error);
        },
      )
      .finally(() => {
        if (state.inFlight === controller) state.inFlight = null;
        inFlight.delete(work);
      });
    inFlight.add(work);
  };

  const arm = (file: EditorFile, changeMs: number): void => {
    const state = stateOf(file);
    let done: () => void = () => undefined;
    const fired = new Promise<void>((resolve) => (done = resolve));
    const handle = setTimeout(() => {
      state.timer = null;
      done();
      ask(file, "settle", changeMs);
    }, settleMs);
    state.timer = { handle, done };
    timers.add(fired);
    void fired.then(() => timers.delete(fired));
  };

  let due = 0;
  for (const step of expandTrace(trace)) {
    due += step.delayMs;
    await sleep(start + due - performance.now());
    maxKeyLagMs = Math.max(maxKeyLagMs, now() - due);
    const before = editor.active?.text ?? "";
    const effects = editor.apply(step);
    // A cursor put somewhere (a move, an open, another editor) ends the edit in progress: the next keystroke starts another.
    if ((step.kind === "move" || step.kind === "open" || step.kind === "focus") && editor.active) stateOf(editor.active).editOpen = false;
    for (const effect of effects) {
      const file = effect.file;
      const state = stateOf(file);
      switch (effect.kind) {
        case "open":
          driver.open(file);
          break;
        case "close":
          cancelPending(state);
          driver.close(file);
          states.delete(file);
          break;
        case "interrupt":
          // The extension keeps a request going when the cursor moves; only a change makes it moot.
          break;
        case "change": {
          keystrokes++;
          cancelPending(state);
          state.shown = null;
          if (!state.editOpen) {
            state.editOpen = true;
            state.edit++;
            state.editCompleted = false;
          }
          driver.changed(file, [effect.change], before, false);
          arm(file, now());
          break;
        }
        case "apply": {
          applies++;
          if (step.kind === "apply" && state.shown !== null && state.shown.version === file.version - 1 && sameEdits(state.shown.edits, step.edits)) appliesMatched++;
          cancelPending(state);
          state.shown = null;
          state.editOpen = false;
          driver.changed(file, effect.changes, before, true);
          ask(file, "accept", now());
          break;
        }
      }
    }
  }
  while (timers.size > 0 || inFlight.size > 0) await Promise.all([...timers, ...inFlight]);
  return { trace: trace.name, durationMs: now(), scheduledMs: traceDurationMs(trace), keystrokes, calls, applies, appliesMatched, maxKeyLagMs };
}
