// Real tokenizers for generated models: the vocabulary-only GGUFs inside the
// llama.cpp source that node-llama-cpp ships (a git bundle), extracted into a
// cache folder at build or test time, never committed, never downloaded.
//
// "qwen2.5-coder" is Qwen2.5-Coder's tokenizer: the bundle's Qwen2 BPE
// vocabulary (151,643 byte-level tokens and its merges; it predates Qwen2.5
// and holds [PAD…] placeholders where Qwen2.5 added its special tokens) with
// Qwen2.5's added tokens written in at their ids, FIM and repository ones
// included. A generated model on it makes the token counts a user of
// Qwen2.5-Coder sees.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { encodeWith, TOKEN_TYPE, type BpeVocab, type SpecialTokenName } from "./bpe-vocab.js";
import { CODE_CORPUS } from "./code-corpus.js";
import { readGgufMetadata } from "./gguf-reader.js";

export type RealVocabularyName = "qwen2.5-coder";

/** Qwen2.5's added tokens from id 151643 on (its tokenizer_config.json). */
const QWEN25_ADDED: readonly string[] = [
  "<|endoftext|>", "<|im_start|>", "<|im_end|>",
  "<|object_ref_start|>", "<|object_ref_end|>", "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>",
  "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>", "<tool_call>", "</tool_call>",
  "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>",
];
const QWEN25_FIRST_ADDED = 151643;

/** The bundle's models/ggml-vocab-NAME.gguf, checked out into `llamaCppDir` (a clone of the bundle) when missing. */
export function bundledVocabFile(name: string, bundle: string, llamaCppDir: string): string {
  const relative = path.join("models", `ggml-vocab-${name}.gguf`);
  const file = path.join(llamaCppDir, relative);
  if (existsSync(file)) return file;
  if (!existsSync(bundle)) throw new Error(`no ${bundle}: node-llama-cpp's llama.cpp source is needed for real tokenizers (npm install)`);
  if (!existsSync(path.join(llamaCppDir, ".git"))) {
    mkdirSync(path.dirname(llamaCppDir), { recursive: true });
    execFileSync("git", ["clone", "--quiet", "--no-checkout", bundle, llamaCppDir], { stdio: "ignore" });
  }
  execFileSync("git", ["-C", llamaCppDir, "checkout", "--quiet", "HEAD", "--", relative], { stdio: "ignore" });
  return file;
}

const cache = new Map<string, Promise<BpeVocab>>();

/** Qwen2.5-Coder's vocabulary as the generator's BpeVocab: its tokens, merges and special ids, and the code corpus in its tokens. */
export function qwenCoderVocab(qwen2VocabFile: string): Promise<BpeVocab> {
  let pending = cache.get(qwen2VocabFile);
  if (!pending) {
    pending = loadQwenCoderVocab(qwen2VocabFile);
    cache.set(qwen2VocabFile, pending);
  }
  return pending;
}

async function loadQwenCoderVocab(file: string): Promise<BpeVocab> {
  const metadata = await readGgufMetadata(file);
  const tokens = metadata.get("tokenizer.ggml.tokens");
  const types = metadata.get("tokenizer.ggml.token_type");
  const merges = metadata.get("tokenizer.ggml.merges");
  if (!Array.isArray(tokens) || !Array.isArray(types) || !Array.isArray(merges) || metadata.get("tokenizer.ggml.pre") !== "qwen2") {
    throw new Error(`${file} is not llama.cpp's Qwen2 vocabulary`);
  }
  const texts = tokens.map(String);
  const tokenTypes = types.map(Number);
  QWEN25_ADDED.forEach((text, i) => {
    texts[QWEN25_FIRST_ADDED + i] = text;
    tokenTypes[QWEN25_FIRST_ADDED + i] = TOKEN_TYPE.CONTROL;
  });
  const mergeList = merges.map(String);
  const idOf = (text: string): number => {
    const id = texts.indexOf(text, QWEN25_FIRST_ADDED);
    if (id < 0) throw new Error(`no ${text} in the Qwen2.5 vocabulary`);
    return id;
  };
  const specialIds: Record<SpecialTokenName, number> = {
    endOfText: idOf("<|endoftext|>"),
    imStart: idOf("<|im_start|>"),
    imEnd: idOf("<|im_end|>"),
    fimPrefix: idOf("<|fim_prefix|>"),
    fimMiddle: idOf("<|fim_middle|>"),
    fimSuffix: idOf("<|fim_suffix|>"),
    fimPad: idOf("<|fim_pad|>"),
    repoName: idOf("<|repo_name|>"),
    fileSep: idOf("<|file_sep|>"),
  };
  const normal = texts.slice(0, QWEN25_FIRST_ADDED);
  return {
    tokens: texts,
    tokenTypes,
    merges: mergeList,
    normalTokenCount: QWEN25_FIRST_ADDED,
    specialIds,
    corpusTokenIds: CODE_CORPUS.map((doc) => encodeWith(normal, mergeList, doc)),
  };
}
