/** The status bar's wording in each state. */
import assert from "node:assert/strict";
import type { StatusResult } from "../../daemon/src/protocol.js";
import { RequestStats } from "../../extension/src/stats/request-stats.js";
import { detailLines, memoryLabel, statusView, type StatusInput } from "../../extension/src/stats/status-text.js";

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
  nextEdit: { requests: 0, suggested: 0, accepted: 0, latencyP50Ms: null, sessions: [] },
  recentRequests: [],
};

function input(over: Partial<StatusInput> = {}): StatusInput {
  return { connection: { kind: "connected", pid: 4242 }, paused: false, generating: false, stats: new RequestStats().snapshot(), daemon, modelProgress: null, debounceMs: 120, ...over };
}

describe("statusView", () => {
  it("names Hearth and the model with its memory before the first completion, then the latency", () => {
    assert.equal(statusView(input()).text, "$(flame) Hearth: tiny-target Q8_0 · 4.00 MB RAM");
    const stats = new RequestStats();
    stats.recordCompletion(42, { requestId: 1, kind: "completion", workspaceId: "w", promptTokens: 10, reusedTokens: 5, evaluatedTokens: 5, generatedTokens: 3, tokensAfterCancel: 0, queueMs: 0, prefillMs: 1, firstTokenMs: 10, decodeMs: 28, totalMs: 40, stopReason: "eos", draftTokens: 0, acceptedTokens: 0, promptLayout: "fresh", model: "tiny-target", finishedAt: "" });
    const view = statusView(input({ stats: stats.snapshot(), generating: true }));
    assert.equal(view.text, "$(loading~spin) Hearth: tiny-target Q8_0 · 42 ms · 4.00 MB RAM");
    for (const part of ["tiny-target · Q8_0 · KV f16", "Latency: last 42 ms", "Memory: 4.00 MB RAM"]) assert.ok(view.tooltip.includes(part), `${part} in ${view.tooltip}`);
    // Short: the rest is in the menu.
    assert.ok(view.tooltip.split("\n").filter((l) => l.trim() !== "").length <= 5, view.tooltip);
    const details = detailLines(input({ stats: stats.snapshot() })).join("\n");
    for (const part of ["Test CPU", "Speed: ", "Cache reuse: 50%", "Speculative acceptance", "weights 3.00 MB + KV 1.00 MB"]) assert.ok(details.includes(part), `${part} in ${details}`);
  });

  it("starts its figures afresh after a reset (a restart or another backend)", () => {
    const stats = new RequestStats();
    stats.recordCompletion(42, { requestId: 1, kind: "completion", workspaceId: "w", promptTokens: 10, reusedTokens: 5, evaluatedTokens: 5, generatedTokens: 3, tokensAfterCancel: 0, queueMs: 0, prefillMs: 1, firstTokenMs: 10, decodeMs: 28, totalMs: 40, stopReason: "eos", draftTokens: 0, acceptedTokens: 0, promptLayout: "fresh", model: "tiny-target", finishedAt: "" });
    stats.reset();
    assert.equal(statusView(input({ stats: stats.snapshot() })).text, "$(flame) Hearth: tiny-target Q8_0 · 4.00 MB RAM");
    assert.equal(stats.snapshot().completions, 0);
  });

  it("shows next-edit latency and acceptance (shown vs accepted) in the tooltip and the menu once one was asked for", () => {
    const stats = new RequestStats();
    assert.doesNotMatch(statusView(input({ stats: stats.snapshot() })).tooltip, /Next edits/, "nothing before the first request");
    const metrics = { requestId: 1, kind: "nextEdit" as const, workspaceId: "w", promptTokens: 10, reusedTokens: 0, evaluatedTokens: 10, generatedTokens: 3, tokensAfterCancel: 0, queueMs: 0, prefillMs: 1, firstTokenMs: 10, decodeMs: 28, totalMs: 40, stopReason: "eos" as const, draftTokens: 0, acceptedTokens: 0, promptLayout: null, model: "tiny-next-edit", finishedAt: "" };
    for (const latency of [100, 300, 200]) {
      stats.recordNextEditRequest();
      stats.recordNextEditAnswer(latency, metrics);
    }
    stats.recordNextEditRequest(); // cancelled: asked, never answered
    stats.recordNextEditShown();
    stats.recordNextEditShown();
    stats.recordNextEditAccepted();
    const view = statusView(input({ stats: stats.snapshot() }));
    assert.match(view.tooltip, /^Next edits: 2 shown, 1 accepted \(50%\) · latency median 200 ms$/m, view.tooltip);
    assert.ok(detailLines(input({ stats: stats.snapshot() })).includes("Next edits: 2 shown, 1 accepted (50%) · latency median 200 ms (4 asked)"));
    assert.equal(view.text, "$(flame) Hearth: tiny-target Q8_0 · 4.00 MB RAM", "the completion latency alone is in the text");
    stats.reset();
    assert.deepEqual(stats.snapshot().nextEdit, { requests: 0, shown: 0, accepted: 0, medianLatencyMs: null, lastLatencyMs: null });
  });

  it("says when completions are off in the active editor's language, and how to turn them on", () => {
    const view = statusView(input({ languageOff: "markdown" }));
    assert.equal(view.text, "$(circle-slash) Hearth: off in markdown");
    assert.match(view.tooltip, /off in markdown \(hearth\.completion\.languages\)[\s\S]*Click to turn them on/);
  });

  it("reports the saved KV caches when the daemon keeps them", () => {
    const details = detailLines(input({ daemon: { ...daemon, kvCache: { directory: "/h/kv", fingerprint: "f", saves: 2, loads: 1, discarded: 0, pruned: 0, failedSaves: 0 } } }));
    assert.ok(details.includes("Saved KV caches: 2 saved, 1 loaded back, 0 discarded"), details.join("\n"));
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
    const failed = statusView(input({ daemon: { ...daemon, modelState: { state: "failed", message: "Could not load generated:tiny-target: out of memory.", hint: "Check --model." } } }));
    assert.equal(failed.text, "$(error) Hearth: model failed");
    assert.equal(failed.severity, "error");
    assert.ok(failed.tooltip.includes("hearth.model.path") && !failed.tooltip.includes("--model"), failed.tooltip);
    const missing = statusView(input({ daemon: { ...daemon, modelState: { state: "failed", message: "Model file /m.gguf does not exist.", hint: "Check the path given to --model.", code: "HEARTH_ERR_MODEL_NOT_FOUND" } } }));
    assert.equal(missing.text, "$(error) Hearth: model not found");
  });

  it("lists the chat and next-edit models in the tooltip, with their state and memory", () => {
    const models: StatusResult["models"] = [
      ...daemon.models,
      { role: "chat", source: "generated:tiny-chat", name: "hearth-tiny-chat", precision: "Q8_0", state: "ready", memoryBytes: 2 * 1024 ** 2, error: null },
      { role: "nextEdit", source: "/models/nes.gguf", name: "", precision: "", state: "unloaded", memoryBytes: 0, error: null },
    ];
    const tooltip = statusView(input({ daemon: { ...daemon, models } })).tooltip;
    assert.match(tooltip, /Chat model: hearth-tiny-chat · ready · 2\.00 MB/);
    assert.match(tooltip, /Next-edit model: \/models\/nes\.gguf · unloaded\n/);
    assert.doesNotMatch(statusView(input()).tooltip, /Chat model/, "no line for a role without a model");
  });

  it("shows the pause", () => {
    assert.equal(statusView(input({ paused: true })).text, "$(debug-pause) Hearth paused · 4.00 MB RAM");
    assert.equal(statusView(input({ paused: true, languageOff: "markdown" })).text, "$(debug-pause) Hearth paused · 4.00 MB RAM");
  });
});

describe("statusView with a remote engine", () => {
  const remote: StatusResult = {
    ...daemon,
    device: { kind: "remote", name: "llama-server at http://gpu:8080", threads: 2 },
    backend: { kind: "llama-server", url: "http://gpu:8080/", serverModel: "qwen2.5-coder-7b-q8_0.gguf", reachable: true, lastError: null, slots: 4, serverCache: { evaluatedPromptTokens: 100, cachedPromptTokens: 900, usageRatio: null }, lastLatencyMs: 42 },
  };

  it("names the server's model and engine, with the server's cache reuse instead of local memory", () => {
    assert.equal(statusView(input({ daemon: remote })).text, "$(flame) Hearth: qwen2.5-coder-7b-q8_0.gguf · llama-server · cache 90%");
    const tooltip = statusView(input({ daemon: remote })).tooltip;
    assert.match(tooltip, /qwen2\.5-coder-7b-q8_0\.gguf on llama-server at http:\/\/gpu:8080\//);
    // Nothing that only means something for a local model.
    for (const local of ["local code completion", "KV f16", "ctx", "weights", "Memory"]) assert.ok(!tooltip.includes(local), `${local} in ${tooltip}`);
    const details = detailLines(input({ daemon: remote })).join("\n");
    assert.match(details, /Engine: llama-server at http:\/\/gpu:8080\//);
    assert.match(details, /qwen2\.5-coder-7b-q8_0\.gguf · 4 slots/);
    assert.match(details, /Server cache: 900 prompt tokens from cache, 100 evaluated/);
  });

  it("says remote where the server reports no cache; unreachable and unauthorized are told apart, each said once", () => {
    assert.equal(statusView(input({ daemon: { ...remote, backend: { ...remote.backend, serverCache: null } } })).text, "$(flame) Hearth: qwen2.5-coder-7b-q8_0.gguf · llama-server (remote)");
    const down: StatusResult = { ...remote, modelState: { state: "failed", message: "Could not reach llama-server: connection refused.", hint: "Start it", code: "HEARTH_ERR_BACKEND_UNREACHABLE" }, backend: { ...remote.backend, reachable: false, lastError: "Could not reach llama-server: connection refused. Start it" } };
    const view = statusView(input({ daemon: down }));
    assert.equal(view.text, "$(error) Hearth: server unreachable");
    assert.equal(view.tooltip.split("Could not reach").length, 2, view.tooltip);
    const refused: StatusResult = { ...remote, modelState: { state: "failed", message: "llama-server at http://gpu:8080/ refused the API key (HTTP 401).", hint: "Give the key with --api-key-file", code: "HEARTH_ERR_BACKEND_UNAUTHORIZED" } };
    assert.equal(statusView(input({ daemon: refused })).text, "$(error) Hearth: unauthorized");
    assert.match(statusView(input({ daemon: refused })).tooltip, /Hearth: Set Remote API Key/);
  });
});
