/**
 * Next edits answer to a speculation gate of their own in each workspace: a workspace whose
 * completions' drafts were refuted (speculation off for them) still copy-drafts its next
 * edits, and next edits' refuted drafts leave its completions' gate alone.
 */
import assert from "node:assert/strict";
import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { LookupTokenPredictor } from "../../../daemon/src/engine/predictors/lookup-predictor.js";
import { Speculation, type CopySource } from "../../../daemon/src/engine/speculation.js";

describe("next edits' speculation gate", () => {
  it("is apart from the workspace's completions', both ways, and forgotten with the workspace", async () => {
    // Lookup needs no model: only whether the runtime has a GPU is read.
    const speculation = await Speculation.create({ gpu: false } as unknown as Llama, null as unknown as LlamaModel, null as unknown as LlamaContext, {
      mode: "lookup",
      modelsDir: "",
      report: () => undefined,
      sequences: 1,
      threads: 1,
      gate: { minAcceptance: 0.5, minEvidence: 8, minTimedTokens: 8, probeEvery: 2 },
    });
    const predictor = new LookupTokenPredictor();
    const sequence = { tokenPredictor: predictor, contextTokens: [1, 2, 3] as Token[] } as unknown as LlamaContextSequence;
    const window: CopySource = { windows: [[7, 8, 9] as Token[]], outputStart: 2 };
    // One request of 10 tokens; returns whether it speculated, and whether it was told a window.
    const request = (copy: CopySource | null, drafted: number, accepted: number): { speculated: boolean; copying: boolean } => {
      speculation.begin(sequence, "a", "doc", copy);
      const speculated = predictor.enabled;
      const copying = predictor.copyPositions !== undefined;
      speculation.end(sequence, "a", "doc", [1, 2] as Token[], { draftTokens: speculated ? drafted : 0, acceptedTokens: speculated ? accepted : 0, decodeMs: 90, generatedTokens: 10 }, copy);
      return { speculated, copying };
    };
    assert.deepEqual(request(null, 10, 0), { speculated: true, copying: false });
    assert.equal(speculation.gateState("a").on, false, "completions' drafts refuted: off for them");
    assert.deepEqual(request(window, 10, 10), { speculated: true, copying: true }, "a next edit still speculates, from its window");
    assert.equal(predictor.copyPositions, undefined, "the window is the request's alone");
    assert.equal(speculation.gateState("a", true).on, true);
    assert.equal(request(null, 10, 0).speculated, false, "completions stay off");
    // Next edits whose drafts are refuted turn their own gate off, not completions'.
    const other = await Speculation.create({ gpu: false } as unknown as Llama, null as unknown as LlamaModel, null as unknown as LlamaContext, { mode: "lookup", modelsDir: "", report: () => undefined, sequences: 1, threads: 1, gate: { minEvidence: 8 } });
    other.begin(sequence, "a", "doc", window);
    other.end(sequence, "a", "doc", [1, 2] as Token[], { draftTokens: 16, acceptedTokens: 0, decodeMs: 90, generatedTokens: 10 }, window);
    assert.equal(other.gateState("a", true).on, false);
    assert.equal(other.gateState("a").on, true);
    speculation.forget("a");
    assert.equal(speculation.gateState("a").on, true, "a fresh gate once the workspace is forgotten");
    assert.equal(speculation.gateState("a", true).drafted, 0);
    await speculation.dispose();
    await other.dispose();
  });
});
