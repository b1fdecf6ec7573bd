/**
 * A model as a family of precision variants: files beside the configured one that differ
 * only by the quantization tag in their name, the same hf: repository with another tag,
 * generated models at each precision, and variants derived locally from the family's
 * highest-precision file (cached under the models folder by the source's hash).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import type { PrecisionVariant } from "../../protocol.js";

/** Quantization tags as they appear in GGUF file names, most precise first. */
export const QUANT_TAGS = ["F32", "BF16", "F16", "Q8_0", "Q6_K", "Q5_K_M", "Q5_K_S", "Q5_1", "Q5_0", "Q4_K_M", "Q4_K_S", "Q4_1", "Q4_0", "IQ4_XS", "IQ4_NL", "Q3_K_L", "Q3_K_M", "Q3_K_S", "Q2_K"] as const;

/** What Hearth offers to derive, each only from a more precise file than itself. */
export const DERIVABLE = ["F16", "Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q4_0"] as const;

/**
 * Files precise enough to derive from: F32/BF16/F16, and Q8_0 (the most common download),
 * whose requantized Q4_0 costs a little more quality than one made from F16 but is the
 * only smaller variant such a user can have without another download.
 */
const DERIVATION_SOURCES = ["F32", "BF16", "F16", "Q8_0"];

const GENERATED_PRECISIONS = ["F16", "Q8_0", "Q4_0"] as const;
const HF_TAGS = ["F16", "Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q4_0"] as const;

const TAG_PATTERN = new RegExp(`(^|[-_.])(${QUANT_TAGS.join("|")})(?=[-_.]|$)`, "i");

export type BaseVariant = Omit<PrecisionVariant, "estimatedMemoryBytes" | "tokensPerSecond" | "accuracy" | "current">;

export function quantTagOf(name: string): string | null {
  const match = TAG_PATTERN.exec(name);
  return match?.[2]?.toUpperCase() ?? null;
}

function precisionRank(tag: string): number {
  const index = (QUANT_TAGS as readonly string[]).indexOf(tag);
  return index === -1 ? QUANT_TAGS.length : index;
}

function fileVariant(id: string, file: string, origin: "file" | "derived"): BaseVariant {
  const available = existsSync(file);
  return { id, origin, source: file, available, fileBytes: available ? statSync(file).size : null };
}

export interface VariantContext {
  /** The source as configured (path, hf: URI or generated:NAME[@TYPE]). */
  source: string;
  /** The local file the configured source resolved to. */
  resolvedPath: string;
  /** The loaded file's precision from its GGUF metadata (used when its name has no tag). */
  loadedPrecision: string;
  /** Where derived files go; named by the source file's hash. */
  derivedDir: string;
  /** SHA-256 of the highest-precision file, when one can be derived from. */
  derivationSourceSha256: string | null;
  /** That file's precision: only less precise variants are derived from it. */
  derivationSourceTag?: string | null;
}

/** The family's highest-precision local file, if it is precise enough to derive from. */
export function derivationSource(resolvedPath: string, loadedPrecision: string): string | null {
  const dir = path.dirname(resolvedPath);
  const base = path.basename(resolvedPath);
  const tag = quantTagOf(base) ?? loadedPrecision;
  let best: { file: string; tag: string } = { file: resolvedPath, tag };
  if (quantTagOf(base) !== null) {
    for (const sibling of readdirSync(dir)) {
      const siblingTag = quantTagOf(sibling);
      if (siblingTag === null || !sibling.endsWith(".gguf")) continue;
      if (sibling.replace(TAG_PATTERN, "$1") !== base.replace(TAG_PATTERN, "$1")) continue;
      if (precisionRank(siblingTag) < precisionRank(best.tag)) best = { file: path.join(dir, sibling), tag: siblingTag };
    }
  }
  return DERIVATION_SOURCES.includes(best.tag) ? best.file : null;
}

/** The precision of the file derivationSource() picked, from its name or the loaded metadata. */
export function derivationSourceTag(file: string, loadedPrecision: string): string {
  return quantTagOf(path.basename(file)) ?? loadedPrecision;
}

export function derivedPath(derivedDir: string, sourceSha256: string, type: string): string {
  return path.join(derivedDir, `${sourceSha256.slice(0, 16)}-${type}.gguf`);
}

export function listVariants(context: VariantContext): BaseVariant[] {
  const { source } = context;
  if (source.startsWith("generated:")) {
    const name = source.slice("generated:".length).split("@")[0] ?? "";
    return GENERATED_PRECISIONS.map((p) => ({ id: p, origin: "generated" as const, source: `generated:${name}@${p}`, available: true, fileBytes: null }));
  }
  if (source.startsWith("hf:")) {
    const repo = source.replace(/:[^:/]+$/, (tag) => (quantTagOf(tag.slice(1)) ? "" : tag));
    const current = quantTagOf(source.split(":").pop() ?? "") ?? context.loadedPrecision;
    return HF_TAGS.map((tag) =>
      tag === current
        ? { id: tag, origin: "hf" as const, source, available: true, fileBytes: statSync(context.resolvedPath).size }
        : { id: tag, origin: "hf" as const, source: `${repo}:${tag}`, available: false, fileBytes: null },
    );
  }
  const variants = new Map<string, BaseVariant>();
  const dir = path.dirname(context.resolvedPath);
  const base = path.basename(context.resolvedPath);
  const ownTag = quantTagOf(base);
  variants.set(ownTag ?? context.loadedPrecision, fileVariant(ownTag ?? context.loadedPrecision, context.resolvedPath, "file"));
  if (ownTag !== null) {
    for (const sibling of readdirSync(dir)) {
      const tag = quantTagOf(sibling);
      if (tag === null || !sibling.endsWith(".gguf") || variants.has(tag)) continue;
      if (sibling.replace(TAG_PATTERN, "$1") === base.replace(TAG_PATTERN, "$1")) variants.set(tag, fileVariant(tag, path.join(dir, sibling), "file"));
    }
  }
  if (context.derivationSourceSha256 !== null) {
    const sourceRank = precisionRank(context.derivationSourceTag ?? "F16");
    for (const type of DERIVABLE) {
      if (precisionRank(type) > sourceRank && !variants.has(type)) variants.set(type, fileVariant(type, derivedPath(context.derivedDir, context.derivationSourceSha256, type), "derived"));
    }
  }
  return [...variants.values()].sort((a, b) => precisionRank(a.id) - precisionRank(b.id));
}
