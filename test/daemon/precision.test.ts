/**
 * Precision switching through a real daemon: generated variants at F16, Q8_0 and Q4_0, a
 * variant derived on the spot with llama.cpp's quantizer, KV cache types, and clear errors
 * that leave the current model loaded.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CancellationTokenSource, ResponseError } from "vscode-jsonrpc/node";
import type { HearthClient } from "../../daemon/src/client/hearth-client.js";
import { ensureSyntheticModel, syntheticPresets } from "../../daemon/src/gguf/model-cache.js";
import { ErrorCodes } from "../../daemon/src/protocol.js";
import { repoRoot, startDaemon, type RunningDaemon } from "../helpers/daemon-process.js";

const URI = "file:///workspace/a/p.ts";
const TEXT = "export function area(width: number, height: number): number {\n  return \n}\n";

async function completes(client: HearthClient): Promise<void> {
  const result = await client.complete({ textDocument: { uri: URI }, position: { line: 1, character: 9 }, context: { triggerKind: 1 }, hearth: { maxTokens: 8 } });
  assert.ok(result.metrics.generatedTokens > 0 || result.metrics.stopReason === "eos");
}

function errorData(error: unknown): { code: number; name: string; hint: string } {
  assert.ok(error instanceof ResponseError, String(error));
  const data = error.data as { code: string; hint: string };
  return { code: error.code, name: data.code, hint: data.hint };
}

describe("precision switching", function () {
  this.timeout(180_000);

  describe("on a generated model family", () => {
    let daemon: RunningDaemon;
    let client: HearthClient;
    before(async () => {
      daemon = await startDaemon({ model: "generated:tiny-target@F16" });
      client = await daemon.connect();
      await client.open({ uri: URI, languageId: "typescript", version: 1, text: TEXT });
      await completes(client);
    });
    after(async () => {
      client.dispose();
      assert.equal(await daemon.stop(), 0, daemon.stderr());
    });

    it("lists F16, Q8_0 and Q4_0 with memory estimates, the current one marked", async () => {
      const list = await client.precisionList();
      assert.deepEqual(list.variants.map((v) => v.id).sort(), ["F16", "Q4_0", "Q8_0"]);
      assert.equal(list.current.variant, "F16");
      assert.equal(list.variants.find((v) => v.current)?.id, "F16");
      const memory = Object.fromEntries(list.variants.map((v) => [v.id, v.estimatedMemoryBytes ?? 0]));
      assert.ok((memory.F16 ?? 0) > (memory.Q8_0 ?? 0) && (memory.Q8_0 ?? 0) > (memory.Q4_0 ?? 0), JSON.stringify(memory));
      assert.ok(list.variants.find((v) => v.current)?.tokensPerSecond !== null, "speed measured on the completion above");
      assert.deepEqual(list.kvCacheTypes.map((k) => k.type), ["f16", "q8_0", "q4_0"]);
    });

    it("switches F16 → Q8_0 → Q4_0: reported memory falls and completions keep working", async () => {
      const before = (await client.status()).memory.modelBytes;
      const q8 = await client.precisionSet({ variant: "Q8_0" });
      assert.equal(q8.model.variant, "Q8_0");
      assert.equal(q8.model.precision, "Q8_0");
      assert.ok(q8.memory.modelBytes < before, `${q8.memory.modelBytes} < ${before}`);
      await completes(client);
      const q4 = await client.precisionSet({ variant: "Q4_0" });
      assert.equal(q4.model.precision, "Q4_0");
      assert.ok(q4.memory.modelBytes < q8.memory.modelBytes, `${q4.memory.modelBytes} < ${q8.memory.modelBytes}`);
      await completes(client);
      const status = await client.status();
      assert.equal(status.model.variant, "Q4_0");
      assert.equal(status.clients, 1, "the connection survived both switches");
    });

    it("switches the KV cache type when the backend allows it, and KV memory falls; flash attention follows the device and the KV type", async () => {
      const list = await client.precisionList();
      const q8 = list.kvCacheTypes.find((k) => k.type === "q8_0");
      assert.ok(q8);
      const status = await client.status();
      const before = status.memory.kvBytes;
      // Off on a CPU (slower at depth there), llama.cpp's choice on a GPU.
      const f16Attention = status.device.kind === "cpu" ? false : "auto";
      assert.equal(status.model.flashAttention, f16Attention);
      if (q8.supported) {
        const result = await client.precisionSet({ variant: list.current.variant, kvCacheType: "q8_0" });
        assert.equal(result.model.kvCacheType, "q8_0");
        assert.equal(result.model.flashAttention, true, "a quantized V cache needs flash attention");
        assert.ok(result.memory.kvBytes < before);
        await completes(client);
        const back = await client.precisionSet({ variant: list.current.variant, kvCacheType: "f16" });
        assert.equal(back.model.flashAttention, f16Attention);
      } else {
        await assert.rejects(client.precisionSet({ variant: list.current.variant, kvCacheType: "q8_0" }), (e) => errorData(e).name === "HEARTH_ERR_KV_TYPE_UNSUPPORTED");
      }
    });

    it("refuses an unknown variant and an impossible KV type, keeping the current model", async () => {
      const current = (await client.status()).model;
      await assert.rejects(client.precisionSet({ variant: "Q3_K_XL" }), (e) => {
        const d = errorData(e);
        return d.code === ErrorCodes.UnknownVariant && /Q8_0/.test(d.hint);
      });
      await assert.rejects(client.connection.sendRequest("hearth/precision/set", { variant: "Q8_0", kvCacheType: "q2_k" }), (e) => errorData(e).code === ErrorCodes.InvalidParams);
      const after = (await client.status()).model;
      assert.equal(after.variant, current.variant);
      assert.equal(after.path, current.path);
      await completes(client);
    });

    it("ends an in-flight request with a clear cancellation when it switches", async () => {
      await client.precisionSet({ variant: "Q8_0" });
      const cancel = new CancellationTokenSource();
      let switching: Promise<unknown> | null = null;
      const explain = client.explain(
        { textDocument: { uri: URI }, range: { start: { line: 0, character: 0 }, end: { line: 2, character: 1 } }, maxTokens: 3000 },
        { cancel, onDelta: () => (switching ??= client.precisionSet({ variant: "Q4_0" })) },
      );
      await assert.rejects(explain, (e) => errorData(e).name === "HEARTH_ERR_SWITCHING_MODEL");
      await switching;
      assert.equal((await client.status()).model.variant, "Q4_0");
    });
  });

  it("derives a variant from a local F16 file with llama.cpp's quantizer, then loads it", async () => {
    const f16 = await ensureSyntheticModel(syntheticPresets["tiny-target"], { cacheDir: path.join(repoRoot, ".cache", "test-models"), precision: "F16" });
    const dir = mkdtempSync(path.join(os.tmpdir(), "hearth-family-"));
    const local = path.join(dir, "tiny-coder-F16.gguf");
    copyFileSync(f16, local);
    const daemon = await startDaemon({ model: local });
    try {
      const client = await daemon.connect();
      await client.open({ uri: URI, languageId: "typescript", version: 1, text: TEXT });
      await completes(client);
      const list = await client.precisionList();
      const derived = list.variants.find((v) => v.id === "Q4_K_M");
      assert.equal(derived?.origin, "derived");
      assert.equal(derived?.available, false);
      const result = await client.precisionSet({ variant: "Q4_K_M" });
      assert.equal(result.model.precision, "Q4_K_M");
      assert.match(result.model.path ?? "", /derived/);
      await completes(client);
      const again = await client.precisionList();
      assert.equal(again.variants.find((v) => v.id === "Q4_K_M")?.available, true);
      // Back to the source: its own KV cache file waited on disk under its fingerprint.
      await client.precisionSet({ variant: "F16" });
      const back = await client.complete({ textDocument: { uri: URI }, position: { line: 1, character: 9 }, context: { triggerKind: 1 }, hearth: { maxTokens: 8 } });
      assert.ok(back.metrics.evaluatedTokens <= 2, `F16's saved cache came back: evaluated ${back.metrics.evaluatedTokens}`);
      client.dispose();
    } finally {
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("with one Q8_0 file (the common download) offers the smaller variants, not F16, and derives Q4_0 by requantizing", async () => {
    const q8 = await ensureSyntheticModel(syntheticPresets["tiny-target"], { cacheDir: path.join(repoRoot, ".cache", "test-models"), precision: "Q8_0" });
    const dir = mkdtempSync(path.join(os.tmpdir(), "hearth-q8-"));
    const local = path.join(dir, "tiny-coder-Q8_0.gguf");
    copyFileSync(q8, local);
    const daemon = await startDaemon({ model: local });
    try {
      const client = await daemon.connect();
      await client.open({ uri: URI, languageId: "typescript", version: 1, text: TEXT });
      await completes(client);
      const list = await client.precisionList();
      const ids = list.variants.map((v) => v.id);
      assert.ok(ids.includes("Q4_0") && !ids.includes("F16"), `only less precise variants are derived from Q8_0: ${ids.join(", ")}`);
      assert.equal(list.variants.find((v) => v.id === "Q4_0")?.origin, "derived");
      const result = await client.precisionSet({ variant: "Q4_0" });
      assert.equal(result.model.precision, "Q4_0");
      assert.match(result.model.path ?? "", /derived/);
      await completes(client);
      client.dispose();
    } finally {
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
