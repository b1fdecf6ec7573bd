/**
 * Decides per workspace whether a request speculates, by what speculation does to the
 * decode speed there: the gate times decoding with and without it (milliseconds per token
 * after the first) and keeps whichever is faster, trying the other now and then in case the
 * text changed. Acceptance alone cannot say whether speculation pays: what checking a batch
 * of drafted tokens costs against one token differs by model, quantization and device, so
 * the break-even share does too (measured on this project's CPU: 29% accepted halved the
 * 0.5B shape's decode speed, 57% doubled the tiny model's). Time is what the user feels.
 *
 * Two shortcuts learn within a request or two: while the drafted tokens a workspace gets
 * are mostly refuted (below `minAcceptance`, which the engine sets per device), speculation
 * is off without waiting for timings; and the first requests try both ways so that each has
 * a speed to compare. Speculation must win by a margin: equal speeds mean off.
 *
 * Pure: it sees only the per-request counts and times, and counts requests rather than
 * time, so it is reproducible. Evidence is an exponentially weighted sum over requests, so
 * one odd request neither condemns nor rescues speculation. The other way is tried after
 * `probeEvery` requests, a period that doubles (to `maxProbeEvery`) each time the try
 * confirms the choice and starts over when it changes it.
 */

export interface GateOptions {
  /** Below this share of drafted tokens accepted, speculation is off before any timing says so. */
  minAcceptance: number;
  /** Drafted tokens (weighted) needed before acceptance is judged. */
  minEvidence: number;
  /** Decoded tokens (weighted) each way needs before their speeds are compared. */
  minTimedTokens: number;
  /** Weight an earlier request keeps at each new one (0..1). */
  decay: number;
  /** Requests the preferred way before the other is tried, at first. */
  probeEvery: number;
  /** Longest such run. */
  maxProbeEvery: number;
  /**
   * Speculation is chosen only when it decodes at least this much faster: within the noise
   * of a shared machine the two look alike, and then not speculating is the safe choice.
   */
  margin: number;
}

// minAcceptance and minEvidence match the predictors' in-generation cutoff, so the request
// that stops drafting is also the evidence that turns speculation off.
export const DEFAULT_GATE_OPTIONS: GateOptions = { minAcceptance: 0.15, minEvidence: 8, minTimedTokens: 16, decay: 0.7, probeEvery: 4, maxProbeEvery: 64, margin: 0.03 };

/** What one request did, as the engine measured it. */
export interface GateRecord {
  /** Whether the request speculated (what `allow` answered for it). */
  speculated: boolean;
  draftTokens: number;
  acceptedTokens: number;
  /** Milliseconds from the first generated token to the last. */
  decodeMs: number;
  /** Tokens generated after the first (those `decodeMs` covers). */
  decodedTokens: number;
}

interface Timing {
  ms: number;
  tokens: number;
}

export interface GateState {
  /** Whether requests speculate, apart from the occasional try of the other way. */
  on: boolean;
  /** Requests the preferred way since the other was last tried. */
  sinceProbe: number;
  probeEvery: number;
  drafted: number;
  accepted: number;
  /** Weighted milliseconds per decoded token with and without speculation (null: not timed yet). */
  msPerTokenOn: number | null;
  msPerTokenOff: number | null;
}

export class SpeculationGate {
  private readonly options: GateOptions;
  private on = true;
  private sinceProbe = 0;
  private probeEvery: number;
  private drafted = 0;
  private accepted = 0;
  /** The request `allow` last answered goes the other way to see whether the choice still holds. */
  private trying = false;
  private readonly timing: Record<"on" | "off", Timing> = { on: { ms: 0, tokens: 0 }, off: { ms: 0, tokens: 0 } };

  constructor(options: Partial<GateOptions> = {}) {
    this.options = { ...DEFAULT_GATE_OPTIONS, ...options };
    this.probeEvery = this.options.probeEvery;
  }

  get snapshot(): Readonly<GateState> {
    return {
      on: this.on,
      sinceProbe: this.sinceProbe,
      probeEvery: this.probeEvery,
      drafted: this.drafted,
      accepted: this.accepted,
      msPerTokenOn: this.rate("on"),
      msPerTokenOff: this.rate("off"),
    };
  }

  /** Whether the next request speculates. */
  allow(): boolean {
    this.trying = false;
    // Each way needs a speed first; speculation goes first (the common case on repetitive code).
    if (this.rate("on") === null && this.on) return true;
    if (this.rate("off") === null) return false;
    if (this.sinceProbe >= this.probeEvery) {
      this.sinceProbe = 0;
      this.trying = true;
      return !this.on;
    }
    this.sinceProbe++;
    return this.on;
  }

  /** What a request achieved, either way. */
  record(request: GateRecord): void {
    const o = this.options;
    if (request.decodedTokens > 0 && request.decodeMs >= 0) {
      const t = this.timing[request.speculated ? "on" : "off"];
      t.ms = t.ms * o.decay + request.decodeMs;
      t.tokens = t.tokens * o.decay + request.decodedTokens;
    }
    const trying = this.trying && request.speculated !== this.on;
    this.trying = false;
    if (request.speculated && request.draftTokens > 0) {
      // A try of speculation after a spell without it starts from fresh evidence: the text may have changed.
      if (trying) {
        this.drafted = 0;
        this.accepted = 0;
      }
      this.drafted = this.drafted * o.decay + request.draftTokens;
      this.accepted = this.accepted * o.decay + Math.min(request.acceptedTokens, request.draftTokens);
    }
    const refuted = this.drafted >= o.minEvidence && this.accepted / this.drafted < o.minAcceptance;
    const on = this.rate("on");
    const off = this.rate("off");
    const faster = on !== null && off !== null ? on < off * (1 - o.margin) : this.on;
    const next = !refuted && faster;
    if (trying) this.probeEvery = next === this.on ? Math.min(this.probeEvery * 2, o.maxProbeEvery) : o.probeEvery;
    if (next !== this.on) this.sinceProbe = 0;
    this.on = next;
  }

  private rate(way: "on" | "off"): number | null {
    const t = this.timing[way];
    return t.tokens >= this.options.minTimedTokens ? t.ms / t.tokens : null;
  }
}
