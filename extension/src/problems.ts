/**
 * What is wrong with the daemon's model or server, in VS Code's words: the daemon's own
 * hints name CLI flags (it also serves a terminal), so the failure's code picks a sentence
 * that names the settings and commands an editor user has, and the actions that fix it.
 * Pure (no vscode): the wording is unit-tested as data.
 */
import type { StatusResult } from "../../daemon/src/protocol.js";

export type ProblemAction =
  | "chooseModel"
  | "openModelSettings"
  | "openBackendSettings"
  | "setApiKey"
  | "restartDaemon"
  | "openDaemonLog"
  // A first run's choices (first-run/): fetch the model, pick one from the catalog, a file, a server.
  | "download"
  | "chooseCatalogModel"
  | "useLocalFile"
  | "useServer";

/** What a first run offers, and a download that could not reach the hub offers again. */
export const FIRST_RUN_ACTIONS: readonly ProblemAction[] = ["download", "chooseCatalogModel", "useLocalFile", "useServer"];

export interface Problem {
  /** Same key, same problem: it is shown once until it is fixed or changes. */
  key: string;
  /** One or two sentences: what is wrong, then what to do. No markdown (notifications show it raw). */
  message: string;
  /** The status bar's short label for it. */
  label: string;
  actions: ProblemAction[];
  /** info: nothing is broken, a choice is needed (a model not downloaded yet); error otherwise. */
  severity?: "info" | "error";
}

/** The buttons' titles. */
export const ACTION_TITLES: Record<ProblemAction, string> = {
  chooseModel: "Choose Model File…",
  openModelSettings: "Open Settings",
  openBackendSettings: "Open Settings",
  setApiKey: "Set Remote API Key",
  restartDaemon: "Restart Daemon",
  openDaemonLog: "Open Daemon Log",
  download: "Download",
  chooseCatalogModel: "Choose…",
  // Short: a notification gives four buttons little room (longer titles are cut to "Use a Lo…").
  useLocalFile: "Local File…",
  useServer: "Server…",
};

/** Joins sentences with one full stop between them, whatever each ends with. */
export function sentences(...parts: ReadonlyArray<string | null | undefined>): string {
  return parts
    .map((part) => (part ?? "").trim().replace(/`/g, ""))
    .filter((part) => part !== "")
    .map((part) => (/[.!?…]$/.test(part) ? part : `${part}.`))
    .join(" ");
}

/** "http://hub:8080 did not answer (connect ECONNREFUSED …)" from the daemon's "could not reach URL: reason", the URL cut to its origin. */
function unreachableClause(message: string): string {
  const match = /could not reach (https?:\/\/[^\s/]+)\S*?: (.+?)\.?$/i.exec(message.trim());
  return match ? `${match[1]} did not answer (${match[2]})` : clause(message.replace(/^Could not download [^:]*: /, ""));
}

/** The daemon's message without its closing full stop, to be quoted inside a sentence. */
function clause(message: string): string {
  return message.trim().replace(/`/g, "").replace(/[.]+$/, "");
}

interface ProblemContext {
  /** hearth.backend as set in this window ("local" or "kind=URL"). */
  configuredBackend: string;
}

/** The problem the status shows, or null when the model (or server) is ready or still loading. */
export function problemOf(status: StatusResult, context: ProblemContext): Problem | null {
  const state = status.modelState;
  if (state.state !== "failed") return null;
  const backend = (status as { backend?: StatusResult["backend"] }).backend;
  const remote = backend !== undefined ? backend.kind !== "local" : status.device.kind === "remote";
  const source = status.model.source;
  const code = state.code ?? "";
  const key = `${code}|${state.message}`;
  const download = state.download;
  const what = download ? `${download.title ?? download.source}${sizeOf(download.sizeBytes, download.sizeExact)}` : source;
  switch (code) {
    case "HEARTH_ERR_MODEL_NOT_DOWNLOADED":
      return {
        key,
        label: "no model yet",
        message: sentences(
          `Hearth's model ${what} is not downloaded yet${download && download.partialBytes > 0 ? ` (${formatSize(download.partialBytes)} of it are kept from a stopped download)` : ""}`,
          "Download it, choose another, or use a model file or a server you have",
        ),
        actions: [...FIRST_RUN_ACTIONS],
        severity: "info",
      };
    case "HEARTH_ERR_MODEL_HUB_UNREACHABLE":
      return {
        key,
        label: "model hub unreachable",
        message: sentences(`Hearth cannot reach the model hub to download ${what}: ${unreachableClause(state.message)}`, "Check the network and download again, or use a model file or a server you have"),
        actions: [...FIRST_RUN_ACTIONS],
      };
    case "HEARTH_ERR_MODEL_NOT_FOUND":
      return {
        key,
        label: "model not found",
        message: sentences(`Hearth: model file not found (${source})`, "Check hearth.model.path, or choose a .gguf file"),
        actions: ["chooseModel", "openModelSettings"],
      };
    case "HEARTH_ERR_MODEL_DOWNLOAD_FAILED":
      return {
        key,
        label: "model download failed",
        message: sentences(`Hearth could not download its model: ${clause(state.message)}`, "Download the .gguf file on a machine with network access and choose it here (hearth.model.path)"),
        actions: download ? [...FIRST_RUN_ACTIONS, "openDaemonLog"] : ["chooseModel", "openModelSettings", "openDaemonLog"],
      };
    case "HEARTH_ERR_BACKEND_UNAUTHORIZED":
      return {
        key,
        label: "unauthorized",
        message: sentences(`Hearth: ${clause(state.message)}`, "Set the server's key with Hearth: Set Remote API Key"),
        actions: ["setApiKey", "openBackendSettings"],
      };
    case "HEARTH_ERR_BACKEND_UNREACHABLE":
      return {
        key,
        label: "server unreachable",
        message: sentences(`Hearth: ${clause(state.message)}`, `Start the server or check hearth.backend (${backend?.url ?? context.configuredBackend}); Hearth retries by itself`),
        actions: ["openBackendSettings", "openDaemonLog"],
      };
    case "HEARTH_ERR_BACKEND_TIMEOUT":
      return {
        key,
        label: "server slow",
        message: sentences(`Hearth: ${clause(state.message)}`, "The server may be busy or still loading its model; Hearth retries by itself"),
        actions: ["openBackendSettings", "openDaemonLog"],
      };
    case "HEARTH_ERR_BACKEND_UNKNOWN_MODEL":
      return {
        key,
        label: "unknown server model",
        message: sentences(`Hearth: ${clause(state.message)}`, "Name one of the server's models in hearth.remote.model"),
        actions: ["openBackendSettings"],
      };
    case "HEARTH_ERR_BACKEND_BAD_ANSWER":
      return {
        key,
        label: "server error",
        message: sentences(`Hearth: ${clause(state.message)}`, "Check that hearth.backend names the right kind of server (llama-server=URL or openai=URL)"),
        actions: ["openBackendSettings", "openDaemonLog"],
      };
    default:
      return remote
        ? {
            key,
            label: "server error",
            message: sentences(`Hearth: ${clause(state.message)}`, "Check hearth.backend, or open the daemon log for the cause"),
            actions: ["openBackendSettings", "openDaemonLog", "restartDaemon"],
          }
        : {
            key,
            label: "model failed",
            message: sentences(`Hearth could not load its model: ${clause(state.message)}`, "Check that hearth.model.path is a GGUF model this version supports and that there is enough memory"),
            actions: ["chooseModel", "openModelSettings", "openDaemonLog", "restartDaemon"],
          };
  }
}

/** Bytes as a download's size reads: decimal units, as hubs and the catalog give them. */
export function formatSize(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(0)} kB`;
  return `${bytes} B`;
}

function sizeOf(bytes: number | null, exact: boolean): string {
  return bytes === null ? "" : ` (${exact ? "" : "about "}${formatSize(bytes)})`;
}

/** Request errors whose daemon hint names CLI flags, in the editor's words instead. */
const EDITOR_HINTS: Readonly<Record<string, string>> = {
  HEARTH_ERR_MODEL_NOT_DOWNLOADED: "The model is not downloaded yet: run Hearth: Download Model, or Hearth: Choose Model.",
  HEARTH_ERR_MODEL_HUB_UNREACHABLE: "The model hub cannot be reached: check the network, or run Hearth: Use a Local Model File or Hearth: Use a Server.",
  HEARTH_ERR_MODEL_LOAD_FAILED: "The model is not loaded: check hearth.model.path (the notice says why), then run Hearth: Restart Daemon.",
  HEARTH_ERR_MODEL_NOT_FOUND: "The model file was not found: check hearth.model.path, then run Hearth: Restart Daemon.",
  HEARTH_ERR_MODEL_DOWNLOAD_FAILED: "Download the .gguf file on a machine with network access and set hearth.model.path to it.",
  HEARTH_ERR_MODEL_NOT_READY: "The model is still loading; try again in a moment.",
  HEARTH_ERR_BACKEND_UNAUTHORIZED: "Set the server's key with Hearth: Set Remote API Key.",
  HEARTH_ERR_BACKEND_UNREACHABLE: "Start the server or check hearth.backend; Hearth retries by itself.",
  HEARTH_ERR_BACKEND_TIMEOUT: "The server may be busy or still loading its model; Hearth retries by itself.",
  HEARTH_ERR_BACKEND_UNKNOWN_MODEL: "Name one of the server's models in hearth.remote.model.",
};

/**
 * What to do about a failed request, for a VS Code user: the editor's own wording for the
 * failures whose daemon hint speaks to a terminal, else the daemon's hint without backticks.
 */
export function editorHint(error: unknown): string | undefined {
  const data = typeof error === "object" && error !== null ? (error as { data?: unknown }).data : undefined;
  if (typeof data !== "object" || data === null) return undefined;
  const { code, hint } = data as { code?: unknown; hint?: unknown };
  if (typeof code === "string" && code in EDITOR_HINTS) return EDITOR_HINTS[code];
  return typeof hint === "string" ? hint.replace(/`/g, "") : undefined;
}
