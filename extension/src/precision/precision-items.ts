/**
 * How Switch Precision's quick picks describe the daemon's variants and KV cache types.
 * Pure (vscode-free) so the wording is unit-tested; switch-precision.ts shows them.
 */
import type { KvCacheTypeInfo, PrecisionListResult, PrecisionVariant } from "../../../daemon/src/protocol.js";
import { formatBytes, formatRate } from "../stats/format.js";

export interface PickItem {
  label: string;
  description: string;
  detail?: string;
  /** What the pick means: a variant id or a KV cache type. */
  value: string;
  /** False for a KV type the daemon cannot use here (picking it explains why). */
  enabled: boolean;
}

const ORIGIN: Readonly<Record<PrecisionVariant["origin"], string>> = {
  file: "file",
  hf: "Hugging Face",
  derived: "derived locally",
  generated: "generated",
};

/** Variants, the current one first and marked; each with memory, speed and where it comes from. */
export function variantItems(list: PrecisionListResult): PickItem[] {
  return [...list.variants]
    .sort((a, b) => Number(b.current) - Number(a.current))
    .map((v) => {
      const memory = v.estimatedMemoryBytes === null ? "memory unknown" : `≈${formatBytes(v.estimatedMemoryBytes)}`;
      // A speed is shown once measured (after the variant has run); unmeasured says nothing rather than the same phrase on every row.
      const speed = v.tokensPerSecond === null ? "" : formatRate(v.tokensPerSecond);
      const accuracy = accuracyText(v);
      const availability = v.available ? (v.fileBytes === null ? "ready" : `${formatBytes(v.fileBytes)} on disk`) : v.origin === "hf" ? "downloaded when chosen" : "made on this machine when chosen";
      return {
        label: `${v.current ? "$(check) " : ""}${v.id}`,
        description: [memory, speed, accuracy, v.current ? "current" : ""].filter(Boolean).join(" · "),
        detail: `${ORIGIN[v.origin]} · ${availability} · ${v.source}`,
        value: v.id,
        enabled: true,
      };
    });
}

/**
 * What `hearth eval` measured, once it has run: how often the variant's greedy completion is
 * the reference's (its accuracy cost), or for the reference itself its exact-match rate.
 */
function accuracyText(v: PrecisionVariant): string {
  const a = v.accuracy;
  if (!a) return "";
  const pct = (rate: number): string => `${Math.round(100 * rate)}%`;
  return a.agreementRate !== null && a.reference !== null ? `same as ${a.reference} on ${pct(a.agreementRate)} of ${a.tasks} tasks` : `${pct(a.exactMatchRate)} exact on ${a.tasks} tasks`;
}

/** KV cache types with the memory each needs; the current one marked, unusable ones saying why. */
export function kvTypeItems(list: PrecisionListResult): PickItem[] {
  return list.kvCacheTypes.map((t: KvCacheTypeInfo) => {
    const current = t.type === list.current.kvCacheType;
    return {
      label: `${current ? "$(check) " : t.supported ? "" : "$(circle-slash) "}${t.type}`,
      description: [`KV ≈${formatBytes(t.estimatedKvBytes)}`, current ? "current" : "", t.supported ? "" : `unavailable: ${t.reason ?? "not supported here"}`].filter(Boolean).join(" · "),
      value: t.type,
      enabled: t.supported,
    };
  });
}
