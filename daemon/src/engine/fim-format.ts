/**
 * The loaded model's FIM format: its family (fim-templates.ts), detected from the special
 * tokens its vocabulary has or named by --fim-template, bound to its tokenizer. Null when the
 * model can't fill in the middle at all.
 */
import type { LlamaModel, Token } from "node-llama-cpp";
import { detectFimFamily, FIM_FAMILIES, renderHead, usableFamily, type FimFamily, type FimFamilyName, type FimParts } from "./fim-templates.js";

export type FimTemplateChoice = FimFamilyName | "auto";

export interface FimFormat {
  family: FimFamily;
  /** The tokens of everything before the middle's text. */
  head(parts: FimParts): Token[];
}

/** Why a named template can't be used with this model; null when it can. */
export class FimTemplateError extends Error {}

export function fimFormatFor(model: LlamaModel, choice: FimTemplateChoice = "auto"): FimFormat | null {
  const special = new Map<string, Token | null>();
  const specialToken = (text: string): Token | null => {
    if (!special.has(text)) {
      const tokens = model.tokenize(text, true);
      special.set(text, tokens.length === 1 && tokens[0] !== undefined && model.isSpecialToken(tokens[0]) ? tokens[0] : null);
    }
    return special.get(text) ?? null;
  };
  const isSpecial = (text: string): boolean => specialToken(text) !== null;
  const architecture = String(model.fileInfo.metadata.general.architecture ?? "");
  const name = choice === "auto" ? detectFimFamily(isSpecial, architecture) : choice;
  const family = usableFamily(FIM_FAMILIES[name], isSpecial);
  const infill = model.tokens.infill;
  const fimIds = { prefix: infill.prefix, suffix: infill.suffix, middle: infill.middle };
  for (const text of [family.prefix, family.suffix, family.middle]) {
    if (text !== null && !isSpecial(text)) {
      if (choice === "auto") return null;
      throw new FimTemplateError(`The ${name} FIM template needs the token ${text}, which this model's vocabulary does not have.`);
    }
  }
  if (name === "gguf" && (fimIds.prefix === null || fimIds.suffix === null || fimIds.middle === null)) return null;
  return {
    family,
    head(parts) {
      return renderHead(family, parts).flatMap((piece): Token[] => {
        if ("text" in piece) return model.tokenize(piece.text, false);
        const token = "special" in piece ? specialToken(piece.special) : fimIds[piece.fim];
        if (token === null) throw new FimTemplateError(`no token for ${JSON.stringify(piece)}`);
        return [token];
      });
    },
  };
}
