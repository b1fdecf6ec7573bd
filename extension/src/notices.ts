/**
 * The few things worth interrupting the user for, each shown once per occurrence, never as
 * a modal and always with the actions that fix it: the daemon cannot be reached after
 * several tries, the model (or server) failed, the running daemon is not the one this
 * window asks for, a daemon setting changed (restart to apply). Each is written to the
 * output channel too, and a fixed problem is logged as fixed, so the channel tells the story.
 */
import * as vscode from "vscode";
import { ACTION_TITLES, sentences, type Problem, type ProblemAction } from "./problems.js";
import type { Log } from "./log.js";

/** One notice as shown (the tests read these: notifications are not visible to extensions). */
export interface NoticeRecord {
  severity: "error" | "warning" | "info";
  message: string;
  actions: string[];
}

const RECORDS_KEPT = 50;

export class Notices implements vscode.Disposable {
  private active: Problem | null = null;
  private activeKey: string | null = null;
  private readonly records: NoticeRecord[] = [];
  private readonly shownEmitter = new vscode.EventEmitter<NoticeRecord>();
  /** Fires as each notice is shown. */
  readonly onDidShow = this.shownEmitter.event;
  /** A setting changed by one of these notices' actions, which restarts the daemon itself. */
  private settingChangedByAction = false;

  /** Settings are being changed by an action that restarts the daemon itself once they are all written. */
  get changingSettings(): boolean {
    return this.settingChangedByAction;
  }

  constructor(
    private readonly log: Log,
    private readonly daemonLogFile: () => string,
    private readonly restartDaemon: () => Promise<unknown>,
    private readonly setApiKey: () => Promise<unknown>,
  ) {}

  /** The problem being shown now (null when none, or after it was fixed). */
  get activeProblem(): Problem | null {
    return this.active;
  }

  get shown(): readonly NoticeRecord[] {
    return this.records;
  }

  /**
   * The daemon's current problem, whenever it is learnt (at connect from its status, from an
   * event, from a poll): shown once per daemon (a restarted daemon that fails the same way
   * says so again); null, once the model is ready, means it was fixed.
   */
  problem(problem: Problem | null, daemonPid = 0, options: { again?: boolean } = {}): void {
    if (problem === null) {
      if (this.active !== null) this.log.info(`fixed: ${this.active.message}`);
      this.active = null;
      this.activeKey = null;
      return;
    }
    const key = `${daemonPid}|${problem.key}`;
    if (this.activeKey === key && !options.again) return;
    this.active = problem;
    this.activeKey = key;
    const severity = problem.severity ?? "error";
    if (severity === "info") this.log.info(problem.message);
    else this.log.error(problem.message);
    void this.show(severity, problem.message, problem.actions.map((a) => ACTION_TITLES[a])).then((choice) => {
      const action = problem.actions.find((a) => ACTION_TITLES[a] === choice);
      // A click after the problem went away has nothing left to fix.
      if (action && this.activeKey === key) void this.run(action);
    });
  }

  async cannotConnect(reason: string): Promise<void> {
    const message = sentences(`Hearth cannot start or reach its daemon: ${reason.replace(/[.]+$/, "")}`, "It keeps trying in the background; the daemon log says why");
    this.log.error(message);
    const choice = await this.show("error", message, ["Open Daemon Log", "Open Settings"]);
    if (choice === "Open Daemon Log") await this.openDaemonLog();
    if (choice === "Open Settings") await openSettings("hearth.daemon");
  }

  /** The shared daemon is not the one this window's version or settings ask for. */
  async daemonMismatch(problem: string): Promise<void> {
    const choice = await this.show("warning", sentences(`Hearth: ${problem}`), ["Restart Daemon"]);
    if (choice === "Restart Daemon") await this.restartDaemon();
  }

  async daemonSettingChanged(setting: string): Promise<void> {
    if (this.settingChangedByAction) return;
    const choice = await this.show("info", `${setting} takes effect when the Hearth daemon restarts (it is shared by all windows).`, ["Restart Daemon"]);
    if (choice === "Restart Daemon") await this.restartDaemon();
  }

  async openDaemonLog(): Promise<void> {
    const file = this.daemonLogFile();
    try {
      await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
    } catch (error) {
      this.log.warn(`could not open ${file}: ${error instanceof Error ? error.message : String(error)}`);
      void this.show("warning", `Hearth: no daemon log at ${file} yet; the daemon writes it when it starts.`, []);
    }
  }

  /** Runs one of a problem's actions. */
  async run(action: ProblemAction): Promise<void> {
    switch (action) {
      case "chooseModel":
        return this.chooseModel();
      case "openModelSettings":
        return openSettings("hearth.model.path");
      case "openBackendSettings":
        return openSettings("hearth.backend");
      case "setApiKey":
        await this.setApiKey();
        return;
      case "restartDaemon":
        await this.restartDaemon();
        return;
      case "openDaemonLog":
        return this.openDaemonLog();
      // The first run's choices are commands (the walkthrough's buttons run them too).
      case "download":
        await vscode.commands.executeCommand("hearth.downloadModel");
        return;
      case "chooseCatalogModel":
        await vscode.commands.executeCommand("hearth.chooseModel");
        return;
      case "useLocalFile":
        await vscode.commands.executeCommand("hearth.useLocalModel");
        return;
      case "useServer":
        await vscode.commands.executeCommand("hearth.useServer");
        return;
    }
  }

  /**
   * Writes settings the daemon reads at start (each under its `hearth.` key, undefined to
   * clear) as one change: no offer to restart for each, and one restart once all are written.
   */
  async changeSettings(changes: Readonly<Record<string, unknown>>): Promise<void> {
    this.settingChangedByAction = true;
    try {
      // Machine-scoped: VS Code writes them where they apply (the remote machine's settings under Remote).
      for (const [key, value] of Object.entries(changes)) await vscode.workspace.getConfiguration("hearth").update(key, value, vscode.ConfigurationTarget.Global);
    } finally {
      this.settingChangedByAction = false;
    }
    this.log.info(`${Object.entries(changes).map(([key, value]) => `hearth.${key} set to ${value === undefined ? "its default" : JSON.stringify(value)}`).join(", ")}; restarting the daemon`);
    await this.restartDaemon();
  }

  /** Picks a .gguf file, sets hearth.model.path to it and restarts the daemon on it. */
  private async chooseModel(): Promise<void> {
    await vscode.commands.executeCommand("hearth.useLocalModel");
  }

  private show(severity: NoticeRecord["severity"], message: string, actions: string[]): Thenable<string | undefined> {
    const record = { severity, message, actions };
    this.records.push(record);
    if (this.records.length > RECORDS_KEPT) this.records.splice(0, this.records.length - RECORDS_KEPT);
    this.shownEmitter.fire(record);
    if (severity === "error") return vscode.window.showErrorMessage(message, ...actions);
    if (severity === "warning") return vscode.window.showWarningMessage(message, ...actions);
    return vscode.window.showInformationMessage(message, ...actions);
  }

  dispose(): void {
    this.shownEmitter.dispose();
  }
}

/**
 * Opens the Settings editor on `query` in the scope where Hearth's machine settings show:
 * under a remote workbench (code-server, Remote-SSH, WSL, Codespaces) the User tab does not
 * list machine-scoped settings; the Remote tab does.
 */
export async function openSettings(query: string): Promise<void> {
  if (vscode.env.remoteName) await vscode.commands.executeCommand("workbench.action.openRemoteSettings", { query });
  else await vscode.commands.executeCommand("workbench.action.openSettings", query);
}
