/**
 * Memory figures for status, the precision picker and a secondary model's admission. KV
 * bytes are computed from the model's shape, exactly as llama.cpp allocates them: every
 * sequence of a context holds the full context size.
 */
import os from "node:os";
import type { GgufMetadata, Llama, LlamaModel } from "node-llama-cpp";
import type { LoadNeed } from "../backend.js";
import type { MemoryInfo } from "../protocol.js";

/** Bytes per element of the KV cache types Hearth offers (block formats averaged per element). */
export const kvTypeBytes: Record<string, number> = { f32: 4, f16: 2, bf16: 2, q8_0: 34 / 32, q4_0: 18 / 32 };

export interface ModelShape {
  layers: number;
  embedding: number;
  heads: number;
  kvHeads: number;
  keyLength: number;
  valueLength: number;
}

function numberAt(metadata: Record<string, unknown>, key: string): number | undefined {
  const value = metadata[key];
  return typeof value === "number" ? value : undefined;
}

export function modelShape(model: LlamaModel): ModelShape {
  return modelShapeOf(model.fileInfo.metadata);
}

/** The shape from a GGUF's metadata (a loaded model's, or one read from the file before loading it). */
export function modelShapeOf(ggufMetadata: GgufMetadata): ModelShape {
  const metadata = ggufMetadata as unknown as Record<string, Record<string, unknown>>;
  const arch = String(ggufMetadata.general.architecture);
  const archMeta = metadata[arch] ?? {};
  const attention = (archMeta.attention ?? {}) as Record<string, unknown>;
  const embedding = numberAt(archMeta, "embedding_length") ?? 0;
  const heads = numberAt(attention, "head_count") ?? 1;
  const kvHeads = numberAt(attention, "head_count_kv") ?? heads;
  const headDim = heads > 0 ? embedding / heads : 0;
  return {
    layers: numberAt(archMeta, "block_count") ?? 0,
    embedding,
    heads,
    kvHeads,
    keyLength: numberAt(attention, "key_length") ?? headDim,
    valueLength: numberAt(attention, "value_length") ?? headDim,
  };
}

/** The context the model was trained for, from its GGUF metadata (null when it doesn't say). */
export function trainedContextOf(ggufMetadata: GgufMetadata): number | null {
  const metadata = ggufMetadata as unknown as Record<string, Record<string, unknown>>;
  return numberAt(metadata[String(ggufMetadata.general.architecture)] ?? {}, "context_length") ?? null;
}

export function kvCacheBytes(shape: ModelShape, contextSize: number, sequences: number, keyType = "f16", valueType = "f16"): number {
  const perToken =
    shape.layers * shape.kvHeads * (shape.keyLength * (kvTypeBytes[keyType] ?? 2) + shape.valueLength * (kvTypeBytes[valueType] ?? 2));
  return Math.round(perToken * contextSize * sequences);
}

export async function memorySnapshot(llama: Llama | null, modelBytes: number, kvBytes: number): Promise<MemoryInfo> {
  const vram = llama ? await llama.getVramState() : { total: 0, used: 0, free: 0 };
  const total = os.totalmem();
  const free = os.freemem();
  return {
    modelBytes,
    kvBytes,
    vramUsedBytes: vram.used,
    vramFreeBytes: vram.free,
    vramTotalBytes: vram.total,
    ramUsedBytes: total - free,
    ramFreeBytes: free,
    ramTotalBytes: total,
    daemonRssBytes: process.memoryUsage.rss(),
  };
}

/**
 * Test-only: the free memory a model's admission reads, in MB, instead of the machine's.
 * A machine's free memory can't be made small on demand, so the test of a model refused for
 * want of it sets this; nothing else reads it, and it is read here alone.
 */
export const TEST_FREE_MEMORY_ENV = "HEARTH_TEST_FREE_MEMORY_MB";

/**
 * Where a model would load and what is free there now: VRAM on a GPU (llama.cpp's reading),
 * else the RAM this process may still take (the container's limit where there is one).
 */
export async function freeMemoryFor(llama: Llama, env: NodeJS.ProcessEnv = process.env): Promise<Omit<LoadNeed, "bytes">> {
  const memory = llama.gpu === false ? "RAM" : "VRAM";
  const raw = env[TEST_FREE_MEMORY_ENV];
  if (raw !== undefined && raw !== "") {
    const mb = Number(raw);
    if (!Number.isFinite(mb) || mb < 0) throw new RangeError(`${TEST_FREE_MEMORY_ENV} must be a number of MB, 0 or more; got ${JSON.stringify(raw)}.`);
    return { memory, freeBytes: Math.round(mb * 1024 * 1024) };
  }
  return { memory, freeBytes: memory === "VRAM" ? (await llama.getVramState()).free : process.availableMemory() };
}
