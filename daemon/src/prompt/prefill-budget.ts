/**
 * Caps how many prompt tokens a request may have to evaluate from scratch, from the prefill
 * speed measured on this machine: on a slow CPU a cursor jump into a big file would
 * otherwise prefill for tens of seconds while every keystroke supersedes the request (seen
 * with a 0.5B model on one thread: 95 tok/s, 37 s for a cold prompt). llama.vscode bounds
 * the same thing by time (t_max_prompt_ms). The cap moves in powers of two so the prompt's
 * first line, and with it the KV cache, stays put while the measured speed wobbles.
 */

export const MIN_COLD_PROMPT_TOKENS = 512;

/** Tokens a fresh daemon prefills at load to learn its speed when none was kept. */
export const CALIBRATION_TOKENS = 256;
/** Code-like text for that calibration (repeated until it makes enough tokens). */
export const CALIBRATION_TEXT = Array.from({ length: 24 }, (_, i) => `export function step${i}(input: number[], limit = ${i * 7}): number {\n  return input.filter((value) => value < limit).length + ${i};\n}\n`).join("");

export class PrefillBudget {
  private tokensPerSecond: number | null = null;

  /** @param maxPrefillMs the longest a cold prefill should take; 0 turns the cap off. */
  constructor(private readonly maxPrefillMs: number) {}

  /** Learns from a finished request's prefill; small ones say little about throughput. */
  record(evaluatedTokens: number, prefillMs: number): void {
    if (evaluatedTokens < 128 || prefillMs <= 0) return;
    const measured = (1000 * evaluatedTokens) / prefillMs;
    this.tokensPerSecond = this.tokensPerSecond === null ? measured : this.tokensPerSecond * 0.7 + measured * 0.3;
  }

  /** Whether prompts are cut at all (a --max-prefill-ms of 0 turns the cap off). */
  get enabled(): boolean {
    return this.maxPrefillMs > 0;
  }

  /** The measured speed, to keep across restarts (null until measured). */
  get speed(): number | null {
    return this.tokensPerSecond;
  }

  /**
   * Starts from a speed measured before a restart: the first request then cuts its prompt
   * as the last one before the restart did, and finds that prompt in the saved KV cache.
   */
  seed(tokensPerSecond: number): void {
    if (Number.isFinite(tokensPerSecond) && tokensPerSecond > 0) this.tokensPerSecond = tokensPerSecond;
  }

  /** The most tokens a request may evaluate from scratch; Infinity until measured or when off. */
  limit(): number {
    if (this.maxPrefillMs <= 0 || this.tokensPerSecond === null) return Number.POSITIVE_INFINITY;
    const affordable = (this.tokensPerSecond * this.maxPrefillMs) / 1000;
    return Math.max(MIN_COLD_PROMPT_TOKENS, 2 ** Math.floor(Math.log2(Math.max(1, affordable))));
  }
}
