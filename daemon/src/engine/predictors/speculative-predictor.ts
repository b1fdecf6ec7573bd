/**
 * What Hearth's token predictors share on top of node-llama-cpp's `TokenPredictor` contract:
 * a switch the engine flips per request (the adaptive gate turns a workspace's speculation
 * off without touching the sequence, whose predictor is fixed when it is created), and a
 * record of how many drafted tokens the target accepted in each decode step.
 *
 * The contract, as LlamaContextSequence drives it: `reset` gets every token the target holds
 * plus the one about to be evaluated, `pushTokens` each token evaluated after that (one per
 * step: the token the target just sampled), and `predictTokens` is asked, right before a
 * decode, for the tokens expected to follow; the target evaluates them in the same batch and
 * keeps the prefix its own greedy choice agrees with.
 */
import { TokenPredictor, type LlamaContextSequence, type Token } from "node-llama-cpp";

export interface StepStats {
  /** Decode steps that asked for a prediction since the last reset of the stats. */
  steps: number;
  /** The most drafted tokens the target accepted in one step (1 at most without our patch). */
  maxAcceptedInStep: number;
}

export abstract class SpeculativePredictor extends TokenPredictor {
  /** Off: predict nothing, at no cost; the engine sets it per request from the adaptive gate. */
  enabled = true;
  protected disposed = false;
  private target: LlamaContextSequence | null = null;
  private validatedAtLastStep: number | null = null;
  private stats: StepStats = { steps: 0, maxAcceptedInStep: 0 };

  /** The step stats gathered so far; `clear` starts a new count. */
  stepStats(clear = false): StepStats {
    this.observeStep();
    const stats = { ...this.stats };
    if (clear) this.stats = { steps: 0, maxAcceptedInStep: 0 };
    return stats;
  }

  /** Subclasses call this from `reset`: the sequence's counters are the baseline for the steps. */
  protected startSteps(target: LlamaContextSequence): void {
    this.target = target;
    this.validatedAtLastStep = target.tokenPredictions.validated;
  }

  /**
   * The target validates a step's drafted tokens after `predictTokens` returns, so a step's
   * acceptance is known at the next call (or at `stop`): the counter's growth in between.
   */
  protected observeStep(countStep = false): void {
    if (this.target === null || this.validatedAtLastStep === null || this.target.disposed) return;
    const validated = this.target.tokenPredictions.validated;
    this.stats.maxAcceptedInStep = Math.max(this.stats.maxAcceptedInStep, validated - this.validatedAtLastStep);
    this.validatedAtLastStep = validated;
    if (countStep) this.stats.steps++;
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
