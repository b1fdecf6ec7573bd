import assert from "node:assert/strict";

import {
  bpeDecode,
  bpeEncode,
  bpeTokenizerMetadata,
  buildBpeVocab,
  byteToUnicode,
  CHATML_TEMPLATE,
  createBpeVocab,
  SPECIAL_TOKENS,
  TOKEN_TYPE,
  tokenTextToBytes,
} from "../../../daemon/src/gguf/bpe-vocab.js";
import { CODE_CORPUS } from "../../../daemon/src/gguf/code-corpus.js";

describe("gguf/bpe-vocab", () => {
  it("uses GPT-2's byte-to-unicode mapping", () => {
    const table = byteToUnicode();
    assert.equal(new Set(table).size, 256);
    assert.equal(table[0x20], "Ġ");
    assert.equal(table[0x0a], "Ċ");
    assert.equal(table[0x09], "ĉ");
    assert.equal(table[0x41], "A");
    assert.deepEqual(Array.from(tokenTextToBytes("ĠaĊ")), [0x20, 0x61, 0x0a]);
  });

  it("builds exactly the requested size: bytes, learned merges, then Qwen-style specials", () => {
    const vocab = buildBpeVocab(1024);
    assert.equal(vocab.tokens.length, 1024);
    assert.equal(vocab.tokenTypes.length, 1024);
    assert.equal(new Set(vocab.tokens).size, 1024, "token texts are unique");
    assert.equal(vocab.normalTokenCount, 1024 - Object.keys(SPECIAL_TOKENS).length);
    assert.deepEqual(vocab.tokens.slice(0, 256), byteToUnicode());
    for (const [name, text] of Object.entries(SPECIAL_TOKENS)) {
      const id = vocab.specialIds[name as keyof typeof SPECIAL_TOKENS] as number;
      assert.equal(vocab.tokens[id], text);
      assert.equal(vocab.tokenTypes[id], TOKEN_TYPE.CONTROL);
    }
    assert.equal(vocab.specialIds.endOfText, vocab.normalTokenCount);
    // Every merge joins two existing tokens into an existing token.
    const known = new Set(vocab.tokens);
    for (const merge of vocab.merges) {
      const [left, right, ...rest] = merge.split(" ");
      assert.equal(rest.length, 0, merge);
      assert.ok(known.has(left!) && known.has(right!) && known.has(left! + right!), merge);
    }
  });

  it("is deterministic", () => {
    assert.deepEqual(createBpeVocab(600), createBpeVocab(600));
  });

  it("pads vocabularies larger than the corpus supports with UNUSED filler tokens", () => {
    const vocab = buildBpeVocab(4096);
    assert.equal(vocab.tokens.length, 4096);
    assert.ok(vocab.normalTokenCount < 4096 - 9, "the corpus runs out of merges first");
    const fillerStart = vocab.normalTokenCount + 9;
    assert.equal(vocab.tokens[fillerStart], `[PAD${fillerStart}]`);
    assert.equal(vocab.tokenTypes[4095], TOKEN_TYPE.UNUSED);
    // Smaller vocabularies are a prefix of the learning order.
    const small = buildBpeVocab(512);
    assert.deepEqual(small.tokens.slice(0, 300), vocab.tokens.slice(0, 300));
  });

  it("encodes and decodes text losslessly, including non-ASCII", () => {
    const vocab = buildBpeVocab(1024);
    const text = "export const café = \"naïve → 🚀\";\n\tif (x) { return 42; }\n";
    const ids = bpeEncode(vocab, text);
    assert.ok(ids.length < Buffer.byteLength(text), "merges shorten the encoding");
    assert.equal(bpeDecode(vocab, ids), text);
    for (const doc of CODE_CORPUS) assert.equal(bpeDecode(vocab, bpeEncode(vocab, doc)), doc);
    assert.deepEqual(vocab.corpusTokenIds[0], bpeEncode(vocab, CODE_CORPUS[0]!));
  });

  it("describes the tokenizer with llama.cpp's metadata keys", () => {
    const vocab = buildBpeVocab(1024);
    const meta = new Map(bpeTokenizerMetadata(vocab));
    const value = (key: string): unknown => meta.get(key)?.value;
    assert.equal(value("tokenizer.ggml.model"), "gpt2");
    assert.equal(value("tokenizer.ggml.pre"), "qwen2");
    assert.equal(value("tokenizer.ggml.tokens"), vocab.tokens);
    assert.equal(value("tokenizer.ggml.merges"), vocab.merges);
    assert.equal(value("tokenizer.ggml.eos_token_id"), vocab.specialIds.endOfText);
    assert.equal(value("tokenizer.ggml.eot_token_id"), vocab.specialIds.imEnd);
    assert.equal(value("tokenizer.ggml.add_bos_token"), false);
    assert.equal(value("tokenizer.ggml.fim_pre_token_id"), vocab.specialIds.fimPrefix);
    assert.equal(value("tokenizer.ggml.fim_suf_token_id"), vocab.specialIds.fimSuffix);
    assert.equal(value("tokenizer.ggml.fim_mid_token_id"), vocab.specialIds.fimMiddle);
    assert.equal(value("tokenizer.ggml.fim_pad_token_id"), vocab.specialIds.fimPad);
    assert.equal(value("tokenizer.ggml.fim_rep_token_id"), vocab.specialIds.repoName);
    assert.equal(value("tokenizer.ggml.fim_sep_token_id"), vocab.specialIds.fileSep);
    assert.equal(value("tokenizer.chat_template"), CHATML_TEMPLATE);
  });
});
