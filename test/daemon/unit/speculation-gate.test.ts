import assert from "node:assert/strict";
import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { LookupTokenPredictor } from "../../../daemon/src/engine/predictors/lookup-predictor.js";
import { SpeculationGate } from "../../../daemon/src/engine/predictors/speculation-gate.js";
import { Speculation } from "../../../daemon/src/engine/speculation.js";

const options = { minAcceptance: 0.4, minEvidence: 10, decay: 0.5, offRequests: 2, maxOffRequests: 8 };

/** Requests refused before the gate lets one through again. */
function refusedBeforeProbe(gate: SpeculationGate): number {
  let refused = 0;
  while (!gate.allow()) refused++;
  return refused;
}

describe("speculation gate", () => {
  it("stays on while drafts are mostly accepted", () => {
    const gate = new SpeculationGate(options);
    for (let i = 0; i < 20; i++) {
      assert.equal(gate.allow(), true);
      gate.record(8, 6);
    }
    assert.equal(gate.snapshot.on, true);
  });

  it("does not judge on too little evidence", () => {
    const gate = new SpeculationGate(options);
    gate.record(4, 0);
    assert.equal(gate.snapshot.on, true, "4 drafted tokens are not enough to switch off");
    gate.record(0, 0);
    assert.equal(gate.snapshot.on, true, "a request that drafted nothing says nothing");
    gate.record(8, 0);
    assert.equal(gate.snapshot.on, false);
  });

  it("switches off while acceptance is too low and probes again later, backing off further each failed probe", () => {
    const gate = new SpeculationGate(options);
    gate.record(12, 1);
    assert.equal(gate.snapshot.on, false);
    assert.equal(refusedBeforeProbe(gate), 2);
    gate.record(12, 1);
    assert.equal(refusedBeforeProbe(gate), 4);
    gate.record(12, 1);
    assert.equal(refusedBeforeProbe(gate), 8);
    gate.record(12, 1);
    assert.equal(refusedBeforeProbe(gate), 8, "capped at maxOffRequests");
  });

  it("stays on after a probe that pays, and backs off from the start again next time", () => {
    const gate = new SpeculationGate(options);
    gate.record(12, 1);
    refusedBeforeProbe(gate);
    gate.record(12, 1);
    refusedBeforeProbe(gate);
    // The probe starts from fresh evidence, so the bad past doesn't drag it down.
    gate.record(12, 10);
    assert.equal(gate.snapshot.on, true);
    for (let i = 0; i < 5; i++) assert.equal(gate.allow(), true);
    gate.record(40, 2);
    assert.equal(gate.snapshot.on, false);
    assert.equal(refusedBeforeProbe(gate), 2, "the backoff restarted");
  });

  it("weights recent requests more: a run of refuted drafts switches it off despite a good past", () => {
    const gate = new SpeculationGate({ ...options, minEvidence: 1 });
    for (let i = 0; i < 3; i++) gate.record(10, 10);
    gate.record(10, 0);
    assert.equal(gate.snapshot.on, true, JSON.stringify(gate.snapshot));
    gate.record(10, 0);
    // 30 of 50 accepted overall, but the recent requests accepted nothing.
    assert.equal(gate.snapshot.on, false, JSON.stringify(gate.snapshot));
  });

  it("ignores what requests report while it is off, and never counts more accepted than drafted", () => {
    const gate = new SpeculationGate(options);
    gate.record(12, 0);
    gate.record(100, 100);
    assert.equal(gate.snapshot.on, false);
    const fresh = new SpeculationGate(options);
    fresh.record(10, 50);
    assert.equal(fresh.snapshot.accepted, 10);
  });
});

describe("speculation per workspace", () => {
  /** What Speculation reads of a target sequence: its predictor and its tokens. */
  function fakeSequence(predictor: LookupTokenPredictor, tokens: number[]): LlamaContextSequence {
    return { tokenPredictor: predictor, contextTokens: tokens as Token[] } as unknown as LlamaContextSequence;
  }

  it("turns a workspace's predictor off while its drafts are refuted, leaves other workspaces alone, and probes again later", async () => {
    // Lookup needs no model: only whether the runtime has a GPU is read.
    const speculation = await Speculation.create({ gpu: false } as unknown as Llama, null as unknown as LlamaModel, null as unknown as LlamaContext, {
      mode: "lookup",
      modelsDir: "",
      report: () => undefined,
      sequences: 1,
      threads: 1,
      gate: { minAcceptance: 0.5, minEvidence: 8, offRequests: 2 },
    });
    const predictor = new LookupTokenPredictor();
    const sequence = fakeSequence(predictor, [1, 2, 3]);
    const request = (workspace: string, drafted: number, accepted: number): boolean => {
      speculation.begin(sequence, workspace, "doc");
      const enabled = predictor.enabled;
      speculation.end(sequence, workspace, "doc", [1, 2] as Token[], { draftTokens: drafted, acceptedTokens: accepted });
      return enabled;
    };
    assert.equal(request("a", 10, 1), true);
    assert.equal(speculation.gateState("a").on, false);
    assert.equal(request("b", 10, 9), true, "workspace b has its own gate");
    assert.equal(request("a", 10, 10), false);
    assert.equal(request("a", 10, 10), false);
    assert.equal(request("a", 10, 9), true, "the probe");
    assert.equal(request("a", 10, 9), true);
    assert.equal(speculation.gateState("a").on, true);
    await speculation.dispose();
  });
});
