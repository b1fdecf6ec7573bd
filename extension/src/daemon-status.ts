/**
 * The daemon's latest `hearth/status` (model, device, memory, workspaces), fetched when
 * something may have changed it: on connecting, after requests, on model progress, and
 * every few seconds while connected (other windows share the daemon). One fetch at a time;
 * a refresh asked for during a fetch runs once after it.
 */
import * as vscode from "vscode";
import { ModelProgressNotification, StatusRequest, type ModelProgressParams, type StatusResult } from "../../daemon/src/protocol.js";
import type { DaemonClient } from "./client.js";
import { describeError, type Log } from "./log.js";

const POLL_MS = 10_000;

export class DaemonStatus implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<StatusResult | null>();
  readonly onDidChange = this.emitter.event;
  private readonly progressEmitter = new vscode.EventEmitter<ModelProgressParams>();
  readonly onModelProgress = this.progressEmitter.event;
  private latest: StatusResult | null = null;
  private fetching: Promise<void> | null = null;
  private again = false;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly subscriptions: vscode.Disposable[] = [];
  private disposed = false;

  constructor(
    private readonly client: DaemonClient,
    private readonly log: Log,
  ) {
    client.onNotification(ModelProgressNotification, (params) => {
      this.progressEmitter.fire(params);
      if (params.phase === "ready" || params.phase === "failed") this.refresh();
    });
    this.subscriptions.push(
      client.onDidChangeState((state) => {
        if (state.kind === "connected") {
          this.refresh();
          this.timer ??= setInterval(() => this.refresh(), POLL_MS);
        } else {
          if (this.timer !== null) clearInterval(this.timer);
          this.timer = null;
          if (this.latest !== null) {
            this.latest = null;
            this.emitter.fire(null);
          }
        }
      }),
    );
  }

  get status(): StatusResult | null {
    return this.latest;
  }

  /** Fetches a fresh status soon; resolves when it arrived (or failed). */
  refresh(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    if (this.fetching) {
      this.again = true;
      return this.fetching;
    }
    this.fetching = this.fetch().finally(() => {
      this.fetching = null;
      if (this.again) {
        this.again = false;
        void this.refresh();
      }
    });
    return this.fetching;
  }

  private async fetch(): Promise<void> {
    try {
      const status = await this.client.requireClient().sendRequest(StatusRequest);
      if (this.disposed) return;
      this.latest = status;
      this.emitter.fire(status);
    } catch (error) {
      this.log.debug(`status unavailable: ${describeError(error)}`);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.timer !== null) clearInterval(this.timer);
    for (const s of this.subscriptions.splice(0)) s.dispose();
    this.emitter.dispose();
    this.progressEmitter.dispose();
  }
}
