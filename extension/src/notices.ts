/**
 * The few things worth interrupting the user for, each shown once per occurrence, never as
 * a modal and always with what to do: the daemon cannot be reached after several tries, the
 * model failed to load, a daemon setting changed (restart to apply).
 */
import * as vscode from "vscode";
import type { ModelProgressParams } from "../../daemon/src/protocol.js";
import type { Log } from "./log.js";

export class Notices {
  private lastModelFailure: string | null = null;

  constructor(
    private readonly log: Log,
    private readonly daemonLogFile: () => string,
    private readonly restartDaemon: () => Promise<void>,
  ) {}

  async cannotConnect(reason: string): Promise<void> {
    const choice = await vscode.window.showErrorMessage(
      `Hearth cannot reach its daemon: ${reason}. It keeps retrying in the background. Check “hearth.model.path”, or open the daemon log for the cause.`,
      "Open Daemon Log",
      "Open Settings",
    );
    if (choice === "Open Daemon Log") await this.openDaemonLog();
    if (choice === "Open Settings") await vscode.commands.executeCommand("workbench.action.openSettings", "hearth.");
  }

  async modelProgress(params: ModelProgressParams): Promise<void> {
    if (params.phase !== "failed") {
      if (params.phase === "ready") this.lastModelFailure = null;
      return;
    }
    if (this.lastModelFailure === params.message) return;
    this.lastModelFailure = params.message;
    const choice = await vscode.window.showErrorMessage(`Hearth could not load the model ${params.source}: ${params.message}`, "Open Settings", "Open Daemon Log");
    if (choice === "Open Settings") await vscode.commands.executeCommand("workbench.action.openSettings", "hearth.model.path");
    if (choice === "Open Daemon Log") await this.openDaemonLog();
  }

  /** The shared daemon is not the one this window's version or settings ask for. */
  async daemonMismatch(problem: string): Promise<void> {
    const choice = await vscode.window.showWarningMessage(`Hearth: ${problem}`, "Restart Daemon");
    if (choice === "Restart Daemon") await this.restartDaemon();
  }

  async daemonSettingChanged(setting: string): Promise<void> {
    const choice = await vscode.window.showInformationMessage(
      `“${setting}” takes effect when the Hearth daemon restarts (it is shared by all windows).`,
      "Restart Daemon",
    );
    if (choice === "Restart Daemon") await this.restartDaemon();
  }

  async openDaemonLog(): Promise<void> {
    const file = this.daemonLogFile();
    try {
      await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
    } catch (error) {
      this.log.error(`could not open ${file}`, error);
      void vscode.window.showWarningMessage(`Hearth: no daemon log at ${file} yet; the daemon writes it when it starts.`);
    }
  }
}
