/**
 * What Hearth's token predictors share on top of node-llama-cpp's `TokenPredictor` contract:
 * a switch the engine flips per request (the adaptive gate turns a workspace's speculation
 * off without touching the sequence, whose predictor is fixed when it is created), a record
 * of how many drafted tokens the target accepted in each decode step, and a draft length
 * that adapts to it.
 *
 * The contract, as LlamaContextSequence drives it: `reset` gets every token the target holds
 * plus the one about to be evaluated, `pushTokens` each token evaluated after that (one per
 * step: the token the target just sampled), and `predictTokens` is asked, right before a
 * decode, for the tokens expected to follow; the target evaluates them in the same batch and
 * keeps the prefix its own greedy choice agrees with.
 *
 * Why the draft length adapts: a decode of several tokens costs much more than one (on a
 * CPU, a batch of 2 to 16 tokens took 3 to 8 times a single token in our measurements), so
 * a long draft pays only while drafts keep being accepted whole. The length doubles after
 * a draft accepted in full, holds while at least half of a draft is accepted, and halves
 * otherwise.
 */
import { TokenPredictor, type LlamaContextSequence, type Token } from "node-llama-cpp";

export interface StepStats {
  /** Decode steps that asked for a prediction since the stats were last cleared. */
  steps: number;
  /** The most drafted tokens the target accepted in one step (1 at most without our patch). */
  maxAcceptedInStep: number;
}

/** When a generation stops drafting: after `minDrafted` drafted tokens, below `minAcceptance` of them accepted. */
export interface DraftCutoff {
  minDrafted: number;
  minAcceptance: number;
}

/** What a CPU needs (speculation.ts sets it per device). */
export const DEFAULT_DRAFT_CUTOFF: DraftCutoff = { minDrafted: 8, minAcceptance: 0.5 };

export interface DraftLength {
  /** Shortest draft the length adapts down to. */
  minDraft: number;
  /** Longest draft the length adapts up to. */
  maxDraft: number;
}

export abstract class SpeculativePredictor extends TokenPredictor {
  /** Off: predict nothing, at no cost; the engine sets it per request from the adaptive gate. */
  enabled = true;
  /**
   * Within one generation, drafting stops once its drafts are plainly refuted: a try of
   * speculation where it doesn't pay then costs a few refuted drafts, not a whole request
   * (on a CPU each refuted draft of 4 tokens cost about 1.4 extra decode steps).
   */
  cutoff: DraftCutoff = DEFAULT_DRAFT_CUTOFF;
  private generationDrafted = 0;
  private generationAccepted = 0;
  protected disposed = false;
  private target: LlamaContextSequence | null = null;
  private validatedAtLastStep: number | null = null;
  /** Tokens drafted for the step whose outcome is not observed yet. */
  private pendingDraft = 0;
  private length: number;
  /**
   * Tokens the generation may still produce (generate() keeps it up to date): a step yields
   * its accepted drafts plus one sampled token, so a draft longer than this less one is
   * checked for nothing (on a CPU checking 16 drafted tokens costs 4.9 single-token steps).
   */
  private remaining = Number.POSITIVE_INFINITY;
  private stats: StepStats = { steps: 0, maxAcceptedInStep: 0 };

  constructor(private readonly draftLength: DraftLength) {
    super();
    this.length = draftLength.minDraft;
  }

  /** The step stats gathered so far; `clear` starts a new count. */
  stepStats(clear = false): StepStats {
    this.observeStep();
    const stats = { ...this.stats };
    if (clear) this.stats = { steps: 0, maxAcceptedInStep: 0 };
    return stats;
  }

  /** Whether this step may draft: enabled, alive, and not cut off in this generation. */
  protected drafting(): boolean {
    if (!this.enabled || this.disposed) return false;
    const { minDrafted, minAcceptance } = this.cutoff;
    return !(this.generationDrafted >= minDrafted && this.generationAccepted < minAcceptance * this.generationDrafted);
  }

  /** How many tokens the next draft may have. */
  protected currentDraftLength(): number {
    return Math.max(0, Math.min(this.length, this.remaining - 1));
  }

  /** Subclasses call this from `reset`: the sequence's counters are the baseline for the steps. */
  protected startSteps(target: LlamaContextSequence): void {
    // A reset after a refuted draft: that draft's outcome is known now; count it first.
    this.observeStep();
    this.target = target;
    this.validatedAtLastStep = target.tokenPredictions.validated;
    this.pendingDraft = 0;
  }

  /**
   * Before each generation (generate() calls it; the sequence's own `reset` also comes after
   * every refuted draft, so it can't mark one): a clean count for the cutoff, and the most
   * tokens it may produce (none: no bound). The draft length carries over: the sequence is
   * one document's, so the last generation's length is the best guess (starting each from
   * the shortest cost a third of the gain on repetitive code and saved little on a try, which
   * the cutoff ends after one or two drafts anyway).
   */
  beginGeneration(maxTokens = Number.POSITIVE_INFINITY): void {
    this.generationDrafted = 0;
    this.generationAccepted = 0;
    this.remaining = maxTokens;
  }

  /** How many tokens the generation may still produce (the caller counts what it has taken). */
  setRemaining(tokens: number): void {
    this.remaining = tokens;
  }

  /** Subclasses call this at the start of `predictTokens`, and pass what they return through `drafted`. */
  protected beginStep(): void {
    this.observeStep();
    this.stats.steps++;
  }

  protected drafted(tokens: Token[]): Token[] {
    this.pendingDraft = tokens.length;
    return tokens;
  }

  /**
   * The target validates a step's drafted tokens after `predictTokens` returns, so a step's
   * acceptance is known at the next call (or at `stop`, which the target calls on the first
   * refuted token and at the end): the counter's growth in between.
   */
  private observeStep(): void {
    if (this.target === null || this.validatedAtLastStep === null || this.target.disposed) return;
    const validated = this.target.tokenPredictions.validated;
    const accepted = validated - this.validatedAtLastStep;
    this.validatedAtLastStep = validated;
    this.stats.maxAcceptedInStep = Math.max(this.stats.maxAcceptedInStep, accepted);
    if (this.pendingDraft === 0) return;
    this.generationDrafted += this.pendingDraft;
    this.generationAccepted += Math.min(accepted, this.pendingDraft);
    const { minDraft, maxDraft } = this.draftLength;
    if (accepted >= this.pendingDraft) this.length = Math.min(maxDraft, this.length * 2);
    else if (2 * accepted < this.pendingDraft) this.length = Math.max(minDraft, Math.floor(this.length / 2));
    this.pendingDraft = 0;
  }

  override stop(): void {
    this.observeStep();
  }

  override dispose(): void {
    this.disposed = true;
    this.target = null;
  }

  abstract override predictTokens(): Promise<Token[]> | Token[];
}
