// Deterministic synthetic llama-architecture models for tests and benchmarks.
//
// Pure random weights give near-uniform logits, so greedy decoding would be
// arbitrary and nearly constant. Instead the weights hold a small opinion:
// - token_embd and output.weight encode a bigram model of the built-in code
//   corpus: a token's embedding points at the output rows of tokens that
//   followed it there, so greedy runs walk real (if jumbled) code, with
//   newlines, and reach <|endoftext|> where documents end or after blank lines;
// - block 0's attention subtracts the average of the context's own tokens,
//   so greedy output depends on the whole input and escapes loops;
// - the remaining blocks are random and small: context-dependent noise that
//   breaks near-ties without drowning the bigram signal.
// A draft and a target built from one vocabulary share the bigram, so they
// agree on many (not all) greedy tokens, as speculative decoding needs.

import path from "node:path";
import { buildBpeVocab, bpeTokenizerMetadata, withoutFimTokens, type BpeVocab } from "./bpe-vocab.js";
import { BUNDLED_VOCAB_FILE, bundledVocabFile, realVocab, type RealVocabularyName } from "./real-vocab.js";
import { packageRoot } from "../version.js";
import type { GgmlTensorType } from "./ggml-quant.js";
import {
  f32,
  str,
  u32,
  writeGgufFile,
  type GgufFileContents,
  type GgufTensor,
  type GgufValue,
  type WriteGgufResult,
} from "./gguf-writer.js";
import { fillUniform, hashSeed } from "./seeded-random.js";

/** Bump whenever the bytes generated for a given spec/precision/seed change. */
export const SYNTHETIC_MODEL_VERSION = 2;

export const DEFAULT_SYNTHETIC_SEED = 1;

export type SyntheticPrecision = "F32" | "F16" | "Q8_0" | "Q4_0";

export interface SyntheticModelSpec {
  /** general.name */
  readonly name: string;
  readonly contextLength: number;
  /** n_embd */
  readonly embeddingLength: number;
  /** n_layer */
  readonly blockCount: number;
  /** n_ff */
  readonly feedForwardLength: number;
  readonly headCount: number;
  /** Fewer than headCount for grouped-query attention. */
  readonly headCountKv: number;
  /** Total tokens; BPE tokens beyond what the corpus yields are UNUSED fillers. */
  readonly vocabSize: number;
  readonly ropeFreqBase: number;
  readonly rmsNormEpsilon: number;
  /** A real tokenizer (real-vocab.ts) instead of the one learned from the corpus; its size is the vocabulary's. */
  readonly vocabulary?: RealVocabularyName;
  /** false: an instruct model's vocabulary, without FIM tokens (the corpus-learned one only); default true. */
  readonly fimTokens?: boolean;
}

const TINY_VOCAB_SIZE = 1024;

export const SYNTHETIC_MODEL_PRESETS = {
  "tiny-target": {
    name: "hearth-tiny-target",
    contextLength: 4096,
    embeddingLength: 128,
    blockCount: 4,
    feedForwardLength: 352,
    headCount: 4,
    headCountKv: 2,
    vocabSize: TINY_VOCAB_SIZE,
    ropeFreqBase: 10000,
    rmsNormEpsilon: 1e-6,
  },
  "tiny-draft": {
    name: "hearth-tiny-draft",
    contextLength: 4096,
    embeddingLength: 64,
    blockCount: 2,
    feedForwardLength: 192,
    headCount: 4,
    headCountKv: 2,
    vocabSize: TINY_VOCAB_SIZE,
    ropeFreqBase: 10000,
    rmsNormEpsilon: 1e-6,
  },
  // The chat role's model in tests (an explaining model beside the completion model): its
  // own name and shape, the same ChatML template every generated model carries.
  "tiny-chat": {
    name: "hearth-tiny-chat",
    contextLength: 4096,
    embeddingLength: 64,
    blockCount: 3,
    feedForwardLength: 192,
    headCount: 4,
    headCountKv: 2,
    vocabSize: TINY_VOCAB_SIZE,
    ropeFreqBase: 10000,
    rmsNormEpsilon: 1e-6,
  },
  // A chat model as instruct models usually are: the chat template, and no FIM tokens at
  // all (no FIM ids, the FIM and repository tokens unused placeholders). It explains; a
  // completion asked of it is refused as of any model that can't fill in the middle.
  "tiny-instruct": {
    name: "hearth-tiny-instruct",
    contextLength: 4096,
    embeddingLength: 64,
    blockCount: 3,
    feedForwardLength: 192,
    headCount: 4,
    headCountKv: 2,
    vocabSize: TINY_VOCAB_SIZE,
    ropeFreqBase: 10000,
    rmsNormEpsilon: 1e-6,
    fimTokens: false,
  },
  // The next-edit role's model in the bench: tiny, on Qwen2.5-Coder's real tokenizer (Sweep's
  // format needs its <|file_sep|>, and prompt sizes are then a Sweep user's), named so that
  // the Sweep format is chosen for it. Its text is meaningless; its token counts are not.
  "tiny-sweep": {
    name: "hearth-tiny-sweep",
    contextLength: 4096,
    embeddingLength: 64,
    blockCount: 2,
    feedForwardLength: 192,
    headCount: 4,
    headCountKv: 2,
    vocabSize: 151936,
    ropeFreqBase: 10000,
    rmsNormEpsilon: 1e-6,
    vocabulary: "qwen2.5-coder",
  },
  // Qwen2.5-Coder shapes (without Qwen2's attention biases) on Qwen2.5-Coder's
  // real tokenizer, for realistic token counts, memory and speed; hundreds of
  // MB each, never built in unit tests.
  "qwen2.5-coder-0.5b": {
    name: "hearth-synthetic-qwen2.5-coder-0.5b",
    contextLength: 32768,
    embeddingLength: 896,
    blockCount: 24,
    feedForwardLength: 4864,
    headCount: 14,
    headCountKv: 2,
    vocabSize: 151936,
    ropeFreqBase: 1000000,
    rmsNormEpsilon: 1e-6,
    vocabulary: "qwen2.5-coder",
  },
  "qwen2.5-coder-1.5b": {
    name: "hearth-synthetic-qwen2.5-coder-1.5b",
    contextLength: 32768,
    embeddingLength: 1536,
    blockCount: 28,
    feedForwardLength: 8960,
    headCount: 12,
    headCountKv: 2,
    vocabSize: 151936,
    ropeFreqBase: 1000000,
    rmsNormEpsilon: 1e-6,
    vocabulary: "qwen2.5-coder",
  },
  // DeepSeek-Coder-1.3B's shape (a llama model) on DeepSeek-Coder's tokenizer.
  "deepseek-coder-1.3b": {
    name: "hearth-synthetic-deepseek-coder-1.3b",
    contextLength: 16384,
    embeddingLength: 2048,
    blockCount: 24,
    feedForwardLength: 5504,
    headCount: 16,
    headCountKv: 16,
    vocabSize: 32256,
    ropeFreqBase: 100000,
    rmsNormEpsilon: 1e-6,
    vocabulary: "deepseek-coder",
  },
} as const satisfies Record<string, SyntheticModelSpec>;

export type SyntheticModelPresetName = keyof typeof SYNTHETIC_MODEL_PRESETS;

export interface SyntheticModelOptions {
  readonly precision: SyntheticPrecision;
  /** uint32; defaults to DEFAULT_SYNTHETIC_SEED. */
  readonly seed?: number;
}

// How strongly the model holds its opinions; see the file comment.
const TUNING = {
  /** Output scale: a successor with the top count gets a logit of about this. */
  topLogit: 24,
  /** Successors per token encoded in its embedding. */
  successorsPerToken: 4,
  /** Weight of the other successors (times their count relative to the top one). */
  secondaryWeight: 0.6,
  /** Weight of the token's own random direction in its embedding. */
  embeddingNoise: 0.5,
  /** Scale of attn_output / ffn_down, i.e. how much the blocks move the residual stream. */
  blockGain: 0.2,
  /** How hard block 0 pushes down tokens by their share of the context. */
  antiRepetition: 1,
  /** Weight of <|endoftext|> among every token's successors. */
  endOfTextWeight: 0.45,
  /** ...and after a blank line, where it competes with the top successor. */
  endOfTextAfterBlankLine: 0.9,
  /** Output row scale for tokens that never occur in the corpus. */
  unseenOutputScale: 0.35,
} as const;

const GGUF_FILE_TYPE: Readonly<Record<SyntheticPrecision, number>> = {
  F32: 0, // ALL_F32
  F16: 1, // MOSTLY_F16
  Q4_0: 2, // MOSTLY_Q4_0
  Q8_0: 7, // MOSTLY_Q8_0
};

export function validateSyntheticSpec(spec: SyntheticModelSpec): void {
  const ints: (keyof SyntheticModelSpec)[] = [
    "contextLength",
    "embeddingLength",
    "blockCount",
    "feedForwardLength",
    "headCount",
    "headCountKv",
    "vocabSize",
  ];
  for (const key of ints) {
    const value = spec[key];
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`spec.${key} must be a positive integer, got ${String(value)}`);
    }
  }
  if (spec.embeddingLength % spec.headCount !== 0) throw new RangeError("embeddingLength must be a multiple of headCount");
  if (spec.headCount % spec.headCountKv !== 0) throw new RangeError("headCount must be a multiple of headCountKv");
  if ((spec.embeddingLength / spec.headCount) % 2 !== 0) throw new RangeError("head dimension must be even for RoPE");
  if (!(spec.ropeFreqBase > 0) || !(spec.rmsNormEpsilon > 0)) throw new RangeError("ropeFreqBase and rmsNormEpsilon must be > 0");
}

function headDim(spec: SyntheticModelSpec): number {
  return spec.embeddingLength / spec.headCount;
}

/** Storage type for a 2-D weight with rows of `rowLength`; norms are always F32. */
function matrixType(precision: SyntheticPrecision, rowLength: number, isVocabMatrix: boolean): GgmlTensorType {
  if (precision === "F32" || precision === "F16") return precision;
  if (rowLength % 32 !== 0) return "F16";
  // As llama-quantize does for Q4_0 files, keep the vocabulary matrices at 8 bits.
  if (precision === "Q4_0" && isVocabMatrix) return "Q8_0";
  return precision;
}

export interface SyntheticTensorLayout {
  readonly name: string;
  readonly dimensions: readonly number[];
  readonly type: GgmlTensorType;
}

/** Tensor names, ggml shapes (fastest-first) and types, in file order. */
export function syntheticTensorLayout(spec: SyntheticModelSpec, precision: SyntheticPrecision): SyntheticTensorLayout[] {
  validateSyntheticSpec(spec);
  const nEmbd = spec.embeddingLength;
  const nKv = spec.headCountKv * headDim(spec);
  const nFf = spec.feedForwardLength;
  const layout: SyntheticTensorLayout[] = [
    { name: "token_embd.weight", dimensions: [nEmbd, spec.vocabSize], type: matrixType(precision, nEmbd, true) },
  ];
  for (let b = 0; b < spec.blockCount; b++) {
    layout.push(
      { name: `blk.${b}.attn_norm.weight`, dimensions: [nEmbd], type: "F32" },
      { name: `blk.${b}.attn_q.weight`, dimensions: [nEmbd, nEmbd], type: matrixType(precision, nEmbd, false) },
      { name: `blk.${b}.attn_k.weight`, dimensions: [nEmbd, nKv], type: matrixType(precision, nEmbd, false) },
      { name: `blk.${b}.attn_v.weight`, dimensions: [nEmbd, nKv], type: matrixType(precision, nEmbd, false) },
      { name: `blk.${b}.attn_output.weight`, dimensions: [nEmbd, nEmbd], type: matrixType(precision, nEmbd, false) },
      { name: `blk.${b}.ffn_norm.weight`, dimensions: [nEmbd], type: "F32" },
      { name: `blk.${b}.ffn_gate.weight`, dimensions: [nEmbd, nFf], type: matrixType(precision, nEmbd, false) },
      { name: `blk.${b}.ffn_up.weight`, dimensions: [nEmbd, nFf], type: matrixType(precision, nEmbd, false) },
      { name: `blk.${b}.ffn_down.weight`, dimensions: [nFf, nEmbd], type: matrixType(precision, nFf, false) },
    );
  }
  layout.push(
    { name: "output_norm.weight", dimensions: [nEmbd], type: "F32" },
    { name: "output.weight", dimensions: [nEmbd, spec.vocabSize], type: matrixType(precision, nEmbd, true) },
  );
  return layout;
}

interface Successor {
  readonly token: number;
  readonly weight: number;
}

interface CorpusStatistics {
  /** Most frequent successors per token (see corpusStatistics). */
  readonly successors: ReadonlyMap<number, readonly Successor[]>;
  /** Successors for tokens the corpus never continues: the most frequent tokens overall. */
  readonly fallback: readonly Successor[];
  /** Tokens that occur in the corpus (including <|endoftext|> at document ends). */
  readonly seen: ReadonlySet<number>;
  readonly endOfText: number;
  /** Tokens that end a blank line ("\n\n"), where a completion may well stop. */
  readonly blankLineTokens: ReadonlySet<number>;
}

function topWeighted(counts: ReadonlyMap<number, number>): Successor[] {
  const ranked = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, TUNING.successorsPerToken);
  const top = ranked[0]?.[1] ?? 1;
  return ranked.map(([token, count]) => ({ token, weight: count / top }));
}

/**
 * Successor statistics of the corpus (documents end in <|endoftext|>;
 * self-successions are left out so greedy decoding cannot stick on a token).
 */
function corpusStatistics(vocab: BpeVocab): CorpusStatistics {
  const pairCounts = new Map<number, Map<number, number>>();
  const unigramCounts = new Map<number, number>();
  const eos = vocab.specialIds.endOfText;
  for (const doc of vocab.corpusTokenIds) {
    const sequence = [...doc, eos];
    for (let i = 0; i < sequence.length; i++) {
      const from = sequence[i] ?? 0;
      unigramCounts.set(from, (unigramCounts.get(from) ?? 0) + 1);
      const to = sequence[i + 1];
      if (to === undefined || from === to) continue;
      let row = pairCounts.get(from);
      if (!row) pairCounts.set(from, (row = new Map()));
      row.set(to, (row.get(to) ?? 0) + 1);
    }
  }
  const successors = new Map<number, Successor[]>();
  // The most frequent successors of most tokens are the same few tokens
  // (newline, indentation, ")"), so "always the top successor" funnels every
  // greedy run into one loop. Each token instead leads, among its observed
  // successors, with the one fewest tokens lead to so far (ties: higher
  // count, then lower id), visiting frequent tokens first. Runs then follow
  // real corpus transitions but spread across the corpus.
  const inDegree = new Map<number, number>();
  const byFrequency = [...pairCounts.keys()].sort((a, b) => (unigramCounts.get(b) ?? 0) - (unigramCounts.get(a) ?? 0) || a - b);
  for (const from of byFrequency) {
    const row = pairCounts.get(from) ?? new Map<number, number>();
    const ranked = [...row].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    const [lead] = [...ranked].sort((a, b) => (inDegree.get(a[0]) ?? 0) - (inDegree.get(b[0]) ?? 0) || b[1] - a[1] || a[0] - b[0]);
    if (!lead) continue;
    inDegree.set(lead[0], (inDegree.get(lead[0]) ?? 0) + 1);
    const top = ranked[0]?.[1] ?? 1;
    const others = ranked
      .filter(([token]) => token !== lead[0])
      .slice(0, TUNING.successorsPerToken - 1)
      .map(([token, count]) => ({ token, weight: TUNING.secondaryWeight * (count / top) }));
    successors.set(from, [{ token: lead[0], weight: 1 }, ...others]);
  }
  const blankLineTokens = new Set<number>();
  vocab.tokens.forEach((text, id) => {
    if (id < vocab.normalTokenCount && text.endsWith("ĊĊ")) blankLineTokens.add(id);
  });
  return { successors, fallback: topWeighted(unigramCounts), seen: new Set(unigramCounts.keys()), endOfText: eos, blankLineTokens };
}

/** Yields a [rowLength, rowCount] matrix in chunks of whole rows (~256 KiB of floats). */
function* rowChunks(rowLength: number, rowCount: number, fillRow: (row: number, out: Float32Array, offset: number) => void): Generator<Float32Array> {
  const rowsPerChunk = Math.max(1, Math.floor(65536 / rowLength));
  for (let first = 0; first < rowCount; first += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, rowCount - first);
    const chunk = new Float32Array(rows * rowLength);
    for (let r = 0; r < rows; r++) fillRow(first + r, chunk, r * rowLength);
    yield chunk;
  }
}

function randomMatrix(seed: number, tag: string, rowLength: number, rowCount: number, std: number): () => Iterable<Float32Array> {
  return () => rowChunks(rowLength, rowCount, (row, out, offset) => fillUniform(out, hashSeed(seed, tag, row), std, offset, rowLength));
}

function ones(length: number): () => Iterable<Float32Array> {
  return function* () {
    yield new Float32Array(length).fill(1);
  };
}

/**
 * How the residual stream is split: the first `nextDims` coordinates carry
 * "what should come next" (the only part output.weight reads); the last
 * `selfDims` carry the token's own output direction, which block 0's
 * attention averages over the context and subtracts from the "next" part.
 */
interface StreamLayout {
  readonly nEmbd: number;
  readonly nextDims: number;
  readonly selfDims: number;
}

function streamLayout(spec: SyntheticModelSpec): StreamLayout {
  const kvDims = spec.headCountKv * headDim(spec);
  const selfDims = Math.min(kvDims, Math.floor(spec.embeddingLength / 2));
  return { nEmbd: spec.embeddingLength, nextDims: spec.embeddingLength - selfDims, selfDims };
}

/** The direction (in the "next" part) that token's output row reads. */
function outputDirection(seed: number, token: number, out: Float32Array, offset: number, length: number): void {
  fillUniform(out, hashSeed(seed, "output-direction", token), 1, offset, length);
}

function embeddingRows(seed: number, stream: StreamLayout, vocabSize: number, corpus: CorpusStatistics): () => Iterable<Float32Array> {
  const { nEmbd, nextDims, selfDims } = stream;
  const scratch = new Float32Array(nextDims);
  return () =>
    rowChunks(nEmbd, vocabSize, (token, out, offset) => {
      fillUniform(out, hashSeed(seed, "token", token), 1, offset, nextDims);
      for (let i = 0; i < nextDims; i++) out[offset + i] = (out[offset + i] ?? 0) * TUNING.embeddingNoise;
      for (const { token: successor, weight } of embeddedSuccessors(token, corpus)) {
        outputDirection(seed, successor, scratch, 0, nextDims);
        for (let i = 0; i < nextDims; i++) out[offset + i] = (out[offset + i] ?? 0) + weight * (scratch[i] ?? 0);
      }
      outputDirection(seed, token, scratch, 0, nextDims);
      out.set(scratch.subarray(0, selfDims), offset + nextDims);
      // Unit RMS keeps the blocks' relative contribution the same for every token.
      let sumSquares = 0;
      for (let i = 0; i < nEmbd; i++) sumSquares += (out[offset + i] ?? 0) ** 2;
      const scale = 1 / Math.sqrt(sumSquares / nEmbd || 1);
      for (let i = 0; i < nEmbd; i++) out[offset + i] = (out[offset + i] ?? 0) * scale;
    });
}

function outputRows(seed: number, stream: StreamLayout, vocabSize: number, corpus: CorpusStatistics): () => Iterable<Float32Array> {
  // logit(v) = topLogit/nextDims * <dir(v), h>: about topLogit when h (unit
  // RMS after output_norm) is dir(v), noise of std topLogit/sqrt(nextDims)
  // otherwise. Tokens the corpus never uses get quieter rows, so the noise
  // floor rarely surfaces them.
  return () =>
    rowChunks(stream.nEmbd, vocabSize, (token, out, offset) => {
      const scale = (TUNING.topLogit / stream.nextDims) * (corpus.seen.has(token) ? 1 : TUNING.unseenOutputScale);
      outputDirection(seed, token, out, offset, stream.nextDims);
      for (let i = 0; i < stream.nextDims; i++) out[offset + i] = (out[offset + i] ?? 0) * scale;
    });
}

/**
 * The successors a token's embedding points at: its corpus successors plus,
 * weakly, <|endoftext|> after every token. The weak end-of-text vote wins
 * once block 0 has pushed the real successors down, i.e. when generation
 * has fallen into a short loop, so greedy runs stop instead of cycling.
 */
function embeddedSuccessors(token: number, corpus: CorpusStatistics): Successor[] {
  const successors = [...(corpus.successors.get(token) ?? corpus.fallback)];
  const weight = corpus.blankLineTokens.has(token) ? TUNING.endOfTextAfterBlankLine : TUNING.endOfTextWeight;
  const eos = successors.findIndex((s) => s.token === corpus.endOfText);
  if (eos < 0) successors.push({ token: corpus.endOfText, weight });
  else successors[eos] = { token: corpus.endOfText, weight: Math.max(successors[eos]?.weight ?? 0, weight) };
  return successors;
}

/** A matrix with at most one non-zero per row: `pick(row)` gives [column, value] or null. */
function sparseRows(rowLength: number, rowCount: number, pick: (row: number) => readonly [number, number] | null): () => Iterable<Float32Array> {
  return () =>
    rowChunks(rowLength, rowCount, (row, out, offset) => {
      const entry = pick(row);
      if (entry) out[offset + entry[0]] = entry[1];
    });
}

/**
 * Block 0's attention is an anti-repetition head: zero Q and K make it attend
 * uniformly to the whole context, V copies the "self" part of the residual
 * (the tokens' own output directions), and O subtracts that average from the
 * "next" part. Tokens that dominate the context (a loop) get pushed down in
 * proportion to their share, so greedy decoding escapes cycles and depends on
 * everything it has seen.
 */
function antiRepetitionAttention(spec: SyntheticModelSpec, stream: StreamLayout, tensor: "q" | "k" | "v" | "output"): () => Iterable<Float32Array> {
  const nEmbd = spec.embeddingLength;
  const hd = headDim(spec);
  const kvDims = spec.headCountKv * hd;
  const headsPerKv = spec.headCount / spec.headCountKv;
  switch (tensor) {
    case "q":
      return sparseRows(nEmbd, nEmbd, () => null);
    case "k":
      return sparseRows(nEmbd, kvDims, () => null);
    case "v":
      // Row = kv channel k, reading residual coordinate nextDims + k.
      return sparseRows(nEmbd, kvDims, (k) => (k < stream.selfDims ? [stream.nextDims + k, 1] : null));
    case "output":
      // Row = residual coordinate i of the "next" part; the first query head
      // of kv group g = floor(i / hd) saw kv channel i, at output column h*hd + i%hd.
      // Where selfDims < nextDims (wide models with few kv heads) only part
      // of each direction is penalised: weaker, but scaling it up would make
      // the penalty dominate the RMS norm and drown the bigram signal.
      return sparseRows(nEmbd, nEmbd, (i) => {
        if (i >= stream.selfDims) return null;
        const head = Math.floor(i / hd) * headsPerKv;
        return [head * hd + (i % hd), -TUNING.antiRepetition];
      });
  }
}

function architectureMetadata(spec: SyntheticModelSpec, precision: SyntheticPrecision, seed: number): [string, GgufValue][] {
  return [
    ["general.architecture", str("llama")],
    ["general.name", str(spec.name)],
    ["general.file_type", u32(GGUF_FILE_TYPE[precision])],
    ["general.quantization_version", u32(2)],
    ["hearth.synthetic.generator_version", u32(SYNTHETIC_MODEL_VERSION)],
    ["hearth.synthetic.seed", u32(seed)],
    ["llama.vocab_size", u32(spec.vocabSize)],
    ["llama.context_length", u32(spec.contextLength)],
    ["llama.embedding_length", u32(spec.embeddingLength)],
    ["llama.block_count", u32(spec.blockCount)],
    ["llama.feed_forward_length", u32(spec.feedForwardLength)],
    ["llama.attention.head_count", u32(spec.headCount)],
    ["llama.attention.head_count_kv", u32(spec.headCountKv)],
    ["llama.rope.dimension_count", u32(headDim(spec))],
    ["llama.rope.freq_base", f32(spec.ropeFreqBase)],
    ["llama.attention.layer_norm_rms_epsilon", f32(spec.rmsNormEpsilon)],
  ];
}

/** The complete GGUF description of a synthetic model; tensor data is generated lazily. */
export function syntheticModelContents(spec: SyntheticModelSpec, options: SyntheticModelOptions, vocab: BpeVocab = buildBpeVocab(spec.vocabSize)): GgufFileContents {
  validateSyntheticSpec(spec);
  const seed = options.seed ?? DEFAULT_SYNTHETIC_SEED;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed must be a uint32, got ${seed}`);
  if (vocab.tokens.length !== spec.vocabSize) throw new RangeError(`${spec.name}: vocabSize ${spec.vocabSize} but the vocabulary has ${vocab.tokens.length} tokens`);
  const corpus = corpusStatistics(vocab);
  const stream = streamLayout(spec);
  const nEmbd = spec.embeddingLength;
  const nFf = spec.feedForwardLength;
  const inStd = 1 / Math.sqrt(nEmbd);

  const data = (name: string, rowLength: number, rowCount: number): (() => Iterable<Float32Array>) => {
    if (name === "token_embd.weight") return embeddingRows(seed, stream, spec.vocabSize, corpus);
    if (name === "output.weight") return outputRows(seed, stream, spec.vocabSize, corpus);
    if (name.endsWith("_norm.weight")) return ones(rowLength);
    const blockZeroAttention = /^blk\.0\.attn_(q|k|v|output)\.weight$/.exec(name)?.[1];
    if (blockZeroAttention === "q" || blockZeroAttention === "k" || blockZeroAttention === "v" || blockZeroAttention === "output") {
      return antiRepetitionAttention(spec, stream, blockZeroAttention);
    }
    if (name.endsWith(".attn_output.weight")) return randomMatrix(seed, name, rowLength, rowCount, TUNING.blockGain / Math.sqrt(nEmbd));
    if (name.endsWith(".ffn_down.weight")) return randomMatrix(seed, name, rowLength, rowCount, TUNING.blockGain / Math.sqrt(nFf));
    return randomMatrix(seed, name, rowLength, rowCount, inStd);
  };

  const tensors: GgufTensor[] = syntheticTensorLayout(spec, options.precision).map((t) => ({
    ...t,
    data: data(t.name, t.dimensions[0] ?? 0, t.dimensions[1] ?? 1),
  }));
  return {
    metadata: [...architectureMetadata(spec, options.precision, seed), ...bpeTokenizerMetadata(vocab)],
    tensors,
  };
}

/** The spec's tokenizer: a real one extracted from node-llama-cpp's llama.cpp source, or the corpus-learned one. */
export async function vocabularyOf(spec: SyntheticModelSpec): Promise<BpeVocab> {
  if (spec.vocabulary === undefined) return spec.fimTokens === false ? withoutFimTokens(buildBpeVocab(spec.vocabSize)) : buildBpeVocab(spec.vocabSize);
  if (spec.fimTokens === false) throw new RangeError(`${spec.name}: fimTokens false takes the corpus-learned vocabulary, not ${spec.vocabulary}`);
  const root = packageRoot();
  const bundle = path.join(root, "node_modules", "node-llama-cpp", "llama", "gitRelease.bundle");
  return realVocab(spec.vocabulary, bundledVocabFile(BUNDLED_VOCAB_FILE[spec.vocabulary], bundle, path.join(root, ".cache", "llama.cpp")));
}

/** Writes a synthetic model to `path` (atomically, streaming the tensor data). */
export async function writeSyntheticModel(
  path: string,
  spec: SyntheticModelSpec,
  options: SyntheticModelOptions & { readonly onProgress?: (bytesWritten: number, totalBytes: number) => void },
): Promise<WriteGgufResult> {
  const contents = syntheticModelContents(spec, options, await vocabularyOf(spec));
  return writeGgufFile(path, contents, options.onProgress ? { onProgress: options.onProgress } : {});
}
