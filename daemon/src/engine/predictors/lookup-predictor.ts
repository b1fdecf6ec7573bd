/**
 * Prompt-lookup speculation: the tokens just generated are matched (as an n-gram) against
 * the prompt, the generation so far and the workspace's recent text, and what followed the
 * best match is proposed as the continuation. It costs no model evaluation, so it pays
 * whenever code repeats what is already on screen (renamed copies, parallel cases, closing
 * structure) and costs only a short scan when nothing matches.
 *
 * A next-edit request also names the window its output copies (`setCopySource`): then the
 * draft comes first from the copy alignment (copy-alignment.ts), which knows where in the
 * window the output is, and from the n-gram lookup only while the output has left the window
 * (the edit itself) or copied it to its end. A request may name more than one version of the
 * window (the window as it is, and with the user's rename carried through it): each has its
 * alignment, and the one the output has followed longest drafts, the first on a tie.
 */
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import { CopyAlignment, type CopyAlignmentOptions } from "./copy-alignment.js";
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

/** What a generation copies: the window's tokens (one or more versions, most likely first), and where in the sequence the output starts (the prompt's length). */
export interface CopySource {
  windows: readonly (readonly Token[])[];
  outputStart: number;
}

export class LookupTokenPredictor extends SpeculativePredictor {
  private tokens: Token[] = [];
  private history: readonly (readonly Token[])[] = [];
  private readonly options: LookupPredictorOptions;
  private copy: { alignments: CopyAlignment<Token>[]; outputStart: number; followed: number } | null = null;
  private readonly copyOptions: Partial<CopyAlignmentOptions>;

  constructor(options: Partial<LookupPredictorOptions> = {}, copyOptions: Partial<CopyAlignmentOptions> = {}) {
    const resolved = { ...DEFAULT_LOOKUP_OPTIONS, ...options };
    super({ minDraft: Math.min(resolved.minDraft, resolved.maxDraft), maxDraft: resolved.maxDraft });
    this.options = resolved;
    this.copyOptions = copyOptions;
  }

  /** The workspace's recent text (other files' prompts, earlier completions), set per request. */
  setHistory(segments: readonly (readonly Token[])[]): void {
    this.history = segments;
  }

  /** The window the next generation copies (a next-edit request), or null (a completion): set per request. */
  setCopySource(source: CopySource | null): void {
    const windows = source?.windows.filter((w) => w.length > 0) ?? [];
    this.copy = source === null || windows.length === 0 ? null : { alignments: windows.map((w) => new CopyAlignment(w, this.copyOptions)), outputStart: source.outputStart, followed: 0 };
  }

  /** Where each window's alignment stands (a window index; null: the output has left it), or undefined without a copy source. */
  get copyPositions(): (number | null)[] | undefined {
    return this.copy?.alignments.map((a) => a.position);
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
    const copied = this.copyDraft(length);
    if (copied.length > 0) return this.drafted(copied);
    const match = findContinuation(this.tokens, this.history, { ...this.options, maxDraft: length });
    return this.drafted(match?.continuation ?? []);
  }

  /** The window's next tokens where the output is aligned with it; the alignment first follows what was generated since the last step. */
  private copyDraft(length: number): Token[] {
    const copy = this.copy;
    if (copy === null) return [];
    const generated = this.tokens.length - copy.outputStart;
    // The sequence holds fewer tokens than the alignments saw: not this generation's state any more.
    if (generated < copy.followed) {
      this.copy = null;
      return [];
    }
    for (let i = copy.outputStart + copy.followed; i < this.tokens.length; i++) for (const alignment of copy.alignments) alignment.follow(this.tokens[i] as Token);
    copy.followed = generated;
    let best: CopyAlignment<Token> | null = null;
    for (const alignment of copy.alignments) if (alignment.draft(1).length > 0 && (best === null || alignment.streak > best.streak)) best = alignment;
    return best?.draft(length) ?? [];
  }

  override dispose(): void {
    super.dispose();
    this.tokens = [];
    this.history = [];
    this.copy = null;
  }
}
