/**
 * Activation: builds each part with what it needs and registers it; nothing else lives
 * here. Parts that last as long as the extension go to `context.subscriptions`.
 */
import * as vscode from "vscode";
import type { HearthApi } from "./api.js";
import { DaemonClient } from "./client.js";
import { registerCommands, REMOTE_API_KEY_SECRET } from "./commands.js";
import { Config, connectionSettings, daemonSettings } from "./config.js";
import { CompletionCache } from "./completion/completion-cache.js";
import { Debouncer, debounceOptionsFor, type DebounceOptions } from "../../daemon/src/client/debouncer.js";
import { InlineProvider } from "./completion/inline-provider.js";
import { NextEditController } from "./next-edit/next-edit-controller.js";
import { CursorTurns } from "./next-edit/cursor-turns.js";
import { DaemonLauncher } from "./daemon-launcher.js";
import { DaemonStatus } from "./daemon-status.js";
import { ExplainController } from "./explain/explain-controller.js";
import { FirstRun } from "./first-run/first-run.js";
import { EXPLAIN_VIEW_TYPE } from "./webview/explain-panel.js";
import { describeError, Log } from "./log.js";
import { Notices } from "./notices.js";
import { PauseState } from "./pause-state.js";
import { PrecisionSwitcher } from "./precision/switch-precision.js";
import { RequestStats } from "./stats/request-stats.js";
import { StatusBar } from "./status-bar.js";
import { reactToDaemonStatus } from "./status-reactions.js";
import { compatibilityProblems } from "./daemon-compat.js";
import { PROTOCOL_VERSION } from "../../daemon/src/protocol.js";

let stopClient: (() => Promise<void>) | null = null;

export function activate(context: vscode.ExtensionContext): HearthApi {
  const log = new Log("Hearth");
  const config = new Config();
  const launcher = new DaemonLauncher(context.extensionPath, config, log, () => context.secrets.get(REMOTE_API_KEY_SECRET));
  const client = new DaemonClient(launcher, log, (document) => config.syncable(document));
  const notices = new Notices(log, () => launcher.logFile, () => client.restartDaemon(), async () => vscode.commands.executeCommand("hearth.setRemoteApiKey"));
  const daemonStatus = new DaemonStatus(client, log);
  const pause = new PauseState(context.globalState);
  const stats = new RequestStats();
  const debounceOptions = (): DebounceOptions => debounceOptionsFor(config.debounceMs, config.adaptiveDebounce);
  const debouncer = new Debouncer(debounceOptions());
  // A next-edit model set where the daemon was started (or a next-edit backend) turns next edits on too.
  const daemonHasNextEditModel = (): boolean => (daemonStatus.status?.models ?? []).some((m) => m.role === "nextEdit");
  const languageOff = (): string | null => {
    const document = vscode.window.activeTextEditor?.document;
    // Off only when neither completions nor next edits are on there.
    return document && (document.uri.scheme === "file" || document.uri.scheme === "untitled") && !config.completionEnabledFor(document.languageId) && !config.nextEditOn(document.languageId, daemonHasNextEditModel()) ? document.languageId : null;
  };
  const statusBar = new StatusBar(client, daemonStatus, stats, pause, () => debouncer.currentDelayMs, languageOff);
  const cache = new CompletionCache();
  // Inline completions and next edits take turns at the cursor.
  const turns = new CursorTurns();
  const nextEdit = new NextEditController(client, config, log, turns, stats, daemonHasNextEditModel);
  const provider = new InlineProvider(client, config, pause, cache, debouncer, stats, statusBar, log, turns, nextEdit);
  const explain = new ExplainController(client, config, stats, statusBar, vscode.Uri.joinPath(context.extensionUri, "media"), log, context.workspaceState);
  const precision = new PrecisionSwitcher(client, daemonStatus, log);
  const firstRun = new FirstRun({ client, daemonStatus, config, notices, log, state: context.globalState });

  // Disposed in this order when the extension stops; the log goes last.
  context.subscriptions.push(
    { dispose: () => void client.dispose() },
    daemonStatus,
    pause,
    statusBar,
    provider,
    explain,
    nextEdit,
    nextEdit.onDidNextEditEvent(() => statusBar.update()),
    firstRun,
    { dispose: () => debouncer.dispose() },
    // The explain panel comes back after a window reload, with the last explanation.
    vscode.window.registerWebviewPanelSerializer(EXPLAIN_VIEW_TYPE, { deserializeWebviewPanel: async (panel) => explain.restore(panel) }),
    vscode.languages.registerInlineCompletionItemProvider([{ scheme: "file" }, { scheme: "untitled" }], provider),
    ...registerCommands({ client, explain, precision, pause, statusBar, notices, log, secrets: context.secrets, firstRun }),
    notices,
    reactToDaemonStatus({ daemonStatus, notices, stats, statusBar, precision, config, firstRun }),
    client.onPersistentFailure((reason) => void notices.cannotConnect(reason)),
    vscode.workspace.onDidCloseTextDocument((document) => cache.forget(document.uri.toString())),
    // The workspace folders key the daemon's KV cache and are sent in `initialize`.
    vscode.workspace.onDidChangeWorkspaceFolders(() => void client.reconnect("the workspace folders changed")),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("hearth.completion")) {
        debouncer.configure(debounceOptions());
        statusBar.update();
      }
      const restartSetting = daemonSettings.find((setting) => event.affectsConfiguration(setting));
      // A daemon stuck on a failure serves nothing: the change (likely the fix) applies at once.
      // An action that writes several settings restarts the daemon itself, once.
      if (restartSetting && notices.changingSettings) return;
      if (restartSetting && notices.activeProblem !== null && client.state.kind === "connected") {
        log.info(`${restartSetting} changed while the daemon had failed; restarting it with the new settings`);
        void client.restartDaemon().catch((error: unknown) => log.warn(`restarting the daemon failed: ${describeError(error)}`));
      } else if (restartSetting) void notices.daemonSettingChanged(restartSetting);
      if (connectionSettings.some((setting) => event.affectsConfiguration(setting))) void client.reconnect("hearth.daemon.home changed");
    }),
    log,
  );
  stopClient = () => client.dispose();
  // Once per daemon: is it the one this window's version and settings ask for?
  let checkedDaemon: number | null = null;
  context.subscriptions.push(
    daemonStatus.onDidChange((status) => {
      // After the load, when the daemon's context size is known too.
      if (status === null || status.modelState.state === "loading" || checkedDaemon === status.pid) return;
      checkedDaemon = status.pid;
      const problems = compatibilityProblems({
        daemonProtocol: status.protocolVersion,
        extensionProtocol: PROTOCOL_VERSION,
        daemonModelSource: status.model.source,
        // A server backend loads no model file: a leftover hearth.model.path does not apply.
        remoteBackend: status.backend.kind !== "local" || config.backend !== "local",
        configuredModel: config.modelPath,
        daemonContextSize: status.modelState.state === "ready" ? status.model.contextSize : null,
        configuredContextSize: config.contextSize,
      });
      for (const problem of problems) {
        log.warn(problem);
        void notices.daemonMismatch(problem);
      }
    }),
  );
  client.start();

  return {
    get daemonHome() {
      return launcher.home;
    },
    connection: () => client.state,
    onDidChangeConnection: client.onDidChangeState,
    statusBar: () => statusBar.current,
    onDidRenderStatusBar: statusBar.onDidRender,
    daemonStatus: () => daemonStatus.status,
    refreshDaemonStatus: async () => {
      await daemonStatus.refresh();
      return daemonStatus.status;
    },
    stats: () => stats.snapshot(),
    onDidCompletionEvent: provider.onDidCompletionEvent,
    onDidRenderExplain: explain.onDidRender,
    recentLog: () => log.recent(),
    notices: () => notices.shown,
    onDidShowNotice: notices.onDidShow,
    activeProblem: () => notices.activeProblem,
    downloads: () => firstRun.downloads,
    onDidRecordDownload: firstRun.onDidRecordDownload,
    nextEdit: () => nextEdit.current,
    onDidNextEditEvent: nextEdit.onDidNextEditEvent,
  };
}

/** Lets the language client say goodbye (shutdown/exit) before the host goes away. */
export async function deactivate(): Promise<void> {
  const stop = stopClient;
  stopClient = null;
  await stop?.();
}
