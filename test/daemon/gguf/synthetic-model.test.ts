import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { ggmlByteSize } from "../../../daemon/src/gguf/ggml-quant.js";
import { ensureSyntheticModel, ensureTestModels, syntheticModelFileName } from "../../../daemon/src/gguf/model-cache.js";
import {
  SYNTHETIC_MODEL_PRESETS,
  syntheticTensorLayout,
  validateSyntheticSpec,
  writeSyntheticModel,
  type SyntheticModelSpec,
} from "../../../daemon/src/gguf/synthetic-model.js";

async function sha256(path: string): Promise<string> {
  return createHash("sha256").update(await readFile(path)).digest("hex");
}

describe("gguf/synthetic-model", () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hearth-synthetic-"));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("lays tensors out in llama.cpp's shapes (fastest dimension first)", () => {
    const spec = SYNTHETIC_MODEL_PRESETS["tiny-target"];
    const layout = new Map(syntheticTensorLayout(spec, "Q4_0").map((t) => [t.name, t]));
    assert.equal(layout.size, 2 + spec.blockCount * 9 + 1);
    const headDim = spec.embeddingLength / spec.headCount;
    const shape = (name: string): readonly number[] | undefined => layout.get(name)?.dimensions;
    assert.deepEqual(shape("token_embd.weight"), [128, spec.vocabSize]);
    assert.deepEqual(shape("blk.0.attn_q.weight"), [128, 128]);
    assert.deepEqual(shape("blk.3.attn_k.weight"), [128, spec.headCountKv * headDim]);
    assert.deepEqual(shape("blk.3.attn_v.weight"), [128, spec.headCountKv * headDim]);
    assert.deepEqual(shape("blk.1.ffn_gate.weight"), [128, spec.feedForwardLength]);
    assert.deepEqual(shape("blk.1.ffn_down.weight"), [spec.feedForwardLength, 128]);
    assert.deepEqual(shape("output_norm.weight"), [128]);
    assert.deepEqual(shape("output.weight"), [128, spec.vocabSize]);
    // Norms stay F32; vocabulary matrices stay 8-bit in a Q4_0 file.
    assert.equal(layout.get("blk.2.ffn_norm.weight")?.type, "F32");
    assert.equal(layout.get("blk.2.ffn_up.weight")?.type, "Q4_0");
    assert.equal(layout.get("token_embd.weight")?.type, "Q8_0");
    assert.equal(layout.get("output.weight")?.type, "Q8_0");
    assert.equal(syntheticTensorLayout(spec, "F16").find((t) => t.name === "blk.0.attn_q.weight")?.type, "F16");
  });

  it("supports realistic Qwen2.5-Coder shapes (sizes only; far too big to write in a test)", () => {
    for (const name of ["qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"] as const) {
      const spec = SYNTHETIC_MODEL_PRESETS[name];
      validateSyntheticSpec(spec);
      const layout = syntheticTensorLayout(spec, "Q8_0");
      assert.ok(layout.every((t) => t.type === "Q8_0" || t.type === "F32"), `${name} quantizes every matrix`);
      const bytes = layout.reduce((sum, t) => sum + ggmlByteSize(t.type, t.dimensions.reduce((a, b) => a * b, 1)), 0);
      const params = layout.reduce((sum, t) => sum + t.dimensions.reduce((a, b) => a * b, 1), 0);
      const expected = name === "qwen2.5-coder-0.5b" ? 0.63e9 : 1.78e9; // untied embeddings, no biases
      assert.ok(Math.abs(params - expected) / expected < 0.05, `${name}: ${params} parameters`);
      assert.ok(bytes < params * 1.07, `${name}: ${bytes} bytes`);
    }
  });

  it("rejects impossible shapes", () => {
    const base: SyntheticModelSpec = SYNTHETIC_MODEL_PRESETS["tiny-draft"];
    assert.throws(() => validateSyntheticSpec({ ...base, headCount: 3 }), /multiple of headCount/);
    assert.throws(() => validateSyntheticSpec({ ...base, headCountKv: 3 }), /multiple of headCountKv/);
    assert.throws(() => validateSyntheticSpec({ ...base, blockCount: 0 }), /blockCount/);
  });

  it("is byte-for-byte deterministic for a spec, precision and seed; other seeds differ", async () => {
    const spec = SYNTHETIC_MODEL_PRESETS["tiny-draft"];
    const a = join(dir, "a.gguf");
    const b = join(dir, "b.gguf");
    const c = join(dir, "c.gguf");
    await writeSyntheticModel(a, spec, { precision: "Q8_0", seed: 5 });
    await writeSyntheticModel(b, spec, { precision: "Q8_0", seed: 5 });
    await writeSyntheticModel(c, spec, { precision: "Q8_0", seed: 6 });
    assert.equal(await sha256(a), await sha256(b));
    assert.notEqual(await sha256(a), await sha256(c));
  });

  it("caches models by content hash and reuses them", async () => {
    const cacheDir = join(dir, "cache");
    const spec = SYNTHETIC_MODEL_PRESETS["tiny-draft"];
    const first = await ensureSyntheticModel(spec, { cacheDir, precision: "F16" });
    const firstStat = await stat(first);
    const again = await ensureSyntheticModel(spec, { cacheDir, precision: "F16" });
    assert.equal(again, first);
    assert.equal((await stat(again)).mtimeMs, firstStat.mtimeMs, "not rewritten");
    assert.notEqual(syntheticModelFileName(spec, "F16", 1), syntheticModelFileName(spec, "F16", 2));
    assert.notEqual(syntheticModelFileName(spec, "F16"), syntheticModelFileName(spec, "Q8_0"));
    assert.notEqual(syntheticModelFileName(spec, "F16"), syntheticModelFileName({ ...spec, contextLength: 2048 }, "F16"));

    const pair = await ensureTestModels(cacheDir, "F16");
    assert.equal(pair.draft, first);
    assert.match(pair.target, /hearth-tiny-target-F16-[0-9a-f]{16}\.gguf$/);
    assert.deepEqual((await readdir(cacheDir)).sort(), [first, pair.target].map((p) => p.slice(cacheDir.length + 1)).sort());
  });
});
