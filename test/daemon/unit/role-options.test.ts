/** A role's flags (--chat-model/--chat-backend, --next-edit-model/--next-edit-backend) into its choice, and how status names it. */
import assert from "node:assert/strict";
import { parseRoleChoice, roleSourceOf } from "../../../daemon/src/backends.js";
import { validateDaemonOptions } from "../../../daemon/src/validate-daemon-options.js";

const CHAT = { model: "chat-model", backend: "chat-backend" };

describe("model roles' flags", () => {
  it("has no model of its own when neither flag is given", () => {
    assert.equal(parseRoleChoice(CHAT, undefined, undefined), null);
    assert.equal(parseRoleChoice(CHAT, "  ", undefined), null);
  });

  it("runs a model given alone on this machine", () => {
    const choice = parseRoleChoice(CHAT, "generated:tiny-chat", undefined);
    assert.deepEqual(choice, { backend: { kind: "local" }, model: "generated:tiny-chat" });
    assert.equal(roleSourceOf(choice!), "generated:tiny-chat");
  });

  it("runs it on a server given with the backend flag, the model flag naming the server's model", () => {
    const choice = parseRoleChoice(CHAT, "qwen2.5-coder-7b-instruct", "openai=https://models.example/v1");
    assert.equal(choice?.backend.kind, "openai");
    assert.equal(choice?.model, "qwen2.5-coder-7b-instruct");
    assert.equal(roleSourceOf(choice!), "openai=https://models.example/v1 (qwen2.5-coder-7b-instruct)");
    assert.equal(roleSourceOf(parseRoleChoice(CHAT, undefined, "llama-server=http://127.0.0.1:8011")!), "llama-server=http://127.0.0.1:8011/");
  });

  it("refuses a bad backend naming its own flag, and local without a model", () => {
    assert.throws(() => parseRoleChoice(CHAT, undefined, "ollama=http://127.0.0.1:11434"), /^RangeError: --chat-backend: must be local, llama-server=URL or openai=URL/);
    assert.throws(() => parseRoleChoice(CHAT, undefined, "openai=ftp://host/"), /--chat-backend: openai= needs an http/);
    assert.throws(() => parseRoleChoice({ model: "next-edit-model", backend: "next-edit-backend" }, undefined, "local"), /--next-edit-backend local needs --next-edit-model/);
  });

  it("refuses plain http to another machine for a role's server, as for --backend", () => {
    const base = { backend: { kind: "local" as const }, modelSource: "generated:tiny-target", port: 0, idleTimeoutMs: 0, contextSize: 4096, maxWorkspaces: 1, threads: 1, remoteTimeoutMs: 1000, gpu: "off" };
    const far = parseRoleChoice(CHAT, undefined, "llama-server=http://10.1.2.3:8011");
    assert.throws(() => validateDaemonOptions({ ...base, chatModel: far }), /plain http to another machine/);
    assert.doesNotThrow(() => validateDaemonOptions({ ...base, chatModel: far, insecureHttp: true }));
    assert.throws(() => validateDaemonOptions({ ...base, nextEditModel: { backend: { kind: "local" }, model: "" } }), /nextEditModel must name/);
  });
});
