/** Failure states in VS Code's words: settings and commands, not CLI flags; the right hint for each. */
import assert from "node:assert/strict";
import type { ModelState, StatusResult } from "../../daemon/src/protocol.js";
import { editorHint, problemOf, sentences } from "../../extension/src/problems.js";

const base: StatusResult = {
  version: "0.1.0",
  protocolVersion: 2,
  pid: 1,
  uptimeMs: 1,
  device: { kind: "cpu", name: "cpu", threads: 2 },
  backend: { kind: "local", url: null, serverModel: null, reachable: true, lastError: null, slots: null, serverCache: null, lastLatencyMs: null },
  model: { source: "/models/coder-Q8_0.gguf", path: null, name: "", precision: "", kvCacheType: "f16", flashAttention: false, variant: "", contextSize: 0, fim: false, fimTemplate: null, draft: null },
  modelState: { state: "ready" },
  memory: { modelBytes: 0, kvBytes: 0, vramUsedBytes: 0, vramFreeBytes: 0, vramTotalBytes: 0, ramUsedBytes: 0, ramFreeBytes: 0, ramTotalBytes: 0, daemonRssBytes: 0 },
  workspaces: [],
  kvCache: null,
  clients: 1,
  idle: { passes: 0, warmedTokens: 0 },
  nextEdit: { requests: 0, suggested: 0, accepted: 0, latencyP50Ms: null, sessions: [] },
  recentRequests: [],
  models: [],
};
const failed = (modelState: ModelState, over: Partial<StatusResult> = {}): StatusResult => ({ ...base, ...over, modelState });
const context = { configuredBackend: "local" };

/** What every message must be: no CLI flags, no backticks, no doubled full stop. */
function assertEditorWords(message: string): void {
  assert.ok(!/--[a-z]/.test(message), `a CLI flag in: ${message}`);
  assert.ok(!message.includes("`"), `a backtick in: ${message}`);
  assert.ok(!message.includes(".."), `a double full stop in: ${message}`);
}

describe("problemOf", () => {
  it("is null while the model is ready or loading", () => {
    assert.equal(problemOf(base, context), null);
    assert.equal(problemOf(failed({ state: "loading", source: "x", progress: null }), context), null);
  });

  it("says file not found for a missing local file, with the setting and a file picker, not the download hint", () => {
    const problem = problemOf(failed({ state: "failed", message: "Model file /models/coder-Q8_0.gguf does not exist.", hint: "Check the path given to --model.", code: "HEARTH_ERR_MODEL_NOT_FOUND" }), context);
    assert.ok(problem);
    assert.match(problem.message, /model file not found \(\/models\/coder-Q8_0\.gguf\)\. Check hearth\.model\.path/);
    assert.ok(!/download|network/i.test(problem.message), problem.message);
    assert.deepEqual(problem.actions, ["chooseModel", "openModelSettings"]);
    assertEditorWords(problem.message);
  });

  it("tells an unreachable download to use a local file, in settings words", () => {
    const problem = problemOf(failed({ state: "failed", message: "Could not download hf:x/y: getaddrinfo ENOTFOUND huggingface.co.", hint: "Download … --model /path", code: "HEARTH_ERR_MODEL_DOWNLOAD_FAILED" }, { model: { ...base.model, source: "hf:x/y" } }), context);
    assert.ok(problem);
    assert.match(problem.message, /network access.*hearth\.model\.path/);
    assertEditorWords(problem.message);
  });

  it("names a refused key unauthorized, with the command that sets it", () => {
    const remote = { ...base.backend, kind: "llama-server" as const, url: "http://127.0.0.1:9/", reachable: false };
    const problem = problemOf(failed({ state: "failed", message: "llama-server at http://127.0.0.1:9/ refused the API key (HTTP 401).", hint: "Give it with --api-key-file FILE.", code: "HEARTH_ERR_BACKEND_UNAUTHORIZED" }, { backend: remote }), context);
    assert.ok(problem);
    assert.equal(problem.label, "unauthorized");
    assert.deepEqual(problem.actions, ["setApiKey", "openBackendSettings"]);
    assert.match(problem.message, /Hearth: Set Remote API Key/);
    assertEditorWords(problem.message);
    const gone = problemOf(failed({ state: "failed", message: "Could not reach llama-server: connection refused.", hint: "Start the server or check --backend.", code: "HEARTH_ERR_BACKEND_UNREACHABLE" }, { backend: remote }), context);
    assert.equal(gone?.label, "server unreachable");
    assert.match(gone?.message ?? "", /hearth\.backend/);
    assertEditorWords(gone?.message ?? "");
  });

  it("words a failure without a code (an older daemon) by the backend", () => {
    const local = problemOf(failed({ state: "failed", message: "Could not load /m.gguf: bad magic.", hint: "Check --model." }), context);
    assert.equal(local?.label, "model failed");
    assert.ok(local?.actions.includes("restartDaemon"));
    assertEditorWords(local?.message ?? "");
  });

  it("keys a problem by what failed, so a retry countdown does not raise it again", () => {
    const a = problemOf(failed({ state: "failed", message: "Could not reach s.", hint: "(next try in 1 s)", code: "HEARTH_ERR_BACKEND_UNREACHABLE" }), context);
    const b = problemOf(failed({ state: "failed", message: "Could not reach s.", hint: "(next try in 2 s)", code: "HEARTH_ERR_BACKEND_UNREACHABLE" }), context);
    assert.equal(a?.key, b?.key);
  });
});

describe("sentences", () => {
  it("joins with one full stop and drops backticks", () => {
    assert.equal(sentences("It failed.", "Check `hearth.model.path`"), "It failed. Check hearth.model.path.");
    assert.equal(sentences("Done?", "", null, "Yes"), "Done? Yes.");
  });
});

describe("editorHint", () => {
  it("words a failed request's hint for the editor, not the terminal", () => {
    const error = { message: "x", data: { code: "HEARTH_ERR_MODEL_LOAD_FAILED", hint: "Check the path given to --model." } };
    const hint = editorHint(error) ?? "";
    assert.match(hint, /hearth\.model\.path/);
    assert.ok(!hint.includes("--model"), hint);
    assert.equal(editorHint({ data: { code: "HEARTH_ERR_OTHER", hint: "Use `x`." } }), "Use x.");
    assert.equal(editorHint(new Error("plain")), undefined);
  });
});
