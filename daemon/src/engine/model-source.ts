/**
 * Turns what the user configured into a local GGUF file:
 * - a path to a .gguf file;
 * - a catalog name (`hearth models`), pulled into the models folder like `hearth pull`
 *   does (resumable, size and hash checked);
 * - an `hf:` URI (or https URL): the file `hearth pull` left for it, else downloaded through
 *   node-llama-cpp into the models folder with progress, and found there again offline;
 *   `hf:` goes to HF_ENDPOINT when it names a mirror;
 * - `generated:NAME`, a deterministic synthetic model the project writes itself (for tests
 *   and for the out-of-the-box demo when no real model is configured).
 */
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { resolveModelFile } from "node-llama-cpp";
import { loadCatalog, looksLikeCatalogName } from "../catalog/catalog.js";
import { huggingFaceEndpoint, resolveModelRef } from "../catalog/model-ref.js";
import { findPulledFile, pullModel } from "../catalog/model-store.js";
import { HearthError } from "../errors.js";
import { ensureSyntheticModel, syntheticPresets, type SyntheticPrecision } from "../gguf/model-cache.js";

export type { ProgressReporter } from "../backend.js";
import type { ProgressReporter } from "../backend.js";

export function isRemoteSource(source: string): boolean {
  return source.startsWith("hf:") || source.startsWith("https://") || source.startsWith("http://");
}

/** The failure's name tells a client which of its own hints fits (a missing file is not a download problem). */
type ModelSourceFailure = "HEARTH_ERR_MODEL_LOAD_FAILED" | "HEARTH_ERR_MODEL_NOT_FOUND" | "HEARTH_ERR_MODEL_DOWNLOAD_FAILED";

function modelLoadFailed(message: string, hint: string, code: ModelSourceFailure = "HEARTH_ERR_MODEL_LOAD_FAILED"): HearthError {
  return new HearthError(code, message, hint);
}

const OFFLINE_HINT = "Download the .gguf file on a machine with network access and point Hearth at it with --model /path/to/model.gguf.";

export async function resolveModelSource(
  source: string,
  options: { modelsDir: string; report: ProgressReporter; signal?: AbortSignal },
): Promise<string> {
  if (source.startsWith("generated:")) {
    const [name, precision] = source.slice("generated:".length).split("@") as [string, string | undefined];
    if (!(name in syntheticPresets)) {
      throw modelLoadFailed(
        `Unknown generated model "${name}".`,
        `Use one of: ${Object.keys(syntheticPresets).map((n) => `generated:${n}`).join(", ")} (optionally @F16, @Q8_0, @Q4_0).`,
      );
    }
    options.report("load", null, `Generating synthetic model ${name}`);
    return ensureSyntheticModel(syntheticPresets[name as keyof typeof syntheticPresets], {
      cacheDir: path.join(options.modelsDir, "generated"),
      precision: (precision ?? "Q8_0") as SyntheticPrecision,
    });
  }
  if (looksLikeCatalogName(source) && !existsSync(source)) return pullCatalogModel(source, options);
  if (isRemoteSource(source)) {
    let lastReported = -1;
    try {
      const pulled = findPulledFile(options.modelsDir, source);
      if (pulled) return pulled;
      return await resolveModelFile(source, {
        directory: options.modelsDir,
        cli: false,
        endpoints: { huggingFace: huggingFaceEndpoint() },
        ...(options.signal ? { signal: options.signal } : {}),
        onProgress: ({ totalSize, downloadedSize }) => {
          const fraction = totalSize > 0 ? downloadedSize / totalSize : null;
          const percent = fraction === null ? -1 : Math.floor(fraction * 100);
          if (percent === lastReported) return;
          lastReported = percent;
          options.report("download", fraction, `Downloading ${source}: ${percent >= 0 ? `${percent}%` : `${downloadedSize} bytes`}`);
        },
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw modelLoadFailed(`Could not download ${source}: ${reason}`, OFFLINE_HINT, "HEARTH_ERR_MODEL_DOWNLOAD_FAILED");
    }
  }
  const resolved = path.resolve(source);
  if (!existsSync(resolved) || !statSync(resolved).isFile()) {
    throw modelLoadFailed(`Model file ${resolved} does not exist.`, "Check the path given to --model (a .gguf file, an hf: URI or generated:NAME).", "HEARTH_ERR_MODEL_NOT_FOUND");
  }
  return resolved;
}

/** A catalog model, fetched as `hearth pull NAME` does (or found where it left it). */
async function pullCatalogModel(name: string, options: { modelsDir: string; report: ProgressReporter; signal?: AbortSignal }): Promise<string> {
  let lastReported = -1;
  try {
    const ref = resolveModelRef(name, loadCatalog());
    const result = await pullModel(ref, {
      modelsDir: options.modelsDir,
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: ({ receivedBytes, totalBytes }) => {
        const percent = totalBytes ? Math.floor((receivedBytes / totalBytes) * 100) : -1;
        if (percent === lastReported) return;
        lastReported = percent;
        options.report("download", totalBytes ? receivedBytes / totalBytes : null, `Downloading ${name}: ${percent >= 0 ? `${percent}%` : `${receivedBytes} bytes`}`);
      },
    });
    return result.path;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const hint = (error as { hint?: unknown }).hint;
    throw modelLoadFailed(`Could not get model ${name}: ${reason}`, typeof hint === "string" ? `${hint} ${OFFLINE_HINT}` : OFFLINE_HINT);
  }
}
