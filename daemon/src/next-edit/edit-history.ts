/**
 * What the user changed lately in each open document, as a next-edit model reads it: a short
 * list of events, each a region of whole lines before and after. Keystrokes close together
 * (the same region, within a second) grow the event in progress rather than adding one per
 * keystroke, so the history a prompt shows is stable while the user types and the prompt's
 * cache survives. Bounded in count and bytes; an event that came from accepting a suggestion
 * is marked, so a model can tell the user's edits from its own.
 *
 * Pure: the session feeds it each document's text before and after a change, and the clock
 * is injected.
 */

export interface EditEvent {
  /** First line of the region, in the document as it is after the event. */
  readonly startLine: number;
  /** The region's lines before the event. */
  readonly oldLines: readonly string[];
  /** The region's lines after it. */
  readonly newLines: readonly string[];
  /** The event is the user accepting a suggestion. */
  readonly accepted: boolean;
  /** When its last change was made (the injected clock's milliseconds). */
  readonly lastAt: number;
}

export interface EditHistoryOptions {
  /** Milliseconds; injected so tests need no waiting. */
  now: () => number;
  /** Events kept per document, oldest out first. */
  maxEvents?: number;
  /** The events' text kept per document (old and new lines), oldest out first. */
  maxBytes?: number;
  /** A change this soon after the event's last one may merge into it... */
  mergeWithinMs?: number;
  /** ...when it is at most this many lines from the event's region. */
  mergeWithinLines?: number;
}

export const HISTORY_DEFAULTS = { maxEvents: 10, maxBytes: 6144, mergeWithinMs: 1000, mergeWithinLines: 8 } as const;

interface Region {
  /** First changed line, the same in both texts. */
  start: number;
  oldLines: string[];
  newLines: string[];
}

interface DocumentHistory {
  events: EditEvent[];
  /** The next change is a suggestion being accepted. */
  acceptPending: boolean;
}

export class EditHistory {
  private readonly documents = new Map<string, DocumentHistory>();
  private readonly maxEvents: number;
  private readonly maxBytes: number;
  private readonly mergeWithinMs: number;
  private readonly mergeWithinLines: number;

  constructor(private readonly options: EditHistoryOptions) {
    this.maxEvents = options.maxEvents ?? HISTORY_DEFAULTS.maxEvents;
    this.maxBytes = options.maxBytes ?? HISTORY_DEFAULTS.maxBytes;
    this.mergeWithinMs = options.mergeWithinMs ?? HISTORY_DEFAULTS.mergeWithinMs;
    this.mergeWithinLines = options.mergeWithinLines ?? HISTORY_DEFAULTS.mergeWithinLines;
  }

  /** Records a change of the document from `before` to `after`. */
  record(uri: string, before: string, after: string): void {
    if (before === after) return;
    const history = this.historyOf(uri);
    const beforeLines = before.split("\n");
    const afterLines = after.split("\n");
    const change = changedRegion(beforeLines, afterLines);
    const now = this.options.now();
    const accepted = history.acceptPending;
    history.acceptPending = false;
    const last = history.events[history.events.length - 1];
    if (!accepted && last !== undefined && !last.accepted && this.mergeable(last, change, now)) {
      const grown = merged(last, change, beforeLines, afterLines, now);
      // Typed and taken back again: nothing happened.
      if (sameLines(grown.oldLines, grown.newLines)) history.events.pop();
      else history.events[history.events.length - 1] = grown;
    } else {
      history.events.push({ startLine: change.start, oldLines: change.oldLines, newLines: change.newLines, accepted, lastAt: now });
    }
    // A new event moves the lines of older ones below it; their line numbers only place
    // them for merging, which only the newest does, so they are left as they were.
    this.bound(history);
  }

  /** The next change to the document is the user accepting a suggestion. */
  acceptNext(uri: string): void {
    this.historyOf(uri).acceptPending = true;
  }

  /** A closed document keeps no history. */
  forget(uri: string): void {
    this.documents.delete(uri);
  }

  /** The document's events, oldest first. */
  events(uri: string): readonly EditEvent[] {
    return this.documents.get(uri)?.events ?? [];
  }

  /** Documents with history (for tests and bounds). */
  get size(): number {
    return this.documents.size;
  }

  private historyOf(uri: string): DocumentHistory {
    let history = this.documents.get(uri);
    if (history === undefined) {
      history = { events: [], acceptPending: false };
      this.documents.set(uri, history);
    }
    return history;
  }

  private mergeable(last: EditEvent, change: Region, now: number): boolean {
    if (now - last.lastAt > this.mergeWithinMs) return false;
    const lastEnd = last.startLine + last.newLines.length;
    const changeEnd = change.start + change.oldLines.length;
    const gap = change.start > lastEnd ? change.start - lastEnd : last.startLine > changeEnd ? last.startLine - changeEnd : 0;
    return gap <= this.mergeWithinLines;
  }

  private bound(history: DocumentHistory): void {
    while (history.events.length > this.maxEvents) history.events.shift();
    while (history.events.length > 0 && history.events.reduce((sum, e) => sum + eventBytes(e), 0) > this.maxBytes) history.events.shift();
  }
}

function sameLines(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((line, i) => line === b[i]);
}

export function eventBytes(event: Pick<EditEvent, "oldLines" | "newLines">): number {
  return event.oldLines.reduce((n, l) => n + l.length + 1, 0) + event.newLines.reduce((n, l) => n + l.length + 1, 0);
}

/** The lines that differ between two texts: everything between their common first and last lines. */
export function changedRegion(before: readonly string[], after: readonly string[]): Region {
  let start = 0;
  const shorter = Math.min(before.length, after.length);
  while (start < shorter && before[start] === after[start]) start++;
  let tail = 0;
  while (tail < shorter - start && before[before.length - 1 - tail] === after[after.length - 1 - tail]) tail++;
  return { start, oldLines: before.slice(start, before.length - tail), newLines: after.slice(start, after.length - tail) };
}

/**
 * The event in progress grown by a change near it: the region is the union of both, its old
 * lines what the document held before the event (lines the event never touched are as
 * `before` has them), its new lines what `after` holds there now.
 */
function merged(last: EditEvent, change: Region, before: readonly string[], after: readonly string[], now: number): EditEvent {
  const lastEnd = last.startLine + last.newLines.length;
  const start = Math.min(last.startLine, change.start);
  const end = Math.max(lastEnd, change.start + change.oldLines.length);
  const oldLines = [...before.slice(start, last.startLine), ...last.oldLines, ...before.slice(lastEnd, end)];
  const newLines = after.slice(start, end + change.newLines.length - change.oldLines.length);
  return { startLine: start, oldLines, newLines, accepted: false, lastAt: now };
}

/**
 * The document's text before `event` (its region back to the old lines), as lines. The
 * event must be the newest, so its line numbers hold in `current`.
 */
export function revertEvent(current: readonly string[], event: EditEvent): string[] {
  return [...current.slice(0, event.startLine), ...event.oldLines, ...current.slice(event.startLine + event.newLines.length)];
}
