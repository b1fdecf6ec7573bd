/**
 * What `activate()` returns: read-only views and events for the tests inside VS Code (and
 * for anyone scripting Hearth). It exposes state the UI only shows (the status bar's text,
 * the explain panel's rendering) so tests wait on events instead of scraping the screen.
 */
import type * as vscode from "vscode";
import type { StatusResult } from "../../daemon/src/protocol.js";
import type { ConnectionState } from "./client.js";
import type { CompletionEvent } from "./completion/inline-provider.js";
import type { StatsSnapshot } from "./stats/request-stats.js";
import type { StatusView } from "./stats/status-text.js";
import type { FromWebview } from "./webview/messages.js";
import type { NoticeRecord } from "./notices.js";
import type { DownloadRecord } from "./first-run/first-run.js";
import type { Problem } from "./problems.js";
import type { NextEditEvent, NextEditShown } from "./next-edit/next-edit-controller.js";

export interface HearthApi {
  /** The daemon home this window uses. */
  readonly daemonHome: string;
  connection(): ConnectionState;
  readonly onDidChangeConnection: vscode.Event<ConnectionState>;
  statusBar(): StatusView;
  readonly onDidRenderStatusBar: vscode.Event<StatusView>;
  /** The daemon status the status bar shows (null while unknown). */
  daemonStatus(): StatusResult | null;
  /** Fetches a fresh status from the daemon and re-renders the status bar. */
  refreshDaemonStatus(): Promise<StatusResult | null>;
  stats(): StatsSnapshot;
  readonly onDidCompletionEvent: vscode.Event<CompletionEvent>;
  readonly onDidRenderExplain: vscode.Event<Extract<FromWebview, { type: "rendered" }>>;
  /** The extension's recent log lines (every level), oldest first. */
  recentLog(): string[];
  /** The notices shown so far (newest last, bounded): notifications are not readable through VS Code's API. */
  notices(): readonly NoticeRecord[];
  readonly onDidShowNotice: vscode.Event<NoticeRecord>;
  /** The download progress notifications shown so far (newest last, bounded), each with its lines and outcome. */
  downloads(): readonly DownloadRecord[];
  readonly onDidRecordDownload: vscode.Event<DownloadRecord>;
  /** The daemon's problem being shown now; null when there is none (or it was fixed). */
  activeProblem(): Problem | null;
  /** The next-edit suggestion on screen (the daemon's answer as it came), or null. */
  nextEdit(): NextEditShown | null;
  /** Each next-edit request's outcome (shown, empty, cancelled, failed) and each accept or dismissal. */
  readonly onDidNextEditEvent: vscode.Event<NextEditEvent>;
}
