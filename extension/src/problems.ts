/**
 * What is wrong with the daemon's model or server, in VS Code's words: the daemon's own
 * hints name CLI flags (it also serves a terminal), so the failure's code picks a sentence
 * that names the settings and commands an editor user has, and the actions that fix it.
 * Pure (no vscode): the wording is unit-tested as data.
 */
import type { StatusResult } from "../../daemon/src/protocol.js";

export type ProblemAction = "chooseModel" | "openModelSettings" | "openBackendSettings" | "setApiKey" | "restartDaemon" | "openDaemonLog";

export interface Problem {
  /** Same key, same problem: it is shown once until it is fixed or changes. */
  key: string;
  /** One or two sentences: what is wrong, then what to do. No markdown (notifications show it raw). */
  message: string;
  /** The status bar's short label for it. */
  label: string;
  actions: ProblemAction[];
}

/** The buttons' titles. */
export const ACTION_TITLES: Record<ProblemAction, string> = {
  chooseModel: "Choose Model File…",
  openModelSettings: "Open Settings",
  openBackendSettings: "Open Settings",
  setApiKey: "Set Remote API Key",
  restartDaemon: "Restart Daemon",
  openDaemonLog: "Open Daemon Log",
};

/** Joins sentences with one full stop between them, whatever each ends with. */
export function sentences(...parts: ReadonlyArray<string | null | undefined>): string {
  return parts
    .map((part) => (part ?? "").trim().replace(/`/g, ""))
    .filter((part) => part !== "")
    .map((part) => (/[.!?…]$/.test(part) ? part : `${part}.`))
    .join(" ");
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
  switch (code) {
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
        actions: ["chooseModel", "openModelSettings", "openDaemonLog"],
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
