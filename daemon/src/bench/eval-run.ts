/**
 * `hearth eval`: fill-in-the-middle accuracy on HumanEval-infilling-style data. Each task
 * is a document `prompt + suffix` with the cursor where `canonical_solution` was cut out
 * (on a blank line of its own when whole lines were cut, as a user opens one to write
 * them); the daemon completes there (greedy, as it always decodes) through the real protocol. A
 * task counts as an exact match when the first non-blank line of the completion equals the
 * first non-blank line of the solution, surrounding whitespace aside. Each precision
 * variant is a separate daemon; every variant is also compared with the highest-precision
 * one on the same tasks (same completion, same first line), which is what quantization
 * costs apart from accuracy.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileBytes, resolveHearthConfig, switchPrecision, type HearthConfigSpec } from "./bench-config.js";
import { BenchDaemon, connectBench, serveHelpText } from "./bench-daemon.js";
import { latencyStats, type LatencyStats } from "./stats.js";

export interface EvalTask {
  taskId: string;
  prompt: string;
  suffix: string;
  canonicalSolution: string;
  languageId: string;
}

export class EvalFormatError extends Error {
  readonly code = "HEARTH_ERR_BAD_EVAL_FILE";
}

/** Reads a JSONL file of {task_id?, prompt, suffix, canonical_solution, language?} objects. */
export function parseEvalTasks(text: string, where: string): EvalTask[] {
  const tasks: EvalTask[] = [];
  text.split("\n").forEach((line, index) => {
    if (line.trim() === "") return;
    const at = `${where}:${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new EvalFormatError(`${at}: not JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new EvalFormatError(`${at}: each line must be a JSON object`);
    const o = value as Record<string, unknown>;
    const field = (name: string): string => {
      if (typeof o[name] !== "string") throw new EvalFormatError(`${at}: "${name}" must be a string`);
      return o[name] as string;
    };
    const taskId = o.task_id === undefined ? `task-${tasks.length + 1}` : field("task_id");
    const languageId = o.language === undefined ? "python" : field("language");
    tasks.push({ taskId, prompt: field("prompt"), suffix: field("suffix"), canonicalSolution: field("canonical_solution"), languageId });
  });
  if (tasks.length === 0) throw new EvalFormatError(`${where}: no tasks`);
  const ids = new Set<string>();
  for (const t of tasks) {
    if (ids.has(t.taskId)) throw new EvalFormatError(`${where}: task_id "${t.taskId}" appears twice`);
    ids.add(t.taskId);
  }
  return tasks;
}

export function loadEvalTasks(file: string): EvalTask[] {
  return parseEvalTasks(readFileSync(file, "utf8"), file);
}

export function firstLine(text: string): string {
  return (text.split("\n").find((line) => line.trim() !== "") ?? "").trim();
}

/** Bits per weight a precision name implies, to find the highest-precision variant. */
export function precisionRank(precision: string): number {
  const p = precision.toUpperCase();
  if (p.startsWith("F32")) return 32;
  if (p.startsWith("F16") || p.startsWith("BF16")) return 16;
  const q = /^I?Q(\d)/.exec(p);
  return q ? Number(q[1]) : 0;
}

export interface EvalTaskResult {
  taskId: string;
  completion: string;
  exact: boolean;
  latencyMs: number;
  generatedTokens: number;
}

export interface EvalVariantReport {
  label: string;
  model: string;
  precision: string;
  fileBytes: number | null;
  tasks: EvalTaskResult[];
  exactMatches: number;
  exactMatchRate: number;
  latencyMs: LatencyStats;
  decodeTokensPerS: number | null;
  daemonRssBytes: number | null;
  /** Against the highest-precision variant; null for that variant itself. */
  agreement: { reference: string; sameCompletion: number; sameFirstLine: number; rate: number; firstLineRate: number } | null;
}

export interface EvalReport {
  format: "hearth-eval-report";
  version: 1;
  startedAt: string;
  file: string;
  taskCount: number;
  maxTokens: number;
  variants: EvalVariantReport[];
}

export interface EvalOptions {
  file: string;
  tasks: EvalTask[];
  variants: HearthConfigSpec[];
  entry: string;
  maxTokens: number;
  log: (line: string) => void;
}

function taskUri(task: EvalTask, index: number): string {
  const safe = task.taskId.replace(/[^A-Za-z0-9_.-]/g, "_");
  const ext = task.languageId === "python" ? "py" : task.languageId === "typescript" ? "ts" : task.languageId === "javascript" ? "js" : "txt";
  return `file:///hearth-eval/${index}-${safe}.${ext}`;
}

/** prompt + suffix, with a blank line at the cut when the solution was whole lines. */
export function documentText(task: EvalTask): string {
  const wholeLines = (task.prompt === "" || task.prompt.endsWith("\n")) && task.canonicalSolution.endsWith("\n");
  return wholeLines ? `${task.prompt}\n${task.suffix}` : task.prompt + task.suffix;
}

function positionAt(text: string): { line: number; character: number } {
  const lines = text.split("\n");
  return { line: lines.length - 1, character: (lines[lines.length - 1] ?? "").length };
}

async function runVariant(spec: HearthConfigSpec, options: EvalOptions, help: string): Promise<EvalVariantReport> {
  const resolved = await resolveHearthConfig(spec, help, options.log);
  const home = mkdtempSync(path.join(os.tmpdir(), "hearth-eval-"));
  const { daemon, info } = await BenchDaemon.start({ entry: options.entry, home, serveArgs: resolved.serveArgs });
  try {
    const client = await connectBench(info, { uri: "file:///hearth-eval", name: "hearth-eval" });
    try {
      let status = await daemon.waitReady(client);
      if (resolved.switchTo !== null) {
        await switchPrecision(client, status, resolved);
        status = await client.status();
      }
      const results: EvalTaskResult[] = [];
      let decodeMs = 0;
      let decodeTokens = 0;
      for (const [index, task] of options.tasks.entries()) {
        const uri = taskUri(task, index);
        await client.open({ uri, languageId: task.languageId, version: 1, text: documentText(task) });
        const sent = performance.now();
        const result = await client.complete({ textDocument: { uri }, position: positionAt(task.prompt), context: { triggerKind: 1 }, hearth: { maxTokens: options.maxTokens, mode: "auto" } });
        const latencyMs = performance.now() - sent;
        await client.close(uri);
        const completion = result.items[0]?.insertText ?? "";
        const m = result.metrics;
        if (m.firstTokenMs !== null && m.generatedTokens > 1) {
          decodeMs += m.decodeMs;
          decodeTokens += m.generatedTokens - 1;
        }
        const exact = firstLine(completion) !== "" && firstLine(completion) === firstLine(task.canonicalSolution);
        results.push({ taskId: task.taskId, completion, exact, latencyMs: Math.round(latencyMs), generatedTokens: m.generatedTokens });
      }
      status = await client.status();
      const exactMatches = results.filter((r) => r.exact).length;
      return {
        label: spec.label,
        model: spec.model,
        precision: status.model.precision,
        fileBytes: fileBytes(status.model.path ?? resolved.modelFile),
        tasks: results,
        exactMatches,
        exactMatchRate: Math.round((1000 * exactMatches) / results.length) / 1000,
        latencyMs: latencyStats(results.map((r) => r.latencyMs)),
        decodeTokensPerS: decodeMs > 0 ? Math.round((decodeTokens * 10000) / decodeMs) / 10 : null,
        daemonRssBytes: status.memory.daemonRssBytes,
        agreement: null,
      };
    } finally {
      client.dispose();
    }
  } finally {
    await daemon.stop(info).catch(() => daemon.kill());
    rmSync(home, { recursive: true, force: true });
  }
}

export async function runEval(options: EvalOptions): Promise<EvalReport> {
  const startedAt = new Date().toISOString();
  const help = serveHelpText(options.entry);
  const variants: EvalVariantReport[] = [];
  for (const spec of options.variants) {
    options.log(`evaluating ${spec.label} on ${options.tasks.length} tasks`);
    variants.push(await runVariant(spec, options, help));
  }
  const reference = [...variants].sort((a, b) => precisionRank(b.precision) - precisionRank(a.precision))[0];
  if (reference !== undefined) {
    for (const v of variants) {
      if (v === reference) continue;
      let same = 0;
      let sameFirst = 0;
      v.tasks.forEach((t, i) => {
        const r = reference.tasks[i];
        if (r === undefined) return;
        if (t.completion === r.completion) same++;
        if (firstLine(t.completion) === firstLine(r.completion)) sameFirst++;
      });
      const n = v.tasks.length;
      v.agreement = { reference: reference.label, sameCompletion: same, sameFirstLine: sameFirst, rate: Math.round((1000 * same) / n) / 1000, firstLineRate: Math.round((1000 * sameFirst) / n) / 1000 };
    }
  }
  return { format: "hearth-eval-report", version: 1, startedAt, file: options.file, taskCount: options.tasks.length, maxTokens: options.maxTokens, variants };
}

export function renderEvalMarkdown(report: EvalReport): string {
  const mib = (b: number | null): string => (b === null ? "–" : `${(b / 1024 / 1024).toFixed(1)} MiB`);
  const pct = (x: number): string => `${Math.round(x * 100)}%`;
  const rows = report.variants.map((v) => [
    v.label,
    v.precision,
    mib(v.fileBytes),
    `${v.exactMatches}/${v.tasks.length} (${pct(v.exactMatchRate)})`,
    v.agreement === null ? "reference" : `${pct(v.agreement.rate)} / ${pct(v.agreement.firstLineRate)}`,
    v.latencyMs.p50 === null ? "–" : `${Math.round(v.latencyMs.p50)}`,
    v.decodeTokensPerS === null ? "–" : v.decodeTokensPerS.toFixed(1),
    mib(v.daemonRssBytes),
  ]);
  const line = (cells: string[]): string => `| ${cells.join(" | ")} |`;
  const header = ["variant", "precision", "file", "exact match, first line", "agreement with reference: completion / first line", "latency p50 (ms)", "decode tok/s", "daemon RSS"];
  return [
    `## hearth eval: ${report.taskCount} tasks from ${report.file} (at most ${report.maxTokens} tokens each)`,
    "",
    line(header),
    line(header.map(() => "---")),
    ...rows.map(line),
    "",
  ].join("\n");
}
