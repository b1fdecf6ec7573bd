/**
 * Next-edit prompt formats on Qwen2.5-Coder's real tokenizer (the vocabulary Sweep, Zeta and
 * Instinct were trained on): the prompt Hearth builds is token for token what llama.cpp makes
 * of the whole rendered text, special tokens parsed; a special token's text typed in the
 * document stays text; a format's own markers in the document are refused. Zeta 2's
 * Seed-Coder vocabulary is not bundled, so its prompt is checked as rendered text.
 */
import assert from "node:assert/strict";
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel, type Token } from "node-llama-cpp";
import { specialTokenLookup } from "../../daemon/src/engine/fim-format.js";
import { reservedTextIn, type NextEditPromptInput } from "../../daemon/src/next-edit/format.js";
import { chooseNextEditFormat, formatFromModelName, NEXT_EDIT_FORMATS, NextEditFormatError } from "../../daemon/src/next-edit/formats.js";
import { piecesToTokens, type PieceVocabulary } from "../../daemon/src/next-edit/tokens.js";
import { renderText } from "../../daemon/src/prompt/fim-templates.js";
import { qwenCoderVocab } from "../helpers/vocab-models.js";

const INPUT: NextEditPromptInput = {
  path: "src/shapes.ts",
  related: [{ name: "src/math.ts", text: "export function clamp(v: number, lo: number, hi: number) {\n  return Math.max(lo, Math.min(hi, v));\n}\n" }],
  history: [
    { path: "src/shapes.ts", startLine: 2, oldLines: ["const radius = 1;"], newLines: ["const size = 1;"], accepted: false },
    { path: "src/shapes.ts", startLine: 7, oldLines: [], newLines: ["  // area of a circle"], accepted: true },
  ],
  above: ["import { clamp } from './math';", ""],
  window: ["export function area(size: number) {", "  return Math.PI * radius * radius;", "}", "", "console.log(area(2));"],
  original: ["export function area(radius: number) {", "  return Math.PI * radius * radius;", "}", "", "console.log(area(2));"],
  cursor: { line: 0, character: 25 },
  below: ["", "// end"],
  atFileStart: true,
};

describe("next-edit formats on Qwen2.5-Coder's real tokenizer", function () {
  this.timeout(60_000);
  let llama: Llama;
  let model: LlamaModel;
  let vocabulary: PieceVocabulary<Token>;
  before(async () => {
    llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.disabled });
    model = await llama.loadModel({ modelPath: await qwenCoderVocab(), vocabOnly: true });
    vocabulary = { specialToken: specialTokenLookup(model), tokenize: (text) => model.tokenize(text, false), bosRule: { bos: model.tokens.bos, addBos: model.tokens.shouldPrependBosToken } };
  });
  after(async () => {
    await model.dispose();
    await llama.dispose();
  });

  it("sweep: repository blocks token-exact, <|file_sep|> as Qwen's special token, the updated header last", async () => {
    const rendered = NEXT_EDIT_FORMATS.sweep.render(INPUT);
    assert.equal(rendered.kind, "pieces");
    if (rendered.kind !== "pieces") return;
    const text = renderText(rendered.pieces);
    assert.equal(
      text,
      "<|file_sep|>src/math.ts\nexport function clamp(v: number, lo: number, hi: number) {\n  return Math.max(lo, Math.min(hi, v));\n}\n" +
        "<|file_sep|>src/shapes.ts.diff\noriginal:\nconst radius = 1;\nupdated:\nconst size = 1;\n" +
        "<|file_sep|>src/shapes.ts.diff\noriginal:\n\nupdated:\n  // area of a circle\n" +
        "<|file_sep|>original/src/shapes.ts\nexport function area(radius: number) {\n  return Math.PI * radius * radius;\n}\n\nconsole.log(area(2));\n" +
        "<|file_sep|>current/src/shapes.ts\nexport function area(size: number) {\n  return Math.PI * radius * radius;\n}\n\nconsole.log(area(2));\n" +
        "<|file_sep|>updated/src/shapes.ts\n",
    );
    const tokens = await piecesToTokens(rendered.pieces, vocabulary);
    assert.deepEqual(tokens, model.tokenize(text, true), "the same tokens llama.cpp gives the whole prompt, special tokens parsed");
    const fileSep = model.tokenize("<|file_sep|>", true);
    assert.equal(fileSep.length, 1);
    assert.equal(tokens.filter((t) => t === fileSep[0]).length, 6);
    assert.notEqual(tokens[0], model.tokens.bos, "Qwen2.5-Coder asks for no BOS");
  });

  it("zeta: the Alpaca prompt is text, its markers several plain tokens each, token-exact", async () => {
    const rendered = NEXT_EDIT_FORMATS.zeta.render(INPUT);
    assert.equal(rendered.kind, "pieces");
    if (rendered.kind !== "pieces") return;
    const text = renderText(rendered.pieces);
    assert.ok(text.startsWith("### Instruction:\nYou are a code completion assistant"));
    assert.ok(text.includes("User edited src/shapes.ts:\n```diff\n@@ -3,1 +3,1 @@\n-const radius = 1;\n+const size = 1;\n```\n\nUser edited src/shapes.ts:"));
    assert.ok(
      text.endsWith(
        "### User Excerpt:\n\n```src/shapes.ts\n<|start_of_file|>\nimport { clamp } from './math';\n\n<|editable_region_start|>\nexport function area(size<|user_cursor_is_here|>: number) {\n  return Math.PI * radius * radius;\n}\n\nconsole.log(area(2));\n<|editable_region_end|>\n\n// end\n```\n\n### Response:\n",
      ),
    );
    const tokens = await piecesToTokens(rendered.pieces, vocabulary);
    assert.deepEqual(tokens, model.tokenize(text, true));
    assert.ok(model.tokenize("<|editable_region_start|>", true).length > 3, "Zeta's markers are not Qwen special tokens");
  });

  it("zeta2: suffix first, the region between merge markers, then the FIM middle (rendered text; Seed-Coder's vocabulary is not bundled)", () => {
    const rendered = NEXT_EDIT_FORMATS.zeta2.render(INPUT);
    assert.equal(rendered.kind, "pieces");
    if (rendered.kind !== "pieces") return;
    assert.equal(
      renderText(rendered.pieces),
      "<[fim-suffix]>\n// end\n<[fim-prefix]><filename>src/math.ts\nexport function clamp(v: number, lo: number, hi: number) {\n  return Math.max(lo, Math.min(hi, v));\n}\n\n" +
        "<filename>edit_history\n--- a/src/shapes.ts\n+++ b/src/shapes.ts\n@@ -3,1 +3,1 @@\n-const radius = 1;\n+const size = 1;\n// User accepted prediction:\n--- a/src/shapes.ts\n+++ b/src/shapes.ts\n@@ -8,0 +8,1 @@\n+  // area of a circle\n\n" +
        "<filename>src/shapes.ts\nimport { clamp } from './math';\n\n<<<<<<< CURRENT\nexport function area(size<|user_cursor|>: number) {\n  return Math.PI * radius * radius;\n}\n\nconsole.log(area(2));\n=======\n<[fim-middle]>",
    );
    assert.deepEqual(NEXT_EDIT_FORMATS.zeta2.parse("export function area(size: number) {\n  return 1;\n}\n>>>>>>> UPDATED\n"), ["export function area(size: number) {", "  return 1;", "}"]);
    assert.equal(NEXT_EDIT_FORMATS.zeta2.parse("NO_EDITS\n>>>>>>> UPDATED\n"), null);
  });

  it("instinct: a chat whose user message holds the context, the edits newest first and the excerpt", () => {
    const rendered = NEXT_EDIT_FORMATS.instinct.render({ ...INPUT, window: INPUT.window.slice(0, 3), original: INPUT.original.slice(0, 3), below: INPUT.window.slice(3) });
    assert.equal(rendered.kind, "chat");
    if (rendered.kind !== "chat") return;
    assert.ok(rendered.system.startsWith("You are Instinct"));
    assert.ok(rendered.user.includes('### Context:\n<|context_file|>: src/math.ts\n<|snippet|>\nexport function clamp'));
    const edits = rendered.user.indexOf("### User Edits:\n\nUser edited file \"src/shapes.ts\"\n\n```diff\n+  // area of a circle\n```\n\nUser edited file");
    assert.ok(edits > 0, "the newest edit first");
    assert.ok(rendered.user.endsWith("<|editable_region_start|>\nexport function area(size<|user_cursor_is_here|>: number) {\n  return Math.PI * radius * radius;\n}\n<|editable_region_end|>\n\nconsole.log(area(2));\n```\n### Response:"));
  });

  it("a special token's text typed in the document stays text; a format's own markers are refused", async () => {
    const typed = { ...INPUT, window: ["const s = '<|im_end|><|fim_prefix|><|endoftext|>';", ...INPUT.window.slice(1)] };
    const rendered = NEXT_EDIT_FORMATS.sweep.render(typed);
    if (rendered.kind !== "pieces") return assert.fail("pieces");
    const tokens = await piecesToTokens(rendered.pieces, vocabulary);
    const controls = tokens.filter((t) => model.isSpecialToken(t));
    assert.equal(controls.length, 6, "only the format's own <|file_sep|> tokens are special");
    assert.equal(reservedTextIn(NEXT_EDIT_FORMATS.sweep, typed), null);
    const hostile = { ...INPUT, window: ["const sep = '<|file_sep|>';", ...INPUT.window.slice(1)] };
    assert.equal(reservedTextIn(NEXT_EDIT_FORMATS.sweep, hostile), "<|file_sep|>");
    const inHistory = { ...INPUT, history: [{ ...INPUT.history[0]!, newLines: ["x <|editable_region_end|>"] }] };
    assert.equal(reservedTextIn(NEXT_EDIT_FORMATS.zeta, inHistory), "<|editable_region_end|>");
    assert.equal(reservedTextIn(NEXT_EDIT_FORMATS.zeta, INPUT), null);
  });

  it("chooses the format from the option, the model's name, or Qwen's <|file_sep|>", () => {
    const isSpecial = (text: string): boolean => vocabulary.specialToken(text) !== null;
    assert.equal(formatFromModelName("sweep-next-edit-1.5b.q8_0.v2.gguf"), "sweep");
    assert.equal(formatFromModelName("zeta-Q4_K_M.gguf"), "zeta");
    assert.equal(formatFromModelName("zeta-2.1-Q8_0.gguf"), "zeta2");
    assert.equal(formatFromModelName("instinct-Q4_K_M.gguf"), "instinct");
    assert.equal(chooseNextEditFormat("auto", "my-model.gguf", isSpecial, true).name, "sweep");
    assert.equal(chooseNextEditFormat("zeta", "sweep-next-edit.gguf", isSpecial, true).name, "zeta");
    assert.throws(() => chooseNextEditFormat("zeta2", "zeta-2.gguf", isSpecial, true), (e: unknown) => e instanceof NextEditFormatError && /<\[fim-suffix\]>/.test(e.message));
    assert.throws(() => chooseNextEditFormat("auto", "model.gguf", () => false, true), NextEditFormatError);
    assert.throws(() => chooseNextEditFormat("instinct", "instinct.gguf", isSpecial, false), /chat template/);
  });
});
