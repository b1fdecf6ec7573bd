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
  /** The draft stops at a token it is less sure of than this: such tokens are mostly refuted. */
  minConfidence: number;
}

export const DEFAULT_DRAFT_OPTIONS: DraftOptions = { maxTokens: 8, minConfidence: 0.5 };

export class DraftModelPredictor extends SpeculativePredictor {
  /** Every token the target holds, then the one it evaluates next. */
  private tokens: Token[] = [];
  private readonly options: DraftOptions;

  constructor(
    private readonly draft: LlamaContextSequence,
    options: Partial<DraftOptions> = {},
  ) {
    super();
    this.options = { ...DEFAULT_DRAFT_OPTIONS, ...options };
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
    this.observeStep(true);
    const tokens = this.tokens;
    if (!this.enabled || this.disposed || this.draft.disposed || tokens.length === 0) return [];
    // No room to draft without the draft sequence shifting its context: skip speculation.
    if (tokens.length + this.options.maxTokens >= this.draft.contextSize) return [];

    await this.catchUp(tokens);
    const pending = tokens.slice(this.draft.nextTokenIndex);
    const drafted: Token[] = [];
    const model = this.draft.model;
    for await (const { token, confidence } of this.draft.evaluateWithMetadata(pending, { confidence: true }, { temperature: 0, yieldEogToken: true })) {
      if (model.isEogToken(token) || confidence < this.options.minConfidence) break;
      drafted.push(token);
      if (drafted.length >= this.options.maxTokens) break;
    }
    return drafted;
  }

  /**
   * Leaves the draft sequence holding the longest prefix of `tokens` it already has, short of
   * the last token: that one is evaluated with the draft so its logits start the draft.
   */
  private async catchUp(tokens: readonly Token[]): Promise<void> {
    const keep = Math.min(this.draft.compareContextTokens(tokens as Token[]).firstDifferentIndex, tokens.length - 1);
    if (this.draft.nextTokenIndex > keep) await this.draft.eraseContextTokenRanges([{ start: keep, end: this.draft.nextTokenIndex }]);
  }
}
