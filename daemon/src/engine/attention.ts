/**
 * Flash attention per device, chosen by measurement rather than left to llama.cpp's "auto"
 * (node-llama-cpp's default), which turns it on wherever the backend supports it, a CPU
 * included. On a CPU it makes decoding slower as the context fills: llama-bench on the
 * generated Qwen2.5-Coder-0.5B shape, Q8_0, 2 threads, tokens/s with it off / on: 42.4 / 51.4
 * at an empty context, 40.8 / 38.7 at 1k tokens, 28.6 / 23.2 at 4k (figures in
 * bench/results/figures/attention-cpu.json; completions run at depth). A quantized KV cache
 * needs it (llama.cpp quantizes the V cache only with flash attention) and was slower still
 * on the CPU (q8_0: 38.1 at 1k, 19.3 at 4k), so f16 stays the default there. On a GPU flash
 * attention saves memory and time where the backend has it, so "auto" lets llama.cpp use it.
 */
import type { KvCacheType } from "../protocol.js";

export type AttentionDevice = "cpu" | "gpu";

export function flashAttentionFor(device: AttentionDevice, kvCacheType: KvCacheType): boolean | "auto" {
  if (kvCacheType !== "f16") return true;
  return device === "gpu" ? "auto" : false;
}
