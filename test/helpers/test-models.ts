/** The generated test models, made once per content hash under .cache/test-models. */
import path from "node:path";
import { ensureTestModels } from "../../daemon/src/gguf/model-cache.js";
import { repoRoot } from "./daemon-process.js";

let models: Promise<{ target: string; draft: string }> | null = null;

export function testModels(): Promise<{ target: string; draft: string }> {
  const pending = models ?? ensureTestModels(path.join(repoRoot, ".cache", "test-models"));
  models = pending;
  return pending;
}
