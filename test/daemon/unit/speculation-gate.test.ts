import assert from "node:assert/strict";
import { SpeculationGate } from "../../../daemon/src/engine/predictors/speculation-gate.js";

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
