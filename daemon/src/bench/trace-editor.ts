/**
 * A minimal editor that plays a trace's events on the files' text: cursors, versions and
 * the LSP incremental change each keystroke makes. The replayers turn its effects into
 * protocol messages (or HTTP requests for a peer); `checkPlayable` dry-runs it to reject
 * events that don't fit the text. No clock here: delays are the replayers' business.
 */
import type { Position, TextDocumentContentChangeEvent } from "../protocol.js";
import { TraceFormatError, type Trace, type TraceEdit, type TraceEvent, type TraceFile } from "./trace.js";

/** The document URI of a trace file: a file: URI under a per-workspace folder that exists nowhere. */
export function workspaceFolderUri(workspace: string): string {
  return `file:///hearth-bench/${encodeURIComponent(workspace)}`;
}

export function fileUri(file: TraceFile): string {
  return `${workspaceFolderUri(file.workspace)}/${file.path.split("/").map(encodeURIComponent).join("/")}`;
}

/** One thing the user does, with the time since the previous one. */
export type EditorStep =
  | { kind: "open"; delayMs: number; file: string; line?: number; character?: number }
  | { kind: "focus"; delayMs: number; file: string }
  | { kind: "move"; delayMs: number; line: number; character: number }
  | { kind: "insert"; delayMs: number; text: string; accept: boolean }
  | { kind: "backspace"; delayMs: number }
  | { kind: "apply"; delayMs: number; edits: TraceEdit[] }
  | { kind: "close"; delayMs: number; file: string };

export function expandEvent(event: TraceEvent): EditorStep[] {
  switch (event.type) {
    case "type":
      return event.keys.map((text, i) => ({ kind: "insert", delayMs: event.delaysMs[i] ?? 0, text, accept: false }));
    case "delete":
      return event.delaysMs.map((delayMs) => ({ kind: "backspace", delayMs }));
    case "accept":
      return [{ kind: "insert", delayMs: event.delayMs, text: event.text, accept: true }];
    case "apply":
      return [{ kind: "apply", delayMs: event.delayMs, edits: event.edits }];
    case "open": {
      const step: EditorStep = { kind: "open", delayMs: event.delayMs, file: event.file };
      if (event.line !== undefined) step.line = event.line;
      if (event.character !== undefined) step.character = event.character;
      return [step];
    }
    case "focus":
    case "close":
      return [{ kind: event.type, delayMs: event.delayMs, file: event.file }];
    case "move":
      return [{ kind: "move", delayMs: event.delayMs, line: event.line, character: event.character }];
  }
}

export function expandTrace(trace: Trace): EditorStep[] {
  return trace.events.flatMap(expandEvent);
}

export class EditorFile {
  readonly uri: string;
  text: string;
  version = 0;
  /** Cursor as a UTF-16 offset into `text`. */
  cursor = 0;
  isOpen = false;

  constructor(readonly trace: TraceFile) {
    this.uri = fileUri(trace);
    this.text = trace.text;
  }

  positionAt(offset: number): Position {
    let line = 0;
    let lineStart = 0;
    for (let i = this.text.indexOf("\n"); i !== -1 && i < offset; i = this.text.indexOf("\n", i + 1)) {
      line++;
      lineStart = i + 1;
    }
    return { line, character: offset - lineStart };
  }

  /** Offset of a position; throws when the position is not in the text. */
  offsetAt(position: Position): number {
    let start = 0;
    for (let line = 0; line < position.line; line++) {
      const next = this.text.indexOf("\n", start);
      if (next === -1) throw new Error(`line ${position.line} is past the end of ${this.trace.path} (${line + 1} lines)`);
      start = next + 1;
    }
    const end = this.text.indexOf("\n", start);
    const length = (end === -1 ? this.text.length : end) - start;
    if (position.character > length) throw new Error(`character ${position.character} is past the end of line ${position.line} of ${this.trace.path} (${length} characters)`);
    return start + position.character;
  }

  get cursorPosition(): Position {
    return this.positionAt(this.cursor);
  }

  /** The line holding the cursor: its text before and after the cursor. */
  cursorLine(): { before: string; after: string } {
    const start = this.text.lastIndexOf("\n", this.cursor - 1) + 1;
    const endIndex = this.text.indexOf("\n", this.cursor);
    const end = endIndex === -1 ? this.text.length : endIndex;
    return { before: this.text.slice(start, this.cursor), after: this.text.slice(this.cursor, end) };
  }

  /**
   * Applies edits given in the text as it is (document order, not overlapping) in one change
   * set, as an editor applies a suggestion: the LSP changes come last edit first, so each
   * range holds in the text the changes before it left. The cursor goes to the end of the
   * last edit.
   */
  applyEdits(edits: readonly TraceEdit[]): TextDocumentContentChangeEvent[] {
    const spans = edits.map((edit) => ({ start: this.offsetAt({ line: edit.line, character: edit.character }), end: this.offsetAt({ line: edit.endLine, character: edit.endCharacter }), text: edit.text }));
    spans.forEach((span, i) => {
      if (span.end < span.start || (i > 0 && span.start < (spans[i - 1] as { end: number }).end)) throw new Error("apply edits must be in document order and not overlap");
    });
    const changes = [...spans].reverse().map((span) => ({ range: { start: this.positionAt(span.start), end: this.positionAt(span.end) }, text: span.text }));
    let text = this.text;
    for (const span of [...spans].reverse()) text = text.slice(0, span.start) + span.text + text.slice(span.end);
    const last = spans[spans.length - 1];
    const shift = spans.slice(0, -1).reduce((n, span) => n + span.text.length - (span.end - span.start), 0);
    this.text = text;
    this.version++;
    this.cursor = last === undefined ? this.cursor : last.start + shift + last.text.length;
    return changes;
  }

  /** Replaces [start, end) with `text` and returns the LSP change (range in the old text). */
  edit(start: number, end: number, text: string): TextDocumentContentChangeEvent {
    const change = { range: { start: this.positionAt(start), end: this.positionAt(end) }, text };
    this.text = this.text.slice(0, start) + text + this.text.slice(end);
    this.version++;
    this.cursor = start + text.length;
    return change;
  }
}

/** What a step did, for a replayer to send. */
export type EditorEffect =
  | { kind: "open"; file: EditorFile }
  | { kind: "close"; file: EditorFile }
  /** A keystroke changed the text: didChange, then the editor asks for a completion. */
  | { kind: "change"; file: EditorFile; change: TextDocumentContentChangeEvent; accept: boolean }
  /** An accepted next-edit suggestion changed the text: one didChange with these changes, in order; the cursor moved to its end. */
  | { kind: "apply"; file: EditorFile; changes: TextDocumentContentChangeEvent[] }
  /** The cursor left the spot (moved, or another editor got focus): any pending suggestion is moot. */
  | { kind: "interrupt"; file: EditorFile };

export class TraceEditor {
  readonly files = new Map<string, EditorFile>();
  active: EditorFile | null = null;

  constructor(trace: Trace) {
    for (const file of trace.files) this.files.set(file.id, new EditorFile(file));
  }

  apply(step: EditorStep): EditorEffect[] {
    switch (step.kind) {
      case "open": {
        const file = this.file(step.file);
        if (file.isOpen) throw new Error(`file "${step.file}" is already open`);
        file.isOpen = true;
        file.version = 1;
        file.cursor = file.offsetAt({ line: step.line ?? 0, character: step.character ?? 0 });
        return [...this.blur(file), { kind: "open", file }];
      }
      case "focus": {
        const file = this.file(step.file);
        if (!file.isOpen) throw new Error(`file "${step.file}" is focused before it is opened`);
        return this.blur(file);
      }
      case "close": {
        const file = this.file(step.file);
        if (!file.isOpen) throw new Error(`file "${step.file}" is closed but not open`);
        file.isOpen = false;
        if (this.active === file) this.active = null;
        return [{ kind: "interrupt", file }, { kind: "close", file }];
      }
      case "move": {
        const file = this.requireActive("move");
        file.cursor = file.offsetAt(step);
        return [{ kind: "interrupt", file }];
      }
      case "insert": {
        const file = this.requireActive(step.accept ? "accept" : "type");
        const change = file.edit(file.cursor, file.cursor, step.text);
        return [{ kind: "change", file, change, accept: step.accept }];
      }
      case "apply": {
        const file = this.requireActive("apply");
        return [{ kind: "apply", file, changes: file.applyEdits(step.edits) }];
      }
      case "backspace": {
        const file = this.requireActive("delete");
        if (file.cursor === 0) throw new Error(`backspace at the start of ${file.trace.path}`);
        // A surrogate pair is one character to the user.
        const width = file.cursor >= 2 && /[\uDC00-\uDFFF]/.test(file.text[file.cursor - 1] ?? "") && /[\uD800-\uDBFF]/.test(file.text[file.cursor - 2] ?? "") ? 2 : 1;
        const change = file.edit(file.cursor - width, file.cursor, "");
        return [{ kind: "change", file, change, accept: false }];
      }
    }
  }

  private file(id: string): EditorFile {
    const file = this.files.get(id);
    if (!file) throw new Error(`names no file of this trace ("${id}")`);
    return file;
  }

  private requireActive(what: string): EditorFile {
    if (this.active === null) throw new Error(`${what} with no file open and focused`);
    return this.active;
  }

  private blur(next: EditorFile): EditorEffect[] {
    const previous = this.active;
    this.active = next;
    return previous !== null && previous !== next ? [{ kind: "interrupt", file: previous }] : [];
  }
}

/**
 * The dry run: plays every event on the files' text and throws a TraceFormatError naming the
 * first event that does not fit the text as it is by then (`where` prefixes the message, as
 * the shape checks' do). Returns the trace, so a loader reads `checkPlayable(loadTrace(f), f)`.
 */
export function checkPlayable(trace: Trace, where = "trace"): Trace {
  const editor = new TraceEditor(trace);
  trace.events.forEach((event, i) => {
    try {
      for (const step of expandEvent(event)) editor.apply(step);
    } catch (error) {
      throw new TraceFormatError(`${where}: events[${i}] ${error instanceof Error ? error.message : String(error)}`);
    }
  });
  return trace;
}
