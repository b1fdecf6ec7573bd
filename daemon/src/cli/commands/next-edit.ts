import { readFileSync } from "node:fs";
import { Defaults, Limits, type NextEditResult } from "../../protocol.js";
import { intFlag, parseArgs, parseFilePosition, stringFlag, UsageError } from "../../args.js";
import { DiffError, parseUnifiedDiff, textsBefore } from "../../next-edit/unified-diff.js";
import { CLIENT_BOOLEAN_FLAGS, CLIENT_VALUE_FLAGS, withOpenFile } from "../common.js";

export const nextEditHelp = `Usage: hearth next-edit FILE:LINE:COL [options]

Asks the daemon's next-edit model for the edit the user is likely to make next, with the
cursor at LINE:COL (1-based) of FILE, and prints the edits (1-based ranges) to stdout; the
request's metrics go to stderr. Needs a next-edit model (--next-edit-model).

Options:
  --history DIFF   a unified diff of FILE (git diff, diff -u): the edits that led to its text
                   now, replayed in order so the model sees them as the edit history
  --max-tokens N   upper bound on generated tokens (default ${Defaults.nextEditMaxTokens})
  --workspace DIR  workspace folder the KV cache belongs to (default: current directory)
  --json           print {edits, cursor, format, metrics} as JSON instead
  --no-spawn       fail instead of starting a daemon when none runs
  --model M        model for a daemon this command starts (see hearth serve --help)
  --home DIR       daemon home (default: $HEARTH_HOME, else ~/.cache/hearth)
  --quiet          no model progress on stderr
`;

export async function nextEdit(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, { boolean: CLIENT_BOOLEAN_FLAGS, value: [...CLIENT_VALUE_FLAGS, "max-tokens", "history"] });
  if (args.flags.has("help")) {
    process.stdout.write(nextEditHelp);
    return 0;
  }
  if (args.positional.length !== 1) throw new UsageError("next-edit takes exactly one FILE:LINE:COL");
  const { file, line, column } = parseFilePosition(args.positional[0] as string);
  const maxTokens = intFlag(args, "max-tokens", Defaults.nextEditMaxTokens, 1, Limits.maxNextEditTokens);
  const text = readFileSync(file, "utf8");
  if (line > text.split("\n").length) throw new Error(`${file} has ${text.split("\n").length} lines; line ${line} does not exist`);
  const historyFile = stringFlag(args, "history");
  let texts = [text];
  if (historyFile !== undefined) {
    try {
      texts = textsBefore(text, parseUnifiedDiff(readFileSync(historyFile, "utf8")));
    } catch (error) {
      if (error instanceof DiffError) throw new UsageError(`--history ${historyFile}: ${error.message}`);
      throw error;
    }
  }
  return withOpenFile(
    args,
    file,
    texts[0] as string,
    async (client, uri) => {
      // Each hunk as its own change, in order, as an editor would have sent them.
      for (let version = 2; version <= texts.length; version++) await client.change({ textDocument: { uri, version }, contentChanges: [{ text: texts[version - 1] as string }] });
      const result = await client.nextEdit({ textDocument: { uri }, position: { line: line - 1, character: column - 1 }, maxTokens });
      if (!args.flags.has("json")) process.stdout.write(describe(result));
      return result;
    },
  );
}

/** The edits as lines a person reads: 1-based ranges, the new text quoted. */
function describe(result: NextEditResult): string {
  if (result.edits.length === 0) return "no edit suggested";
  const at = (p: { line: number; character: number }): string => `${p.line + 1}:${p.character + 1}`;
  const edits = result.edits.map((e) => `${at(e.range.start)}-${at(e.range.end)} ${e.kind}: ${JSON.stringify(e.newText)}`);
  return [...edits, ...(result.cursor ? [`cursor after: ${at(result.cursor)}`] : [])].join("\n");
}
