/**
 * A rendered next-edit prompt as an engine's tokens: text pieces tokenized as plain text (a
 * special token's text typed in a document stays text), special tokens looked up by their
 * text, BOS first exactly where the vocabulary asks for it (prompt/bos.ts). Each text piece
 * ends at a special token, where llama.cpp splits a text prompt too, so the tokens are the
 * ones llama.cpp gives the whole rendered prompt.
 */
import { startAsTrained, type BosRule } from "../prompt/bos.js";
import type { PromptPiece } from "../prompt/fim-templates.js";

export interface PieceVocabulary<T> {
  /** The token `text` is as one special token, or null. */
  specialToken(text: string): T | null;
  tokenize(text: string): T[] | Promise<T[]>;
  bosRule: BosRule<T>;
}

export async function piecesToTokens<T>(pieces: readonly PromptPiece[], vocabulary: PieceVocabulary<T>): Promise<T[]> {
  const parts = await Promise.all(
    pieces.map(async (piece): Promise<T[]> => {
      if ("text" in piece) return piece.text === "" ? [] : vocabulary.tokenize(piece.text);
      if ("special" in piece) {
        const token = vocabulary.specialToken(piece.special);
        if (token === null) throw new Error(`the vocabulary has no special token ${piece.special}`);
        return [token];
      }
      throw new Error("next-edit prompts name their special tokens by text");
    }),
  );
  return startAsTrained(parts.flat(), vocabulary.bosRule);
}
