// Deterministic byte-level BPE vocabulary (GPT-2 byte mapping, Qwen2-style
// pre-tokenization and special tokens) learned from the built-in code corpus,
// plus the llama.cpp tokenizer metadata that describes it in a GGUF file.

import { CODE_CORPUS } from "./code-corpus.js";
import { bool, numberArray, str, stringArray, u32, type GgufValue } from "./gguf-writer.js";

/** llama.cpp `llama_token_type` values stored in tokenizer.ggml.token_type. */
export const TOKEN_TYPE = {
  NORMAL: 1,
  CONTROL: 3,
  USER_DEFINED: 4,
  UNUSED: 5,
} as const;

/** Special tokens in Qwen2.5-Coder's relative order (it numbers them 151643..). */
export const SPECIAL_TOKENS = {
  endOfText: "<|endoftext|>",
  imStart: "<|im_start|>",
  imEnd: "<|im_end|>",
  fimPrefix: "<|fim_prefix|>",
  fimMiddle: "<|fim_middle|>",
  fimSuffix: "<|fim_suffix|>",
  fimPad: "<|fim_pad|>",
  repoName: "<|repo_name|>",
  fileSep: "<|file_sep|>",
} as const;

export type SpecialTokenName = keyof typeof SPECIAL_TOKENS;
export type SpecialTokenIds = Readonly<Record<SpecialTokenName, number>>;
/** What every vocabulary has: the end of a document and the three FIM tokens; the rest only where the vocabulary has them. */
export type VocabSpecialIds = Readonly<Pick<SpecialTokenIds, "endOfText" | "fimPrefix" | "fimMiddle" | "fimSuffix">> & Readonly<Partial<SpecialTokenIds>>;

const SPECIAL_TOKEN_NAMES = Object.keys(SPECIAL_TOKENS) as SpecialTokenName[];

/**
 * The pre-tokenizer llama.cpp applies for tokenizer.ggml.pre = "qwen2"
 * (LLAMA_VOCAB_PRE_TYPE_QWEN2). Learning merges over the same word split
 * keeps our training segmentation identical to llama.cpp's tokenization.
 */
export const QWEN2_PRETOKENIZER_PATTERN =
  /(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu;

/**
 * llama.cpp's pre-tokenizer for tokenizer.ggml.pre = "deepseek-coder": its expressions are
 * applied one after another, each splitting every piece so far into its matches and the
 * text between them (which stays a piece too), as unicode_regex_split does.
 */
const DEEPSEEK_CODER_PRETOKENIZER_PATTERNS: readonly RegExp[] = [/[\r\n]/gu, /\s?\p{L}+/gu, /\s?\p{P}+/gu, /[\u4e00-\u9fa5\u0800-\u4e00\uac00-\ud7ff]+/gu, /\p{N}/gu];

export type PreTokenizerName = "qwen2" | "deepseek-coder";

function splitInTurn(text: string, patterns: readonly RegExp[]): string[] {
  let pieces = [text];
  for (const pattern of patterns) {
    const next: string[] = [];
    for (const piece of pieces) {
      let at = 0;
      for (const match of piece.matchAll(pattern)) {
        const start = match.index ?? 0;
        if (start > at) next.push(piece.slice(at, start));
        next.push(match[0]);
        at = start + match[0].length;
      }
      if (at < piece.length) next.push(piece.slice(at));
    }
    pieces = next;
  }
  return pieces.filter((piece) => piece.length > 0);
}

/**
 * ChatML as Qwen2.5 writes it (without the tool-calling branches), so chat
 * wrappers that recognise Qwen/ChatML templates recognise this one too.
 */
export const CHATML_TEMPLATE = String.raw`{%- if messages[0]['role'] == 'system' %}
    {{- '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }}
{%- else %}
    {{- '<|im_start|>system\nYou are a helpful coding assistant.<|im_end|>\n' }}
{%- endif %}
{%- for message in messages %}
    {%- if not (message.role == 'system' and loop.first) %}
        {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>\n' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
{%- endif %}
`;

export interface BpeVocab {
  /** Token texts in GPT-2 byte-level form (a space is "Ġ", a newline "Ċ"). */
  readonly tokens: readonly string[];
  readonly tokenTypes: readonly number[];
  /** "left right" pairs, highest priority first. */
  readonly merges: readonly string[];
  /** 256 byte tokens plus learned tokens; they occupy ids [0, normalTokenCount). */
  readonly normalTokenCount: number;
  readonly specialIds: VocabSpecialIds;
  /** The corpus documents tokenized with this vocabulary. */
  readonly corpusTokenIds: readonly (readonly number[])[];
  /** How text is split into words before merging; default qwen2. */
  readonly preTokenizer?: PreTokenizerName;
  /** A real vocabulary's own special-token metadata (BOS, EOS, FIM ids…), instead of the Qwen2.5-Coder style one. */
  readonly specialTokenMetadata?: readonly [string, GgufValue][];
}

let byteEncoderCache: readonly string[] | undefined;

/** GPT-2's bytes_to_unicode(): printable bytes map to themselves, the rest to U+0100.. */
export function byteToUnicode(): readonly string[] {
  if (byteEncoderCache) return byteEncoderCache;
  const table: string[] = new Array<string>(256);
  const printable = (b: number): boolean =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let extra = 0;
  for (let b = 0; b < 256; b++) table[b] = String.fromCodePoint(printable(b) ? b : 256 + extra++);
  byteEncoderCache = table;
  return table;
}

/** Byte-level token text -> raw bytes (throws on characters outside the mapping). */
export function tokenTextToBytes(text: string): Uint8Array {
  const decoder = new Map(byteToUnicode().map((ch, b) => [ch, b]));
  const out: number[] = [];
  for (const ch of text) {
    const b = decoder.get(ch);
    if (b === undefined) throw new Error(`not a byte-level character: ${JSON.stringify(ch)}`);
    out.push(b);
  }
  return Uint8Array.from(out);
}

function toByteLevel(text: string): string[] {
  const table = byteToUnicode();
  return Array.from(Buffer.from(text, "utf8"), (b) => table[b] ?? "");
}

function preTokenize(text: string, name: PreTokenizerName = "qwen2"): string[] {
  if (name === "deepseek-coder") return splitInTurn(text, DEEPSEEK_CODER_PRETOKENIZER_PATTERNS);
  return text.match(QWEN2_PRETOKENIZER_PATTERN) ?? [];
}

interface LearnedMerges {
  readonly tokens: string[];
  readonly merges: string[];
}

/**
 * Greedy BPE training: repeatedly merge the most frequent adjacent pair
 * (ties: smallest "left right" string) until `targetTokens` distinct tokens
 * exist or every word is a single token.
 */
function learnMerges(documents: readonly string[], targetTokens: number): LearnedMerges {
  const tokens = [...byteToUnicode()];
  const idOf = new Map(tokens.map((t, i) => [t, i]));
  const merges: string[] = [];

  const wordCounts = new Map<string, number>();
  for (const doc of documents) {
    for (const word of preTokenize(doc)) wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
  }
  const words: number[][] = [];
  const counts: number[] = [];
  for (const [word, count] of wordCounts) {
    words.push(toByteLevel(word).map((ch) => idOf.get(ch) ?? -1));
    counts.push(count);
  }

  // Pair keys pack two ids; vocabularies stay far below 2^26 learned tokens.
  const SHIFT = 2 ** 26;
  while (tokens.length < targetTokens) {
    const pairCounts = new Map<number, number>();
    for (let w = 0; w < words.length; w++) {
      const symbols = words[w] ?? [];
      const count = counts[w] ?? 0;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = (symbols[i] ?? 0) * SHIFT + (symbols[i + 1] ?? 0);
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + count);
      }
    }
    let bestKey = -1;
    let bestCount = 0;
    let bestText = "";
    for (const [key, count] of pairCounts) {
      if (count < bestCount) continue;
      const text = `${tokens[Math.floor(key / SHIFT)]} ${tokens[key % SHIFT]}`;
      if (count > bestCount || text < bestText) {
        bestKey = key;
        bestCount = count;
        bestText = text;
      }
    }
    if (bestKey < 0) break;

    const left = Math.floor(bestKey / SHIFT);
    const right = bestKey % SHIFT;
    const mergedText = (tokens[left] ?? "") + (tokens[right] ?? "");
    let merged = idOf.get(mergedText);
    if (merged === undefined) {
      // Two different splits can spell the same string; keep a single token for it.
      merged = tokens.length;
      tokens.push(mergedText);
      idOf.set(mergedText, merged);
    }
    merges.push(bestText);
    for (const symbols of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        if (symbols[i] === left && symbols[i + 1] === right) symbols.splice(i, 2, merged);
      }
    }
  }
  return { tokens, merges };
}

/** Applies merges by priority within each pre-tokenized word, as llama.cpp's BPE does. */
export function encodeWith(tokens: readonly string[], merges: readonly string[], text: string, preTokenizer: PreTokenizerName = "qwen2"): number[] {
  const rank = new Map(merges.map((m, i) => [m, i]));
  const idOf = new Map(tokens.map((t, i) => [t, i]));
  const ids: number[] = [];
  for (const word of preTokenize(text, preTokenizer)) {
    const symbols = toByteLevel(word);
    for (;;) {
      let bestRank = Number.POSITIVE_INFINITY;
      let bestAt = -1;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const r = rank.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          bestAt = i;
        }
      }
      if (bestAt < 0) break;
      symbols.splice(bestAt, 2, (symbols[bestAt] ?? "") + (symbols[bestAt + 1] ?? ""));
    }
    for (const symbol of symbols) {
      const id = idOf.get(symbol);
      if (id === undefined) throw new Error(`BPE produced unknown token ${JSON.stringify(symbol)}`);
      ids.push(id);
    }
  }
  return ids;
}

/** Tokenizes plain text (no special tokens) with `vocab`, as llama.cpp would. */
export function bpeEncode(vocab: BpeVocab, text: string): number[] {
  return encodeWith(vocab.tokens, vocab.merges, text, vocab.preTokenizer);
}

/** Token ids -> text (byte-level decoding; special tokens as their text). */
export function bpeDecode(vocab: BpeVocab, ids: readonly number[]): string {
  const chunks: Uint8Array[] = [];
  for (const id of ids) {
    const text = vocab.tokens[id];
    if (text === undefined) throw new RangeError(`token id ${id} out of range`);
    const type = vocab.tokenTypes[id];
    chunks.push(type === TOKEN_TYPE.NORMAL ? tokenTextToBytes(text) : Buffer.from(text, "utf8"));
  }
  return Buffer.concat(chunks).toString("utf8");
}

const vocabCache = new Map<number, BpeVocab>();

/** buildBpeVocab, memoized per size: models of one size share one vocabulary object. */
export function buildBpeVocab(vocabSize: number): BpeVocab {
  let vocab = vocabCache.get(vocabSize);
  if (!vocab) {
    vocab = createBpeVocab(vocabSize);
    vocabCache.set(vocabSize, vocab);
  }
  return vocab;
}

/**
 * Builds the vocabulary of exactly `vocabSize` tokens: byte
 * tokens and learned merges first, then the special tokens, then — when the
 * corpus runs out of merges before the requested size (realistic shapes such
 * as vocab 151936) — "[PADn]" filler tokens of type UNUSED, as llama.cpp's
 * converter pads Qwen's vocabulary.
 */
export function createBpeVocab(vocabSize: number): BpeVocab {
  const specialCount = SPECIAL_TOKEN_NAMES.length;
  if (!Number.isInteger(vocabSize) || vocabSize < 256 + specialCount) {
    throw new RangeError(`vocabSize must be an integer >= ${256 + specialCount}, got ${vocabSize}`);
  }
  const learned = learnMerges(CODE_CORPUS, vocabSize - specialCount);
  const tokens = [...learned.tokens];
  const tokenTypes: number[] = tokens.map(() => TOKEN_TYPE.NORMAL);
  const normalTokenCount = tokens.length;

  const specialIds = {} as Record<SpecialTokenName, number>;
  for (const name of SPECIAL_TOKEN_NAMES) {
    specialIds[name] = tokens.length;
    tokens.push(SPECIAL_TOKENS[name]);
    tokenTypes.push(TOKEN_TYPE.CONTROL);
  }
  while (tokens.length < vocabSize) {
    tokens.push(`[PAD${tokens.length}]`);
    tokenTypes.push(TOKEN_TYPE.UNUSED);
  }

  const corpusTokenIds = CODE_CORPUS.map((doc) => encodeWith(learned.tokens, learned.merges, doc));
  return { tokens, tokenTypes, merges: learned.merges, normalTokenCount, specialIds, corpusTokenIds };
}

/** Every Qwen2.5-Coder style special id, or an error naming the one the vocabulary lacks. */
function qwenStyleIds(ids: VocabSpecialIds): SpecialTokenIds {
  for (const name of SPECIAL_TOKEN_NAMES) if (ids[name] === undefined) throw new Error(`the vocabulary has no ${SPECIAL_TOKENS[name]}: give it specialTokenMetadata`);
  return ids as SpecialTokenIds;
}

/**
 * llama.cpp tokenizer metadata for `vocab`, Qwen2.5-Coder style: BOS, EOS and
 * padding are <|endoftext|> (BOS is never added), EOT is <|im_end|>, and the
 * FIM ids use the tokenizer.ggml.fim_{pre,suf,mid,pad,rep,sep}_token_id keys
 * llama.cpp reads. Both EOS and EOT are end-of-generation tokens there.
 */
export function bpeTokenizerMetadata(vocab: BpeVocab): [string, GgufValue][] {
  return [
    ["tokenizer.ggml.model", str("gpt2")],
    ["tokenizer.ggml.pre", str(vocab.preTokenizer ?? "qwen2")],
    ["tokenizer.ggml.tokens", stringArray(vocab.tokens)],
    ["tokenizer.ggml.token_type", numberArray("int32", vocab.tokenTypes)],
    ["tokenizer.ggml.merges", stringArray(vocab.merges)],
    ...(vocab.specialTokenMetadata ?? qwenSpecialMetadata(qwenStyleIds(vocab.specialIds), true)),
  ];
}

function qwenSpecialMetadata(ids: SpecialTokenIds, fim: boolean): [string, GgufValue][] {
  return [
    ["tokenizer.ggml.bos_token_id", u32(ids.endOfText)],
    ["tokenizer.ggml.eos_token_id", u32(ids.endOfText)],
    ["tokenizer.ggml.eot_token_id", u32(ids.imEnd)],
    ["tokenizer.ggml.padding_token_id", u32(ids.endOfText)],
    ["tokenizer.ggml.add_bos_token", bool(false)],
    ...(fim
      ? ([
          ["tokenizer.ggml.fim_pre_token_id", u32(ids.fimPrefix)],
          ["tokenizer.ggml.fim_suf_token_id", u32(ids.fimSuffix)],
          ["tokenizer.ggml.fim_mid_token_id", u32(ids.fimMiddle)],
          ["tokenizer.ggml.fim_pad_token_id", u32(ids.fimPad)],
          ["tokenizer.ggml.fim_rep_token_id", u32(ids.repoName)],
          ["tokenizer.ggml.fim_sep_token_id", u32(ids.fileSep)],
        ] as [string, GgufValue][])
      : []),
    ["tokenizer.chat_template", str(CHATML_TEMPLATE)],
  ];
}

/** The special tokens an instruct model's vocabulary lacks: FIM's and the repository ones. */
const FIM_TOKEN_NAMES: readonly SpecialTokenName[] = ["fimPrefix", "fimMiddle", "fimSuffix", "fimPad", "repoName", "fileSep"];

/**
 * `vocab` as a chat (instruct) model's: the FIM and repository tokens become unused
 * placeholders at the same ids (so the corpus, and the weights learned from it, are the
 * same) and no FIM ids are written, so neither llama.cpp nor Hearth finds a FIM format.
 * Only the corpus-learned vocabulary (Qwen2.5-Coder style) has them where this expects.
 */
export function withoutFimTokens(vocab: BpeVocab): BpeVocab {
  if (vocab.specialTokenMetadata) throw new Error("withoutFimTokens takes the corpus-learned vocabulary");
  const ids = qwenStyleIds(vocab.specialIds);
  const tokens = [...vocab.tokens];
  const tokenTypes = [...vocab.tokenTypes];
  for (const name of FIM_TOKEN_NAMES) {
    tokens[ids[name]] = `[PAD${ids[name]}]`;
    tokenTypes[ids[name]] = TOKEN_TYPE.UNUSED;
  }
  return { ...vocab, tokens, tokenTypes, specialTokenMetadata: qwenSpecialMetadata(ids, false) };
}
