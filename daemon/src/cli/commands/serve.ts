import path from "node:path";
import { runDaemon } from "../../daemon.js";
import { hearthHome } from "../../discovery.js";
import { defaultThreadCount, parseBackendChoice, parseRoleChoice, readApiKey, type BackendChoice, type RoleModelChoice } from "../../backends.js";
import { isOneOf, serveOptions, serveOptionsHelp, type ChoiceOption, type IntegerOption, type ServeOption, type TextOption } from "../../options.js";
import type { NextEditFormatChoice } from "../../next-edit/formats.js";
import type { FimTemplateChoice } from "../../prompt/fim-format.js";
import { intFlag, parseArgs, stringFlag, UsageError, type ParsedArgs } from "../../args.js";

export const serveHelp = `Usage: hearth serve [options]

Runs the Hearth daemon in the foreground: loads the model, listens on ws://127.0.0.1:PORT/
and writes daemon.json (port, pid, token; mode 0600) to its home folder.

Options:
${serveOptionsHelp()}`;

const options: readonly ServeOption[] = Object.values(serveOptions);

/** An integer flag inside the table's bounds, in the daemon's unit (seconds to ms, MB to bytes). */
function integer(args: ParsedArgs, option: IntegerOption, fallback = option.default ?? 0): number {
  return intFlag(args, option.flag, fallback, option.min, option.max) * (option.scale ?? 1);
}

/** The flag, else its environment variable, else the default. */
function text(args: ParsedArgs, option: TextOption & { default: string }): string {
  return stringFlag(args, option.flag) ?? (option.env === undefined ? undefined : process.env[option.env]) ?? option.default;
}

function choice<T extends string>(args: ParsedArgs, option: ChoiceOption & { choices: readonly T[] }, fallback: T): T {
  const value = stringFlag(args, option.flag) ?? fallback;
  if (!isOneOf(option.choices, value)) throw new UsageError(`--${option.flag} must be ${option.choices.join(", ")}; got "${value}"`);
  return value;
}

export async function serve(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, {
    boolean: ["help", ...options.filter((o) => o.kind === "switch").map((o) => o.flag)],
    value: options.filter((o) => o.kind !== "switch").map((o) => o.flag),
  });
  if (args.flags.has("help")) {
    process.stdout.write(serveHelp);
    return 0;
  }
  if (args.positional.length > 0) throw new UsageError(`serve takes no arguments, got "${args.positional.join(" ")}"`);
  const gpu = choice(args, serveOptions.gpu, "auto");
  const draft = stringFlag(args, "draft") ?? null;
  const spec = choice(args, serveOptions.spec, draft !== null ? "draft" : "lookup");
  const fimTemplate: FimTemplateChoice = choice(args, serveOptions["fim-template"], "auto");
  const nextEditFormat = choice(args, serveOptions["next-edit-format"], "auto") as NextEditFormatChoice;
  const download = choice(args, serveOptions.download, serveOptions.download.default);
  let backend: BackendChoice;
  let apiKey: string | null;
  let chatModel: RoleModelChoice | null;
  let nextEditModel: RoleModelChoice | null;
  try {
    backend = parseBackendChoice(text(args, serveOptions.backend));
    apiKey = readApiKey(stringFlag(args, "api-key-file") ?? null);
    chatModel = parseRoleChoice({ model: "chat-model", backend: "chat-backend" }, stringFlag(args, "chat-model"), stringFlag(args, "chat-backend"));
    nextEditModel = parseRoleChoice({ model: "next-edit-model", backend: "next-edit-backend" }, stringFlag(args, "next-edit-model"), stringFlag(args, "next-edit-backend"));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const prefillChunk = stringFlag(args, "prefill-chunk") ?? "auto";
  const home = stringFlag(args, "home");
  const o = serveOptions;
  await runDaemon({
    backend,
    apiKey,
    remoteModel: stringFlag(args, "remote-model") ?? null,
    insecureHttp: args.flags.has("insecure-http"),
    remoteTimeoutMs: integer(args, o["remote-timeout-ms"]),
    home: home ? path.resolve(home) : hearthHome(),
    modelSource: text(args, o.model),
    port: integer(args, o.port),
    idleTimeoutMs: integer(args, o["idle-timeout"]),
    contextSize: integer(args, o.ctx),
    maxWorkspaces: integer(args, o.workspaces),
    memoryBudgetBytes: integer(args, o["memory-budget-mb"]),
    kvDiskBytes: integer(args, o["kv-disk-mb"]),
    maxPrefillMs: integer(args, o["max-prefill-ms"]),
    prefillChunk: prefillChunk === "auto" ? null : integer(args, o["prefill-chunk"]),
    threads: integer(args, o.threads, defaultThreadCount()),
    gpu,
    speculation: spec,
    draftModelSource: draft,
    fimTemplate,
    chatModel,
    nextEditModel,
    modelIdleUnloadMs: integer(args, o["model-idle-unload-s"]),
    nextEditFormat,
    download,
  });
  // Everything is saved and closed by now, but node-llama-cpp's native side can hold the
  // event loop open after its objects are disposed (seen after a generation): exit outright.
  process.exit(0);
}
