/**
 * The model catalog: models per role (completion, chat, nextEdit, draft) with where to fetch
 * them and what they cost, and tiers that pick one model per role for a kind of machine.
 *
 * The built-in data (models-data.ts) and a team's own catalog file (HEARTH_CATALOG, JSON of
 * the same shape, e.g. models on an internal mirror) go through one validator: every field
 * checked, names unique, every tier's models present and able to play the role it gives them.
 */
import { readFileSync } from "node:fs";
import { BUILT_IN_CATALOG } from "./models-data.js";
import { MODEL_FORMATS, MODEL_ROLES, type CatalogData, type CatalogModel, type CatalogTier, type ModelFormat, type ModelRole, type ModelShape, type TierDevice } from "./types.js";

export * from "./types.js";

export class CatalogError extends Error {
  readonly code = "HEARTH_ERR_CATALOG";
  readonly hint: string;
  constructor(message: string, hint = "Fix the catalog file named by HEARTH_CATALOG (docs/models.md describes its fields), or unset HEARTH_CATALOG.") {
    super(message);
    this.hint = hint;
  }
  get data(): { code: string; hint: string } {
    return { code: this.code, hint: this.hint };
  }
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const SHA256 = /^[0-9a-f]{64}$/;
/** hf:user/repo, hf:user/repo:TAG or hf:user/repo/path/file.gguf (the forms node-llama-cpp and llama.cpp accept). */
export const HF_URI = /^hf:([A-Za-z0-9][A-Za-z0-9._-]*)\/([A-Za-z0-9][A-Za-z0-9._-]*)(?::([A-Za-z0-9._-]+)|\/((?:[A-Za-z0-9._-]+\/)*[A-Za-z0-9._-]+\.gguf))?$/;
/** An hf: URI whose file path has no "." or ".." segment. */
export function isHfUri(uri: string): boolean {
  const match = HF_URI.exec(uri);
  return match !== null && !(match[4] ?? "").split("/").some((part) => part === "." || part === "..");
}

const MAX_MODEL_BYTES = 2 ** 50;

type Check = (condition: boolean, what: string) => void;

function checker(where: string): Check {
  return (condition, what) => {
    if (!condition) throw new CatalogError(`Catalog ${where}: ${what}.`);
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function positiveInteger(value: unknown, max: number): value is number {
  return typeof value === "number" && Number.isInteger(value) && value > 0 && value <= max;
}

function nonEmptyString(value: unknown, max = 500): value is string {
  return typeof value === "string" && value.trim().length > 0 && value.length <= max;
}

function isModelUri(uri: string): boolean {
  if (isHfUri(uri)) return true;
  try {
    return new URL(uri).protocol === "https:";
  } catch {
    return false;
  }
}

function parseModel(raw: unknown, index: number): CatalogModel {
  const label = isRecord(raw) && typeof raw.name === "string" ? `model "${raw.name}"` : `model #${index + 1}`;
  const check = checker(label);
  check(isRecord(raw), "is not an object");
  const m = raw as Record<string, unknown>;
  const allowed = new Set(["name", "title", "roles", "uri", "quantization", "parameters", "sizeBytes", "sizeExact", "sha256", "contextLength", "format", "shape", "licence", "source"]);
  for (const key of Object.keys(m)) check(allowed.has(key), `has an unknown field "${key}"`);
  check(typeof m.name === "string" && NAME.test(m.name), "needs a name of lower-case letters, digits, '.', '_' or '-' (at most 64)");
  check(nonEmptyString(m.title, 120), "needs a title");
  check(Array.isArray(m.roles) && m.roles.length > 0 && m.roles.every((r) => (MODEL_ROLES as readonly unknown[]).includes(r)), `needs roles, each one of ${MODEL_ROLES.join(", ")}`);
  check(new Set(m.roles as unknown[]).size === (m.roles as unknown[]).length, "lists a role twice");
  check(typeof m.uri === "string" && isModelUri(m.uri), "needs a uri: hf:user/repo, hf:user/repo:TAG, hf:user/repo/file.gguf or an https:// URL");
  check(typeof m.quantization === "string" && /^[A-Za-z0-9_]{1,16}$/.test(m.quantization), "needs a quantization such as Q8_0");
  check(nonEmptyString(m.parameters, 16), "needs a parameter count such as 1.5B");
  check(positiveInteger(m.sizeBytes, MAX_MODEL_BYTES), "needs sizeBytes, a positive integer");
  check(typeof m.sizeExact === "boolean", "needs sizeExact, true or false");
  check(m.sha256 === undefined || (typeof m.sha256 === "string" && SHA256.test(m.sha256)), "has a sha256 that is not 64 lower-case hex digits");
  check(positiveInteger(m.contextLength, 2 ** 24), "needs contextLength, a positive integer");
  check((MODEL_FORMATS as readonly unknown[]).includes(m.format), `needs a format, one of ${MODEL_FORMATS.join(", ")}`);
  const shape = m.shape;
  check(isRecord(shape) && positiveInteger(shape.layers, 1024) && positiveInteger(shape.kvHeads, 1024) && positiveInteger(shape.headDim, 4096), "needs shape {layers, kvHeads, headDim}, positive integers");
  check(nonEmptyString(m.licence, 80), "needs a licence");
  check(nonEmptyString(m.source, 500), "needs a source saying where its figures come from");
  const s = shape as Record<string, number>;
  return {
    name: m.name as string,
    title: m.title as string,
    roles: [...(m.roles as ModelRole[])],
    uri: m.uri as string,
    quantization: m.quantization as string,
    parameters: m.parameters as string,
    sizeBytes: m.sizeBytes as number,
    sizeExact: m.sizeExact as boolean,
    ...(m.sha256 !== undefined ? { sha256: m.sha256 as string } : {}),
    contextLength: m.contextLength as number,
    format: m.format as ModelFormat,
    shape: { layers: s.layers as number, kvHeads: s.kvHeads as number, headDim: s.headDim as number },
    licence: m.licence as string,
    source: m.source as string,
  };
}

function parseTier(raw: unknown, index: number, models: ReadonlyMap<string, CatalogModel>): CatalogTier {
  const label = isRecord(raw) && typeof raw.id === "string" ? `tier "${raw.id}"` : `tier #${index + 1}`;
  const check = checker(label);
  check(isRecord(raw), "is not an object");
  const t = raw as Record<string, unknown>;
  check(typeof t.id === "string" && NAME.test(t.id), "needs an id of lower-case letters, digits, '.', '_' or '-'");
  check(nonEmptyString(t.title, 120), "needs a title");
  const when = t.when;
  check(isRecord(when) && (when.device === "cpu" || when.device === "gpu" || when.device === "apple"), "needs when.device: cpu, gpu or apple");
  const w = when as Record<string, unknown>;
  for (const key of ["maxMemoryGiB", "minMemoryGiB"] as const) check(w[key] === undefined || positiveInteger(w[key], 2 ** 20), `has a ${key} that is not a positive integer`);
  check(isRecord(t.models) && Object.keys(t.models).length > 0, "needs models: {role: model name}");
  const picked: Partial<Record<ModelRole, string>> = {};
  for (const [role, name] of Object.entries(t.models as Record<string, unknown>)) {
    check((MODEL_ROLES as readonly string[]).includes(role), `names an unknown role "${role}"`);
    check(typeof name === "string" && models.has(name), `names a model "${String(name)}" the catalog does not hold`);
    check(models.get(name as string)!.roles.includes(role as ModelRole), `gives "${String(name)}" the role ${role}, which that model does not list`);
    picked[role as ModelRole] = name as string;
  }
  check(picked.completion !== undefined, "needs a completion model");
  return {
    id: t.id as string,
    title: t.title as string,
    when: {
      device: w.device as TierDevice,
      ...(w.maxMemoryGiB !== undefined ? { maxMemoryGiB: w.maxMemoryGiB as number } : {}),
      ...(w.minMemoryGiB !== undefined ? { minMemoryGiB: w.minMemoryGiB as number } : {}),
    },
    models: picked,
  };
}

/** Validates catalog data (built-in, or parsed from a team's JSON file). */
export function parseCatalog(raw: unknown): CatalogData {
  checker("data")(isRecord(raw) && Array.isArray(raw.models), "needs a models array");
  const r = raw as Record<string, unknown>;
  const models = (r.models as unknown[]).map(parseModel);
  const byName = new Map<string, CatalogModel>();
  for (const model of models) {
    if (byName.has(model.name)) throw new CatalogError(`Catalog: two models are named "${model.name}".`);
    byName.set(model.name, model);
  }
  const rawTiers = r.tiers === undefined ? [] : r.tiers;
  checker("data")(Array.isArray(rawTiers), "has tiers that are not an array");
  const tiers = (rawTiers as unknown[]).map((tier, i) => parseTier(tier, i, byName));
  const ids = new Set<string>();
  for (const tier of tiers) {
    if (ids.has(tier.id)) throw new CatalogError(`Catalog: two tiers have the id "${tier.id}".`);
    ids.add(tier.id);
  }
  return { models, tiers };
}

/**
 * The built-in catalog, extended by the JSON file HEARTH_CATALOG names (its models are added,
 * a name the built-in one has is refused; its tiers come first, so a team's tier wins).
 */
export function loadCatalog(env: NodeJS.ProcessEnv = process.env): CatalogData {
  const file = env.HEARTH_CATALOG;
  if (!file) return parseCatalog(BUILT_IN_CATALOG);
  let extra: unknown;
  try {
    const text = readFileSync(file, "utf8");
    if (text.length > 4 * 1024 * 1024) throw new CatalogError(`The catalog file ${file} is larger than 4 MiB.`);
    extra = JSON.parse(text);
  } catch (error) {
    if (error instanceof CatalogError) throw error;
    throw new CatalogError(`Could not read the catalog file ${file} (HEARTH_CATALOG): ${error instanceof Error ? error.message : String(error)}`);
  }
  const team = isRecord(extra) ? extra : {};
  return parseCatalog({
    models: [...BUILT_IN_CATALOG.models, ...(Array.isArray(team.models) ? team.models : [])],
    tiers: [...(Array.isArray(team.tiers) ? team.tiers : []), ...BUILT_IN_CATALOG.tiers],
  });
}

export function findCatalogModel(catalog: CatalogData, name: string): CatalogModel | undefined {
  return catalog.models.find((m) => m.name === name);
}

/** A catalog name rather than a path or URI: what `--model NAME` and `hearth pull NAME` accept. */
export function looksLikeCatalogName(value: string): boolean {
  return NAME.test(value) && !value.endsWith(".gguf");
}

/** KV cache bytes (f16 keys and values) for `contextSize` tokens of one sequence. */
export function kvBytesPerToken(shape: ModelShape): number {
  return shape.layers * shape.kvHeads * shape.headDim * 2 * 2;
}

/**
 * Memory a model needs: its weights plus an f16 KV cache of `contextSize` tokens. llama.cpp's
 * compute buffers come on top; `fitsIn` keeps a margin for them.
 */
export function memoryNeeded(model: CatalogModel, contextSize: number): number {
  return model.sizeBytes + kvBytesPerToken(model.shape) * Math.min(contextSize, model.contextLength);
}

/** Share of a memory pool a model may take, leaving the rest for compute buffers, the OS and other programs. */
export const FIT_MARGIN = 0.8;

export function fitsIn(bytesNeeded: number, bytesAvailable: number): boolean {
  return bytesNeeded <= bytesAvailable * FIT_MARGIN;
}

export interface MachineMemory {
  platform: NodeJS.Platform;
  arch: string;
  ramTotalBytes: number;
  /** null when no GPU was found (or it could not be asked without loading a model). */
  vramTotalBytes: number | null;
}

const GiB = 1024 ** 3;

/** The tier llama.vscode's presets would pick for this machine. */
export function recommendTier(catalog: CatalogData, machine: MachineMemory): CatalogTier | undefined {
  const apple = machine.platform === "darwin" && machine.arch === "arm64";
  if (apple) {
    const tier = catalog.tiers.find((t) => t.when.device === "apple" && machine.ramTotalBytes >= (t.when.minMemoryGiB ?? 0) * GiB);
    if (tier) return tier;
  }
  // Apple silicon below the apple tier's floor: its unified memory is the GPU's memory.
  const vram = apple ? machine.ramTotalBytes : machine.vramTotalBytes;
  if (vram !== null && vram > 0) {
    const tier = catalog.tiers.find((t) => t.when.device === "gpu" && (t.when.maxMemoryGiB === undefined || vram <= t.when.maxMemoryGiB * GiB));
    if (tier) return tier;
  }
  return catalog.tiers.find((t) => t.when.device === "cpu");
}
