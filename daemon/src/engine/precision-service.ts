/**
 * hearth/precision/list and hearth/precision/set: lists the loaded model's precision
 * variants with memory estimates and measured speed, and switches between them without
 * dropping connections. A switch is checked first (unknown variant, impossible KV type:
 * typed errors, nothing unloaded), derives the variant if needed, then cancels in-flight
 * requests and reloads between requests.
 */
import { accuracyOf, readAccuracy } from "../accuracy-record.js";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import type { Engine } from "./engine.js";
import { modelFileSha256 } from "./fingerprint.js";
import { kvCacheBytes } from "./memory.js";
import type { ProgressReporter } from "./model-source.js";
import { derivationSource, derivationSourceTag, listVariants, type BaseVariant } from "./precision/variants.js";
import { HearthError } from "../errors.js";
import { ErrorCodes, KV_CACHE_TYPES, type KvCacheType, type PrecisionListResult, type PrecisionSetParams, type PrecisionSetResult } from "../protocol.js";
import type { Scheduler } from "../scheduler.js";

/** Approximate bits per weight of each type, to estimate a variant not on disk from the loaded one. */
const BITS_PER_WEIGHT: Record<string, number> = {
  F32: 32, BF16: 16, F16: 16, Q8_0: 8.5, Q6_K: 6.56, Q5_K_M: 5.69, Q5_K_S: 5.54, Q5_1: 6, Q5_0: 5.5,
  Q4_K_M: 4.85, Q4_K_S: 4.58, Q4_1: 5, Q4_0: 4.5, IQ4_XS: 4.25, IQ4_NL: 4.5, Q3_K_L: 4.27, Q3_K_M: 3.91, Q3_K_S: 3.5, Q2_K: 2.63,
};

export interface PrecisionServiceOptions {
  engine: Engine;
  scheduler: Scheduler;
  home: string;
  /** `bin/hearth.cjs`, run as a child to derive variants. */
  entryScript: string;
  threads: number;
  report: ProgressReporter;
  log: (message: string) => void;
}

export class PrecisionService {
  constructor(private readonly options: PrecisionServiceOptions) {}

  private async variants(): Promise<{ variants: BaseVariant[]; derivationFile: string | null }> {
    const { engine, home } = this.options;
    const loaded = engine.loadedModel();
    if (!loaded) {
      throw new HearthError(ErrorCodes.ModelNotReady, "HEARTH_ERR_MODEL_NOT_READY", "No model is loaded, so it has no variants to list.", "Wait for the model to load (hearth status), or fix --model.");
    }
    const anchor = engine.familyAnchor() ?? { source: engine.current.source, path: loaded.path, precision: loaded.precision };
    const source = anchor.source;
    const derivationFile = source.startsWith("generated:") || source.startsWith("hf:") ? null : derivationSource(anchor.path, anchor.precision);
    const sha = derivationFile ? await modelFileSha256(derivationFile, home) : null;
    return {
      variants: listVariants({
        source,
        resolvedPath: anchor.path,
        loadedPrecision: anchor.precision,
        derivedDir: path.join(home, "models", "derived"),
        derivationSourceSha256: sha,
        derivationSourceTag: derivationFile ? derivationSourceTag(derivationFile, anchor.precision) : null,
      }),
      derivationFile,
    };
  }

  async list(): Promise<PrecisionListResult> {
    const { engine } = this.options;
    const { variants } = await this.variants();
    const loaded = engine.loadedModel();
    const current = engine.modelInfo();
    const kvCacheType = engine.current.kvCacheType;
    const shape = loaded?.shape ?? null;
    // The accuracy `hearth eval` measured for the configured model's variants, read anew each time (an eval may have run since).
    const accuracy = readAccuracy(this.options.home);
    const anchor = engine.familyAnchor()?.source ?? current.source;
    const kvBytes = (type: KvCacheType): number => (shape && loaded ? kvCacheBytes(shape, loaded.contextSize, loaded.sequences, type, type) : 0);
    const loadedBytes = loaded?.modelBytes ?? 0;
    const loadedBits = BITS_PER_WEIGHT[loaded?.precision ?? ""] ?? 8.5;
    return {
      current: { variant: current.variant, kvCacheType },
      variants: variants.map((v) => {
        const weights = v.id === current.variant ? loadedBytes : v.fileBytes ?? (BITS_PER_WEIGHT[v.id] ? Math.round((loadedBytes * (BITS_PER_WEIGHT[v.id] ?? loadedBits)) / loadedBits) : null);
        return {
          ...v,
          estimatedMemoryBytes: weights === null ? null : weights + kvBytes(kvCacheType),
          tokensPerSecond: v.available && !v.source.startsWith("generated:") && !v.source.startsWith("hf:") ? engine.measuredSpeed(v.source, kvCacheType) : v.id === current.variant ? engine.measuredSpeed(loaded?.path ?? "", kvCacheType) : null,
          accuracy: accuracyOf(accuracy, anchor, v.id),
          current: v.id === current.variant,
        };
      }),
      kvCacheTypes: KV_CACHE_TYPES.map((type) => {
        const problem = engine.kvCacheTypeProblem(type);
        return problem === null ? { type, supported: true, estimatedKvBytes: kvBytes(type) } : { type, supported: false, reason: problem, estimatedKvBytes: kvBytes(type) };
      }),
    };
  }

  async set(params: PrecisionSetParams): Promise<PrecisionSetResult> {
    const { engine, scheduler } = this.options;
    const kvCacheType = params.kvCacheType ?? engine.current.kvCacheType;
    const problem = engine.kvCacheTypeProblem(kvCacheType);
    if (problem !== null) {
      throw new HearthError(ErrorCodes.UnsupportedKvCacheType, "HEARTH_ERR_KV_TYPE_UNSUPPORTED", `KV cache type ${kvCacheType} is not possible here: ${problem}.`, "Use f16, or a model/backend with flash attention.");
    }
    const { variants, derivationFile } = await this.variants();
    const variant = variants.find((v) => v.id.toLowerCase() === params.variant.toLowerCase());
    if (!variant) {
      throw new HearthError(
        ErrorCodes.UnknownVariant,
        "HEARTH_ERR_UNKNOWN_VARIANT",
        `This model has no variant "${params.variant}".`,
        `Pick one of: ${variants.map((v) => v.id).join(", ")} (hearth precision list).`,
      );
    }
    if (variant.origin === "derived" && !variant.available) {
      if (!derivationFile) throw new Error("unreachable: a derived variant needs a source file");
      await this.derive(derivationFile, variant.source, variant.id);
    }
    // In-flight requests end with a clear cancellation; the switch runs as soon as they have.
    scheduler.abortAll("switching");
    await scheduler.submit(null, () => undefined, () => engine.switchTo({ source: variant.source, kvCacheType }, this.options.report));
    return { model: engine.modelInfo(), memory: await engine.memory() };
  }

  private async derive(source: string, target: string, type: string): Promise<void> {
    const { entryScript, threads, report, log } = this.options;
    mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
    const temp = `${target}.${process.pid}.tmp`;
    report("load", null, `Deriving ${type} from ${path.basename(source)} with llama.cpp's quantizer`);
    const child = spawn(process.execPath, [entryScript, "quantize", source, temp, type, "--threads", String(threads)], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const [code] = (await once(child, "exit")) as [number | null];
    if (code !== 0) {
      rmSync(temp, { force: true });
      log(`quantize failed: ${stderr}`);
      throw new HearthError(ErrorCodes.ModelLoadFailed, "HEARTH_ERR_DERIVE_FAILED", `Deriving ${type} failed: ${stderr.trim().split("\n").pop() ?? `exit ${code}`}`, "The daemon log has llama.cpp's output.");
    }
    renameSync(temp, target);
  }
}
