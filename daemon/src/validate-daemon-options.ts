/**
 * The daemon checks its options once, when it starts, whoever built them (the CLI, a test,
 * an embedder): the table's bounds and choices (options.ts), a model to load, and a remote
 * server reached safely. Bad options throw TypeError or RangeError before anything starts.
 */
import { checkRemoteTransport, type BackendChoice, type RoleModelChoice } from "./backends.js";
import { checkDaemonOptions, type CheckedDaemonOptions } from "./options.js";

export interface ValidatedDaemonOptions extends CheckedDaemonOptions {
  backend: BackendChoice;
  modelSource: string;
  insecureHttp?: boolean;
  chatModel?: RoleModelChoice | null;
  nextEditModel?: RoleModelChoice | null;
}

export function validateDaemonOptions<T extends ValidatedDaemonOptions>(options: T): T {
  checkDaemonOptions(options);
  if (options.backend.kind === "local" && options.modelSource.trim() === "") throw new TypeError("model must name a .gguf path, an hf: URI or generated:NAME.");
  checkRemoteTransport(options.backend, options.insecureHttp === true);
  for (const [name, role] of [["chatModel", options.chatModel], ["nextEditModel", options.nextEditModel]] as const) {
    if (role === undefined || role === null) continue;
    if (role.backend.kind === "local" && (role.model ?? "").trim() === "") throw new TypeError(`${name} must name a .gguf path, an hf: URI or generated:NAME.`);
    checkRemoteTransport(role.backend, options.insecureHttp === true);
  }
  return options;
}
