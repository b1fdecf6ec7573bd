/**
 * The GPU llama.cpp would use and its memory, asked without loading a model: node-llama-cpp
 * loads its prebuilt binding for the best backend it finds (never building one) and reads the
 * device's VRAM. `hearth models` uses it to say what fits.
 */
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";
import type { GpuChoice } from "../options.js";
import { acquireLlama, releaseLlama } from "./runtime.js";

export interface GpuMemory {
  /** "cuda", "vulkan", "metal", or false when llama.cpp runs on the CPU here. */
  gpu: string | false;
  deviceNames: string[];
  vramTotalBytes: number;
  vramFreeBytes: number;
}

/** null when no binding could be loaded at all (then only RAM is known). */
export async function measureGpuMemory(): Promise<GpuMemory | null> {
  try {
    const llama = await getLlama({ gpu: "auto", build: "never", logLevel: LlamaLogLevel.error });
    try {
      if (llama.gpu === false) return { gpu: false, deviceNames: [], vramTotalBytes: 0, vramFreeBytes: 0 };
      const vram = await llama.getVramState();
      return { gpu: llama.gpu, deviceNames: await llama.getGpuDeviceNames(), vramTotalBytes: vram.total, vramFreeBytes: vram.free };
    } finally {
      await llama.dispose();
    }
  } catch {
    return null;
  }
}

/**
 * The same, inside the daemon: through the runtime its engine shares (acquired and released,
 * so a binding already loaded is reused and none is left behind), on the GPU backend it was
 * told to use.
 */
export async function measureDaemonGpuMemory(options: { gpu: GpuChoice; threads: number }): Promise<GpuMemory | null> {
  if (options.gpu === "off") return { gpu: false, deviceNames: [], vramTotalBytes: 0, vramFreeBytes: 0 };
  let llama: Llama;
  try {
    llama = await acquireLlama(options);
  } catch {
    return null;
  }
  try {
    if (llama.gpu === false) return { gpu: false, deviceNames: [], vramTotalBytes: 0, vramFreeBytes: 0 };
    const vram = await llama.getVramState();
    return { gpu: llama.gpu, deviceNames: await llama.getGpuDeviceNames(), vramTotalBytes: vram.total, vramFreeBytes: vram.free };
  } catch {
    return null;
  } finally {
    await releaseLlama(llama);
  }
}
