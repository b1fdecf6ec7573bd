/**
 * The editing-trace format: a JSON file of editor events (open a file, type keys with the
 * delays between them, backspace, move the cursor, switch files, accept a suggestion, apply an
 * accepted next-edit suggestion) that the bench replays through the real protocol. A trace carries the text of every file it
 * touches, so it replays the same way whatever is on disk later.
 *
 * Everything is checked on load and each error names the field and what was expected,
 * because traces are written by hand as well as generated. This file checks the shape;
 * `checkPlayable` (trace-editor.ts) dry-runs the events on the files' text, so a cursor
 * moved off the end of a file or a backspace before its start is reported at load, not
 * half-way through a bench run. This file depends on nothing of the bench's.
 */
import { readFileSync } from "node:fs";

export const TRACE_FORMAT = "hearth-trace";
export const TRACE_VERSION = 1;

/** A workspace folder, as one VS Code window would have it open. */
export interface TraceWorkspace {
  /** Short id the files refer to; also the folder's name. */
  id: string;
}

export interface TraceFile {
  id: string;
  /** The workspace (window) the file is edited in. */
  workspace: string;
  /** Path inside the workspace; it decides the document URI. */
  path: string;
  languageId: string;
  /** The file's text when the trace opens it. */
  text: string;
}

/** Where a generated trace came from, so it can be regenerated (and credited). */
export interface TraceProvenance {
  generator: string;
  seed: number;
  /** Files the trace's text was taken from, relative to the repository root. */
  sources: { path: string; lines?: string; license?: string }[];
}

interface Delayed {
  /** Milliseconds after the previous event (the previous key for multi-key events). */
  delayMs: number;
}

/** didOpen; the file becomes the active editor with the cursor at `line`/`character` (default 0:0). */
export interface OpenEvent extends Delayed {
  type: "open";
  file: string;
  line?: number;
  character?: number;
}

/** Switches the active editor to an open file (its cursor is where it was left). */
export interface FocusEvent extends Delayed {
  type: "focus";
  file: string;
}

/** Moves the cursor of the active file; zero-based line and UTF-16 character, as in LSP. */
export interface MoveEvent extends Delayed {
  type: "move";
  line: number;
  character: number;
}

/**
 * Types keys at the cursor, one content change each. A key is the text one keystroke
 * inserts: usually one character, or a newline plus the indentation an editor adds.
 */
export interface TypeEvent {
  type: "type";
  keys: string[];
  /** One delay per key: the time since the previous key (or event). */
  delaysMs: number[];
}

/** Backspace `delaysMs.length` times. */
export interface DeleteEvent {
  type: "delete";
  delaysMs: number[];
}

/**
 * The user accepts a suggestion: `text` is inserted at the cursor in one change, as
 * VS Code does on Tab. The text is what the trace's author accepted (the source file's
 * next chunk), not what the model happens to suggest, so every replay edits the same text;
 * the bench reports how often the model's suggestion matched it.
 */
export interface AcceptEvent extends Delayed {
  type: "accept";
  text: string;
}

/** One edit of an accepted next-edit suggestion: a range (zero-based, in the text before any of its event's edits) and the text replacing it. */
export interface TraceEdit {
  line: number;
  character: number;
  endLine: number;
  endCharacter: number;
  text: string;
}

/**
 * The user accepts a next-edit suggestion (Tab): its edits, in document order and not
 * overlapping, are applied in one change, as the extension applies them, and the cursor goes
 * to the end of the last one. Like `accept`, the edits are what the trace's author accepted
 * (the rest of the refactoring), not what a model suggested; the bench reports how often the
 * suggestion shown was exactly these edits.
 */
export interface ApplyEvent extends Delayed {
  type: "apply";
  edits: TraceEdit[];
}

export interface CloseEvent extends Delayed {
  type: "close";
  file: string;
}

export type TraceEvent = OpenEvent | FocusEvent | MoveEvent | TypeEvent | DeleteEvent | AcceptEvent | ApplyEvent | CloseEvent;

export interface Trace {
  format: typeof TRACE_FORMAT;
  version: typeof TRACE_VERSION;
  name: string;
  description: string;
  workspaces: TraceWorkspace[];
  files: TraceFile[];
  events: TraceEvent[];
  provenance?: TraceProvenance;
}

/** A trace that does not follow the format; the message names the file and the field. */
export class TraceFormatError extends Error {
  readonly code = "HEARTH_ERR_BAD_TRACE";
}

const MAX_DELAY_MS = 600_000;
const ID = /^[A-Za-z0-9_.-]{1,64}$/;

type Obj = Record<string, unknown>;

class Checker {
  constructor(private readonly where: string) {}

  fail(path: string, message: string): never {
    throw new TraceFormatError(`${this.where}: ${path} ${message}`);
  }

  object(value: unknown, path: string): Obj {
    if (typeof value !== "object" || value === null || Array.isArray(value)) this.fail(path, "must be an object");
    return value as Obj;
  }

  array(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) this.fail(path, "must be an array");
    return value;
  }

  string(value: unknown, path: string): string {
    if (typeof value !== "string") this.fail(path, `must be a string; got ${describe(value)}`);
    return value;
  }

  id(value: unknown, path: string): string {
    const text = this.string(value, path);
    if (!ID.test(text)) this.fail(path, `must be 1-64 letters, digits, "_", "." or "-"; got "${text.slice(0, 80)}"`);
    return text;
  }

  integer(value: unknown, path: string, min: number, max: number): number {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      this.fail(path, `must be an integer from ${min} to ${max}; got ${describe(value)}`);
    }
    return value;
  }

  delays(value: unknown, path: string): number[] {
    return this.array(value, path).map((d, i) => this.integer(d, `${path}[${i}]`, 0, MAX_DELAY_MS));
  }

  optionalInteger(value: unknown, path: string, min: number, max: number): number | undefined {
    return value === undefined ? undefined : this.integer(value, path, min, max);
  }

  onlyKeys(value: Obj, path: string, allowed: readonly string[]): void {
    for (const key of Object.keys(value)) if (!allowed.includes(key)) this.fail(`${path}.${key}`, `is not a field of this object (expected ${allowed.join(", ")})`);
  }
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function parseEvent(c: Checker, value: unknown, path: string): TraceEvent {
  const e = c.object(value, path);
  const type = c.string(e.type, `${path}.type`);
  const delayMs = (): number => c.integer(e.delayMs, `${path}.delayMs`, 0, MAX_DELAY_MS);
  switch (type) {
    case "open": {
      c.onlyKeys(e, path, ["type", "delayMs", "file", "line", "character"]);
      const event: OpenEvent = { type, delayMs: delayMs(), file: c.id(e.file, `${path}.file`) };
      const line = c.optionalInteger(e.line, `${path}.line`, 0, 10_000_000);
      const character = c.optionalInteger(e.character, `${path}.character`, 0, 10_000_000);
      if (line !== undefined) event.line = line;
      if (character !== undefined) event.character = character;
      return event;
    }
    case "focus":
    case "close":
      c.onlyKeys(e, path, ["type", "delayMs", "file"]);
      return { type, delayMs: delayMs(), file: c.id(e.file, `${path}.file`) };
    case "move":
      c.onlyKeys(e, path, ["type", "delayMs", "line", "character"]);
      return { type, delayMs: delayMs(), line: c.integer(e.line, `${path}.line`, 0, 10_000_000), character: c.integer(e.character, `${path}.character`, 0, 10_000_000) };
    case "type": {
      c.onlyKeys(e, path, ["type", "keys", "delaysMs"]);
      const keys = c.array(e.keys, `${path}.keys`).map((k, i) => c.string(k, `${path}.keys[${i}]`));
      keys.forEach((k, i) => k.length === 0 && c.fail(`${path}.keys[${i}]`, "must not be empty"));
      const delaysMs = c.delays(e.delaysMs, `${path}.delaysMs`);
      if (keys.length === 0) c.fail(`${path}.keys`, "must hold at least one key");
      if (delaysMs.length !== keys.length) c.fail(`${path}.delaysMs`, `must hold one delay per key (${keys.length}); got ${delaysMs.length}`);
      return { type, keys, delaysMs };
    }
    case "delete": {
      c.onlyKeys(e, path, ["type", "delaysMs"]);
      const delaysMs = c.delays(e.delaysMs, `${path}.delaysMs`);
      if (delaysMs.length === 0) c.fail(`${path}.delaysMs`, "must hold one delay per backspace (at least one)");
      return { type, delaysMs };
    }
    case "accept": {
      c.onlyKeys(e, path, ["type", "delayMs", "text"]);
      const text = c.string(e.text, `${path}.text`);
      if (text.length === 0) c.fail(`${path}.text`, "must not be empty");
      return { type, delayMs: delayMs(), text };
    }
    case "apply": {
      c.onlyKeys(e, path, ["type", "delayMs", "edits"]);
      const edits = c.array(e.edits, `${path}.edits`).map((x, i) => parseEdit(c, x, `${path}.edits[${i}]`));
      if (edits.length === 0) c.fail(`${path}.edits`, "must hold at least one edit");
      edits.forEach((edit, i) => {
        const previous = edits[i - 1];
        if (previous !== undefined && before(edit.line, edit.character, previous.endLine, previous.endCharacter)) {
          c.fail(`${path}.edits[${i}]`, "must start at or after the end of the edit before it (edits in document order, not overlapping)");
        }
      });
      return { type, delayMs: delayMs(), edits };
    }
    default:
      return c.fail(`${path}.type`, `must be one of open, focus, move, type, delete, accept, apply, close; got "${type}"`);
  }
}

function before(line: number, character: number, otherLine: number, otherCharacter: number): boolean {
  return line < otherLine || (line === otherLine && character < otherCharacter);
}

function parseEdit(c: Checker, value: unknown, path: string): TraceEdit {
  const o = c.object(value, path);
  c.onlyKeys(o, path, ["line", "character", "endLine", "endCharacter", "text"]);
  const edit: TraceEdit = {
    line: c.integer(o.line, `${path}.line`, 0, 10_000_000),
    character: c.integer(o.character, `${path}.character`, 0, 10_000_000),
    endLine: c.integer(o.endLine, `${path}.endLine`, 0, 10_000_000),
    endCharacter: c.integer(o.endCharacter, `${path}.endCharacter`, 0, 10_000_000),
    text: c.string(o.text, `${path}.text`),
  };
  if (before(edit.endLine, edit.endCharacter, edit.line, edit.character)) c.fail(path, "must end at or after its start");
  if (edit.text === "" && edit.line === edit.endLine && edit.character === edit.endCharacter) c.fail(path, "changes nothing (an empty range and no text)");
  return edit;
}

/**
 * Checks a parsed JSON value against the format; `where` prefixes errors. The events' fit to
 * the text is `checkPlayable`'s job (trace-editor.ts).
 */
export function parseTrace(value: unknown, where = "trace"): Trace {
  const c = new Checker(where);
  const t = c.object(value, "the trace");
  c.onlyKeys(t, "trace", ["format", "version", "name", "description", "workspaces", "files", "events", "provenance"]);
  if (t.format !== TRACE_FORMAT) c.fail("format", `must be "${TRACE_FORMAT}"; got ${describe(t.format)} (is this a Hearth trace?)`);
  if (t.version !== TRACE_VERSION) c.fail("version", `must be ${TRACE_VERSION}; got ${describe(t.version)} (this Hearth reads version ${TRACE_VERSION} traces)`);
  const name = c.id(t.name, "name");
  const description = t.description === undefined ? "" : c.string(t.description, "description");

  const workspaces = c.array(t.workspaces, "workspaces").map((w, i): TraceWorkspace => {
    const o = c.object(w, `workspaces[${i}]`);
    c.onlyKeys(o, `workspaces[${i}]`, ["id"]);
    return { id: c.id(o.id, `workspaces[${i}].id`) };
  });
  if (workspaces.length === 0) c.fail("workspaces", "must list at least one workspace");
  const workspaceIds = new Set<string>();
  workspaces.forEach((w, i) => (workspaceIds.has(w.id) ? c.fail(`workspaces[${i}].id`, `"${w.id}" is listed twice`) : workspaceIds.add(w.id)));

  const files = c.array(t.files, "files").map((f, i): TraceFile => {
    const path = `files[${i}]`;
    const o = c.object(f, path);
    c.onlyKeys(o, path, ["id", "workspace", "path", "languageId", "text"]);
    const workspace = c.id(o.workspace, `${path}.workspace`);
    if (!workspaceIds.has(workspace)) c.fail(`${path}.workspace`, `names no workspace of this trace ("${workspace}")`);
    const filePath = c.string(o.path, `${path}.path`);
    if (filePath === "" || filePath.startsWith("/") || filePath.split("/").includes("..")) c.fail(`${path}.path`, `must be a relative path inside the workspace; got "${filePath}"`);
    return { id: c.id(o.id, `${path}.id`), workspace, path: filePath, languageId: c.string(o.languageId, `${path}.languageId`), text: c.string(o.text, `${path}.text`) };
  });
  const fileIds = new Set<string>();
  files.forEach((f, i) => (fileIds.has(f.id) ? c.fail(`files[${i}].id`, `"${f.id}" is listed twice`) : fileIds.add(f.id)));

  const events = c.array(t.events, "events").map((e, i) => parseEvent(c, e, `events[${i}]`));
  if (events.length === 0) c.fail("events", "must hold at least one event");

  const trace: Trace = { format: TRACE_FORMAT, version: TRACE_VERSION, name, description, workspaces, files, events };
  if (t.provenance !== undefined) trace.provenance = parseProvenance(c, t.provenance);
  return trace;
}

function parseProvenance(c: Checker, value: unknown): TraceProvenance {
  const o = c.object(value, "provenance");
  const sources = c.array(o.sources, "provenance.sources").map((s, i) => {
    const so = c.object(s, `provenance.sources[${i}]`);
    const source: TraceProvenance["sources"][number] = { path: c.string(so.path, `provenance.sources[${i}].path`) };
    if (so.lines !== undefined) source.lines = c.string(so.lines, `provenance.sources[${i}].lines`);
    if (so.license !== undefined) source.license = c.string(so.license, `provenance.sources[${i}].license`);
    return source;
  });
  return { generator: c.string(o.generator, "provenance.generator"), seed: c.integer(o.seed, "provenance.seed", 0, 2 ** 32 - 1), sources };
}

/** Reads a trace file and checks its shape (`checkPlayable` then checks its events). */
export function loadTrace(file: string): Trace {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new TraceFormatError(`cannot read trace ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TraceFormatError(`${file} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseTrace(value, file);
}

/** Keystrokes (content changes the user makes) in a trace: each one asks for a completion. An applied next edit asks for none. */
export function countKeystrokes(trace: Trace): number {
  let n = 0;
  for (const e of trace.events) {
    if (e.type === "type" || e.type === "delete") n += e.delaysMs.length;
    else if (e.type === "accept") n += 1;
  }
  return n;
}

/** How long a replay takes at the trace's own pace, in milliseconds. */
export function traceDurationMs(trace: Trace): number {
  let ms = 0;
  for (const e of trace.events) {
    if (e.type === "type" || e.type === "delete") for (const d of e.delaysMs) ms += d;
    else ms += e.delayMs;
  }
  return ms;
}

/**
 * The trace as a JSON file: two-space indentation, but one line per event, so a diff of a
 * regenerated trace shows which events changed and the file stays readable.
 */
export function formatTrace(trace: Trace): string {
  const { events, ...rest } = trace;
  const head = JSON.stringify({ ...rest, events: [] }, null, 2);
  const lines = events.map((e) => `    ${JSON.stringify(e)}`).join(",\n");
  const at = head.lastIndexOf('"events": []');
  return `${head.slice(0, at)}"events": [\n${lines}\n  ]${head.slice(at + '"events": []'.length)}\n`;
}
