/**
 * Prompt-lookup speculation: the tokens just generated are matched (as an n-gram) against
 * the prompt, the generation so far and the workspace's recent text, and what followed the
 * best match is proposed as the continuation. It costs no model evaluation, so it pays
 * whenever code repeats what is already on screen (renamed copies, parallel cases, closing
 * structure) and costs only a short scan when nothing matches.
 */
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import { SpeculativePredictor } from "./speculative-predictor.js";

export interface LookupOptions {
  /** Shortest n-gram that counts as a match; shorter ones (`) {`, `= new`) are mostly wrong in code. */
  minMatch: number;
  /** Matching stops growing here: a longer match rarely predicts better and costs more scanning. */
  maxMatch: number;
  /** Most tokens proposed per step. */
  maxDraft: number;
}

export interface LookupPredictorOptions extends LookupOptions {
  /** Shortest draft the adaptive length falls back to after refuted drafts. */
  minDraft: number;
}

export const DEFAULT_LOOKUP_OPTIONS: LookupPredictorOptions = { minMatch: 3, maxMatch: 8, minDraft: 4, maxDraft: 16 };

export interface LookupMatch {
  /** Tokens the match covers at the end of the generation. */
  length: number;
  continuation: Token[];
}

/**
 * The continuation after the longest earlier occurrence of `tokens`' tail, searching
 * `tokens` itself (most recent occurrence first, so a repeating pattern follows its latest
 * period) and then `history` (segments newest first). Null when no occurrence is as long as
 * `minMatch` or nothing follows it. A continuation found in `tokens` that runs into the
 * tail goes on with itself: text that repeats with period p keeps repeating, so a short
 * period still yields a full-length draft.
 */
export function findContinuation(tokens: readonly Token[], history: readonly (readonly Token[])[], options: LookupOptions): LookupMatch | null {
  const n = tokens.length;
  if (n < options.minMatch) return null;
  const last = tokens[n - 1] as Token;
  let best: { source: readonly Token[]; end: number; length: number } | null = null;

  const scan = (source: readonly Token[], before: number): boolean => {
    for (let p = before - 1; p >= 0; p--) {
      if (source[p] !== last) continue;
      let length = 1;
      while (length < options.maxMatch && p - length >= 0 && source[p - length] === tokens[n - 1 - length]) length++;
      // Strictly longer: among equal matches the most recent one wins.
      if (length >= options.minMatch && p + 1 < source.length && (best === null || length > best.length)) {
        best = { source, end: p + 1, length };
        if (length === options.maxMatch) return true;
      }
    }
    return false;
  };

  // The tail itself is not an earlier occurrence: the state is searched up to the token before it.
  let done = scan(tokens, n - 1);
  for (let i = history.length - 1; i >= 0 && !done; i--) {
    const segment = history[i] as readonly Token[];
    done = scan(segment, segment.length);
  }
  if (best === null) return null;
  const found: { source: readonly Token[]; end: number; length: number } = best;
  if (found.source !== tokens) return { length: found.length, continuation: found.source.slice(found.end, found.end + options.maxDraft) };
  const continuation: Token[] = [];
  for (let i = found.end; continuation.length < options.maxDraft; i++) continuation.push((i < n ? tokens[i] : continuation[i - n]) as Token);
  return { length: found.length, continuation };
}

export class LookupTokenPredictor extends SpeculativePredictor {
  private tokens: Token[] = [];
  private history: readonly (readonly Token[])[] = [];
  private readonly options: LookupPredictorOptions;

  constructor(options: Partial<LookupPredictorOptions> = {}) {
    const resolved = { ...DEFAULT_LOOKUP_OPTIONS, ...options };
    super({ minDraft: Math.min(resolved.minDraft, resolved.maxDraft), maxDraft: resolved.maxDraft });
    this.options = resolved;
  }

  /** The workspace's recent text (other files' prompts, earlier completions), set per request. */
  setHistory(segments: readonly (readonly Token[])[]): void {
    this.history = segments;
  }

  override reset(params: { targetSequence: LlamaContextSequence; stateTokens: Token[] }): void {
    this.tokens = params.stateTokens.slice();
    this.startSteps(params.targetSequence);
  }

  override pushTokens(tokens: Token[]): void {
    for (const token of tokens) this.tokens.push(token);
  }

  override predictTokens(): Token[] {
    this.beginStep();
    const length = this.currentDraftLength();
    if (!this.drafting() || length === 0) return [];
    const match = findContinuation(this.tokens, this.history, { ...this.options, maxDraft: length });
    return this.drafted(match?.continuation ?? []);
  }

  override dispose(): void {
    super.dispose();
    this.tokens = [];
    this.history = [];
  }
}
