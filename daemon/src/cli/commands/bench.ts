import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { SPEC_MODES, type ConfigSpec, type HearthConfigSpec, type SpecMode } from "../../bench/bench-config.js";
import { runBench } from "../../bench/bench-run.js";
import { takeRepeated } from "../../bench/repeated-flags.js";
import { REPORT_FORMAT, renderMarkdown, renderReadmeTable, type BenchReport } from "../../bench/report.js";
import { formatTrace, loadTrace, parseTrace, type Trace } from "../../bench/trace.js";
import { checkPlayable } from "../../bench/trace-editor.js";
import { typingTraceFromSource } from "../../bench/trace-generator.js";
import { TRACE_RECIPES } from "../../bench/trace-recipes.js";
import { NEXT_EDIT_TRACE_RECIPES } from "../../bench/next-edit-recipes.js";
import { NEXT_EDIT_REPORT_FORMAT, renderNextEditMarkdown, type NextEditBenchReport } from "../../bench/next-edit-report.js";
import { nextEditTracesDir, runNextEditCommand } from "./bench-next-edit.js";
import { syntheticPresets } from "../../gguf/model-cache.js";
import { Defaults, KV_CACHE_TYPES, Limits } from "../../protocol.js";
import { packageRoot } from "../../version.js";
import { intFlag, parseArgs, parseFileRange, stringFlag, UsageError, type ParsedArgs } from "../../args.js";
import { parsePeerFlag } from "./peer-flag.js";
import { entryScript, languageIdFor } from "../common.js";

export const benchHelp = `Usage: hearth bench [options]
       hearth bench --next-edit [next-edit options]
       hearth bench make-traces [--out-dir DIR]
       hearth bench make-trace FILE:START-END [--seed N] [--name NAME] [--out FILE]
       hearth bench report FILE.json [--readme]

Replays editing traces through the real protocol, as the VS Code extension sends them
(document sync, debounce, cancellation), against daemons it starts on temporary homes.
Reports per trace the latency from keystroke to result and to first token (p50/p95/max),
requests sent/cancelled/completed, prompt vs evaluated tokens (cache reuse), tokens/s
against the bandwidth floor (model bytes / measured memory bandwidth), speculation,
memory, start and model load time, and restart to first completion with and without saved
state. Markdown to stdout, JSON with --out.

Options:
  --trace FILE         a trace to replay; repeatable (default: every bench/traces/*.json)
  --model M            .gguf path, hf: URI or generated:NAME[@F16|Q8_0|Q4_0]
                       (default: $HEARTH_MODEL, else generated:tiny-target)
  --shape NAME         a generated model shaped like a real one (${Object.keys(syntheticPresets).join(", ")}); made once, cached
  --precision P        a generated model's variant (F32, F16, Q8_0, Q4_0); for a model
                       file, asked of the daemon (hearth/precision/set)
  --kv T               KV cache type (f16, q8_0, q4_0), asked of the daemon
  --spec S             speculative decoding: off, lookup or draft (default: the daemon's)
  --draft M            draft model for --spec draft (generated:tiny-target pairs with tiny-draft)
  --threads N          daemon CPU threads (default: the daemon's choice; 1 is safest on a
                       busy machine: ggml threads spin)
  --ctx N              context tokens per workspace (default: the daemon's)
  --max-tokens N       upper bound per completion (default ${Defaults.completionMaxTokens}, as the extension asks)
  --backend B          drive a server through Hearth (llama-server=URL or openai=URL, as
                       hearth serve --backend); beside --peer llama-server=URL on the same
                       server this compares Hearth's requests with llama.vscode's
  --peer llama-server=URL
                       also replay against a llama.cpp server's /infill endpoint, driven as
                       llama.vscode drives it (start it on the same model file and threads)
  --peer hearth=FLAGS  also replay against a second Hearth configuration; FLAGS are the
                       options above, e.g. --peer "hearth=--precision Q4_0"; the rest is
                       as in the first configuration. Repeatable.
  --label NAME         the first configuration's column name (default: hearth)
  --out FILE           write the JSON report to FILE
  --no-restart         skip the restart measurements
  --quiet              no progress on stderr

Next edits (--next-edit): replays the next-edit traces (bench/traces/next-edit: a rename,
a new parameter and its call sites, a field's new type; keystrokes, the requests the
extension makes 300 ms after a change and at once after Tab, accepted suggestions) through
a daemon with a next-edit model. Reports per request the prompt and evaluated tokens,
latency, drafted/accepted tokens and the share of the window the output copied, their
p50/p95, and the warm-cache goal: after a document's first request, each request within
the same edit evaluates at most 25% of its prompt.
  --next-edit-model M  the next-edit model: .gguf path or generated:NAME (default
                       generated:tiny-sweep: tiny, on Qwen2.5-Coder's tokenizer, Sweep's format)
  --next-edit-backend llama-server=URL
                       Hearth's next edits through that server (its own count of
                       evaluated tokens); beside --peer llama-server=URL on another server
  --next-edit-format F the prompt format (auto, sweep, zeta, zeta2, instinct)
  --peer llama-server=URL
                       also drive that server as a plain next-edit client: the whole Sweep
                       prompt as text to /completion with cache_prompt, no Hearth in between
  --peer hearth=FLAGS  a second Hearth configuration, e.g.
                       "hearth=--next-edit-backend llama-server=URL"
  --model, --shape, --threads, --ctx, --label, --trace, --out, --quiet as above;
  --max-tokens N       per request (default ${Defaults.nextEditMaxTokens}, as the extension asks)

make-traces regenerates the shipped traces (bench/traces, bench/traces/next-edit) from
their recipes; make-trace turns lines START-END of a source file into a typing trace with a
seeded human rhythm; report prints a saved JSON report as Markdown (--readme: the README's
table).
`;

const CONFIG_FLAGS = ["model", "shape", "precision", "kv", "spec", "draft", "threads", "ctx", "label", "backend"] as const;
const DEFAULT_MODEL = "generated:tiny-target";

function defaultTraceFiles(): string[] {
  const dir = path.join(packageRoot(), "bench", "traces");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => path.join(dir, f));
}

/** A Hearth configuration from flags; unspecified ones come from `base` (the first configuration). */
function hearthConfig(args: ParsedArgs, base: HearthConfigSpec | null, fallbackLabel: string): HearthConfigSpec {
  const shape = stringFlag(args, "shape");
  const model = stringFlag(args, "model");
  if (shape !== undefined && model !== undefined) throw new UsageError("give --model or --shape, not both");
  if (shape !== undefined && !(shape in syntheticPresets)) throw new UsageError(`--shape must be one of ${Object.keys(syntheticPresets).join(", ")}; got "${shape}"`);
  const newModel = shape !== undefined ? `generated:${shape}` : model;
  const kvFlag = stringFlag(args, "kv");
  if (kvFlag !== undefined && !(KV_CACHE_TYPES as readonly string[]).includes(kvFlag)) throw new UsageError(`--kv must be ${KV_CACHE_TYPES.join(", ")}; got "${kvFlag}"`);
  const spec = stringFlag(args, "spec");
  if (spec !== undefined && !(SPEC_MODES as readonly string[]).includes(spec)) throw new UsageError(`--spec must be ${SPEC_MODES.join(", ")}; got "${spec}"`);
  const config: HearthConfigSpec = {
    kind: "hearth",
    label: stringFlag(args, "label") ?? fallbackLabel,
    model: newModel ?? base?.model ?? process.env.HEARTH_MODEL ?? DEFAULT_MODEL,
  };
  // A different model does not inherit the first one's precision or draft.
  const inherit = newModel === undefined ? base : null;
  const precision = stringFlag(args, "precision") ?? inherit?.precision;
  const kv = stringFlag(args, "kv") ?? base?.kv;
  const specMode = (spec as SpecMode | undefined) ?? base?.spec;
  const draft = stringFlag(args, "draft") ?? inherit?.draft;
  const threads = args.flags.has("threads") ? intFlag(args, "threads", 1, 1, 1024) : base?.threads;
  const ctx = args.flags.has("ctx") ? intFlag(args, "ctx", 4096, 256, 1 << 20) : base?.ctx;
  const backend = stringFlag(args, "backend") ?? base?.backend;
  if (backend !== undefined) config.backend = backend;
  if (precision !== undefined) config.precision = precision;
  if (kv !== undefined) config.kv = kv;
  if (specMode !== undefined) config.spec = specMode;
  if (draft !== undefined) config.draft = draft;
  if (threads !== undefined) config.threads = threads;
  if (ctx !== undefined) config.ctx = ctx;
  return config;
}

function peerConfig(value: string, base: HearthConfigSpec): ConfigSpec {
  return parsePeerFlag(value, CONFIG_FLAGS, (args, label) => hearthConfig(args, base, label));
}

/** The arguments as a shell would take them back, without --out FILE. */
function commandLine(argv: readonly string[]): string {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out") {
      i++;
      continue;
    }
    const arg = argv[i] as string;
    kept.push(/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`);
  }
  return kept.join(" ");
}

async function runCommand(argv: readonly string[]): Promise<number> {
  const { rest, values } = takeRepeated(argv, ["trace", "peer"]);
  const args = parseArgs(rest, { boolean: ["help", "no-restart", "quiet"], value: [...CONFIG_FLAGS, "max-tokens", "out"] });
  if (args.flags.has("help")) {
    process.stdout.write(benchHelp);
    return 0;
  }
  if (args.positional.length > 0) throw new UsageError(`unexpected argument "${args.positional[0]}"; traces go with --trace FILE`);
  const traceFiles = values.get("trace") ?? [];
  const traces: Trace[] = (traceFiles.length > 0 ? traceFiles : defaultTraceFiles()).map((f) => checkPlayable(loadTrace(f), f));
  const names = new Set<string>();
  for (const t of traces) {
    if (names.has(t.name)) throw new UsageError(`two traces are named "${t.name}"; give each trace once`);
    names.add(t.name);
  }
  const main = hearthConfig(args, null, "hearth");
  const configs: ConfigSpec[] = [main, ...(values.get("peer") ?? []).map((p) => peerConfig(p, main))];
  const labels = new Set<string>();
  for (const c of configs) {
    if (labels.has(c.label)) throw new UsageError(`two configurations are labelled "${c.label}"; name one with --label`);
    labels.add(c.label);
  }
  const quiet = args.flags.has("quiet");
  const report = await runBench({
    traces,
    configs,
    entry: entryScript(),
    maxTokens: intFlag(args, "max-tokens", Defaults.completionMaxTokens, 1, Limits.maxCompletionTokens),
    restart: !args.flags.has("no-restart"),
    log: (line) => (quiet ? undefined : process.stderr.write(`bench: ${line}\n`)),
    // What made the figures, for the report and the README (--out's path is not part of it).
    command: `hearth bench ${commandLine(argv)}`,
  });
  const out = stringFlag(args, "out");
  if (out !== undefined) {
    mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    if (!quiet) process.stderr.write(`bench: wrote ${out}\n`);
  }
  process.stdout.write(renderMarkdown(report));
  return 0;
}

function makeTraces(argv: readonly string[]): number {
  const args = parseArgs(argv, { boolean: ["help"], value: ["out-dir"] });
  if (args.flags.has("help")) {
    process.stdout.write(benchHelp);
    return 0;
  }
  const root = packageRoot();
  const outDir = stringFlag(args, "out-dir");
  const dir = path.resolve(outDir ?? path.join(root, "bench", "traces"));
  const nextEditDir = outDir === undefined ? nextEditTracesDir() : path.join(dir, "next-edit");
  for (const [recipes, into] of [
    [TRACE_RECIPES, dir],
    [NEXT_EDIT_TRACE_RECIPES, nextEditDir],
  ] as const) {
    mkdirSync(into, { recursive: true });
    for (const recipe of recipes) {
      const trace = checkPlayable(parseTrace(recipe.build(root), recipe.name), recipe.name);
      const file = path.join(into, `${trace.name}.json`);
      writeFileSync(file, formatTrace(trace));
      process.stdout.write(`${file}\n`);
    }
  }
  return 0;
}

function makeTrace(argv: readonly string[]): number {
  const args = parseArgs(argv, { boolean: ["help"], value: ["seed", "name", "out"] });
  if (args.flags.has("help")) {
    process.stdout.write(benchHelp);
    return 0;
  }
  if (args.positional.length !== 1) throw new UsageError("make-trace takes one FILE:START-END");
  const range = parseFileRange(args.positional[0] as string);
  if (range.startLine === null || range.endLine === null) throw new UsageError("make-trace needs the lines to type: FILE:START-END (1-based)");
  const relative = path.relative(process.cwd(), path.resolve(range.file)).split(path.sep).join("/");
  const name = stringFlag(args, "name") ?? path.basename(range.file).replace(/[^A-Za-z0-9_.-]/g, "-");
  const trace = parseTrace(
    typingTraceFromSource({
      name,
      description: `Types lines ${range.startLine}-${range.endLine} of ${relative}.`,
      seed: intFlag(args, "seed", 1, 0, 2 ** 32 - 1),
      source: { path: relative, text: readFileSync(range.file, "utf8"), languageId: languageIdFor(range.file) },
      startLine: range.startLine,
      endLine: range.endLine,
      filePath: relative.startsWith("..") ? path.basename(range.file) : relative,
    }),
    name,
  );
  checkPlayable(trace, name);
  const out = stringFlag(args, "out");
  if (out === undefined) process.stdout.write(formatTrace(trace));
  else writeFileSync(out, formatTrace(trace));
  return 0;
}

function report(argv: readonly string[]): number {
  const args = parseArgs(argv, { boolean: ["help", "readme"], value: [] });
  if (args.flags.has("help")) {
    process.stdout.write(benchHelp);
    return 0;
  }
  if (args.positional.length !== 1) throw new UsageError("report takes one FILE.json");
  const file = args.positional[0] as string;
  const value = JSON.parse(readFileSync(file, "utf8")) as Partial<BenchReport> | Partial<NextEditBenchReport>;
  if (value.format === NEXT_EDIT_REPORT_FORMAT && value.version === 1) {
    process.stdout.write(renderNextEditMarkdown(value as NextEditBenchReport));
    return 0;
  }
  if (value.format !== REPORT_FORMAT || value.version !== 1) throw new Error(`${file} is not a hearth bench report (format "${String(value.format)}")`);
  const full = value as BenchReport;
  process.stdout.write(`${args.flags.has("readme") ? renderReadmeTable(full) : renderMarkdown(full)}\n`);
  return 0;
}

export async function bench(argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (argv.includes("--next-edit")) return runNextEditCommand(argv, benchHelp, `hearth bench ${commandLine(argv)}`);
  if (sub === "make-traces") return makeTraces(rest);
  if (sub === "make-trace") return makeTrace(rest);
  if (sub === "report") return report(rest);
  return runCommand(argv);
}
