/**
 * A workspace's recent text, as tokens, for prompt lookup: the last prompts of its other
 * documents (what the user was just editing elsewhere) and its recent completions (what the
 * model wrote, which it tends to write again as the user asks at nearby places). The
 * current document is left out: its latest prompt is the state the lookup searches anyway.
 * Bounded in documents and tokens so that a lookup scan stays a few tens of microseconds.
 */
import type { Token } from "node-llama-cpp";

export interface RecentTextLimits {
  /** Other documents whose last prompt is kept. */
  documents: number;
  /** Tokens of recent completions kept, newest first. */
  outputTokens: number;
}

export const DEFAULT_RECENT_TEXT_LIMITS: RecentTextLimits = { documents: 3, outputTokens: 2048 };

export class RecentText {
  /** Insertion order is recency: the newest is last. */
  private readonly prompts = new Map<string, readonly Token[]>();
  private outputs: (readonly Token[])[] = [];
  private readonly limits: RecentTextLimits;

  constructor(limits: Partial<RecentTextLimits> = {}) {
    this.limits = { ...DEFAULT_RECENT_TEXT_LIMITS, ...limits };
  }

  /** Records a finished request: its document's prompt and the tokens it generated. */
  add(documentKey: string, prompt: readonly Token[], generated: readonly Token[]): void {
    this.prompts.delete(documentKey);
    this.prompts.set(documentKey, prompt);
    // One more than the limit: the current document's own entry is never handed out.
    while (this.prompts.size > this.limits.documents + 1) {
      const oldest = this.prompts.keys().next().value;
      if (oldest === undefined) break;
      this.prompts.delete(oldest);
    }
    if (generated.length === 0) return;
    // The same completion asked for again (a retried or repeated request) is kept once.
    this.outputs = this.outputs.filter((o) => !sameTokens(o, generated));
    this.outputs.push(generated.slice());
    let total = this.outputs.reduce((sum, o) => sum + o.length, 0);
    while (total > this.limits.outputTokens && this.outputs.length > 0) total -= this.outputs.shift()?.length ?? 0;
  }

  /** Segments to search while completing in `documentKey`, oldest first (the lookup prefers the newest). */
  segmentsFor(documentKey: string): (readonly Token[])[] {
    const others = [...this.prompts].filter(([key]) => key !== documentKey).map(([, tokens]) => tokens);
    return [...others.slice(-this.limits.documents), ...this.outputs];
  }
}

function sameTokens(a: readonly Token[], b: readonly Token[]): boolean {
  return a.length === b.length && a.every((token, i) => token === b[i]);
}
