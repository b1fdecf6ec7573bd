/**
 * The `hearth` command line. Exit codes: 0 ok, 1 error (one line on stderr), 2 usage.
 */
import { UsageError } from "../args.js";
import { bench, benchHelp } from "./commands/bench.js";
import { evalCommand, evalHelp } from "./commands/eval.js";
import { complete, completeHelp } from "./commands/complete.js";
import { explain, explainHelp } from "./commands/explain.js";
import { lsp, lspHelp } from "./commands/lsp.js";
import { models, modelsHelp } from "./commands/models.js";
import { nextEdit, nextEditHelp } from "./commands/next-edit.js";
import { precision, precisionHelp } from "./commands/precision.js";
import { pull, pullHelp } from "./commands/pull.js";
import { quantize, quantizeHelp } from "./commands/quantize.js";
import { rm, rmHelp } from "./commands/rm.js";
import { serve, serveHelp } from "./commands/serve.js";
import { status, statusHelp } from "./commands/status.js";
import { stop, stopHelp } from "./commands/stop.js";

type Command = { run: (argv: readonly string[]) => Promise<number>; help: string; summary: string };

const commands: Record<string, Command> = {
  serve: { run: serve, help: serveHelp, summary: "run the daemon in the foreground" },
  complete: { run: complete, help: completeHelp, summary: "complete code at FILE:LINE:COL" },
  explain: { run: explain, help: explainHelp, summary: "explain FILE[:START-END] in Markdown" },
  "next-edit": { run: nextEdit, help: nextEditHelp, summary: "suggest the next edit at FILE:LINE:COL (a next-edit model)" },
  status: { run: status, help: statusHelp, summary: "show device, model, memory and request metrics" },
  stop: { run: stop, help: stopHelp, summary: "stop the daemon" },
  lsp: { run: lsp, help: lspHelp, summary: "a language server on stdio for Neovim, Emacs, Helix, Zed… (bridges to the daemon)" },
  models: { run: models, help: modelsHelp, summary: "list the model catalog: what fits this machine, what is downloaded" },
  pull: { run: pull, help: pullHelp, summary: "download a model (catalog NAME, hf: URI or https URL), resumable" },
  rm: { run: rm, help: rmHelp, summary: "delete a downloaded model" },
  precision: { run: precision, help: precisionHelp, summary: "list or switch the model's precision variants" },
  quantize: { run: quantize, help: quantizeHelp, summary: "derive a precision variant of a .gguf file" },
  bench: { run: bench, help: benchHelp, summary: "replay editing traces and report latency, cache reuse, speed, memory" },
  eval: { run: evalCommand, help: evalHelp, summary: "fill-in-the-middle accuracy per precision variant (JSONL tasks)" },
};

const usage = `Usage: hearth <command> [options]

Commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join("\n")}

Run \`hearth <command> --help\` for a command's options.
`;

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(usage);
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`hearth: unknown command "${name}"\n${usage}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`hearth ${name}: ${error.message}\n${command.help}`);
      return 2;
    }
    process.stderr.write(`hearth ${name}: ${oneLine(error)}\n`);
    return 1;
  }
}

/** A JSON-RPC error's message and hint, or any error's message, on one line. */
function oneLine(error: unknown): string {
  if (error instanceof Error) {
    const data = (error as { data?: unknown }).data;
    const hint = typeof data === "object" && data !== null && typeof (data as { hint?: unknown }).hint === "string" ? ` (${(data as { hint: string }).hint})` : "";
    return `${error.message}${hint}`.replace(/\s*\n\s*/g, " ");
  }
  return String(error);
}

const exitCode = await main(process.argv.slice(2));
process.exitCode = exitCode;
