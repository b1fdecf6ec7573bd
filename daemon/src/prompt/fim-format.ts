/**
 * A model's FIM format: its family (fim-templates.ts), detected from the special tokens its
 * vocabulary has or named by --fim-template, bound to a tokenizer. The vocabulary is the local
 * model's or a remote server's (its /tokenize); token ids are whatever `T` that side uses.
 * Null when the model can't fill in the middle at all.
 */
import { startAsTrained, type BosRule } from "./bos.js";
import { detectFimFamily, FIM_FAMILIES, renderHead, usableFamily, type FimFamily, type FimFamilyName, type FimParts } from "./fim-templates.js";

export type FimTemplateChoice = FimFamilyName | "auto";

/** What a FIM format needs from a vocabulary. */
export interface FimVocabulary<T> {
  /** The token `text` is as one special token, or null when the vocabulary has no such token. */
  specialToken(text: string): T | null;
  /** Plain text's tokens (special-token texts in it stay text). */
  tokenize(text: string): T[] | Promise<T[]>;
  /** The GGUF's own FIM token ids (for the "gguf" family). */
  fimIds: { prefix: T | null; suffix: T | null; middle: T | null };
  /** general.architecture, which tells CodeGemma from Qwen. */
  architecture: string;
  /** Whether and how a prompt starts with BOS (prompt/bos.ts). */
  bosRule: BosRule<T>;
}

export interface FimFormat<T> {
  family: FimFamily;
  /** The tokens of everything before the middle's text, BOS first where the vocabulary asks for it. */
  head(parts: FimParts): Promise<T[]>;
}

/** Why a named template can't be used with this model. */
export class FimTemplateError extends Error {}

/** Every special-token text a family may render: what a remote vocabulary must look up before binding. */
export const FIM_SPECIAL_TEXTS: readonly string[] = [
  ...new Set(
    Object.values(FIM_FAMILIES)
      .flatMap((f) => [f.prefix, f.suffix, f.middle, f.fileSeparator, f.repoName])
      .concat(["<PRE>", "<|file_separator|>"])
      .filter((t): t is string => t !== null),
  ),
];

export function bindFimFormat<T>(vocab: FimVocabulary<T>, choice: FimTemplateChoice = "auto"): FimFormat<T> | null {
  const isSpecial = (text: string): boolean => vocab.specialToken(text) !== null;
  const name = choice === "auto" ? detectFimFamily(isSpecial, vocab.architecture) : choice;
  const family = usableFamily(FIM_FAMILIES[name], isSpecial);
  for (const text of [family.prefix, family.suffix, family.middle]) {
    if (text !== null && !isSpecial(text)) {
      if (choice === "auto") return null;
      throw new FimTemplateError(`The ${name} FIM template needs the token ${text}, which this model's vocabulary does not have.`);
    }
  }
  const { fimIds } = vocab;
  if (name === "gguf" && (fimIds.prefix === null || fimIds.suffix === null || fimIds.middle === null)) return null;
  return {
    family,
    async head(parts) {
      const pieces = await Promise.all(
        renderHead(family, parts).map(async (piece): Promise<T[]> => {
          if ("text" in piece) return vocab.tokenize(piece.text);
          const token = "special" in piece ? vocab.specialToken(piece.special) : fimIds[piece.fim];
          if (token === null) throw new FimTemplateError(`no token for ${JSON.stringify(piece)}`);
          return [token];
        }),
      );
      return startAsTrained(pieces.flat(), vocab.bosRule);
    },
  };
}
