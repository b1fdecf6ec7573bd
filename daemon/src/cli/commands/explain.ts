import { readFileSync } from "node:fs";
import { Defaults, Limits } from "../../protocol.js";
import { intFlag, parseArgs, parseFileRange, UsageError } from "../../args.js";
import { CLIENT_BOOLEAN_FLAGS, CLIENT_VALUE_FLAGS, withOpenFile } from "../common.js";

export const explainHelp = `Usage: hearth explain FILE[:START-END] [options]

Streams a Markdown explanation of FILE (or of lines START..END, 1-based, inclusive) to stdout.

Options:
  --max-tokens N   upper bound on generated tokens (default ${Defaults.explainMaxTokens})
  --json           print {markdown, metrics} as JSON instead
  --no-spawn       fail instead of starting a daemon when none runs
  --model M        model for a daemon this command starts
  --home DIR       daemon home (default: $HEARTH_HOME, else ~/.cache/hearth)
  --quiet          no model progress on stderr
`;

export async function explain(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, { boolean: CLIENT_BOOLEAN_FLAGS, value: [...CLIENT_VALUE_FLAGS, "max-tokens"] });
  if (args.flags.has("help")) {
    process.stdout.write(explainHelp);
    return 0;
  }
  if (args.positional.length !== 1) throw new UsageError("explain takes exactly one FILE[:START-END]");
  const { file, startLine, endLine } = parseFileRange(args.positional[0] as string);
  const maxTokens = intFlag(args, "max-tokens", Defaults.explainMaxTokens, 1, Limits.maxExplainTokens);
  const text = readFileSync(file, "utf8");
  const lines = text.split("\n");
  const first = (startLine ?? 1) - 1;
  const last = Math.min(endLine ?? lines.length, lines.length) - 1;
  if (first > last) throw new Error(`${file} has ${lines.length} lines; the range starts past its end`);
  const range = { start: { line: first, character: 0 }, end: { line: last, character: (lines[last] ?? "").length } };
  return withOpenFile(args, file, text, (client, uri, onDelta) => client.explain({ textDocument: { uri }, range, maxTokens }, { onDelta }));
}
