/**
 * The extension's debounce, for the replayer: latest wins, and the delay follows the
 * typist's rhythm (a quarter more than the mean gap between keys, between 40 and 400 ms;
 * gaps over a second are pauses, not rhythm). Same rule and defaults as
 * extension/src/completion/debouncer.ts (hearth.completion.debounceMs = 120, adaptive on);
 * kept apart because the daemon's code must not depend on the extension's.
 */
import type { CancellationToken } from "vscode-jsonrpc/node";

export interface DebounceSettings {
  baseMs: number;
  adaptive: boolean;
  minMs: number;
  maxMs: number;
}

export const extensionDebounce: DebounceSettings = { baseMs: 120, adaptive: true, minMs: 40, maxMs: 400 };

const PAUSE_MS = 1000;
const WEIGHT = 0.3;

export class BenchDebouncer {
  private mean: number | null = null;
  private last: number | null = null;
  private generation = 0;
  private pending: { timer: NodeJS.Timeout; settle: (ok: boolean) => void } | null = null;

  constructor(private readonly settings: DebounceSettings = extensionDebounce) {}

  get currentDelayMs(): number {
    const { baseMs, adaptive, minMs, maxMs } = this.settings;
    if (!adaptive || this.mean === null) return baseMs;
    return Math.round(Math.min(maxMs, Math.max(minMs, this.mean * 1.25)));
  }

  /** Resolves true when the delay passed with no newer call and no cancellation. */
  wait(token: CancellationToken): Promise<boolean> {
    const now = performance.now();
    if (this.last !== null) {
      const gap = now - this.last;
      if (gap >= 0 && gap < PAUSE_MS) this.mean = this.mean === null ? gap : this.mean + WEIGHT * (gap - this.mean);
    }
    this.last = now;
    this.supersede();
    if (token.isCancellationRequested) return Promise.resolve(false);
    const generation = ++this.generation;
    return new Promise<boolean>((resolve) => {
      let subscription: { dispose(): void } | undefined;
      const settle = (ok: boolean): void => {
        if (this.pending?.settle === settle) {
          clearTimeout(this.pending.timer);
          this.pending = null;
        }
        subscription?.dispose();
        resolve(ok && generation === this.generation);
      };
      this.pending = { timer: setTimeout(() => settle(true), this.currentDelayMs), settle };
      subscription = token.onCancellationRequested(() => settle(false));
    });
  }

  private supersede(): void {
    const pending = this.pending;
    this.pending = null;
    if (pending) {
      clearTimeout(pending.timer);
      pending.settle(false);
    }
  }
}
