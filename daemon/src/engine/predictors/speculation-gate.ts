/**
 * Turns speculation off for a workspace while its drafts are mostly refuted, and back on
 * later to see whether they pay again. Pure: it sees only the per-request counts of drafted
 * and accepted tokens, and counts requests rather than time, so it is reproducible.
 *
 * A refuted draft costs real work (draft-model evaluation, a wider target batch), so when
 * too few drafted tokens are accepted, speculation is slower than plain decoding. Evidence
 * is an exponentially weighted sum over requests, so one odd request neither condemns nor
 * rescues a predictor. Off lasts a number of requests that doubles each time a probe after
 * it fails, and falls back to the start once speculation pays again.
 */

export interface GateOptions {
  /** Below this share of drafted tokens accepted, speculation costs more than it saves. */
  minAcceptance: number;
  /** Drafted tokens (weighted) needed before the gate judges at all. */
  minEvidence: number;
  /** Weight an earlier request keeps at each new one (0..1). */
  decay: number;
  /** Requests without speculation after the first switch-off. */
  offRequests: number;
  /** Longest run of requests without speculation. */
  maxOffRequests: number;
}

export const DEFAULT_GATE_OPTIONS: GateOptions = { minAcceptance: 0.35, minEvidence: 16, decay: 0.7, offRequests: 4, maxOffRequests: 64 };

export interface GateState {
  on: boolean;
  /** Requests an off gate still refuses before it probes again. */
  offLeft: number;
  /** Length of the next off period. */
  backoff: number;
  drafted: number;
  accepted: number;
}

export class SpeculationGate {
  private readonly options: GateOptions;
  private state: GateState;

  constructor(options: Partial<GateOptions> = {}) {
    this.options = { ...DEFAULT_GATE_OPTIONS, ...options };
    this.state = { on: true, offLeft: 0, backoff: this.options.offRequests, drafted: 0, accepted: 0 };
  }

  get snapshot(): Readonly<GateState> {
    return { ...this.state };
  }

  /** Whether the next request speculates; an off gate counts the request towards its probe. */
  allow(): boolean {
    const s = this.state;
    if (s.on) return true;
    if (s.offLeft > 0) {
      s.offLeft--;
      return false;
    }
    // The probe starts from fresh evidence: what was measured before says nothing of now.
    s.on = true;
    s.drafted = 0;
    s.accepted = 0;
    return true;
  }

  /** What a request that speculated achieved. */
  record(drafted: number, accepted: number): void {
    const s = this.state;
    if (!s.on || drafted <= 0) return;
    s.drafted = s.drafted * this.options.decay + drafted;
    s.accepted = s.accepted * this.options.decay + Math.min(accepted, drafted);
    if (s.drafted < this.options.minEvidence) return;
    if (s.accepted / s.drafted >= this.options.minAcceptance) {
      s.backoff = this.options.offRequests;
      return;
    }
    s.on = false;
    s.offLeft = s.backoff;
    s.backoff = Math.min(s.backoff * 2, this.options.maxOffRequests);
  }
}
