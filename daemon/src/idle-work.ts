/**
 * What the daemon does for a workspace once its requests pause (IDLE_MS after the last):
 * the context ring takes in its queued chunks and, when that changed the prompt's head, the
 * last prompt is evaluated again so the next keystroke doesn't pay for it; then the
 * workspace's KV state goes to disk, so a crash or a kill loses at most those seconds. The
 * work runs as a scheduler job, between requests.
 */
import { ContextRing } from "./engine/context-ring.js";
import type { Engine } from "./engine/engine.js";
import type { Scheduler } from "./scheduler.js";

export const IDLE_MS = 3000;

export class IdleWork {
  private readonly rings = new Map<string, ContextRing>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly engine: Engine,
    private readonly scheduler: Scheduler,
    private readonly log: (message: string) => void,
  ) {}

  /** The workspace's ring of context chunks from other files. */
  contextRing(workspaceId: string): ContextRing {
    let ring = this.rings.get(workspaceId);
    if (!ring) {
      ring = new ContextRing((text) => this.engine.countTokens(text));
      this.rings.set(workspaceId, ring);
    }
    return ring;
  }

  /** (Re)arms the workspace's idle timer after a request; `warm` re-runs its last prompt. */
  requestFinished(workspaceId: string, warm: () => Promise<void>): void {
    clearTimeout(this.timers.get(workspaceId));
    const timer = setTimeout(() => {
      this.timers.delete(workspaceId);
      const work = async (): Promise<void> => {
        if (this.contextRing(workspaceId).promote()) await warm();
        await this.engine.saveWorkspace(workspaceId);
      };
      this.scheduler.submit(null, () => undefined, work).catch((error: unknown) => this.log(`warning: idle work for workspace ${workspaceId} failed: ${String(error)}`));
    }, IDLE_MS);
    timer.unref();
    this.timers.set(workspaceId, timer);
  }

  /** Drops pending idle work (the daemon saves everything itself when it stops). */
  cancel(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
