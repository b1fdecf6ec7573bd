/**
 * What the status bar item says, as a pure function of the state it reflects, so the
 * wording is unit-tested without VS Code. The text names Hearth and the model with the last
 * latency and the memory; the tooltip is short (model, precision, latency, memory, and what
 * is wrong when something is); the rest (device, speed, cache reuse, speculation, saved
 * caches) is one click away, in the status menu (`detailLines`).
 */
import type { ModelProgressParams, StatusResult } from "../../../daemon/src/protocol.js";
import { problemOf } from "../problems.js";
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
  /** The active editor's language when completions are off for it (hearth.completion.languages); null otherwise. */
  languageOff?: string | null;
}

export interface StatusView {
  text: string;
  /** Markdown. */
  tooltip: string;
  severity: "normal" | "warning" | "error";
}

/** Daemons before remote engines have no backend field. */
function backendOf(status: StatusResult): StatusResult["backend"] | null {
  const backend = (status as { backend?: StatusResult["backend"] }).backend;
  return backend && backend.kind !== "local" ? backend : null;
}

/** Model weights plus KV cache, and where they live (VRAM on a GPU, else RAM); for a remote engine, which one and its cache use where it reports it. */
export function memoryLabel(status: StatusResult): string {
  const backend = backendOf(status);
  if (backend) {
    const cache = backend.serverCache;
    const reuse = cache && cache.evaluatedPromptTokens + cache.cachedPromptTokens > 0 ? cache.cachedPromptTokens / (cache.evaluatedPromptTokens + cache.cachedPromptTokens) : null;
    return `${backend.kind}${reuse === null ? " (remote)" : ` · cache ${formatPercent(reuse)}`}`;
  }
  const where = status.device.kind === "cpu" ? "RAM" : "VRAM";
  return `${formatBytes(status.memory.modelBytes + status.memory.kvBytes)} ${where}`;
}

/** The model as a person names it: the local model with its precision, or the server's model. */
export function modelLabel(status: StatusResult): string {
  const backend = backendOf(status);
  if (backend) return backend.serverModel ?? backend.kind;
  const m = status.model;
  const name = m.name || m.source;
  return m.precision && !name.toUpperCase().includes(m.precision.toUpperCase()) ? `${name} ${m.precision}` : name;
}

export function statusView(input: StatusInput): StatusView {
  const { connection, daemon, stats } = input;
  const tooltip = tooltipOf(input);
  if (connection.kind === "connecting") return { text: "$(loading~spin) Hearth", tooltip, severity: "normal" };
  if (connection.kind === "reconnecting") return { text: "$(debug-disconnect) Hearth: reconnecting", tooltip, severity: "warning" };
  if (connection.kind === "stopped") return { text: "$(circle-slash) Hearth", tooltip, severity: "normal" };
  const problem = daemon ? problemOf(daemon, { configuredBackend: "" }) : null;
  // A model not downloaded yet is a choice to make (the first-run notification offers them), not a failure.
  if (problem) return problem.severity === "info" ? { text: `$(cloud-download) Hearth: ${problem.label}`, tooltip, severity: "warning" } : { text: `$(error) Hearth: ${problem.label}`, tooltip, severity: "error" };
  const modelState = daemon?.modelState;
  if (modelState?.state === "loading" || (input.modelProgress && (input.modelProgress.phase === "load" || input.modelProgress.phase === "download"))) {
    const progress = input.modelProgress?.progress ?? (modelState?.state === "loading" ? modelState.progress : null);
    const label = input.modelProgress?.phase === "download" ? "downloading model" : "loading model";
    return { text: `$(loading~spin) Hearth: ${label}${progress === null ? "" : ` ${Math.round(progress * 100)}%`}`, tooltip, severity: "normal" };
  }
  const name = daemon ? `Hearth: ${modelLabel(daemon)}` : "Hearth";
  const memory = daemon ? memoryLabel(daemon) : null;
  if (input.paused) return { text: `$(debug-pause) Hearth paused${memory ? ` · ${memory}` : ""}`, tooltip, severity: "normal" };
  if (input.languageOff) return { text: `$(circle-slash) Hearth: off in ${input.languageOff}`, tooltip, severity: "normal" };
  const latency = stats.lastLatencyMs === null ? null : formatMs(stats.lastLatencyMs);
  const figures = [name, latency, memory].filter((part): part is string => part !== null).join(" · ");
  const icon = input.generating ? "$(loading~spin)" : "$(flame)";
  return { text: `${icon} ${figures}`, tooltip, severity: "normal" };
}

/** The tooltip: what runs, how fast, how much memory, and what is wrong if anything is. */
function tooltipOf(input: StatusInput): string {
  const { connection, daemon, stats } = input;
  const lines: string[] = [];
  if (connection.kind === "connecting") lines.push("**Hearth**", "", "Connecting to the daemon (starting one if none runs)…");
  if (connection.kind === "stopped") lines.push("**Hearth**", "", "Not connected.");
  if (connection.kind === "reconnecting") {
    lines.push("**Hearth**", "", `Lost the daemon: ${connection.reason}`, "", `Trying again in ${formatMs(connection.retryInMs)}; a new daemon starts if the old one is gone.`);
  }
  if (connection.kind === "connected" && daemon) {
    const backend = backendOf(daemon);
    const m = daemon.model;
    lines.push(backend ? `**Hearth** · ${modelLabel(daemon)} on ${backend.kind} at ${backend.url ?? "?"}` : `**Hearth** · ${m.name || m.source} · ${m.precision}${m.kvCacheType ? ` · KV ${m.kvCacheType}` : ""}`, "");
    const problem = problemOf(daemon, { configuredBackend: "" });
    if (problem) lines.push(problem.message, "");
    // Older daemons list no models by role.
    for (const role of ((daemon as { models?: StatusResult["models"] }).models ?? []).filter((r) => r.role === "chat" || r.role === "nextEdit")) {
      lines.push(`${role.role === "chat" ? "Chat" : "Next-edit"} model: ${role.name || role.source} · ${role.state}${role.memoryBytes ? ` · ${formatBytes(role.memoryBytes)}` : ""}`, "");
    }
    if (stats.lastLatencyMs !== null) lines.push(`Latency: last ${formatMs(stats.lastLatencyMs)}, median ${formatMs(stats.medianLatencyMs)}`, "");
    const nextEdit = nextEditLine(stats);
    if (nextEdit !== null) lines.push(nextEdit, "");
    if (!backend && daemon.modelState.state === "ready") lines.push(`Memory: ${memoryLabel(daemon)}`, "");
    if (input.paused) lines.push("Completions are paused.", "");
    if (input.languageOff) lines.push(`Completions are off in ${input.languageOff} (hearth.completion.languages).`, "");
  } else if (connection.kind === "connected") {
    lines.push("**Hearth**", "");
  }
  lines.push(input.languageOff && connection.kind === "connected" ? "Click to turn them on, or for status and actions." : "Click for status and actions.");
  return lines.join("\n");
}

/** Next edits in this window: how many shown were accepted, and how fast answers come; null before the first request. */
export function nextEditLine(stats: StatsSnapshot): string | null {
  const figures = stats.nextEdit;
  if (figures.requests === 0) return null;
  const acceptance = figures.shown > 0 ? ` (${formatPercent(figures.accepted / figures.shown)})` : "";
  return `Next edits: ${figures.shown} shown, ${figures.accepted} accepted${acceptance} · latency median ${formatMs(figures.medianLatencyMs)}`;
}

/** The full figures, shown in the status menu (one line each). */
export function detailLines(input: StatusInput): string[] {
  const { daemon, stats } = input;
  const lines: string[] = [];
  if (daemon) {
    const backend = backendOf(daemon);
    const m = daemon.model;
    const mem = daemon.memory;
    lines.push(`Daemon: v${daemon.version}, pid ${daemon.pid}`);
    if (backend) {
      const cache = backend.serverCache;
      const cacheText = cache ? `${cache.cachedPromptTokens} prompt tokens from cache, ${cache.evaluatedPromptTokens} evaluated${cache.usageRatio === null ? "" : `, KV ${formatPercent(cache.usageRatio)} full`}` : "not reported";
      lines.push(`Engine: ${backend.kind} at ${backend.url ?? "?"}${backend.reachable ? "" : " (not answering)"}`);
      lines.push(`Server model: ${backend.serverModel ?? "?"}${backend.slots === null ? "" : ` · ${backend.slots} slots`}`);
      lines.push(`Server cache: ${cacheText}`);
      if (backend.lastLatencyMs !== null) lines.push(`Last request to the server: ${formatMs(backend.lastLatencyMs)}`);
    } else {
      lines.push(`Device: ${daemon.device.kind.toUpperCase()} · ${daemon.device.name} (${daemon.device.threads} threads)`);
      lines.push(`Model: ${m.name || m.source} · ${m.precision}${m.kvCacheType ? ` · KV ${m.kvCacheType}` : ""} · context ${m.contextSize}${m.draft ? ` · draft ${m.draft}` : ""}`);
      lines.push(`Memory: ${memoryLabel(daemon)} (weights ${formatBytes(mem.modelBytes)} + KV ${formatBytes(mem.kvBytes)})`);
      if (mem.vramTotalBytes > 0) lines.push(`VRAM: ${formatBytes(mem.vramUsedBytes)} used of ${formatBytes(mem.vramTotalBytes)}`);
      lines.push(`RAM: ${formatBytes(mem.ramUsedBytes)} used of ${formatBytes(mem.ramTotalBytes)}; daemon ${formatBytes(mem.daemonRssBytes)}`);
      // Older daemons have no persistent KV cache (and no field for it).
      const kv = (daemon as { kvCache?: StatusResult["kvCache"] }).kvCache;
      if (kv) lines.push(`Saved KV caches: ${kv.saves} saved, ${kv.loads} loaded back, ${kv.discarded} discarded`);
    }
  }
  lines.push(`Latency: last ${formatMs(stats.lastLatencyMs)}, median ${formatMs(stats.medianLatencyMs)} (${stats.completions} completions)`);
  lines.push(`Speed: ${formatRate(stats.tokensPerSecond)}`);
  lines.push(`Cache reuse: ${formatPercent(stats.cacheReuse)} of prompt tokens; ${stats.clientCacheHits} suggestions from the client cache`);
  lines.push(`Speculative acceptance: ${stats.speculativeAcceptance === null ? "no drafts yet" : formatPercent(stats.speculativeAcceptance)}`);
  const nextEdit = nextEditLine(stats);
  if (nextEdit !== null) lines.push(`${nextEdit} (${stats.nextEdit.requests} asked)`);
  lines.push(`Debounce: ${formatMs(input.debounceMs)}${input.paused ? " · completions paused" : ""}`);
  return lines;
}
