/**
 * One context sequence per workspace, so each workspace keeps its own warm KV cache. The
 * pool is bounded (every sequence allocates the full context); when it is full, the least
 * recently used workspace gives up its sequence: its state is saved to disk first, and is
 * loaded back on its next request. Everything is also saved at idle and at shutdown.
 */
import type { LlamaContext, LlamaContextSequence, TokenPredictor } from "node-llama-cpp";
import { KvStore } from "./kv-store.js";

interface Slot {
  sequence: LlamaContextSequence;
  workspaceId: string | null;
  lastUsed: number;
  /** Bumped on every acquire; the state on disk is current when `savedVersion` equals it. */
  version: number;
  savedVersion: number;
}

export interface AcquireResult {
  sequence: LlamaContextSequence;
  /** True when the workspace's state was just loaded from disk. */
  restored: boolean;
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
  ) {
    for (let i = 0; i < size; i++) this.slots.push({ sequence: context.getSequence({ tokenPredictor: predictorFor() }), workspaceId: null, lastUsed: 0, version: 0, savedVersion: 0 });
  }

  /** The workspace's sequence, taking over the least recently used one when it has none. */
  async acquire(workspaceId: string): Promise<AcquireResult> {
    this.clock++;
    let slot = this.slots.find((s) => s.workspaceId === workspaceId);
    let restored = false;
    if (slot === undefined) {
      slot = this.slots.reduce((oldest, s) => (s.lastUsed < oldest.lastUsed ? s : oldest));
      if (slot.workspaceId !== null) {
        await this.saveSlot(slot);
        await slot.sequence.clearHistory();
      }
      slot.workspaceId = workspaceId;
      slot.version = 0;
      slot.savedVersion = 0;
      if (this.store && KvStore.persistable(workspaceId)) restored = await this.store.load(workspaceId, slot.sequence);
    }
    slot.lastUsed = this.clock;
    slot.version++;
    return { sequence: slot.sequence, restored };
  }

  private async saveSlot(slot: Slot): Promise<void> {
    if (!this.store || slot.workspaceId === null || !KvStore.persistable(slot.workspaceId)) return;
    if (slot.version === slot.savedVersion) return;
    await this.store.save(slot.workspaceId, slot.sequence);
    slot.savedVersion = slot.version;
  }

  /** Saves the workspace's state if it changed since the last save. */
  async save(workspaceId: string): Promise<void> {
    const slot = this.slots.find((s) => s.workspaceId === workspaceId);
    if (slot) await this.saveSlot(slot);
  }

  async saveAll(): Promise<void> {
    for (const slot of this.slots) await this.saveSlot(slot);
  }

  cachedTokens(workspaceId: string): number {
    return this.slots.find((s) => s.workspaceId === workspaceId)?.sequence.nextTokenIndex ?? 0;
  }

  dispose(): void {
    for (const slot of this.slots) slot.sequence.dispose();
    this.slots.length = 0;
  }
}
