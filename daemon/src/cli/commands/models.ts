import os from "node:os";
import path from "node:path";
import { fitsIn, loadCatalog, memoryNeeded, recommendTier, type CatalogData, type MachineMemory } from "../../catalog/catalog.js";
import { findPulledFile, listPulledFiles } from "../../catalog/model-store.js";
import { storeFileName } from "../../catalog/model-ref.js";
// The one engine module the CLI asks directly: the GPU's memory, read without loading a model.
import { measureGpuMemory, type GpuMemory } from "../../engine/gpu-memory.js";
import { intFlag, parseArgs, UsageError } from "../../args.js";
import { serveOptions } from "../../options.js";
import { formatBytes } from "../download-progress.js";
import { homeFrom } from "../common.js";

export const modelsHelp = `Usage: hearth models [--json] [--ctx N] [--home DIR]

Lists the model catalog per role (completion, chat, nextEdit, draft): size, the
memory each needs at the context size (weights plus KV cache), whether it fits this
machine's RAM and VRAM, whether it is downloaded, and the tier recommended here.
HEARTH_CATALOG may name a JSON file of a team's own models (docs/models.md).

Options:
  --ctx N      context size the memory is computed for (default ${serveOptions.ctx.default})
  --json       print everything as JSON
  --home DIR   Hearth's home (default: HEARTH_HOME, else the user cache folder)
`;

interface ModelsReport {
  machine: {
    platform: string;
    arch: string;
    ramTotalBytes: number;
    ramFreeBytes: number;
    gpu: string | false | null;
    gpuDevices: string[];
    vramTotalBytes: number | null;
    vramFreeBytes: number | null;
  };
  contextSize: number;
  recommendedTier: string | null;
  tiers: Array<{ id: string; title: string; recommended: boolean; models: Record<string, string> }>;
  models: Array<{
    name: string;
    title: string;
    roles: string[];
    uri: string;
    quantization: string;
    parameters: string;
    sizeBytes: number;
    sizeExact: boolean;
    sha256: string | null;
    contextLength: number;
    format: string;
    memoryBytes: number;
    fits: { ram: boolean; vram: boolean | null };
    downloaded: boolean;
    path: string | null;
  }>;
  /** Pulled files no catalog entry names (pulled by hf: URI or URL). */
  otherDownloads: Array<{ fileName: string; path: string; bytes: number }>;
}

export function modelsReport(catalog: CatalogData, modelsDir: string, contextSize: number, gpu: GpuMemory | null): ModelsReport {
  const vramTotal = gpu && gpu.gpu !== false ? gpu.vramTotalBytes : null;
  const machine: MachineMemory = { platform: process.platform, arch: process.arch, ramTotalBytes: os.totalmem(), vramTotalBytes: vramTotal };
  const tier = recommendTier(catalog, machine);
  const catalogFiles = new Set(catalog.models.map((m) => storeFileName(m.uri)));
  return {
    machine: {
      platform: process.platform,
      arch: process.arch,
      ramTotalBytes: os.totalmem(),
      ramFreeBytes: os.freemem(),
      gpu: gpu ? gpu.gpu : null,
      gpuDevices: gpu?.deviceNames ?? [],
      vramTotalBytes: vramTotal,
      vramFreeBytes: gpu && gpu.gpu !== false ? gpu.vramFreeBytes : null,
    },
    contextSize,
    recommendedTier: tier?.id ?? null,
    tiers: catalog.tiers.map((t) => ({ id: t.id, title: t.title, recommended: t.id === tier?.id, models: { ...t.models } as Record<string, string> })),
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
        fits: { ram: fitsIn(memoryBytes, os.totalmem()), vram: vramTotal === null ? null : fitsIn(memoryBytes, vramTotal) },
        downloaded: file !== null,
        path: file,
      };
    }),
    otherDownloads: listPulledFiles(modelsDir).filter((f) => !catalogFiles.has(f.fileName)),
  };
}

function printHuman(report: ModelsReport): void {
  const m = report.machine;
  const gpu =
    m.gpu === null ? "GPU: not known (no llama.cpp binding loaded)" : m.gpu === false ? "GPU: none (llama.cpp runs on the CPU)" : `GPU: ${m.gpu} ${m.gpuDevices.join(", ")}, ${formatBytes(m.vramTotalBytes ?? 0)} VRAM`;
  const lines = [`This machine: ${formatBytes(m.ramTotalBytes)} RAM (${formatBytes(m.ramFreeBytes)} free); ${gpu}`, `Memory is weights + KV cache for ${report.contextSize} tokens.`, ""];
  const rows = [["NAME", "ROLES", "SIZE", "MEMORY", "FITS", "DOWNLOADED"]];
  for (const model of report.models) {
    const fits = [model.fits.vram ? "VRAM" : null, model.fits.ram ? "RAM" : null].filter(Boolean).join("+") || "no";
    rows.push([model.name, model.roles.join(","), `${model.sizeExact ? "" : "~"}${formatBytes(model.sizeBytes)}`, formatBytes(model.memoryBytes), fits, model.downloaded ? "yes" : "-"]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows) lines.push(row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd());
  lines.push("", "Tiers (llama.vscode's presets):");
  for (const tier of report.tiers) {
    const picks = Object.entries(tier.models).map(([role, name]) => `${role} ${name}`).join(", ");
    lines.push(`  ${tier.recommended ? "*" : " "} ${tier.id.padEnd(10)} ${tier.title}: ${picks}`);
  }
  if (report.recommendedTier) lines.push("", `* recommended here. Download one with \`hearth pull NAME\`.`);
  if (report.otherDownloads.length > 0) {
    lines.push("", "Other downloads:");
    for (const file of report.otherDownloads) lines.push(`  ${file.fileName} (${formatBytes(file.bytes)})`);
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

export async function models(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, { boolean: ["help", "json"], value: ["home", "ctx"] });
  if (args.flags.has("help")) {
    process.stdout.write(modelsHelp);
    return 0;
  }
  if (args.positional.length > 0) throw new UsageError("models takes no arguments");
  const contextSize = intFlag(args, "ctx", serveOptions.ctx.default, serveOptions.ctx.min, serveOptions.ctx.max);
  const catalog = loadCatalog();
  const report = modelsReport(catalog, path.join(homeFrom(args), "models"), contextSize, await measureGpuMemory());
  if (args.flags.has("json")) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else printHuman(report);
  return 0;
}
