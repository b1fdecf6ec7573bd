import type { PrecisionListResult } from "../../protocol.js";
import { KV_CACHE_TYPES, type KvCacheType } from "../../protocol.js";
import { parseArgs, stringFlag, UsageError } from "../../args.js";
import { CLIENT_BOOLEAN_FLAGS, CLIENT_VALUE_FLAGS, connectClient } from "../common.js";

export const precisionHelp = `Usage: hearth precision list [--json]
       hearth precision set VARIANT [--kv f16|q8_0|q4_0] [--json]

Lists the loaded model's precision variants (files beside it, hf: tags, variants derived
locally with llama.cpp's quantizer) with memory estimates and measured speed, or switches to
one without dropping connections. In-flight requests are cancelled; saved KV caches of the
old variant stay on disk for when it comes back.

Options:
  --kv TYPE    KV cache type (q8_0 and q4_0 need flash attention)
  --json       print the result as JSON
  --no-spawn   fail instead of starting a daemon when none runs
  --home DIR   daemon home (default: $HEARTH_HOME, else ~/.cache/hearth)
`;

const mib = (bytes: number | null): string => (bytes === null ? "?" : `${(bytes / 1024 / 1024).toFixed(1)} MiB`);

export function formatPrecisionList(list: PrecisionListResult): string {
  const rows = list.variants.map((v) => {
    const speed = v.tokensPerSecond === null ? "-" : `${v.tokensPerSecond.toFixed(1)} tok/s`;
    return `${v.current ? "*" : " "} ${v.id.padEnd(8)} ${v.origin.padEnd(9)} ${(v.available ? "on disk" : "not yet").padEnd(8)} ~${mib(v.estimatedMemoryBytes).padStart(11)}  ${speed}`;
  });
  const kv = list.kvCacheTypes.map((k) => `${k.type === list.current.kvCacheType ? "*" : " "} kv ${k.type.padEnd(5)} ${mib(k.estimatedKvBytes)}${k.supported ? "" : `  (unavailable: ${k.reason ?? ""})`}`);
  return `${["  variant  origin    file      memory(est)  speed", ...rows, "", ...kv].join("\n")}\n`;
}

export async function precision(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, { boolean: CLIENT_BOOLEAN_FLAGS, value: [...CLIENT_VALUE_FLAGS, "kv"] });
  if (args.flags.has("help")) {
    process.stdout.write(precisionHelp);
    return 0;
  }
  const [action, variant, ...extra] = args.positional;
  const json = args.flags.has("json");
  const kv = stringFlag(args, "kv");
  if (kv !== undefined && !(KV_CACHE_TYPES as readonly string[]).includes(kv)) throw new UsageError(`--kv must be one of ${KV_CACHE_TYPES.join(", ")}`);
  if (action === "list" && variant === undefined) {
    const client = await connectClient(args);
    try {
      const list = await client.precisionList();
      process.stdout.write(json ? `${JSON.stringify(list, null, 2)}\n` : formatPrecisionList(list));
      return 0;
    } finally {
      client.dispose();
    }
  }
  if (action === "set" && variant !== undefined && extra.length === 0) {
    const client = await connectClient(args);
    try {
      const result = await client.precisionSet({ variant, ...(kv ? { kvCacheType: kv as KvCacheType } : {}) });
      process.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : `now ${result.model.variant} (KV ${result.model.kvCacheType}): model ${mib(result.memory.modelBytes)}, KV ${mib(result.memory.kvBytes)}\n`);
      return 0;
    } finally {
      client.dispose();
    }
  }
  throw new UsageError("expected `precision list` or `precision set VARIANT`");
}
