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
//
// "deepseek-coder" is DeepSeek-Coder's own (the bundle's file is complete: its
// 32,000 byte-level tokens, user-defined tokens, BOS/EOS and FIM tokens at
// 32013-32017), with llama.cpp's "deepseek-coder" pre-tokenizer.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { encodeWith, TOKEN_TYPE, type BpeVocab, type SpecialTokenName } from "./bpe-vocab.js";
import { bool, u32 } from "./gguf-writer.js";
import { CODE_CORPUS } from "./code-corpus.js";
import { readGgufMetadata } from "./gguf-reader.js";

export type RealVocabularyName = "qwen2.5-coder" | "deepseek-coder";

/** The bundle's vocabulary file each real vocabulary is built from. */
export const BUNDLED_VOCAB_FILE: Record<RealVocabularyName, string> = { "qwen2.5-coder": "qwen2", "deepseek-coder": "deepseek-coder" };

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

/** One load per vocabulary and file: models of one shape share the object. */
function memoized(key: string, load: () => Promise<BpeVocab>): Promise<BpeVocab> {
  let pending = cache.get(key);
  if (!pending) {
    pending = load();
    cache.set(key, pending);
  }
  return pending;
}

/** The BPE tables of a llama.cpp vocabulary file, checked to be the pre-tokenizer `pre`'s. */
async function readBpeTables(file: string, pre: string, what: string): Promise<{ texts: string[]; tokenTypes: number[]; merges: string[] }> {
  const metadata = await readGgufMetadata(file);
  const tokens = metadata.get("tokenizer.ggml.tokens");
  const types = metadata.get("tokenizer.ggml.token_type");
  const merges = metadata.get("tokenizer.ggml.merges");
  if (!Array.isArray(tokens) || !Array.isArray(types) || !Array.isArray(merges) || metadata.get("tokenizer.ggml.pre") !== pre) {
    throw new Error(`${file} is not llama.cpp's ${what} vocabulary`);
  }
  return { texts: tokens.map(String), tokenTypes: types.map(Number), merges: merges.map(String) };
}

/** The generator's view of a real vocabulary, from its bundled file. */
export function realVocab(name: RealVocabularyName, file: string): Promise<BpeVocab> {
  return name === "qwen2.5-coder" ? qwenCoderVocab(file) : deepseekCoderVocab(file);
}

/** DeepSeek-Coder's vocabulary as the generator's BpeVocab. */
export function deepseekCoderVocab(file: string): Promise<BpeVocab> {
  return memoized(`deepseek-coder\u0000${file}`, () => loadDeepseekCoderVocab(file));
}

async function loadDeepseekCoderVocab(file: string): Promise<BpeVocab> {
  const { texts, tokenTypes, merges: mergeList } = await readBpeTables(file, "deepseek-coder", "DeepSeek-Coder");
  const idOf = (text: string): number => {
    const id = texts.indexOf(text);
    if (id < 0) throw new Error(`no ${text} in the DeepSeek-Coder vocabulary`);
    return id;
  };
  const bos = idOf("<｜begin▁of▁sentence｜>");
  const eos = idOf("<｜end▁of▁sentence｜>");
  // DeepSeek-Coder's FIM: <｜fim▁begin｜>prefix<｜fim▁hole｜>suffix<｜fim▁end｜>, then the middle.
  const fimPrefix = idOf("<｜fim▁begin｜>");
  const fimSuffix = idOf("<｜fim▁hole｜>");
  const fimMiddle = idOf("<｜fim▁end｜>");
  // llama.cpp splits user-defined tokens (DeepSeek's single characters such as "ö") out of
  // any text before pre-tokenizing, longest first, even when special tokens aren't parsed.
  const userDefined = texts
    .map((text, id) => ({ text, id }))
    .filter(({ id }) => tokenTypes[id] === TOKEN_TYPE.USER_DEFINED && !/^\[PAD\d+\]$/.test(texts[id] ?? ""))
    .sort((a, b) => b.text.length - a.text.length);
  const encode = (text: string): number[] => {
    let fragments: (string | number)[] = [text];
    for (const { text: piece, id } of userDefined) {
      fragments = fragments.flatMap((fragment) => {
        if (typeof fragment === "number" || !fragment.includes(piece)) return [fragment];
        const parts = fragment.split(piece);
        return parts.flatMap((part, i) => (i === 0 ? [part] : [id, part])).filter((part) => part !== "");
      });
    }
    return fragments.flatMap((fragment) => (typeof fragment === "number" ? [fragment] : encodeWith(texts, mergeList, fragment, "deepseek-coder")));
  };
  return {
    tokens: texts,
    tokenTypes,
    merges: mergeList,
    normalTokenCount: tokenTypes.findIndex((type) => type !== TOKEN_TYPE.NORMAL),
    specialIds: { endOfText: eos, fimPrefix, fimSuffix, fimMiddle },
    corpusTokenIds: CODE_CORPUS.map(encode),
    preTokenizer: "deepseek-coder",
    specialTokenMetadata: [
      ["tokenizer.ggml.bos_token_id", u32(bos)],
      ["tokenizer.ggml.eos_token_id", u32(eos)],
      ["tokenizer.ggml.padding_token_id", u32(eos)],
      ["tokenizer.ggml.add_bos_token", bool(true)],
      ["tokenizer.ggml.add_eos_token", bool(false)],
      ["tokenizer.ggml.fim_pre_token_id", u32(fimPrefix)],
      ["tokenizer.ggml.fim_suf_token_id", u32(fimSuffix)],
      ["tokenizer.ggml.fim_mid_token_id", u32(fimMiddle)],
    ],
  };
}

/** Qwen2.5-Coder's vocabulary as the generator's BpeVocab: its tokens, merges and special ids, and the code corpus in its tokens. */
export function qwenCoderVocab(qwen2VocabFile: string): Promise<BpeVocab> {
  return memoized(`qwen2.5-coder\u0000${qwen2VocabFile}`, () => loadQwenCoderVocab(qwen2VocabFile));
}

async function loadQwenCoderVocab(file: string): Promise<BpeVocab> {
  const { texts, tokenTypes, merges: mergeList } = await readBpeTables(file, "qwen2", "Qwen2");
  QWEN25_ADDED.forEach((text, i) => {
    texts[QWEN25_FIRST_ADDED + i] = text;
    tokenTypes[QWEN25_FIRST_ADDED + i] = TOKEN_TYPE.CONTROL;
  });
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
