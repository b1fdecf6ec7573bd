/**
 * Context from other files, as llama.vscode's ring buffer: chunks of recently edited or
 * opened files queue up as they happen, and join the prompt (its very first segment) only
 * when the workspace is idle, because any change there re-evaluates everything after it.
 * Chunks that mostly repeat another are merged away; the active set keeps a token budget,
 * dropping the oldest first.
 */
import type { ContextChunk } from "./fim-prompt.js";

export interface RingChunk extends ContextChunk {
  /** The document it came from; its own document's chunks never enter its prompt. */
  uri: string;
}

export interface ContextRingOptions {
  /** Most chunks kept active. */
  maxChunks: number;
  /** Token budget of the active chunks together. */
  maxTokens: number;
  /** Share of a chunk's lines found in another chunk above which they are the same chunk. */
  duplicateThreshold: number;
}

export const defaultContextRingOptions: ContextRingOptions = { maxChunks: 16, maxTokens: 1024, duplicateThreshold: 0.9 };

function lineSet(text: string): Set<string> {
  return new Set(text.split("\n").map((l) => l.trim()).filter((l) => l.length > 2));
}

/** Share of a's meaningful lines that also appear in b. */
export function overlap(a: string, b: string): number {
  const linesA = lineSet(a);
  if (linesA.size === 0) return 1;
  const linesB = lineSet(b);
  let shared = 0;
  for (const line of linesA) if (linesB.has(line)) shared++;
  return shared / linesA.size;
}

export class ContextRing {
  private active: RingChunk[] = [];
  private pending: RingChunk[] = [];

  constructor(
    private readonly countTokens: (text: string) => number,
    private readonly options: ContextRingOptions = defaultContextRingOptions,
  ) {}

  /** Queues a chunk; it reaches prompts at the next `promote()`. */
  add(chunk: RingChunk): void {
    if (chunk.text.trim().length === 0) return;
    this.pending = this.pending.filter((c) => overlap(c.text, chunk.text) < this.options.duplicateThreshold);
    this.pending.push(chunk);
    if (this.pending.length > this.options.maxChunks) this.pending.shift();
  }

  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Moves queued chunks into the active set (call when idle); true when the set changed. */
  promote(): boolean {
    if (this.pending.length === 0) return false;
    let next = [...this.active];
    for (const chunk of this.pending) {
      next = next.filter((c) => overlap(c.text, chunk.text) < this.options.duplicateThreshold && overlap(chunk.text, c.text) < this.options.duplicateThreshold);
      next.push(chunk);
    }
    this.pending = [];
    while (next.length > this.options.maxChunks) next.shift();
    while (next.length > 0 && next.reduce((sum, c) => sum + this.countTokens(c.text), 0) > this.options.maxTokens) next.shift();
    const changed = next.length !== this.active.length || next.some((c, i) => c !== this.active[i]);
    this.active = next;
    return changed;
  }

  /** The active chunks for a prompt about `uri`, oldest first so the prompt's head is stable. */
  chunksFor(uri: string): ContextChunk[] {
    return this.active.filter((c) => c.uri !== uri).map(({ name, text }) => ({ name, text }));
  }

  get size(): { active: number; pending: number } {
    return { active: this.active.length, pending: this.pending.length };
  }
}

/** Longest line a chunk keeps (a minified line is cut to its start). */
export const MAX_CHUNK_LINE_CHARS = 512;

/**
 * The lines around a change, as a chunk: what the user is working on in that file. Found
 * by scanning for newlines from the start (no split of the whole text on every keystroke),
 * each line cut to MAX_CHUNK_LINE_CHARS, so a 2 MB minified line makes a small chunk.
 */
export function chunkAround(text: string, line: number, radius = 32): string {
  const first = Math.max(0, line - radius);
  let offset = 0;
  for (let current = 0; current < first; current++) {
    const next = text.indexOf("\n", offset);
    if (next === -1) return "";
    offset = next + 1;
  }
  const lines: string[] = [];
  for (let current = first; current < line + radius && offset <= text.length; current++) {
    const next = text.indexOf("\n", offset);
    const end = next === -1 ? text.length : next;
    lines.push(text.slice(offset, Math.min(end, offset + MAX_CHUNK_LINE_CHARS)));
    if (next === -1) break;
    offset = next + 1;
  }
  return lines.join("\n");
}
