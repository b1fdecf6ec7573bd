/**
 * What a saved KV state means. llama.cpp loads a state file from a model with other weights
 * without complaint and then produces garbage, so every state file is keyed by a
 * fingerprint of everything that changes the cache's meaning: the model file's content,
 * the context size, the KV cache types, and the llama.cpp build.
 */
import { createHash } from "node:crypto";
import { createReadStream, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { writeSecretFile } from "../discovery.js";

/** Bump when the meaning of a state file changes for reasons the other inputs don't capture. */
export const STATE_FORMAT_VERSION = 2; // 2: drafted tokens are cleared before saving

export interface FingerprintInputs {
  modelSha256: string;
  contextSize: number;
  kvKeyType: string;
  kvValueType: string;
  /** node-llama-cpp's version: it pins the llama.cpp build and its state layout. */
  runtimeVersion: string;
}

export function fingerprintOf(inputs: FingerprintInputs): string {
  const canonical = JSON.stringify({ format: STATE_FORMAT_VERSION, ...inputs }, Object.keys({ format: 0, ...inputs }).sort());
  return createHash("sha256").update(canonical).digest("hex").slice(0, 24);
}

interface HashCacheEntry {
  size: number;
  mtimeMs: number;
  sha256: string;
}

/**
 * SHA-256 of a model file. Hashing gigabytes takes seconds, so the result is kept in
 * `<home>/model-hashes.json`, keyed by path and trusted while size and mtime are unchanged.
 */
export async function modelFileSha256(file: string, home: string): Promise<string> {
  const cacheFile = path.join(home, "model-hashes.json");
  const stat = statSync(file);
  let cache: Record<string, HashCacheEntry> = {};
  try {
    cache = JSON.parse(readFileSync(cacheFile, "utf8")) as Record<string, HashCacheEntry>;
  } catch {
    cache = {};
  }
  const known = cache[file];
  if (known && known.size === stat.size && known.mtimeMs === stat.mtimeMs) return known.sha256;
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: 4 * 1024 * 1024 })) hash.update(chunk as Buffer);
  const sha256 = hash.digest("hex");
  cache[file] = { size: stat.size, mtimeMs: stat.mtimeMs, sha256 };
  writeSecretFile(cacheFile, JSON.stringify(cache, null, 1));
  return sha256;
}
