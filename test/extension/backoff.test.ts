/** Reconnection backoff. */
import assert from "node:assert/strict";
import { backoffMs } from "../../extension/src/backoff.js";

describe("backoffMs", () => {
  it("doubles from 250 ms and stops at 30 s", () => {
    assert.deepEqual([1, 2, 3, 4, 5].map(backoffMs), [250, 500, 1000, 2000, 4000]);
    assert.equal(backoffMs(8), 30_000);
    assert.equal(backoffMs(50), 30_000);
    assert.equal(backoffMs(0), 250);
  });
});
