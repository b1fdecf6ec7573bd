/**
 * The requests a backend serves, made by the one pipeline over the backend's engine port:
 * every backend completes, warms up and explains with the same code.
 */
import { emptyOutcome, type CompletionInput, type ExplainInput, type GenerationOutcome, type NextEditInput, type NextEditOutcome, type RequestPipeline } from "../backend.js";
import { runCompletion } from "./completion.js";
import type { EnginePort } from "./engine-port.js";
import { runExplanation } from "./explanation.js";
import { runNextEdit } from "./next-edit.js";

export class Pipeline<T> implements RequestPipeline {
  constructor(private readonly port: EnginePort<T>) {}

  async complete(input: CompletionInput): Promise<GenerationOutcome> {
    return (await this.guarded(input.signal, () => runCompletion(this.port, input, false))) ?? emptyOutcome("eos");
  }

  /**
   * The idle warm-up: lays the document's prompt out anew (finished lines move above the
   * suffix, new context chunks join the head, a prefill-budget cut may grow back) and
   * evaluates it. Does nothing when the fresh layout is what the cache already holds.
   * Returns the prompt tokens it evaluated.
   */
  async warmUp(input: Omit<CompletionInput, "maxTokens" | "onPrefill" | "onText">): Promise<number> {
    const outcome = await this.guarded(input.signal, () => runCompletion(this.port, { ...input, maxTokens: 1 }, true));
    return outcome?.evaluatedTokens ?? 0;
  }

  explain(input: ExplainInput): Promise<GenerationOutcome> {
    return this.guarded(input.signal, () => runExplanation(this.port, input));
  }

  nextEdit(input: NextEditInput): Promise<NextEditOutcome> {
    return this.guarded(input.signal, () => runNextEdit(this.port, input));
  }

  private guarded<R>(signal: AbortSignal, work: () => Promise<R>): Promise<R> {
    return this.port.guard ? this.port.guard(signal, work) : work();
  }
}
