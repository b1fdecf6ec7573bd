/**
 * A draft model must share the target's vocabulary token for token: its drafts are token ids
 * the target checks as its own, so one id meaning another text would make every draft
 * wrong (or, worse, a few of them right by accident). The check compares the token lists in
 * the GGUF files, which both models carry in full.
 */
import type { LlamaModel } from "node-llama-cpp";
import { HearthError } from "../../errors.js";
import { ErrorCodes } from "../../protocol.js";

export interface Vocabulary {
  /** Token texts by id, as the GGUF file lists them. */
  tokens: readonly string[];
}

export function vocabularyOf(model: LlamaModel): Vocabulary {
  return { tokens: model.fileInfo.metadata.tokenizer?.ggml?.tokens ?? [] };
}

/** Describes the first difference, or null when the vocabularies are the same. */
export function vocabularyDifference(target: Vocabulary, draft: Vocabulary): string | null {
  if (target.tokens.length === 0 || draft.tokens.length === 0) return "a model file lists no tokens";
  if (target.tokens.length !== draft.tokens.length) return `the target has ${target.tokens.length} tokens, the draft ${draft.tokens.length}`;
  for (let id = 0; id < target.tokens.length; id++) {
    if (target.tokens[id] !== draft.tokens[id]) {
      return `token ${id} is ${JSON.stringify(target.tokens[id])} in the target but ${JSON.stringify(draft.tokens[id])} in the draft`;
    }
  }
  return null;
}

export function draftVocabularyMismatch(draftSource: string, difference: string): HearthError {
  return new HearthError(
    ErrorCodes.ModelLoadFailed,
    "HEARTH_ERR_DRAFT_VOCABULARY",
    `The draft model ${draftSource} cannot speculate for this model: its vocabulary differs (${difference}).`,
    "Use a draft from the same model family (e.g. Qwen2.5-Coder-0.5B for Qwen2.5-Coder-1.5B), or --spec lookup, which needs no draft model.",
  );
}

/** Throws a typed error unless the draft's vocabulary is the target's. */
export function assertSameVocabulary(target: Vocabulary, draft: Vocabulary, draftSource: string): void {
  const difference = vocabularyDifference(target, draft);
  if (difference !== null) throw draftVocabularyMismatch(draftSource, difference);
}
