/**
 * BOS first exactly when the vocabulary asks for it, once. Models whose GGUF sets
 * `tokenizer.ggml.add_bos_token` (DeepSeek-Coder, CodeLlama, every llama-SPM model) were
 * trained with it in front of every sequence, FIM prompts included (llama.cpp's /infill and
 * node-llama-cpp's infill add it); a chat template may already render it, so it is never added twice.
 */
export function withBos<T>(tokens: readonly T[], bos: T | null): T[] {
  if (bos === null || tokens[0] === bos) return [...tokens];
  return [bos, ...tokens];
}
