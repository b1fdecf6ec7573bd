// The synthetic models must be real models to llama.cpp: loadable, with the
// FIM/EOS/EOG tokens the engine relies on (and an instruct model without FIM
// tokens), a tokenizer that matches ours, a draft that shares the target's
// vocabulary, and deterministic, varied greedy output.

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import {
  getLlama,
  LlamaChatSession,
  LlamaLogLevel,
  readGgufFileInfo,
  resolveChatWrapper,
  type Llama,
  type LlamaContext,
  type LlamaModel,
  type Token,
} from "node-llama-cpp";

import { bpeEncode, buildBpeVocab, CHATML_TEMPLATE } from "../../../daemon/src/gguf/bpe-vocab.js";
import { CODE_CORPUS } from "../../../daemon/src/gguf/code-corpus.js";
import { ensureSyntheticModel, ensureTestModels } from "../../../daemon/src/gguf/model-cache.js";
import { fimFormatFor } from "../../../daemon/src/engine/fim-format.js";
import { FIM_SPECIAL_TEXTS } from "../../../daemon/src/prompt/fim-format.js";
import { SYNTHETIC_MODEL_PRESETS } from "../../../daemon/src/gguf/synthetic-model.js";

const PROMPTS = [
  "def is_prime(n):\n",
  "export function add",
  "import json\n",
  "class Foo:\n    def bar(self):\n",
  "let total = 0;\nfor (const item of items) {\n",
  "<|fim_prefix|>function add(a, b) {\n  return <|fim_suffix|>;\n}\n<|fim_middle|>",
];

describe("gguf/tiny models in node-llama-cpp", function () {
  this.timeout(60_000);

  const vocab = buildBpeVocab(SYNTHETIC_MODEL_PRESETS["tiny-target"].vocabSize);
  let dir: string;
  let paths: { target: string; draft: string };
  let llama: Llama;
  let target: LlamaModel;
  let draft: LlamaModel;
  let context: LlamaContext;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hearth-tiny-models-"));
    paths = await ensureTestModels(dir, "Q8_0");
    llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
    target = await llama.loadModel({ modelPath: paths.target });
    draft = await llama.loadModel({ modelPath: paths.draft });
    // One thread: on a busy 2-core machine ggml's spinning worker threads
    // slow tiny models down by orders of magnitude.
    context = await target.createContext({ contextSize: 512, threads: 1 });
  });

  after(async () => {
    await context?.dispose();
    await target?.dispose();
    await draft?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  async function greedy(model: LlamaModel, ctx: LlamaContext, prompt: string, maxTokens: number): Promise<Token[]> {
    const sequence = ctx.getSequence();
    try {
      const out: Token[] = [];
      for await (const token of sequence.evaluate(model.tokenize(prompt, true), { temperature: 0, yieldEogToken: true })) {
        out.push(token);
        if (out.length >= maxTokens || model.isEogToken(token)) break;
      }
      return out;
    } finally {
      sequence.dispose();
    }
  }

  it("reads back the metadata and tensor infos we wrote", async () => {
    const info = await readGgufFileInfo(paths.target, { logWarnings: false });
    const spec = SYNTHETIC_MODEL_PRESETS["tiny-target"];
    assert.equal(info.metadata.general.architecture, "llama");
    assert.equal(info.metadata.general.name, spec.name);
    assert.equal(info.architectureMetadata.block_count, spec.blockCount);
    assert.equal(info.architectureMetadata.embedding_length, spec.embeddingLength);
    assert.equal(info.architectureMetadata.attention?.head_count_kv, spec.headCountKv);
    assert.equal(info.metadata.tokenizer.ggml.model, "gpt2");
    assert.equal(info.metadata.tokenizer.ggml.pre, "qwen2");
    assert.equal(info.metadata.tokenizer.chat_template, CHATML_TEMPLATE);
    const embd = info.tensorInfo?.find((t) => t.name === "token_embd.weight");
    assert.deepEqual(embd?.dimensions.map(Number), [spec.embeddingLength, spec.vocabSize]);
    assert.equal(info.tensorInfo?.length, 3 + spec.blockCount * 9);
  });

  it("exposes the FIM, EOS and end-of-generation tokens", () => {
    const ids = vocab.specialIds;
    for (const model of [target, draft]) {
      assert.equal(model.tokens.infill.prefix, ids.fimPrefix);
      assert.equal(model.tokens.infill.suffix, ids.fimSuffix);
      assert.equal(model.tokens.infill.middle, ids.fimMiddle);
      assert.equal(model.tokens.eos, ids.endOfText);
      assert.equal(model.tokens.eot, ids.imEnd);
      assert.equal(model.tokens.shouldPrependBosToken, false);
      assert.ok(model.isEogToken(ids.endOfText as Token));
      assert.ok(model.isEogToken(ids.imEnd as Token));
      assert.ok(!model.isEogToken(ids.fimMiddle as Token));
    }
  });

  it("makes an instruct model without FIM tokens: no infill ids, no FIM format, the chat template and its tokens kept", async () => {
    const file = await ensureSyntheticModel(SYNTHETIC_MODEL_PRESETS["tiny-instruct"], { cacheDir: dir, precision: "Q8_0" });
    const info = await readGgufFileInfo(file, { logWarnings: false });
    assert.equal(info.metadata.tokenizer.chat_template, CHATML_TEMPLATE);
    assert.deepEqual(Object.keys(info.metadata.tokenizer.ggml).filter((key) => key.startsWith("fim_")), []);
    const instruct = await llama.loadModel({ modelPath: file });
    try {
      assert.deepEqual([instruct.tokens.infill.prefix, instruct.tokens.infill.suffix, instruct.tokens.infill.middle], [null, null, null]);
      assert.equal(fimFormatFor(instruct), null, "Hearth finds no FIM format");
      // No FIM text of any family Hearth knows is one token of its vocabulary.
      for (const text of FIM_SPECIAL_TEXTS) assert.ok(instruct.tokenize(text, true).length > 1, text);
      assert.deepEqual(instruct.tokenize("<|im_start|><|im_end|>", true), [vocab.specialIds.imStart, vocab.specialIds.imEnd]);
      assert.equal(instruct.tokens.eos, vocab.specialIds.endOfText);
      // The same corpus-learned tokens as the target's: the ordinary text tokenizes alike.
      for (const doc of CODE_CORPUS.slice(0, 3)) assert.deepEqual(instruct.tokenize(doc), target.tokenize(doc));
    } finally {
      await instruct.dispose();
    }
  });

  it("tokenizes exactly like our BPE and round-trips text, including non-ASCII", () => {
    for (const doc of CODE_CORPUS) assert.deepEqual(target.tokenize(doc), bpeEncode(vocab, doc));
    const snippet = "const café = \"naïve → 🚀\";\n\tif (ünïcode) { return `${x}`; }\r\n";
    assert.equal(target.detokenize(target.tokenize(snippet)), snippet);
    assert.deepEqual(target.tokenize("<|fim_prefix|><|im_end|>", true), [vocab.specialIds.fimPrefix, vocab.specialIds.imEnd]);
    // Without special parsing the text stays text.
    assert.ok(target.tokenize("<|fim_prefix|>").length > 1);
  });

  it("gives the draft exactly the target's vocabulary", async () => {
    const [targetInfo, draftInfo] = await Promise.all([paths.target, paths.draft].map((p) => readGgufFileInfo(p, { logWarnings: false })));
    const targetTokens = targetInfo!.metadata.tokenizer.ggml.tokens;
    assert.equal(targetTokens.length, vocab.tokens.length);
    assert.deepEqual(draftInfo!.metadata.tokenizer.ggml.tokens, targetTokens);
    assert.deepEqual(draftInfo!.metadata.tokenizer.ggml.merges, targetInfo!.metadata.tokenizer.ggml.merges);
    for (let id = 0; id < targetTokens.length; id++) {
      assert.equal(draft.detokenize([id as Token], true), target.detokenize([id as Token], true), `token ${id}`);
    }
  });

  it("greedy-decodes deterministically, varied and dependent on the input", async () => {
    const first = await greedy(target, context, PROMPTS[0]!, 16);
    const second = await greedy(target, context, PROMPTS[0]!, 16);
    assert.deepEqual(second, first);
    assert.ok(first.length >= 8, `only ${first.length} tokens`);
    assert.ok(new Set(first).size > 1, "not one token repeated");
    const other = await greedy(target, context, PROMPTS[2]!, 16);
    assert.notDeepEqual(other, first);
  });

  it("emits newlines and sometimes ends with <|endoftext|>", async () => {
    const runs = [];
    for (const prompt of PROMPTS) runs.push(await greedy(target, context, prompt, 48));
    const texts = runs.map((run) => target.detokenize(run));
    assert.ok(texts.some((text) => text.includes("\n")), "some run has a newline");
    assert.ok(runs.some((run) => run.at(-1) === vocab.specialIds.endOfText), "some run stops by itself");
    assert.ok(new Set(texts).size >= PROMPTS.length - 1, "different prompts give different completions");
  });

  it("has confident but not saturated logits (spread of a few units)", async () => {
    const sequence = context.getSequence();
    try {
      for (const prompt of PROMPTS.slice(0, 3)) {
        await sequence.clearHistory();
        const tokens = target.tokenize(prompt, true);
        const results = await sequence.controlledEvaluate(
          tokens.map((token, i) => (i === tokens.length - 1 ? [token, { generateNext: { logits: true } }] : token)),
        );
        const logits = [...(results.at(-1)?.next?.logits?.values() ?? [])];
        assert.equal(logits.length, vocab.tokens.length);
        const mean = logits.reduce((a, b) => a + b, 0) / logits.length;
        const std = Math.sqrt(logits.reduce((a, b) => a + (b - mean) ** 2, 0) / logits.length);
        assert.ok(std > 1.5 && std < 5, `logit std ${std}`);
      }
    } finally {
      sequence.dispose();
    }
  });

  it("loads and generates at every precision", async () => {
    for (const precision of ["F32", "F16", "Q4_0"] as const) {
      const { target: path } = await ensureTestModels(dir, precision);
      const model = await llama.loadModel({ modelPath: path });
      const ctx = await model.createContext({ contextSize: 256, threads: 1 });
      try {
        const run = await greedy(model, ctx, PROMPTS[0]!, 8);
        assert.ok(run.length > 0 && new Set(run).size > 1, precision);
      } finally {
        await ctx.dispose();
        await model.dispose();
      }
    }
  });

  it("runs the draft too", async () => {
    const draftContext = await draft.createContext({ contextSize: 256, threads: 1 });
    try {
      const run = await greedy(draft, draftContext, PROMPTS[0]!, 16);
      assert.ok(run.length > 0 && new Set(run).size > 1);
    } finally {
      await draftContext.dispose();
    }
  });

  it("is recognised as a ChatML model by its chat template", async () => {
    const wrapper = resolveChatWrapper(target);
    // A specialised ChatML wrapper, not the generic Jinja fallback.
    assert.ok(["ChatMLChatWrapper", "QwenChatWrapper"].includes(wrapper.constructor.name), wrapper.constructor.name);
    const session = new LlamaChatSession({ contextSequence: context.getSequence() });
    try {
      assert.equal(session.chatWrapper.constructor.name, wrapper.constructor.name);
    } finally {
      session.dispose({ disposeSequence: true });
    }
  });
});
