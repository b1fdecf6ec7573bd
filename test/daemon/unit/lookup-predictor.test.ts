import assert from "node:assert/strict";
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import { DEFAULT_LOOKUP_OPTIONS, findContinuation, LookupTokenPredictor } from "../../../daemon/src/engine/predictors/lookup-predictor.js";
import { RecentText } from "../../../daemon/src/engine/predictors/recent-text.js";

const t = (...ids: number[]): Token[] => ids as Token[];
const options = { minMatch: 2, maxMatch: 8, maxDraft: 4 };

/** Just what the predictor reads of its target sequence. */
function fakeSequence(validated = 0): LlamaContextSequence {
  return { tokenPredictions: { used: 0, unused: 0, validated, refuted: 0 }, disposed: false } as unknown as LlamaContextSequence;
}

describe("prompt lookup", () => {
  it("proposes what followed the earlier occurrence of the last tokens", () => {
    assert.deepEqual(findContinuation(t(1, 2, 3, 4, 5, 6, 9, 2, 3), [], options), { length: 2, continuation: t(4, 5, 6, 9) });
  });

  it("prefers the longest match, then the most recent one", () => {
    assert.deepEqual(findContinuation(t(7, 2, 3, 10, 1, 2, 3, 20, 5, 1, 2, 3), [], options)?.continuation[0], 20);
    assert.deepEqual(findContinuation(t(1, 2, 10, 1, 2, 20, 1, 2), [], options)?.continuation, t(20, 1, 2, 20));
  });

  it("needs minMatch tokens, and never matches the tail with itself", () => {
    assert.equal(findContinuation(t(1, 2), [], options), null);
    assert.equal(findContinuation(t(5, 1, 9, 1), [], options), null, "one token in common is not enough");
    assert.deepEqual(findContinuation(t(5, 1, 9, 1), [], { ...options, minMatch: 1 })?.continuation, t(9, 1, 9, 1));
    assert.equal(findContinuation(t(3), [], { ...options, minMatch: 1 }), null);
  });

  it("follows a repeating pattern through its latest period and on, up to maxDraft tokens", () => {
    assert.deepEqual(findContinuation(t(5, 6, 7, 5, 6, 7, 5, 6), [], options)?.continuation, t(7, 5, 6, 7));
    assert.deepEqual(findContinuation(t(9, 4, 4, 4), [], { ...options, maxDraft: 6 })?.continuation, t(4, 4, 4, 4, 4, 4), "a period of one");
    assert.equal(findContinuation(t(1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2), [], options)?.continuation.length, 4);
  });

  it("searches the workspace's recent text too, taking a longer match there over a shorter one in the prompt", () => {
    const tokens = t(8, 2, 3, 40, 1, 2, 3);
    assert.deepEqual(findContinuation(tokens, [], options)?.continuation, t(40, 1, 2, 3));
    assert.deepEqual(findContinuation(tokens, [t(1, 2, 3, 50, 51)], options), { length: 3, continuation: t(50, 51) });
    assert.deepEqual(findContinuation(t(9, 1, 2), [t(1, 2, 60), t(1, 2, 70)], options)?.continuation, t(70), "newest segment first");
    assert.equal(findContinuation(t(9, 1, 2), [t(1, 2)], options), null, "nothing follows the match");
  });

  it("as a TokenPredictor: follows pushed tokens, and predicts nothing while disabled", () => {
    const predictor = new LookupTokenPredictor(options);
    predictor.reset({ targetSequence: fakeSequence(), stateTokens: t(1, 2, 3, 4, 5, 9, 1) });
    assert.deepEqual(predictor.predictTokens(), [], "one token of match");
    predictor.pushTokens(t(2));
    assert.deepEqual(predictor.predictTokens(), t(3, 4, 5, 9));
    predictor.enabled = false;
    assert.deepEqual(predictor.predictTokens(), []);
    predictor.enabled = true;
    predictor.setHistory([t(2, 77, 78)]);
    predictor.pushTokens(t(77));
    assert.deepEqual(predictor.predictTokens(), t(78));
    predictor.dispose();
    assert.deepEqual(predictor.predictTokens(), []);
  });

  it("adapts the draft length: doubles after a draft accepted whole, holds while half is accepted, halves below", () => {
    const counters = { used: 0, unused: 0, validated: 0, refuted: 0 };
    const sequence = { tokenPredictions: counters, disposed: false } as unknown as LlamaContextSequence;
    const predictor = new LookupTokenPredictor({ minMatch: 2, minDraft: 2, maxDraft: 8 });
    // A period of one: lookup can always draft as many tokens as it likes.
    predictor.reset({ targetSequence: sequence, stateTokens: t(4, 4, 4) });
    const lengths: number[] = [];
    const step = (accept: "all" | "half" | "one"): void => {
      const draft = predictor.predictTokens();
      lengths.push(draft.length);
      counters.validated += accept === "all" ? draft.length : accept === "half" ? draft.length / 2 : 1;
    };
    for (const accept of ["all", "all", "all", "half", "one", "one", "one", "all"] as const) step(accept);
    assert.deepEqual(lengths, [2, 4, 8, 8, 8, 4, 2, 2]);
    assert.deepEqual(predictor.stepStats(), { steps: 8, maxAcceptedInStep: 8 });
  });

  it("stops drafting for the rest of a generation once its drafts are plainly refuted, and drafts again in the next", () => {
    const counters = { used: 0, unused: 0, validated: 0, refuted: 0 };
    const sequence = { tokenPredictions: counters, disposed: false } as unknown as LlamaContextSequence;
    const predictor = new LookupTokenPredictor({ minMatch: 2, minDraft: 4, maxDraft: 8 });
    predictor.cutoff = { minDrafted: 12, minAcceptance: 0.15 };
    predictor.beginGeneration();
    predictor.reset({ targetSequence: sequence, stateTokens: t(4, 4, 4) });
    // Every draft refuted: 4 tokens each (the length stays at its floor); the sequence resets
    // the predictor after each refuted draft, which must not restart the count.
    const lengths = Array.from({ length: 6 }, () => {
      const n = predictor.predictTokens().length;
      predictor.reset({ targetSequence: sequence, stateTokens: t(4, 4, 4) });
      return n;
    });
    assert.deepEqual(lengths, [4, 4, 4, 0, 0, 0], "three refuted drafts (12 tokens), then none");
    predictor.beginGeneration();
    predictor.reset({ targetSequence: sequence, stateTokens: t(4, 4, 4) });
    assert.equal(predictor.predictTokens().length, 4, "a new generation drafts again");
    // Drafts that are accepted never trip it.
    predictor.beginGeneration();
    predictor.reset({ targetSequence: sequence, stateTokens: t(4, 4, 4) });
    for (let i = 0; i < 6; i++) {
      const draft = predictor.predictTokens();
      assert.ok(draft.length > 0);
      counters.validated += draft.length / 2;
    }
  });

  it("drafts no more than the generation may still use: what it may produce, less the token each step samples", () => {
    const predictor = new LookupTokenPredictor({ minMatch: 2, minDraft: 8, maxDraft: 8 });
    predictor.beginGeneration(6);
    predictor.reset({ targetSequence: fakeSequence(), stateTokens: t(4, 4, 4) });
    assert.equal(predictor.predictTokens().length, 5, "6 tokens to go: 5 drafted and 1 sampled");
    predictor.setRemaining(3);
    assert.equal(predictor.predictTokens().length, 2);
    predictor.setRemaining(1);
    assert.deepEqual(predictor.predictTokens(), [], "the last token is sampled, never drafted");
    predictor.beginGeneration();
    predictor.reset({ targetSequence: fakeSequence(), stateTokens: t(4, 4, 4) });
    assert.equal(predictor.predictTokens().length, 8, "no bound: the adapted length");
  });

  it("has defaults that need a real n-gram", () => {
    assert.ok(DEFAULT_LOOKUP_OPTIONS.minMatch >= 2 && DEFAULT_LOOKUP_OPTIONS.maxDraft >= 4);
  });
});

describe("recent text", () => {
  it("hands out other documents' prompts and recent outputs, never the current document's prompt", () => {
    const recent = new RecentText({ documents: 2, outputTokens: 100 });
    recent.add("a", t(1, 1), t(10));
    recent.add("b", t(2, 2), t(20));
    assert.deepEqual(recent.segmentsFor("a"), [t(2, 2), t(10), t(20)]);
    assert.deepEqual(recent.segmentsFor("c"), [t(1, 1), t(2, 2), t(10), t(20)]);
  });

  it("keeps the latest prompt per document and a bounded number of documents", () => {
    const recent = new RecentText({ documents: 2, outputTokens: 100 });
    recent.add("a", t(1), []);
    recent.add("b", t(2), []);
    recent.add("c", t(3), []);
    recent.add("a", t(4), []);
    assert.deepEqual(recent.segmentsFor("x"), [t(3), t(4)], "the two most recent documents, a's latest prompt");
    assert.deepEqual(recent.segmentsFor("a"), [t(2), t(3)]);
  });

  it("keeps repeated outputs once and within the token budget, newest last", () => {
    const recent = new RecentText({ documents: 1, outputTokens: 5 });
    recent.add("a", t(), t(1, 2));
    recent.add("a", t(), t(3, 4));
    recent.add("a", t(), t(1, 2));
    assert.deepEqual(recent.segmentsFor("a"), [t(3, 4), t(1, 2)]);
    recent.add("a", t(), t(5, 6));
    assert.deepEqual(recent.segmentsFor("a"), [t(1, 2), t(5, 6)]);
  });
});
