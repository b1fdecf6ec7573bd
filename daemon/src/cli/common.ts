/** What the client commands share: finding the home, connecting, and printing metrics. */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { connectToDaemon } from "../client/connect.js";
import { HearthClient } from "../client/hearth-client.js";
import { hearthHome } from "../discovery.js";
import type { RequestMetrics } from "../protocol.js";
import { packageRoot } from "../version.js";
import { stringFlag, type ParsedArgs } from "../args.js";

/** Flags every client command accepts. */
export const CLIENT_VALUE_FLAGS = ["home", "model", "workspace", "ctx", "threads", "gpu", "idle-timeout"] as const;
export const CLIENT_BOOLEAN_FLAGS = ["no-spawn", "json", "quiet", "help"] as const;

export function homeFrom(args: ParsedArgs): string {
  const home = stringFlag(args, "home");
  return home ? path.resolve(home) : hearthHome();
}

/** `hearth serve` flags to pass to a daemon this command starts. */
function serveArgsFrom(args: ParsedArgs): string[] {
  const out: string[] = [];
  for (const name of ["model", "ctx", "threads", "gpu", "idle-timeout"]) {
    const value = stringFlag(args, name);
    if (value !== undefined) out.push(`--${name}`, value);
  }
  return out;
}

export function entryScript(): string {
  return path.join(packageRoot(), "bin", "hearth.cjs");
}

export async function connectClient(args: ParsedArgs): Promise<HearthClient> {
  const { socket } = await connectToDaemon({
    home: homeFrom(args),
    spawn: !args.flags.has("no-spawn"),
    serveArgs: serveArgsFrom(args),
    entry: entryScript(),
  });
  const client = new HearthClient(socket);
  if (!args.flags.has("quiet") && !args.flags.has("json")) {
    client.onModelProgress((p) => process.stderr.write(`hearth: ${p.message}\n`));
  }
  return client;
}

/**
 * Connects, opens `file` in the daemon under the workspace folder, runs `work` on it and
 * prints the result: JSON with --json, else the streamed text is already on stdout and the
 * metrics go to stderr.
 */
export async function withOpenFile<R extends { metrics: RequestMetrics }>(
  args: ParsedArgs,
  file: string,
  text: string,
  work: (client: HearthClient, uri: string, onDelta: (delta: string) => void) => Promise<R>,
  toJson: (result: R) => unknown = (result) => result,
): Promise<number> {
  const uri = pathToFileURL(path.resolve(file)).href;
  const json = args.flags.has("json");
  const client = await connectClient(args);
  try {
    await client.initialize([workspaceFolderFor(args)]);
    await client.open({ uri, languageId: languageIdFor(file), version: 1, text });
    const result = await work(client, uri, (delta) => (json ? undefined : process.stdout.write(delta)));
    if (json) process.stdout.write(`${JSON.stringify(toJson(result), null, 2)}\n`);
    else {
      process.stdout.write("\n");
      process.stderr.write(`${formatMetrics(result.metrics)}\n`);
    }
    return 0;
  } finally {
    client.dispose();
  }
}

/** The workspace folder a file belongs to: --workspace, else the current directory. */
export function workspaceFolderFor(args: ParsedArgs): { uri: string; name: string } {
  const dir = path.resolve(stringFlag(args, "workspace") ?? process.cwd());
  return { uri: pathToFileURL(dir).href, name: path.basename(dir) };
}

const LANGUAGES: Record<string, string> = {
  ".ts": "typescript", ".tsx": "typescriptreact", ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascriptreact",
  ".py": "python", ".rs": "rust", ".go": "go", ".java": "java", ".c": "c", ".h": "c", ".cc": "cpp", ".cpp": "cpp", ".hpp": "cpp",
  ".cs": "csharp", ".rb": "ruby", ".php": "php", ".sh": "shellscript", ".json": "json", ".md": "markdown", ".css": "css", ".html": "html",
};

export function languageIdFor(file: string): string {
  return LANGUAGES[path.extname(file).toLowerCase()] ?? "plaintext";
}

export function formatMetrics(m: RequestMetrics): string {
  const first = m.firstTokenMs === null ? "-" : `${m.firstTokenMs} ms`;
  return (
    `${m.kind} #${m.requestId}: prompt ${m.promptTokens} tokens (reused ${m.reusedTokens}, evaluated ${m.evaluatedTokens}), ` +
    `generated ${m.generatedTokens}; queue ${m.queueMs} ms, prefill ${m.prefillMs} ms, first token ${first}, total ${m.totalMs} ms; stop: ${m.stopReason}${m.model ? `; model ${m.model}` : ""}`
  );
}
