import path from "node:path";
import { runDaemon } from "../../daemon.js";
import { hearthHome } from "../../discovery.js";
import { DEFAULT_KV_DISK_BYTES, DEFAULT_MAX_PREFILL_MS, DEFAULT_REMOTE_TIMEOUT_MS, defaultThreadCount, MAX_PREFILL_CHUNK, MIN_PREFILL_CHUNK, PREFILL_STEP_TARGET_MS, parseBackendChoice, readApiKey, SPECULATION_MODES, type BackendChoice, type GpuChoice, type SpeculationMode } from "../../backends.js";
import type { FimTemplateChoice } from "../../prompt/fim-format.js";
import { FIM_FAMILY_NAMES } from "../../prompt/fim-templates.js";
import { intFlag, parseArgs, stringFlag, UsageError } from "../../args.js";

/** llama.vscode's default model: small, FIM-trained, Q8_0. Needs network once (or a local copy). */
export const DEFAULT_MODEL = "hf:ggml-org/Qwen2.5-Coder-1.5B-Q8_0-GGUF";

export const serveHelp = `Usage: hearth serve [options]

Runs the Hearth daemon in the foreground: loads the model, listens on ws://127.0.0.1:PORT/
and writes daemon.json (port, pid, token; mode 0600) to its home folder.

Options:
  --backend B        what runs the model: local (the default: --model on this machine),
                     llama-server=URL (llama.cpp's server: Hearth's FIM prompt through
                     /completion, one slot per workspace) or openai=URL (an
                     OpenAI-compatible server such as vLLM: /v1/completions); also
                     $HEARTH_BACKEND
  --api-key-file F   the remote server's API key (one line, mode 600); also
                     $HEARTH_API_KEY. Sent only as Authorization: Bearer to the server.
  --remote-model M   the model to ask an OpenAI-compatible server for (default: the
                     first it lists)
  --insecure-http    allow plain http to a server on another machine (a network you
                     trust); without it such a --backend is refused: use https
  --remote-timeout-ms N  how long a remote server may take to start answering or
                     between streamed events (default: ${DEFAULT_REMOTE_TIMEOUT_MS})
  --model M          .gguf path, hf: URI or generated:NAME[@F16|Q8_0|Q4_0]
                     (default: $HEARTH_MODEL, else ${DEFAULT_MODEL})
  --home DIR         daemon home (default: $HEARTH_HOME, else ~/.cache/hearth)
  --port N           port to listen on (default: 0, any free port)
  --idle-timeout S   exit after S seconds with no client; 0 never (default: 900)
  --ctx N            context size in tokens per workspace (default: 4096)
  --workspaces N     live KV caches at once, one per recently completed document
                     (default: 3)
  --memory-budget-mb N  memory for the live KV caches; fewer of them when
                     --workspaces don't fit (default: 0, no budget)
  --kv-disk-mb N     disk for saved KV states, every model's together; the least
                     recently saved go first (default: 2048)
  --max-prefill-ms N  longest a completion's uncached prompt should take to evaluate,
                     from the measured speed; bigger prompts are cut (default:
                     ${DEFAULT_MAX_PREFILL_MS}; 0: never cut)
  --prefill-chunk N  prompt tokens per prefill step, or auto (the default): sized from
                     the measured step time toward ${PREFILL_STEP_TARGET_MS} ms a step, since a cancel
                     waits for the step under way (${MIN_PREFILL_CHUNK}-${MAX_PREFILL_CHUNK} tokens; hundreds on a GPU)
  --fim-template T   the FIM prompt format: auto (from the model's special tokens; the
                     default), qwen, starcoder, deepseek-coder, codellama, codestral,
                     codegemma or gguf (the GGUF's own FIM token ids)
  --threads N        CPU threads (default: physical cores not kept busy by other processes)
  --gpu G            auto, cuda, vulkan, metal or off (default: auto)
  --spec S           speculative decoding: off, lookup (prompt n-grams, free) or
                     draft (a draft model) (default: draft when --draft is
                     given, else lookup)
  --draft M          the draft model for --spec draft: a smaller model with the
                     same vocabulary (.gguf path, hf: URI or generated:NAME), or
                     auto (the default): a smaller model of the same family beside
                     the target, paired by name (…-0.5B-… for …-7B-…)
`;

export async function serve(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, { boolean: ["help", "insecure-http"], value: ["model", "home", "port", "idle-timeout", "ctx", "workspaces", "threads", "gpu", "spec", "draft", "memory-budget-mb", "kv-disk-mb", "max-prefill-ms", "prefill-chunk", "fim-template", "backend", "api-key-file", "remote-model", "remote-timeout-ms"] });
  if (args.flags.has("help")) {
    process.stdout.write(serveHelp);
    return 0;
  }
  if (args.positional.length > 0) throw new UsageError(`serve takes no arguments, got "${args.positional.join(" ")}"`);
  const gpu = stringFlag(args, "gpu") ?? "auto";
  if (!["auto", "cuda", "vulkan", "metal", "off"].includes(gpu)) throw new UsageError(`--gpu must be auto, cuda, vulkan, metal or off; got "${gpu}"`);
  const draft = stringFlag(args, "draft") ?? null;
  const spec = stringFlag(args, "spec") ?? (draft !== null ? "draft" : "lookup");
  if (!(SPECULATION_MODES as readonly string[]).includes(spec)) throw new UsageError(`--spec must be ${SPECULATION_MODES.join(", ")}; got "${spec}"`);
  const fimTemplate = stringFlag(args, "fim-template") ?? "auto";
  if (fimTemplate !== "auto" && !(FIM_FAMILY_NAMES as readonly string[]).includes(fimTemplate)) throw new UsageError(`--fim-template must be auto or ${FIM_FAMILY_NAMES.join(", ")}; got "${fimTemplate}"`);
  let backend: BackendChoice;
  let apiKey: string | null;
  try {
    backend = parseBackendChoice(stringFlag(args, "backend") ?? process.env.HEARTH_BACKEND ?? "local");
    apiKey = readApiKey(stringFlag(args, "api-key-file") ?? null);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const prefillChunk = stringFlag(args, "prefill-chunk") ?? "auto";
  const home = stringFlag(args, "home");
  await runDaemon({
    backend,
    apiKey,
    remoteModel: stringFlag(args, "remote-model") ?? null,
    insecureHttp: args.flags.has("insecure-http"),
    remoteTimeoutMs: intFlag(args, "remote-timeout-ms", DEFAULT_REMOTE_TIMEOUT_MS, 100, 3_600_000),
    home: home ? path.resolve(home) : hearthHome(),
    modelSource: stringFlag(args, "model") ?? process.env.HEARTH_MODEL ?? DEFAULT_MODEL,
    port: intFlag(args, "port", 0, 0, 65535),
    idleTimeoutMs: intFlag(args, "idle-timeout", 900, 0, 7 * 24 * 3600) * 1000,
    contextSize: intFlag(args, "ctx", 4096, 256, 1 << 20),
    maxWorkspaces: intFlag(args, "workspaces", 3, 1, 64),
    memoryBudgetBytes: intFlag(args, "memory-budget-mb", 0, 0, 1 << 24) * 1024 * 1024,
    kvDiskBytes: intFlag(args, "kv-disk-mb", DEFAULT_KV_DISK_BYTES / 1024 ** 2, 1, 1 << 24) * 1024 * 1024,
    maxPrefillMs: intFlag(args, "max-prefill-ms", DEFAULT_MAX_PREFILL_MS, 0, 3_600_000),
    prefillChunk: prefillChunk === "auto" ? null : intFlag(args, "prefill-chunk", 0, 1, MAX_PREFILL_CHUNK),
    threads: intFlag(args, "threads", defaultThreadCount(), 1, 1024),
    gpu: gpu as GpuChoice,
    speculation: spec as SpeculationMode,
    draftModelSource: draft,
    fimTemplate: fimTemplate as FimTemplateChoice,
  });
  // Everything is saved and closed by now, but node-llama-cpp's native side can hold the
  // event loop open after its objects are disposed (seen after a generation): exit outright.
  process.exit(0);
}
