/**
 * Turns what the user configured into a local GGUF file:
 * - a path to a .gguf file;
 * - a catalog name (`hearth models`), an `hf:` URI or an https URL: the file `hearth pull`
 *   (or an earlier daemon) left in the models folder, else fetched there as `hearth pull`
 *   fetches it (resumable, size and hash checked where the catalog knows them, `hf:`
 *   through HF_ENDPOINT), and found there again offline;
 * - `generated:NAME`, a deterministic synthetic model the project writes itself (for tests
 *   and for the out-of-the-box demo when no real model is configured).
 *
 * With `download: "never"` (how an editor starts the daemon) a model that is not on disk is
 * not fetched: the load fails at once with HEARTH_ERR_MODEL_NOT_DOWNLOADED, saying what a
 * download would fetch and how big it is, so the editor can ask its user first.
 */
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { resolveModelFile } from "node-llama-cpp";
import { loadCatalog, looksLikeCatalogName } from "../catalog/catalog.js";
import { DownloadError } from "../catalog/download-error.js";
import { huggingFaceEndpoint, resolveModelRef, type ModelRef } from "../catalog/model-ref.js";
import { findPulledFile, pulledPath, pullModel } from "../catalog/model-store.js";
import { HearthError } from "../errors.js";
import { ensureSyntheticModel, syntheticPresets, type SyntheticPrecision } from "../gguf/model-cache.js";
import type { DownloadChoice } from "../options.js";
import type { ModelDownloadInfo, ModelRole } from "../protocol.js";

export type { ProgressReporter } from "../backend.js";
import type { ProgressReporter } from "../backend.js";

export function isRemoteSource(source: string): boolean {
  return source.startsWith("hf:") || source.startsWith("https://") || source.startsWith("http://");
}

/** The failure's name tells a client which of its own hints fits (a missing file is not a download problem). */
type ModelSourceFailure = "HEARTH_ERR_MODEL_LOAD_FAILED" | "HEARTH_ERR_MODEL_NOT_FOUND" | "HEARTH_ERR_MODEL_DOWNLOAD_FAILED" | "HEARTH_ERR_MODEL_HUB_UNREACHABLE" | "HEARTH_ERR_MODEL_NOT_DOWNLOADED";

function modelLoadFailed(message: string, hint: string, code: ModelSourceFailure = "HEARTH_ERR_MODEL_LOAD_FAILED"): HearthError {
  return new HearthError(code, message, hint);
}

const OFFLINE_HINT = "Download the .gguf file on a machine with network access and point Hearth at it with --model /path/to/model.gguf.";

export interface ResolveOptions {
  modelsDir: string;
  report: ProgressReporter;
  signal?: AbortSignal;
  /** never: a model that is not on disk fails with HEARTH_ERR_MODEL_NOT_DOWNLOADED instead of being fetched (default allow). */
  download?: DownloadChoice;
  /** Whose model this is, for the not-downloaded error (default completion). */
  role?: ModelRole;
}

export async function resolveModelSource(source: string, options: ResolveOptions): Promise<string> {
  if (source.startsWith("generated:")) return generatedModel(source, options);
  const ref = downloadableRef(source);
  if (ref === null) {
    const resolved = path.resolve(source);
    if (!existsSync(resolved) || !statSync(resolved).isFile()) {
      throw modelLoadFailed(`Model file ${resolved} does not exist.`, "Check the path given to --model (a .gguf file, a catalog name, an hf: URI or generated:NAME).", "HEARTH_ERR_MODEL_NOT_FOUND");
    }
    return resolved;
  }
  const onDisk = await modelOnDisk(ref, options.modelsDir);
  if (onDisk !== null) return onDisk;
  const role = options.role ?? "completion";
  if (options.download === "never") {
    throw new HearthError(
      "HEARTH_ERR_MODEL_NOT_DOWNLOADED",
      `${describe(ref)} is not downloaded yet${sizeText(ref)}.`,
      "Send hearth/downloadModel to fetch it (an editor asks you first), run `hearth pull` with its name or URI, or choose a model already on disk.",
    ).withDownload(downloadInfo(ref, role, options.modelsDir));
  }
  return fetchModel(ref, role, options);
}

async function generatedModel(source: string, options: ResolveOptions): Promise<string> {
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

/** A catalog name (that is no file here), an hf: URI or a URL, as something to fetch; null for a path. */
function downloadableRef(source: string): ModelRef | null {
  const catalogName = looksLikeCatalogName(source) && !existsSync(source);
  if (!catalogName && !isRemoteSource(source)) return null;
  try {
    return resolveModelRef(source, loadCatalog());
  } catch (error) {
    if (!(error instanceof DownloadError) && !(error instanceof Error && "hint" in error)) throw error;
    const hint = (error as { hint?: unknown }).hint;
    const code = error instanceof DownloadError && error.code === "HEARTH_ERR_UNKNOWN_MODEL" ? "HEARTH_ERR_MODEL_NOT_FOUND" : "HEARTH_ERR_MODEL_LOAD_FAILED";
    throw modelLoadFailed(`Could not get model ${source}: ${error.message}`, typeof hint === "string" ? hint : OFFLINE_HINT, code);
  }
}

/**
 * The model's file when it is on disk: where `hearth pull` stores it, else where node-llama-cpp
 * stored an `hf:` download before Hearth fetched models itself (looked up by name, offline).
 */
export async function modelOnDisk(ref: ModelRef, modelsDir: string): Promise<string | null> {
  const pulled = findPulledFile(modelsDir, ref.uri);
  if (pulled !== null) return pulled;
  for (const uri of new Set([ref.spec, ref.uri].filter(isRemoteSource))) {
    try {
      return await resolveModelFile(uri, { directory: modelsDir, download: false, cli: false, endpoints: { huggingFace: huggingFaceEndpoint() } });
    } catch {
      // Not there under that name either.
    }
  }
  return null;
}

function describe(ref: ModelRef): string {
  return ref.model ? `${ref.model.title} (${ref.model.name})` : ref.spec;
}

function sizeText(ref: ModelRef): string {
  const bytes = ref.model?.sizeBytes;
  return bytes === undefined ? "" : ` (${ref.model?.sizeExact ? "" : "about "}${(bytes / 1e9).toFixed(bytes >= 1e10 ? 0 : 2)} GB)`;
}

function partialBytes(modelsDir: string, uri: string): number {
  try {
    return statSync(`${pulledPath(modelsDir, uri)}.part`).size;
  } catch {
    return 0;
  }
}

export function downloadInfo(ref: ModelRef, role: ModelRole, modelsDir: string): ModelDownloadInfo {
  return {
    role,
    source: ref.spec,
    uri: ref.uri,
    catalogName: ref.model?.name ?? null,
    title: ref.model?.title ?? null,
    sizeBytes: ref.model?.sizeBytes ?? null,
    sizeExact: ref.model?.sizeExact ?? false,
    partialBytes: partialBytes(modelsDir, ref.uri),
  };
}

/** Fetches the model as `hearth pull` does, telling its progress with bytes; every failure is typed and says what it tried to fetch. */
async function fetchModel(ref: ModelRef, role: ModelRole, options: ResolveOptions): Promise<string> {
  let lastReported = -1;
  const what = describe(ref);
  try {
    const result = await pullModel(ref, {
      modelsDir: options.modelsDir,
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: ({ receivedBytes, totalBytes }) => {
        const percent = totalBytes ? Math.floor((receivedBytes / totalBytes) * 100) : -1;
        if (percent === lastReported && percent >= 0) return;
        lastReported = percent;
        const done = percent >= 0 ? `${percent}%` : `${receivedBytes} bytes`;
        options.report("download", totalBytes ? receivedBytes / totalBytes : null, `Downloading ${ref.spec}: ${done}`, { receivedBytes, totalBytes });
      },
    });
    return result.path;
  } catch (error) {
    const info = downloadInfo(ref, role, options.modelsDir);
    if (options.signal?.aborted) {
      const kept = info.partialBytes > 0 ? `; ${info.partialBytes} bytes are kept to resume` : "";
      throw new HearthError("HEARTH_ERR_MODEL_NOT_DOWNLOADED", `The download of ${what} was stopped${kept}.`, "Send hearth/downloadModel (or run `hearth pull`) to resume it.").withDownload(info);
    }
    const reason = (error instanceof Error ? error.message : String(error)).replace(/^Could not download: /, "");
    const hint = error instanceof DownloadError ? `${error.hint} ${OFFLINE_HINT}` : OFFLINE_HINT;
    const code = error instanceof DownloadError && error.unreachable ? "HEARTH_ERR_MODEL_HUB_UNREACHABLE" : "HEARTH_ERR_MODEL_DOWNLOAD_FAILED";
    throw modelLoadFailed(`Could not download ${what}: ${reason.replace(/[.]+$/, "")}.`, hint, code).withDownload(info);
  }
}
