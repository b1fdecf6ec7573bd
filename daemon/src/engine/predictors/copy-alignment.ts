/**
 * Copy speculation for next edits: a next-edit model rewrites a window of about twenty lines
 * and its output mostly repeats that window, so the window's own tokens are the draft. The
 * alignment is a pointer into the window's tokens: the output starts aligned at the window's
 * first token (the rewritten window begins as the current one), and the pointer advances
 * while the output follows it. Where the output leaves it (the edit), the alignment is lost
 * until the newest tokens generated (an n-gram) are found again in the window after the
 * pointer: the model has finished its edit and copies again from there. The pointer never
 * goes back, so text that repeats in the window (`radius * radius`) can't pull the alignment
 * to an earlier copy.
 *
 * Pure: it sees only the window's tokens and the generated ones, so its behaviour can be
 * checked on real tokens without a model.
 */

export interface CopyAlignmentOptions {
  /** Generated tokens that must be found together in the window to realign after an edit. */
  minMatch: number;
  /** The longest n-gram compared: among places after the pointer, the one that matches more of the output wins. */
  maxMatch: number;
}

export const DEFAULT_COPY_ALIGNMENT_OPTIONS: CopyAlignmentOptions = { minMatch: 3, maxMatch: 8 };

export class CopyAlignment<T = number> {
  /** The window index the output is expected to copy next; after an edit, where it left the window. */
  private pointer = 0;
  private aligned = true;
  /** Output tokens that followed the window since the alignment was last found. */
  private run = 0;
  private readonly output: T[] = [];
  private readonly options: CopyAlignmentOptions;

  constructor(
    private readonly window: readonly T[],
    options: Partial<CopyAlignmentOptions> = {},
  ) {
    this.options = { ...DEFAULT_COPY_ALIGNMENT_OPTIONS, ...options };
  }

  /** The window index the next output token is expected to copy; null while the output diverges. */
  get position(): number | null {
    return this.aligned ? this.pointer : null;
  }

  /** Output tokens that have followed the window since it was last aligned (0 while diverging): how far to trust it. */
  get streak(): number {
    return this.aligned ? this.run : 0;
  }

  /** Tokens generated so far (what `follow` was given). */
  get generated(): number {
    return this.output.length;
  }

  /** One more generated token. */
  follow(token: T): void {
    this.output.push(token);
    if (this.aligned) {
      if (this.pointer < this.window.length && this.window[this.pointer] === token) {
        this.pointer++;
        this.run++;
        return;
      }
      // The output leaves the window here: the model is making its edit.
      this.aligned = false;
    }
    this.realign();
  }

  /** Up to `max` tokens the window has next; none while the output diverges or the window is copied to its end. */
  draft(max: number): T[] {
    if (!this.aligned || max <= 0) return [];
    return this.window.slice(this.pointer, this.pointer + max);
  }

  /**
   * Looks for the newest `minMatch` generated tokens in the window at or after the pointer;
   * where they occur more than once, the place whose preceding tokens match more of the output
   * (up to `maxMatch`) wins, then the nearest one: an edit is usually short, so the copy
   * resumes close to where it left.
   */
  private realign(): void {
    const { minMatch, maxMatch } = this.options;
    const n = this.output.length;
    if (n < minMatch) return;
    let best = -1;
    let bestLength = 0;
    for (let end = this.pointer + minMatch; end <= this.window.length; end++) {
      let length = 0;
      while (length < maxMatch && length < n && end - 1 - length >= 0 && this.window[end - 1 - length] === this.output[n - 1 - length]) length++;
      if (length >= minMatch && length > bestLength) {
        best = end;
        bestLength = length;
        if (length === maxMatch) break;
      }
    }
    if (best === -1) return;
    this.pointer = best;
    this.aligned = true;
    this.run = bestLength;
  }
}
