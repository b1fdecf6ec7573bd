/**
 * `hearth bench --next-edit`: the next-edit traces (bench/traces/next-edit) replayed through
 * daemons with a next-edit model, beside llama-server driven as a plain next-edit client.
 * Its flags are the next-edit role's; the completion bench's own (--spec, --precision, …)
 * are refused as unknown rather than ignored.
 */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { intFlag, parseArgs, stringFlag, UsageError, type ParsedArgs } from "../../args.js";
import { DEFAULT_NEXT_EDIT_MODEL, runNextEditBench, type NextEditConfigSpec, type NextEditHearthConfig } from "../../bench/next-edit-run.js";
import { renderNextEditMarkdown } from "../../bench/next-edit-report.js";
import { takeRepeated } from "../../bench/repeated-flags.js";
import { loadTrace, type Trace } from "../../bench/trace.js";
import { checkPlayable } from "../../bench/trace-editor.js";
import { syntheticPresets } from "../../gguf/model-cache.js";
import { NEXT_EDIT_FORMAT_CHOICES } from "../../next-edit/formats.js";
import { Defaults, Limits } from "../../protocol.js";
import { packageRoot } from "../../version.js";
import { parsePeerFlag } from "./peer-flag.js";
import { entryScript } from "../common.js";

const CONFIG_FLAGS = ["model", "shape", "next-edit-model", "next-edit-backend", "next-edit-format", "threads", "ctx", "label"] as const;

export function nextEditTracesDir(): string {
  return path.join(packageRoot(), "bench", "traces", "next-edit");
}

function defaultTraceFiles(): string[] {
  const dir = nextEditTracesDir();
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => path.join(dir, f));
}

function config(args: ParsedArgs, base: NextEditHearthConfig | null, fallbackLabel: string): NextEditHearthConfig {
  const shape = stringFlag(args, "shape");
  const model = stringFlag(args, "model");
  if (shape !== undefined && model !== undefined) throw new UsageError("give --model or --shape, not both");
  if (shape !== undefined && !(shape in syntheticPresets)) throw new UsageError(`--shape must be one of ${Object.keys(syntheticPresets).join(", ")}; got "${shape}"`);
  const format = stringFlag(args, "next-edit-format");
  if (format !== undefined && !(NEXT_EDIT_FORMAT_CHOICES as readonly string[]).includes(format)) throw new UsageError(`--next-edit-format must be ${NEXT_EDIT_FORMAT_CHOICES.join(", ")}; got "${format}"`);
  const backend = stringFlag(args, "next-edit-backend");
  if (backend !== undefined && !/^(llama-server|openai)=https?:\/\//.test(backend)) throw new UsageError(`--next-edit-backend must be llama-server=URL or openai=URL; got "${backend}"`);
  const spec: NextEditHearthConfig = {
    kind: "hearth",
    label: stringFlag(args, "label") ?? fallbackLabel,
    model: (shape !== undefined ? `generated:${shape}` : model) ?? base?.model ?? "generated:tiny-target",
  };
  // A configuration on a server does not inherit the first one's local model, nor the other way round.
  const nextEditModel = stringFlag(args, "next-edit-model") ?? (backend === undefined && base?.nextEditBackend === undefined ? base?.nextEditModel : undefined);
  if (nextEditModel !== undefined) spec.nextEditModel = nextEditModel;
  if (backend !== undefined) spec.nextEditBackend = backend;
  const nextFormat = format ?? base?.nextEditFormat;
  if (nextFormat !== undefined) spec.nextEditFormat = nextFormat;
  const threads = args.flags.has("threads") ? intFlag(args, "threads", 1, 1, 1024) : base?.threads;
  if (threads !== undefined) spec.threads = threads;
  const ctx = args.flags.has("ctx") ? intFlag(args, "ctx", 4096, 256, 1 << 20) : base?.ctx;
  if (ctx !== undefined) spec.ctx = ctx;
  return spec;
}

function peer(value: string, base: NextEditHearthConfig): NextEditConfigSpec {
  return parsePeerFlag(value, CONFIG_FLAGS, (args, label) => config(args, base, label));
}

export async function runNextEditCommand(argv: readonly string[], help: string, commandLine: string): Promise<number> {
  const { rest, values } = takeRepeated(argv, ["trace", "peer"]);
  const args = parseArgs(rest, { boolean: ["help", "next-edit", "quiet"], value: [...CONFIG_FLAGS, "max-tokens", "out"] });
  if (args.flags.has("help")) {
    process.stdout.write(help);
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
  const main = config(args, null, "hearth");
  if (main.nextEditModel === undefined && main.nextEditBackend === undefined) main.nextEditModel = DEFAULT_NEXT_EDIT_MODEL;
  const configs: NextEditConfigSpec[] = [main, ...(values.get("peer") ?? []).map((p) => peer(p, main))];
  const labels = new Set<string>();
  for (const c of configs) {
    if (labels.has(c.label)) throw new UsageError(`two configurations are labelled "${c.label}"; name one with --label`);
    labels.add(c.label);
  }
  const quiet = args.flags.has("quiet");
  const report = await runNextEditBench({
    traces,
    configs,
    entry: entryScript(),
    maxTokens: intFlag(args, "max-tokens", Defaults.nextEditMaxTokens, 1, Limits.maxNextEditTokens),
    log: (line) => (quiet ? undefined : process.stderr.write(`bench: ${line}\n`)),
    command: commandLine,
  });
  const out = stringFlag(args, "out");
  if (out !== undefined) {
    mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    if (!quiet) process.stderr.write(`bench: wrote ${out}\n`);
  }
  process.stdout.write(renderNextEditMarkdown(report));
  return 0;
}
