/** The status bar's wording in each state. */
import assert from "node:assert/strict";
import type { StatusResult } from "../../daemon/src/protocol.js";
import { RequestStats } from "../../extension/src/stats/request-stats.js";
import { memoryLabel, statusView, type StatusInput } from "../../extension/src/stats/status-text.js";

const daemon: StatusResult = {
  version: "0.1.0",
  protocolVersion: 2,
  pid: 4242,
  uptimeMs: 1000,
  device: { kind: "cpu", name: "Test CPU", threads: 2 },
  backend: { kind: "local", url: null, serverModel: null, reachable: true, lastError: null, slots: null, serverCache: null, lastLatencyMs: null },
  model: { source: "generated:tiny-target", path: "/m.gguf", name: "tiny-target", precision: "Q8_0", kvCacheType: "f16", flashAttention: false, variant: "Q8_0", contextSize: 4096, fim: true, fimTemplate: "qwen", draft: null },
  modelState: { state: "ready" },
  memory: { modelBytes: 3 * 1024 ** 2, kvBytes: 1024 ** 2, vramUsedBytes: 0, vramFreeBytes: 0, vramTotalBytes: 0, ramUsedBytes: 1024 ** 3, ramFreeBytes: 1024 ** 3, ramTotalBytes: 2 * 1024 ** 3, daemonRssBytes: 200 * 1024 ** 2 },
  models: [{ role: "completion", source: "generated:tiny-target", name: "tiny-target", precision: "Q8_0", state: "ready", memoryBytes: 4 * 1024 ** 2, error: null }],
  workspaces: [],
  kvCache: null,
  clients: 1,
  idle: { passes: 0, warmedTokens: 0 },
  recentRequests: [],
};

function input(over: Partial<StatusInput> = {}): StatusInput {
  return { connection: { kind: "connected", pid: 4242 }, paused: false, generating: false, stats: new RequestStats().snapshot(), daemon, modelProgress: null, debounceMs: 120, ...over };
}

describe("statusView", () => {
  it("shows memory before the first completion, then latency and median", () => {
    assert.equal(statusView(input()).text, "$(flame) 4.00 MB RAM");
    const stats = new RequestStats();
    stats.recordCompletion(42, { requestId: 1, kind: "completion", workspaceId: "w", promptTokens: 10, reusedTokens: 5, evaluatedTokens: 5, generatedTokens: 3, tokensAfterCancel: 0, queueMs: 0, prefillMs: 1, firstTokenMs: 10, decodeMs: 28, totalMs: 40, stopReason: "eos", draftTokens: 0, acceptedTokens: 0, promptLayout: "fresh", model: "tiny-target", finishedAt: "" });
    const view = statusView(input({ stats: stats.snapshot(), generating: true }));
    assert.equal(view.text, "$(loading~spin) 42 ms · p50 42 ms · 4.00 MB RAM");
    for (const part of ["Test CPU", "tiny-target · Q8_0 · KV f16", "Latency: last 42 ms", "tok/s", "Cache reuse: 50%", "Speculative acceptance"]) assert.ok(view.tooltip.includes(part), `${part} in ${view.tooltip}`);
  });

  it("reports the saved KV caches when the daemon keeps them", () => {
    const view = statusView(input({ daemon: { ...daemon, kvCache: { directory: "/h/kv", fingerprint: "f", saves: 2, loads: 1, discarded: 0, pruned: 0, failedSaves: 0 } } }));
    assert.ok(view.tooltip.includes("Saved KV caches: 2 saved, 1 loaded back, 0 discarded"), view.tooltip);
  });

  it("says VRAM on a GPU", () => {
    assert.equal(memoryLabel({ ...daemon, device: { kind: "cuda", name: "H100", threads: 8 } }), "4.00 MB VRAM");
  });

  it("says when it is reconnecting, with a warning colour", () => {
    const view = statusView(input({ connection: { kind: "reconnecting", retryInMs: 500, reason: "the connection closed" }, daemon: null }));
    assert.equal(view.text, "$(debug-disconnect) Hearth: reconnecting");
    assert.equal(view.severity, "warning");
    assert.ok(view.tooltip.includes("the connection closed"));
  });

  it("shows model loading progress and failures", () => {
    const loading = statusView(input({ modelProgress: { source: "hf:x", phase: "download", progress: 0.42, message: "" } }));
    assert.equal(loading.text, "$(loading~spin) Hearth: downloading model 42%");
    const failed = statusView(input({ daemon: { ...daemon, modelState: { state: "failed", message: "no file", hint: "set hearth.model.path" } } }));
    assert.equal(failed.severity, "error");
    assert.ok(failed.tooltip.includes("set hearth.model.path"));
  });

  it("lists the chat and next-edit models in the tooltip, with their state and memory", () => {
    const models: StatusResult["models"] = [
      ...daemon.models,
      { role: "chat", source: "generated:tiny-chat", name: "hearth-tiny-chat", precision: "Q8_0", state: "ready", memoryBytes: 2 * 1024 ** 2, error: null },
      { role: "nextEdit", source: "/models/nes.gguf", name: "", precision: "", state: "unloaded", memoryBytes: 0, error: null },
    ];
    const tooltip = statusView(input({ daemon: { ...daemon, models } })).tooltip;
    assert.match(tooltip, /- Chat model: hearth-tiny-chat · ready · 2\.00 MB/);
    assert.match(tooltip, /- Next-edit model: \/models\/nes\.gguf · unloaded\n/);
    assert.doesNotMatch(statusView(input()).tooltip, /Chat model/, "no line for a role without a model");
  });

  it("shows the pause", () => {
    assert.equal(statusView(input({ paused: true })).text, "$(debug-pause) Hearth paused · 4.00 MB RAM");
  });
});

describe("statusView with a remote engine", () => {
  const remote: StatusResult = {
    ...daemon,
    device: { kind: "remote", name: "llama-server at http://gpu:8080", threads: 2 },
    backend: { kind: "llama-server", url: "http://gpu:8080/", serverModel: "qwen2.5-coder-7b-q8_0.gguf", reachable: true, lastError: null, slots: 4, serverCache: { evaluatedPromptTokens: 100, cachedPromptTokens: 900, usageRatio: null }, lastLatencyMs: 42 },
  };

  it("names the engine and the server's cache reuse instead of local memory", () => {
    assert.equal(statusView(input({ daemon: remote })).text, "$(flame) llama-server · cache 90%");
    const tooltip = statusView(input({ daemon: remote })).tooltip;
    assert.match(tooltip, /Engine: llama-server at http:\/\/gpu:8080\//);
    assert.match(tooltip, /qwen2\.5-coder-7b-q8_0\.gguf · 4 slots · server cache 900 prompt tokens from cache, 100 evaluated/);
  });

  it("says remote where the server reports no cache, and unreachable when it is gone", () => {
    assert.equal(statusView(input({ daemon: { ...remote, backend: { ...remote.backend, serverCache: null } } })).text, "$(flame) llama-server (remote)");
    const down: StatusResult = { ...remote, modelState: { state: "failed", message: "Could not reach llama-server", hint: "Start it" }, backend: { ...remote.backend, reachable: false, lastError: "Could not reach llama-server. Start it" } };
    const view = statusView(input({ daemon: down }));
    assert.equal(view.text, "$(error) Hearth: server unreachable");
    assert.match(view.tooltip, /unreachable[\s\S]*Last error: Could not reach/);
  });
});
