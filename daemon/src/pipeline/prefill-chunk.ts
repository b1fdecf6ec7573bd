/**
 * How many prompt tokens one prefill step evaluates. node-llama-cpp does not abort a decode
 * in flight, so a cancel waits for the step under way, and so does a waiting completion the
 * scheduler would run between steps: a step should take about PREFILL_STEP_TARGET_MS. How
 * many tokens fit in that depends on the device and the model (a GPU evaluates hundreds in
 * that time; a CPU with a 0.5B model, a handful), so the size follows the measured step
 * time: doubled while steps take under half the target, halved while they take over 1.5
 * times it, in powers of two between the bounds.
 */

export const PREFILL_STEP_TARGET_MS = 20;
/**
 * Below this, a CPU's prefill throughput falls off faster than cancels get quicker
 * (llama-bench on the 0.5B shape, 1 thread: see README "Decode at depth").
 */
export const MIN_PREFILL_CHUNK = 16;
/** node-llama-cpp's default batch: a bigger chunk would be split into batches anyway. */
export const MAX_PREFILL_CHUNK = 512;
/** The size a fresh engine starts from, before any step was timed. */
export const INITIAL_PREFILL_CHUNK = 64;

export class PrefillChunker {
  private current: number;

  constructor(
    initial = INITIAL_PREFILL_CHUNK,
    private readonly targetMs = PREFILL_STEP_TARGET_MS,
    private readonly min = MIN_PREFILL_CHUNK,
    private readonly max = MAX_PREFILL_CHUNK,
  ) {
    this.current = Math.min(max, Math.max(min, initial));
  }

  /** Always `size` tokens (hearth serve --prefill-chunk N). */
  static fixed(size: number): PrefillChunker {
    return new PrefillChunker(size, PREFILL_STEP_TARGET_MS, size, size);
  }

  /** Tokens the next prefill step should evaluate. */
  get size(): number {
    return this.current;
  }

  /** Runs one step of `tokens` tokens through `evaluate` and learns from its time. */
  async step(tokens: number, evaluate: () => Promise<void>): Promise<void> {
    const started = performance.now();
    await evaluate();
    this.observe(tokens, performance.now() - started);
  }

  /** What one step of `tokens` tokens took. A short last step is scaled up to the full size. */
  observe(tokens: number, ms: number): void {
    // A step of a few tokens (the tail of a prompt) is mostly fixed cost: it says little.
    if (tokens < this.current / 2 || !(ms >= 0)) return;
    const perStep = (ms * this.current) / tokens;
    if (perStep < this.targetMs / 2 && this.current < this.max) this.current = Math.min(this.max, this.current * 2);
    else if (perStep > this.targetMs * 1.5 && this.current > this.min) this.current = Math.max(this.min, this.current / 2);
  }
}
