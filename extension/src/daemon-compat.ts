/**
 * Whether the daemon this window reached is the one it should talk to. The daemon is shared
 * by every window and started by whichever came first, so a window may meet a daemon built
 * for another protocol version (an older install still running), or one serving another
 * model than this window's settings ask for. Each problem is a sentence that says what to do;
 * the extension shows it with a Restart Daemon action. Pure: no vscode, tested as data.
 */
import path from "node:path";

export interface CompatibilityInput {
  /** The protocol version the daemon announced in `initialize` (null when it announced none). */
  daemonProtocol: number | null;
  extensionProtocol: number;
  /** The model source the running daemon was started with (null until its status is known). */
  daemonModelSource: string | null;
  /** The daemon or this window uses a server backend, where hearth.model.path does not apply. */
  remoteBackend?: boolean;
  /** This window's hearth.model.path ("" when unset: any model will do). */
  configuredModel: string;
  daemonContextSize: number | null;
  configuredContextSize: number;
}

/** A local path resolved, a URI or generated: source as written, so equal sources compare equal. */
function normalizedSource(source: string): string {
  return /^(hf:|https?:|generated:)/.test(source) ? source : path.resolve(source);
}

export function compatibilityProblems(input: CompatibilityInput): string[] {
  const problems: string[] = [];
  if (input.daemonProtocol !== input.extensionProtocol) {
    problems.push(
      `The running Hearth daemon speaks protocol ${input.daemonProtocol ?? "(unknown)"}, this extension ${input.extensionProtocol}: it was started by another Hearth version. Restart the daemon so this version's starts.`,
    );
  }
  if (!input.remoteBackend && input.configuredModel !== "" && input.daemonModelSource !== null && normalizedSource(input.configuredModel) !== normalizedSource(input.daemonModelSource)) {
    problems.push(
      `This window's hearth.model.path is ${input.configuredModel}, but the running daemon (shared by every window, started by another window or the CLI) serves ${input.daemonModelSource}. Restart the daemon to load this window's model.`,
    );
  }
  // The daemon takes the smaller of the setting and the model's trained context: only a request for more is a difference.
  if (input.daemonContextSize !== null && input.configuredContextSize < input.daemonContextSize) {
    problems.push(`This window's hearth.model.contextSize is ${input.configuredContextSize}, the running daemon's ${input.daemonContextSize}. Restart the daemon to use this window's setting.`);
  }
  return problems;
}
