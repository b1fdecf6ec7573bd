/**
 * One context sequence per recently completed document, so that switching between the
 * files of a workspace finds each file's prompt still in the KV cache. The pool is bounded
 * (every sequence allocates the full context, and the memory budget caps how many); when it
 * is full, the least recently used document gives up its sequence: its state is saved to
 * disk first (unless the idle save already wrote it) and is loaded back on its next request,
 * so a switch to an evicted document costs a state load (milliseconds), not a prefill.
 * Everything is also saved at idle and at shutdown.
 */
import { createHash } from "node:crypto";
import type { LlamaContext, LlamaContextSequence, Token, TokenPredictor } from "node-llama-cpp";
import { defaultExcludes } from "../privacy.js";
import { KvStore } from "./kv-store.js";
import { heldLayoutFrom, savedLayoutOf, type HeldLayout } from "../prompt/prompt-layout.js";

/** A document's cache key: its workspace and a hash of its URI (safe as a file name). */
export function documentCacheKey(workspaceId: string, documentUri: string): string {
  return `${workspaceId}-${createHash("sha256").update(documentUri).digest("hex").slice(0, 16)}`;
}

interface Slot {
  sequence: LlamaContextSequence;
  key: string | null;
  workspaceId: string | null;
  /** The prompt layouts the sequence holds, most recent first (see prompt-layout.ts). */
  layouts: HeldLayout<Token>[];
  lastUsed: number;
  /** Bumped on every acquire; the state on disk is current when `savedVersion` equals it. */
  version: number;
  savedVersion: number;
  /** When the slot's state was last written (performance.now()), for the idle save's spacing. */
  savedAt: number;
  /** A request is generating on it: it may not be handed to another document. */
  busy: boolean;
  /** Whether its state may go to disk (not for a file that may hold secrets, privacy.ts). */
  persist: boolean;
}

export interface AcquireResult {
  sequence: LlamaContextSequence;
  /** True when the document's state was just loaded from disk. */
  restored: boolean;
  /** The layouts the sequence holds; the engine replaces them as it lays prompts out. */
  layouts: HeldLayout<Token>[];
  setLayouts(layouts: HeldLayout<Token>[]): void;
  /** Ends the request's hold on the sequence. */
  release(): void;
}

export class SequencePool {
  private readonly slots: Slot[] = [];
  private clock = 0;

  constructor(
    context: LlamaContext,
    size: number,
    private readonly store: KvStore | null,
    /** Speculation's predictor for each sequence: node-llama-cpp takes it only at creation. */
    predictorFor: () => TokenPredictor | undefined = () => undefined,
    private readonly log: (message: string) => void = () => undefined,
  ) {
    for (let i = 0; i < size; i++) {
      this.slots.push({ sequence: context.getSequence({ tokenPredictor: predictorFor() }), key: null, workspaceId: null, layouts: [], lastUsed: 0, version: 0, savedVersion: 0, savedAt: Number.NEGATIVE_INFINITY, busy: false, persist: false });
    }
  }

  /** The document's sequence, taking over the least recently used one when it has none. */
  async acquire(workspaceId: string, documentUri: string): Promise<AcquireResult> {
    this.clock++;
    const key = documentCacheKey(workspaceId, documentUri);
    let slot = this.slots.find((s) => s.key === key);
    let restored = false;
    if (slot === undefined) {
      const free = this.slots.filter((s) => !s.busy);
      if (free.length === 0) throw new Error("every sequence is held by a running request (the scheduler nests only when one is free)");
      slot = free.reduce((oldest, s) => (s.lastUsed < oldest.lastUsed ? s : oldest));
      if (slot.key !== null) {
        await this.saveSlot(slot);
        await slot.sequence.clearHistory();
      }
      slot.key = key;
      slot.workspaceId = workspaceId;
      slot.layouts = [];
      slot.version = 0;
      slot.savedVersion = 0;
      slot.savedAt = Number.NEGATIVE_INFINITY;
      slot.persist = !defaultExcludes.matches(documentUri);
      if (this.store && slot.persist && KvStore.persistable(key)) {
        const loaded = await this.store.load(key, slot.sequence);
        restored = loaded !== null;
        const layout = loaded?.layout ? heldLayoutFrom<Token>(loaded.layout, slot.sequence.contextTokens) : null;
        if (layout) slot.layouts = [layout];
      }
    }
    slot.lastUsed = this.clock;
    slot.version++;
    slot.busy = true;
    const owner = slot;
    return { sequence: slot.sequence, restored, layouts: slot.layouts, setLayouts: (layouts) => (owner.layouts = layouts), release: () => (owner.busy = false) };
  }

  /**
   * Writes the slot's state if it changed. A failed write (a full disk) is a warning, not an
   * error: the previous state on disk stays intact and serving goes on; an evicted slot is
   * then given up without its latest state.
   */
  private async saveSlot(slot: Slot): Promise<void> {
    if (!this.store || slot.key === null || !slot.persist || !KvStore.persistable(slot.key)) return;
    if (slot.version === slot.savedVersion) return;
    try {
      // The layout goes with the state only when it is the one the sequence holds for sure.
      const layout = slot.layouts.length === 1 && slot.layouts[0] ? savedLayoutOf(slot.layouts[0]) : null;
      await this.store.save(slot.key, slot.sequence, layout);
      slot.savedVersion = slot.version;
      slot.savedAt = performance.now();
    } catch (error) {
      this.store.stats.failedSaves++;
      this.log(`warning: could not save the KV state of ${slot.key} (${error instanceof Error ? error.message : String(error)}); its previous state, if any, is kept`);
    }
  }

  /**
   * Saves the states of the workspace's documents that changed since their last save, but
   * none written less than `minIntervalMs` ago (a 1.5B model's state is about 100 MB: an
   * idle save after every pause would rewrite it every few seconds). Returns in how many ms
   * the first one skipped is due, null when none was skipped.
   */
  async save(workspaceId: string, minIntervalMs = 0): Promise<number | null> {
    let due: number | null = null;
    for (const slot of this.slots) {
      if (slot.workspaceId !== workspaceId || slot.version === slot.savedVersion) continue;
      const wait = slot.savedAt + minIntervalMs - performance.now();
      if (wait > 0) {
        due = due === null ? wait : Math.min(due, wait);
        continue;
      }
      await this.saveSlot(slot);
    }
    return due;
  }

  async saveAll(): Promise<void> {
    for (const slot of this.slots) await this.saveSlot(slot);
  }

  /** Tokens the workspace's live sequences hold, all its documents together. */
  cachedTokens(workspaceId: string): number {
    return this.slots.reduce((sum, s) => sum + (s.workspaceId === workspaceId ? s.sequence.nextTokenIndex : 0), 0);
  }

  hasFreeSlot(): boolean {
    return this.slots.some((s) => !s.busy);
  }

  /** Documents of the workspace with a live sequence. */
  liveDocuments(workspaceId: string): number {
    return this.slots.filter((s) => s.workspaceId === workspaceId).length;
  }

  dispose(): void {
    for (const slot of this.slots) slot.sequence.dispose();
    this.slots.length = 0;
  }
}
