/**
 * Per-document KV state on disk: `<dir>/<fingerprint>/<key>.state` (llama.cpp's sequence
 * state, which includes the token list; the key names the workspace and the document) and a
 * sidecar `.json` that names the fingerprint, the key and the state file's size. Writes are
 * atomic (temp + rename, sidecar last); a state file is loaded only when its sidecar names
 * the current fingerprint and the same key and its size matches, and any file that fails to
 * load is discarded with a warning. The folder is bounded: past MAX_SAVED_STATES files or
 * MAX_SAVED_BYTES the least recently saved states go.
 */
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { LlamaContextSequence } from "node-llama-cpp";
import { writeSecretFile } from "../discovery.js";
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

export class KvStore {
  readonly dir: string;
  readonly stats: KvStoreStats = { saves: 0, loads: 0, discarded: 0, pruned: 0, failedSaves: 0 };

  constructor(
    private readonly root: string,
    readonly fingerprint: string,
    private readonly log: (message: string) => void,
    /** Saved states' bytes the whole kv/ folder may hold, every model's together. */
    private readonly maxBytes: number = DEFAULT_KV_DISK_BYTES,
  ) {
    this.dir = path.join(root, fingerprint);
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
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const temp = `${state}.${process.pid}.tmp`;
    rmSync(temp, { force: true });
    // Speculative decoding leaves drafted tokens in the KV cache past the token list; saved
    // as they are, they would sit at positions the next evaluation collides with.
    await sequence.eraseContextTokenRanges([{ start: sequence.nextTokenIndex, end: sequence.contextSize }]);
    const tokens = sequence.nextTokenIndex;
    if (tokens === 0) return;
    const sidecarTemp = `${sidecar}.${process.pid}.tmp`;
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
   */
  private prune(keep: string): void {
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
    let bytes = 0;
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
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
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
