/**
 * Finds a draft model for a target by name: a file beside it from the same family whose
 * name differs only by a smaller parameter count (and perhaps the quantization), as model
 * publishers name sizes: `Qwen2.5-Coder-7B-Q4_K_M.gguf` pairs with
 * `Qwen2.5-Coder-0.5B-Q8_0.gguf`. The smallest such file wins: a draft is there to be fast.
 * Its vocabulary is still checked against the target's before use.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { QUANT_TAGS } from "../precision/variants.js";

const SIZE_TAG = /(^|[-_.])(\d+(?:\.\d+)?)([BbMm])(?=[-_.]|$)/;
const QUANT = new RegExp(`(^|[-_.])(${QUANT_TAGS.join("|")})(?=[-_.]|$)`, "i");

/** The name with its size and quantization tags blanked, and the size in millions of parameters. */
function familyOf(fileName: string): { family: string; millions: number } | null {
  const size = SIZE_TAG.exec(fileName);
  if (!size?.[2] || !size[3]) return null;
  const millions = Number(size[2]) * (size[3].toLowerCase() === "b" ? 1000 : 1);
  const family = fileName.replace(SIZE_TAG, "$1#").replace(QUANT, "$1~").toLowerCase();
  return { family, millions };
}

export function pairedDraftFor(targetPath: string, siblings: readonly string[] = readdirSync(path.dirname(targetPath))): string | null {
  const target = familyOf(path.basename(targetPath));
  if (!target) return null;
  let best: { file: string; millions: number } | null = null;
  for (const name of siblings) {
    if (!name.endsWith(".gguf")) continue;
    const candidate = familyOf(name);
    if (!candidate || candidate.family !== target.family || candidate.millions >= target.millions) continue;
    if (!best || candidate.millions < best.millions) best = { file: path.join(path.dirname(targetPath), name), millions: candidate.millions };
  }
  return best?.file ?? null;
}
