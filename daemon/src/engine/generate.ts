/**
 * One request's trip through a context sequence: reuse the longest common prefix with what
 * the sequence already holds, prefill the rest in chunks (checking for cancellation between
 * chunks, because node-llama-cpp ignores aborts during a prefill), then decode greedily one
 * token at a time, handing the text so far to the pipeline, which says when to stop.
 */
import type { LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { emptyOutcome } from "../backend.js";
import type { EngineRun, EngineRunRequest } from "../pipeline/engine-port.js";
import { PrefillChunker } from "../pipeline/prefill-chunk.js";
import { SpeculativePredictor } from "./predictors/speculative-predictor.js";

export interface GenerationRequest extends Omit<EngineRunRequest, "startedAt"> {
  prompt: readonly Token[];
  /**
   * When the backend call began (performance.now()): the first token is timed from there, so
   * a wait for the model to load, a saved state to load or the prompt to be planned counts
   * (else a request sent during the load looks like one that decodes slowly). Default: now.
   */
  startedAt?: number;
  /** Sizes the prefill steps (and learns from their times); the engine keeps one per device. Default: a fresh one. */
  chunker?: PrefillChunker;
}

export async function generate(sequence: LlamaContextSequence, model: LlamaModel, request: GenerationRequest): Promise<EngineRun> {
  const started = performance.now();
  const prompt = request.prompt;
  const { text: _none, promptLayout: _layout, ...empty } = emptyOutcome("eos", prompt.length);
  const outcome: EngineRun = { ...empty, generatedText: "" };
  if (prompt.length === 0) return outcome;
  if (prompt.length + 1 >= sequence.contextSize) {
    outcome.stopReason = "contextFull";
    return outcome;
  }

  // The last prompt token is always fed to the decoder so that its logits exist.
  const common = Math.min(sequence.compareContextTokens([...prompt]).firstDifferentIndex, prompt.length - 1);
  if (sequence.nextTokenIndex > common) {
    await sequence.eraseContextTokenRanges([{ start: common, end: sequence.nextTokenIndex }]);
  }
  outcome.reusedTokens = common;

  const toPrefill = prompt.slice(common, prompt.length - 1);
  const chunker = request.chunker ?? new PrefillChunker();
  for (let done = 0; done < toPrefill.length; ) {
    if (request.signal.aborted) {
      outcome.stopReason = "cancelled";
      outcome.prefillMs = performance.now() - started;
      return outcome;
    }
    const chunk = toPrefill.slice(done, done + chunker.size);
    await chunker.step(chunk.length, () => sequence.evaluateWithoutGeneratingNewTokens([...chunk]));
    done += chunk.length;
    outcome.evaluatedTokens = done;
    request.onPrefill?.(done, toPrefill.length + 1);
    if (done < toPrefill.length) await request.yieldPoint?.();
  }
  outcome.prefillMs = performance.now() - started;
  if (request.signal.aborted) {
    outcome.stopReason = "cancelled";
    return outcome;
  }

  const generated: Token[] = [];
  // Counted from the abort event itself, so the metric shows how late a cancel was honoured.
  let abortSeen: boolean = request.signal.aborted;
  const onAbort = (): void => {
    abortSeen = true;
  };
  request.signal.addEventListener("abort", onAbort, { once: true });
  const last = prompt[prompt.length - 1] as Token;
  outcome.evaluatedTokens += 1;
  let maxReached = false;
  // The sequence's predictor (when it has one) counts for its whole life: this request's share is the difference.
  const predictionsBefore = sequence.tokenPredictions;
  // A generation of its own for the predictor's in-generation cutoff.
  const predictor = sequence.tokenPredictor instanceof SpeculativePredictor ? sequence.tokenPredictor : null;
  predictor?.beginGeneration(request.maxTokens);
  const iterator = sequence.evaluate([last], { temperature: 0, yieldEogToken: true });
  let firstTokenAt = 0;
  for await (const token of iterator) {
    const now = performance.now();
    if (outcome.firstTokenMs === null) {
      outcome.firstTokenMs = now - (request.startedAt ?? started);
      firstTokenAt = now;
    }
    if (abortSeen) outcome.tokensAfterCancel++;
    if (request.signal.aborted) {
      outcome.stopReason = "cancelled";
      break;
    }
    if (model.isEogToken(token) || model.isSpecialToken(token)) {
      outcome.stopReason = "eos";
      break;
    }
    generated.push(token);
    predictor?.setRemaining(request.maxTokens - generated.length);
    outcome.decodeMs = now - firstTokenAt;
    const text = model.detokenize(generated);
    // A multi-byte character split across tokens detokenizes to U+FFFD until it is whole.
    if (text.endsWith("\uFFFD") && generated.length < request.maxTokens) continue;
    if (request.onGenerated(text)) {
      outcome.stopReason = "boundary";
      break;
    }
    if (generated.length >= request.maxTokens) {
      maxReached = true;
      break;
    }
    if (sequence.nextTokenIndex + 1 >= sequence.contextSize) {
      outcome.stopReason = "contextFull";
      break;
    }
    await request.yieldPoint?.();
  }
  request.signal.removeEventListener("abort", onAbort);
  const predictionsAfter = sequence.tokenPredictions;
  outcome.acceptedTokens = predictionsAfter.validated - predictionsBefore.validated;
  outcome.draftTokens = outcome.acceptedTokens + predictionsAfter.refuted - predictionsBefore.refuted;
  outcome.generatedTokens = generated.length;
  if (maxReached) outcome.stopReason = "maxTokens";
  outcome.generatedText = model.detokenize(generated);
  return outcome;
}
