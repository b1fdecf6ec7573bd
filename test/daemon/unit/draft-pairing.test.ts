import assert from "node:assert/strict";
import { pairedDraftFor } from "../../../daemon/src/engine/predictors/draft-pairing.js";

describe("draft-pairing", () => {
  const siblings = ["Qwen2.5-Coder-7B-Q4_K_M.gguf", "Qwen2.5-Coder-1.5B-Q8_0.gguf", "Qwen2.5-Coder-0.5B-Q8_0.gguf", "Llama-3.2-1B-Q8_0.gguf", "notes.txt"];

  it("pairs the smallest model of the same family, whatever its quantization", () => {
    assert.equal(pairedDraftFor("/m/Qwen2.5-Coder-7B-Q4_K_M.gguf", siblings), "/m/Qwen2.5-Coder-0.5B-Q8_0.gguf");
    assert.equal(pairedDraftFor("/m/Qwen2.5-Coder-1.5B-Q8_0.gguf", siblings), "/m/Qwen2.5-Coder-0.5B-Q8_0.gguf");
  });

  it("finds nothing for the smallest model, another family, or a name without a size", () => {
    assert.equal(pairedDraftFor("/m/Qwen2.5-Coder-0.5B-Q8_0.gguf", siblings), null);
    assert.equal(pairedDraftFor("/m/Llama-3.2-1B-Q8_0.gguf", siblings), null);
    assert.equal(pairedDraftFor("/m/my-model.gguf", siblings), null);
  });
});
