/**
 * What a first run says and offers, as data: this machine as the daemon measured it, the
 * catalog tier recommended for it with each model's size, the settings that choosing it
 * writes, the catalog's models for a quick pick, a server's setting, and a download's
 * progress line. Pure (no vscode): unit-tested as data, shown by first-run.ts.
 */
import type { CatalogModelView, ModelCatalogResult, ModelDownloadInfo, ModelRole } from "../../../daemon/src/protocol.js";
import { formatSize, sentences } from "../problems.js";

const ROLE_WORDS: Record<ModelRole, string> = { completion: "completions", chat: "explanations", nextEdit: "next-edit suggestions", draft: "drafting (speculative decoding)" };

/** The settings a role's model goes in. */
export const ROLE_SETTINGS: Record<ModelRole, string> = { completion: "model.path", chat: "model.chat", nextEdit: "model.nextEdit", draft: "model.draft" };

const GB = 1024 ** 3;

/** "31 GB RAM, 8 cores, NVIDIA RTX 4070 with 12 GB VRAM" / "…, no GPU". */
export function machineSummary(machine: ModelCatalogResult["machine"]): string {
  const ram = `${Math.round(machine.ramTotalBytes / GB)} GB RAM`;
  const cores = `${machine.cpuCores} CPU core${machine.cpuCores === 1 ? "" : "s"}`;
  const gpu =
    machine.gpu === null
      ? "GPU not known"
      : machine.gpu === false
        ? "no GPU"
        : `${machine.gpuDevices.join(", ") || machine.gpu} with ${Math.round((machine.vramTotalBytes ?? 0) / GB)} GB VRAM`;
  return `${ram}, ${cores}, ${gpu}`;
}

export interface RecommendedModel {
  role: ModelRole;
  model: CatalogModelView;
}

/** The recommended tier's models, role by role (completion first), as the catalog view lists them. */
export function recommendedSet(catalog: ModelCatalogResult): RecommendedModel[] {
  const tier = catalog.tiers.find((t) => t.recommended);
  if (!tier) return [];
  const roles: ModelRole[] = ["completion", "chat", "nextEdit", "draft"];
  return roles.flatMap((role) => {
    const model = catalog.models.find((m) => m.name === tier.models[role]);
    return model ? [{ role, model }] : [];
  });
}

/** The settings that choosing the recommended set writes: each role not set already (a user's own choice stays). */
export function recommendedSettings(set: readonly RecommendedModel[], configured: Readonly<Record<ModelRole, string>>, defaultModel: string): Record<string, string> {
  const changes: Record<string, string> = {};
  for (const { role, model } of set) {
    if (configured[role] !== "") continue;
    // The daemon's default needs no setting.
    if (role === "completion" && model.name === defaultModel) continue;
    changes[ROLE_SETTINGS[role]] = model.name;
  }
  return changes;
}

function sizeText(model: CatalogModelView): string {
  return `${model.sizeExact ? "" : "~"}${formatSize(model.sizeBytes)}`;
}

/** Bytes still to fetch for the set: what is not on disk yet. */
export function bytesToFetch(set: readonly RecommendedModel[]): number {
  return set.filter(({ model }) => !model.downloaded).reduce((sum, { model }) => sum + model.sizeBytes, 0);
}

/**
 * The first-run notification's text. Nothing configured: this machine and the tier for it,
 * each model with its size, and what Download fetches. A model the user named: that model.
 */
export function firstRunMessage(missing: ModelDownloadInfo, catalog: ModelCatalogResult | null, nothingConfigured: boolean): string {
  const what = `${missing.title ?? missing.source}${missing.sizeBytes === null ? "" : ` (${missing.sizeExact ? "~" : ""}${formatSize(missing.sizeBytes)})`}`;
  const machine = catalog ? `This machine: ${machineSummary(catalog.machine)}` : null;
  const set = catalog ? recommendedSet(catalog) : [];
  const kept = missing.partialBytes > 0 ? `${formatSize(missing.partialBytes)} of it are kept from a stopped download` : null;
  if (!nothingConfigured || set.length === 0) {
    return sentences(`Hearth's model ${what} is not downloaded yet`, kept, machine, "Download it (with progress; you can cancel), choose another, or use a model file or a server you have");
  }
  const tier = catalog?.tiers.find((t) => t.recommended);
  const listed = set.map(({ role, model }) => `${model.title} for ${ROLE_WORDS[role]} (${sizeText(model)}${model.downloaded ? ", on disk" : ""})`).join(", ");
  const fetch = bytesToFetch(set);
  return sentences(
    "Hearth needs a code model and asks before downloading one",
    machine,
    `Recommended here (${tier?.title ?? "this machine"}): ${listed}`,
    kept,
    `Download fetches ${fetch > 0 ? formatSize(fetch) : "nothing more"} (you can cancel); or choose another model, or use a model file or a server you have`,
  );
}

export interface ModelPick {
  name: string;
  label: string;
  description: string;
  detail: string;
}

/** The catalog's completion models for a quick pick: size, whether it fits, on disk, recommended. */
export function modelPicks(catalog: ModelCatalogResult): ModelPick[] {
  const recommended = new Set(recommendedSet(catalog).map(({ model }) => model.name));
  return catalog.models
    .filter((m) => m.roles.includes("completion"))
    .map((m) => {
      const fits = m.fits.vram ? "fits in VRAM" : m.fits.ram ? "fits in RAM" : "too big for this machine";
      const marks = [recommended.has(m.name) ? "recommended" : null, m.downloaded ? "on disk" : null].filter((x): x is string => x !== null);
      return {
        name: m.name,
        label: m.title,
        description: [sizeText(m), fits, ...marks].join(" · "),
        detail: `${m.name} · ${m.parameters} parameters, ${m.quantization} · needs ${formatSize(m.memoryBytes)} with a ${catalog.contextSize}-token context`,
      };
    });
}

export const SERVER_KINDS = [
  { kind: "llama-server", label: "llama-server", detail: "llama.cpp's server: Hearth's fill-in-the-middle prompt through /completion" },
  { kind: "openai", label: "OpenAI-compatible server", detail: "vLLM, LM Studio, Ollama and others: /v1/completions" },
] as const;

/** `hearth.backend` for a server, or why the URL can't be one. */
export function serverBackend(kind: (typeof SERVER_KINDS)[number]["kind"], url: string): { value: string } | { problem: string } {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return { problem: "Give the server's URL, e.g. http://127.0.0.1:8080" };
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return { problem: "The URL must start with http:// or https://" };
  if (parsed.username || parsed.password) return { problem: "Leave the key out of the URL: Hearth: Set Remote API Key keeps it" };
  return { value: `${kind}=${parsed.href.replace(/\/$/, "")}` };
}

/** A download's line in its progress notification: "42% · 690.1 MB of 1.65 GB". */
export function progressMessage(receivedBytes: number, totalBytes: number | null): string {
  if (totalBytes === null || totalBytes <= 0) return `${formatSize(receivedBytes)}`;
  return `${Math.floor((100 * receivedBytes) / totalBytes)}% · ${formatSize(receivedBytes)} of ${formatSize(totalBytes)}`;
}
