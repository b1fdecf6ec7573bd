/** Switch Precision's quick pick wording. */
import assert from "node:assert/strict";
import type { PrecisionListResult } from "../../daemon/src/protocol.js";
import { kvTypeItems, variantItems } from "../../extension/src/precision/precision-items.js";

const MB = 1024 ** 2;
const list: PrecisionListResult = {
  current: { variant: "Q8_0", kvCacheType: "f16" },
  variants: [
    { id: "F16", origin: "file", source: "/m/model-F16.gguf", available: true, fileBytes: 30 * MB, estimatedMemoryBytes: 34 * MB, tokensPerSecond: null, accuracy: { exactMatchRate: 0.4, agreementRate: null, reference: null, tasks: 50, measuredAt: "2026-12-01T10:00:00Z" }, current: false },
    { id: "Q8_0", origin: "file", source: "/m/model-Q8_0.gguf", available: true, fileBytes: 16 * MB, estimatedMemoryBytes: 20 * MB, tokensPerSecond: 41.5, accuracy: { exactMatchRate: 0.38, agreementRate: 0.92, reference: "F16", tasks: 50, measuredAt: "2026-12-01T10:00:00Z" }, current: true },
    { id: "Q4_0", origin: "derived", source: "/m/model-F16.gguf", available: false, fileBytes: null, estimatedMemoryBytes: null, tokensPerSecond: null, accuracy: null, current: false },
  ],
  kvCacheTypes: [
    { type: "f16", supported: true, estimatedKvBytes: 4 * MB },
    { type: "q8_0", supported: true, estimatedKvBytes: 2 * MB },
    { type: "q4_0", supported: false, reason: "quantized V needs flash attention", estimatedKvBytes: MB },
  ],
};

describe("variantItems", () => {
  it("puts the current variant first, marked, with memory, speed, the accuracy hearth eval measured, and origin", () => {
    const items = variantItems(list);
    assert.deepEqual(
      items.map((i) => [i.label, i.description, i.detail]),
      [
        ["$(check) Q8_0", "≈20.0 MB · 41.5 tok/s · same as F16 on 92% of 50 tasks · current", "file · 16.0 MB on disk · /m/model-Q8_0.gguf"],
        ["F16", "≈34.0 MB · 40% exact on 50 tasks", "file · 30.0 MB on disk · /m/model-F16.gguf"],
        ["Q4_0", "memory unknown", "derived locally · made on this machine when chosen · /m/model-F16.gguf"],
      ],
    );
    assert.deepEqual(items.map((i) => i.value), ["Q8_0", "F16", "Q4_0"]);
  });
});

describe("kvTypeItems", () => {
  it("marks the current type and says why a type is unavailable", () => {
    const items = kvTypeItems(list);
    assert.deepEqual(
      items.map((i) => [i.label, i.description, i.enabled]),
      [
        ["$(check) f16", "KV ≈4.00 MB · current", true],
        ["q8_0", "KV ≈2.00 MB", true],
        ["$(circle-slash) q4_0", "KV ≈1.00 MB · unavailable: quantized V needs flash attention", false],
      ],
    );
  });
});
