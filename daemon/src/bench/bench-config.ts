/**
 * What one column of a bench is: a Hearth configuration (model, precision, KV cache type,
 * speculation, threads) or a llama.cpp server. Turning a Hearth configuration into
 * `hearth serve` arguments is where the bench checks that the daemon can do what was
 * asked, so an option the daemon lacks stops the bench with a clear message instead of
 * being silently ignored:
 * - `generated:` models (and --shape) are made here, at the asked precision, into the
 *   user's model cache, so every run of a variant loads the same file;
 * - --spec and --draft go to `hearth serve` when its --help lists them;
 * - --precision for a model file, and --kv, are asked of the running daemon with
 *   hearth/precision/set; its refusal (or its lack of the method) ends the bench.
 */
import { statSync } from "node:fs";
import path from "node:path";
import type { HearthClient } from "../client/hearth-client.js";
import { hearthHome } from "../discovery.js";
import { ensureSyntheticModel, syntheticPresets, type SyntheticPrecision } from "../gguf/model-cache.js";
import { ErrorCodes, type KvCacheType, type StatusResult } from "../protocol.js";
import { helpHasOption } from "./bench-daemon.js";
import { SPECULATION_MODES, type SpeculationMode } from "../options.js";

export const SPEC_MODES = SPECULATION_MODES;
export type SpecMode = SpeculationMode;
const GENERATED_PRECISIONS: readonly SyntheticPrecision[] = ["F32", "F16", "Q8_0", "Q4_0"];

export interface HearthConfigSpec {
  kind: "hearth";
  label: string;
  /** As given: a .gguf path, an hf: URI or generated:NAME[@PRECISION]. */
  model: string;
  precision?: string;
  kv?: string;
  spec?: SpecMode;
  draft?: string;
  threads?: number;
  ctx?: number;
  /** `hearth serve --backend`: llama-server=URL or openai=URL drives a server instead of a local model. */
  backend?: string;
}

export interface LlamaServerConfigSpec {
  kind: "llama-server";
  label: string;
  url: string;
}

export type ConfigSpec = HearthConfigSpec | LlamaServerConfigSpec;

/** A configuration the daemon cannot run as asked; the message says why and what to do. */
export class UnsupportedConfigError extends Error {
  readonly code = "HEARTH_ERR_BENCH_UNSUPPORTED";
}

export interface ResolvedHearthConfig {
  spec: HearthConfigSpec;
  serveArgs: string[];
  /** The model file when the bench knows it (generated or a local path). */
  modelFile: string | null;
  /** Asked of the running daemon after load: hearth/precision/set. */
  switchTo: { variant: string | null; kvCacheType: string | null } | null;
}

export function generatedModelsDir(): string {
  return path.join(hearthHome(), "models", "generated");
}

/** `generated:NAME[@P]` split; null for other sources. */
export function parseGenerated(model: string): { name: keyof typeof syntheticPresets; precision: SyntheticPrecision | null } | null {
  if (!model.startsWith("generated:")) return null;
  const [name = "", precision] = model.slice("generated:".length).split("@");
  if (!(name in syntheticPresets)) throw new UnsupportedConfigError(`unknown generated model "${name}"; use one of ${Object.keys(syntheticPresets).join(", ")}`);
  if (precision !== undefined && !(GENERATED_PRECISIONS as readonly string[]).includes(precision)) {
    throw new UnsupportedConfigError(`generated models come at ${GENERATED_PRECISIONS.join(", ")}; got "${precision}"`);
  }
  return { name: name as keyof typeof syntheticPresets, precision: (precision as SyntheticPrecision | undefined) ?? null };
}

async function generatedFile(name: keyof typeof syntheticPresets, precision: SyntheticPrecision, log: (line: string) => void): Promise<string> {
  log(`making (or finding) generated model ${name}@${precision} in ${generatedModelsDir()}`);
  return ensureSyntheticModel(syntheticPresets[name], { cacheDir: generatedModelsDir(), precision });
}

/** Turns a Hearth configuration into serve arguments, making generated models as needed. */
export async function resolveHearthConfig(spec: HearthConfigSpec, serveHelp: string, log: (line: string) => void): Promise<ResolvedHearthConfig> {
  const serveArgs: string[] = [];
  if (spec.backend !== undefined && spec.backend !== "local") {
    // The server has its model loaded: nothing to make or find here, nothing to switch.
    if (!helpHasOption(serveHelp, "backend")) throw new UnsupportedConfigError("--backend: this daemon drives no remote engine (`hearth serve --help` lists no --backend)");
    if (spec.precision !== undefined || spec.kv !== undefined || spec.draft !== undefined) throw new UnsupportedConfigError("--precision, --kv and --draft belong to the server with --backend; drop them");
    serveArgs.push("--backend", spec.backend);
    if (spec.ctx !== undefined) serveArgs.push("--ctx", String(spec.ctx));
    return { spec, serveArgs, modelFile: null, switchTo: null };
  }
  let modelFile: string | null = null;
  let switchVariant: string | null = null;
  const generated = parseGenerated(spec.model);
  if (generated !== null) {
    if (generated.precision !== null && spec.precision !== undefined && generated.precision !== spec.precision) {
      throw new UnsupportedConfigError(`--model ${spec.model} and --precision ${spec.precision} disagree; give one of them`);
    }
    const precision = (spec.precision ?? generated.precision ?? "Q8_0") as SyntheticPrecision;
    if (!GENERATED_PRECISIONS.includes(precision)) throw new UnsupportedConfigError(`generated models come at ${GENERATED_PRECISIONS.join(", ")}; got --precision ${precision}`);
    modelFile = await generatedFile(generated.name, precision, log);
  } else {
    const remote = /^(hf:|https?:)/.test(spec.model);
    if (!remote) {
      modelFile = path.resolve(spec.model);
      try {
        statSync(modelFile);
      } catch {
        throw new UnsupportedConfigError(`model file ${modelFile} does not exist`);
      }
    }
    if (spec.precision !== undefined) switchVariant = spec.precision;
  }
  serveArgs.push("--model", modelFile ?? spec.model);
  if (spec.threads !== undefined) serveArgs.push("--threads", String(spec.threads));
  if (spec.ctx !== undefined) serveArgs.push("--ctx", String(spec.ctx));

  if (spec.spec !== undefined) {
    if (!helpHasOption(serveHelp, "spec")) {
      if (spec.spec !== "off") throw new UnsupportedConfigError(`--spec ${spec.spec}: this daemon has no speculative decoding (\`hearth serve --help\` lists no --spec); drop --spec`);
    } else serveArgs.push("--spec", spec.spec);
  }
  if (spec.spec === "draft") {
    if (!helpHasOption(serveHelp, "draft")) throw new UnsupportedConfigError("--spec draft: this daemon takes no draft model (`hearth serve --help` lists no --draft)");
    let draft = spec.draft;
    if (draft === undefined && generated !== null && generated.name === "tiny-target") {
      // The generated target's draft shares its vocabulary; same precision.
      draft = await generatedFile("tiny-draft", (spec.precision ?? generated.precision ?? "Q8_0") as SyntheticPrecision, log);
    }
    if (draft === undefined) throw new UnsupportedConfigError("--spec draft needs --draft MODEL (a smaller model with the same vocabulary)");
    const draftGenerated = parseGenerated(draft);
    if (draftGenerated !== null) draft = await generatedFile(draftGenerated.name, draftGenerated.precision ?? "Q8_0", log);
    serveArgs.push("--draft", draft);
  } else if (spec.draft !== undefined) {
    throw new UnsupportedConfigError("--draft is only used with --spec draft");
  }
  const switchTo = switchVariant !== null || spec.kv !== undefined ? { variant: switchVariant, kvCacheType: spec.kv ?? null } : null;
  return { spec, serveArgs, modelFile, switchTo };
}

export function fileBytes(file: string | null): number | null {
  if (file === null) return null;
  try {
    return statSync(file).size;
  } catch {
    return null;
  }
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const data = (error as { data?: { hint?: unknown } }).data;
    return typeof data?.hint === "string" ? `${error.message} (${data.hint})` : error.message;
  }
  return String(error);
}

/** Asks the running daemon for a precision variant / KV type; its refusal stops the bench. */
export async function switchPrecision(control: HearthClient, status: StatusResult, resolved: ResolvedHearthConfig): Promise<number | null> {
  const target = resolved.switchTo;
  if (target === null) return null;
  const started = performance.now();
  try {
    const params = { variant: target.variant ?? status.model.variant, ...(target.kvCacheType !== null ? { kvCacheType: target.kvCacheType as KvCacheType } : {}) };
    await control.precisionSet(params);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const asked = [target.variant !== null ? `--precision ${target.variant}` : "", target.kvCacheType !== null ? `--kv ${target.kvCacheType}` : ""].filter(Boolean).join(" ");
    if (code === ErrorCodes.MethodNotFound) throw new UnsupportedConfigError(`${asked}: this daemon cannot switch precision or KV cache type (it has no hearth/precision/set)`);
    throw new UnsupportedConfigError(`${asked}: the daemon refused: ${errorMessage(error)}`);
  }
  return performance.now() - started;
}

