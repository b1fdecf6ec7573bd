/**
 * Runs requests one at a time (they share one model and, on a CPU, every core), fairly:
 *
 * - Completions go before explanations and other work, which go before background work
 *   (the idle warm-up and save), first come first served within each.
 * - A completion request names its document: a newer one for the same document supersedes
 *   the older, whether it is still queued or already generating.
 * - A job aborted while it waits (cancelled, superseded) is answered at once, wherever it is
 *   in the queue, instead of when its turn would have come.
 * - A long job yields between prefill chunks and generated tokens (`JobHandle.yield`): a
 *   completion waiting for another document then runs right there, nested, and the long job
 *   carries on after it, so one workspace's cold prefill or a long explanation doesn't make
 *   another workspace wait for all of it. Nesting needs a sequence the running job doesn't
 *   hold (`mayNest`), and goes one level deep.
 * - Background work gives way: any request submitted while it waits or runs aborts it, and
 *   prefill checks the signal between chunks.
 */
import { HearthError, type AbortReason } from "./errors.js";
import { ErrorCodes, Limits } from "./protocol.js";

/** Why a job was aborted; errors.ts states each reason with the error its client receives. */
export type { AbortReason };

/** Lower runs first. */
export type JobPriority = "completion" | "other" | "background";
const RANK: Record<JobPriority, number> = { completion: 0, other: 1, background: 2 };

export interface JobHandle {
  readonly signal: AbortSignal;
  /** Why the job was aborted, once it was. */
  readonly abortReason: AbortReason | null;
  /** Milliseconds from submission until the job started running. */
  readonly queueMs: number;
  abort(reason: AbortReason): void;
  /** A point where the running job lets a waiting completion run first (see the module comment). */
  yield(): Promise<void>;
}

export interface SubmitOptions {
  /** Background work: aborted by any request (default false). */
  background?: boolean;
  /** Default "other" ("background" for background work). */
  priority?: JobPriority;
}

export interface SchedulerOptions {
  /** Whether a job may run nested inside the running one now (a free sequence for it). */
  mayNest?: () => boolean;
}

class Job implements JobHandle {
  private readonly controller = new AbortController();
  abortReason: AbortReason | null = null;
  queueMs = 0;
  readonly submittedAt = performance.now();
  started = false;
  nested = false;
  /** Runs the work and settles the submitter's promise; set by the scheduler. */
  start: () => Promise<void> = async () => undefined;

  constructor(
    readonly supersedeKey: string | null,
    readonly background: boolean,
    readonly priority: JobPriority,
    private readonly onYield: (job: Job) => Promise<void>,
    private readonly onAbortQueued: (job: Job) => void,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  abort(reason: AbortReason): void {
    if (this.abortReason !== null) return;
    this.abortReason = reason;
    this.controller.abort(reason);
    if (!this.started) this.onAbortQueued(this);
  }

  yield(): Promise<void> {
    return this.onYield(this);
  }
}

export class Scheduler {
  /** Submitted, not started, in arrival order. */
  private readonly queue: Job[] = [];
  /** Started and not finished (the top-level job, and a nested one while it runs). */
  private readonly running = new Set<Job>();
  private topLevel: Job | null = null;
  private closed = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => undefined;

  constructor(private readonly options: SchedulerOptions = {}) {}

  /**
   * Queues `work`. The handle is given at once through `onHandle` so callers can wire
   * cancellation before the job starts.
   */
  submit<T>(supersedeKey: string | null, onHandle: (handle: JobHandle) => void, work: (handle: JobHandle) => Promise<T>, options: SubmitOptions = {}): Promise<T> {
    if (this.closed) {
      return Promise.reject(new HearthError(ErrorCodes.ShuttingDown, "HEARTH_ERR_SHUTTING_DOWN", "The daemon is shutting down.", "Send the request again once a daemon is running."));
    }
    if (this.queue.length + this.running.size >= Limits.maxQueuedRequests) {
      return Promise.reject(
        new HearthError(ErrorCodes.BusyQueueFull, "HEARTH_ERR_QUEUE_FULL", `${this.queue.length + this.running.size} requests are already waiting.`, "Cancel requests you no longer need ($/cancelRequest) and retry."),
      );
    }
    if (supersedeKey !== null) {
      for (const job of [...this.queue, ...this.running]) if (job.supersedeKey === supersedeKey) job.abort("superseded");
    }
    const background = options.background === true;
    if (!background) for (const job of [...this.queue, ...this.running]) if (job.background) job.abort("preempted");
    const job = new Job(supersedeKey, background, options.priority ?? (background ? "background" : "other"), (j) => this.yieldFrom(j), (j) => this.answerAborted(j));
    const result = new Promise<T>((resolve, reject) => {
      job.start = async () => {
        job.started = true;
        job.queueMs = performance.now() - job.submittedAt;
        this.running.add(job);
        try {
          resolve(await work(job));
        } catch (error) {
          reject(error);
        } finally {
          this.running.delete(job);
        }
      };
    });
    this.queue.push(job);
    onHandle(job);
    this.pump();
    return result;
  }

  /** The next job to run: the best priority, the oldest within it. */
  private takeNext(filter: (job: Job) => boolean = () => true): Job | null {
    let best: Job | null = null;
    for (const job of this.queue) if (filter(job) && (best === null || RANK[job.priority] < RANK[best.priority])) best = job;
    if (best !== null) this.queue.splice(this.queue.indexOf(best), 1);
    return best;
  }

  private pump(): void {
    if (this.topLevel !== null) return;
    const next = this.takeNext();
    if (next === null) {
      this.markIdle();
      return;
    }
    this.topLevel = next;
    if (this.running.size === 0) this.idle = new Promise((resolve) => (this.markIdle = resolve));
    void next.start().finally(() => {
      this.topLevel = null;
      this.pump();
    });
  }

  /** A job aborted before it started: out of the queue, and its work runs now (it sees the abort and returns). */
  private answerAborted(job: Job): void {
    const index = this.queue.indexOf(job);
    if (index === -1) return;
    this.queue.splice(index, 1);
    void job.start();
  }

  /** Runs waiting completions inside `job`'s yield point, when it may. */
  private async yieldFrom(job: Job): Promise<void> {
    if (job.nested || job.background || job.signal.aborted || this.topLevel !== job) return;
    for (;;) {
      if (!(this.options.mayNest?.() ?? false)) return;
      const next = this.takeNext((candidate) => candidate.priority === "completion" && candidate.supersedeKey !== job.supersedeKey);
      if (next === null) return;
      next.nested = true;
      await next.start();
    }
  }

  /** Aborts every queued and running job; new jobs are still taken. */
  abortAll(reason: AbortReason): void {
    for (const job of [...this.queue, ...this.running]) job.abort(reason);
  }

  get pending(): number {
    return this.queue.length + this.running.size;
  }

  /** Aborts everything and refuses new work; resolves when the running job has returned. */
  async close(): Promise<void> {
    this.closed = true;
    this.abortAll("shutdown");
    if (this.topLevel !== null || this.running.size > 0) await this.idle;
  }
}
