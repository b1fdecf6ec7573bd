import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseGenerated, type HearthConfigSpec } from "../../bench/bench-config.js";
import { loadEvalTasks, renderEvalMarkdown, runEval } from "../../bench/eval-run.js";
import { takeRepeated } from "../../bench/repeated-flags.js";
import { intFlag, parseArgs, stringFlag, UsageError } from "../../args.js";
import { recordAccuracy } from "../../accuracy-record.js";
import { hearthHome } from "../../discovery.js";
import type { EvalVariantReport } from "../../bench/eval-run.js";
import type { VariantAccuracy } from "../../protocol.js";
import { entryScript } from "../common.js";

export const evalHelp = `Usage: hearth eval FILE.jsonl [options]

Fill-in-the-middle accuracy on HumanEval-infilling-style data: one JSON object per line
with "prompt", "suffix" and "canonical_solution" (optional "task_id", "language"; default
python). Each task is completed at the cut through a daemon this command starts; a task
matches when the completion's first non-blank line equals the solution's (whitespace
around it aside). Every precision variant is a column, compared also with the
highest-precision variant's greedy output on the same tasks.

Options:
  --model M          a model to evaluate; repeatable (default: $HEARTH_MODEL, else
                     generated:tiny-target). generated:NAME without @PRECISION means
                     every variant in --precisions
  --precisions LIST  variants to evaluate, comma-separated (default for generated models:
                     F16,Q8_0,Q4_0; for a model file: the file as it is; other variants
                     are asked of the daemon with hearth/precision/set)
  --threads N        daemon CPU threads (default: the daemon's choice)
  --max-tokens N     upper bound per completion (default 64)
  --out FILE         write the JSON report to FILE
  --quiet            no progress on stderr
`;

const DEFAULT_PRECISIONS = ["F16", "Q8_0", "Q4_0"];

export async function evalCommand(argv: readonly string[]): Promise<number> {
  const { rest, values } = takeRepeated(argv, ["model"]);
  const args = parseArgs(rest, { boolean: ["help", "quiet"], value: ["precisions", "threads", "max-tokens", "out"] });
  if (args.flags.has("help")) {
    process.stdout.write(evalHelp);
    return 0;
  }
  if (args.positional.length !== 1) throw new UsageError("eval takes one FILE.jsonl");
  const file = args.positional[0] as string;
  const tasks = loadEvalTasks(file);
  const models = values.get("model") ?? [];
  if (models.length === 0) models.push(process.env.HEARTH_MODEL ?? "generated:tiny-target");
  const listed = stringFlag(args, "precisions")?.split(",").map((p) => p.trim()).filter(Boolean);
  const threads = args.flags.has("threads") ? intFlag(args, "threads", 1, 1, 1024) : undefined;
  const variants: HearthConfigSpec[] = [];
  for (const model of models) {
    const generated = parseGenerated(model);
    const precisions = generated !== null && generated.precision !== null ? [generated.precision] : (listed ?? (generated !== null ? DEFAULT_PRECISIONS : [undefined]));
    for (const precision of precisions) {
      const base = generated !== null ? `generated:${generated.name}` : model;
      const spec: HearthConfigSpec = { kind: "hearth", label: precision === undefined ? path.basename(model) : `${generated !== null ? generated.name : path.basename(model)}@${precision}`, model: base };
      if (precision !== undefined) spec.precision = precision;
      if (threads !== undefined) spec.threads = threads;
      variants.push(spec);
    }
  }
  const quiet = args.flags.has("quiet");
  const report = await runEval({
    file,
    tasks,
    variants,
    entry: entryScript(),
    maxTokens: intFlag(args, "max-tokens", 64, 1, 1024),
    log: (line) => (quiet ? undefined : process.stderr.write(`eval: ${line}\n`)),
  });
  const out = stringFlag(args, "out");
  if (out !== undefined) {
    mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  }
  // Kept in the daemon's home: the precision picker shows each variant's accuracy cost from it.
  recordAccuracy(
    hearthHome(),
    report.variants.map((v) => ({ source: v.model, precision: v.precision, accuracy: accuracyOfReport(v, report.taskCount) })),
  );
  process.stdout.write(renderEvalMarkdown(report));
  return 0;
}

/** One variant's line of the report as the precision picker shows it. */
export function accuracyOfReport(v: EvalVariantReport, tasks: number): VariantAccuracy {
  return { exactMatchRate: v.exactMatchRate, agreementRate: v.agreement?.rate ?? null, reference: v.agreement?.reference ?? null, tasks, measuredAt: new Date().toISOString() };
}
