/**
 * Runs requests one at a time (they share one model and, on a CPU, every core), in arrival
 * order. A completion request names its document: a newer one for the same document
 * supersedes the older, whether it is still queued or already generating. Background work
 * (the idle warm-up and save) gives way: any request submitted while it waits or runs
 * aborts it, and prefill checks the signal between chunks, so a keystroke never waits for
 * the warm-up of a pause that just ended.
 */
import { HearthError } from "./errors.js";
import { ErrorCodes, Limits } from "./protocol.js";

export type AbortReason = "cancelled" | "superseded" | "shutdown" | "switching" | "preempted";

export interface JobHandle {
  readonly signal: AbortSignal;
  /** Why the job was aborted, once it was. */
  readonly abortReason: AbortReason | null;
  /** Milliseconds from submission until the job started running. */
  readonly queueMs: number;
  abort(reason: AbortReason): void;
}

class Job implements JobHandle {
  private readonly controller = new AbortController();
  abortReason: AbortReason | null = null;
  queueMs = 0;
  readonly submittedAt = performance.now();

  constructor(
    readonly supersedeKey: string | null,
    readonly background: boolean,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  abort(reason: AbortReason): void {
    if (this.abortReason !== null) return;
    this.abortReason = reason;
    this.controller.abort(reason);
  }
}

export class Scheduler {
  private readonly live = new Set<Job>();
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  /**
   * Queues `work`; it runs after everything queued before it. The handle is returned at once
   * through `onHandle` so callers can wire cancellation before the job starts.
   */
  submit<T>(supersedeKey: string | null, onHandle: (handle: JobHandle) => void, work: (handle: JobHandle) => Promise<T>, options: { background?: boolean } = {}): Promise<T> {
    if (this.closed) {
      return Promise.reject(new HearthError(ErrorCodes.ShuttingDown, "HEARTH_ERR_SHUTTING_DOWN", "The daemon is shutting down.", "Send the request again once a daemon is running."));
    }
    if (this.live.size >= Limits.maxQueuedRequests) {
      return Promise.reject(
        new HearthError(ErrorCodes.BusyQueueFull, "HEARTH_ERR_QUEUE_FULL", `${this.live.size} requests are already waiting.`, "Cancel requests you no longer need ($/cancelRequest) and retry."),
      );
    }
    if (supersedeKey !== null) {
      for (const job of this.live) if (job.supersedeKey === supersedeKey) job.abort("superseded");
    }
    const background = options.background === true;
    if (!background) for (const job of this.live) if (job.background) job.abort("preempted");
    const job = new Job(supersedeKey, background);
    this.live.add(job);
    onHandle(job);
    const run = this.tail.then(async () => {
      job.queueMs = performance.now() - job.submittedAt;
      try {
        return await work(job);
      } finally {
        this.live.delete(job);
      }
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Aborts every queued and running job; new jobs are still taken. */
  abortAll(reason: AbortReason): void {
    for (const job of this.live) job.abort(reason);
  }

  get pending(): number {
    return this.live.size;
  }

  /** Aborts everything and refuses new work; resolves when the running job has returned. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.live) job.abort("shutdown");
    await this.tail;
  }
}
