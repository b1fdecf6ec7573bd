/**
 * An engine's own port with its completion slots watched: `onRun` sees each prompt a slot is
 * asked to evaluate (and the slot, to ask what its cache lacks) and may wrap the request.
 */
import type { CacheSlot, EnginePort, EngineRunRequest } from "../../daemon/src/pipeline/engine-port.js";

export function watchSlots<T>(port: EnginePort<T>, onRun: (prompt: readonly T[], slot: CacheSlot<T>, request: EngineRunRequest) => EngineRunRequest): EnginePort<T> {
  return {
    ...port,
    completionSlot: async (workspaceId, documentUri) => {
      const slot = await port.completionSlot(workspaceId, documentUri);
      return {
        get held() {
          return slot.held;
        },
        hold: (layouts) => slot.hold(layouts),
        uncached: (prompt) => slot.uncached(prompt),
        run: (prompt, request) => slot.run(prompt, onRun(prompt, slot, request)),
        release: () => slot.release(),
      };
    },
  };
}
