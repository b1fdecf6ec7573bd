/**
 * Generated models on a real tokenizer: Qwen2.5-Coder's vocabulary, taken from the llama.cpp
 * source node-llama-cpp ships. The generator's own BPE encoding of the corpus (which shapes
 * the weights) must be llama.cpp's tokenization of it, token for token, and the special and
 * FIM tokens must sit where Qwen2.5-Coder has them.
 */
import assert from "node:assert/strict";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { CODE_CORPUS } from "../../../daemon/src/gguf/code-corpus.js";
import { deepseekCoderVocab, qwenCoderVocab } from "../../../daemon/src/gguf/real-vocab.js";
import { SYNTHETIC_MODEL_PRESETS } from "../../../daemon/src/gguf/synthetic-model.js";
import { qwenCoderVocab as qwenCoderVocabFile, vocabModel } from "../../helpers/vocab-models.js";

describe("gguf/real-vocab: Qwen2.5-Coder's and DeepSeek-Coder's tokenizers", function () {
  this.timeout(120_000);

  it("puts the special and FIM tokens at Qwen2.5-Coder's ids and encodes the corpus as llama.cpp does", async () => {
    const vocab = await qwenCoderVocab(vocabModel("qwen2"));
    assert.equal(vocab.tokens.length, 151936);
    assert.deepEqual(vocab.specialIds, { endOfText: 151643, imStart: 151644, imEnd: 151645, fimPrefix: 151659, fimMiddle: 151660, fimSuffix: 151661, fimPad: 151662, repoName: 151663, fileSep: 151664 });
    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.disabled });
    try {
      const model = await llama.loadModel({ modelPath: await qwenCoderVocabFile(), vocabOnly: true });
      CODE_CORPUS.forEach((doc, i) => assert.deepEqual([...vocab.corpusTokenIds[i]!], [...model.tokenize(doc, false)], `corpus document ${i}`));
      assert.deepEqual([...model.tokenize("<|fim_prefix|><|fim_suffix|><|fim_middle|><|repo_name|><|file_sep|>", true)], [151659, 151661, 151660, 151663, 151664]);
      // Real code is 3-4x fewer tokens than the corpus-learned tiny vocabulary makes of it.
      const chars = CODE_CORPUS.join("").length;
      const tokens = vocab.corpusTokenIds.reduce((n, doc) => n + doc.length, 0);
      assert.ok(chars / tokens > 3, `${(chars / tokens).toFixed(2)} characters per token`);
      await model.dispose();
    } finally {
      await llama.dispose();
    }
  });

  it("DeepSeek-Coder's: its FIM and end tokens at their ids, and the corpus encoded as llama.cpp does (its pre-tokenizer and user-defined tokens)", async () => {
    const vocab = await deepseekCoderVocab(vocabModel("deepseek-coder"));
    assert.equal(vocab.tokens.length, 32256);
    assert.deepEqual(vocab.specialIds, { endOfText: 32014, fimPrefix: 32016, fimSuffix: 32015, fimMiddle: 32017 });
    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.disabled });
    try {
      const model = await llama.loadModel({ modelPath: vocabModel("deepseek-coder"), vocabOnly: true });
      CODE_CORPUS.forEach((doc, i) => assert.deepEqual([...vocab.corpusTokenIds[i]!], [...model.tokenize(doc, false)], `corpus document ${i}`));
      // The corpus holds an "ö", one of DeepSeek's user-defined tokens, which llama.cpp splits out before BPE.
      assert.ok(vocab.corpusTokenIds.some((doc) => doc.includes(32011)));
      assert.deepEqual([...model.tokenize("<｜fim▁begin｜><｜fim▁hole｜><｜fim▁end｜>", true)], [32016, 32015, 32017]);
      await model.dispose();
    } finally {
      await llama.dispose();
    }
  });

  it("is the tokenizer of the generated Qwen2.5-Coder and DeepSeek-Coder shapes", () => {
    assert.equal(SYNTHETIC_MODEL_PRESETS["deepseek-coder-1.3b"].vocabulary, "deepseek-coder");
    assert.equal(SYNTHETIC_MODEL_PRESETS["qwen2.5-coder-0.5b"].vocabulary, "qwen2.5-coder");
    assert.equal(SYNTHETIC_MODEL_PRESETS["qwen2.5-coder-1.5b"].vocabulary, "qwen2.5-coder");
    assert.equal("vocabulary" in SYNTHETIC_MODEL_PRESETS["tiny-target"], false, "the tiny models keep their small vocabulary for fast tests");
  });
});
