import { parseArgs, UsageError } from "../../args.js";
import { CLIENT_BOOLEAN_FLAGS, CLIENT_VALUE_FLAGS, connectClient, formatMetrics } from "../common.js";
import type { NextEditCounters, StatusResult } from "../../protocol.js";

export const statusHelp = `Usage: hearth status [options]

Shows the daemon's device, model, memory, workspaces, next-edit counts and the last requests' metrics.

Options:
  --json       print the full hearth/status result as JSON
  --no-spawn   fail instead of starting a daemon when none runs
  --home DIR   daemon home (default: $HEARTH_HOME, else ~/.cache/hearth)
`;

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function formatRoleModel(m: StatusResult["models"][number]): string {
  const name = m.name !== "" ? `${m.name}${m.precision ? ` ${m.precision}` : ""}` : m.source;
  const memory = m.memoryBytes === null ? "memory counted with the completion model" : m.memoryBytes > 0 ? mib(m.memoryBytes) : "no memory held here";
  return `  ${m.role}: ${name}, ${m.state}, ${memory}${m.name !== "" && m.name !== m.source ? ` (${m.source})` : ""}${m.error ? `
    ${m.error}` : ""}`;
}

function nextEditFigures(c: NextEditCounters): string {
  const acceptance = c.suggested > 0 ? ` (${Math.round((100 * c.accepted) / c.suggested)}% of suggestions)` : "";
  return `${c.requests} requests, ${c.suggested} with edits, ${c.accepted} accepted${acceptance}, median ${c.latencyP50Ms === null ? "-" : `${Math.round(c.latencyP50Ms)} ms`}`;
}

/** Next-edit counts, daemon-wide then per connected client that asked for any; nothing when no next-edit model ever answered and none is set. */
export function formatNextEdit(s: StatusResult): string[] {
  // Older daemons send no next-edit counts.
  const counts = (s as { nextEdit?: StatusResult["nextEdit"] }).nextEdit;
  if (counts === undefined) return [];
  const configured = (s.models ?? []).some((m) => m.role === "nextEdit");
  if (!configured && counts.requests === 0) return [];
  return [
    `next edits: ${nextEditFigures(counts)}`,
    ...counts.sessions.filter((c) => c.requests > 0 || c.accepted > 0).map((c) => `  ${c.client || "a client"}${c.workspaceId ? ` (workspace ${c.workspaceId})` : ""}: ${nextEditFigures(c)}`),
  ];
}

export function formatStatus(s: StatusResult): string {
  const shape = s.backend.kind === "local" ? `${s.model.precision}, KV ${s.model.kvCacheType}, flash attention ${s.model.flashAttention === "auto" ? "auto" : s.model.flashAttention ? "on" : "off"}, ctx ${s.model.contextSize}` : `${s.model.precision ? `${s.model.precision}, ` : ""}ctx ${s.model.contextSize}, FIM ${s.model.fimTemplate ?? "none"}`;
  const model = s.modelState.state === "ready" ? `${s.model.name} (${shape})` : s.modelState.state === "failed" ? `failed: ${s.modelState.message} ${s.modelState.hint}` : `loading ${s.model.source}`;
  const lines = [
    `hearth ${s.version} pid ${s.pid}, up ${Math.round(s.uptimeMs / 1000)} s, ${s.clients} client(s)`,
    s.backend.kind === "local"
      ? `device: ${s.device.kind} (${s.device.name}), ${s.device.threads} threads`
      : `engine: ${s.backend.kind} at ${s.backend.url}${s.backend.reachable ? "" : " (unreachable)"}, model ${s.backend.serverModel ?? "?"}, ${s.backend.slots ?? "no"} slots, server cache ${s.backend.serverCache ? `${s.backend.serverCache.cachedPromptTokens} prompt tokens reused, ${s.backend.serverCache.evaluatedPromptTokens} evaluated` : "remote"}, last request ${s.backend.lastLatencyMs === null ? "-" : `${Math.round(s.backend.lastLatencyMs)} ms`}` +
        (s.backend.lastError ? `\n  last error: ${s.backend.lastError}` : ""),
    `model:  ${model}`,
    // Older daemons send no models list.
    ...(s.models ?? []).map(formatRoleModel),
    `memory: model ${mib(s.memory.modelBytes)}, KV ${mib(s.memory.kvBytes)}, RAM ${mib(s.memory.ramUsedBytes)} used / ${mib(s.memory.ramFreeBytes)} free` +
      (s.memory.vramTotalBytes > 0 ? `, VRAM ${mib(s.memory.vramUsedBytes)} used / ${mib(s.memory.vramFreeBytes)} free` : ""),
    ...s.workspaces.map((w) => `workspace ${w.workspaceId}: ${w.cachedTokens} cached tokens in ${w.liveDocuments} document(s), ${w.clients} client(s), ${w.folders.join(", ") || "(no folder)"}`),
    ...(s.kvCache ? [`saved KV: ${s.kvCache.saves} saves, ${s.kvCache.loads} loads, ${s.kvCache.discarded} discarded, ${s.kvCache.pruned} pruned, ${s.kvCache.failedSaves} failed saves (${s.kvCache.directory})`] : []),
    `idle: ${s.idle.passes} passes, warm-ups evaluated ${s.idle.warmedTokens} tokens`,
    ...formatNextEdit(s),
    ...s.recentRequests.slice(-5).map(formatMetrics),
  ];
  return `${lines.join("\n")}\n`;
}

export async function status(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, { boolean: CLIENT_BOOLEAN_FLAGS, value: CLIENT_VALUE_FLAGS });
  if (args.flags.has("help")) {
    process.stdout.write(statusHelp);
    return 0;
  }
  if (args.positional.length > 0) throw new UsageError("status takes no arguments");
  const client = await connectClient(args);
  try {
    const result = await client.status();
    process.stdout.write(args.flags.has("json") ? `${JSON.stringify(result, null, 2)}\n` : formatStatus(result));
    return 0;
  } finally {
    client.dispose();
  }
}
