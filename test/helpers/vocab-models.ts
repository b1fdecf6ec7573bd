/**
 * Real tokenizers for token-exact tests: the vocabulary-only GGUFs in the llama.cpp source
 * that node-llama-cpp ships as a git bundle. Extracted into .cache/llama.cpp on first use,
 * never committed, never downloaded.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { bool, f32, numberArray, str, stringArray, u32, writeGgufFile, type GgufValue } from "../../daemon/src/gguf/gguf-writer.js";
import { repoRoot } from "./daemon-process.js";

const bundle = path.join(repoRoot, "node_modules", "node-llama-cpp", "llama", "gitRelease.bundle");
const checkout = path.join(repoRoot, ".cache", "llama.cpp");

/** The path of models/ggml-vocab-NAME.gguf, checked out of the bundle when missing. */
export function vocabModel(name: string): string {
  const relative = path.join("models", `ggml-vocab-${name}.gguf`);
  const file = path.join(checkout, relative);
  if (existsSync(file)) return file;
  if (!existsSync(path.join(checkout, ".git"))) execFileSync("git", ["clone", "--quiet", "--no-checkout", bundle, checkout], { stdio: "ignore" });
  execFileSync("git", ["-C", checkout, "checkout", "--quiet", "HEAD", "--", relative], { stdio: "ignore" });
  return file;
}

/**
 * Qwen2.5-Coder's tokenizer: the Qwen2 BPE vocabulary the bundle ships (ggml-vocab-qwen2,
 * which predates Qwen2.5's added tokens and holds [PAD…] placeholders at their ids) with
 * Qwen2.5's added special tokens at their ids, FIM and repository ones included, and the FIM
 * ids in the metadata as llama.cpp's converter writes them. Written once into .cache/vocab.
 */
export async function qwenCoderVocab(): Promise<string> {
  const out = path.join(repoRoot, ".cache", "vocab", "qwen2.5-coder-vocab.gguf");
  if (existsSync(out)) return out;
  const info = await readGgufFileInfo(vocabModel("qwen2"), { readTensorInfo: false });
  const meta = info.metadata as unknown as { general: { name?: string }; qwen2: Record<string, unknown>; tokenizer: { ggml: { tokens: string[]; token_type: number[]; merges: string[]; pre: string; model: string } } };
  const ggml = meta.tokenizer.ggml;
  const tokens = [...ggml.tokens];
  const types = [...ggml.token_type];
  QWEN25_ADDED.forEach((text, i) => {
    tokens[151646 + i] = text;
    types[151646 + i] = TOKEN_TYPE_CONTROL;
  });
  const q = meta.qwen2 as { block_count: number; context_length: number; embedding_length: number; feed_forward_length: number; attention: { head_count: number; head_count_kv: number; layer_norm_rms_epsilon: number }; rope: { freq_base: number } };
  const id = (text: string): GgufValue => u32(tokens.indexOf(text));
  mkdirSync(path.dirname(out), { recursive: true });
  await writeGgufFile(out, {
    metadata: [
      ["general.architecture", str("qwen2")],
      ["general.name", str("qwen2.5-coder-vocab")],
      ["qwen2.block_count", u32(q.block_count)],
      ["qwen2.context_length", u32(q.context_length)],
      ["qwen2.embedding_length", u32(q.embedding_length)],
      ["qwen2.feed_forward_length", u32(q.feed_forward_length)],
      ["qwen2.attention.head_count", u32(q.attention.head_count)],
      ["qwen2.attention.head_count_kv", u32(q.attention.head_count_kv)],
      ["qwen2.attention.layer_norm_rms_epsilon", f32(q.attention.layer_norm_rms_epsilon)],
      ["qwen2.rope.freq_base", f32(q.rope.freq_base)],
      ["tokenizer.ggml.model", str(ggml.model)],
      ["tokenizer.ggml.pre", str(ggml.pre)],
      ["tokenizer.ggml.tokens", stringArray(tokens)],
      ["tokenizer.ggml.token_type", numberArray("int32", types)],
      ["tokenizer.ggml.merges", stringArray(ggml.merges)],
      ["tokenizer.ggml.eos_token_id", id("<|endoftext|>")],
      ["tokenizer.ggml.padding_token_id", id("<|endoftext|>")],
      ["tokenizer.ggml.bos_token_id", id("<|endoftext|>")],
      ["tokenizer.ggml.add_bos_token", bool(false)],
      ["tokenizer.ggml.fim_pre_token_id", id("<|fim_prefix|>")],
      ["tokenizer.ggml.fim_suf_token_id", id("<|fim_suffix|>")],
      ["tokenizer.ggml.fim_mid_token_id", id("<|fim_middle|>")],
      ["tokenizer.ggml.fim_pad_token_id", id("<|fim_pad|>")],
      ["tokenizer.ggml.fim_rep_token_id", id("<|repo_name|>")],
      ["tokenizer.ggml.fim_sep_token_id", id("<|file_sep|>")],
    ],
    tensors: [],
  });
  return out;
}

/** llama.cpp's LLAMA_TOKEN_TYPE_CONTROL. */
const TOKEN_TYPE_CONTROL = 3;

/** Qwen2.5's added tokens from id 151646 on (its tokenizer_config.json). */
const QWEN25_ADDED = [
  "<|object_ref_start|>", "<|object_ref_end|>", "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>",
  "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>", "<tool_call>", "</tool_call>",
  "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>",
];

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
