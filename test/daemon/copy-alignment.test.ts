/**
 * Copy speculation's alignment on Qwen2.5-Coder's real tokens (the vocabulary Sweep, Zeta and
 * Instinct write in): a next-edit output that copies its window is drafted from the window's
 * first token on; after an edit the alignment is found again on the first tokens copied after
 * it, never at an earlier copy of repeated text; and the predictor falls back to prompt lookup
 * while the output is away from the window.
 */
import assert from "node:assert/strict";
import { getLlama, LlamaLogLevel, type Llama, type LlamaContextSequence, type LlamaModel, type Token } from "node-llama-cpp";
import { CopyAlignment } from "../../daemon/src/engine/predictors/copy-alignment.js";
import { LookupTokenPredictor } from "../../daemon/src/engine/predictors/lookup-predictor.js";
import { qwenCoderVocab } from "../helpers/vocab-models.js";

const WINDOW = [
  "import { clamp } from './math';",
  "",
  "export function area(radius: number) {",
  "  const r = clamp(radius, 0, 100);",
  "  return Math.PI * radius * radius;",
  "}",
  "",
  "export function describe(radius: number) {",
  "  return `circle of radius ${radius}`;",
  "}",
  "",
].join("\n");

/** Just what the predictor reads of its target sequence: the count of drafted tokens it accepted. */
function fakeSequence(): LlamaContextSequence & { tokenPredictions: { validated: number } } {
  return { tokenPredictions: { used: 0, unused: 0, validated: 0, refuted: 0 }, disposed: false } as unknown as LlamaContextSequence & { tokenPredictions: { validated: number } };
}

/**
 * Replays `output` against an alignment on `window`, one token at a time: before each token,
 * whether the alignment's one-token draft was that token, and where it stood.
 */
function replay(window: readonly Token[], output: readonly Token[]): { hits: boolean[]; positions: (number | null)[] } {
  const alignment = new CopyAlignment(window);
  const hits: boolean[] = [];
  const positions: (number | null)[] = [];
  for (const token of output) {
    hits.push(alignment.draft(1)[0] === token);
    positions.push(alignment.position);
    alignment.follow(token);
  }
  return { hits, positions };
}

describe("copy speculation's alignment, on Qwen2.5-Coder's real tokens", function () {
  this.timeout(60_000);
  let llama: Llama;
  let model: LlamaModel;
  const tokens = (text: string): Token[] => model.tokenize(text, false);
  /** The index of the first token after `prefix`, which must end at a token boundary. */
  const tokenIndexAt = (window: readonly Token[], prefix: string): number => {
    for (let i = 0; i <= window.length; i++) if (model.detokenize(window.slice(0, i)) === prefix) return i;
    throw new Error(`no token boundary after ${JSON.stringify(prefix)}`);
  };

  before(async () => {
    llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.disabled });
    model = await llama.loadModel({ modelPath: await qwenCoderVocab(), vocabOnly: true });
  });
  after(async () => {
    await model.dispose();
    await llama.dispose();
  });

  it("drafts the window's first tokens before anything is generated, and follows a copy of it to the end", () => {
    const window = tokens(WINDOW);
    assert.ok(window.length > 40, String(window.length));
    const alignment = new CopyAlignment(window);
    assert.deepEqual(alignment.draft(8), window.slice(0, 8));
    const { hits, positions } = replay(window, window);
    assert.ok(hits.every(Boolean), "every token of a copied window was drafted");
    assert.deepEqual(positions, window.map((_, i) => i));
    for (const token of window) alignment.follow(token);
    assert.equal(alignment.position, window.length);
    assert.deepEqual(alignment.draft(8), [], "nothing left to copy at the window's end");
  });

  it("after a rename, loses the alignment at the edit and finds it again three tokens into the copied text after it", () => {
    const window = tokens(WINDOW);
    const output = tokens(WINDOW.replace("  const r = clamp(radius, 0, 100);", "  const r = clamp(size, 0, 100);"));
    assert.equal(output.length, window.length, "one token renamed for one");
    // The first token that differs: the edit.
    let at = 0;
    while (output[at] === window[at]) at++;
    assert.match(model.detokenize([output[at] as Token]), /size/);
    const { hits, positions } = replay(window, output);
    assert.ok(hits.slice(0, at).every(Boolean), "the copy before the edit was drafted whole");
    assert.equal(hits[at], false, "the edit itself is not in the window");
    assert.equal(positions[at + 1], null, "the output left the window");
    const resumed = positions.findIndex((p, i) => i > at && p !== null);
    assert.equal(resumed, at + 4, "realigned once three tokens copied after the edit were found in the window");
    assert.equal(positions[resumed], resumed, "at the place the output copies");
    assert.ok(hits.slice(resumed).every(Boolean), "then drafted to the end");
  });

  it("realigns after the pointer, never on an earlier copy of the same text", () => {
    const lines = ["x = compute(a, b)", "y = other(b)", "x = compute(a, b)", "z = last(c)", ""];
    const window = tokens(lines.join("\n"));
    // The second line is rewritten; then the output copies the third, which is also the first.
    const output = tokens(["x = compute(a, b)", "y = replaced(b, c)", "x = compute(a, b)", "z = last(c)", ""].join("\n"));
    const third = tokenIndexAt(window, lines.slice(0, 2).join("\n") + "\n");
    const { hits, positions } = replay(window, output);
    let at = 0;
    while (output[at] === window[at]) at++;
    const resumed = positions.findIndex((p, i) => i > at && p !== null);
    assert.ok(resumed > at, "realigned");
    assert.ok((positions[resumed] as number) > third, `within the third line (window index ${positions[resumed]}; it starts at ${third}), not the first`);
    assert.ok(hits.slice(resumed).every(Boolean), "and drafted the rest");
  });

  it("an inserted line and a deleted one: each edit costs a few undrafted tokens, the rest is drafted", () => {
    const window = tokens(WINDOW);
    const lines = WINDOW.split("\n");
    // A line inserted after the third, and the sixth line (`}` of describe's neighbour) deleted.
    const output = tokens([...lines.slice(0, 3), "  if (radius < 0) throw new RangeError('radius');", ...lines.slice(3, 8), ...lines.slice(9)].join("\n"));
    const { hits } = replay(window, output);
    const missed = hits.filter((hit) => !hit).length;
    // The inserted line's tokens (about 15) and three tokens after each edit to realign.
    const inserted = tokens("  if (radius < 0) throw new RangeError('radius');\n").length;
    assert.ok(missed <= inserted + 8, `missed ${missed} of ${output.length} (the inserted line is ${inserted})`);
    assert.ok(missed >= 2, "each edit's first token is not in the window");
  });

  it("in the predictor, given the window and the window with the rename carried: drafts from the one the output has followed longer", () => {
    const current = WINDOW.replace("area(radius", "area(size");
    const carried = current.replaceAll("radius", "size");
    const prompt = tokens("<|file_sep|>updated/src/shapes.ts\n");
    const windows = [tokens(current), tokens(carried)];
    const output = windows[1] as Token[];
    const predictor = new LookupTokenPredictor({ minMatch: 3, maxDraft: 4, minDraft: 4 });
    predictor.cutoff = { minDrafted: Number.POSITIVE_INFINITY, minAcceptance: 0 };
    predictor.setCopySource({ windows, outputStart: prompt.length });
    predictor.reset({ targetSequence: fakeSequence(), stateTokens: prompt });
    // One token at a time: before each, whether the draft's first token is the output's.
    let hits = 0;
    for (const token of output) {
      if (predictor.predictTokens()[0] === token) hits++;
      predictor.pushTokens([token]);
    }
    // The first use after the edit is drafted from the window as it is (the first, on a tie); every later one from the carried window.
    assert.equal(hits, output.length - 1, `drafted ${hits} of ${output.length}`);
    // The next step follows the last token: the carried window is copied to its end.
    predictor.predictTokens();
    assert.equal(predictor.copyPositions?.[1], output.length);
    predictor.dispose();
  });

  it("in the predictor: drafts from the window first, falls back to prompt lookup while the output is away from it", () => {
    const prompt = tokens("<prompt> the rewritten window follows: function shout(text) { return text.toUpperCase(); }\n");
    const window = tokens("let total = 0;\nfor (const n of numbers) total += n;\n");
    const predictor = new LookupTokenPredictor({ minMatch: 3, maxDraft: 16, minDraft: 16 });
    // Refuted drafts would end drafting for this generation: not what is tested here.
    predictor.cutoff = { minDrafted: Number.POSITIVE_INFINITY, minAcceptance: 0 };
    predictor.setCopySource({ windows: [window], outputStart: prompt.length });
    const sequence = fakeSequence();
    predictor.reset({ targetSequence: sequence, stateTokens: prompt });
    assert.deepEqual(predictor.predictTokens(), window.slice(0, 16), "the window's first tokens");
    assert.deepEqual(predictor.copyPositions, [0]);
    // The model writes something else: text of the prompt, which lookup finds there.
    for (const token of tokens(" function shout(text)")) predictor.pushTokens([token]);
    const drafted = predictor.predictTokens();
    assert.deepEqual(predictor.copyPositions, [null], "the output left the window");
    assert.ok(model.detokenize(drafted).startsWith(" { return text"), model.detokenize(drafted));
    // Back to the window's text (its second line but the last token): the copy takes over again.
    for (const token of window.slice(tokenIndexAt(window, "let total = 0;\n"), -1)) predictor.pushTokens([token]);
    assert.deepEqual(predictor.predictTokens(), window.slice(-1));
    assert.deepEqual(predictor.copyPositions, [window.length - 1]);
    // A completion on the same sequence: no copy source, lookup alone.
    predictor.setCopySource(null);
    assert.equal(predictor.copyPositions, undefined);
    predictor.dispose();
  });
});
