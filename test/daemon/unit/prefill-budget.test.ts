import assert from "node:assert/strict";
import { MIN_COLD_PROMPT_TOKENS, PrefillBudget } from "../../../daemon/src/prompt/prefill-budget.js";

describe("prefill-budget", () => {
  it("sets no cap until it has measured a real prefill, or when turned off", () => {
    const budget = new PrefillBudget(4000);
    budget.record(40, 100);
    assert.equal(budget.limit(), Number.POSITIVE_INFINITY);
    const off = new PrefillBudget(0);
    off.record(1000, 100);
    assert.equal(off.limit(), Number.POSITIVE_INFINITY);
  });

  it("caps at what the measured speed evaluates in the time allowed, in powers of two", () => {
    const budget = new PrefillBudget(4000);
    budget.record(950, 10_000); // 95 tok/s: 380 tokens in 4 s
    assert.equal(budget.limit(), MIN_COLD_PROMPT_TOKENS);
    const fast = new PrefillBudget(4000);
    fast.record(3000, 1000); // 3,000 tok/s: 12,000 tokens in 4 s
    assert.equal(fast.limit(), 8192);
    fast.record(3300, 1000); // a small wobble keeps the same cap, and so the same prompt
    assert.equal(fast.limit(), 8192);
  });
});
