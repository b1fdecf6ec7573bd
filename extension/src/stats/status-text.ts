/**
 * What the status bar item says, as a pure function of the state it reflects, so the
 * wording is unit-tested without VS Code. The text stays short (latency, median, memory);
 * the tooltip carries the rest (device, model, precision, tokens/s, cache reuse,
 * speculative acceptance).
 */
import type { ModelProgressParams, StatusResult } from "../../../daemon/src/protocol.js";
import { formatBytes, formatMs, formatPercent, formatRate } from "./format.js";
import type { StatsSnapshot } from "./request-stats.js";

export type ConnectionSummary =
  | { kind: "connecting" }
  | { kind: "connected"; pid: number }
  | { kind: "reconnecting"; retryInMs: number; reason: string }
  | { kind: "stopped" };

export interface StatusInput {
  connection: ConnectionSummary;
  paused: boolean;
  generating: boolean;
  stats: StatsSnapshot;
  daemon: StatusResult | null;
  modelProgress: ModelProgressParams | null;
  debounceMs: number;
}

export interface StatusView {
  text: string;
  /** Markdown. */
  tooltip: string;
  severity: "normal" | "warning" | "error";
}

/** Model weights plus KV cache, and where they live (VRAM on a GPU, else RAM); for a remote engine, which one and its cache use where it reports it. */
export function memoryLabel(status: StatusResult): string {
  // Daemons before remote engines have no backend field.
  const backend = (status as { backend?: StatusResult["backend"] }).backend;
  if (backend && backend.kind !== "local") {
    const cache = backend.serverCache;
    const reuse = cache && cache.evaluatedPromptTokens + cache.cachedPromptTokens > 0 ? cache.cachedPromptTokens / (cache.evaluatedPromptTokens + cache.cachedPromptTokens) : null;
    return `${backend.kind}${reuse === null ? " (remote)" : ` · cache ${formatPercent(reuse)}`}`;
  }
  const where = status.device.kind === "cpu" ? "RAM" : "VRAM";
  return `${formatBytes(status.memory.modelBytes + status.memory.kvBytes)} ${where}`;
}

export function statusView(input: StatusInput): StatusView {
  const { connection, daemon, stats } = input;
  const tooltip = tooltipOf(input);
  if (connection.kind === "connecting") return { text: "$(loading~spin) Hearth", tooltip, severity: "normal" };
  if (connection.kind === "reconnecting") return { text: "$(debug-disconnect) Hearth: reconnecting", tooltip, severity: "warning" };
  if (connection.kind === "stopped") return { text: "$(circle-slash) Hearth", tooltip, severity: "normal" };
  const modelState = daemon?.modelState;
  if (modelState?.state === "failed") {
    const remote = daemon?.device.kind === "remote";
    return { text: remote ? "$(error) Hearth: server unreachable" : "$(error) Hearth: model failed", tooltip, severity: "error" };
  }
  if (modelState?.state === "loading" || (input.modelProgress && (input.modelProgress.phase === "load" || input.modelProgress.phase === "download"))) {
    const progress = input.modelProgress?.progress ?? (modelState?.state === "loading" ? modelState.progress : null);
    const label = input.modelProgress?.phase === "download" ? "downloading model" : "loading model";
    return { text: `$(loading~spin) Hearth: ${label}${progress === null ? "" : ` ${Math.round(progress * 100)}%`}`, tooltip, severity: "normal" };
  }
  const memory = daemon ? memoryLabel(daemon) : null;
  const latency = stats.lastLatencyMs === null ? null : `${formatMs(stats.lastLatencyMs)} · p50 ${formatMs(stats.medianLatencyMs)}`;
  const figures = [latency, memory].filter((part): part is string => part !== null).join(" · ");
  if (input.paused) return { text: `$(debug-pause) Hearth paused${memory ? ` · ${memory}` : ""}`, tooltip, severity: "normal" };
  const icon = input.generating ? "$(loading~spin)" : "$(flame)";
  return { text: `${icon} ${figures === "" ? "Hearth" : figures}`, tooltip, severity: "normal" };
}

function tooltipOf(input: StatusInput): string {
  const { connection, daemon, stats } = input;
  const lines: string[] = ["**Hearth** — local code completion", ""];
  if (connection.kind === "connecting") lines.push("Connecting to the daemon (starting one if none runs)…");
  if (connection.kind === "stopped") lines.push("Not connected.");
  if (connection.kind === "reconnecting") {
    lines.push(`Lost the daemon: ${connection.reason}`, "", `Trying again in ${formatMs(connection.retryInMs)}; a new daemon starts if the old one is gone.`);
  }
  if (daemon) {
    const m = daemon.model;
    const mem = daemon.memory;
    lines.push(`- Daemon: v${daemon.version}, pid ${daemon.pid}`);
    const backend = (daemon as { backend?: StatusResult["backend"] }).backend;
    if (backend && backend.kind !== "local") {
      const cache = backend.serverCache;
      const cacheText = cache ? `${cache.cachedPromptTokens} prompt tokens from cache, ${cache.evaluatedPromptTokens} evaluated${cache.usageRatio === null ? "" : `, KV ${formatPercent(cache.usageRatio)} full`}` : "remote";
      lines.push(`- Engine: ${backend.kind} at ${backend.url ?? "?"}${backend.reachable ? "" : " — unreachable"}`);
      lines.push(`- Server model: ${backend.serverModel ?? "?"}${backend.slots === null ? "" : ` · ${backend.slots} slots`} · server cache ${cacheText} · last request ${formatMs(backend.lastLatencyMs)}`);
      if (backend.lastError) lines.push(`- Last error: ${backend.lastError}`);
    } else {
      lines.push(`- Device: ${daemon.device.kind.toUpperCase()} — ${daemon.device.name} (${daemon.device.threads} threads)`);
    }
    lines.push(`- Model: ${m.name || m.source}${m.precision ? ` · ${m.precision}` : ""}${m.kvCacheType ? ` · KV ${m.kvCacheType}` : ""} · ctx ${m.contextSize}${m.draft ? ` · draft ${m.draft}` : ""}`);
    // Older daemons list no models by role.
    for (const role of ((daemon as { models?: StatusResult["models"] }).models ?? []).filter((r) => r.role === "chat" || r.role === "nextEdit")) {
      lines.push(`- ${role.role === "chat" ? "Chat" : "Next-edit"} model: ${role.name || role.source} · ${role.state}${role.memoryBytes ? ` · ${formatBytes(role.memoryBytes)}` : ""}`);
    }
    if (daemon.modelState.state === "failed") lines.push(`- Model failed: ${daemon.modelState.message} ${daemon.modelState.hint}`);
    lines.push(`- Memory: ${memoryLabel(daemon)} (weights ${formatBytes(mem.modelBytes)} + KV ${formatBytes(mem.kvBytes)})`);
    if (mem.vramTotalBytes > 0) lines.push(`- VRAM: ${formatBytes(mem.vramUsedBytes)} used of ${formatBytes(mem.vramTotalBytes)}`);
    lines.push(`- RAM: ${formatBytes(mem.ramUsedBytes)} used of ${formatBytes(mem.ramTotalBytes)}; daemon ${formatBytes(mem.daemonRssBytes)}`);
    // Older daemons have no persistent KV cache (and no field for it).
    const kv = (daemon as { kvCache?: StatusResult["kvCache"] }).kvCache;
    if (kv) lines.push(`- Saved KV caches: ${kv.saves} saved, ${kv.loads} loaded back, ${kv.discarded} discarded`);
  }
  if (connection.kind === "connected") {
    lines.push(`- Latency: last ${formatMs(stats.lastLatencyMs)}, median ${formatMs(stats.medianLatencyMs)} (${stats.completions} completions)`);
    lines.push(`- Speed: ${formatRate(stats.tokensPerSecond)}`);
    lines.push(`- Cache reuse: ${formatPercent(stats.cacheReuse)} of prompt tokens; ${stats.clientCacheHits} suggestions from the client cache`);
    lines.push(`- Speculative acceptance: ${stats.speculativeAcceptance === null ? "no drafts yet" : formatPercent(stats.speculativeAcceptance)}`);
    lines.push(`- Debounce: ${formatMs(input.debounceMs)}${input.paused ? " · completions paused" : ""}`);
  }
  lines.push("", "Click for actions.");
  return lines.join("\n");
}
