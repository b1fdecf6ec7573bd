import { LspBridge } from "../../lsp/bridge.js";
import { parseArgs, stringFlag, UsageError } from "../../args.js";
import { entryScript, homeFrom } from "../common.js";

export const lspHelp = `Usage: hearth lsp --stdio [options]

A language server on stdin/stdout for any editor that speaks LSP (Neovim, Emacs, Helix,
Zed, Sublime Text, JetBrains with LSP4IJ), bridged to the shared Hearth daemon of your home:
every editor window shares one model and its caches. textDocument/inlineCompletion where
the editor has it, else one textDocument/completion item; workspace/executeCommand
hearth.explain ({uri, range}) and hearth.status answer Markdown; the custom request
hearth/nextEdit (and notification hearth/nextEdit/accepted) passes next-edit suggestions
through (docs/editors.md). Logs go to stderr.

Options:
  --stdio            speak LSP over stdin/stdout (the only transport)
  --no-spawn         fail instead of starting a daemon when none runs
  --home DIR         daemon home (default: $HEARTH_HOME, else ~/.cache/hearth)
  --model M, --backend B, --ctx N, --threads N, --gpu G,
  --next-edit-model M, --next-edit-format F
                     options for a daemon this command starts (see hearth serve --help)
`;

/** `hearth serve` flags passed on to a daemon this command starts. */
const DAEMON_FLAGS = ["model", "backend", "ctx", "threads", "gpu", "idle-timeout", "next-edit-model", "next-edit-format"] as const;

export async function lsp(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, { boolean: ["help", "stdio", "no-spawn"], value: ["home", ...DAEMON_FLAGS] });
  if (args.flags.has("help")) {
    process.stdout.write(lspHelp);
    return 0;
  }
  if (!args.flags.has("stdio")) throw new UsageError("hearth lsp speaks LSP over stdin/stdout: pass --stdio");
  if (args.positional.length > 0) throw new UsageError(`lsp takes no arguments, got "${args.positional.join(" ")}"`);
  const serveArgs: string[] = [];
  for (const name of DAEMON_FLAGS) {
    const value = stringFlag(args, name);
    if (value !== undefined) serveArgs.push(`--${name}`, value);
  }
  const bridge = new LspBridge({
    home: homeFrom(args),
    entry: entryScript(),
    serveArgs,
    spawn: !args.flags.has("no-spawn"),
    input: process.stdin,
    output: process.stdout,
    log: (message) => process.stderr.write(`${message}\n`),
  });
  await bridge.done;
  // stdout belongs to the protocol: nothing else is written there. The daemon socket and stdin may hold the loop open.
  process.exit(0);
}
