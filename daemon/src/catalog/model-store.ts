/**
 * Pulled models on disk: `<home>/models/pulled/<name derived from the URI>.gguf`, 0600 in
 * private folders. The daemon's model resolution looks here first, so a model pulled once is
 * used offline by `--model NAME` and `--model hf:…` alike.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { open, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { isProcessAlive } from "../discovery.js";
import { ensurePrivateDir } from "../private-home.js";
import { downloadFile, fetchAnswer, unreachableReason, type DownloadProgress, type DownloadResult } from "./download.js";
import { DownloadError } from "./download-error.js";
import { huggingFaceEndpoint, parseHfUri, storeFileName, type ModelRef } from "./model-ref.js";

/** No model file is bigger than this unless the catalog or --size says so (the largest Q8_0 coder models are tens of GB). */
export const DEFAULT_MAX_MODEL_BYTES = 256 * 1024 ** 3;
const MAX_MANIFEST_BYTES = 1024 * 1024;

export function pulledDir(modelsDir: string): string {
  return path.join(modelsDir, "pulled");
}

export function pulledPath(modelsDir: string, uri: string): string {
  return path.join(pulledDir(modelsDir), storeFileName(uri));
}

/** The pulled file for `uri`, or null when it was never pulled (a .part file does not count). */
export function findPulledFile(modelsDir: string, uri: string): string | null {
  const file = pulledPath(modelsDir, uri);
  return existsSync(file) && statSync(file).isFile() ? file : null;
}

export interface PulledFile {
  fileName: string;
  path: string;
  bytes: number;
}

/** Every whole file in the pulled folder. */
export function listPulledFiles(modelsDir: string): PulledFile[] {
  const dir = pulledDir(modelsDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".gguf"))
    .map((entry) => {
      const file = path.join(dir, entry.name);
      return { fileName: entry.name, path: file, bytes: statSync(file).size };
    });
}

/** A repository path from a manifest or URI: relative, no "..", ends in .gguf. */
function safeRepoPath(file: string): boolean {
  return /^(?:[A-Za-z0-9._-]+\/)*[A-Za-z0-9._-]+\.gguf$/.test(file) && !file.split("/").some((part) => part === ".." || part === ".");
}

/**
 * The download URL of an `hf:` URI on the endpoint: a file URI directly; `hf:user/repo[:tag]`
 * through the hub's manifest API (the one `llama-server -hf` asks), which names the GGUF file.
 */
/** HF_TOKEN, as Hugging Face's tools send it: to the hub (HF_ENDPOINT) only, never to another host. */
export function hubHeaders(url: string, env: NodeJS.ProcessEnv): Record<string, string> {
  const token = env.HF_TOKEN?.trim();
  if (!token || !/^[\x21-\x7e]{1,1024}$/.test(token)) return {};
  return new URL(url).origin === new URL(huggingFaceEndpoint(env)).origin ? { Authorization: `Bearer ${token}` } : {};
}

export async function resolveHfDownloadUrl(uri: string, env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<string> {
  const hf = parseHfUri(uri);
  if (!hf) return uri;
  const endpoint = huggingFaceEndpoint(env);
  const repo = `${encodeURIComponent(hf.user)}/${encodeURIComponent(hf.repo)}`;
  const fileUrl = (file: string): string => `${endpoint}${repo}/resolve/main/${file.split("/").map(encodeURIComponent).join("/")}?download=true`;
  if (hf.file) return fileUrl(hf.file);
  const manifestUrl = `${endpoint}v2/${repo}/manifests/${encodeURIComponent(hf.tag)}`;
  let response: Response;
  try {
    // The manifest names the GGUF file only for this user agent (llama.cpp PR 11195).
    response = await fetchAnswer(manifestUrl, { headers: { ...hubHeaders(manifestUrl, env), "User-Agent": "llama-cpp", Accept: "application/json" } }, signal);
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new DownloadError(
      "HEARTH_ERR_DOWNLOAD_HTTP",
      `Could not reach ${endpoint} to resolve ${uri}: ${unreachableReason(error)}.`,
      "Check the network, or set HF_ENDPOINT to a mirror you can reach. Offline, fetch the .gguf file another way and use --model /path/to/file.gguf.",
      { unreachable: true },
    );
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new DownloadError(
      "HEARTH_ERR_DOWNLOAD_HTTP",
      `${manifestUrl} answered HTTP ${response.status} for ${uri}.`,
      response.status === 404
        ? `Check the repository name, and the tag (${hf.tag}): hf:USER/REPO:Q8_0 asks for a quantization the repository has.`
        : response.status === 401 || response.status === 403
          ? "The repository is private or gated: set HF_TOKEN to a Hugging Face token that may read it."
          : "Try again later, or use an hf: URI that names the file (hf:USER/REPO/FILE.gguf).",
    );
  }
  const text = await response.text();
  let rfilename: unknown;
  try {
    if (text.length > MAX_MANIFEST_BYTES) throw new Error("too large");
    const manifest = JSON.parse(text) as { ggufFile?: { rfilename?: unknown } };
    rfilename = manifest.ggufFile?.rfilename;
  } catch {
    rfilename = undefined;
  }
  if (typeof rfilename !== "string" || !safeRepoPath(rfilename)) {
    throw new DownloadError("HEARTH_ERR_DOWNLOAD_HTTP", `${manifestUrl} did not name a GGUF file for ${uri}.`, "Use an hf: URI that names the file: hf:USER/REPO/FILE.gguf.");
  }
  return fileUrl(rfilename);
}

export interface PullOptions {
  /** `<home>/models`: created private (0700) with the pulled folder inside. */
  modelsDir: string;
  env?: NodeJS.ProcessEnv;
  /** For a URI the catalog does not describe: the size and hash to insist on. */
  sizeBytes?: number;
  sha256?: string;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
  retryDelayMs?: number;
}

/**
 * One pull per file at a time (a `hearth pull` and a daemon fetching the same catalog model
 * would otherwise append to one .part file): `<file>.lock` holds the puller's pid; a lock
 * whose process is gone is taken over.
 */
async function lockPull(target: string): Promise<() => Promise<void>> {
  const lock = `${target}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lock, "wx", 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number((await readFile(lock, "utf8").catch(() => "")).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isProcessAlive(pid)) {
        throw new DownloadError("HEARTH_ERR_DOWNLOAD_BUSY", `Another process (pid ${pid}) is downloading ${path.basename(target)} right now.`, "Wait for it to finish; the file is then there for everyone.");
      }
      await rm(lock, { force: true });
    }
  }
  throw new DownloadError("HEARTH_ERR_DOWNLOAD_BUSY", `Could not take the download lock ${lock}.`, "Remove the .lock file if no other pull runs, and try again.");
}

export type PullResult = (DownloadResult & { alreadyPulled: false; url: string }) | { alreadyPulled: true; path: string; bytes: number };

export async function pullModel(ref: ModelRef, options: PullOptions): Promise<PullResult> {
  const env = options.env ?? process.env;
  const modelsDir = options.modelsDir;
  ensurePrivateDir(path.dirname(modelsDir));
  ensurePrivateDir(modelsDir);
  ensurePrivateDir(pulledDir(modelsDir));
  const target = pulledPath(modelsDir, ref.uri);
  if (existsSync(target)) return { alreadyPulled: true, path: target, bytes: statSync(target).size };
  const unlock = await lockPull(target);
  try {
    return await pullLocked(ref, target, env, options);
  } finally {
    await unlock();
  }
}

async function pullLocked(ref: ModelRef, target: string, env: NodeJS.ProcessEnv, options: PullOptions): Promise<PullResult> {
  // A pull that held the lock before this one may have finished the file.
  if (existsSync(target)) return { alreadyPulled: true, path: target, bytes: statSync(target).size };
  const url = await resolveHfDownloadUrl(ref.uri, env, options.signal);
  const sizeBytes = options.sizeBytes ?? ref.model?.sizeBytes;
  const sizeExact = options.sizeBytes !== undefined ? true : (ref.model?.sizeExact ?? false);
  const sha256 = options.sha256 ?? ref.model?.sha256;
  const result = await downloadFile({
    url,
    headers: hubHeaders(url, env),
    target,
    expected: {
      ...(sizeBytes !== undefined ? { bytes: sizeBytes, sizeExact } : {}),
      ...(sha256 !== undefined ? { sha256 } : {}),
      maxBytes: Math.max(DEFAULT_MAX_MODEL_BYTES, sizeBytes ?? 0),
    },
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
  });
  return { ...result, alreadyPulled: false, url };
}

/** Deletes the pulled file of `ref` and any partial download of it; the paths removed. */
export async function removePulled(modelsDir: string, ref: ModelRef): Promise<string[]> {
  const target = pulledPath(modelsDir, ref.uri);
  const removed = [target, `${target}.part`].filter((file) => existsSync(file));
  // A pull in progress keeps its lock; removing its file under it would only make it fail.
  const lock = `${target}.lock`;
  const pid = existsSync(lock) ? Number(readFileSync(lock, "utf8").trim()) : NaN;
  if (Number.isInteger(pid) && pid > 0 && isProcessAlive(pid)) {
    throw new DownloadError("HEARTH_ERR_DOWNLOAD_BUSY", `${ref.spec} is being downloaded by process ${pid}.`, "Wait for the download to finish (or stop it), then remove the model.");
  }
  if (removed.length === 0) {
    throw new DownloadError("HEARTH_ERR_NOT_DOWNLOADED", `${ref.spec} is not downloaded in ${pulledDir(modelsDir)}.`, "Run `hearth models` to see what is downloaded.");
  }
  await Promise.all([...removed, `${target}.part.etag`].map((file) => rm(file, { force: true })));
  return removed;
}
