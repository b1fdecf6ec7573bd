/**
 * Makes (once; kept in .cache/test-models) the next-edit model the VS Code suite's daemon is
 * given and prints its path: the tiny-draft shape with Qwen2.5-Coder's real tokenizer, which
 * Sweep's prompt format needs. Its weights are generated, so its edits are meaningless but real.
 */
import path from "node:path";
import { ensureSyntheticModel, syntheticPresets } from "../../daemon/src/gguf/model-cache.js";
import { packageRoot } from "../../daemon/src/version.js";

const spec = { ...syntheticPresets["tiny-draft"], name: "hearth-tiny-qwen2.5-coder", vocabSize: 151936, vocabulary: "qwen2.5-coder" as const };
const file = await ensureSyntheticModel(spec, { cacheDir: path.join(packageRoot(), ".cache", "test-models"), precision: "Q8_0" });
process.stdout.write(`${file}\n`);
