/**
 * What `hearth eval` measured, kept in the daemon's home (`eval/accuracy.json`, 0600) so the
 * precision picker can show each variant's accuracy cost beside its memory and speed: the
 * share of tasks whose greedy completion equals the highest-precision variant's, and the
 * exact-match rate. Keyed by the model as configured and the variant's precision. Read as
 * untrusted input: bounded in size, every field checked, anything else ignored.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { writeSecretFile } from "./discovery.js";
import { ensurePrivateDir } from "./private-home.js";
import type { VariantAccuracy } from "./protocol.js";

const MAX_RECORD_BYTES = 1024 * 1024;
/** Entries kept (the newest): one per model and precision evaluated. */
const MAX_ENTRIES = 512;

interface AccuracyFile {
  version: 1;
  entries: Record<string, VariantAccuracy>;
}

function recordPath(home: string): string {
  return path.join(home, "eval", "accuracy.json");
}

/** A model source as a key: a path made absolute, anything with a scheme (hf:, generated:) as it is. */
function sourceKey(source: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(source) && !/^[a-z]:[\\/]/i.test(source) ? source : path.resolve(source);
}

function keyOf(source: string, precision: string): string {
  return `${sourceKey(source)}\u0000${precision}`;
}

export function readAccuracy(home: string): Map<string, VariantAccuracy> {
  const file = recordPath(home);
  const entries = new Map<string, VariantAccuracy>();
  try {
    if (!existsSync(file) || statSync(file).size > MAX_RECORD_BYTES) return entries;
    const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
    const raw = (parsed as { entries?: unknown } | null)?.entries;
    if (typeof raw !== "object" || raw === null) return entries;
    for (const [key, value] of Object.entries(raw as Record<string, unknown>).slice(-MAX_ENTRIES)) {
      const accuracy = asAccuracy(value);
      if (accuracy) entries.set(key, accuracy);
    }
  } catch {
    // A damaged record is an empty one: the picker then shows no accuracy, as before any eval.
  }
  return entries;
}

/** The accuracy measured for `source` at `precision`, or null when it was never evaluated. */
export function accuracyOf(record: Map<string, VariantAccuracy>, source: string, precision: string): VariantAccuracy | null {
  return record.get(keyOf(source, precision)) ?? null;
}

/** Adds (or replaces) what one eval run measured. */
export function recordAccuracy(home: string, results: readonly { source: string; precision: string; accuracy: VariantAccuracy }[]): void {
  const entries = readAccuracy(home);
  for (const { source, precision, accuracy } of results) {
    const key = keyOf(source, precision);
    entries.delete(key);
    entries.set(key, accuracy);
  }
  const kept = [...entries].slice(-MAX_ENTRIES);
  const file: AccuracyFile = { version: 1, entries: Object.fromEntries(kept) };
  ensurePrivateDir(path.dirname(recordPath(home)));
  writeSecretFile(recordPath(home), `${JSON.stringify(file, null, 2)}\n`);
}

function asAccuracy(value: unknown): VariantAccuracy | null {
  if (typeof value !== "object" || value === null) return null;
  const v = value as Record<string, unknown>;
  const rate = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x) && x >= 0 && x <= 1;
  if (!rate(v.exactMatchRate) || !(v.agreementRate === null || rate(v.agreementRate))) return null;
  if (typeof v.tasks !== "number" || !Number.isInteger(v.tasks) || v.tasks < 1 || v.tasks > 1_000_000) return null;
  if (!(v.reference === null || (typeof v.reference === "string" && v.reference.length <= 200))) return null;
  if (typeof v.measuredAt !== "string" || v.measuredAt.length > 40) return null;
  return { exactMatchRate: v.exactMatchRate, agreementRate: v.agreementRate, reference: v.reference, tasks: v.tasks, measuredAt: v.measuredAt };
}
