import { readFileSync } from "node:fs";
import { Defaults, Limits } from "../../protocol.js";
import { intFlag, parseArgs, parseFilePosition, UsageError } from "../../args.js";
import { CLIENT_BOOLEAN_FLAGS, CLIENT_VALUE_FLAGS, withOpenFile } from "../common.js";

export const completeHelp = `Usage: hearth complete FILE:LINE:COL [options]

Asks the daemon for a fill-in-the-middle completion at LINE:COL (1-based) of FILE and
prints it to stdout as it streams; the request's metrics go to stderr.

Options:
  --max-tokens N   upper bound on generated tokens (default ${Defaults.completionMaxTokens})
  --mode M         auto, line or block (default auto: line mid-line, block at line end)
  --workspace DIR  workspace folder the KV cache belongs to (default: current directory)
  --json           print {completion, items, metrics} as JSON instead
  --no-spawn       fail instead of starting a daemon when none runs
  --model M        model for a daemon this command starts (see hearth serve --help)
  --home DIR       daemon home (default: $HEARTH_HOME, else ~/.cache/hearth)
  --quiet          no model progress on stderr
`;

export async function complete(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, { boolean: CLIENT_BOOLEAN_FLAGS, value: [...CLIENT_VALUE_FLAGS, "max-tokens", "mode"] });
  if (args.flags.has("help")) {
    process.stdout.write(completeHelp);
    return 0;
  }
  if (args.positional.length !== 1) throw new UsageError("complete takes exactly one FILE:LINE:COL");
  const { file, line, column } = parseFilePosition(args.positional[0] as string);
  const mode = args.flags.get("mode") ?? "auto";
  if (mode !== "auto" && mode !== "line" && mode !== "block") throw new UsageError('--mode must be "auto", "line" or "block"');
  const maxTokens = intFlag(args, "max-tokens", Defaults.completionMaxTokens, 1, Limits.maxCompletionTokens);
  const text = readFileSync(file, "utf8");
  const lines = text.split("\n");
  if (line > lines.length) throw new Error(`${file} has ${lines.length} lines; line ${line} does not exist`);
  return withOpenFile(
    args,
    file,
    text,
    (client, uri, onDelta) =>
      client.complete({ textDocument: { uri }, position: { line: line - 1, character: column - 1 }, context: { triggerKind: 1 }, hearth: { maxTokens, mode } }, { onDelta }),
    (result) => ({ completion: result.items[0]?.insertText ?? "", items: result.items, metrics: result.metrics }),
  );
}
