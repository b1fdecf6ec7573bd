/**
 * The status bar item: renders `statusView` from the connection, the daemon's status, the
 * request figures and the pause switch whenever one of them changes. Click opens the
 * status/actions menu (hearth.showStatus).
 */
import * as vscode from "vscode";
import type { ModelProgressParams } from "../../daemon/src/protocol.js";
import type { ConnectionState, DaemonClient } from "./client.js";
import type { DaemonStatus } from "./daemon-status.js";
import type { PauseState } from "./pause-state.js";
import type { RequestStats } from "./stats/request-stats.js";
import { detailLines, statusView, type ConnectionSummary, type StatusInput, type StatusView } from "./stats/status-text.js";

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly subscriptions: vscode.Disposable[] = [];
  private generating = 0;
  private modelProgress: ModelProgressParams | null = null;
  private view: StatusView = { text: "", tooltip: "", severity: "normal" };
  private readonly renderedEmitter = new vscode.EventEmitter<StatusView>();
  /** Fires after each render (tests wait on it instead of polling). */
  readonly onDidRender = this.renderedEmitter.event;
  private disposed = false;

  constructor(
    private readonly client: DaemonClient,
    private readonly daemonStatus: DaemonStatus,
    private readonly stats: RequestStats,
    private readonly pause: PauseState,
    private readonly debounceMs: () => number,
    /** The active editor's language when completions are off for it, else null. */
    private readonly languageOff: () => string | null = () => null,
  ) {
    this.item = vscode.window.createStatusBarItem("hearth.status", vscode.StatusBarAlignment.Right, 100);
    this.item.name = "Hearth";
    this.item.command = "hearth.showStatus";
    this.subscriptions.push(
      client.onDidChangeState(() => this.render()),
      daemonStatus.onDidChange(() => {
        // A fresh status supersedes the last progress notification.
        if (daemonStatus.status?.modelState.state !== "loading") this.modelProgress = null;
        this.render();
      }),
      daemonStatus.onModelProgress((progress) => {
        this.modelProgress = progress.phase === "ready" || progress.phase === "failed" ? null : progress;
        this.render();
      }),
      pause.onDidChange(() => this.render()),
      vscode.window.onDidChangeActiveTextEditor(() => this.render()),
    );
    this.render();
    this.item.show();
  }

  get current(): StatusView {
    return this.view;
  }

  /** Marks a request in flight (spinner) until the returned function is called. */
  beginRequest(): () => void {
    this.generating++;
    this.render();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.generating--;
      this.render();
    };
  }

  /** Re-renders after new request figures. */
  update(): void {
    this.render();
  }

  /** Every figure, for the status menu. */
  get details(): string[] {
    return detailLines(this.input());
  }

  private input(): StatusInput {
    return {
      connection: summarize(this.client.state),
      paused: this.pause.paused,
      generating: this.generating > 0,
      stats: this.stats.snapshot(),
      daemon: this.daemonStatus.status,
      modelProgress: this.modelProgress,
      debounceMs: this.debounceMs(),
      languageOff: this.languageOff(),
    };
  }

  private render(): void {
    if (this.disposed) return;
    this.view = statusView(this.input());
    this.item.text = this.view.text;
    const tooltip = new vscode.MarkdownString(this.view.tooltip);
    tooltip.supportThemeIcons = true;
    this.item.tooltip = tooltip;
    this.item.backgroundColor =
      this.view.severity === "error" ? new vscode.ThemeColor("statusBarItem.errorBackground") : this.view.severity === "warning" ? new vscode.ThemeColor("statusBarItem.warningBackground") : undefined;
    this.renderedEmitter.fire(this.view);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const s of this.subscriptions.splice(0)) s.dispose();
    this.renderedEmitter.dispose();
    this.item.dispose();
  }
}

function summarize(state: ConnectionState): ConnectionSummary {
  switch (state.kind) {
    case "connected":
      return { kind: "connected", pid: state.info.pid };
    case "reconnecting":
      return { kind: "reconnecting", retryInMs: state.retryInMs, reason: state.reason };
    case "connecting":
      return { kind: "connecting" };
    case "stopped":
      return { kind: "stopped" };
  }
}
