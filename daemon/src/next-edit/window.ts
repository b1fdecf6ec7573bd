/**
 * The part of a document a next-edit prompt shows, cut for one format: the window the model
 * rewrites (lines around the cursor's), the context lines around it, the window as it was
 * before the edit in progress, and the settled history within the format's budget. Pure.
 */
import { revertEvent, type EditEvent } from "./edit-history.js";
import type { HistoryEntry, NextEditFormat, NextEditPromptInput, RelatedFile } from "./format.js";

export interface WindowSource {
  text: string;
  cursor: { line: number; character: number };
  /** The document's path as prompts name it. */
  path: string;
  /** The document's events, oldest first (edit-history.ts). */
  events: readonly EditEvent[];
  related: readonly RelatedFile[];
  /** Tokens of a text, for the history budget (an estimate is fine). */
  countTokens: (text: string) => number;
}

export interface CutWindow {
  input: NextEditPromptInput;
  /** The document line the window starts at. */
  startLine: number;
}

export function cutWindow(format: NextEditFormat, source: WindowSource): CutWindow {
  const lines = source.text.split("\n");
  const cursorLine = Math.min(Math.max(source.cursor.line, 0), lines.length - 1);
  const start = Math.max(0, cursorLine - format.window.above);
  const end = Math.min(lines.length, cursorLine + format.window.below + 1);
  const contextStart = Math.max(0, start - format.context.above);
  const contextEnd = Math.min(lines.length, end + format.context.below);
  const latest = source.events[source.events.length - 1];
  const inProgress = latest !== undefined && touches(latest, start, end) ? latest : null;
  const settled = inProgress === null ? source.events : source.events.slice(0, -1);
  const character = Math.min(source.cursor.character, (lines[cursorLine] ?? "").length);
  return {
    startLine: start,
    input: {
      path: source.path,
      related: source.related,
      history: fitHistory(format, settled, source.path, source.countTokens),
      above: lines.slice(contextStart, start),
      window: lines.slice(start, end),
      original: inProgress === null ? lines.slice(start, end) : originalWindow(lines, inProgress, start, end),
      cursor: { line: cursorLine - start, character },
      below: lines.slice(end, contextEnd),
      atFileStart: contextStart === 0,
    },
  };
}

/** Whether the event's region (as it is now) lies in or at the edge of the window. */
function touches(event: EditEvent, start: number, end: number): boolean {
  const eventEnd = event.startLine + event.newLines.length;
  return event.startLine <= end && eventEnd >= start;
}

/** The window's lines before the event: its region back to the old lines, the window's edges mapped across it. */
function originalWindow(lines: readonly string[], event: EditEvent, start: number, end: number): string[] {
  const reverted = revertEvent(lines, event);
  const regionEnd = event.startLine + event.newLines.length;
  const delta = event.oldLines.length - event.newLines.length;
  const map = (line: number, atEnd: boolean): number => {
    if (line <= event.startLine) return line;
    if (line >= regionEnd) return line + delta;
    return atEnd ? event.startLine + event.oldLines.length : event.startLine;
  };
  return reverted.slice(map(start, false), map(end, true));
}

/** The newest settled events that fit the format's count and token budget, oldest first. */
function fitHistory(format: NextEditFormat, events: readonly EditEvent[], path: string, countTokens: (text: string) => number): HistoryEntry[] {
  const kept: HistoryEntry[] = [];
  let tokens = 0;
  for (let i = events.length - 1; i >= 0 && kept.length < format.maxHistoryEvents; i--) {
    const event = events[i] as EditEvent;
    const cost = countTokens([...event.oldLines, ...event.newLines].join("\n")) + 8;
    if (tokens + cost > format.historyTokens) break;
    tokens += cost;
    kept.unshift({ path, startLine: event.startLine, oldLines: event.oldLines, newLines: event.newLines, accepted: event.accepted });
  }
  return kept;
}
