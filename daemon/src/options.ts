/**
 * Every option of the daemon stated once: its `hearth serve` flag, its VS Code setting and
 * environment variable where it has them, its default, its bounds and what it does; beside
 * them the settings only the extension reads. `hearth serve` parses and prints its --help
 * from this table, the daemon validates what it is given against it, the extension clamps
 * its settings to it, and a unit test holds package.json's `contributes.configuration` and
 * docs/settings.md to it. The extension bundles this file, so it imports nothing that loads
 * a model (no node-llama-cpp, no backend) and nothing of VS Code.
 */
import { MAX_PREFILL_CHUNK, MIN_PREFILL_CHUNK, PREFILL_STEP_TARGET_MS } from "./pipeline/prefill-chunk.js";
import { DEFAULT_CONTEXT_EXCLUDE } from "./privacy.js";
import { NEXT_EDIT_FORMAT_NAMES } from "./next-edit/format.js";
import { FIM_FAMILY_NAMES } from "./prompt/fim-templates.js";
import { Defaults, Limits } from "./protocol.js";

export const GPU_CHOICES = ["auto", "cuda", "vulkan", "metal", "off"] as const;
export type GpuChoice = (typeof GPU_CHOICES)[number];

export const SPECULATION_MODES = ["off", "lookup", "draft"] as const;
export type SpeculationMode = (typeof SPECULATION_MODES)[number];

/**
 * llama.vscode's default model, by its catalog name (catalog/models-data.ts): small,
 * FIM-trained, Q8_0, about 1.65 GB. Needs network once (or a local copy); its size is known
 * before the download starts, so a first run can say what it will fetch.
 */
export const DEFAULT_MODEL = "qwen2.5-coder-1.5b";

export const DOWNLOAD_CHOICES = ["allow", "never"] as const;
export type DownloadChoice = (typeof DOWNLOAD_CHOICES)[number];

/** How long a remote server may take to start answering, and to send the next event (default). */
export const DEFAULT_REMOTE_TIMEOUT_MS = 15_000;

/** The longest a completion's uncached prompt should take to evaluate (default; 0: never cut). */
export const DEFAULT_MAX_PREFILL_MS = 4000;

const MIB = 1024 * 1024;

/** The daemon's options the table bounds, by the name `runDaemon` takes them under. */
export interface CheckedDaemonOptions {
  port: number;
  idleTimeoutMs: number;
  contextSize: number;
  maxWorkspaces: number;
  threads: number;
  remoteTimeoutMs: number;
  memoryBudgetBytes?: number;
  kvDiskBytes?: number;
  modelIdleUnloadMs?: number;
  maxPrefillMs?: number;
  prefillChunk?: number | null;
  gpu: string;
  speculation?: string;
  fimTemplate?: string;
  nextEditFormat?: string;
  download?: string;
}

type IntegerKey = { [K in keyof CheckedDaemonOptions]-?: NonNullable<CheckedDaemonOptions[K]> extends number ? K : never }[keyof CheckedDaemonOptions];
type ChoiceKey = "gpu" | "speculation" | "fimTemplate" | "nextEditFormat" | "download";

interface OptionCommon {
  /** The `hearth serve` flag, without its dashes. */
  flag: string;
  /** The VS Code setting that passes it, when the extension has one. */
  setting?: string;
  /** The environment variable `hearth serve` reads when the flag is absent. */
  env?: string;
  /** What it does, one paragraph (--help wraps it; the docs print it whole). */
  description: string;
  /** How the default reads, where the value alone would not say it. */
  defaultText?: string;
}

export interface IntegerOption extends OptionCommon {
  kind: "integer";
  /** What --help calls the value. */
  value: string;
  /** Null: worked out when the daemon starts (defaultText says how). */
  default: number | null;
  min: number;
  max: number;
  /** The daemon option's name and its unit: the flag's value times scale (seconds to ms, MB to bytes). */
  key: IntegerKey;
  scale?: number;
  /** The flag also takes `auto`, the null default. */
  auto?: true;
}

export interface ChoiceOption extends OptionCommon {
  kind: "choice";
  value: string;
  choices: readonly string[];
  /** Null: worked out from other options (defaultText says how). */
  default: string | null;
  key: ChoiceKey;
}

export interface TextOption extends OptionCommon {
  kind: "text";
  value: string;
  default: string | null;
  /** The setting's own default when it means "leave the flag out" (an empty string). */
  settingDefault?: string;
}

export interface SwitchOption extends OptionCommon {
  kind: "switch";
  default: false;
}

export type ServeOption = IntegerOption | ChoiceOption | TextOption | SwitchOption;

/** `hearth serve`'s flags, in the order --help lists them. */
export const serveOptions = {
  backend: {
    kind: "text",
    flag: "backend",
    value: "B",
    setting: "hearth.backend",
    env: "HEARTH_BACKEND",
    default: "local",
    description:
      "What runs the model: local (--model on this machine), llama-server=URL (llama.cpp's server: Hearth's FIM prompt through /completion, one slot per workspace) or openai=URL (an OpenAI-compatible server such as vLLM: /v1/completions).",
  },
  "api-key-file": {
    kind: "text",
    flag: "api-key-file",
    value: "F",
    env: "HEARTH_API_KEY",
    default: null,
    defaultText: "$HEARTH_API_KEY, the key itself; else none",
    description:
      "The remote server's API key: a file holding it on one line, mode 600. Sent only as Authorization: Bearer to the server. The extension keeps it in VS Code's secret storage (Hearth: Set Remote API Key) and hands it over in $HEARTH_API_KEY.",
  },
  "remote-model": {
    kind: "text",
    flag: "remote-model",
    value: "M",
    setting: "hearth.remote.model",
    default: null,
    settingDefault: "",
    defaultText: "the first model the server lists",
    description: "The model to ask an OpenAI-compatible server for.",
  },
  "insecure-http": {
    kind: "switch",
    flag: "insecure-http",
    setting: "hearth.remote.insecureHttp",
    default: false,
    description:
      "Allow plain http to a server on another machine (a network you trust); without it such a --backend is refused: use https, so your code and key never cross the network in clear text.",
  },
  "remote-timeout-ms": {
    kind: "integer",
    flag: "remote-timeout-ms",
    value: "N",
    key: "remoteTimeoutMs",
    default: DEFAULT_REMOTE_TIMEOUT_MS,
    min: 100,
    max: 3_600_000,
    description: "How long a remote server may take to start answering, or between streamed events, in milliseconds.",
  },
  model: {
    kind: "text",
    flag: "model",
    value: "M",
    setting: "hearth.model.path",
    env: "HEARTH_MODEL",
    default: DEFAULT_MODEL,
    settingDefault: "",
    description:
      "The model the daemon loads: a .gguf path, a catalog name (hearth models lists them), an hf: URI (downloaded once into the daemon's home) or generated:NAME[@F16|Q8_0|Q4_0] (a small synthetic test model).",
  },
  download: {
    kind: "choice",
    flag: "download",
    value: "D",
    key: "download",
    choices: DOWNLOAD_CHOICES,
    default: "allow",
    description:
      "Whether a model that is not on disk (catalog name, hf: URI, URL; any role's, and the draft) is downloaded when it is needed: allow, or never: fail at once with HEARTH_ERR_MODEL_NOT_DOWNLOADED saying what a download would fetch and its size, until a client sends hearth/downloadModel. The VS Code extension starts its daemon with never and asks the user first.",
  },
  home: {
    kind: "text",
    flag: "home",
    value: "DIR",
    setting: "hearth.daemon.home",
    env: "HEARTH_HOME",
    default: null,
    settingDefault: "",
    defaultText: "the user's cache folder: $XDG_CACHE_HOME/hearth or ~/.cache/hearth; ~/Library/Caches/hearth on macOS; %LOCALAPPDATA%\\hearth on Windows",
    description: "The daemon's home folder: discovery file, logs, models, saved caches. Clients using the same home share one daemon.",
  },
  port: {
    kind: "integer",
    flag: "port",
    value: "N",
    key: "port",
    default: 0,
    min: 0,
    max: 65535,
    description: "The port to listen on, on 127.0.0.1; 0 takes any free port.",
  },
  "idle-timeout": {
    kind: "integer",
    flag: "idle-timeout",
    value: "S",
    key: "idleTimeoutMs",
    scale: 1000,
    default: 900,
    min: 0,
    max: 7 * 24 * 3600,
    description: "Exit after this many seconds with no client; 0 never.",
  },
  ctx: {
    kind: "integer",
    flag: "ctx",
    value: "N",
    setting: "hearth.model.contextSize",
    key: "contextSize",
    default: 4096,
    min: 256,
    max: 1 << 20,
    description: "Context size in tokens of each workspace's KV cache. Bigger sees more of the file but uses more memory.",
  },
  workspaces: {
    kind: "integer",
    flag: "workspaces",
    value: "N",
    key: "maxWorkspaces",
    default: 3,
    min: 1,
    max: 64,
    description: "Live KV caches at once, one per recently completed document.",
  },
  "memory-budget-mb": {
    kind: "integer",
    flag: "memory-budget-mb",
    value: "N",
    setting: "hearth.daemon.memoryBudgetMB",
    key: "memoryBudgetBytes",
    scale: MIB,
    default: 0,
    min: 0,
    max: 1 << 24,
    defaultText: "0, no budget",
    description:
      "Memory for the models and their live KV caches, in MB, every role's together. The completion model comes first, with fewer live caches when --workspaces don't fit beside its weights (the least recently used are saved to disk); a chat or next-edit model loads into what is left, or is refused with an error that says what would fit. With no budget (0), a chat or next-edit model must fit in the memory free on this machine (RAM; VRAM on a GPU), else it is refused the same way; a budget set is trusted instead.",
  },
  "kv-disk-mb": {
    kind: "integer",
    flag: "kv-disk-mb",
    value: "N",
    key: "kvDiskBytes",
    scale: MIB,
    default: 2048,
    min: 1,
    max: 1 << 24,
    description: "Disk for saved KV states, in MB, every model's together; the least recently saved go first.",
  },
  "max-prefill-ms": {
    kind: "integer",
    flag: "max-prefill-ms",
    value: "N",
    key: "maxPrefillMs",
    default: DEFAULT_MAX_PREFILL_MS,
    min: 0,
    max: 3_600_000,
    description: "The longest a completion's uncached prompt should take to evaluate, from the measured speed; bigger prompts are cut. 0: never cut.",
  },
  "prefill-chunk": {
    kind: "integer",
    flag: "prefill-chunk",
    value: "N",
    key: "prefillChunk",
    auto: true,
    default: null,
    min: 1,
    max: MAX_PREFILL_CHUNK,
    defaultText: "auto",
    description: `Prompt tokens per prefill step, or auto: sized from the measured step time toward ${PREFILL_STEP_TARGET_MS} ms a step (${MIN_PREFILL_CHUNK}-${MAX_PREFILL_CHUNK} tokens; hundreds on a GPU), since a cancel waits for the step under way.`,
  },
  "fim-template": {
    kind: "choice",
    flag: "fim-template",
    value: "T",
    setting: "hearth.model.fimTemplate",
    key: "fimTemplate",
    choices: ["auto", ...FIM_FAMILY_NAMES],
    default: "auto",
    description:
      "The fill-in-the-middle prompt format: auto picks it from the model's special tokens; a family name overrides it (gguf: the GGUF's own FIM token ids). The daemon refuses one the model's vocabulary can't render.",
  },
  "next-edit-format": {
    kind: "choice",
    flag: "next-edit-format",
    value: "F",
    setting: "hearth.nextEdit.format",
    key: "nextEditFormat",
    choices: ["auto", ...NEXT_EDIT_FORMAT_NAMES],
    default: "auto",
    description:
      "The next-edit suggestions' prompt format: auto picks it from the next-edit model's name (sweep, zeta, zeta-2 or seed-coder, instinct), else Sweep's where the vocabulary has Qwen2.5-Coder's <|file_sep|>; a name overrides it. A format whose special tokens the vocabulary lacks is refused with a typed error.",
  },
  threads: {
    kind: "integer",
    flag: "threads",
    value: "N",
    key: "threads",
    default: null,
    min: 1,
    max: 1024,
    defaultText: "physical cores not kept busy by other processes",
    description: "CPU threads.",
  },
  gpu: {
    kind: "choice",
    flag: "gpu",
    value: "G",
    setting: "hearth.daemon.gpu",
    key: "gpu",
    choices: GPU_CHOICES,
    default: "auto",
    description: "The GPU backend; off runs on the CPU.",
  },
  spec: {
    kind: "choice",
    flag: "spec",
    value: "S",
    key: "speculation",
    choices: SPECULATION_MODES,
    default: null,
    defaultText: "draft when --draft is given, else lookup",
    description: "Speculative decoding: off, lookup (n-grams of the prompt, free) or draft (a draft model).",
  },
  draft: {
    kind: "text",
    flag: "draft",
    value: "M",
    setting: "hearth.model.draft",
    default: null,
    settingDefault: "",
    defaultText: "none; with --spec draft, auto",
    description:
      "The draft model for --spec draft: a smaller model with the same vocabulary (.gguf path, hf: URI or generated:NAME), or auto: a smaller model of the same family beside the target, paired by name (…-0.5B-… for …-7B-…).",
  },
  "chat-model": {
    kind: "text",
    flag: "chat-model",
    value: "M",
    setting: "hearth.model.chat",
    default: null,
    settingDefault: "",
    defaultText: "none: explanations use the completion model",
    description:
      "The model that explains code (an instruct model with a chat template): a .gguf path, an hf: URI or generated:NAME; with --chat-backend, the model to ask that server for. Loaded on first use, unloaded after --model-idle-unload-s.",
  },
  "chat-backend": {
    kind: "text",
    flag: "chat-backend",
    value: "B",
    default: null,
    defaultText: "none: --chat-model on this machine",
    description: "A server that runs the chat model: llama-server=URL or openai=URL (an OpenAI-compatible server), as for --backend. A chat model without FIM tokens connects: it explains through /v1/chat/completions, and only a completion asked of it is refused (HEARTH_ERR_NO_FIM).",
  },
  "next-edit-model": {
    kind: "text",
    flag: "next-edit-model",
    value: "M",
    setting: "hearth.model.nextEdit",
    default: null,
    settingDefault: "",
    defaultText: "none",
    description:
      "The model that suggests next edits: a .gguf path, an hf: URI or generated:NAME; with --next-edit-backend, the model to ask that server for. Loaded on first use, unloaded after --model-idle-unload-s.",
  },
  "next-edit-backend": {
    kind: "text",
    flag: "next-edit-backend",
    value: "B",
    default: null,
    defaultText: "none: --next-edit-model on this machine",
    description: "A server that runs the next-edit model: llama-server=URL or openai=URL, as for --backend; the model needs no FIM tokens unless its next-edit format uses them.",
  },
  "model-idle-unload-s": {
    kind: "integer",
    flag: "model-idle-unload-s",
    value: "S",
    setting: "hearth.model.idleUnloadSeconds",
    key: "modelIdleUnloadMs",
    scale: 1000,
    default: 600,
    min: 0,
    max: 7 * 24 * 3600,
    description: "Unload a chat or next-edit model after this many seconds unused (it loads again on its next request); 0 keeps it. The completion model stays loaded.",
  },
} as const satisfies Record<string, ServeOption>;

export type ServeFlag = keyof typeof serveOptions;

/** A setting only the extension reads: the daemon never sees it. */
export interface ExtensionSetting {
  setting: string;
  default: unknown;
  min?: number;
  max?: number;
  choices?: readonly string[];
  description: string;
}

export const extensionSettings = {
  "hearth.completion.languages": {
    setting: "hearth.completion.languages",
    default: { "*": true, plaintext: false, markdown: false, scminput: false },
    description: 'Inline completions per language id: true on, false off; "*" is the default for languages not listed.',
  },
  "hearth.completion.debounceMs": {
    setting: "hearth.completion.debounceMs",
    default: 120,
    min: 0,
    max: 2000,
    description: "How long to wait after a keystroke before asking for a completion; a newer keystroke cancels the wait (and any request in flight).",
  },
  "hearth.completion.adaptiveDebounce": {
    setting: "hearth.completion.adaptiveDebounce",
    default: true,
    description: "Follow your typing rhythm: wait a little longer than your usual gap between keys while you type fast, and only hearth.completion.debounceMs when you pause.",
  },
  "hearth.completion.maxTokens": {
    setting: "hearth.completion.maxTokens",
    default: Defaults.completionMaxTokens,
    min: 1,
    max: Limits.maxCompletionTokens,
    description: "The most tokens one inline completion may generate.",
  },
  "hearth.explain.maxTokens": {
    setting: "hearth.explain.maxTokens",
    default: Defaults.explainMaxTokens,
    min: 1,
    max: Limits.maxExplainTokens,
    description: "The most tokens one explanation may generate.",
  },
  "hearth.nextEdit.enabled": {
    setting: "hearth.nextEdit.enabled",
    default: true,
    description:
      "Suggest the next edit after an edit settles: an insertion at the cursor as ghost text, any other edit drawn beside the code (Tab accepts or jumps to it, Escape dismisses). On only where a next-edit model is set (hearth.model.nextEdit, or a daemon started with one) and for the languages of hearth.nextEdit.languages.",
  },
  "hearth.nextEdit.languages": {
    setting: "hearth.nextEdit.languages",
    default: { "*": true, plaintext: false, markdown: false, scminput: false },
    description: 'Next-edit suggestions per language id: true on, false off; "*" is the default for languages not listed.',
  },
  "hearth.context.exclude": {
    setting: "hearth.context.exclude",
    default: DEFAULT_CONTEXT_EXCLUDE,
    description: "Files that never reach the daemon, so they are in no prompt and no saved KV cache: globs matched on the file's path (a pattern without / matches the file name). What files.exclude hides is excluded too.",
  },
  "hearth.trace.server": {
    setting: "hearth.trace.server",
    default: "off",
    choices: ["off", "messages", "verbose"],
    description: "Log the JSON-RPC traffic with the daemon to the Hearth output channel (for debugging).",
  },
} as const satisfies Record<string, ExtensionSetting>;

/** Every setting that passes a `hearth serve` flag: a change to one takes effect when the daemon restarts. */
export function settingsWithFlags(): string[] {
  return (Object.values(serveOptions) as readonly ServeOption[]).flatMap((option) => (option.setting === undefined ? [] : [option.setting]));
}

/** A number rounded and held inside an option's bounds (settings are clamped, flags refused). */
export function clampTo(value: number, bounds: { min: number; max: number }): number {
  return Math.min(bounds.max, Math.max(bounds.min, Math.round(value)));
}

/** Whether a value is one of a list's (narrowing it to the list's type). */
export function isOneOf<T extends string>(choices: readonly T[], value: unknown): value is T {
  return (choices as readonly unknown[]).includes(value);
}

/** How an option's default reads in --help: the environment variable first where there is one. */
export function defaultTextOf(option: ServeOption): string {
  const own = option.defaultText ?? String(option.default);
  return option.env === undefined || own.includes(`$${option.env}`) ? own : `$${option.env}, else ${own}`;
}

/** How an option's bounds read: the integer range or the choices; empty where anything goes. */
export function boundsTextOf(option: ServeOption): string {
  if (option.kind === "integer") return `${option.auto ? "auto or " : ""}${option.min} to ${option.max}`;
  if (option.kind === "choice") return `one of ${option.choices.join(", ")}`;
  return "";
}

/**
 * Checks the options the table bounds: integers in range (in the daemon's units) and
 * choices from their lists. Throws TypeError or RangeError naming the option.
 */
export function checkDaemonOptions(options: CheckedDaemonOptions): void {
  for (const option of Object.values(serveOptions) as readonly ServeOption[]) {
    if (option.kind === "integer") {
      const value = options[option.key];
      if (value === undefined || value === null) continue;
      const scale = option.scale ?? 1;
      if (!Number.isInteger(value)) throw new TypeError(`${option.key} must be an integer; got ${value}.`);
      if (value < option.min * scale || value > option.max * scale) throw new RangeError(`${option.key} must be between ${option.min * scale} and ${option.max * scale}; got ${value}.`);
    } else if (option.kind === "choice") {
      const value = options[option.key];
      if (value !== undefined && !option.choices.includes(value)) throw new RangeError(`${option.key} must be ${option.choices.join(", ")}; got ${value}.`);
    }
  }
}

const HELP_WIDTH = 88;
const HELP_INDENT = 21;

/** Words into lines: the first `firstWidth` wide (it follows the flag), the rest `width`. */
function wrap(text: string, firstWidth: number, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line !== "" && line.length + 1 + word.length > (lines.length === 0 ? firstWidth : width)) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines;
}

/** `hearth serve --help`'s option list, from the table. */
export function serveOptionsHelp(): string {
  const out: string[] = [];
  for (const option of Object.values(serveOptions) as readonly ServeOption[]) {
    const head = `  --${option.flag}${option.kind === "switch" ? "" : ` ${option.value}`}`;
    const bounds = boundsTextOf(option);
    const text = option.kind === "switch" ? option.description : `${option.description} (default: ${defaultTextOf(option)}${bounds === "" ? "" : `; ${bounds}`})`;
    const first = head.length + 2 <= HELP_INDENT ? head.padEnd(HELP_INDENT) : `${head}  `;
    const lines = wrap(text, HELP_WIDTH - first.length, HELP_WIDTH - HELP_INDENT);
    out.push(`${first}${lines[0] ?? ""}`);
    for (const line of lines.slice(1)) out.push(`${" ".repeat(HELP_INDENT)}${line}`);
  }
  return `${out.join("\n")}\n`;
}
