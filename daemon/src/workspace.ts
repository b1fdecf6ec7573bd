/**
 * One workspace as the daemon keeps it: its folders and clients, its ring of context chunks
 * from other files, the paths its documents have in prompts, and what it does once its
 * requests pause (the idle pass). A workspace's documents' caches live in the backend, keyed
 * by its id; `dispose()` lets the backend drop what it keeps for it beside them.
 *
 * The idle pass (after `idleMs` without a request): the context ring takes in its queued
 * chunks, and the last completion's prompt is laid out anew and evaluated (the lines typed
 * since the last layout move above the suffix, new chunks join the head, a prefill-budget cut
 * may grow back), so the next keystroke pays a handful of tokens; then the workspace's KV
 * states go to disk, each at most once per `saveIntervalMs` (a 1.5B model's state is about
 * 100 MB), so a crash or a kill loses at most that much cache. The pass runs as a background
 * scheduler job: a request that arrives meanwhile aborts it, and the request's own idle timer
 * brings it back.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { InferenceBackend } from "./backend.js";
import { defaultExcludes } from "./privacy.js";
import type { WorkspaceInfo } from "./protocol.js";
import { ContextRing } from "./prompt/context-ring.js";
import type { JobHandle, Scheduler } from "./scheduler.js";

/** When the idle pass runs and how often a document's state may be written while in use. */
export interface IdleTiming {
  idleMs: number;
  /** Always written on eviction, a precision switch and stop, whatever this says. */
  saveIntervalMs: number;
}

export const DEFAULT_IDLE_TIMING: IdleTiming = { idleMs: 3000, saveIntervalMs: 60_000 };

/**
 * The idle timing, with HEARTH_IDLE_WORK_MS and HEARTH_SAVE_INTERVAL_MS where set (tests and
 * measurements shorten them rather than wait real seconds); a value that is not a whole
 * number of milliseconds from 10 ms to a day is refused.
 */
export function idleTimingFrom(env: NodeJS.ProcessEnv): IdleTiming {
  const read = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 10 || value > 86_400_000) throw new RangeError(`${name} must be whole milliseconds from 10 to 86400000; got ${JSON.stringify(raw)}.`);
    return value;
  };
  return { idleMs: read("HEARTH_IDLE_WORK_MS", DEFAULT_IDLE_TIMING.idleMs), saveIntervalMs: read("HEARTH_SAVE_INTERVAL_MS", DEFAULT_IDLE_TIMING.saveIntervalMs) };
}

/** For hearth/status: idle passes that ran to the end, and the tokens their warm-ups evaluated (every workspace's). */
export interface IdleStats {
  passes: number;
  warmedTokens: number;
}

export interface WorkspaceServices {
  backend: InferenceBackend;
  scheduler: Scheduler;
  timing: IdleTiming;
  stats: IdleStats;
  log(message: string): void;
}

/** The workspace's name in FIM formats that take one, when it has no folder. */
const UNNAMED_REPO = "workspace";

export class Workspace {
  readonly folders: readonly string[];
  clients = 0;
  lastUsed: Date | null = null;
  /** Chunks of what the user works on in other files: context for completions. */
  readonly ring: ContextRing;
  private idleTimer: NodeJS.Timeout | null = null;
  private saveTimer: NodeJS.Timeout | null = null;
  private disposed = false;

  constructor(
    readonly id: string,
    folders: readonly string[],
    private readonly services: WorkspaceServices,
  ) {
    this.folders = folders.map((uri) => uri.replace(/\/+$/, ""));
    this.ring = new ContextRing((text) => services.backend.countTokens(text));
  }

  /** What the user works on in a file becomes context for completions in the others; a file that may hold secrets never does. */
  addChunk(uri: string, text: string): void {
    if (defaultExcludes.matches(uri)) return;
    this.ring.add({ uri, name: displayName(uri), text });
  }

  /** A document's path relative to the workspace folder holding it (its file name otherwise). */
  pathOf(uri: string): string {
    const folder = this.folders.find((f) => uri.startsWith(`${f}/`));
    return folder === undefined ? fileNameOf(uri) : decodedUriPart(uri.slice(folder.length + 1));
  }

  /** The workspace's name for the repository-style FIM formats: its first folder's name. */
  get repoName(): string {
    const first = this.folders[0];
    return first === undefined ? UNNAMED_REPO : decodedUriPart(first.slice(first.lastIndexOf("/") + 1)) || UNNAMED_REPO;
  }

  touch(): void {
    this.lastUsed = new Date();
  }

  /** (Re)arms the idle pass after a completion; `warm` lays its prompt out anew and returns the tokens it evaluated. */
  requestFinished(warm: (signal: AbortSignal) => Promise<number>): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      this.background("idle work", async (job) => {
        // A workspace left meanwhile takes nothing more in; its states are still saved.
        if (!this.disposed) this.ring.promote();
        this.services.stats.warmedTokens += await warm(job.signal);
        if (job.signal.aborted) return;
        this.scheduleSave(await this.services.backend.saveWorkspace(this.id, this.services.timing.saveIntervalMs));
        this.services.stats.passes++;
      });
    }, this.services.timing.idleMs);
    this.idleTimer.unref();
  }

  status(): WorkspaceInfo {
    const backend = this.services.backend;
    return {
      workspaceId: this.id,
      folders: [...this.folders],
      cachedTokens: backend.cachedTokens(this.id),
      liveDocuments: backend.liveDocuments(this.id),
      contextChunks: this.ring.size,
      clients: this.clients,
      lastUsed: this.lastUsed?.toISOString() ?? null,
    };
  }

  /** The last client left: the backend drops what it keeps beside the caches (their states stay, live and on disk); a pending idle pass still saves. */
  dispose(): void {
    this.disposed = true;
    this.services.backend.forgetWorkspace(this.id);
  }

  /** Drops pending idle work (the daemon saves everything itself when it stops). */
  cancelIdleWork(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.idleTimer = null;
    this.saveTimer = null;
  }

  /** A save skipped for spacing runs once it is due, so a pause that ends the day still reaches the disk. */
  private scheduleSave(dueMs: number | null): void {
    if (dueMs === null) return;
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      this.background("saving", async (job) => {
        if (!job.signal.aborted) this.scheduleSave(await this.services.backend.saveWorkspace(this.id, this.services.timing.saveIntervalMs));
      });
    }, dueMs + 10);
    this.saveTimer.unref();
  }

  private background(what: string, work: (job: JobHandle) => Promise<void>): void {
    this.services.scheduler
      .submit(null, () => undefined, work, { background: true })
      .catch((error: unknown) => this.services.log(`warning: ${what} for workspace ${this.id} failed: ${String(error)}`));
  }
}

/** A path for the prompt's chunk label: the URI's path, without the scheme. */
function displayName(uri: string): string {
  try {
    return uri.startsWith("file:") ? fileURLToPath(uri) : uri;
  } catch {
    return uri;
  }
}

/** A URI's path part, %-escapes decoded where they are well-formed (a client's URI is not trusted to be). */
function decodedUriPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

export function fileNameOf(uri: string): string {
  try {
    return uri.startsWith("file:") ? path.basename(fileURLToPath(uri)) : (uri.split("/").pop() ?? uri);
  } catch {
    return uri;
  }
}
