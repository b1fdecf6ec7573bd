/**
 * Per-document KV state on disk: `<dir>/<fingerprint>/<key>.state` (llama.cpp's sequence
 * state, which includes the token list; the key names the workspace and the document) and a
 * sidecar `.json` that names the fingerprint, the key and the state file's size. Writes are
 * atomic (temp + rename, sidecar last); a state file is loaded only when its sidecar names
 * the current fingerprint and the same key and its size matches, and any file that fails to
 * load is discarded with a warning. The folder is bounded: past MAX_SAVED_STATES files or
 * the disk bound the least recently saved states go.
 *
 * A save writes beside the final name, `<name>.<pid>-<start time>.tmp`: a writer killed
 * mid-save (kill -9, a crash, a power cut) leaves its temp file, and the name says whose it
 * was, so a store opening the folder removes the temps of writers that are gone and leaves
 * a live writer's alone. Temps count in the disk bound like states do.
 *
 * Every folder is checked like the home (private-home.ts): kv/ linked to a folder others
 * may write is refused, and nothing is loaded from it.
 */
import { chmodSync, closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { LlamaContextSequence } from "node-llama-cpp";
import { isProcessAlive, processStartTime, writeSecretFile } from "../discovery.js";
import { assertPrivateFolder, ensurePrivateFolder } from "../private-home.js";
import { parseSavedLayout, type SavedLayout } from "../prompt/prompt-layout.js";

interface Sidecar {
  format: 1;
  fingerprint: string;
  workspaceId: string;
  tokens: number;
  bytes: number;
  savedAt: string;
  /** The prompt layout the state holds, when one was held (prompt-layout.ts). */
  layout?: SavedLayout;
}

/** What a load brought back besides the KV state itself. */
export interface LoadedState {
  layout: SavedLayout | null;
}

export interface KvStoreStats {
  saves: number;
  loads: number;
  discarded: number;
  /** States removed to keep the folder within its bounds. */
  pruned: number;
  /** Saves that failed (a full disk, a write error); the previous state stayed. */
  failedSaves: number;
}

const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Saved states kept in all: every recently edited document of a few workspaces and models. */
export const MAX_SAVED_STATES = 256;
/** The default bound on saved states' bytes, all models together (a 1.5B model's 4k-token state is about 115 MB). */
export const DEFAULT_KV_DISK_BYTES = 2 * 1024 ** 3;

/** `<final name>.<pid>.tmp` (older saves, and small files written with writeSecretFile) or `<final name>.<pid>-<start time>.tmp`. */
const TEMP_NAME = /\.(\d{1,10})(?:-(\d{1,20}))?\.tmp$/;

/** This process's tag in its temp files' names: its pid, and when it started where the system says. */
function writerTag(): string {
  const started = processStartTime(process.pid);
  return started === null ? String(process.pid) : `${process.pid}-${started}`;
}

/** Whether the process that named a temp file this way still runs (a pid reused since is another process). */
function writerAlive(pid: number, startTime: string | undefined): boolean {
  if (pid === process.pid) return startTime === undefined || startTime === processStartTime(pid);
  if (!isProcessAlive(pid)) return false;
  if (startTime === undefined) return true;
  const now = processStartTime(pid);
  return now === null || now === startTime;
}

export class KvStore {
  readonly dir: string;
  readonly stats: KvStoreStats = { saves: 0, loads: 0, discarded: 0, pruned: 0, failedSaves: 0 };
  private readonly tag = writerTag();

  constructor(
    private readonly root: string,
    readonly fingerprint: string,
    private readonly log: (message: string) => void,
    /** Saved states' bytes the whole kv/ folder may hold, every model's together. */
    private readonly maxBytes: number = DEFAULT_KV_DISK_BYTES,
  ) {
    this.dir = path.join(root, fingerprint);
    ensurePrivateFolder(root);
    ensurePrivateFolder(this.dir);
    this.sweepDeadWriters();
  }

  /** Removes the temp files of saves whose writer died mid-save, in every model's folder. */
  private sweepDeadWriters(): void {
    let files = 0;
    let bytes = 0;
    for (const temp of this.temps()) {
      if (temp.live) continue;
      rmSync(temp.file, { force: true });
      files++;
      bytes += temp.bytes;
    }
    if (files > 0) this.log(`removed ${files} temp file(s) (${bytes} bytes) under ${this.root} left by saves that were killed mid-write`);
  }

  /** Every temp file under kv/, with its size and whether its writer still runs. */
  private temps(): { file: string; bytes: number; live: boolean }[] {
    const found: { file: string; bytes: number; live: boolean }[] = [];
    for (const fingerprint of safeReaddir(this.root)) {
      const dir = path.join(this.root, fingerprint);
      for (const name of safeReaddir(dir)) {
        const match = TEMP_NAME.exec(name);
        if (!match) continue;
        try {
          const file = path.join(dir, name);
          found.push({ file, bytes: statSync(file).size, live: writerAlive(Number(match[1]), match[2]) });
        } catch {
          // Renamed or removed meanwhile by its writer.
        }
      }
    }
    return found;
  }

  /** Why the store's folders can't be trusted now (a link swapped in since start), or null. */
  private folderRefusal(): string | null {
    try {
      assertPrivateFolder(this.root);
      assertPrivateFolder(this.dir);
      return null;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      return error instanceof Error ? error.message : String(error);
    }
  }

  private files(workspaceId: string): { state: string; sidecar: string } {
    if (!SAFE_ID.test(workspaceId)) throw new Error(`unsafe workspace id for a file name: ${JSON.stringify(workspaceId)}`);
    return { state: path.join(this.dir, `${workspaceId}.state`), sidecar: path.join(this.dir, `${workspaceId}.json`) };
  }

  static persistable(workspaceId: string): boolean {
    return SAFE_ID.test(workspaceId);
  }

  async save(workspaceId: string, sequence: LlamaContextSequence, layout: SavedLayout | null = null): Promise<void> {
    const { state, sidecar } = this.files(workspaceId);
    ensurePrivateFolder(this.root);
    ensurePrivateFolder(this.dir);
    const temp = `${state}.${this.tag}.tmp`;
    rmSync(temp, { force: true });
    // Speculative decoding leaves drafted tokens in the KV cache past the token list; saved
    // as they are, they would sit at positions the next evaluation collides with.
    await sequence.eraseContextTokenRanges([{ start: sequence.nextTokenIndex, end: sequence.contextSize }]);
    const tokens = sequence.nextTokenIndex;
    if (tokens === 0) return;
    const sidecarTemp = `${sidecar}.${this.tag}.tmp`;
    rmSync(sidecarTemp, { force: true });
    try {
      const { fileSize } = await sequence.saveStateToFile(temp);
      // llama.cpp creates the file with the process's default mode: documents' text is in it.
      chmodSync(temp, 0o600);
      fsyncFile(temp);
      const record: Sidecar = { format: 1, fingerprint: this.fingerprint, workspaceId, tokens, bytes: fileSize, savedAt: new Date().toISOString(), ...(layout ? { layout } : {}) };
      writeFileSync(sidecarTemp, JSON.stringify(record), { mode: 0o600, flag: "wx" });
      fsyncFile(sidecarTemp);
      // Both files are whole before either replaces the old pair; renames need no space.
      renameSync(temp, state);
      renameSync(sidecarTemp, sidecar);
    } catch (error) {
      // A full disk (ENOSPC) or any write error: no partial file stays, the previous state is intact.
      rmSync(temp, { force: true });
      rmSync(sidecarTemp, { force: true });
      throw error;
    }
    this.stats.saves++;
    this.prune(workspaceId);
  }

  /**
   * Drops the least recently saved states past kv/'s bounds, across every model's
   * fingerprint folder (a model used once long ago goes first); `keep` was just saved.
   * Temp files count too: a dead writer's go, a live writer's bytes are taken off the bound.
   */
  private prune(keep: string): void {
    let bytes = 0;
    for (const temp of this.temps()) {
      if (temp.live) bytes += temp.bytes;
      else rmSync(temp.file, { force: true });
    }
    // The state files' own size and mtime, not the sidecars: those carry a layout's text,
    // and reading hundreds of them on every save would be work done for nothing.
    const saved: { dir: string; id: string; bytes: number; savedAt: number }[] = [];
    for (const fingerprint of safeReaddir(this.root)) {
      const dir = path.join(this.root, fingerprint);
      for (const name of safeReaddir(dir)) {
        const id = name.endsWith(".state") ? name.slice(0, -".state".length) : null;
        if (id === null || !SAFE_ID.test(id)) continue;
        try {
          const stats = statSync(path.join(dir, name));
          saved.push({ dir, id, bytes: stats.size, savedAt: stats.mtimeMs });
        } catch {
          // Removed meanwhile.
        }
      }
    }
    saved.sort((a, b) => b.savedAt - a.savedAt);
    saved.forEach((entry, index) => {
      bytes += entry.bytes;
      if ((entry.dir === this.dir && entry.id === keep) || (index < MAX_SAVED_STATES && bytes <= this.maxBytes)) return;
      rmSync(path.join(entry.dir, `${entry.id}.json`), { force: true });
      rmSync(path.join(entry.dir, `${entry.id}.state`), { force: true });
      this.stats.pruned++;
    });
  }

  /** Loads the workspace's saved state into `sequence`; null when there is none worth loading. */
  async load(workspaceId: string, sequence: LlamaContextSequence): Promise<LoadedState | null> {
    const { state, sidecar } = this.files(workspaceId);
    const refusal = this.folderRefusal();
    if (refusal !== null) {
      this.log(`warning: not loading saved KV state of workspace ${workspaceId}: ${refusal}`);
      return null;
    }
    let record: Sidecar;
    try {
      record = JSON.parse(readFileSync(sidecar, "utf8")) as Sidecar;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      return this.discard(workspaceId, `unreadable sidecar (${error instanceof Error ? error.message : String(error)})`);
    }
    if (record.workspaceId !== workspaceId) return this.discard(workspaceId, `its sidecar names ${JSON.stringify(record.workspaceId)}`);
    if (record.fingerprint !== this.fingerprint) return this.discard(workspaceId, `fingerprint ${record.fingerprint} is not the loaded model's ${this.fingerprint}`);
    let size: number;
    try {
      size = statSync(state).size;
    } catch {
      return this.discard(workspaceId, "state file missing");
    }
    if (size !== record.bytes) return this.discard(workspaceId, `state file is ${size} bytes, expected ${record.bytes} (truncated?)`);
    if (record.tokens > sequence.contextSize) return this.discard(workspaceId, `state holds ${record.tokens} tokens, more than the context's ${sequence.contextSize}`);
    try {
      await sequence.loadStateFromFile(state, { acceptRisk: true });
    } catch (error) {
      await sequence.clearHistory();
      return this.discard(workspaceId, `llama.cpp could not load it (${error instanceof Error ? error.message : String(error)})`);
    }
    if (sequence.nextTokenIndex !== record.tokens) {
      await sequence.clearHistory();
      return this.discard(workspaceId, `loaded ${sequence.nextTokenIndex} tokens, expected ${record.tokens}`);
    }
    this.stats.loads++;
    return { layout: record.layout === undefined ? null : parseSavedLayout(record.layout) };
  }

  /** A small number kept beside the states, e.g. the prefill speed that shaped them. */
  writeNumber(name: string, value: number): void {
    ensurePrivateFolder(this.dir);
    writeSecretFile(path.join(this.dir, name), JSON.stringify({ value }));
  }

  readNumber(name: string): number | null {
    try {
      const value: unknown = (JSON.parse(readFileSync(path.join(this.dir, name), "utf8")) as { value?: unknown }).value;
      return typeof value === "number" && Number.isFinite(value) ? value : null;
    } catch {
      return null;
    }
  }

  private discard(workspaceId: string, reason: string): null {
    const { state, sidecar } = this.files(workspaceId);
    this.log(`warning: discarded saved KV state of workspace ${workspaceId}: ${reason}`);
    rmSync(state, { force: true });
    rmSync(sidecar, { force: true });
    this.stats.discarded++;
    return null;
  }
}

/** Durable before visible: a crash right after the rename must not leave a hole under the final name. */
function fsyncFile(file: string): void {
  const fd = openSync(file, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
