/**
 * One context sequence per workspace, so each workspace keeps its own warm KV cache. The
 * pool is bounded (every sequence allocates the full context); when it is full, the least
 * recently used workspace gives up its sequence, which is cleared and handed on.
 */
import type { LlamaContext, LlamaContextSequence } from "node-llama-cpp";

interface Slot {
  sequence: LlamaContextSequence;
  workspaceId: string | null;
  lastUsed: number;
}

export class SequencePool {
  private readonly slots: Slot[] = [];
  private clock = 0;

  constructor(context: LlamaContext, size: number) {
    for (let i = 0; i < size; i++) this.slots.push({ sequence: context.getSequence(), workspaceId: null, lastUsed: 0 });
  }

  /** The workspace's sequence, taking over the least recently used one when it has none. */
  async acquire(workspaceId: string): Promise<LlamaContextSequence> {
    this.clock++;
    let slot = this.slots.find((s) => s.workspaceId === workspaceId);
    if (slot === undefined) {
      slot = this.slots.reduce((oldest, s) => (s.lastUsed < oldest.lastUsed ? s : oldest));
      if (slot.workspaceId !== null) await slot.sequence.clearHistory();
      slot.workspaceId = workspaceId;
    }
    slot.lastUsed = this.clock;
    return slot.sequence;
  }

  cachedTokens(workspaceId: string): number {
    return this.slots.find((s) => s.workspaceId === workspaceId)?.sequence.nextTokenIndex ?? 0;
  }

  dispose(): void {
    for (const slot of this.slots) slot.sequence.dispose();
    this.slots.length = 0;
  }
}
