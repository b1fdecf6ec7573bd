/**
 * Every `hearth.*` command, registered from one table. Handlers return what they did, so
 * tests (and other extensions) can run them through `executeCommand` and check the result.
 */
import * as vscode from "vscode";
import type { DaemonClient } from "./client.js";
import type { Log } from "./log.js";
import { editorHint, sentences } from "./problems.js";
import type { ExplainController } from "./explain/explain-controller.js";
import type { FirstRun } from "./first-run/first-run.js";
import { openSettings, type Notices } from "./notices.js";
import type { PauseState } from "./pause-state.js";
import type { PrecisionSwitcher, SwitchArgs } from "./precision/switch-precision.js";
import type { StatusBar } from "./status-bar.js";

export interface CommandDeps {
  client: DaemonClient;
  explain: ExplainController;
  precision: PrecisionSwitcher;
  pause: PauseState;
  statusBar: StatusBar;
  notices: Notices;
  log: Log;
  secrets: vscode.SecretStorage;
  firstRun: FirstRun;
}

/** Where the remote server's API key lives: VS Code's secret storage (the OS keychain), never settings.json. */
export const REMOTE_API_KEY_SECRET = "hearth.remote.apiKey";

type Handler = (...args: unknown[]) => unknown;

function switchArgs(value: unknown): SwitchArgs {
  if (typeof value !== "object" || value === null) return {};
  const v = value as Record<string, unknown>;
  return { ...(typeof v.variant === "string" ? { variant: v.variant } : {}), ...(typeof v.kvCacheType === "string" ? { kvCacheType: v.kvCacheType } : {}) };
}

/** Stores (or, given an empty one, deletes) the key, then restarts the daemon so that it starts with it. */
async function setRemoteApiKey(deps: CommandDeps, given: string | undefined): Promise<"stored" | "deleted" | "unchanged"> {
  const key = given ?? (await vscode.window.showInputBox({ title: "Hearth: remote server API key", prompt: "Sent only as Authorization: Bearer to the server in hearth.backend. Leave empty to remove it.", password: true, ignoreFocusOut: true }));
  if (key === undefined) return "unchanged";
  if (key.trim() === "") await deps.secrets.delete(REMOTE_API_KEY_SECRET);
  else await deps.secrets.store(REMOTE_API_KEY_SECRET, key.trim());
  deps.log.info(key.trim() === "" ? "remote API key removed" : "remote API key stored in VS Code's secret storage");
  await deps.client.restartDaemon();
  return key.trim() === "" ? "deleted" : "stored";
}

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const table: Record<string, Handler> = {
    "hearth.explainSelection": () => deps.explain.explain(vscode.window.activeTextEditor),
    "hearth.stopExplain": () => deps.explain.stop(),
    "hearth.switchPrecision": (args) => deps.precision.run(switchArgs(args)),
    "hearth.showStatus": () => showStatusMenu(deps),
    "hearth.enableLanguage": async (value) => {
      const language = typeof value === "string" ? value : vscode.window.activeTextEditor?.document.languageId;
      if (language) await enableLanguage(language);
      return language;
    },
    "hearth.togglePause": async () => {
      await deps.pause.toggle();
      return deps.pause.paused;
    },
    "hearth.restartDaemon": () => restartDaemon(deps),
    "hearth.setRemoteApiKey": (value) => setRemoteApiKey(deps, typeof value === "string" ? value : undefined),
    // A first run's choices (the notification's buttons and the walkthrough's run these).
    "hearth.downloadModel": () => deps.firstRun.download(),
    "hearth.chooseModel": (name) => deps.firstRun.chooseModel(name),
    "hearth.useLocalModel": (file) => deps.firstRun.useLocalModel(file),
    "hearth.useServer": (backend) => deps.firstRun.useServer(backend),
    "hearth.openLog": () => deps.log.show(),
    "hearth.openDaemonLog": () => deps.notices.openDaemonLog(),
    // VS Code's own partial-accept commands, under names that say what they do for Hearth.
    "hearth.acceptWord": () => vscode.commands.executeCommand("editor.action.inlineSuggest.acceptNextWord"),
    "hearth.acceptLine": () => vscode.commands.executeCommand("editor.action.inlineSuggest.acceptNextLine"),
  };
  return Object.entries(table).map(([id, handler]) => vscode.commands.registerCommand(id, handler));
}

async function restartDaemon(deps: CommandDeps): Promise<boolean> {
  try {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: "Hearth: restarting the daemon" }, () => deps.client.restartDaemon());
    return true;
  } catch (error) {
    deps.log.error("restarting the daemon failed", error);
    const message = error instanceof Error ? error.message : String(error);
    void vscode.window.showErrorMessage(sentences(`Hearth could not restart its daemon: ${message}`, editorHint(error) ?? "Reload the window; if that does not help, run hearth stop in a terminal"));
    return false;
  }
}

interface MenuItem extends vscode.QuickPickItem {
  run?: () => unknown;
}

/** The status bar's click: what Hearth is doing, and the actions on it. */
async function showStatusMenu(deps: CommandDeps): Promise<string | undefined> {
  const paused = deps.pause.paused;
  const view = deps.statusBar.current;
  const language = vscode.window.activeTextEditor?.document.languageId;
  const offHere = language !== undefined && view.text.includes(`off in ${language}`);
  const items: MenuItem[] = [
    { label: "Status", kind: vscode.QuickPickItemKind.Separator },
    { label: view.text.replace(/\$\([^)]*\)\s*/g, "") || "Hearth" },
    ...deps.statusBar.details.map((line): MenuItem => ({ label: `$(blank) ${line}` })),
    { label: "Actions", kind: vscode.QuickPickItemKind.Separator },
    ...(offHere && language ? [{ label: `$(check) Turn On Completions for ${language}`, run: () => enableLanguage(language) }] : []),
    paused
      ? { label: "$(play) Resume Completions", run: () => deps.pause.set(false) }
      : { label: "$(debug-pause) Pause Completions", description: "inline suggestions stop until resumed", run: () => deps.pause.set(true) },
    ...(deps.precision.supported ? [{ label: "$(settings-gear) Switch Precision…", run: () => vscode.commands.executeCommand("hearth.switchPrecision") }] : []),
    { label: "$(output) Open Log", run: () => deps.log.show() },
    { label: "$(file) Open Daemon Log", run: () => deps.notices.openDaemonLog() },
    { label: "$(debug-restart) Restart Daemon", description: "all windows reconnect to the new one", run: () => restartDaemon(deps) },
    { label: "$(gear) Settings", run: () => openSettings("hearth.") },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: "Hearth", placeHolder: "Hearth status and actions" });
  if (!picked?.run) return undefined;
  await picked.run();
  return picked.label;
}

/** Turns inline completions on for a language in hearth.completion.languages, where that setting is set. */
async function enableLanguage(languageId: string): Promise<void> {
  const settings = vscode.workspace.getConfiguration("hearth");
  const inspected = settings.inspect<Record<string, boolean>>("completion.languages");
  const target = inspected?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  const current = (target === vscode.ConfigurationTarget.Workspace ? inspected?.workspaceValue : inspected?.globalValue) ?? inspected?.defaultValue ?? {};
  await settings.update("completion.languages", { ...current, [languageId]: true }, target);
}
