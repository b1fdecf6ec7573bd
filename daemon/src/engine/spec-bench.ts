/**
 * Speculative-decoding bench (not a test): decode tokens/s with speculation off, with prompt
 * lookup and with a draft model, in one process on the same model and prompts, so that the
 * ratios mean something on a noisy machine: the modes take turns, every run is repeated,
 * and medians are compared.
 *
 * Three traces:
 * - "repetitive": code whose continuation is already in the file. The prompt is a FIM
 *   prompt on a snippet, preceded by an earlier copy of the same snippet and the code the
 *   model writes after it (its own greedy completion, copied token for token): the situation
 *   of writing the second of two parallel functions, or re-typing a block moved elsewhere.
 * - "refuted": the same, but every fourth token of the earlier copy is another one, so
 *   lookup keeps finding matches and proposing what followed them, and the model refutes
 *   nearly every draft: where speculation can only cost.
 * - "unpredictable": a prompt of seeded random words, so nothing the model writes is in it.
 *
 * Each run is one completion request as the engine makes it: the prompt is already in the
 * KV cache (as after the first keystroke), Speculation.begin/end wrap it as in the engine,
 * and `generate` decodes until the model's end of text or `--tokens`; that is what is timed.
 * Each trace and mode is one workspace across its runs, so the adaptive gate learns as it
 * does in a session (its choices and tries of the other way are in the figures); lookup's
 * search of recent text is off, since every run repeats one request and would find its own
 * earlier answer. The output of every mode must be the tokens it is without speculation.
 * With --through-eot a run decodes --tokens tokens whatever the model writes, end-of-text
 * tokens included: the steady state of a long completion, which the generated models (whose
 * completions end after a line or two) otherwise never reach.
 *
 * Usage: UV_THREADPOOL_SIZE=1 node out/daemon/src/engine/spec-bench.js --out FILE.json
 *          [--threads N] [--tokens N] [--runs N] [--shape tiny|small|qwen2.5-coder-0.5b]
 *          [--precision Q8_0|Q4_0|F16] [--target FILE.gguf] [--draft FILE.gguf]
 *          [--modes off,lookup,draft] [--through-eot]
 * "qwen2.5-coder-0.5b" is the generated shape on Qwen2.5-Coder's real tokenizer; no draft of
 * that vocabulary is generated, so its default modes are off and lookup.
 * Markdown on stdout, the JSON report (every sample) to --out.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { getLlama, getModuleVersion, LlamaLogLevel, type Llama, type LlamaContext, type LlamaContextSequence, type LlamaModel, type Token } from "node-llama-cpp";
import { intFlag, parseArgs, stringFlag, UsageError } from "../args.js";
import { precisionName } from "./engine.js";
import { flashAttentionFor } from "./attention.js";
import { generate } from "./generate.js";
import { SpeculativePredictor } from "./predictors/speculative-predictor.js";
import { Speculation, SPECULATION_MODES, type SpeculationMode } from "./speculation.js";
import { ensureSyntheticModel } from "../gguf/model-cache.js";
import { Mulberry32 } from "../gguf/seeded-random.js";
import { SYNTHETIC_MODEL_PRESETS, type SyntheticModelSpec, type SyntheticPrecision } from "../gguf/synthetic-model.js";
import { packageRoot } from "../version.js";
import { describeMachine, type MachineInfo } from "../machine.js";
import { LIBUV_POOL_ADVICE, libuvPoolIsOneThread } from "./libuv-pool.js";

const ALL_MODES: readonly SpeculationMode[] = SPECULATION_MODES;
const SHAPES = ["tiny", "small", "qwen2.5-coder-0.5b"] as const;

/**
 * A target about 50 times the tiny one (same vocabulary, so tiny-draft drafts for it): big
 * enough that a decode step is weight reads and arithmetic rather than per-call overhead,
 * as with real models, yet generated in seconds.
 */
const SMALL_TARGET: SyntheticModelSpec = {
  ...SYNTHETIC_MODEL_PRESETS["tiny-target"],
  name: "hearth-bench-small-target",
  embeddingLength: 768,
  blockCount: 8,
  feedForwardLength: 2048,
  headCount: 12,
  headCountKv: 4,
};

const SNIPPET = {
  above: 'import { readFile } from "node:fs/promises";\n\nexport async function loadConfig(file: string) {\n  const text = await readFile(file, "utf8");\n',
  linePrefix: "  const ",
  suffix: "\n}\n",
};

const FLAGS = ["out", "threads", "tokens", "runs", "shape", "precision", "target", "draft", "modes"];
const BOOLEAN_FLAGS = ["through-eot"];

export interface SpecBenchOptions {
  out: string;
  threads: number;
  tokens: number;
  runs: number;
  warmup: number;
  /** Decode `tokens` tokens through end-of-text tokens: the steady state of a long completion. */
  throughEndOfText: boolean;
  target: string;
  /** Null when the modes don't include draft. */
  draft: string | null;
  /** Off first: the others are compared with it. */
  modes: SpeculationMode[];
}

export interface ModeResult {
  mode: SpeculationMode;
  /** Decode tokens/s of each timed run, in order. */
  tokensPerS: number[];
  medianTokensPerS: number;
  /** The median over the median without speculation, on the same trace. */
  ratio: number;
  /** All runs' tokens over all runs' time, over the same without speculation: the gate's tries included. */
  overallRatio: number;
  generatedTokens: number;
  draftTokens: number;
  acceptedTokens: number;
  /** Timed runs the adaptive gate let speculate. */
  speculatedRuns: number;
  /** The same tokens as without speculation, in every run. */
  identical: boolean;
}

export interface TraceResult {
  trace: "repetitive" | "refuted" | "unpredictable";
  promptTokens: number;
  /** Tokens a run generates (the same in every mode). */
  tokensPerRun: number;
  modes: ModeResult[];
}

interface ModelDescription {
  file: string;
  name: string;
  precision: string;
  parameters: number;
  bytes: number;
}

export interface SpecBenchReport {
  format: "hearth-spec-bench";
  version: 1;
  date: string;
  machine: MachineInfo;
  runtime: { nodeLlamaCpp: string; gpu: string | false };
  threads: number;
  maxTokens: number;
  throughEndOfText: boolean;
  warmupRuns: number;
  timedRuns: number;
  target: ModelDescription;
  draft: ModelDescription | null;
  traces: TraceResult[];
}

export async function resolveSpecBenchOptions(argv: readonly string[]): Promise<SpecBenchOptions> {
  const args = parseArgs(argv, { value: FLAGS, boolean: BOOLEAN_FLAGS });
  const out = stringFlag(args, "out");
  if (out === undefined) throw new UsageError("--out FILE.json is required");
  const shape = stringFlag(args, "shape") ?? "tiny";
  if (!(SHAPES as readonly string[]).includes(shape)) throw new UsageError(`--shape must be one of ${SHAPES.join(", ")}; got "${shape}"`);
  const precision = stringFlag(args, "precision") ?? "Q8_0";
  if (!["F16", "Q8_0", "Q4_0"].includes(precision)) throw new UsageError(`--precision must be F16, Q8_0 or Q4_0; got "${precision}"`);
  const cacheDir = path.join(packageRoot(), ".cache", "test-models");
  const generated = async (spec: SyntheticModelSpec, p: SyntheticPrecision): Promise<string> => ensureSyntheticModel(spec, { cacheDir, precision: p });
  const targetSpec = shape === "small" ? SMALL_TARGET : shape === "tiny" ? SYNTHETIC_MODEL_PRESETS["tiny-target"] : SYNTHETIC_MODEL_PRESETS["qwen2.5-coder-0.5b"];
  const realVocabulary = shape === "qwen2.5-coder-0.5b" && stringFlag(args, "draft") === undefined;
  const modes = (stringFlag(args, "modes") ?? (realVocabulary ? "off,lookup" : ALL_MODES.join(","))).split(",");
  for (const mode of modes) if (!(ALL_MODES as readonly string[]).includes(mode)) throw new UsageError(`--modes takes ${ALL_MODES.join(", ")}; got "${mode}"`);
  if (modes[0] !== "off") throw new UsageError("--modes must start with off: the other modes are compared with it");
  if (realVocabulary && modes.includes("draft")) throw new UsageError("no generated draft shares Qwen2.5-Coder's vocabulary: pass --draft FILE.gguf");
  return {
    out: path.resolve(out),
    threads: intFlag(args, "threads", 1, 1, 256),
    tokens: intFlag(args, "tokens", 128, 8, 2048),
    runs: intFlag(args, "runs", 20, 1, 1000),
    warmup: 2,
    throughEndOfText: args.flags.has("through-eot"),
    target: stringFlag(args, "target") ?? (await generated(targetSpec, precision as SyntheticPrecision)),
    // The draft stays at 8 bits: it is small either way, and its quality decides acceptance.
    draft: !modes.includes("draft") ? null : (stringFlag(args, "draft") ?? (await generated(SYNTHETIC_MODEL_PRESETS["tiny-draft"], "Q8_0"))),
    modes: modes as SpeculationMode[],
  };
}

function describeModel(model: LlamaModel, file: string): ModelDescription {
  return {
    file: path.basename(file),
    name: String(model.fileInfo.metadata.general.name ?? path.basename(file)),
    precision: precisionName(model.fileInfo.metadata.general.file_type),
    parameters: (model.fileInfo.tensorInfo ?? []).reduce((sum, t) => sum + t.dimensions.reduce<number>((p, d) => p * Number(d), 1), 0),
    bytes: model.size,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Seeded random words: nothing in them is code, and nothing repeats. */
function randomWords(count: number, seed: number): string {
  const random = new Mulberry32(seed);
  const letters = "abcdefghijklmnopqrstuvwxyz";
  const words: string[] = [];
  for (let i = 0; i < count; i++) {
    const length = 3 + Math.floor(random.nextFloat() * 6);
    let word = "";
    for (let j = 0; j < length; j++) word += letters[Math.floor(random.nextFloat() * letters.length)];
    words.push(word);
  }
  return words.join(" ");
}

interface RunResult {
  tokens: Token[];
  text: string;
  generated: number;
  ms: number;
  draftTokens: number;
  acceptedTokens: number;
  /** From the first generated token to the last, for the gate. */
  decodeMs: number;
  generatedTokens: number;
  speculated: boolean;
}

class Bench {
  private readonly sequences = new Map<SpeculationMode, LlamaContextSequence>();
  private readonly speculation = new Map<SpeculationMode, Speculation>();

  private constructor(
    private readonly target: LlamaModel,
    private readonly options: SpecBenchOptions,
  ) {}

  static async create(llama: Llama, target: LlamaModel, context: LlamaContext, options: SpecBenchOptions): Promise<Bench> {
    const bench = new Bench(target, options);
    for (const mode of options.modes) {
      // The daemon's own wiring: predictors, draft context and gates as `hearth serve --spec MODE` makes them.
      const speculation = await Speculation.create(llama, target, context, {
        mode,
        draftSource: mode === "draft" ? options.draft : null,
        modelsDir: path.join(packageRoot(), ".cache", "models"),
        report: () => undefined,
        sequences: 1,
        threads: options.threads,
        recentText: false,
      });
      bench.speculation.set(mode, speculation);
      bench.sequences.set(mode, context.getSequence({ tokenPredictor: speculation.predictor() }));
    }
    return bench;
  }

  fimPrompt(above: Token[], suffix: string, linePrefix: string): Token[] {
    const fim = this.target.tokens.infill;
    if (fim.prefix === null || fim.suffix === null || fim.middle === null) throw new Error("the target model has no FIM tokens");
    return [fim.prefix, ...above, fim.suffix, ...this.tokenize(suffix), fim.middle, ...this.tokenize(linePrefix)];
  }

  tokenize(text: string): Token[] {
    return text.length === 0 ? [] : this.target.tokenize(text, false);
  }

  /** One completion request with the prompt cached up to its last token; the decode is timed. */
  async request(mode: SpeculationMode, prompt: Token[], workspace: string): Promise<RunResult> {
    const sequence = this.sequences.get(mode) as LlamaContextSequence;
    const speculation = this.speculation.get(mode) as Speculation;
    await cachePrompt(sequence, prompt);
    speculation.begin(sequence, workspace, workspace);
    const predictor = sequence.tokenPredictor;
    const speculated = predictor instanceof SpeculativePredictor && predictor.enabled;
    const started = performance.now();
    const run = this.options.throughEndOfText ? await this.decodeThrough(sequence, prompt) : await this.complete(sequence, prompt);
    const ms = performance.now() - started;
    speculation.end(sequence, workspace, workspace, prompt, run);
    return { ...run, ms, speculated };
  }

  /** As the engine completes: `generate`, which stops at the model's end of text. */
  private async complete(sequence: LlamaContextSequence, prompt: Token[]): Promise<Omit<RunResult, "ms" | "speculated">> {
    const outcome = await generate(sequence, this.target, {
      prompt,
      maxTokens: this.options.tokens,
      signal: new AbortController().signal,
      // A rule that never stops: only the model's end of text or the limit ends it.
      onGenerated: () => false,
    });
    // The sequence holds the prompt and every generated token but the last; the text covers that one.
    const tokens = sequence.contextTokens.slice(prompt.length);
    return { tokens, text: outcome.generatedText, generated: outcome.generatedTokens, draftTokens: outcome.draftTokens, acceptedTokens: outcome.acceptedTokens, decodeMs: outcome.decodeMs, generatedTokens: outcome.generatedTokens };
  }

  /** `--through-eot`: a fixed number of tokens, end-of-text tokens included. */
  private async decodeThrough(sequence: LlamaContextSequence, prompt: Token[]): Promise<Omit<RunResult, "ms" | "speculated">> {
    const before = sequence.tokenPredictions;
    const predictor = sequence.tokenPredictor instanceof SpeculativePredictor ? sequence.tokenPredictor : null;
    predictor?.beginGeneration(this.options.tokens);
    const tokens: Token[] = [];
    let first = 0;
    let last = 0;
    for await (const token of sequence.evaluate([prompt[prompt.length - 1] as Token], { temperature: 0, yieldEogToken: true })) {
      last = performance.now();
      if (tokens.length === 0) first = last;
      tokens.push(token);
      predictor?.setRemaining(this.options.tokens - tokens.length);
      if (tokens.length >= this.options.tokens) break;
    }
    const after = sequence.tokenPredictions;
    const acceptedTokens = after.validated - before.validated;
    return { tokens, text: "", generated: tokens.length, draftTokens: acceptedTokens + after.refuted - before.refuted, acceptedTokens, decodeMs: last - first, generatedTokens: tokens.length };
  }

  async trace(name: TraceResult["trace"], prompt: Token[]): Promise<TraceResult> {
    const samples = new Map<SpeculationMode, { tokensPerS: number[]; generated: number; ms: number; draft: number; accepted: number; speculated: number; identical: boolean }>();
    for (const mode of this.options.modes) samples.set(mode, { tokensPerS: [], generated: 0, ms: 0, draft: 0, accepted: 0, speculated: 0, identical: true });
    let expected: RunResult | null = null;
    // Modes take turns within each run, so a burst of load on the machine hits them alike.
    for (let run = 0; run < this.options.warmup + this.options.runs; run++) {
      for (const mode of this.options.modes) {
        // One workspace per trace, across runs: its gate learns as in a session.
        const result = await this.request(mode, prompt, name);
        expected ??= result;
        const sample = samples.get(mode) as NonNullable<ReturnType<typeof samples.get>>;
        const same = result.text === expected.text && result.tokens.length === expected.tokens.length && result.tokens.every((t, i) => t === expected?.tokens[i]);
        if (!same) sample.identical = false;
        if (run < this.options.warmup) continue;
        sample.tokensPerS.push(Math.round((1000 * result.generated) / result.ms));
        sample.generated += result.generated;
        sample.ms += result.ms;
        sample.draft += result.draftTokens;
        sample.accepted += result.acceptedTokens;
        if (result.speculated) sample.speculated++;
      }
    }
    const offMedian = median(samples.get("off")?.tokensPerS ?? [1]);
    const offSample = samples.get("off");
    const offOverall = offSample && offSample.ms > 0 ? offSample.generated / offSample.ms : 1;
    return {
      trace: name,
      promptTokens: prompt.length,
      tokensPerRun: expected?.generated ?? 0,
      modes: this.options.modes.map((mode) => {
        const s = samples.get(mode) as NonNullable<ReturnType<typeof samples.get>>;
        const medianTokensPerS = median(s.tokensPerS);
        return {
          mode,
          tokensPerS: s.tokensPerS,
          medianTokensPerS,
          ratio: Math.round((100 * medianTokensPerS) / offMedian) / 100,
          overallRatio: Math.round((100 * (s.ms > 0 ? s.generated / s.ms : 0)) / offOverall) / 100,
          generatedTokens: s.generated,
          draftTokens: s.draft,
          acceptedTokens: s.accepted,
          speculatedRuns: s.speculated,
          identical: s.identical,
        };
      }),
    };
  }

  /** The greedy completion without speculation, every token of it, for building the repetitive trace. */
  async completion(prompt: Token[]): Promise<Token[]> {
    const sequence = this.sequences.get("off") as LlamaContextSequence;
    await cachePrompt(sequence, prompt);
    const tokens: Token[] = [];
    for await (const token of sequence.evaluate([prompt[prompt.length - 1] as Token], { temperature: 0, yieldEogToken: true })) {
      if (this.target.isEogToken(token)) break;
      tokens.push(token);
      if (tokens.length >= this.options.tokens) break;
    }
    return tokens;
  }

  async dispose(): Promise<void> {
    for (const sequence of this.sequences.values()) sequence.dispose();
    for (const speculation of this.speculation.values()) await speculation.dispose();
  }
}

/** Leaves `sequence` holding all of `prompt` but its last token, as the previous keystroke's request would. */
async function cachePrompt(sequence: LlamaContextSequence, prompt: Token[]): Promise<void> {
  const common = Math.min(sequence.compareContextTokens(prompt).firstDifferentIndex, prompt.length - 1);
  if (sequence.nextTokenIndex > common) await sequence.eraseContextTokenRanges([{ start: common, end: sequence.nextTokenIndex }]);
  if (common < prompt.length - 1) await sequence.evaluateWithoutGeneratingNewTokens(prompt.slice(common, -1));
}

export async function runSpecBench(options: SpecBenchOptions): Promise<SpecBenchReport> {
  const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: options.threads });
  const target = await llama.loadModel({ modelPath: options.target });
  const draft = options.draft === null ? null : await llama.loadModel({ modelPath: options.draft });
  // Attention as the daemon sets it up on this device.
  const context = await target.createContext({ contextSize: 4096, sequences: options.modes.length, threads: options.threads, flashAttention: flashAttentionFor(llama.gpu === false ? "cpu" : "gpu", "f16") });
  const bench = await Bench.create(llama, target, context, options);
  try {
    const above = bench.tokenize(SNIPPET.above);
    const base = bench.fimPrompt(above, SNIPPET.suffix, SNIPPET.linePrefix);
    const written = await bench.completion(base);
    // An earlier copy of the snippet and of what the model writes after it, then the snippet again.
    const copy = [...above, ...bench.tokenize(SNIPPET.linePrefix), ...written, ...bench.tokenize("\n}\n\n"), ...above];
    const repetitive = bench.fimPrompt(copy, SNIPPET.suffix, SNIPPET.linePrefix);
    // Every fourth token of the earlier completion swapped for its neighbour in the vocabulary:
    // three-token matches keep turning up, and what follows them is wrong.
    const decoy = written.map((token, i) => (i % 4 === 3 ? ((token + 1) as Token) : token));
    const refuted = bench.fimPrompt([...above, ...bench.tokenize(SNIPPET.linePrefix), ...decoy, ...bench.tokenize("\n}\n\n"), ...above], SNIPPET.suffix, SNIPPET.linePrefix);
    // About as long as the repetitive prompt: decode time grows with the context.
    const unpredictable = bench.fimPrompt(bench.tokenize(`${randomWords(30, 7)}\n`), "", `${randomWords(3, 11)} `);
    const traces = [await bench.trace("repetitive", repetitive), await bench.trace("refuted", refuted), await bench.trace("unpredictable", unpredictable)];
    return {
      format: "hearth-spec-bench",
      version: 1,
      date: new Date().toISOString(),
      machine: describeMachine(),
      runtime: { nodeLlamaCpp: (await getModuleVersion()) ?? "unknown", gpu: llama.gpu },
      threads: options.threads,
      maxTokens: options.tokens,
      throughEndOfText: options.throughEndOfText,
      warmupRuns: options.warmup,
      timedRuns: options.runs,
      target: describeModel(target, options.target),
      draft: draft === null || options.draft === null ? null : describeModel(draft, options.draft),
      traces,
    };
  } finally {
    await bench.dispose();
    await context.dispose();
    await draft?.dispose();
    await target.dispose();
    await llama.dispose();
  }
}

export function renderSpecBench(report: SpecBenchReport): string {
  const draft = report.draft === null ? "" : `, draft ${report.draft.name} (${report.draft.precision}, ${(report.draft.bytes / 1e6).toFixed(1)} MB)`;
  const modes = report.traces[0]?.modes.map((m) => m.mode).filter((mode) => mode !== "off") ?? [];
  const lines = [
    `Speculative decoding: decode tokens/s, median of ${report.timedRuns} ${report.throughEndOfText ? `runs of ${report.maxTokens} tokens (through end-of-text)` : "completions"} per mode (×: over off; all: every run's tokens over every run's time, the gate's tries included).`,
    "",
    `Target ${report.target.name} (${report.target.precision}, ${(report.target.bytes / 1e6).toFixed(1)} MB)${draft}; ` +
      `${report.runtime.gpu === false ? "CPU" : report.runtime.gpu}, ${report.threads} thread(s), ${report.machine.cpu} (${report.machine.logicalCores} logical cores, load ${report.machine.loadAverage1m}); node-llama-cpp ${report.runtime.nodeLlamaCpp}.`,
    "",
    `| trace | tokens | off | ${modes.map((mode) => `${mode} | × | × all | accepted | speculated runs`).join(" | ")} | same output |`,
    `|---|---:|---:|${modes.map(() => "---:|---:|---:|---:|---:").join("|")}|:---:|`,
  ];
  const share = (m: ModeResult): string => (m.draftTokens > 0 ? `${m.acceptedTokens}/${m.draftTokens} (${Math.round((100 * m.acceptedTokens) / m.draftTokens)}%)` : "0/0");
  for (const trace of report.traces) {
    const off = trace.modes.find((m) => m.mode === "off");
    const cells = modes.map((mode) => {
      const m = trace.modes.find((x) => x.mode === mode) as ModeResult;
      return `${m.medianTokensPerS} | ${m.ratio.toFixed(2)} | ${m.overallRatio.toFixed(2)} | ${share(m)} | ${m.speculatedRuns}/${report.timedRuns}`;
    });
    const identical = trace.modes.every((m) => m.identical) ? "yes" : "**no**";
    lines.push(`| ${trace.trace} | ${trace.tokensPerRun} | ${off?.medianTokensPerS} | ${cells.join(" | ")} | ${identical} |`);
  }
  return `${lines.join("\n")}\n`;
}

async function main(): Promise<void> {
  try {
    // Figures from a bigger pool would not be the daemon's.
    if (!libuvPoolIsOneThread()) throw new UsageError(LIBUV_POOL_ADVICE);
    const options = await resolveSpecBenchOptions(process.argv.slice(2));
    const report = await runSpecBench(options);
    writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(renderSpecBench(report));
  } catch (error) {
    process.stderr.write(`spec-bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
