/**
 * FIM formats per model family on real tokenizers (llama.cpp's vocabulary-only GGUFs): the
 * family is detected from the vocabulary's own special tokens, the prompt is token-exact
 * against the family's documented format tokenized whole, other files' chunks are labelled
 * the family's way, and typing a character at the cursor changes only the prompt's last tokens.
 */
import assert from "node:assert/strict";
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel, type Token } from "node-llama-cpp";
import { fimFormatFor } from "../../daemon/src/engine/fim-format.js";
import { renderHead, renderText, type FimParts } from "../../daemon/src/prompt/fim-templates.js";
import { codeLlamaVocab, qwenCoderVocab, vocabModel } from "../helpers/vocab-models.js";

const PARTS: FimParts = {
  chunks: [{ name: "util/math.py", text: "def clamp(value, low, high):\n    return max(low, min(high, value))\n" }],
  above: "import math\n\ndef area(radius):\n",
  suffix: "\n\nprint(area(2))\n",
  languageId: "python",
  fileName: "geometry.py",
  repoName: "shapes",
};
const MIDDLE = "    return math.pi * radius";

describe("FIM templates on real tokenizers", function () {
  this.timeout(60_000);
  let llama: Llama;
  const models = new Map<string, LlamaModel>();
  const load = async (name: string): Promise<LlamaModel> => {
    const cached = models.get(name);
    if (cached) return cached;
    const modelPath = name === "qwen2.5-coder" ? await qwenCoderVocab() : name === "codellama" ? await codeLlamaVocab() : vocabModel(name);
    const model = await llama.loadModel({ modelPath, vocabOnly: true });
    models.set(name, model);
    return model;
  };
  before(async () => {
    llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.disabled });
  });
  after(async () => {
    for (const model of models.values()) await model.dispose();
    await llama.dispose();
  });

  for (const [vocab, family, label] of [
    ["qwen2.5-coder", "qwen", "<|file_sep|>util/math.py\n"],
    ["codellama", "codellama", "# util/math.py\n"],
    ["starcoder", "starcoder", "<file_sep>util/math.py\n"],
    ["refact", "starcoder", "# util/math.py\n"],
    ["deepseek-coder", "deepseek-coder", "# util/math.py\n"],
  ] as const) {
    it(`${vocab}: detects ${family}, renders token-exact, labels chunks as ${JSON.stringify(label)}, and a keystroke changes only the last tokens`, async () => {
      const model = await load(vocab);
      const format = fimFormatFor(model);
      assert.ok(format, "the vocabulary supports FIM");
      assert.equal(format.family.name, family);
      const rendered = renderText(renderHead(format.family, PARTS));
      assert.ok(rendered.includes(label), `chunk label in ${JSON.stringify(rendered.slice(0, 120))}`);
      assert.ok(!rendered.includes("// util"), "no C-style header in a Python file");
      const prompt = [...(await format.head(PARTS)), ...model.tokenize(MIDDLE, false)];
      // BOS first exactly where the vocabulary asks for it (tokenizer.ggml.add_bos_token), as llama.cpp adds it to a text prompt.
      const bos = model.tokens.shouldPrependBosToken ? [model.tokens.bos as Token] : [];
      assert.deepEqual(prompt, [...bos, ...model.tokenize(rendered + MIDDLE, true)], "the same tokens as the whole format tokenized at once");
      assert.equal(prompt.filter((t) => t === model.tokens.bos).length, bos.length, "BOS once where asked for, never where not");
      const typed = [...(await format.head(PARTS)), ...model.tokenize(`${MIDDLE} `, false)];
      let same = 0;
      while (same < prompt.length && prompt[same] === typed[same]) same++;
      assert.ok(same >= prompt.length - 2, `a keystroke re-tokenized ${prompt.length - same} earlier tokens`);
    });
  }

  it("qwen2.5-coder: the repository format names the workspace and the current file, in Qwen's own tokens", async () => {
    const model = await load("qwen2.5-coder");
    const format = fimFormatFor(model);
    assert.ok(format);
    const text = renderText(renderHead(format.family, PARTS));
    assert.ok(text.startsWith("<|repo_name|>shapes\n<|file_sep|>util/math.py\ndef clamp"), text.slice(0, 80));
    assert.ok(text.includes("<|file_sep|>geometry.py\n<|fim_prefix|>import math"), text);
    const head = await format.head(PARTS);
    assert.equal(head[0], model.tokenize("<|repo_name|>", true)[0], "the repository token is Qwen's special token, and no BOS before it");
  });

  it("starcoder: the repository format names the workspace and the current file", async () => {
    const format = fimFormatFor(await load("starcoder"));
    assert.ok(format);
    const text = renderText(renderHead(format.family, PARTS));
    assert.ok(text.startsWith("<repo_name>shapes\n<file_sep>util/math.py\ndef clamp"), text.slice(0, 80));
    assert.ok(text.includes("<file_sep>geometry.py\n<fim_prefix>import math"), text);
    assert.ok(text.endsWith("<fim_suffix>\n\nprint(area(2))\n<fim_middle>"));
  });

  it("finds no FIM format in a vocabulary without FIM tokens, and refuses a template the vocabulary can't render", async () => {
    const model = await load("llama-spm");
    assert.equal(fimFormatFor(model), null);
    assert.throws(() => fimFormatFor(model, "deepseek-coder"), /needs the token <｜fim▁begin｜>/);
  });
});
