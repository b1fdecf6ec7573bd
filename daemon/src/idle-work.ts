/**
 * What the daemon does for a workspace once its requests pause (IDLE_MS after the last):
 * the context ring takes in its queued chunks, and the last completion's prompt is laid out
 * anew and evaluated (the lines typed since the last layout move above the suffix, new
 * chunks join the head, a prefill-budget cut may grow back), so the next keystroke pays a
 * handful of tokens; then the workspace's KV states go to disk, each at most once a minute
 * (a 1.5B model's state is about 100 MB), so a crash or a kill loses at most a minute of
 * cache. The work runs as a background scheduler job: a request that arrives meanwhile
 * aborts it, and the request's own idle timer brings it back.
 */
import { ContextRing } from "./prompt/context-ring.js";
import type { InferenceBackend } from "./backend.js";
import type { JobHandle, Scheduler } from "./scheduler.js";

export const IDLE_MS = 3000;
/** A document's state is written at most this often while in use (always on eviction, a precision switch and stop). */
export const SAVE_INTERVAL_MS = 60_000;

export class IdleWork {
  /** For hearth/status: passes that ran to the end, and the tokens their warm-ups evaluated. */
  readonly stats = { passes: 0, warmedTokens: 0 };
  private readonly rings = new Map<string, ContextRing>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly saveTimers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly backend: InferenceBackend,
    private readonly scheduler: Scheduler,
    private readonly log: (message: string) => void,
  ) {}

  /** The workspace's ring of context chunks from other files. */
  contextRing(workspaceId: string): ContextRing {
    let ring = this.rings.get(workspaceId);
    if (!ring) {
      ring = new ContextRing((text) => this.backend.countTokens(text));
      this.rings.set(workspaceId, ring);
    }
    return ring;
  }

  /** (Re)arms the workspace's idle timer after a request; `warm` lays its last prompt out anew. */
  requestFinished(workspaceId: string, warm: (signal: AbortSignal) => Promise<number>): void {
    clearTimeout(this.timers.get(workspaceId));
    const timer = setTimeout(() => {
      this.timers.delete(workspaceId);
      const work = async (job: JobHandle): Promise<void> => {
        // A workspace forgotten meanwhile has no ring: nothing to promote, and none is made again.
        this.rings.get(workspaceId)?.promote();
        this.stats.warmedTokens += await warm(job.signal);
        if (job.signal.aborted) return;
        this.scheduleSave(workspaceId, await this.backend.saveWorkspace(workspaceId, SAVE_INTERVAL_MS));
        this.stats.passes++;
      };
      this.scheduler
        .submit(null, () => undefined, work, { background: true })
        .catch((error: unknown) => this.log(`warning: idle work for workspace ${workspaceId} failed: ${String(error)}`));
    }, IDLE_MS);
    timer.unref();
    this.timers.set(workspaceId, timer);
  }

  /** Drops the ring of a workspace whose last client left; a pending idle pass still saves its states. */
  forget(workspaceId: string): void {
    this.rings.delete(workspaceId);
  }

  /** A save skipped for spacing runs once it is due, so a pause that ends the day still reaches the disk. */
  private scheduleSave(workspaceId: string, dueMs: number | null): void {
    if (dueMs === null) return;
    clearTimeout(this.saveTimers.get(workspaceId));
    const timer = setTimeout(() => {
      this.saveTimers.delete(workspaceId);
      const work = async (job: JobHandle): Promise<void> => {
        if (!job.signal.aborted) this.scheduleSave(workspaceId, await this.backend.saveWorkspace(workspaceId, SAVE_INTERVAL_MS));
      };
      this.scheduler
        .submit(null, () => undefined, work, { background: true })
        .catch((error: unknown) => this.log(`warning: saving workspace ${workspaceId} failed: ${String(error)}`));
    }, dueMs + 10);
    timer.unref();
    this.saveTimers.set(workspaceId, timer);
  }

  /** Drops pending idle work (the daemon saves everything itself when it stops). */
  cancel(): void {
    for (const timer of [...this.timers.values(), ...this.saveTimers.values()]) clearTimeout(timer);
    this.timers.clear();
    this.saveTimers.clear();
  }
}
