/**
 * Turns source text into a human-like typing trace, deterministically from a seed: the
 * gaps between keys follow a log-normal law around a typist's pace, with longer pauses
 * after words and before new lines (thinking), an occasional long pause (reading), typos
 * noticed and backspaced, and now and then a line finished by accepting a suggestion
 * instead of typing it. Enter carries the next line's indentation, as an editor's
 * auto-indent would, so indentation is one keystroke, not one per space.
 *
 * The shape of the pace matters more than its exact numbers: the debounce in the
 * extension adapts to the typist's rhythm, so the bench sends requests where a person
 * would pause, not on every key.
 */
import { hashSeed, Mulberry32 } from "../gguf/seeded-random.js";
import { TRACE_FORMAT, TRACE_VERSION, type Trace, type TraceEvent, type TraceProvenance } from "./trace.js";

export const TRACE_GENERATOR = "hearth-typist/1";

export interface Rhythm {
  /** Median gap between two keys inside a word. */
  keyMedianMs: number;
  /** Log-normal spread (sigma) of that gap. */
  keySpread: number;
  /** Extra pause after a word or punctuation, with its chance. */
  wordPauseMs: number;
  wordPauseChance: number;
  /** Median pause before the first key of a new line. */
  linePauseMs: number;
  /** A long pause (reading, thinking) before any key, with its chance. */
  longPauseMs: number;
  longPauseChance: number;
  /** Chance that a letter is mistyped, then noticed and backspaced. */
  typoChance: number;
  /** Chance that a line long enough is finished by accepting a suggestion. */
  acceptChance: number;
}

/** A programmer typing code at a moderate pace (about 60 words a minute in bursts). */
export const humanRhythm: Rhythm = {
  keyMedianMs: 140,
  keySpread: 0.35,
  wordPauseMs: 180,
  wordPauseChance: 0.45,
  linePauseMs: 650,
  longPauseMs: 1800,
  longPauseChance: 0.015,
  typoChance: 0.02,
  acceptChance: 0.2,
};

const MIN_GAP_MS = 25;
const MAX_GAP_MS = 5000;

export class Typist {
  private readonly random: Mulberry32;
  readonly rhythm: Rhythm;

  constructor(seed: number, rhythm: Partial<Rhythm> = {}) {
    this.random = new Mulberry32(hashSeed("typist", seed));
    this.rhythm = { ...humanRhythm, ...rhythm };
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.random.nextFloat();
  }

  integer(min: number, max: number): number {
    return Math.floor(this.uniform(min, max + 1));
  }

  chance(p: number): boolean {
    return this.random.nextFloat() < p;
  }

  /** Log-normal around `median`, whole milliseconds, clamped to a human range. */
  gap(median: number, spread = this.rhythm.keySpread): number {
    // Box-Muller; 1 - u keeps log() away from 0.
    const u = 1 - this.random.nextFloat();
    const v = this.random.nextFloat();
    const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return Math.round(Math.min(MAX_GAP_MS, Math.max(MIN_GAP_MS, median * Math.exp(spread * normal))));
  }

  /** A pause before a deliberate action (moving the cursor, switching files). */
  pause(medianMs = 1200): number {
    return this.gap(medianMs, 0.3);
  }

  /**
   * Events that type `text` at the cursor. Leading whitespace of the first line is one key
   * (Tab); each newline key carries the next line's indentation (auto-indent).
   */
  type(text: string, options: { firstDelayMs?: number; allowAccept?: boolean } = {}): TraceEvent[] {
    const out = new EventBuffer();
    const allowAccept = options.allowAccept ?? true;
    let pendingDelay = options.firstDelayMs;
    const next = (median: number): number => {
      const d = pendingDelay ?? this.gap(median);
      pendingDelay = undefined;
      return d + (this.chance(this.rhythm.longPauseChance) ? this.gap(this.rhythm.longPauseMs, 0.4) : 0);
    };
    const lines = text.split("\n");
    lines.forEach((line, index) => {
      const indent = /^[ \t]*/.exec(line)?.[0] ?? "";
      const body = line.slice(indent.length);
      if (index > 0) out.key(`\n${indent}`, next(this.rhythm.linePauseMs));
      else if (indent !== "") out.key(indent, next(this.rhythm.keyMedianMs));
      // Accept only when the line has a few characters to type first and enough left to be worth a suggestion.
      const acceptAt = allowAccept && body.length >= 12 && this.chance(this.rhythm.acceptChance) ? this.integer(2, Math.min(6, body.length - 6)) : -1;
      for (let i = 0; i < body.length; i++) {
        if (i === acceptAt) {
          out.accept(body.slice(i), this.gap(650, 0.3));
          return;
        }
        const ch = body[i] as string;
        const previous = i > 0 ? (body[i - 1] as string) : "";
        const afterWord = previous !== "" && /[\s.,;:()[\]{}=]/.test(previous);
        let delay = next(i === 0 && index > 0 ? this.rhythm.keyMedianMs * 1.5 : this.rhythm.keyMedianMs);
        if (afterWord && this.chance(this.rhythm.wordPauseChance)) delay += this.gap(this.rhythm.wordPauseMs, 0.5);
        if (/[a-z]/i.test(ch) && this.chance(this.rhythm.typoChance)) {
          out.key(this.wrongLetter(ch), delay);
          out.backspace(this.gap(350, 0.3));
          delay = this.gap(this.rhythm.keyMedianMs);
        }
        out.key(ch, delay);
      }
    });
    return out.events;
  }

  /** Backspaces `count` times at a steady pace (holding the key down is faster than typing). */
  backspace(count: number, firstDelayMs?: number): TraceEvent[] {
    const out = new EventBuffer();
    for (let i = 0; i < count; i++) out.backspace(i === 0 && firstDelayMs !== undefined ? firstDelayMs : this.gap(90, 0.25));
    return out.events;
  }

  private wrongLetter(intended: string): string {
    const letters = "asdfghjklqwertyuiopzxcvbnm";
    let wrong = intended;
    while (wrong.toLowerCase() === intended.toLowerCase()) wrong = letters[this.integer(0, letters.length - 1)] as string;
    return intended === intended.toUpperCase() ? wrong.toUpperCase() : wrong;
  }
}

/** Collects keys into as few events as possible: one `type` event per run of keys. */
class EventBuffer {
  readonly events: TraceEvent[] = [];

  key(key: string, delayMs: number): void {
    const last = this.events[this.events.length - 1];
    if (last?.type === "type") {
      last.keys.push(key);
      last.delaysMs.push(delayMs);
    } else this.events.push({ type: "type", keys: [key], delaysMs: [delayMs] });
  }

  backspace(delayMs: number): void {
    const last = this.events[this.events.length - 1];
    if (last?.type === "delete") last.delaysMs.push(delayMs);
    else this.events.push({ type: "delete", delaysMs: [delayMs] });
  }

  accept(text: string, delayMs: number): void {
    this.events.push({ type: "accept", delayMs, text });
  }
}

export interface SourceFile {
  /** Path shown in the trace and its provenance (relative to the repository root). */
  path: string;
  text: string;
  languageId: string;
  license?: string;
}

export interface TypingTraceOptions {
  name: string;
  description: string;
  seed: number;
  source: SourceFile;
  /** 1-based inclusive lines the user types; the file opens with one empty line in their place. */
  startLine: number;
  endLine: number;
  /** The path of the file inside its workspace (default: the source's base name). */
  filePath?: string;
  workspace?: string;
  rhythm?: Partial<Rhythm>;
}

/** Removes lines [startLine, endLine] (1-based) leaving one empty line; returns the text and what to type there. */
export function cutLines(text: string, startLine: number, endLine: number): { text: string; typed: string; line: number } {
  const lines = text.split("\n");
  if (startLine < 1 || endLine < startLine || endLine > lines.length) throw new RangeError(`lines ${startLine}-${endLine} are not inside the file's ${lines.length} lines`);
  const typed = lines.slice(startLine - 1, endLine).join("\n");
  const rest = [...lines.slice(0, startLine - 1), "", ...lines.slice(endLine)];
  return { text: rest.join("\n"), typed, line: startLine - 1 };
}

/**
 * The generator's main form: a trace that opens `source` without lines start..end and
 * types them back with a human rhythm. The final text equals the source.
 */
export function typingTraceFromSource(options: TypingTraceOptions): Trace {
  const typist = new Typist(options.seed, options.rhythm);
  const cut = cutLines(options.source.text, options.startLine, options.endLine);
  const workspace = options.workspace ?? "main";
  const filePath = options.filePath ?? options.source.path.split("/").pop() ?? "file";
  const provenance: TraceProvenance = {
    generator: TRACE_GENERATOR,
    seed: options.seed,
    sources: [sourceCredit(options.source, `${options.startLine}-${options.endLine}`)],
  };
  return {
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    name: options.name,
    description: options.description,
    workspaces: [{ id: workspace }],
    files: [{ id: "f1", workspace, path: filePath, languageId: options.source.languageId, text: cut.text }],
    events: [{ type: "open", delayMs: 0, file: "f1", line: cut.line, character: 0 }, ...typist.type(cut.typed, { firstDelayMs: typist.pause(800) })],
    provenance,
  };
}

export function sourceCredit(source: SourceFile, lines?: string): TraceProvenance["sources"][number] {
  const credit: TraceProvenance["sources"][number] = { path: source.path };
  if (lines !== undefined) credit.lines = lines;
  if (source.license !== undefined) credit.license = source.license;
  return credit;
}
