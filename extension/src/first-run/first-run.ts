/**
 * A first run with consent. The extension starts its daemon with `--download never`, so a
 * model that is not on disk is a typed state, not a download. Here that state becomes one
 * notification: this machine (the daemon's measurement), the catalog tier recommended for
 * it with sizes, and four choices: Download (remembered, so it is asked once), Choose… (the
 * catalog in a quick pick), Use a Local File…, Use a Server…. Downloads run as
 * hearth/downloadModel under a cancellable progress notification (percent, MB of MB); a
 * cancel keeps the bytes and offers the choices again; a hub that can't be reached is said
 * in a notification with the same choices. A model already on disk never asks.
 */
import * as vscode from "vscode";
import { DEFAULT_MODEL } from "../../../daemon/src/options.js";
import { DownloadModelRequest, ErrorCodes, ModelCatalogRequest, type ModelCatalogResult, type ModelDownloadInfo, type ModelRole, type StatusResult } from "../../../daemon/src/protocol.js";
import type { DaemonClient } from "../client.js";
import type { Config } from "../config.js";
import type { DaemonStatus } from "../daemon-status.js";
import { describeError, type Log } from "../log.js";
import type { Notices } from "../notices.js";
import { problemOf } from "../problems.js";
import { firstRunMessage, machineSummary, modelPicks, progressMessage, recommendedSet, recommendedSettings, SERVER_KINDS, serverBackend } from "./first-run-offer.js";

/** globalState: the user said yes to downloading models (Download, or a catalog model chosen). */
export const DOWNLOAD_CONSENT_KEY = "hearth.downloadConsent";

/** The states the first run answers: a model not on disk, a hub out of reach, a download that failed. */
const FIRST_RUN_CODES: ReadonlySet<string> = new Set(["HEARTH_ERR_MODEL_NOT_DOWNLOADED", "HEARTH_ERR_MODEL_HUB_UNREACHABLE", "HEARTH_ERR_MODEL_DOWNLOAD_FAILED"]);

/** One download's progress notification as shown (the tests read these: notifications are not readable through VS Code's API). */
export interface DownloadRecord {
  role: ModelRole;
  title: string;
  /** Each progress line shown: percent (null while the size is unknown) and "42% · 690.1 MB of 1.65 GB". */
  reports: Array<{ percent: number | null; message: string }>;
  outcome: "running" | "done" | "cancelled" | "failed";
  error?: string;
}

export type DownloadOutcome = "downloaded" | "already" | "restarted" | "cancelled" | "failed" | "unavailable";

const RECORDS_KEPT = 20;

export interface FirstRunDeps {
  client: DaemonClient;
  daemonStatus: DaemonStatus;
  config: Config;
  notices: Notices;
  log: Log;
  state: vscode.Memento;
}

type FailedState = Extract<StatusResult["modelState"], { state: "failed" }> & { download: ModelDownloadInfo };

function firstRunFailure(status: StatusResult): FailedState | null {
  const state = status.modelState;
  return state.state === "failed" && FIRST_RUN_CODES.has(state.code ?? "") && state.download !== undefined ? (state as FailedState) : null;
}

export class FirstRun implements vscode.Disposable {
  private readonly records: DownloadRecord[] = [];
  private readonly recordEmitter = new vscode.EventEmitter<DownloadRecord>();
  /** Fires as a download's notification opens, reports and ends. */
  readonly onDidRecordDownload = this.recordEmitter.event;
  private running: Promise<DownloadOutcome> | null = null;
  /** Daemons whose downloads ran on the remembered consent (once each). */
  private readonly ensured = new Set<number>();
  /** Offers being prepared (the catalog is asked first), by daemon and problem. */
  private readonly preparing = new Set<string>();

  constructor(private readonly deps: FirstRunDeps) {}

  get consented(): boolean {
    return this.deps.state.get<boolean>(DOWNLOAD_CONSENT_KEY) === true;
  }

  get downloads(): readonly DownloadRecord[] {
    return this.records;
  }

  /**
   * A fresh daemon status. With consent given, a daemon that lacks its model fetches it (once
   * per daemon); without, the first-run notification offers the choices. True when the
   * failure is the first run's to show (the generic problem notice stays out of it).
   */
  onStatus(status: StatusResult): boolean {
    const failure = firstRunFailure(status);
    const missing = failure?.code === "HEARTH_ERR_MODEL_NOT_DOWNLOADED";
    // Once per daemon: a download the user stopped is not started again by itself.
    if (this.consented && this.running === null && !this.ensured.has(status.pid) && (status.modelState.state === "ready" || missing)) {
      this.ensured.add(status.pid);
      void this.downloadConfigured(status, false);
      return failure !== null;
    }
    if (failure === null) return false;
    // A download under way says how it ends itself.
    if (this.running === null) void this.offer(status, false);
    return true;
  }

  /** Hearth: Download Model: says yes (remembered), then fetches what this daemon lacks. */
  download(): Promise<DownloadOutcome> {
    // One at a time, and none started by itself meanwhile (the yes below makes the status do that).
    this.running ??= this.downloadAsked().finally(() => (this.running = null));
    return this.running;
  }

  private async downloadAsked(): Promise<DownloadOutcome> {
    await this.deps.state.update(DOWNLOAD_CONSENT_KEY, true);
    const status = await this.freshStatus();
    if (status === null) return "unavailable";
    const failure = firstRunFailure(status);
    if (failure && this.nothingConfigured(failure.download)) {
      // Nothing chosen yet: the recommended set goes into the settings (the roles left unset),
      // the daemon restarts on them, and its downloads follow on the consent just given.
      const catalog = await this.catalog().catch(() => null);
      const changes = catalog ? recommendedSettings(recommendedSet(catalog), this.configuredRoles(), DEFAULT_MODEL) : {};
      if (Object.keys(changes).length > 0) {
        this.deps.log.info("downloading the recommended models: setting them first");
        await this.deps.notices.changeSettings(changes);
        return "restarted";
      }
    }
    this.ensured.add(status.pid);
    return this.downloadEach(status, true);
  }

  /** Hearth: Choose Model…: the catalog's completion models (size, fit, on disk); the one picked is set and fetched. */
  async chooseModel(given?: unknown): Promise<string | undefined> {
    let name = typeof given === "string" ? given : undefined;
    if (name === undefined) {
      let catalog: ModelCatalogResult;
      try {
        catalog = await this.catalog();
      } catch (error) {
        void vscode.window.showErrorMessage(`Hearth cannot list its models: ${describeError(error)}`);
        return undefined;
      }
      const items = modelPicks(catalog).map((pick) => ({ label: pick.label, description: pick.description, detail: pick.detail, name: pick.name }));
      const picked = await vscode.window.showQuickPick(items, { title: "Hearth: choose a completion model", placeHolder: `This machine: ${machineSummary(catalog.machine)}`, matchOnDescription: true, matchOnDetail: true });
      name = picked?.name;
    }
    if (name === undefined) return undefined;
    // Choosing a catalog model is asking for its download.
    await this.deps.state.update(DOWNLOAD_CONSENT_KEY, true);
    await this.deps.notices.changeSettings({ "model.path": name, ...(this.deps.config.backend !== "local" ? { backend: undefined } : {}) });
    return name;
  }

  /** Hearth: Use a Local Model File…: a .gguf on disk becomes hearth.model.path. */
  async useLocalModel(given?: unknown): Promise<string | undefined> {
    let file = typeof given === "string" ? given : undefined;
    if (file === undefined) {
      const picked = await vscode.window.showOpenDialog({ title: "Hearth: use a model file", canSelectFiles: true, canSelectFolders: false, canSelectMany: false, filters: { "GGUF models": ["gguf"] }, openLabel: "Use This Model" });
      file = picked?.[0]?.fsPath;
    }
    if (file === undefined) return undefined;
    await this.deps.notices.changeSettings({ "model.path": file, ...(this.deps.config.backend !== "local" ? { backend: undefined } : {}) });
    return file;
  }

  /** Hearth: Use a Server…: llama-server or an OpenAI-compatible server by URL becomes hearth.backend. */
  async useServer(given?: unknown): Promise<string | undefined> {
    let value = typeof given === "string" && given.includes("=") ? given : undefined;
    if (value === undefined) {
      const kind = await vscode.window.showQuickPick(
        SERVER_KINDS.map((k) => ({ label: k.label, detail: k.detail, server: k.kind })),
        { title: "Hearth: use a server that runs the model" },
      );
      if (!kind) return undefined;
      const url = await vscode.window.showInputBox({
        title: `Hearth: ${kind.label} URL`,
        prompt: "Hearth sends your code there: over https, or plain http on this machine (hearth.remote.insecureHttp for a network you trust).",
        placeHolder: "http://127.0.0.1:8080",
        ignoreFocusOut: true,
        validateInput: (text) => {
          const result = serverBackend(kind.server, text);
          return "problem" in result ? result.problem : undefined;
        },
      });
      if (url === undefined) return undefined;
      const result = serverBackend(kind.server, url);
      if ("problem" in result) return undefined;
      value = result.value;
    }
    await this.deps.notices.changeSettings({ backend: value });
    return value;
  }

  /** The first-run notification (or the unreachable hub's) for this status, once per daemon and problem unless `again`. */
  private async offer(status: StatusResult, again: boolean): Promise<void> {
    const failure = firstRunFailure(status);
    const problem = problemOf(status, { configuredBackend: this.deps.config.backend });
    if (failure === null || problem === null) return;
    const key = `${status.pid}|${problem.key}`;
    if (this.preparing.has(key)) return;
    this.preparing.add(key);
    try {
      let message = problem.message;
      if (failure.code === "HEARTH_ERR_MODEL_NOT_DOWNLOADED") {
        const catalog = await this.catalog().catch((error: unknown) => {
          this.deps.log.debug(`no catalog for the first run: ${describeError(error)}`);
          return null;
        });
        message = firstRunMessage(failure.download, catalog, this.nothingConfigured(failure.download));
      }
      this.deps.notices.problem({ ...problem, message }, status.pid, { again });
    } finally {
      this.preparing.delete(key);
    }
  }

  /** Fetches what this daemon lacks: its completion model (which it then loads), then the chat and next-edit models set here. */
  private downloadConfigured(status: StatusResult, explicit: boolean): Promise<DownloadOutcome> {
    this.running ??= this.downloadEach(status, explicit).finally(() => (this.running = null));
    return this.running;
  }

  private async downloadEach(status: StatusResult, explicit: boolean): Promise<DownloadOutcome> {
    const failure = firstRunFailure(status);
    const roles: Array<{ role: ModelRole; title: string; atOnce: boolean }> = [];
    if (failure) roles.push({ role: "completion", title: failure.download.title ?? failure.download.source, atOnce: true });
    if (this.deps.config.chatModel !== "") roles.push({ role: "chat", title: this.deps.config.chatModel, atOnce: false });
    if (this.deps.config.nextEditModel !== "") roles.push({ role: "nextEdit", title: this.deps.config.nextEditModel, atOnce: false });
    let fetched = false;
    for (const { role, title, atOnce } of roles) {
      const outcome = await this.downloadRole(role, title, atOnce);
      if (outcome === "cancelled" || outcome === "failed") {
        // What is left to choose: the stopped download's bytes, or why it failed, with the same four choices.
        void this.deps.daemonStatus.refresh().then(() => {
          const now = this.deps.daemonStatus.status;
          if (now) void this.offer(now, explicit || outcome === "cancelled");
        });
        return outcome;
      }
      fetched ||= outcome === "downloaded";
    }
    return fetched ? "downloaded" : "already";
  }

  /**
   * One hearth/downloadModel under a progress notification: opened at once (the model the
   * daemon waits for), or at the first byte (a model that may well be on disk already).
   */
  private async downloadRole(role: ModelRole, title: string, atOnce: boolean): Promise<"downloaded" | "already" | "cancelled" | "failed"> {
    const { client, daemonStatus, log } = this.deps;
    if (!client.supports(DownloadModelRequest.method)) {
      log.warn("this Hearth daemon cannot download models on request; restart it to run this version's");
      return "failed";
    }
    const cancel = new vscode.CancellationTokenSource();
    const record: DownloadRecord = { role, title, reports: [], outcome: "running" };
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    let show: ((percent: number | null, message: string) => void) | null = null;
    let latest: { percent: number | null; message: string } | null = null;
    const open = (): void => {
      if (this.records.includes(record)) return;
      this.records.push(record);
      if (this.records.length > RECORDS_KEPT) this.records.splice(0, this.records.length - RECORDS_KEPT);
      this.recordEmitter.fire(record);
      void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Hearth: downloading ${title}`, cancellable: true }, (progress, token) => {
        token.onCancellationRequested(() => cancel.cancel());
        let shown = 0;
        show = (percent, message) => {
          // A draft's file after the model's starts again from 0: only the line changes then.
          const increment = percent !== null && percent > shown ? percent - shown : 0;
          if (percent !== null && percent > shown) shown = percent;
          progress.report({ message, ...(increment > 0 ? { increment } : {}) });
        };
        if (latest) show(latest.percent, latest.message);
        return finished;
      });
    };
    const subscription = daemonStatus.onModelProgress((p) => {
      if ((p.role ?? "completion") !== role || !(p.phase === "download" || (p.phase === "load" && this.records.includes(record)))) return;
      open();
      const percent = p.phase === "download" && p.progress !== null ? Math.floor(p.progress * 100) : null;
      const message = p.phase === "download" ? progressMessage(p.receivedBytes ?? 0, p.totalBytes ?? null) : "loading the model…";
      latest = { percent, message };
      if (p.phase === "download") {
        record.reports.push(latest);
        this.recordEmitter.fire(record);
      }
      show?.(percent, message);
    });
    if (atOnce) open();
    try {
      const result = await client.requireClient().sendRequest(DownloadModelRequest, { role }, cancel.token);
      record.outcome = "done";
      log.info(result.alreadyDownloaded ? `${result.source} is on disk: ${result.path}` : `downloaded ${result.source} to ${result.path} (${result.bytes} bytes)`);
      return result.alreadyDownloaded ? "already" : "downloaded";
    } catch (error) {
      const cancelled = cancel.token.isCancellationRequested || (error as { code?: unknown }).code === ErrorCodes.RequestCancelled;
      record.outcome = cancelled ? "cancelled" : "failed";
      if (!cancelled) record.error = describeError(error);
      if (cancelled) log.info(`the download of ${title} was stopped; its bytes are kept to resume`);
      else log.warn(`downloading ${title} failed: ${describeError(error)}`);
      return cancelled ? "cancelled" : "failed";
    } finally {
      subscription.dispose();
      finish();
      cancel.dispose();
      this.recordEmitter.fire(record);
    }
  }

  private async catalog(): Promise<ModelCatalogResult> {
    if (!this.deps.client.supports(ModelCatalogRequest.method)) throw new Error("this Hearth daemon has no model catalog; restart it to run this version's");
    return this.deps.client.requireClient().sendRequest(ModelCatalogRequest);
  }

  private async freshStatus(): Promise<StatusResult | null> {
    await this.deps.daemonStatus.refresh();
    return this.deps.daemonStatus.status;
  }

  /** The daemon lacks its default model and this window names none: a first run, which the recommended set answers. */
  private nothingConfigured(missing: ModelDownloadInfo): boolean {
    return missing.role === "completion" && missing.source === DEFAULT_MODEL && this.deps.config.modelPath === "" && this.deps.config.backend === "local";
  }

  private configuredRoles(): Record<ModelRole, string> {
    const c = this.deps.config;
    return { completion: c.modelPath, chat: c.chatModel, nextEdit: c.nextEditModel, draft: c.draftModel };
  }

  dispose(): void {
    this.recordEmitter.dispose();
  }
}
