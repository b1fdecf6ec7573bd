import path from "node:path";
import { loadCatalog } from "../../catalog/catalog.js";
import { catalogView } from "../../catalog/catalog-view.js";
// The one engine module the CLI asks directly: the GPU's memory, read without loading a model.
import { measureGpuMemory } from "../../engine/gpu-memory.js";
import type { ModelCatalogResult } from "../../protocol.js";
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

function printHuman(report: ModelCatalogResult): void {
  const m = report.machine;
  const gpu =
    m.gpu === null ? "GPU: not known (no llama.cpp binding loaded)" : m.gpu === false ? "GPU: none (llama.cpp runs on the CPU)" : `GPU: ${m.gpu} ${m.gpuDevices.join(", ")}, ${formatBytes(m.vramTotalBytes ?? 0)} VRAM`;
  const lines = [`This machine: ${formatBytes(m.ramTotalBytes)} RAM (${formatBytes(m.ramFreeBytes)} free), ${m.cpuCores} cores; ${gpu}`, `Memory is weights + KV cache for ${report.contextSize} tokens.`, ""];
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
  const report = catalogView(catalog, path.join(homeFrom(args), "models"), contextSize, await measureGpuMemory());
  if (args.flags.has("json")) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else printHuman(report);
  return 0;
}
