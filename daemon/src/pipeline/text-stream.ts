/**
 * A generation's text as the user sees it: the rules (prompt/completion-stops.ts) applied
 * to everything generated so far after each token, what is stable streamed as deltas, and
 * the text to return when it ends. The same for every engine: a local sequence feeds it
 * detokenized tokens, a server its streamed events.
 */
import type { GenerationRules } from "../prompt/completion-stops.js";
import type { EngineRun } from "./engine-port.js";

export class TextStream {
  private shown = "";
  /** The text the rules kept when they said stop. */
  private stoppedWith: string | null = null;

  constructor(
    private readonly rules: GenerationRules,
    private readonly onText?: (delta: string) => void,
  ) {}

  /** All text generated so far; true when the rules say stop (the engine ends the generation). */
  push(generated: string): boolean {
    const decision = this.rules.decide(generated);
    if (decision.stop) {
      this.stoppedWith = decision.text;
      return true;
    }
    this.show(this.rules.stable(generated));
    return false;
  }

  /** The text to return once the engine is done; the rest of it streams unless the request was cancelled. */
  finish(run: EngineRun): string {
    const text = this.stoppedWith ?? this.rules.finish(run.generatedText);
    if (run.stopReason !== "cancelled") this.show(text);
    return text;
  }

  private show(text: string): void {
    // The text only grows: its end where the shown part ends says whether it still continues
    // it, without comparing all of it on every token.
    const tail = this.shown.slice(-64);
    if (text.length > this.shown.length && text.startsWith(tail, this.shown.length - tail.length)) {
      this.onText?.(text.slice(this.shown.length));
      this.shown = text;
    }
  }
}
