/**
 * Real tokenizers for token-exact tests: the vocabulary-only GGUFs in the llama.cpp source
 * that node-llama-cpp ships as a git bundle. Extracted into .cache/llama.cpp on first use,
 * never committed, never downloaded.
 */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { bpeTokenizerMetadata } from "../../daemon/src/gguf/bpe-vocab.js";
import { bool, f32, numberArray, str, stringArray, u32, writeGgufFile } from "../../daemon/src/gguf/gguf-writer.js";
import { bundledVocabFile, qwenCoderVocab as realQwenCoderVocab } from "../../daemon/src/gguf/real-vocab.js";
import { repoRoot } from "./daemon-process.js";

const bundle = path.join(repoRoot, "node_modules", "node-llama-cpp", "llama", "gitRelease.bundle");
const checkout = path.join(repoRoot, ".cache", "llama.cpp");

/** The path of models/ggml-vocab-NAME.gguf, checked out of the bundle when missing. */
export function vocabModel(name: string): string {
  return bundledVocabFile(name, bundle, checkout);
}

/**
 * Qwen2.5-Coder's tokenizer as a vocabulary-only GGUF: what the generated Qwen2.5-Coder
 * shapes carry (daemon/src/gguf/real-vocab.ts: the bundle's Qwen2 BPE vocabulary with
 * Qwen2.5's added special tokens at their ids), with llama.cpp's tokenizer metadata.
 * Written once into .cache/vocab.
 */
export async function qwenCoderVocab(): Promise<string> {
  const out = path.join(repoRoot, ".cache", "vocab", "qwen2.5-coder-vocab.gguf");
  if (existsSync(out)) return out;
  const vocab = await realQwenCoderVocab(vocabModel("qwen2"));
  mkdirSync(path.dirname(out), { recursive: true });
  await writeGgufFile(out, {
    metadata: [
      ["general.architecture", str("qwen2")],
      ["general.name", str("qwen2.5-coder-vocab")],
      ["qwen2.block_count", u32(1)],
      ["qwen2.context_length", u32(32768)],
      ["qwen2.embedding_length", u32(896)],
      ["qwen2.feed_forward_length", u32(4864)],
      ["qwen2.attention.head_count", u32(14)],
      ["qwen2.attention.head_count_kv", u32(2)],
      ["qwen2.attention.layer_norm_rms_epsilon", f32(1e-6)],
      ["qwen2.rope.freq_base", f32(1000000)],
      ...bpeTokenizerMetadata(vocab),
    ],
    tensors: [],
  });
  return out;
}

/** llama.cpp's LLAMA_TOKEN_TYPE_CONTROL. */
const TOKEN_TYPE_CONTROL = 3;

/**
 * CodeLlama's tokenizer: the Llama SentencePiece vocabulary the bundle ships (32,000 pieces)
 * grown to CodeLlama's 32,016, with its infill tokens at their ids (▁<PRE> 32007, ▁<SUF>
 * 32008, ▁<MID> 32009, ▁<EOT> 32010) and the rest as unused placeholders.
 */
export async function codeLlamaVocab(): Promise<string> {
  const out = path.join(repoRoot, ".cache", "vocab", "codellama-vocab.gguf");
  if (existsSync(out)) return out;
  const info = await readGgufFileInfo(vocabModel("llama-spm"), { readTensorInfo: false });
  const meta = info.metadata as unknown as { llama: { block_count: number; context_length: number; embedding_length: number; feed_forward_length: number; attention: { head_count: number; head_count_kv: number; layer_norm_rms_epsilon: number }; rope: { dimension_count: number } }; tokenizer: { ggml: { tokens: string[]; scores: number[]; token_type: number[]; pre: string; model: string; bos_token_id: number; eos_token_id: number; unknown_token_id: number } } };
  const ggml = meta.tokenizer.ggml;
  const infill: Record<number, string> = { 32007: "▁<PRE>", 32008: "▁<SUF>", 32009: "▁<MID>", 32010: "▁<EOT>" };
  const tokens = [...ggml.tokens];
  const scores = [...ggml.scores];
  const types = [...ggml.token_type];
  for (let id = 32000; id < 32016; id++) {
    tokens.push(infill[id] ?? `<unused${id - 32000}>`);
    scores.push(0);
    types.push(TOKEN_TYPE_CONTROL);
  }
  const l = meta.llama;
  mkdirSync(path.dirname(out), { recursive: true });
  await writeGgufFile(out, {
    metadata: [
      ["general.architecture", str("llama")],
      ["general.name", str("codellama-vocab")],
      ["llama.block_count", u32(l.block_count)],
      ["llama.context_length", u32(l.context_length)],
      ["llama.embedding_length", u32(l.embedding_length)],
      ["llama.feed_forward_length", u32(l.feed_forward_length)],
      ["llama.attention.head_count", u32(l.attention.head_count)],
      ["llama.attention.head_count_kv", u32(l.attention.head_count_kv)],
      ["llama.attention.layer_norm_rms_epsilon", f32(l.attention.layer_norm_rms_epsilon)],
      ["llama.rope.dimension_count", u32(l.rope.dimension_count)],
      ["llama.vocab_size", u32(tokens.length)],
      ["tokenizer.ggml.model", str(ggml.model)],
      ["tokenizer.ggml.pre", str(ggml.pre)],
      ["tokenizer.ggml.tokens", stringArray(tokens)],
      ["tokenizer.ggml.scores", numberArray("float32", scores)],
      ["tokenizer.ggml.token_type", numberArray("int32", types)],
      ["tokenizer.ggml.bos_token_id", u32(ggml.bos_token_id)],
      ["tokenizer.ggml.eos_token_id", u32(ggml.eos_token_id)],
      ["tokenizer.ggml.unknown_token_id", u32(ggml.unknown_token_id)],
      ["tokenizer.ggml.add_bos_token", bool(true)],
      ["tokenizer.ggml.add_eos_token", bool(false)],
      ["tokenizer.ggml.fim_pre_token_id", u32(32007)],
      ["tokenizer.ggml.fim_suf_token_id", u32(32008)],
      ["tokenizer.ggml.fim_mid_token_id", u32(32009)],
      ["tokenizer.ggml.eot_token_id", u32(32010)],
    ],
    tensors: [],
  });
  return out;
}
