/**
 * Turns a refactoring into a next-edit trace: the edits it makes (found by content in a
 * source file) in the order the user goes through them, each typed by hand or, where a
 * suggestion reaches it, accepted with Tab. Deterministic from a seed, like the typing traces.
 *
 * How the user goes about it, as with a next-edit model on screen:
 * - each typed edit: navigate there (a pause, a cursor move), backspace what changes and type
 *   its new text character by character with a human rhythm, hesitating once after the
 *   backspaces and once in the middle of the new text (each hesitation is longer than the
 *   extension's settle delay, so a request lands within the edit in progress, shorter than
 *   the history's merge window, so the edit stays one event), then stop (the edit settles);
 * - then, while some remaining edits lie in the model's window around the cursor (Sweep's:
 *   10 lines above, 10 below), accept them in one Tab (an `apply` event); the cursor goes to
 *   the end of the last one and the next suggestion is asked for at once (Tab, Tab);
 * - when none is left in the window, type the next one (in the refactoring's order) by hand.
 */
import { NEXT_EDIT_FORMATS } from "../next-edit/formats.js";
import { TRACE_FORMAT, TRACE_VERSION, type Trace, type TraceEdit, type TraceEvent } from "./trace.js";
import { sourceCredit, TRACE_GENERATOR, Typist, type SourceFile } from "./trace-generator.js";

/** One edit of the refactoring, by offsets in the source's text as it was. */
export interface RefactorEdit {
  start: number;
  end: number;
  text: string;
}

export interface NextEditTraceOptions {
  name: string;
  description: string;
  seed: number;
  source: SourceFile;
  /** In the order the user goes through them: the first is typed, the next typed unless a suggestion reached it first. */
  edits: RefactorEdit[];
  filePath: string;
  workspace: string;
  /** Lines of the window around the cursor a suggestion can reach (default: Sweep's). */
  window?: { above: number; below: number };
}

/** Whether the offset's character counts as part of an identifier. */
const WORD = /[\w$]/;

function isWord(ch: string | undefined): boolean {
  return ch !== undefined && WORD.test(ch);
}

/**
 * The part of `oldText` a user changes to turn it into `newText`: the common prefix and
 * suffix are kept, but never half an identifier (a user retypes the whole word).
 */
export function changedPart(oldText: string, newText: string): { head: number; tail: number } {
  const shorter = Math.min(oldText.length, newText.length);
  let head = 0;
  while (head < shorter && oldText[head] === newText[head]) head++;
  let tail = 0;
  while (tail < shorter - head && oldText[oldText.length - 1 - tail] === newText[newText.length - 1 - tail]) tail++;
  while (head > 0 && isWord(oldText[head - 1]) && (isWord(oldText[head]) || isWord(newText[head]))) head--;
  while (tail > 0 && isWord(oldText[oldText.length - tail]) && (isWord(oldText[oldText.length - tail - 1]) || isWord(newText[newText.length - tail - 1]))) tail--;
  return { head, tail };
}

/** A position (zero-based line and character) of an offset in `text`. */
function positionOf(text: string, offset: number): { line: number; character: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length - 1;
  return { line, character: offset - (before.lastIndexOf("\n") + 1) };
}

/**
 * Offsets of `find` on the first line holding `anchor` (the `nthLine`-th such line, 1-based,
 * when given); `occurrence` picks a later match on that line (1-based).
 */
export function locate(text: string, spec: { anchor: string; find: string; nthLine?: number; occurrence?: number }): { start: number; end: number } {
  const lines = text.split("\n");
  const holding = lines.flatMap((l, i) => (l.includes(spec.anchor) ? [i] : []));
  const line = holding[(spec.nthLine ?? 1) - 1];
  if (line === undefined) throw new Error(`${holding.length} line(s) contain ${JSON.stringify(spec.anchor)}; wanted line ${spec.nthLine ?? 1}`);
  const lineText = lines[line] as string;
  let at = -1;
  for (let n = 0; n < (spec.occurrence ?? 1); n++) {
    at = lineText.indexOf(spec.find, at + 1);
    if (at === -1) throw new Error(`line ${line + 1} (${JSON.stringify(lineText.trim())}) has no occurrence ${spec.occurrence ?? 1} of ${JSON.stringify(spec.find)}`);
  }
  const start = lines.slice(0, line).reduce((n, l) => n + l.length + 1, 0) + at;
  return { start, end: start + spec.find.length };
}

/** Every use of the identifier `name` on lines `fromLine`..`toLine` (zero-based, inclusive), by offsets; property accesses (`x.name`) are not uses. */
export function identifierUses(text: string, name: string, fromLine: number, toLine: number): { start: number; end: number }[] {
  const lines = text.split("\n");
  const pattern = new RegExp(`(?<![\\w$.])${name.replace(/\$/g, "\\$")}(?![\\w$])`, "g");
  const uses: { start: number; end: number }[] = [];
  let offset = lines.slice(0, fromLine).reduce((n, l) => n + l.length + 1, 0);
  for (let line = fromLine; line <= toLine && line < lines.length; line++) {
    const lineText = lines[line] as string;
    for (const match of lineText.matchAll(pattern)) uses.push({ start: offset + (match.index ?? 0), end: offset + (match.index ?? 0) + name.length });
    offset += lineText.length + 1;
  }
  return uses;
}

/** Keeps the text and the edits made so far, mapping the source's offsets into the text as it is now. */
class Refactoring {
  text: string;
  private readonly done: RefactorEdit[] = [];

  constructor(
    private readonly original: string,
    readonly edits: readonly RefactorEdit[],
  ) {
    this.text = original;
    const sorted = [...edits].sort((a, b) => a.start - b.start);
    sorted.forEach((edit, i) => {
      if (edit.end < edit.start || edit.end > original.length) throw new RangeError(`an edit at ${edit.start}-${edit.end} is not inside the source`);
      const next = sorted[i + 1];
      if (next !== undefined && next.start < edit.end) throw new RangeError(`two edits overlap at offset ${next.start}`);
    });
  }

  /** The offset in the current text of an offset of the source (not inside an edit made). */
  now(offset: number): number {
    return this.done.reduce((n, edit) => (edit.end <= offset ? n + edit.text.length - (edit.end - edit.start) : n), offset);
  }

  get remaining(): RefactorEdit[] {
    return this.edits.filter((edit) => !this.done.includes(edit));
  }

  /** Makes `edits` (not yet made) in the current text; returns where each was, as trace edits, in document order. */
  make(edits: readonly RefactorEdit[]): TraceEdit[] {
    const ordered = [...edits].sort((a, b) => a.start - b.start);
    const traced = ordered.map((edit) => {
      const start = positionOf(this.text, this.now(edit.start));
      const end = positionOf(this.text, this.now(edit.end));
      return { line: start.line, character: start.character, endLine: end.line, endCharacter: end.character, text: edit.text };
    });
    for (const edit of [...ordered].reverse()) {
      const start = this.now(edit.start);
      this.text = this.text.slice(0, start) + edit.text + this.text.slice(this.now(edit.end));
    }
    this.done.push(...ordered);
    return traced;
  }

  /** The edit as the source had it (what a typed edit replaces). */
  oldText(edit: RefactorEdit): string {
    return this.original.slice(edit.start, edit.end);
  }
}

/** A pause in milliseconds drawn around `median`, kept within [min, max]. */
function between(typist: Typist, median: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, typist.gap(median, 0.3)));
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** The trace: open the file, then each typed edit and the suggestions accepted after it. */
export function nextEditTrace(options: NextEditTraceOptions): Trace {
  // No long pauses (they would split an edit in the daemon's history) and no completions accepted.
  const typist = new Typist(options.seed, { longPauseChance: 0, acceptChance: 0 });
  const window = options.window ?? NEXT_EDIT_FORMATS.sweep.window;
  const work = new Refactoring(options.source.text, options.edits);
  const events: TraceEvent[] = [{ type: "open", delayMs: 0, file: "f1", line: 0, character: 0 }];
  // Longer than the extension's 300 ms settle delay, shorter than the history's 1 s merge window.
  const hesitation = (): number => between(typist, 520, 380, 850);
  let nextDelay = between(typist, 1200, 800, 2000);
  let typedEdits = 0;
  let acceptedEdits = 0;
  let tabs = 0;

  for (;;) {
    const typed = work.remaining[0];
    if (typed === undefined) break;
    const oldText = work.oldText(typed);
    const { head, tail } = changedPart(oldText, typed.text);
    const removeFrom = work.now(typed.start) + head;
    const removeTo = work.now(typed.end) - tail;
    const insert = typed.text.slice(head, typed.text.length - tail);
    const at = positionOf(work.text, removeTo);
    events.push({ type: "move", delayMs: nextDelay, ...at });
    let firstKeyDelay = between(typist, 450, 250, 900);
    if (removeTo > removeFrom) {
      events.push(...typist.backspace(removeTo - removeFrom, firstKeyDelay));
      firstKeyDelay = hesitation();
    }
    const half = Math.max(1, Math.ceil(insert.length / 2));
    events.push(...typist.type(insert.slice(0, half), { firstDelayMs: firstKeyDelay, allowAccept: false }));
    if (insert.length > half) events.push(...typist.type(insert.slice(half), { firstDelayMs: hesitation(), allowAccept: false }));
    work.make([typed]);
    typedEdits++;
    let cursor = removeFrom + insert.length;
    // The edit settles: the suggestion is asked for, shown and read before Tab.
    nextDelay = between(typist, 1000, 700, 1500);

    for (;;) {
      const cursorLine = positionOf(work.text, cursor).line;
      const reachable = work.remaining.filter((edit) => {
        const start = positionOf(work.text, work.now(edit.start)).line;
        const end = positionOf(work.text, work.now(edit.end)).line;
        return start >= cursorLine - window.above && end <= cursorLine + window.below;
      });
      if (reachable.length === 0) break;
      const last = [...reachable].sort((a, b) => b.start - a.start)[0] as RefactorEdit;
      events.push({ type: "apply", delayMs: nextDelay, edits: work.make(reachable) });
      acceptedEdits += reachable.length;
      tabs++;
      cursor = work.now(last.end);
      // Tab, Tab: the next suggestion is asked for at once, shown and read.
      nextDelay = between(typist, 900, 600, 1400);
    }
    // The next typed edit is somewhere else: finding it takes longer.
    nextDelay += between(typist, 900, 400, 1600);
  }

  return {
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    name: options.name,
    description: `${options.description} ${plural(typedEdits, "edit")} typed, ${acceptedEdits} accepted with ${plural(tabs, "Tab")}.`,
    workspaces: [{ id: options.workspace }],
    files: [{ id: "f1", workspace: options.workspace, path: options.filePath, languageId: options.source.languageId, text: options.source.text }],
    events,
    provenance: { generator: TRACE_GENERATOR, seed: options.seed, sources: [sourceCredit(options.source)] },
  };
}
