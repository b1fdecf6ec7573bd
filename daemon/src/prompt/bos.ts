/**
 * BOS first exactly when the vocabulary asks for it, once; never where it doesn't. Models
 * whose GGUF sets `tokenizer.ggml.add_bos_token` (DeepSeek-Coder, CodeLlama, every llama-SPM
 * model) were trained with it in front of every sequence, FIM prompts included (llama.cpp's
 * /infill and node-llama-cpp's infill add it). A chat template may render it already, or
 * render it for a vocabulary that was not trained with it (node-llama-cpp's generic wrappers
 * start with BOS whatever the model): it is then added never twice, and taken away where the
 * vocabulary doesn't ask for it.
 */
export interface BosRule<T> {
  /** The vocabulary's BOS token; null where it has none (or the engine tokenizes text and adds its own). */
  bos: T | null;
  /** Whether the vocabulary asks for BOS first (tokenizer.ggml.add_bos_token). */
  addBos: boolean;
}

export function startAsTrained<T>(tokens: readonly T[], rule: BosRule<T>): T[] {
  const { bos } = rule;
  if (bos === null) return [...tokens];
  let first = 0;
  while (tokens[first] === bos) first++;
  const rest = tokens.slice(first);
  return rule.addBos ? [bos, ...rest] : rest;
}
