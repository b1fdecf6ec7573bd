/**
 * Which backend runs the model: the local node-llama-cpp engine, or a server Hearth drives
 * (`--backend llama-server=URL`, `--backend openai=URL`). The daemon and the CLI choose and
 * build backends here and nowhere else, so neither imports a backend's module directly.
 */
import fs from "node:fs";
import type { InferenceBackend } from "./backend.js";
import { Engine, type EngineOptions } from "./engine/engine.js";
import type { FimTemplateChoice } from "./prompt/fim-format.js";
import type { RemoteServer } from "./remote/http.js";
import { llamaServerDialect } from "./remote/llama-server.js";
import { DEFAULT_OPENAI_CONTEXT, openAiDialect } from "./remote/openai.js";
import { RemoteBackend } from "./remote/remote-backend.js";

export { defaultThreadCount } from "./engine/hardware.js";
export { PrecisionService } from "./engine/precision-service.js";
export type { EngineOptions } from "./engine/engine.js";
/** Model files for the daemon's downloads (hearth/downloadModel) and the GPU facts of hearth/models, through the engine's runtime. */
export { resolveModelSource } from "./engine/model-source.js";
export { measureDaemonGpuMemory } from "./engine/gpu-memory.js";
/** Local model-file tools (hearth quantize). */
export { LLAMA_FTYPES, quantizeModelFile } from "./engine/precision/llama-quantize.js";

export type BackendChoice = { kind: "local" } | { kind: "llama-server" | "openai"; url: URL };

export const BACKEND_KINDS = ["llama-server", "openai"] as const;

/** Parses --backend: "local", "llama-server=URL" or "openai=URL" (http or https). */
export function parseBackendChoice(value: string): BackendChoice {
  if (value === "local") return { kind: "local" };
  const at = value.indexOf("=");
  const kind = at === -1 ? value : value.slice(0, at);
  if (!(BACKEND_KINDS as readonly string[]).includes(kind)) throw new RangeError(`--backend must be local, llama-server=URL or openai=URL; got "${value}".`);
  const raw = at === -1 ? "" : value.slice(at + 1);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RangeError(`--backend ${kind}= needs an http:// or https:// URL; got "${raw}".`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new RangeError(`--backend ${kind}= needs an http:// or https:// URL; got "${raw}".`);
  if (url.username || url.password) throw new RangeError("Put the API key in --api-key-file or HEARTH_API_KEY, not in the URL.");
  return { kind: kind as "llama-server" | "openai", url };
}

/** A chat or next-edit model: a model on this machine, or a server (and the model to ask it for). */
export interface RoleModelChoice {
  backend: BackendChoice;
  /** A .gguf path, hf: URI or generated:NAME on this machine; the server's model name (optional) with a server. */
  model: string | null;
}

/**
 * A role's flags into its choice: `--chat-model M` alone runs M here; `--chat-backend
 * llama-server=URL|openai=URL` runs it on that server (--chat-model then names the server's
 * model). Null when neither is given: the role has no model of its own.
 */
export function parseRoleChoice(flags: { model: string; backend: string }, model: string | undefined, backend: string | undefined): RoleModelChoice | null {
  const name = model?.trim() || null;
  if (backend === undefined || backend.trim() === "" || backend === "local") {
    if (name === null) {
      if (backend === "local") throw new RangeError(`--${flags.backend} local needs --${flags.model} (a .gguf path, an hf: URI or generated:NAME).`);
      return null;
    }
    return { backend: { kind: "local" }, model: name };
  }
  let choice: BackendChoice;
  try {
    choice = parseBackendChoice(backend);
  } catch (error) {
    throw new RangeError(`--${flags.backend}: ${error instanceof Error ? error.message.replace(/^--backend /, "") : String(error)}`);
  }
  return { backend: choice, model: name };
}

/** How status and progress name a role's model: the model here, or the server (and its model). */
export function roleSourceOf(choice: RoleModelChoice): string {
  if (choice.backend.kind === "local") return choice.model ?? "";
  return `${choice.backend.kind}=${choice.backend.url.href}${choice.model === null ? "" : ` (${choice.model})`}`;
}

function isLoopback(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Documents and the key go to the server: over plain http only to this machine, unless the
 * user says the network is trusted (--insecure-http). Elsewhere https, where the server
 * proves who it is with its certificate before anything is sent.
 */
export function checkRemoteTransport(choice: BackendChoice, allowInsecureHttp: boolean): void {
  if (choice.kind === "local" || choice.url.protocol === "https:" || isLoopback(choice.url) || allowInsecureHttp) return;
  throw new RangeError(
    `--backend ${choice.kind}=${choice.url.href} is plain http to another machine: your code (and the API key) would cross the network unencrypted, to a server that has not proven who it is. Use https:// (a TLS proxy in front of the server), or pass --insecure-http on a network you trust.`,
  );
}

/** The key from --api-key-file (one line; the file must not be readable by others) or HEARTH_API_KEY; null when neither is set. */
export function readApiKey(file: string | null, env: NodeJS.ProcessEnv = process.env): string | null {
  if (file !== null) {
    const mode = fs.statSync(file).mode;
    if (process.platform !== "win32" && (mode & 0o077) !== 0) throw new RangeError(`${file} is readable by other users (mode ${(mode & 0o777).toString(8)}); chmod 600 it.`);
    const key = fs.readFileSync(file, "utf8").trim();
    if (key === "" || /[\r\n]/.test(key)) throw new RangeError(`${file} must hold the API key on one line.`);
    return key;
  }
  const key = env.HEARTH_API_KEY?.trim();
  return key ? key : null;
}

export interface RemoteOptions {
  apiKey: string | null;
  /** Plain http to a server on another machine (a trusted network). */
  insecureHttp?: boolean;
  remoteModel: string | null;
  remoteTimeoutMs: number;
}

export function createBackend(
  choice: BackendChoice,
  engineOptions: EngineOptions,
  remote: RemoteOptions,
  log: (message: string) => void,
): InferenceBackend {
  if (choice.kind === "local") return new Engine(engineOptions, log);
  const fimTemplate: FimTemplateChoice = engineOptions.fimTemplate ?? "auto";
  const server: RemoteServer = {
    url: choice.url,
    apiKey: remote.apiKey,
    answerTimeoutMs: remote.remoteTimeoutMs,
    idleTimeoutMs: remote.remoteTimeoutMs,
    label: `${choice.kind} at ${choice.url.origin}${choice.url.pathname === "/" ? "" : choice.url.pathname}`,
  };
  const options = { server, model: remote.remoteModel, maxPrefillMs: engineOptions.maxPrefillMs ?? 0, log };
  if (choice.kind === "llama-server") return new RemoteBackend(llamaServerDialect(fimTemplate), options);
  return new RemoteBackend(openAiDialect(fimTemplate, engineOptions.contextSize || DEFAULT_OPENAI_CONTEXT, remote.remoteModel), options);
}

/** The local engine, where the backend is one (precision switching needs it). */
export function localEngine(backend: InferenceBackend): Engine | null {
  return backend instanceof Engine ? backend : null;
}
