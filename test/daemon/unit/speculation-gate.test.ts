import assert from "node:assert/strict";
import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { LookupTokenPredictor } from "../../../daemon/src/engine/predictors/lookup-predictor.js";
import { SpeculationGate } from "../../../daemon/src/engine/predictors/speculation-gate.js";
import { Speculation } from "../../../daemon/src/engine/speculation.js";

const options = { minAcceptance: 0.15, minEvidence: 10, minTimedTokens: 10, decay: 0.5, probeEvery: 2, maxProbeEvery: 8, margin: 0.03 };

/** A request of 20 decoded tokens at `msPerToken`, with `accepted` of `drafted` drafted tokens when it speculated. */
function run(gate: SpeculationGate, msPerToken: { on: number; off: number }, drafted = 8, accepted = 4): boolean {
  const speculated = gate.allow();
  gate.record({ speculated, draftTokens: speculated ? drafted : 0, acceptedTokens: speculated ? accepted : 0, decodeMs: 20 * (speculated ? msPerToken.on : msPerToken.off), decodedTokens: 20 });
  return speculated;
}

/** Which way each of `n` requests went: "s" speculated, "-" not. */
function pattern(gate: SpeculationGate, n: number, msPerToken: { on: number; off: number }, drafted = 8, accepted = 4): string {
  let out = "";
  for (let i = 0; i < n; i++) out += run(gate, msPerToken, drafted, accepted) ? "s" : "-";
  return out;
}

describe("speculation gate", () => {
  it("tries speculation, then once without for a baseline, and keeps speculating where it decodes faster", () => {
    const gate = new SpeculationGate(options);
    // s: first timing; -: baseline; then the faster way, the other tried after 2, 4, 8 and 8 requests.
    assert.equal(pattern(gate, 30, { on: 10, off: 20 }), "s-ss-ssss-ssssssss-ssssssss-ss");
    assert.equal(gate.snapshot.on, true);
    assert.equal(gate.snapshot.probeEvery, 8, "capped at maxProbeEvery");
  });

  it("stops speculating where it decodes slower even though most drafts are accepted", () => {
    // 6 of 8 accepted, but each step costs more than the tokens it saves (a small model on a CPU).
    const gate = new SpeculationGate(options);
    assert.equal(pattern(gate, 20, { on: 12, off: 10 }, 8, 6), "s---s----s--------s-");
    assert.equal(gate.snapshot.on, false);
    assert.ok((gate.snapshot.msPerTokenOn ?? 0) > (gate.snapshot.msPerTokenOff ?? 0));
  });

  it("switches off after one request whose drafts were refuted, before any timing", () => {
    const gate = new SpeculationGate(options);
    // Equal speeds: only the refuted drafts speak against speculation.
    assert.equal(pattern(gate, 12, { on: 10, off: 10 }, 16, 0), "s---s----s--");
    assert.equal(gate.snapshot.on, false);
  });

  it("does not judge acceptance on too little evidence", () => {
    const gate = new SpeculationGate({ ...options, minTimedTokens: 1000 });
    gate.record({ speculated: true, draftTokens: 4, acceptedTokens: 0, decodeMs: 100, decodedTokens: 10 });
    assert.equal(gate.snapshot.on, true, "4 drafted tokens are not enough to switch off");
    gate.record({ speculated: true, draftTokens: 0, acceptedTokens: 0, decodeMs: 100, decodedTokens: 10 });
    assert.equal(gate.snapshot.on, true, "a request that drafted nothing says nothing of acceptance");
    gate.record({ speculated: true, draftTokens: 8, acceptedTokens: 0, decodeMs: 100, decodedTokens: 10 });
    assert.equal(gate.snapshot.on, false);
  });

  it("goes back to speculating when a try finds it faster again, and tries the other way soon after", () => {
    const gate = new SpeculationGate(options);
    pattern(gate, 12, { on: 12, off: 10 });
    assert.equal(gate.snapshot.on, false);
    // The text turns repetitive: speculation's next try (fresh acceptance evidence) wins.
    let tries = 0;
    while (!run(gate, { on: 4, off: 10 }, 8, 8)) tries++;
    assert.ok(tries <= 8, `tried again within the backoff (${tries})`);
    assert.equal(gate.snapshot.on, true, JSON.stringify(gate.snapshot));
    assert.equal(gate.snapshot.probeEvery, options.probeEvery, "the period started over");
  });

  it("weights recent requests more: a run of slow speculating requests turns it off despite a fast past", () => {
    const gate = new SpeculationGate(options);
    pattern(gate, 6, { on: 5, off: 10 });
    assert.equal(gate.snapshot.on, true);
    let speculated = 0;
    for (let i = 0; i < 6 && gate.snapshot.on; i++) if (run(gate, { on: 30, off: 10 })) speculated++;
    assert.equal(gate.snapshot.on, false, JSON.stringify(gate.snapshot));
    assert.ok(speculated <= 2, `off after ${speculated} slow requests`);
  });

  it("does not speculate when speculation is only as fast as decoding without it (within the margin)", () => {
    const gate = new SpeculationGate(options);
    // 2% faster with speculation, accepted enough: noise on a shared machine, so off.
    pattern(gate, 6, { on: 9.8, off: 10 }, 8, 4);
    assert.equal(gate.snapshot.on, false, JSON.stringify(gate.snapshot));
    const clear = new SpeculationGate(options);
    pattern(clear, 6, { on: 9, off: 10 }, 8, 4);
    assert.equal(clear.snapshot.on, true, "10% faster is speculation's");
  });

  it("never counts more accepted than drafted, and ignores requests that decoded nothing", () => {
    const gate = new SpeculationGate(options);
    gate.record({ speculated: true, draftTokens: 10, acceptedTokens: 50, decodeMs: 0, decodedTokens: 0 });
    assert.equal(gate.snapshot.accepted, 10);
    assert.equal(gate.snapshot.msPerTokenOn, null);
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
      gate: { minAcceptance: 0.5, minEvidence: 8, minTimedTokens: 8, probeEvery: 2 },
    });
    const predictor = new LookupTokenPredictor();
    const sequence = fakeSequence(predictor, [1, 2, 3]);
    // 10 tokens each; speculating requests take `on` ms per token, the others 10.
    const request = (workspace: string, drafted: number, accepted: number, on = 10): boolean => {
      speculation.begin(sequence, workspace, "doc");
      const enabled = predictor.enabled;
      speculation.end(sequence, workspace, "doc", [1, 2] as Token[], { draftTokens: enabled ? drafted : 0, acceptedTokens: enabled ? accepted : 0, decodeMs: 9 * (enabled ? on : 10), generatedTokens: 10 });
      return enabled;
    };
    assert.equal(request("a", 10, 1), true);
    assert.equal(speculation.gateState("a").on, false, "refuted drafts");
    assert.equal(request("b", 10, 9, 5), true, "workspace b has its own gate");
    assert.equal(request("a", 10, 10), false, "a's baseline without speculation");
    assert.equal(request("a", 10, 10), false);
    assert.equal(request("a", 10, 10), false);
    assert.equal(request("a", 10, 9, 5), true, "the try");
    assert.equal(speculation.gateState("a").on, true, "accepted and faster");
    assert.equal(request("a", 10, 9, 5), true);
    await speculation.dispose();
  });
});
