/**
 * Copy-speculation bench for next edits (not a test). The goal it measures: on a window the
 * model copies, drafted tokens accepted ≥ 80% and decode ≥ 2× faster than without drafts.
 * No real next-edit model can be used here, and the generated models write meaningless text
 * that copies nothing, so the two halves of the goal are measured apart:
 *
 * - Acceptance, by replay: each next-edit golden case (test/fixtures/next-edit/*.json: a
 *   document, the user's edits, and what a next-edit model writes for it) is taken through
 *   the real pipeline (history, window, prompt, the window the engine is told the output
 *   copies) on Qwen2.5-Coder's real tokenizer, and the output's tokens are replayed against
 *   the real predictor as the engine drives it: each decode step the predictor drafts, the
 *   draft's prefix that matches the output is accepted, and the step yields that prefix and
 *   one more token. With the copy drafter (the window named) and with prompt lookup alone
 *   (what the engine did before: the window is in the prompt, so lookup can find it too).
 * - Speed, on the generated `qwen2.5-coder-0.5b` shape and a Sweep prompt from the same
 *   pipeline: the output the model writes without drafts is taken as the window it copies
 *   (a prompt changed to contain that output would change a random model's output), so the
 *   run without drafts, with prompt lookup alone, with the copy drafter given that output,
 *   and with it given the output with a few tokens changed mid-way (an edit: the drafter
 *   must realign after it) all write the same tokens, which is checked. Each run is one
 *   request with the prompt cached up to its last token; its decode is timed, `--tokens`
 *   tokens whatever the model writes (end-of-text tokens included: the generated model would
 *   otherwise stop after a few). Modes take turns within each run, every run is repeated,
 *   medians are compared. The window is given to the predictor as the output's tokens, so
 *   that it is exactly what the model writes (the engine tokenizes the window's text).
 *
 * Usage: UV_THREADPOOL_SIZE=1 node out/daemon/src/engine/copy-bench.js --out FILE.json
 *          [--threads N] [--tokens N] [--runs N] [--precision Q8_0|Q4_0|F16] [--target FILE.gguf]
 *          [--replay-only]
 * Markdown on stdout, the JSON report (every sample) to --out.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { getLlama, getModuleVersion, LlamaLogLevel, resolveChatWrapper, type LlamaContextSequence, type LlamaModel, type Token } from "node-llama-cpp";
import { intFlag, parseArgs, stringFlag, UsageError } from "../args.js";
import { emptyOutcome } from "../backend.js";
import { CODE_CORPUS } from "../gguf/code-corpus.js";
import { ensureSyntheticModel } from "../gguf/model-cache.js";
import { SYNTHETIC_MODEL_PRESETS, type SyntheticPrecision } from "../gguf/synthetic-model.js";
import { describeMachine, type MachineInfo } from "../machine.js";
import type { NextEditFormatName } from "../next-edit/format.js";
import { replayGoldenSteps, type GoldenCase } from "../next-edit/golden-case.js";
import type { EnginePort, EngineRun, Vocabulary } from "../pipeline/engine-port.js";
import { runNextEdit } from "../pipeline/next-edit.js";
import { PrefillBudget } from "../prompt/prefill-budget.js";
import { Defaults } from "../protocol.js";
import { packageRoot } from "../version.js";
import { flashAttentionFor } from "./attention.js";
import { precisionName } from "./engine.js";
import { bosRuleOf, specialTokenLookup } from "./fim-format.js";
import { LIBUV_POOL_ADVICE, libuvPoolIsOneThread } from "./libuv-pool.js";
import { LookupTokenPredictor, type CopySource } from "./predictors/lookup-predictor.js";
import { DEFAULT_DRAFT_CUTOFF } from "./predictors/speculative-predictor.js";
import { Speculation } from "./speculation.js";

const FLAGS = ["out", "threads", "tokens", "runs", "precision", "target"];

export interface CopyBenchOptions {
  out: string;
  /** The acceptance replay alone, without the speed runs. */
  replayOnly: boolean;
  threads: number;
  tokens: number;
  runs: number;
  warmup: number;
  target: string;
}

export interface ReplayCounts {
  draftTokens: number;
  acceptedTokens: number;
  /** Decode steps the output took (each yields its accepted drafts and one token more). */
  steps: number;
}

export interface ReplayResult {
  case: string;
  /** golden: the hand-written golden cases; copy and rename: windows of the code corpus the model copies, or renames an identifier through. */
  group: "golden" | "copy" | "rename";
  format: NextEditFormatName;
  windowTokens: number;
  /** Versions of the window the drafter was given (2 where the edit in progress is a rename it carries through). */
  windows: number;
  outputTokens: number;
  copy: ReplayCounts;
  /** The copy drafter given the window as it is alone. */
  copyWindowOnly: ReplayCounts;
  lookup: ReplayCounts;
}

type SpeedMode = "off" | "lookup" | "copy" | "copy-edit";
const SPEED_MODES: readonly SpeedMode[] = ["off", "lookup", "copy", "copy-edit"];

export interface SpeedModeResult {
  mode: SpeedMode;
  /** Decode tokens per second of wall-clock time, each timed run. */
  tokensPerS: number[];
  medianTokensPerS: number;
  /** The median over the median without drafts. */
  ratio: number;
  /**
   * Decode tokens per second of the process's CPU time, each timed run: on a shared machine
   * the wall clock also counts the time other work held the CPU; with one thread the CPU time
   * is what the decode costs.
   */
  tokensPerCpuS: number[];
  medianTokensPerCpuS: number;
  cpuRatio: number;
  draftTokens: number;
  acceptedTokens: number;
  /** Timed runs the adaptive gate let speculate (it times a run without drafts now and then, as in a session). */
  speculatedRuns: number;
  /** Every run wrote the tokens the run without drafts wrote. */
  identical: boolean;
}

export interface CopyBenchReport {
  format: "hearth-copy-bench";
  version: 1;
  date: string;
  machine: MachineInfo;
  runtime: { nodeLlamaCpp: string; gpu: string | false };
  threads: number;
  replay: {
    cutoff: { minDrafted: number; minAcceptance: number };
    cases: ReplayResult[];
    /** Every case's counts together, per group and over all. */
    totals: { group: ReplayResult["group"] | "all"; cases: number; outputTokens: number; copy: ReplayCounts; copyWindowOnly: ReplayCounts; lookup: ReplayCounts }[];
  };
  /** Null with --replay-only. */
  speed: {
    target: { file: string; name: string; precision: string; bytes: number };
    promptTokens: number;
    tokensPerRun: number;
    /** Where the copy-edit window differs from the output: the changed token indexes. */
    editedTokens: number[];
    warmupRuns: number;
    timedRuns: number;
    modes: SpeedModeResult[];
  } | null;
}

export async function resolveCopyBenchOptions(argv: readonly string[]): Promise<CopyBenchOptions> {
  const args = parseArgs(argv, { value: FLAGS, boolean: ["replay-only"] });
  const out = stringFlag(args, "out");
  if (out === undefined) throw new UsageError("--out FILE.json is required");
  const precision = stringFlag(args, "precision") ?? "Q8_0";
  if (!["F16", "Q8_0", "Q4_0"].includes(precision)) throw new UsageError(`--precision must be F16, Q8_0 or Q4_0; got "${precision}"`);
  const target =
    stringFlag(args, "target") ??
    (await ensureSyntheticModel(SYNTHETIC_MODEL_PRESETS["qwen2.5-coder-0.5b"], { cacheDir: path.join(packageRoot(), ".cache", "test-models"), precision: precision as SyntheticPrecision }));
  return { out: path.resolve(out), replayOnly: args.flags.has("replay-only"), threads: intFlag(args, "threads", 1, 1, 256), tokens: intFlag(args, "tokens", 128, 16, 2048), runs: intFlag(args, "runs", 8, 1, 1000), warmup: 2, target };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The prompt tokens and the window the pipeline gives the engine for a case (the engine's run is skipped: `output` is its answer). */
async function pipelineRequest(model: LlamaModel, c: GoldenCase): Promise<{ prompt: Token[]; copyFrom: readonly string[] }> {
  const uri = "file:///bench/case";
  const { text, history } = replayGoldenSteps(c, uri);
  let seen: { prompt: Token[]; copyFrom: readonly string[] } | null = null;
  const port = benchPort(model, (prompt, copyFrom) => (seen = { prompt: [...prompt], copyFrom }), c.output);
  await runNextEdit(port, { workspaceId: "bench", documentUri: uri, text, cursor: c.cursor, path: c.path, events: history.events(uri), format: c.format, maxTokens: Defaults.nextEditMaxTokens, signal: new AbortController().signal });
  if (seen === null) throw new Error(`${c.description}: the pipeline never ran the engine`);
  return seen;
}

/** An engine port on the model's vocabulary (as the engine's own) whose runs answer `output` without evaluating anything. */
function benchPort(model: LlamaModel, onRun: (prompt: readonly Token[], copyFrom: readonly string[]) => void, output: string): EnginePort<Token> {
  const vocabulary: Vocabulary<Token> = {
    fim: null,
    tokenize: (text) => model.tokenize(text, false),
    countTokens: (text) => model.tokenize(text, false).length,
    bosRule: bosRuleOf(model),
    specialToken: specialTokenLookup(model),
  };
  const { text: _text, promptLayout: _layout, ...counts } = emptyOutcome("eos", 0);
  return {
    ready: async () => vocabulary,
    promptRoom: () => 32_000,
    prefillBudget: () => new PrefillBudget(0),
    completionSlot: async () => ({
      held: [],
      hold: () => undefined,
      uncached: (prompt) => prompt.length,
      run: async (prompt, request): Promise<EngineRun> => {
        onRun(prompt, request.copyFrom ?? []);
        return { ...counts, generatedText: output };
      },
      release: () => undefined,
    }),
    renderChat: (messages) =>
      resolveChatWrapper(model)
        .generateContextState({ chatHistory: [{ type: "system", text: messages.system }, { type: "user", text: messages.user }, { type: "model", response: [] }] })
        .contextText.tokenize(model.tokenizer),
    runExplanation: () => Promise.reject(new Error("not used")),
  };
}

/**
 * The output's tokens against the real predictor, as the engine drives it: a draft per
 * decode step, its prefix that matches the output accepted (the sequence's counter, which
 * the predictor reads, counts it), and the step's tokens (the accepted ones and the one
 * sampled after them) pushed to the predictor.
 */
export function replayOutput(prompt: readonly Token[], output: readonly Token[], copy: CopySource | null): ReplayCounts {
  const predictions = { used: 0, unused: 0, validated: 0, refuted: 0 };
  const target = { tokenPredictions: predictions, disposed: false } as unknown as LlamaContextSequence;
  const predictor = new LookupTokenPredictor();
  predictor.cutoff = DEFAULT_DRAFT_CUTOFF;
  predictor.setCopySource(copy);
  // Bounded as a request is (the protocol's default), not by the output's length, which the engine can't know.
  predictor.beginGeneration(Defaults.nextEditMaxTokens);
  predictor.reset({ targetSequence: target, stateTokens: [...prompt] });
  const counts: ReplayCounts = { draftTokens: 0, acceptedTokens: 0, steps: 0 };
  for (let at = 0; at < output.length; ) {
    const draft = predictor.predictTokens();
    let accepted = 0;
    while (accepted < draft.length && at + accepted < output.length && draft[accepted] === output[at + accepted]) accepted++;
    predictions.validated += accepted;
    predictions.refuted += draft.length - accepted;
    counts.draftTokens += draft.length;
    counts.acceptedTokens += accepted;
    counts.steps++;
    for (const token of output.slice(at, at + accepted + 1)) predictor.pushTokens([token]);
    at += accepted + 1;
    predictor.setRemaining(Defaults.nextEditMaxTokens - at);
  }
  predictor.dispose();
  return counts;
}

/** Identifiers too common to be what a user renames. */
const NOT_RENAMED = new Set(
  "import from export const let var return string number boolean function async await private public readonly interface class void true false null undefined this new type extends implements throw Error if else for while of in Promise JSON Math Map Set Array Object length constructor static get set".split(" "),
);
const NEW_NAMES = ["content", "entries", "result", "limit", "items", "source", "target", "buffer", "record"];

/**
 * Windows of the code corpus (daemon/src/gguf/code-corpus.ts: nine short TypeScript files,
 * each about a Sweep window long) with the output a next-edit model writes for them: "copy",
 * the window unchanged after the user added a comment to a line; "rename", the user renamed
 * the file's most used identifier where it first occurs and the model renames every other
 * use in the window. Sweep's format; the output ends with its end marker.
 */
function corpusCases(): { name: string; group: "copy" | "rename"; c: GoldenCase; rewrite: (window: string) => string }[] {
  const cases: { name: string; group: "copy" | "rename"; c: GoldenCase; rewrite: (window: string) => string }[] = [];
  CODE_CORPUS.forEach((document, i) => {
    const lines = document.split("\n");
    const middle = Math.floor(lines.length / 2);
    const commented = `${lines[middle] ?? ""} // checked`;
    cases.push({
      name: `corpus-${i}-copy`,
      group: "copy",
      c: { description: "copied", format: "sweep", path: `src/corpus${i}.ts`, document, steps: [{ setLine: [middle, commented] }], cursor: { line: middle, character: commented.length }, output: "" },
      rewrite: (window) => window,
    });
    const counts = new Map<string, number>();
    for (const word of document.match(/\b[A-Za-z_][A-Za-z0-9_]{3,}\b/g) ?? []) if (!NOT_RENAMED.has(word)) counts.set(word, (counts.get(word) ?? 0) + 1);
    const [name] = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0] ?? [];
    if (name === undefined) return;
    const renamed = NEW_NAMES.find((n) => !document.includes(n)) ?? `${name}Next`;
    const word = new RegExp(`\\b${name}\\b`);
    const line = lines.findIndex((l) => word.test(l));
    const at = (lines[line] as string).search(word);
    const edited = (lines[line] as string).replace(word, renamed);
    cases.push({
      name: `corpus-${i}-rename-${name}`,
      group: "rename",
      c: { description: `${name} renamed`, format: "sweep", path: `src/corpus${i}.ts`, document, steps: [{ setLine: [line, edited] }], cursor: { line, character: at + renamed.length }, output: "" },
      rewrite: (window) => window.replace(new RegExp(`\\b${name}\\b`, "g"), renamed),
    });
  });
  return cases;
}

async function replayCase(model: LlamaModel, name: string, group: ReplayResult["group"], c: GoldenCase, rewrite?: (window: string) => string): Promise<ReplayResult> {
  const { prompt, copyFrom } = await pipelineRequest(model, c);
  // A corpus case's output is its window (as it is now) rewritten, then Sweep's end marker.
  const text = rewrite ? `${rewrite(copyFrom[0] ?? "")}<|file_sep|>` : c.output;
  // The model writes its end marker as the special token where it is one (Sweep's <|file_sep|>).
  const output = model.tokenize(text, true);
  const windows = copyFrom.map((t) => model.tokenize(t, false));
  return {
    case: name,
    group,
    format: c.format,
    windowTokens: windows[0]?.length ?? 0,
    windows: windows.length,
    outputTokens: output.length,
    copy: replayOutput(prompt, output, { windows, outputStart: prompt.length }),
    copyWindowOnly: replayOutput(prompt, output, { windows: windows.slice(0, 1), outputStart: prompt.length }),
    lookup: replayOutput(prompt, output, null),
  };
}

async function replayCases(model: LlamaModel): Promise<CopyBenchReport["replay"]> {
  const dir = path.join(packageRoot(), "test", "fixtures", "next-edit");
  const names = readdirSync(dir)
    .filter((f) => f.endsWith(".json") && !f.endsWith(".expected.json"))
    .sort();
  const cases: ReplayResult[] = [];
  for (const name of names) cases.push(await replayCase(model, name.slice(0, -".json".length), "golden", JSON.parse(readFileSync(path.join(dir, name), "utf8")) as GoldenCase));
  for (const corpus of corpusCases()) cases.push(await replayCase(model, corpus.name, corpus.group, corpus.c, corpus.rewrite));
  const sum = (list: readonly ReplayCounts[]): ReplayCounts => list.reduce((a, b) => ({ draftTokens: a.draftTokens + b.draftTokens, acceptedTokens: a.acceptedTokens + b.acceptedTokens, steps: a.steps + b.steps }), { draftTokens: 0, acceptedTokens: 0, steps: 0 });
  const totals = (["golden", "copy", "rename", "all"] as const).map((group) => {
    const of = cases.filter((r) => group === "all" || r.group === group);
    return { group, cases: of.length, outputTokens: of.reduce((n, r) => n + r.outputTokens, 0), copy: sum(of.map((r) => r.copy)), copyWindowOnly: sum(of.map((r) => r.copyWindowOnly)), lookup: sum(of.map((r) => r.lookup)) };
  });
  return { cutoff: { ...DEFAULT_DRAFT_CUTOFF }, cases, totals };
}

/** Leaves `sequence` holding all of `prompt` but its last token, as the previous keystroke's request would. */
async function cachePrompt(sequence: LlamaContextSequence, prompt: readonly Token[]): Promise<void> {
  const common = Math.min(sequence.compareContextTokens([...prompt]).firstDifferentIndex, prompt.length - 1);
  if (sequence.nextTokenIndex > common) await sequence.eraseContextTokenRanges([{ start: common, end: sequence.nextTokenIndex }]);
  if (common < prompt.length - 1) await sequence.evaluateWithoutGeneratingNewTokens(prompt.slice(common, -1));
}

interface SpeedRun {
  tokens: Token[];
  ms: number;
  /** CPU time the process spent on the decode (every thread): what the decode costs whatever else runs on the machine. */
  cpuMs: number;
  draftTokens: number;
  acceptedTokens: number;
}

/** One request's decode of `count` tokens (end-of-text tokens included), timed from the first token to the last. */
async function decode(sequence: LlamaContextSequence, prompt: readonly Token[], count: number): Promise<SpeedRun> {
  await cachePrompt(sequence, prompt);
  const before = sequence.tokenPredictions;
  const predictor = sequence.tokenPredictor instanceof LookupTokenPredictor ? sequence.tokenPredictor : null;
  predictor?.beginGeneration(count);
  const tokens: Token[] = [];
  const started = performance.now();
  const cpu = process.cpuUsage();
  for await (const token of sequence.evaluate([prompt[prompt.length - 1] as Token], { temperature: 0, yieldEogToken: true })) {
    tokens.push(token);
    predictor?.setRemaining(count - tokens.length);
    if (tokens.length >= count) break;
  }
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const after = sequence.tokenPredictions;
  const acceptedTokens = after.validated - before.validated;
  return { tokens, ms, cpuMs: (used.user + used.system) / 1000, draftTokens: acceptedTokens + after.refuted - before.refuted, acceptedTokens };
}

async function measureSpeed(options: CopyBenchOptions, report: (line: string) => void): Promise<NonNullable<CopyBenchReport["speed"]>> {
  const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: options.threads });
  const model = await llama.loadModel({ modelPath: options.target });
  const context = await model.createContext({ contextSize: 4096, sequences: SPEED_MODES.length, threads: options.threads, flashAttention: flashAttentionFor(llama.gpu === false ? "cpu" : "gpu", "f16") });
  const common = { modelsDir: path.join(packageRoot(), ".cache", "models"), report: () => undefined, sequences: SPEED_MODES.length, threads: options.threads, recentText: false };
  // The daemon's wiring for a next-edit model: lookup mode (which copy-drafts when told a window), or off.
  const lookup = await Speculation.create(llama, model, context, { ...common, mode: "lookup" });
  const off = await Speculation.create(llama, model, context, { ...common, mode: "off" });
  const sequences = new Map<SpeedMode, LlamaContextSequence>(SPEED_MODES.map((mode) => [mode, context.getSequence({ tokenPredictor: (mode === "off" ? off : lookup).predictor() })]));
  try {
    const golden = JSON.parse(readFileSync(path.join(packageRoot(), "test", "fixtures", "next-edit", "sweep-rename-parameter.json"), "utf8")) as GoldenCase;
    const { prompt } = await pipelineRequest(model, golden);
    // The output without drafts is the window the copy modes are given.
    const written = (await decode(sequences.get("off") as LlamaContextSequence, prompt, options.tokens)).tokens;
    // An edit mid-way: three tokens changed, as a rename would change them.
    const editAt = Math.floor(written.length / 2);
    const editedTokens = [editAt, editAt + 1, editAt + 2];
    const edited = written.map((token, i) => (editedTokens.includes(i) ? ((token + 1) as Token) : token));
    const copyOf: Record<SpeedMode, CopySource | null> = {
      off: null,
      lookup: null,
      copy: { windows: [written], outputStart: prompt.length },
      "copy-edit": { windows: [edited], outputStart: prompt.length },
    };
    const samples = new Map<SpeedMode, { tokensPerS: number[]; tokensPerCpuS: number[]; draft: number; accepted: number; speculated: number; identical: boolean }>(SPEED_MODES.map((mode) => [mode, { tokensPerS: [], tokensPerCpuS: [], draft: 0, accepted: 0, speculated: 0, identical: true }]));
    for (let run = 0; run < options.warmup + options.runs; run++) {
      for (const mode of SPEED_MODES) {
        const sequence = sequences.get(mode) as LlamaContextSequence;
        const speculation = mode === "off" ? off : lookup;
        // Each mode its own workspace: its gate learns across runs as in a session.
        speculation.begin(sequence, mode, mode, copyOf[mode]);
        const speculated = sequence.tokenPredictor instanceof LookupTokenPredictor && sequence.tokenPredictor.enabled;
        const result = await decode(sequence, prompt, options.tokens);
        speculation.end(sequence, mode, mode, prompt, { draftTokens: result.draftTokens, acceptedTokens: result.acceptedTokens, decodeMs: result.ms, generatedTokens: result.tokens.length }, copyOf[mode]);
        const sample = samples.get(mode) as NonNullable<ReturnType<typeof samples.get>>;
        if (result.tokens.length !== written.length || result.tokens.some((t, i) => t !== written[i])) sample.identical = false;
        if (run < options.warmup) continue;
        sample.tokensPerS.push(Math.round((1000 * result.tokens.length) / result.ms));
        sample.tokensPerCpuS.push(Math.round((1000 * result.tokens.length) / Math.max(1, result.cpuMs)));
        sample.draft += result.draftTokens;
        sample.accepted += result.acceptedTokens;
        if (speculated) sample.speculated++;
      }
      report(`run ${run + 1}/${options.warmup + options.runs}: ${SPEED_MODES.map((m) => `${m} ${samples.get(m)?.tokensPerS.at(-1) ?? "-"} tok/s, ${samples.get(m)?.tokensPerCpuS.at(-1) ?? "-"} tok/CPU-s`).join("; ")}`);
    }
    const offMedian = median(samples.get("off")?.tokensPerS ?? [1]);
    const offCpuMedian = median(samples.get("off")?.tokensPerCpuS ?? [1]);
    return {
      target: { file: path.basename(options.target), name: String(model.fileInfo.metadata.general.name ?? ""), precision: precisionName(model.fileInfo.metadata.general.file_type), bytes: model.size },
      promptTokens: prompt.length,
      tokensPerRun: written.length,
      editedTokens,
      warmupRuns: options.warmup,
      timedRuns: options.runs,
      modes: SPEED_MODES.map((mode) => {
        const s = samples.get(mode) as NonNullable<ReturnType<typeof samples.get>>;
        const medianTokensPerS = median(s.tokensPerS);
        const medianTokensPerCpuS = median(s.tokensPerCpuS);
        return {
          mode,
          tokensPerS: s.tokensPerS,
          medianTokensPerS,
          ratio: Math.round((100 * medianTokensPerS) / offMedian) / 100,
          tokensPerCpuS: s.tokensPerCpuS,
          medianTokensPerCpuS,
          cpuRatio: Math.round((100 * medianTokensPerCpuS) / offCpuMedian) / 100,
          draftTokens: s.draft, acceptedTokens: s.accepted, speculatedRuns: s.speculated, identical: s.identical };
      }),
    };
  } finally {
    for (const sequence of sequences.values()) sequence.dispose();
    await context.dispose();
    await model.dispose();
    await llama.dispose();
  }
}

export async function runCopyBench(options: CopyBenchOptions, report: (line: string) => void = () => undefined): Promise<CopyBenchReport> {
  // The replay needs only the vocabulary: Qwen2.5-Coder's real one, which the generated shape carries.
  const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: options.threads });
  const vocab = await llama.loadModel({ modelPath: options.target, vocabOnly: true });
  let replay: CopyBenchReport["replay"];
  try {
    replay = await replayCases(vocab);
  } finally {
    await vocab.dispose();
    await llama.dispose();
  }
  const speed = options.replayOnly ? null : await measureSpeed(options, report);
  return {
    format: "hearth-copy-bench",
    version: 1,
    date: new Date().toISOString(),
    machine: describeMachine(),
    runtime: { nodeLlamaCpp: (await getModuleVersion()) ?? "unknown", gpu: false },
    threads: options.threads,
    replay,
    speed,
  };
}

const share = (c: { draftTokens: number; acceptedTokens: number }): string => (c.draftTokens > 0 ? `${c.acceptedTokens}/${c.draftTokens} (${Math.round((100 * c.acceptedTokens) / c.draftTokens)}%)` : "0/0");

export function renderCopyBench(report: CopyBenchReport): string {
  const lines = [
    "Copy speculation replayed on next-edit outputs (Qwen2.5-Coder's tokenizer): drafts accepted, and output tokens per decode step; with the copy drafter (both windows where the edit is a rename), with it given the window as it is alone, and with prompt lookup alone.",
    "",
    "| case | window tokens | output tokens | copy: accepted | tokens/step | window only: accepted | tokens/step | lookup alone: accepted | tokens/step |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  const perStep = (c: ReplayCounts, tokens: number): string => (c.steps > 0 ? (tokens / c.steps).toFixed(2) : "-");
  const cells = (r: { outputTokens: number; copy: ReplayCounts; copyWindowOnly: ReplayCounts; lookup: ReplayCounts }): string =>
    [r.copy, r.copyWindowOnly, r.lookup].map((c) => `${share(c)} | ${perStep(c, r.outputTokens)}`).join(" | ");
  for (const r of report.replay.cases) if (r.group === "golden") lines.push(`| ${r.case}${r.windows > 1 ? " (rename carried)" : ""} | ${r.windowTokens} | ${r.outputTokens} | ${cells(r)} |`);
  for (const t of report.replay.totals) lines.push(`| **${t.group}** (${t.cases} cases) | | ${t.outputTokens} | ${cells(t)} |`);
  const s = report.speed;
  if (s === null) return `${lines.join("\n")}\n`;
  lines.push(
    "",
    `Decode tokens/s on ${s.target.name} (${s.target.precision}, ${(s.target.bytes / 1e6).toFixed(1)} MB), a Sweep prompt of ${s.promptTokens} tokens, ${s.tokensPerRun} tokens a run, median of ${s.timedRuns} runs after ${s.warmupRuns}; CPU, ${report.threads} thread(s), ${report.machine.cpu} (load ${report.machine.loadAverage1m}).`,
    "",
    "| mode | tok/s (wall) | × off | tok/CPU-s | × off | drafts accepted | runs that speculated | same output |",
    "|---|---:|---:|---:|---:|---:|---:|:---:|",
  );
  for (const m of s.modes) lines.push(`| ${m.mode} | ${m.medianTokensPerS} | ${m.ratio.toFixed(2)} | ${m.medianTokensPerCpuS} | ${m.cpuRatio.toFixed(2)} | ${share(m)} | ${m.mode === "off" ? "-" : `${m.speculatedRuns}/${s.timedRuns}`} | ${m.identical ? "yes" : "**no**"} |`);
  return `${lines.join("\n")}\n`;
}

async function main(): Promise<void> {
  try {
    if (!libuvPoolIsOneThread()) throw new UsageError(LIBUV_POOL_ADVICE);
    const options = await resolveCopyBenchOptions(process.argv.slice(2));
    const report = await runCopyBench(options, (line) => process.stderr.write(`${line}\n`));
    writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(renderCopyBench(report));
  } catch (error) {
    process.stderr.write(`copy-bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
