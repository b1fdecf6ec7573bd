/**
 * Switch Precision: a quick pick of the daemon's precision variants (memory estimate,
 * measured speed, the current one marked), then the KV cache type, then the switch itself
 * under a progress notification fed by the daemon's work-done progress. The methods are
 * feature-detected; a daemon without them gets a message that says what to do instead.
 */
import { randomUUID } from "node:crypto";
import * as vscode from "vscode";
import { KV_CACHE_TYPES, PrecisionListRequest, PrecisionSetRequest, WorkDoneProgress, type KvCacheType, type PrecisionListResult } from "../../../daemon/src/protocol.js";
import type { DaemonClient } from "../client.js";
import type { DaemonStatus } from "../daemon-status.js";
import { describeError, type Log } from "../log.js";
import { editorHint, sentences } from "../problems.js";
import { formatBytes } from "../stats/format.js";
import { kvTypeItems, variantItems, type PickItem } from "./precision-items.js";

export type SwitchOutcome =
  | { status: "switched"; variant: string; kvCacheType: string; memoryBytes: number }
  | { status: "unsupported"; message: string }
  | { status: "cancelled" }
  | { status: "failed"; message: string };

export interface SwitchArgs {
  variant?: string;
  kvCacheType?: string;
}

function isKvCacheType(value: string): value is KvCacheType {
  return (KV_CACHE_TYPES as readonly string[]).includes(value);
}

export class PrecisionSwitcher {
  constructor(
    private readonly client: DaemonClient,
    private readonly daemonStatus: DaemonStatus,
    private readonly log: Log,
  ) {}

  get supported(): boolean {
    return this.client.supports(PrecisionListRequest.method) && this.client.supports(PrecisionSetRequest.method) && !this.remote;
  }

  /** A server backend runs the model it has: its precision is not Hearth's to switch. */
  private get remote(): boolean {
    const kind = this.daemonStatus.status?.backend.kind;
    return kind !== undefined && kind !== "local";
  }

  /** With `args.variant` the pickers are skipped (keybindings, tests). */
  async run(args: SwitchArgs = {}): Promise<SwitchOutcome> {
    if (this.client.state.kind !== "connected") {
      const message = "Hearth is not connected to its daemon yet. Wait for the status bar to show it connected, or run “Hearth: Restart Daemon”.";
      void vscode.window.showWarningMessage(message);
      return { status: "failed", message };
    }
    if (this.remote) {
      const message = "Hearth uses the model a server runs (hearth.backend): choose its precision on the server. Switch Precision works with the local backend.";
      void vscode.window.showInformationMessage(message);
      return { status: "unsupported", message };
    }
    if (!this.supported) {
      const message =
        "This Hearth daemon cannot switch precision (it has no hearth/precision/list method). " +
        "To use another precision, set hearth.model.path to that variant's .gguf file or hf: URI and run Hearth: Restart Daemon, or update Hearth.";
      void vscode.window.showWarningMessage(message, "Open Settings").then((choice) => {
        if (choice) void vscode.commands.executeCommand("workbench.action.openSettings", "hearth.model.path");
      });
      return { status: "unsupported", message };
    }
    try {
      const client = this.client.requireClient();
      const list = await client.sendRequest(PrecisionListRequest);
      const variant = args.variant ?? (await this.pick(variantItems(list), "Hearth: Switch Precision (1/2): model weights", "Memory is weights + KV cache at the current context size"));
      if (variant === undefined) return { status: "cancelled" };
      const kvCacheType = args.variant !== undefined ? (args.kvCacheType ?? list.current.kvCacheType) : await this.pickKvType(list);
      if (kvCacheType === undefined) return { status: "cancelled" };
      if (!isKvCacheType(kvCacheType)) throw new Error(`“${kvCacheType}” is not a KV cache type; use one of ${KV_CACHE_TYPES.join(", ")}.`);
      return await this.switchTo(variant, kvCacheType);
    } catch (error) {
      const message = describeError(error);
      this.log.error("switching precision failed", error);
      const hint = editorHint(error) ?? "The current model stays loaded. See the Hearth log for details.";
      void vscode.window.showErrorMessage(sentences(`Hearth could not switch precision: ${error instanceof Error ? error.message : String(error)}`, hint), "Open Log").then((choice) => {
        if (choice) this.log.show();
      });
      return { status: "failed", message };
    }
  }

  private async pick(items: PickItem[], title: string, placeHolder: string): Promise<string | undefined> {
    if (items.length === 0) {
      void vscode.window.showInformationMessage("Hearth: the daemon lists nothing to choose from for this model.");
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      items.map((item) => ({ label: item.label, description: item.description, ...(item.detail === undefined ? {} : { detail: item.detail }), item })),
      { title, placeHolder },
    );
    if (picked === undefined) return undefined;
    if (!picked.item.enabled) {
      void vscode.window.showWarningMessage(`Hearth: ${picked.item.value} cannot be used here (${picked.item.description}). Pick another.`);
      return undefined;
    }
    return picked.item.value;
  }

  private pickKvType(list: PrecisionListResult): Promise<string | undefined> {
    return this.pick(kvTypeItems(list), "Hearth: Switch Precision (2/2): KV cache type", "Smaller KV types save memory at some cost in quality");
  }

  private async switchTo(variant: string, kvCacheType: KvCacheType): Promise<SwitchOutcome> {
    const client = this.client.requireClient();
    const title = `Hearth: switching to ${variant} (KV ${kvCacheType})`;
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: false }, async (progress) => {
      const token = `precision-${randomUUID()}`;
      let reported = 0;
      const subscription = client.onProgress(WorkDoneProgress, token, (value) => {
        if (value.kind === "end") return;
        const increment = value.percentage === undefined ? undefined : Math.max(0, value.percentage - reported);
        if (value.percentage !== undefined) reported = value.percentage;
        progress.report({ ...(value.message === undefined ? {} : { message: value.message }), ...(increment === undefined ? {} : { increment }) });
      });
      try {
        // The daemon checks the KV type and answers with a typed error (and a hint) when it can't use it.
        return await client.sendRequest(PrecisionSetRequest, { variant, kvCacheType, workDoneToken: token });
      } finally {
        subscription.dispose();
      }
    });
    await this.daemonStatus.refresh();
    const memoryBytes = result.memory.modelBytes + result.memory.kvBytes;
    this.log.info(`switched precision to ${result.model.variant} with KV ${result.model.kvCacheType}: ${formatBytes(memoryBytes)}`);
    return { status: "switched", variant: result.model.variant, kvCacheType: result.model.kvCacheType, memoryBytes };
  }
}
