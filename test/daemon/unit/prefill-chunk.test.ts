import assert from "node:assert/strict";
import { MAX_PREFILL_CHUNK, MIN_PREFILL_CHUNK, PREFILL_STEP_TARGET_MS, PrefillChunker } from "../../../daemon/src/pipeline/prefill-chunk.js";

/** Steps of the chunker's size on a device that evaluates `tokensPerMs`; the sizes it chose. */
function settle(chunker: PrefillChunker, tokensPerMs: number, steps = 12): number[] {
  const sizes: number[] = [];
  for (let i = 0; i < steps; i++) {
    sizes.push(chunker.size);
    chunker.observe(chunker.size, chunker.size / tokensPerMs);
  }
  return sizes;
}

describe("prefill chunk sizing", () => {
  it("grows to hundreds of tokens where steps are quick (a GPU) and stays at the top", () => {
    const chunker = new PrefillChunker();
    // 100 tokens per ms: 512 tokens in 5 ms.
    const sizes = settle(chunker, 100);
    assert.deepEqual(sizes.slice(0, 5), [64, 128, 256, 512, 512]);
    assert.equal(chunker.size, MAX_PREFILL_CHUNK);
  });

  it("shrinks where steps are slow (a small CPU), but not below the floor", () => {
    const chunker = new PrefillChunker();
    // 0.14 tokens per ms (a 0.5B model on one thread): 64 tokens take 457 ms.
    settle(chunker, 0.14);
    assert.equal(chunker.size, MIN_PREFILL_CHUNK);
  });

  it("settles where a step takes about the target time", () => {
    const chunker = new PrefillChunker();
    // 4 tokens per ms: 64 tokens in 16 ms, 128 in 32 ms (over 1.5x the target), 32 in 8 ms (under half).
    const sizes = settle(chunker, 4);
    assert.deepEqual(new Set(sizes.slice(2)), new Set([64]));
    const stepMs = chunker.size / 4;
    assert.ok(stepMs >= PREFILL_STEP_TARGET_MS / 2 && stepMs <= PREFILL_STEP_TARGET_MS * 1.5, `${stepMs} ms per step`);
  });

  it("scales a short step up to the full size, and ignores a tail of a few tokens", () => {
    const chunker = new PrefillChunker(64);
    chunker.observe(40, 100); // 40 tokens in 100 ms: 64 would take 160 ms
    assert.equal(chunker.size, 32);
    chunker.observe(3, 1000); // a 3-token tail says nothing about throughput
    assert.equal(chunker.size, 32);
  });

  it("keeps a fixed size when told one", () => {
    const chunker = PrefillChunker.fixed(128);
    settle(chunker, 0.01);
    assert.equal(chunker.size, 128);
    settle(chunker, 1000);
    assert.equal(chunker.size, 128);
  });
});
