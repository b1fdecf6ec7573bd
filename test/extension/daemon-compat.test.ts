/** Telling a window that the shared daemon is not the one its version and settings ask for. */
import assert from "node:assert/strict";
import { compatibilityProblems, type CompatibilityInput } from "../../extension/src/daemon-compat.js";

const same: CompatibilityInput = { daemonProtocol: 2, extensionProtocol: 2, daemonModelSource: "/models/a.gguf", configuredModel: "/models/a.gguf", daemonContextSize: 4096, configuredContextSize: 4096 };

describe("daemon compatibility", () => {
  it("finds nothing when version and settings agree, or when the window asks for no model", () => {
    assert.deepEqual(compatibilityProblems(same), []);
    assert.deepEqual(compatibilityProblems({ ...same, configuredModel: "", daemonModelSource: "hf:someone/other" }), []);
    assert.deepEqual(compatibilityProblems({ ...same, configuredModel: "/models/../models/a.gguf" }), [], "the same file by another path");
  });

  it("says what to do about another protocol version, another model, a larger context", () => {
    const [protocol] = compatibilityProblems({ ...same, daemonProtocol: 1 });
    assert.match(protocol ?? "", /protocol 1, this extension 2.*Restart the daemon/);
    assert.match(compatibilityProblems({ ...same, daemonProtocol: null })[0] ?? "", /protocol \(unknown\)/);
    const [model] = compatibilityProblems({ ...same, configuredModel: "hf:ggml-org/Qwen2.5-Coder-1.5B-Q8_0-GGUF" });
    assert.match(model ?? "", /hearth\.model\.path is hf:ggml-org.*serves \/models\/a\.gguf\. Restart the daemon/);
    assert.equal(compatibilityProblems({ ...same, configuredContextSize: 8192 }).length, 0, "the daemon may hold less than asked: the model's own limit");
    assert.equal(compatibilityProblems({ ...same, configuredContextSize: 2048 }).length, 1);
  });

  it("says nothing about hearth.model.path when a server runs the model (a leftover path does not apply)", () => {
    assert.deepEqual(compatibilityProblems({ ...same, remoteBackend: true, daemonModelSource: "hf:ggml-org/default", configuredModel: "/models/old.gguf" }), []);
    assert.equal(compatibilityProblems({ ...same, remoteBackend: false, configuredModel: "/models/old.gguf" }).length, 1);
  });
});
