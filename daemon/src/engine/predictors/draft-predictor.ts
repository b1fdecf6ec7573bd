/**
 * Draft-model speculation: a smaller model with the target's vocabulary, on its own context
 * sequence, greedily drafts the next few tokens and the target checks them in one batch.
 *
 * node-llama-cpp's bundled DraftSequenceTokenPredictor tracks what its draft sequence holds
 * through its own bookkeeping of predicted and pushed tokens; after a draft the target
 * accepts in full, that bookkeeping no longer matches the sequence (the last drafted token
 * was sampled but never evaluated), so every later draft is made from the wrong context.
 * This one keeps no such bookkeeping: before each draft it compares the draft sequence's
 * tokens with the target's and evaluates exactly the difference, so it cannot fall out of
 * step whatever the target accepted, and a request in another workspace, an eviction or a
 * restored cache only costs the draft a catch-up.
 *
 * Drafting runs in the step, not in the background: the target waits for it, which keeps a
 * step's work ordered and the output reproducible; on one CPU the two would contend anyway.
 */
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import { SpeculativePredictor } from "./speculative-predictor.js";

export interface DraftOptions {
  /** Most tokens drafted per step. */
  maxTokens: number;
  /** Shortest draft the adaptive length falls back to after refuted drafts. */
  minTokens: number;
  /** The draft stops at a token it is less sure of than this: such tokens are mostly refuted. */
  minConfidence: number;
  /**
   * Most tokens the draft evaluates to catch up before a step. Further behind (a first
   * request, a restored cache, another workspace's tokens in the sequence) it drafts from the
   * last `maxCatchUp` tokens only: a draft is a guess, and a guess from the recent context
   * is nearly as good and much cheaper than prefilling the whole prompt a second time.
   */
  maxCatchUp: number;
}

export const DEFAULT_DRAFT_OPTIONS: DraftOptions = { maxTokens: 16, minTokens: 2, minConfidence: 0.6, maxCatchUp: 1024 };

export class DraftModelPredictor extends SpeculativePredictor {
  /** Every token the target holds, then the one it evaluates next. */
  private tokens: Token[] = [];
  /** The draft sequence holds `tokens` from this index on (its own positions start at 0). */
  private windowStart = 0;
  private readonly options: DraftOptions;

  constructor(
    private readonly draft: LlamaContextSequence,
    options: Partial<DraftOptions> = {},
  ) {
    const resolved = { ...DEFAULT_DRAFT_OPTIONS, ...options };
    super({ minDraft: Math.min(resolved.minTokens, resolved.maxTokens), maxDraft: resolved.maxTokens });
    this.options = resolved;
  }

  get draftSequence(): LlamaContextSequence {
    return this.draft;
  }

  override reset(params: { targetSequence: LlamaContextSequence; stateTokens: Token[] }): void {
    // Nothing is evaluated here: prefill resets once per chunk, and the draft catches up
    // once, on the first prediction.
    this.tokens = params.stateTokens.slice();
    this.startSteps(params.targetSequence);
  }

  override pushTokens(tokens: Token[]): void {
    for (const token of tokens) this.tokens.push(token);
  }

  override async predictTokens(): Promise<Token[]> {
    this.beginStep();
    const length = this.currentDraftLength();
    if (!this.drafting() || length === 0 || this.draft.disposed || this.tokens.length === 0) return [];
    const pending = await this.catchUp();
    const drafted: Token[] = [];
    const model = this.draft.model;
    for await (const { token, confidence } of this.draft.evaluateWithMetadata(pending, { confidence: true }, { temperature: 0, yieldEogToken: true })) {
      if (model.isEogToken(token) || confidence < this.options.minConfidence) break;
      drafted.push(token);
      if (drafted.length >= length) break;
    }
    return this.drafted(drafted);
  }

  /**
   * Erases what the draft sequence holds beyond its longest common prefix with the target's
   * tokens (never the last token: that one is evaluated again so its logits start the
   * draft) and returns the tokens still to evaluate. Comparing the sequences themselves,
   * rather than remembering what was drafted and accepted, is what keeps the draft in step.
   */
  private async catchUp(): Promise<Token[]> {
    const tokens = this.tokens;
    // A new request's tokens can be shorter than where the window started.
    if (this.windowStart >= tokens.length) this.windowStart = 0;
    let view = tokens.slice(this.windowStart);
    let keep = Math.min(this.draft.compareContextTokens(view).firstDifferentIndex, view.length - 1);
    const room = this.draft.contextSize - this.options.maxTokens - 1;
    if (view.length - keep > this.options.maxCatchUp || view.length > room) {
      this.windowStart = Math.max(0, tokens.length - Math.min(this.options.maxCatchUp, room));
      view = tokens.slice(this.windowStart);
      keep = Math.min(this.draft.compareContextTokens(view).firstDifferentIndex, view.length - 1);
    }
    if (this.draft.nextTokenIndex > keep) await this.draft.eraseContextTokenRanges([{ start: keep, end: this.draft.nextTokenIndex }]);
    return view.slice(this.draft.nextTokenIndex);
  }
}
