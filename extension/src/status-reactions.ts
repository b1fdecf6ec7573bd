/**
 * What a fresh daemon status changes beyond the status bar: the problem notice (raised
 * whenever a failure is learnt, at connect as much as from an event; cleared once the model
 * is ready), the request figures (they describe one daemon, model and backend), and whether
 * Switch Precision is offered.
 */
import * as vscode from "vscode";
import type { Config } from "./config.js";
import type { DaemonStatus } from "./daemon-status.js";
import type { FirstRun } from "./first-run/first-run.js";
import type { Notices } from "./notices.js";
import type { PrecisionSwitcher } from "./precision/switch-precision.js";
import { problemOf } from "./problems.js";
import type { RequestStats } from "./stats/request-stats.js";
import type { StatusBar } from "./status-bar.js";

export interface StatusReactionDeps {
  daemonStatus: DaemonStatus;
  notices: Notices;
  stats: RequestStats;
  statusBar: StatusBar;
  precision: PrecisionSwitcher;
  config: Config;
  firstRun: FirstRun;
}

export function reactToDaemonStatus({ daemonStatus, notices, stats, statusBar, precision, config, firstRun }: StatusReactionDeps): vscode.Disposable {
  let lastEngine: string | null = null;
  return daemonStatus.onDidChange((status) => {
    // In the palette only where it can work: a local model, a daemon with the methods.
    void vscode.commands.executeCommand("setContext", "hearth.canSwitchPrecision", precision.supported);
    if (status === null) return;
    // Not cleared while a restarted daemon loads: it may fail the same way again.
    if (status.modelState.state === "ready") notices.problem(null);
    // A model not on disk (or a hub out of reach) is the first run's to offer choices for.
    const firstRunShows = firstRun.onStatus(status);
    if (status.modelState.state === "failed" && !firstRunShows) notices.problem(problemOf(status, { configuredBackend: config.backend }), status.pid);
    const engine = `${status.pid}|${status.backend.kind}|${status.backend.url ?? ""}|${status.model.source}|${status.model.variant}`;
    if (lastEngine !== null && engine !== lastEngine) {
      stats.reset();
      statusBar.update();
    }
    lastEngine = engine;
  });
}
