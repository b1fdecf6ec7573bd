/**
 * Latest-wins debounce for completion requests (Continue's rule): each call waits a delay,
 * and a newer call, or the caller's cancellation, makes every older wait resolve `false` at
 * once, so only the request for what the user typed last reaches the daemon. With
 * `adaptive`, the delay follows the user's typing rhythm: someone typing fast gets a wait a
 * little longer than their gap between keys (no request per keystroke), someone who pauses
 * gets the short floor (no lag). Plain Node: the extension and the bench's replayer (which
 * must debounce exactly as the extension does) share it, and it is unit-tested without VS Code.
 */
import { extensionSettings } from "../options.js";

/** The part of vscode's and vscode-jsonrpc's CancellationToken this module needs. */
export interface CancellationLike {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

export interface DebounceOptions {
  /** The delay when not adaptive, and the starting point when adaptive. */
  baseMs: number;
  adaptive: boolean;
  /** Bounds of the adaptive delay. */
  minMs: number;
  maxMs: number;
}

/** The extension's defaults (hearth.completion.debounceMs = 120, adaptive on) and its bounds. */
export function debounceOptionsFor(debounceMs: number, adaptive: boolean): DebounceOptions {
  return { baseMs: debounceMs, adaptive, minMs: Math.min(debounceMs, 40), maxMs: Math.max(debounceMs, 400) };
}

export const DEFAULT_DEBOUNCE: DebounceOptions = debounceOptionsFor(extensionSettings["hearth.completion.debounceMs"].default, extensionSettings["hearth.completion.adaptiveDebounce"].default);

/**
 * Typing rhythm as an exponentially weighted mean of the gaps between calls. Gaps longer
 * than `pauseMs` are pauses, not rhythm, and are left out. Pure: callers pass the clock.
 */
export class AdaptiveDelay {
  private mean: number | null = null;
  private last: number | null = null;

  constructor(
    private options: DebounceOptions,
    private readonly pauseMs = 1000,
    private readonly weight = 0.3,
  ) {}

  configure(options: DebounceOptions): void {
    this.options = options;
  }

  /** Records a keystroke-triggered call at time `atMs`. */
  record(atMs: number): void {
    if (this.last !== null) {
      const gap = atMs - this.last;
      if (gap >= 0 && gap < this.pauseMs) this.mean = this.mean === null ? gap : this.mean + this.weight * (gap - this.mean);
    }
    this.last = atMs;
  }

  /** The delay to wait now: a quarter more than the typical gap, inside [minMs, maxMs]. */
  current(): number {
    const { baseMs, adaptive, minMs, maxMs } = this.options;
    if (!adaptive || this.mean === null) return baseMs;
    return Math.round(Math.min(maxMs, Math.max(minMs, this.mean * 1.25)));
  }
}

export class Debouncer {
  private generation = 0;
  private pending: { timer: ReturnType<typeof setTimeout>; settle: (ok: boolean) => void } | null = null;
  private readonly delay: AdaptiveDelay;
  private disposed = false;

  constructor(
    options: DebounceOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.delay = new AdaptiveDelay(options);
  }

  /** New settings; the typing rhythm learnt so far is kept. */
  configure(options: DebounceOptions): void {
    this.delay.configure(options);
  }

  /** The delay the next call would wait (for the status tooltip and tests). */
  get currentDelayMs(): number {
    return this.delay.current();
  }

  /**
   * Resolves `true` once the delay passed with no newer call and no cancellation; `false`
   * as soon as either happens. Never rejects. `immediate` skips the delay but still
   * supersedes older waits.
   */
  wait(token?: CancellationLike, options: { immediate?: boolean } = {}): Promise<boolean> {
    // An explicit request (the user asked) waits for nothing and says nothing about typing speed.
    if (!options.immediate) this.delay.record(this.now());
    this.supersede();
    if (this.disposed || token?.isCancellationRequested) return Promise.resolve(false);
    const generation = ++this.generation;
    const ms = options.immediate ? 0 : this.delay.current();
    return new Promise<boolean>((resolve) => {
      let subscription: { dispose(): void } | undefined;
      const settle = (ok: boolean): void => {
        if (this.pending?.settle === settle) {
          clearTimeout(this.pending.timer);
          this.pending = null;
        }
        subscription?.dispose();
        resolve(ok && generation === this.generation && !this.disposed);
      };
      this.pending = { timer: setTimeout(() => settle(true), ms), settle };
      subscription = token?.onCancellationRequested(() => settle(false));
    });
  }

  dispose(): void {
    this.disposed = true;
    this.supersede();
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
