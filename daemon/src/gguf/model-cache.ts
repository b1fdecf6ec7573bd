/**
 * Generated models on disk, named by a hash of everything that decides their bytes, so a
 * model is written once and found again (tests, the demo and the bench share the cache).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { GGUF_WRITER_VERSION } from "./gguf-writer.js";
import {
  DEFAULT_SYNTHETIC_SEED,
  SYNTHETIC_MODEL_PRESETS,
  SYNTHETIC_MODEL_VERSION,
  writeSyntheticModel,
  type SyntheticModelSpec,
  type SyntheticPrecision,
} from "./synthetic-model.js";

export type { SyntheticPrecision } from "./synthetic-model.js";
export const syntheticPresets = SYNTHETIC_MODEL_PRESETS;

const inFlight = new Map<string, Promise<string>>();

export function syntheticModelFileName(spec: SyntheticModelSpec, precision: SyntheticPrecision, seed = DEFAULT_SYNTHETIC_SEED): string {
  const key = JSON.stringify({ writer: GGUF_WRITER_VERSION, model: SYNTHETIC_MODEL_VERSION, spec, precision, seed });
  const hash = createHash("sha256").update(key).digest("hex").slice(0, 16);
  return `${spec.name}-${precision}-${hash}.gguf`;
}

export function ensureSyntheticModel(spec: SyntheticModelSpec, options: { cacheDir: string; precision: SyntheticPrecision; seed?: number }): Promise<string> {
  const seed = options.seed ?? DEFAULT_SYNTHETIC_SEED;
  const file = path.join(options.cacheDir, syntheticModelFileName(spec, options.precision, seed));
  const pending = inFlight.get(file);
  if (pending) return pending;
  const work = (async () => {
    if (existsSync(file)) return file;
    mkdirSync(options.cacheDir, { recursive: true, mode: 0o700 });
    await writeSyntheticModel(file, spec, { precision: options.precision, seed });
    return file;
  })();
  inFlight.set(file, work);
  return work.finally(() => inFlight.delete(file));
}

/** The tiny target and its draft (same vocabulary) used by the tests. */
export async function ensureTestModels(cacheDir: string, precision: SyntheticPrecision = "Q8_0"): Promise<{ target: string; draft: string }> {
  const target = await ensureSyntheticModel(SYNTHETIC_MODEL_PRESETS["tiny-target"], { cacheDir, precision });
  const draft = await ensureSyntheticModel(SYNTHETIC_MODEL_PRESETS["tiny-draft"], { cacheDir, precision });
  return { target, draft };
}
