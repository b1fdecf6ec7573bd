/** What a first run says and offers, as data: the machine, the recommended set with sizes, the settings it writes, the quick pick, a server's setting, a download's line. */
import assert from "node:assert/strict";
import { loadCatalog } from "../../daemon/src/catalog/catalog.js";
import { catalogView } from "../../daemon/src/catalog/catalog-view.js";
import { DEFAULT_MODEL } from "../../daemon/src/options.js";
import type { ModelCatalogResult, ModelDownloadInfo, StatusResult } from "../../daemon/src/protocol.js";
import { bytesToFetch, firstRunMessage, machineSummary, modelPicks, progressMessage, recommendedSet, recommendedSettings, serverBackend } from "../../extension/src/first-run/first-run-offer.js";
import { FIRST_RUN_ACTIONS, problemOf } from "../../extension/src/problems.js";
import { statusView } from "../../extension/src/stats/status-text.js";
import { RequestStats } from "../../extension/src/stats/request-stats.js";

const GB = 1024 ** 3;

/** The built-in catalog as a machine with `ram` and (optionally) a GPU with `vram` sees it, nothing downloaded. */
function catalogOn(ram: number, gpu: { name: string; vram: number } | null): ModelCatalogResult {
  const facts = gpu ? { gpu: "cuda", deviceNames: [gpu.name], vramTotalBytes: gpu.vram, vramFreeBytes: gpu.vram } : { gpu: false as const, deviceNames: [], vramTotalBytes: 0, vramFreeBytes: 0 };
  const view = catalogView(loadCatalog({}), "/nonexistent/models", 4096, facts, ram);
  // Cores as given too, so summaries don't depend on where the test runs.
  return { ...view, machine: { ...view.machine, cpuCores: 8 } };
}

const missingDefault: ModelDownloadInfo = {
  role: "completion",
  source: DEFAULT_MODEL,
  uri: "hf:ggml-org/Qwen2.5-Coder-1.5B-Q8_0-GGUF/qwen2.5-coder-1.5b-q8_0.gguf",
  catalogName: DEFAULT_MODEL,
  title: "Qwen2.5-Coder 1.5B (base)",
  sizeBytes: 1_650_000_000,
  sizeExact: false,
  partialBytes: 0,
};

describe("first-run offer", () => {
  it("summarizes the machine: RAM, cores, the GPU and its memory or none", () => {
    assert.equal(machineSummary(catalogOn(32 * GB, null).machine), "32 GB RAM, 8 CPU cores, no GPU");
    assert.equal(machineSummary(catalogOn(64 * GB, { name: "NVIDIA GeForce RTX 4070", vram: 12 * GB }).machine), "64 GB RAM, 8 CPU cores, NVIDIA GeForce RTX 4070 with 12 GB VRAM");
  });

  it("recommends the tier's set by role with sizes, and writes only the roles not set (the default needs no setting)", () => {
    const cpu = catalogOn(32 * GB, null);
    const set = recommendedSet(cpu);
    assert.deepEqual(set.map(({ role, model }) => [role, model.name]), [["completion", "qwen2.5-coder-1.5b"], ["chat", "qwen2.5-coder-1.5b-instruct"], ["nextEdit", "sweep-next-edit-0.5b"]]);
    const none = { completion: "", chat: "", nextEdit: "", draft: "" };
    assert.deepEqual(recommendedSettings(set, none, DEFAULT_MODEL), { "model.chat": "qwen2.5-coder-1.5b-instruct", "model.nextEdit": "sweep-next-edit-0.5b" });
    assert.deepEqual(recommendedSettings(set, { ...none, chat: "/my/chat.gguf" }, DEFAULT_MODEL), { "model.nextEdit": "sweep-next-edit-0.5b" }, "a user's own choice stays");
    const gpu = recommendedSet(catalogOn(64 * GB, { name: "GPU", vram: 12 * GB }));
    assert.deepEqual(recommendedSettings(gpu, none, DEFAULT_MODEL)["model.path"], "qwen2.5-coder-3b");
    assert.equal(bytesToFetch(set), set.reduce((sum, { model }) => sum + model.sizeBytes, 0));
  });

  it("says what the first run is: the machine, each recommended model with its size, and what Download fetches", () => {
    const message = firstRunMessage(missingDefault, catalogOn(32 * GB, null), true);
    assert.match(message, /^Hearth needs a code model and asks before downloading one\. This machine: 32 GB RAM, 8 CPU cores, no GPU\. /);
    assert.match(message, /Recommended here \(CPU only\): Qwen2\.5-Coder 1\.5B \(base\) for completions \(~1\.65 GB\), Qwen2\.5-Coder 1\.5B Instruct for explanations \(~1\.65 GB\), .* for next-edit suggestions \(~531\.0 MB\)\./);
    assert.match(message, /Download fetches 3\.83 GB \(you can cancel\); or choose another model/);
    assert.ok(!/`|--[a-z]/.test(message), message);
    // A model the user named: that model, and the bytes a stopped download kept.
    const named = firstRunMessage({ ...missingDefault, source: "hf:me/coder-GGUF", title: null, sizeBytes: null, partialBytes: 3_000_000 }, null, false);
    assert.equal(named, "Hearth's model hf:me/coder-GGUF is not downloaded yet. 3.0 MB of it are kept from a stopped download. Download it (with progress; you can cancel), choose another, or use a model file or a server you have.");
  });

  it("lists the catalog's completion models with size, fit and marks", () => {
    const picks = modelPicks(catalogOn(8 * GB, null));
    assert.deepEqual(picks.map((p) => p.name), ["qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b", "qwen2.5-coder-3b", "qwen2.5-coder-7b"]);
    assert.match(picks[1]?.description ?? "", /^~1\.65 GB · fits in RAM · recommended$/);
    assert.match(picks[3]?.description ?? "", /^~8\.10 GB · too big for this machine$/);
    assert.match(picks[0]?.detail ?? "", /qwen2\.5-coder-0\.5b · 0\.49B parameters, Q8_0 · needs .* with a 4096-token context/);
  });

  it("turns a server URL into hearth.backend, refusing what can't be one", () => {
    assert.deepEqual(serverBackend("llama-server", " http://127.0.0.1:8080/ "), { value: "llama-server=http://127.0.0.1:8080" });
    assert.deepEqual(serverBackend("openai", "https://gpu.example.com/v1"), { value: "openai=https://gpu.example.com/v1" });
    assert.ok("problem" in serverBackend("openai", "gpu-box:8080"));
    assert.ok("problem" in serverBackend("openai", "ftp://gpu-box"));
    assert.ok("problem" in serverBackend("openai", "https://user:key@gpu-box"));
  });

  it("reads a download's progress as percent and size", () => {
    assert.equal(progressMessage(693_000_000, 1_650_000_000), "42% · 693.0 MB of 1.65 GB");
    assert.equal(progressMessage(1_097_568, 1_097_568), "100% · 1.1 MB of 1.1 MB");
    assert.equal(progressMessage(300_000, null), "300 kB");
  });

  it("makes a model not downloaded a choice (info, four actions, no red status bar) and an unreachable hub an error with the same four", () => {
    const base = { modelState: { state: "ready" }, backend: { kind: "local" }, device: { kind: "cpu" }, model: { source: DEFAULT_MODEL } } as unknown as StatusResult;
    const notDownloaded = { ...base, modelState: { state: "failed", code: "HEARTH_ERR_MODEL_NOT_DOWNLOADED", message: "…", hint: "…", download: missingDefault } } as StatusResult;
    const problem = problemOf(notDownloaded, { configuredBackend: "local" });
    assert.ok(problem);
    assert.deepEqual(problem.actions, FIRST_RUN_ACTIONS);
    assert.equal(problem.severity, "info");
    assert.equal(problem.message, "Hearth's model Qwen2.5-Coder 1.5B (base) (about 1.65 GB) is not downloaded yet. Download it, choose another, or use a model file or a server you have.");
    const view = statusView({ connection: { kind: "connected", pid: 1 }, paused: false, generating: false, stats: new RequestStats().snapshot(), daemon: notDownloaded, modelProgress: null, debounceMs: 120, languageOff: null });
    assert.deepEqual([view.text, view.severity], ["$(cloud-download) Hearth: no model yet", "warning"]);
    const unreachable = { ...base, modelState: { state: "failed", code: "HEARTH_ERR_MODEL_HUB_UNREACHABLE", message: "Could not download Qwen2.5-Coder 1.5B (base) (qwen2.5-coder-1.5b): could not reach http://127.0.0.1:9/x: connect ECONNREFUSED 127.0.0.1:9.", hint: "…", download: missingDefault } } as StatusResult;
    const offline = problemOf(unreachable, { configuredBackend: "local" });
    assert.ok(offline);
    assert.deepEqual(offline.actions, FIRST_RUN_ACTIONS);
    assert.equal(offline.severity, undefined);
    assert.equal(offline.message, "Hearth cannot reach the model hub to download Qwen2.5-Coder 1.5B (base) (about 1.65 GB): http://127.0.0.1:9 did not answer (connect ECONNREFUSED 127.0.0.1:9). Check the network and download again, or use a model file or a server you have.");
  });
});
