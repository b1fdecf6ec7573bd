/**
 * One llama.cpp runtime per process, shared by every local model (the completion model and
 * the chat and next-edit models beside it). node-llama-cpp's `Llama` owns the native
 * bindings, and disposing one disposes them for every instance, so a model that is unloaded
 * while another keeps serving must not dispose its own: the runtime is counted, and freed
 * when its last user lets go.
 */
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";
import type { GpuChoice } from "../options.js";

let shared: { llama: Promise<Llama>; users: number } | null = null;

/** The process's runtime, made on first use with these settings (later users share it as it is). */
export function acquireLlama(options: { gpu: GpuChoice; threads: number }): Promise<Llama> {
  if (shared === null) {
    const gpu = options.gpu === "off" ? false : options.gpu;
    const llama = getLlama({ gpu, build: "never", logLevel: LlamaLogLevel.error, maxThreads: options.threads });
    shared = { llama, users: 0 };
    // A runtime that failed to start is not kept: the next user tries again.
    llama.catch(() => {
      if (shared?.llama === llama) shared = null;
    });
  }
  shared.users++;
  return shared.llama;
}

/** One user is done with the runtime; the last one disposes it. */
export async function releaseLlama(llama: Llama): Promise<void> {
  if (shared === null || (await shared.llama.catch(() => null)) !== llama) return;
  shared.users--;
  if (shared.users > 0) return;
  shared = null;
  await llama.dispose();
}
