/**
 * The catalog as this machine sees it: what fits its RAM and VRAM, what is downloaded, and
 * the tier recommended here. `hearth models --json` prints it, and the daemon answers it to
 * hearth/models, so an editor's first run shows the same figures as the terminal.
 */
import os from "node:os";
import type { ModelCatalogResult } from "../protocol.js";
import { fitsIn, memoryNeeded, recommendTier, type CatalogData, type MachineMemory } from "./catalog.js";
import { storeFileName } from "./model-ref.js";
import { findPulledFile, listPulledFiles } from "./model-store.js";

/** The GPU llama.cpp would use and its memory; null when no binding could be loaded (only RAM is known). */
export interface GpuFacts {
  gpu: string | false;
  deviceNames: string[];
  vramTotalBytes: number;
  vramFreeBytes: number;
}

/** `ramTotalBytes`: this machine's (a test gives another's). */
export function catalogView(catalog: CatalogData, modelsDir: string, contextSize: number, gpu: GpuFacts | null, ramTotalBytes = os.totalmem()): ModelCatalogResult {
  const vramTotal = gpu && gpu.gpu !== false ? gpu.vramTotalBytes : null;
  const ramTotal = ramTotalBytes;
  const machine: MachineMemory = { platform: process.platform, arch: process.arch, ramTotalBytes: ramTotal, vramTotalBytes: vramTotal };
  const tier = recommendTier(catalog, machine);
  const catalogFiles = new Set(catalog.models.map((m) => storeFileName(m.uri)));
  const cpus = os.cpus();
  return {
    machine: {
      platform: process.platform,
      arch: process.arch,
      cpuCores: cpus.length,
      cpuModel: cpus[0]?.model.trim() ?? "unknown",
      ramTotalBytes: ramTotal,
      ramFreeBytes: os.freemem(),
      gpu: gpu ? gpu.gpu : null,
      gpuDevices: gpu?.deviceNames ?? [],
      vramTotalBytes: vramTotal,
      vramFreeBytes: gpu && gpu.gpu !== false ? gpu.vramFreeBytes : null,
    },
    contextSize,
    recommendedTier: tier?.id ?? null,
    tiers: catalog.tiers.map((t) => ({ id: t.id, title: t.title, recommended: t.id === tier?.id, models: { ...t.models } })),
    models: catalog.models.map((m) => {
      const memoryBytes = memoryNeeded(m, contextSize);
      const file = findPulledFile(modelsDir, m.uri);
      return {
        name: m.name,
        title: m.title,
        roles: [...m.roles],
        uri: m.uri,
        quantization: m.quantization,
        parameters: m.parameters,
        sizeBytes: m.sizeBytes,
        sizeExact: m.sizeExact,
        sha256: m.sha256 ?? null,
        contextLength: m.contextLength,
        format: m.format,
        memoryBytes,
        fits: { ram: fitsIn(memoryBytes, ramTotal), vram: vramTotal === null ? null : fitsIn(memoryBytes, vramTotal) },
        downloaded: file !== null,
        path: file,
      };
    }),
    otherDownloads: listPulledFiles(modelsDir).filter((f) => !catalogFiles.has(f.fileName)),
  };
}
