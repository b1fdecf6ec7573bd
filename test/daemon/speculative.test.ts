/**
 * Speculative decoding on the generated models, in process: greedy output is the same token
 * for token with and without speculation, drafts get accepted where the text is
 * predictable, the node-llama-cpp patch lets a step accept several drafted tokens, the
 * draft model stays in step after a fully accepted draft, and a draft model with another
 * vocabulary is refused. Then through real daemons: the per-request counts in the metrics,
 * the --spec and --draft options, and the refusal as a failed model load.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ResponseError } from "vscode-jsonrpc/node";
import { getLlama, LlamaLogLevel, TokenPredictor, type Llama, type LlamaContext, type LlamaContextSequence, type LlamaModel, type Token } from "node-llama-cpp";
import { generate } from "../../daemon/src/engine/generate.js";
import type { EngineRun } from "../../daemon/src/pipeline/engine-port.js";
import { DraftModelPredictor } from "../../daemon/src/engine/predictors/draft-predictor.js";
import { LookupTokenPredictor } from "../../daemon/src/engine/predictors/lookup-predictor.js";
import { Speculation } from "../../daemon/src/engine/speculation.js";
import { HearthError } from "../../daemon/src/errors.js";
import { CODE_CORPUS } from "../../daemon/src/gguf/code-corpus.js";
import { ensureSyntheticModel } from "../../daemon/src/gguf/model-cache.js";
import { SYNTHETIC_MODEL_PRESETS } from "../../daemon/src/gguf/synthetic-model.js";
import { ErrorCodes, type RequestMetrics } from "../../daemon/src/protocol.js";
import { repoRoot, runCli, startDaemon, tempHome, type RunningDaemon } from "../helpers/daemon-process.js";
import { testModels } from "../helpers/test-models.js";

/** FIM prompts cut from the corpus the models learned (so drafts have something to get right) and from text they never saw. */
function promptTexts(): { above: string; linePrefix: string; suffix: string }[] {
  const prompts: { above: string; linePrefix: string; suffix: string }[] = [];
  for (const file of CODE_CORPUS) {
    const lines = file.split("\n");
    for (const fraction of [0.25, 0.5, 0.75]) {
      const at = Math.max(1, Math.floor(lines.length * fraction));
      const line = lines[at] ?? "";
      const cut = Math.floor(line.length / 2);
      prompts.push({ above: lines.slice(0, at).join("\n") + "\n", linePrefix: line.slice(0, cut), suffix: line.slice(cut) + "\n" + lines.slice(at + 1).join("\n") });
    }
  }
  prompts.push({ above: "qz7 xv9 kk2 pl0 zz8 mm1 q0 w3 e5 r7 t9 y2 u4 i6 o8 p0\n", linePrefix: "", suffix: "" });
  prompts.push({ above: "", linePrefix: "wibble wobble ", suffix: "" });
  prompts.push({ above: "// Ünïcödé ✓ — “quotes”\n", linePrefix: "const s = '", suffix: "';\n" });
  prompts.push({ above: "", linePrefix: "", suffix: "" });
  return prompts;
}

/** Drafts the known greedy continuation of `prompt`, and records what the target accepted in each step. */
class OraclePredictor extends TokenPredictor {
  readonly acceptedPerStep: number[] = [];
  predictions = 0;
  private held = 0;
  private target: LlamaContextSequence | null = null;
  private validated = 0;

  constructor(
    private readonly promptLength: number,
    private readonly continuation: readonly Token[],
    private readonly length: number,
  ) {
    super();
  }

  reset(params: { targetSequence: LlamaContextSequence; stateTokens: Token[] }): void {
    this.target = params.targetSequence;
    this.held = params.stateTokens.length;
    this.validated = params.targetSequence.tokenPredictions.validated;
  }

  pushTokens(tokens: Token[]): void {
    this.held += tokens.length;
  }

  predictTokens(): Token[] {
    this.observe();
    this.predictions++;
    const generated = this.held - this.promptLength;
    return this.continuation.slice(generated, generated + this.length);
  }

  override stop(): void {
    this.observe();
  }

  /** A step's drafts are validated after predictTokens returns: count them at the next call (or stop). */
  private observe(): void {
    if (this.target === null) return;
    const validated = this.target.tokenPredictions.validated;
    if (validated > this.validated) this.acceptedPerStep.push(validated - this.validated);
    this.validated = validated;
  }
}

const PROMPTS = promptTexts();
const REPETITIVE_LINES = Array.from({ length: 24 }, (_, i) => `  const value${i} = compute(${i}, "item-${i}") + offset;`).join("\n");

describe("speculative decoding", function () {
  this.timeout(300_000);
  let llama: Llama;
  let target: LlamaModel;
  let draft: LlamaModel;
  let context: LlamaContext;
  let draftContext: LlamaContext;
  let selfDraftContext: LlamaContext;

  before(async () => {
    const models = await testModels();
    // One thread: ggml's worker threads spin, and the test machine is shared.
    llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 1 });
    target = await llama.loadModel({ modelPath: models.target });
    draft = await llama.loadModel({ modelPath: models.draft });
    context = await target.createContext({ contextSize: 2048, sequences: 8, threads: 1 });
    draftContext = await draft.createContext({ contextSize: 2048, sequences: 2, threads: 1 });
    // The target as its own draft: every drafted token must then be accepted.
    selfDraftContext = await target.createContext({ contextSize: 2048, sequences: 1, threads: 1 });
  });

  after(async () => {
    await context?.dispose();
    await draftContext?.dispose();
    await selfDraftContext?.dispose();
    await target?.dispose();
    await draft?.dispose();
    await llama?.dispose();
  });

  function fimPrompt(p: { above: string; linePrefix: string; suffix: string }): Token[] {
    const fim = target.tokens.infill;
    assert.ok(fim.prefix !== null && fim.suffix !== null && fim.middle !== null, "the test model has FIM tokens");
    const tokenize = (text: string): Token[] => (text.length === 0 ? [] : target.tokenize(text, false));
    return [fim.prefix, ...tokenize(p.above), fim.suffix, ...tokenize(p.suffix), fim.middle, ...tokenize(p.linePrefix)];
  }

  /** The production path: generate(), with a stop rule that never fires, so only EOS or the limit ends it. */
  async function complete(sequence: LlamaContextSequence, prompt: Token[], maxTokens = 48): Promise<{ outcome: EngineRun; tokens: Token[] }> {
    const outcome = await generate(sequence, target, {
      prompt,
      maxTokens,
      signal: new AbortController().signal,
      onGenerated: () => false,
    });
    // The sequence holds the prompt and every generated token but the last (sampled, not evaluated).
    return { outcome, tokens: sequence.contextTokens.slice(prompt.length) };
  }

  /** A raw greedy loop that runs on through end-of-text tokens, for longer outputs to compare. */
  async function decode(sequence: LlamaContextSequence, prompt: Token[], count: number): Promise<Token[]> {
    await sequence.clearHistory();
    await sequence.evaluateWithoutGeneratingNewTokens(prompt.slice(0, -1));
    const tokens: Token[] = [];
    for await (const token of sequence.evaluate([prompt[prompt.length - 1] as Token], { temperature: 0, yieldEogToken: true })) {
      tokens.push(token);
      if (tokens.length >= count) break;
    }
    return tokens;
  }

  it(`keeps greedy output token for token identical with lookup and with a draft model, over ${PROMPTS.length} prompts`, async () => {
    const plain = context.getSequence();
    const lookup = context.getSequence({ tokenPredictor: new LookupTokenPredictor() });
    const drafted = context.getSequence({ tokenPredictor: new DraftModelPredictor(draftContext.getSequence()) });
    const prompts = PROMPTS.map(fimPrompt);
    const totals = { lookup: { draft: 0, accepted: 0 }, draft: { draft: 0, accepted: 0 } };
    try {
      for (const [i, prompt] of prompts.entries()) {
        // The same sequences serve every prompt, so KV-cache reuse between requests is exercised too.
        const expected = await complete(plain, prompt);
        for (const [name, sequence] of [["lookup", lookup], ["draft", drafted]] as const) {
          const got = await complete(sequence, prompt);
          assert.deepEqual(got.tokens, expected.tokens, `prompt ${i}, ${name}: tokens`);
          assert.equal(got.outcome.generatedText, expected.outcome.generatedText, `prompt ${i}, ${name}: text`);
          assert.equal(got.outcome.generatedTokens, expected.outcome.generatedTokens, `prompt ${i}, ${name}: count`);
          assert.equal(got.outcome.stopReason, expected.outcome.stopReason, `prompt ${i}, ${name}: stop reason`);
          assert.ok(got.outcome.acceptedTokens <= got.outcome.draftTokens);
          totals[name].draft += got.outcome.draftTokens;
          totals[name].accepted += got.outcome.acceptedTokens;
        }
        const longExpected = await decode(plain, prompt, 96);
        assert.deepEqual(await decode(lookup, prompt, 96), longExpected, `prompt ${i}, lookup: 96 tokens through end of text`);
        assert.deepEqual(await decode(drafted, prompt, 96), longExpected, `prompt ${i}, draft: 96 tokens through end of text`);
      }
      // Speculation really ran: the equality above is not the trivial one of a predictor that never drafts.
      assert.ok(totals.lookup.accepted > 0, JSON.stringify(totals));
      assert.ok(totals.draft.accepted > 0, JSON.stringify(totals));
    } finally {
      plain.dispose();
      lookup.dispose();
      drafted.dispose();
    }
  });

  it("accepts prompt-lookup drafts on repetitive code", async () => {
    const sequence = context.getSequence({ tokenPredictor: new LookupTokenPredictor() });
    try {
      // Code that repeats what the model writes: its own completion, copied into the file above.
      const base = { above: `function setup() {\n${REPETITIVE_LINES}\n`, linePrefix: "  const value", suffix: "\n}\n" };
      const first = await complete(sequence, fimPrompt(base), 64);
      const repeated = { ...base, above: `${base.above}  const value${first.outcome.generatedText}\n${base.above}` };
      const { outcome } = await complete(sequence, fimPrompt(repeated), 64);
      assert.ok(outcome.draftTokens > 0 && outcome.acceptedTokens > 0, JSON.stringify(outcome));
      assert.ok(outcome.acceptedTokens >= outcome.generatedTokens / 2, `accepted ${outcome.acceptedTokens} of ${outcome.generatedTokens}`);
    } finally {
      sequence.dispose();
    }
  });

  it("accepts several drafted tokens in one step (the node-llama-cpp patch)", async () => {
    // A predictor that knows the greedy continuation: every draft is right, so only the
    // target limits how many drafted tokens a step keeps. Unpatched node-llama-cpp 3.22.1
    // keeps at most one (it never records the tokens it validated).
    const plain = context.getSequence();
    try {
      const prompt = fimPrompt({ above: "", linePrefix: "export function load", suffix: "" });
      const expected = await decode(plain, prompt, 48);
      const oracle = new OraclePredictor(prompt.length, expected, 6);
      const sequence = context.getSequence({ tokenPredictor: oracle });
      try {
        assert.deepEqual(await decode(sequence, prompt, 48), expected);
        const { validated, refuted } = sequence.tokenPredictions;
        const most = Math.max(0, ...oracle.acceptedPerStep);
        assert.ok(most > 1, `at most ${most} drafted token(s) accepted in a step: is patches/node-llama-cpp+3.22.1.patch applied?`);
        assert.equal(most, 6, "a whole 6-token draft is accepted");
        assert.equal(refuted, 0, "every exact draft is accepted");
        assert.ok(validated >= 40, `validated ${validated}`);
        // 48 tokens in a handful of decode steps, not one step per token.
        assert.ok(oracle.predictions <= 12, `${oracle.predictions} steps`);
      } finally {
        sequence.dispose();
      }
    } finally {
      plain.dispose();
    }
  });

  it("accepts draft-model drafts, and stays in step after fully accepted drafts", async () => {
    const viaDraft = new DraftModelPredictor(draftContext.getSequence(), { maxTokens: 4 });
    const viaSelf = new DraftModelPredictor(selfDraftContext.getSequence(), { maxTokens: 4, minConfidence: 0 });
    const drafted = context.getSequence({ tokenPredictor: viaDraft });
    const selfDrafted = context.getSequence({ tokenPredictor: viaSelf });
    try {
      const prompt = fimPrompt({ above: CODE_CORPUS[0]?.slice(0, 300) ?? "", linePrefix: "export ", suffix: "" });
      const byDraft = await decode(drafted, prompt, 96);
      const byDraftStats = drafted.tokenPredictions;
      assert.ok(byDraftStats.validated > 0, JSON.stringify(byDraftStats));

      // With the target drafting for itself every draft is right; a predictor that lost track
      // of the draft sequence after a fully accepted draft would draft from the wrong context
      // and be refuted from then on.
      viaSelf.stepStats(true);
      assert.deepEqual(await decode(selfDrafted, prompt, 96), byDraft, "same output as with the small draft");
      const { validated, refuted } = selfDrafted.tokenPredictions;
      const steps = viaSelf.stepStats();
      assert.equal(refuted, 0, `validated ${validated}, refuted ${refuted}`);
      assert.ok(steps.maxAcceptedInStep === 4, `max accepted in a step: ${steps.maxAcceptedInStep}`);
      assert.ok(validated >= 60, `validated ${validated} of 96`);
    } finally {
      drafted.dispose();
      selfDrafted.dispose();
    }
  });

  it("refuses a draft model whose vocabulary differs from the target's", async () => {
    const spec = { ...SYNTHETIC_MODEL_PRESETS["tiny-draft"], name: "hearth-tiny-draft-other-vocab", vocabSize: 768 };
    const other = await ensureSyntheticModel(spec, { cacheDir: path.join(repoRoot, ".cache", "test-models"), precision: "Q8_0" });
    const options = { mode: "draft" as const, draftSource: other, modelsDir: path.join(repoRoot, ".cache", "models"), report: () => undefined, sequences: 1, threads: 1 };
    await assert.rejects(Speculation.create(llama, target, context, options), (error: unknown) => {
      assert.ok(error instanceof HearthError, String(error));
      assert.equal(error.code, "HEARTH_ERR_DRAFT_VOCABULARY");
      assert.match(error.message, /vocabulary differs \(the target has 1024 tokens, the draft 768\)/);
      assert.match(error.hint, /same model family|--spec lookup/);
      return true;
    });
    // The real draft passes the same check.
    const ok = await Speculation.create(llama, target, context, { ...options, draftSource: (await testModels()).draft });
    assert.equal(ok.mode, "draft");
    assert.ok(ok.predictor() !== undefined);
    await ok.dispose();
  });
});

describe("speculative decoding through the daemon", function () {
  this.timeout(120_000);
  const uri = "file:///workspace/a/spec.ts";
  const source = `function setup() {\n${REPETITIVE_LINES}\n  \n}\n`;
  const cursor = { line: 25, character: 2 };

  async function twoCompletions(daemon: RunningDaemon): Promise<RequestMetrics[]> {
    const client = await daemon.connect();
    try {
      await client.open({ uri, languageId: "typescript", version: 1, text: source });
      const ask = () => client.complete({ textDocument: { uri }, position: cursor, context: { triggerKind: 1 }, hearth: { maxTokens: 32, mode: "block" } });
      const first = await ask();
      // The same request again: the model writes what it wrote before, which lookup finds
      // in the workspace's recent completions.
      const second = await ask();
      assert.equal(second.items[0]?.insertText, first.items[0]?.insertText, "speculation does not change the text");
      const status = await client.status();
      assert.deepEqual(status.recentRequests.slice(-2).map((m) => [m.draftTokens, m.acceptedTokens]), [first, second].map((r) => [r.metrics.draftTokens, r.metrics.acceptedTokens]), "status records the same counts");
      return [first.metrics, second.metrics];
    } finally {
      client.dispose();
    }
  }

  it("reports drafted and accepted tokens per request with prompt lookup, the default", async () => {
    const daemon = await startDaemon({ model: (await testModels()).target });
    try {
      const [first, second] = await twoCompletions(daemon);
      assert.ok(first && second);
      assert.ok(second.generatedTokens >= 3, `generated ${second.generatedTokens}`);
      assert.ok(second.draftTokens > 0 && second.acceptedTokens > 0, JSON.stringify(second));
      assert.ok(second.acceptedTokens <= second.draftTokens);
    } finally {
      assert.equal(await daemon.stop(), 0, daemon.stderr());
    }
  });

  it("drafts with a draft model given by --draft, and reports none with --spec off", async () => {
    const models = await testModels();
    const drafting = await startDaemon({ model: models.target, args: ["--spec", "draft", "--draft", models.draft] });
    try {
      const [first] = await twoCompletions(drafting);
      assert.ok(first && first.draftTokens > 0 && first.acceptedTokens > 0, JSON.stringify(first));
      const client = await drafting.connect();
      assert.equal((await client.status()).model.draft, models.draft);
      client.dispose();
    } finally {
      assert.equal(await drafting.stop(), 0, drafting.stderr());
    }
    const plain = await startDaemon({ model: models.target, args: ["--spec", "off"] });
    try {
      for (const metrics of await twoCompletions(plain)) assert.deepEqual([metrics.draftTokens, metrics.acceptedTokens], [0, 0]);
    } finally {
      assert.equal(await plain.stop(), 0, plain.stderr());
    }
  });

  it("refuses a draft model with another vocabulary: the model load fails with a clear error", async () => {
    const spec = { ...SYNTHETIC_MODEL_PRESETS["tiny-draft"], name: "hearth-tiny-draft-other-vocab", vocabSize: 768 };
    const other = await ensureSyntheticModel(spec, { cacheDir: path.join(repoRoot, ".cache", "test-models"), precision: "Q8_0" });
    const daemon = await startDaemon({ model: (await testModels()).target, args: ["--draft", other] });
    try {
      const client = await daemon.connect();
      await client.open({ uri, languageId: "typescript", version: 1, text: source });
      const error = await client.complete({ textDocument: { uri }, position: cursor, context: { triggerKind: 1 } }).then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(error instanceof ResponseError, String(error));
      assert.equal(error.code, ErrorCodes.ModelLoadFailed);
      assert.match(error.message, /draft model .* vocabulary differs \(the target has 1024 tokens, the draft 768\)/);
      const status = await client.status();
      assert.equal(status.modelState.state, "failed");
      client.dispose();
    } finally {
      assert.equal(await daemon.stop(), 0, daemon.stderr());
    }
  });

  it("rejects an unknown --spec as a usage error", async () => {
    const home = tempHome();
    try {
      const unknown = await runCli(["serve", "--home", home, "--spec", "sometimes"]);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /--spec must be off, lookup, draft/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("pairs --spec draft with a smaller model of the same family beside the target, by name", async () => {
    const models = await testModels();
    const dir = mkdtempSync(path.join(os.tmpdir(), "hearth-pair-"));
    copyFileSync(models.target, path.join(dir, "tiny-coder-1.5B-Q8_0.gguf"));
    copyFileSync(models.draft, path.join(dir, "tiny-coder-0.5B-Q8_0.gguf"));
    copyFileSync(models.draft, path.join(dir, "other-family-0.1B-Q8_0.gguf"));
    const daemon = await startDaemon({ model: path.join(dir, "tiny-coder-1.5B-Q8_0.gguf"), args: ["--spec", "draft"] });
    try {
      const client = await daemon.connect();
      await client.open({ uri, languageId: "typescript", version: 1, text: source });
      const result = await client.complete({ textDocument: { uri }, position: cursor, context: { triggerKind: 1 } });
      assert.ok(result.metrics.draftTokens > 0, "the paired draft drafted");
      assert.equal((await client.status()).model.draft, path.join(dir, "tiny-coder-0.5B-Q8_0.gguf"));
      client.dispose();
    } finally {
      await daemon.stop();
    }
    const alone = await startDaemon({ model: models.target, args: ["--spec", "draft"] });
    try {
      const client = await alone.connect();
      await client.open({ uri, languageId: "typescript", version: 1, text: source });
      await assert.rejects(client.complete({ textDocument: { uri }, position: cursor, context: { triggerKind: 1 } }), (e: unknown) => e instanceof ResponseError && /no smaller model of the same family/.test(e.message));
      client.dispose();
    } finally {
      await alone.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
