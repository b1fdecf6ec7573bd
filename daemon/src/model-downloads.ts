/**
 * hearth/downloadModel: fetches a role's model because a client asked for it (its user said
 * yes), whatever `--download` says. The completion model (and its draft) is fetched by
 * loading it again with downloads allowed, so the answer comes once it serves; a chat or
 * next-edit model is only fetched, and loads on its first use as always. Progress goes to
 * every client as hearth/modelProgress with bytes. Requests for the same role while one runs
 * join it; the transfer stops (its partial file kept to resume) when every one of them has
 * cancelled.
 */
import { statSync } from "node:fs";
import type { ProgressReporter } from "./backend.js";
import { cancelledError, HearthError } from "./errors.js";
import type { DownloadModelResult, ModelProgressParams, ModelRole, ModelState } from "./protocol.js";
import type { SecondaryRole } from "./roles.js";

/** The completion model's engine, as far as a download needs it. */
export interface ReloadableModel {
  readonly state: ModelState;
  /** Loads again after a failure, downloads allowed, stopped by `signal`; never rejects (the outcome is `state`). */
  reload(report: ProgressReporter, signal: AbortSignal): Promise<void>;
  /** Throws the load's typed failure; resolves once it serves. */
  ready(): Promise<unknown>;
  /** The loaded file. */
  path(): string | null;
}

export interface ModelDownloadsOptions {
  /** The completion model's local engine; null when a server runs it (nothing to download). */
  completion: ReloadableModel | null;
  completionSource: string;
  /** Chat and next-edit models that run on this machine, by their configured source. */
  secondary: Partial<Record<SecondaryRole, string>>;
  /** Fetches one source to disk (downloads allowed); reports progress; returns the file. */
  fetch(source: string, role: SecondaryRole, report: ProgressReporter, signal: AbortSignal): Promise<string>;
  /** A secondary role's model is on disk now: its last failure no longer holds. */
  fetched(role: SecondaryRole): void;
  report(params: ModelProgressParams): void;
  log(message: string): void;
}

interface Job {
  controller: AbortController;
  users: number;
  promise: Promise<DownloadModelResult>;
}

function fileBytes(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

export class ModelDownloads {
  private readonly jobs = new Map<string, Job>();

  constructor(private readonly options: ModelDownloadsOptions) {}

  /** Fetches `role`'s model (completion: and loads it); rejects with the typed failure, or a cancel when `signal` aborts. */
  download(role: ModelRole, signal: AbortSignal): Promise<DownloadModelResult> {
    // A draft comes with the completion model's load.
    const key: "completion" | SecondaryRole = role === "draft" ? "completion" : role;
    return this.join(key, signal, (jobSignal) => (key === "completion" ? this.downloadCompletion(role, jobSignal) : this.downloadSecondary(key, jobSignal)));
  }

  private async downloadCompletion(role: ModelRole, signal: AbortSignal): Promise<DownloadModelResult> {
    const model = this.options.completion;
    const source = this.options.completionSource;
    if (model === null) {
      throw new HearthError("HEARTH_ERR_NOT_SUPPORTED_BY_BACKEND", `The completion model runs on ${source}: there is nothing to download.`, "Download models for the daemon's own engine only (--backend local).");
    }
    let fetched = false;
    const report: ProgressReporter = (phase, progress, message, bytes) => {
      if (phase === "download") fetched = true;
      this.options.report({ source, role, phase, progress, message, ...(bytes ?? {}) });
    };
    if (model.state.state === "failed") this.options.log(`downloading ${source} as a client asked`);
    await model.reload(report, signal);
    await model.ready();
    const path = model.path() ?? "";
    return { role, source, path, bytes: fileBytes(path), alreadyDownloaded: !fetched };
  }

  private async downloadSecondary(role: SecondaryRole, signal: AbortSignal): Promise<DownloadModelResult> {
    const source = this.options.secondary[role];
    if (source === undefined) {
      throw new HearthError("HEARTH_ERR_INVALID_PARAMS", `No ${role === "chat" ? "chat" : "next-edit"} model runs on this machine: there is nothing to download.`, "Set --chat-model or --next-edit-model (hearth.model.chat, hearth.model.nextEdit) to a model here.");
    }
    let fetched = false;
    const report: ProgressReporter = (phase, progress, message, bytes) => {
      if (phase === "download") fetched = true;
      this.options.report({ source, role, phase, progress, message, ...(bytes ?? {}) });
    };
    const path = await this.options.fetch(source, role, report, signal);
    if (fetched) this.options.fetched(role);
    return { role, source, path, bytes: fileBytes(path), alreadyDownloaded: !fetched };
  }

  /** Joins the role's job (starting it if none runs); a requester that cancels leaves, and the last one out stops it. */
  private join(key: string, signal: AbortSignal, run: (signal: AbortSignal) => Promise<DownloadModelResult>): Promise<DownloadModelResult> {
    let job = this.jobs.get(key);
    if (job === undefined) {
      const controller = new AbortController();
      const promise = run(controller.signal).finally(() => this.jobs.delete(key));
      // Every requester may have left before it ends: its outcome then has no one to go to.
      promise.catch(() => undefined);
      job = { controller, users: 0, promise };
      this.jobs.set(key, job);
    }
    const current = job;
    current.users++;
    return new Promise<DownloadModelResult>((resolve, reject) => {
      let settled = false;
      const leave = (): boolean => {
        if (settled) return false;
        settled = true;
        current.users--;
        signal.removeEventListener("abort", onAbort);
        return true;
      };
      const onAbort = (): void => {
        if (!leave()) return;
        if (current.users === 0) current.controller.abort();
        reject(cancelledError("cancelled"));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      current.promise.then(
        (result) => leave() && resolve(result),
        (error: unknown) => leave() && reject(error),
      );
    });
  }

  /** Stops every transfer (the daemon is stopping). */
  dispose(): void {
    for (const job of this.jobs.values()) job.controller.abort();
  }
}
