/**
 * Models by role in one real daemon: a completion model and a chat model (generated GGUFs
 * with a chat template) loaded by node-llama-cpp side by side. Explanations go to the chat
 * model and completions to the completion model, each named in the metrics and in status
 * with its memory; the chat model loads on first use, unloads when idle and loads again on
 * the next explanation; a memory budget too small for it gives a typed error that says what
 * would fit, and the completion model keeps serving; with no budget set, so does a machine
 * without the free memory for it. A chat model without FIM tokens (an instruct model, as
 * most are) explains locally and through a real llama-server as the chat backend (and a
 * next-edit format without FIM on the same server); only a completion asked of it is refused.
 */
import assert from "node:assert/strict";
import { ResponseError } from "vscode-jsonrpc/node";
import type { HearthClient } from "../../daemon/src/client/hearth-client.js";
import { ErrorCodes, type ErrorData, type RoleModelInfo, type StatusResult } from "../../daemon/src/protocol.js";
import { runCli, startDaemon, untilStatus, type RunningDaemon } from "../helpers/daemon-process.js";
import { testModels } from "../helpers/test-models.js";
import { startLlamaServer, type RunningLlamaServer } from "../helpers/llama-server.js";
import { ensureSyntheticModel, syntheticPresets } from "../../daemon/src/gguf/model-cache.js";
import path from "node:path";
import { repoRoot } from "../helpers/daemon-process.js";

const SOURCE = [
  "export function total(items: number[]): number {",
  "  let sum = 0;",
  "  for (const item of items) sum += item;",
  "  return sum;",
  "}",
  "",
].join("\n");
const URI = "file:///workspace/a/total.ts";
const COMPLETION_MODEL = "hearth-tiny-target";
const CHAT_MODEL = "hearth-tiny-chat";
/** generated:tiny-instruct: a chat template and no FIM tokens. */
const INSTRUCT_MODEL = "hearth-tiny-instruct";

function modelOf(status: StatusResult, role: RoleModelInfo["role"]): RoleModelInfo {
  const model = status.models.find((m) => m.role === role);
  assert.ok(model, `status lists the ${role} model: ${JSON.stringify(status.models)}`);
  return model;
}

async function explain(client: HearthClient) {
  return client.explain({ textDocument: { uri: URI }, range: { start: { line: 0, character: 0 }, end: { line: 4, character: 1 } }, maxTokens: 24 });
}

/** The typed error a request was refused with. */
async function refusalOf(request: Promise<unknown>): Promise<ResponseError<ErrorData>> {
  const refusal = await request.then(
    () => assert.fail("the request should be refused"),
    (error: unknown) => error,
  );
  assert.ok(refusal instanceof ResponseError, String(refusal));
  return refusal as ResponseError<ErrorData>;
}

async function complete(client: HearthClient) {
  return client.complete({ textDocument: { uri: URI }, position: { line: 2, character: 0 }, context: { triggerKind: 1 }, hearth: { maxTokens: 8 } });
}

describe("models by role", function () {
  this.timeout(180_000);

  describe("a completion model and a chat model in one daemon", () => {
    let daemon: RunningDaemon;
    let client: HearthClient;

    before(async () => {
      // A budget both fit in: the chat model is admitted by the same check that refuses it below.
      daemon = await startDaemon({ model: (await testModels()).target, args: ["--chat-model", "generated:tiny-chat", "--next-edit-model", "generated:tiny-draft", "--memory-budget-mb", "1000", "--model-idle-unload-s", "0"] });
      client = await daemon.connect();
      await client.open({ uri: URI, languageId: "typescript", version: 1, text: SOURCE });
    });
    after(async () => {
      client.dispose();
      assert.equal(await daemon.stop(), 0, daemon.stderr());
    });

    it("lists the chat model unloaded until its first use", async () => {
      const status = await untilStatus(client, "the completion model ready", (s) => s.modelState.state === "ready");
      const completion = modelOf(status, "completion");
      assert.equal(completion.name, COMPLETION_MODEL);
      assert.equal(completion.state, "ready");
      assert.ok((completion.memoryBytes ?? 0) > 0, "the completion model holds memory");
      const chat = modelOf(status, "chat");
      assert.deepEqual({ state: chat.state, memoryBytes: chat.memoryBytes, source: chat.source }, { state: "unloaded", memoryBytes: 0, source: "generated:tiny-chat" });
      assert.deepEqual(status.models.map((m) => m.role), ["completion", "chat", "nextEdit"]);
    });

    it("explains with the chat model and completes with the completion model, naming each in the metrics and status", async () => {
      const explained = await explain(client);
      assert.deepEqual(explained.servedBy, { role: "chat", model: CHAT_MODEL, fallback: false });
      assert.equal(explained.metrics.model, CHAT_MODEL);
      assert.ok(explained.metrics.generatedTokens > 0, "the chat model generated");
      const completed = await complete(client);
      assert.equal(completed.metrics.model, COMPLETION_MODEL);

      const status = await client.status();
      const chat = modelOf(status, "chat");
      assert.equal(chat.state, "ready");
      assert.equal(chat.name, CHAT_MODEL);
      assert.equal(chat.precision, "Q8_0");
      assert.ok((chat.memoryBytes ?? 0) > 0, "the chat model's memory is counted");
      const completion = modelOf(status, "completion");
      assert.notEqual(chat.memoryBytes, completion.memoryBytes, "each model reports its own memory");
      const recent = status.recentRequests.slice(-2);
      assert.deepEqual(recent.map((m) => [m.kind, m.model]), [["explain", CHAT_MODEL], ["completion", COMPLETION_MODEL]]);
      // The chat model has its own context: the completion model's caches are as many as before.
      assert.equal(status.workspaces[0]?.liveDocuments, 1);
      // Nothing asked for a next edit: that model was never loaded.
      assert.deepEqual([modelOf(status, "nextEdit").state, modelOf(status, "nextEdit").memoryBytes], ["unloaded", 0]);
    });

    it("prints the models by role in hearth status", async () => {
      const { code, stdout, stderr } = await runCli(["status", "--no-spawn", "--home", daemon.home]);
      assert.equal(code, 0, stderr);
      assert.match(stdout, new RegExp(`^  completion: ${COMPLETION_MODEL} Q8_0, ready, \\d+\\.\\d MiB`, "m"));
      assert.match(stdout, new RegExp(`^  chat: ${CHAT_MODEL} Q8_0, ready, \\d+\\.\\d MiB \\(generated:tiny-chat\\)$`, "m"));
      assert.match(stdout, /^  nextEdit: generated:tiny-draft, unloaded, no memory held here$/m);
      assert.match(stdout, new RegExp(`explain #\\d+: .*; model ${CHAT_MODEL}$`, "m"));
    });
  });

  describe("idle unload", () => {
    let daemon: RunningDaemon;
    let client: HearthClient;

    before(async () => {
      daemon = await startDaemon({ model: (await testModels()).target, args: ["--chat-model", "generated:tiny-chat", "--model-idle-unload-s", "1"] });
      client = await daemon.connect();
      await client.open({ uri: URI, languageId: "typescript", version: 1, text: SOURCE });
    });
    after(async () => {
      client.dispose();
      assert.equal(await daemon.stop(), 0, daemon.stderr());
    });

    it("unloads the chat model after the idle time and loads it again on the next explanation", async () => {
      const first = await explain(client);
      assert.equal(first.servedBy.model, CHAT_MODEL);
      const unloaded = await untilStatus(client, "the chat model unloaded", (s) => modelOf(s, "chat").state === "unloaded");
      assert.equal(modelOf(unloaded, "chat").memoryBytes, 0);
      assert.equal(modelOf(unloaded, "completion").state, "ready", "the completion model stays");
      assert.match(daemon.stderr(), /unloading the chat model generated:tiny-chat: unused for 1 s/);

      const again = await explain(client);
      assert.deepEqual(again.servedBy, { role: "chat", model: CHAT_MODEL, fallback: false });
      assert.equal(again.metrics.model, CHAT_MODEL);
      assert.equal((daemon.stderr().match(/loading the chat model generated:tiny-chat \(first use\)/g) ?? []).length, 2, "loaded twice");
      const completed = await complete(client);
      assert.equal(completed.metrics.model, COMPLETION_MODEL);
    });
  });

  describe("a memory budget too small for the chat model", () => {
    let daemon: RunningDaemon;
    let client: HearthClient;

    before(async () => {
      // One workspace cache of 4096 tokens: the completion model fits in 10 MB, and leaves too little for the chat model's weights and caches.
      daemon = await startDaemon({ model: (await testModels()).target, args: ["--chat-model", "generated:tiny-chat", "--memory-budget-mb", "10", "--workspaces", "1", "--ctx", "4096"] });
      client = await daemon.connect();
      await client.open({ uri: URI, languageId: "typescript", version: 1, text: SOURCE });
    });
    after(async () => {
      client.dispose();
      assert.equal(await daemon.stop(), 0, daemon.stderr());
    });

    it("refuses it with a typed error that says what would fit, and keeps completing", async () => {
      await untilStatus(client, "the completion model ready", (s) => s.modelState.state === "ready");
      const refusal = await explain(client).then(
        () => assert.fail("the explanation should be refused"),
        (error: unknown) => error,
      );
      assert.ok(refusal instanceof ResponseError, String(refusal));
      assert.equal(refusal.code, ErrorCodes.ModelLoadFailed);
      const data = refusal.data as ErrorData;
      assert.equal(data.code, "HEARTH_ERR_MODEL_OVER_BUDGET");
      const [, need, free] = /needs (\d+) MB .* only (\d+) MB of the 10 MB memory budget is free/.exec(refusal.message) ?? assert.fail(refusal.message);
      assert.ok(Number(need) > Number(free), refusal.message);
      assert.match(data.hint, new RegExp(`at least \\d+ MB .*needs at most ${free} MB`));

      const completed = await complete(client);
      assert.equal(completed.metrics.model, COMPLETION_MODEL);
      const status = await client.status();
      assert.equal(modelOf(status, "completion").state, "ready");
      const chat = modelOf(status, "chat");
      assert.equal(chat.state, "failed");
      assert.equal(chat.memoryBytes, 0);
      assert.match(chat.error ?? "", /memory budget/);
    });
  });

  describe("a chat model on a server", () => {
    let server: RunningLlamaServer;
    let daemon: RunningDaemon;
    let client: HearthClient;

    before(async () => {
      const chatFile = await ensureSyntheticModel(syntheticPresets["tiny-chat"], { cacheDir: path.join(repoRoot, ".cache", "test-models"), precision: "Q8_0" });
      server = await startLlamaServer({ model: chatFile, slots: 1, ctxPerSlot: 2048 });
      daemon = await startDaemon({ model: (await testModels()).target, args: ["--chat-backend", `llama-server=${server.url}`, "--memory-budget-mb", "1000"] });
      client = await daemon.connect();
      await client.open({ uri: URI, languageId: "typescript", version: 1, text: SOURCE });
    });
    after(async () => {
      client.dispose();
      assert.equal(await daemon.stop(), 0, daemon.stderr());
      await server.stop();
    });

    it("explains through llama-server and completes on the local model", async () => {
      const explained = await explain(client);
      assert.equal(explained.servedBy.role, "chat");
      assert.equal(explained.servedBy.fallback, false);
      assert.match(explained.servedBy.model, /tiny-chat/, "the server's model");
      assert.equal(explained.metrics.model, explained.servedBy.model);
      assert.ok(explained.metrics.generatedTokens > 0);
      const completed = await complete(client);
      assert.equal(completed.metrics.model, COMPLETION_MODEL);
      const chat = modelOf(await client.status(), "chat");
      assert.deepEqual([chat.state, chat.memoryBytes, chat.source], ["ready", 0, `llama-server=${new URL(server.url).href}`]);
    });
  });
  describe("no memory budget set, and less memory free than the chat model needs", () => {
    let daemon: RunningDaemon;
    let client: HearthClient;

    before(async () => {
      // The machine's free memory can't be made small for real: its reading is set through
      // the test-only HEARTH_TEST_FREE_MEMORY_MB (engine/memory.ts, the one place it is read).
      daemon = await startDaemon({ model: (await testModels()).target, args: ["--chat-model", "generated:tiny-chat"], env: { HEARTH_TEST_FREE_MEMORY_MB: "1" } });
      client = await daemon.connect();
      await client.open({ uri: URI, languageId: "typescript", version: 1, text: SOURCE });
    });
    after(async () => {
      client.dispose();
      assert.equal(await daemon.stop(), 0, daemon.stderr());
    });

    it("refuses it with the typed error that says what would fit, and keeps completing", async () => {
      const ready = await untilStatus(client, "the completion model ready", (s) => s.modelState.state === "ready");
      assert.equal(ready.model.name, COMPLETION_MODEL);
      const refusal = await refusalOf(explain(client));
      assert.equal(refusal.code, ErrorCodes.ModelLoadFailed);
      assert.equal(refusal.data?.code, "HEARTH_ERR_MODEL_OVER_BUDGET");
      const [, need, free, memory] = /needs (\d+) MB .* only (\d+) MB of (RAM|VRAM) is free on this machine .*no memory budget is set/.exec(refusal.message) ?? assert.fail(refusal.message);
      assert.equal(free, "1");
      assert.ok(Number(need) > 1, refusal.message);
      assert.match(refusal.data?.hint ?? "", new RegExp(`needs at most 1 MB, or free ${Number(need) - 1} MB of ${memory}`));

      const completed = await complete(client);
      assert.equal(completed.metrics.model, COMPLETION_MODEL);
      const status = await client.status();
      assert.equal(modelOf(status, "completion").state, "ready");
      const chat = modelOf(status, "chat");
      assert.deepEqual([chat.state, chat.memoryBytes], ["failed", 0]);
      assert.match(chat.error ?? "", /free on this machine/);
    });
  });

  describe("a chat model without FIM tokens on this machine", () => {
    let daemon: RunningDaemon;
    let client: HearthClient;

    before(async () => {
      daemon = await startDaemon({ model: (await testModels()).target, args: ["--chat-model", "generated:tiny-instruct"] });
      client = await daemon.connect();
      await client.open({ uri: URI, languageId: "typescript", version: 1, text: SOURCE });
    });
    after(async () => {
      client.dispose();
      assert.equal(await daemon.stop(), 0, daemon.stderr());
    });

    it("loads it and explains with it; completions stay on the completion model", async () => {
      const explained = await explain(client);
      assert.deepEqual(explained.servedBy, { role: "chat", model: INSTRUCT_MODEL, fallback: false });
      assert.equal(explained.metrics.model, INSTRUCT_MODEL);
      assert.ok(explained.metrics.generatedTokens > 0, "the instruct model generated");
      const completed = await complete(client);
      assert.equal(completed.metrics.model, COMPLETION_MODEL);
      assert.equal(modelOf(await client.status(), "chat").state, "ready");
    });
  });

  describe("a chat model without FIM tokens on llama-server", () => {
    let server: RunningLlamaServer;
    let serverModel: string;

    before(async () => {
      const instructFile = await ensureSyntheticModel(syntheticPresets["tiny-instruct"], { cacheDir: path.join(repoRoot, ".cache", "test-models"), precision: "Q8_0" });
      serverModel = path.basename(instructFile);
      server = await startLlamaServer({ model: instructFile, slots: 1, ctxPerSlot: 2048 });
    });
    after(async () => {
      await server.stop();
    });

    async function withDaemon(options: { model: string; args: string[] }, work: (client: HearthClient, daemon: RunningDaemon) => Promise<void>): Promise<void> {
      const daemon = await startDaemon({ model: options.model, args: [...options.args, "--remote-timeout-ms", "20000"] });
      const client = await daemon.connect();
      try {
        await client.open({ uri: URI, languageId: "typescript", version: 1, text: SOURCE });
        await work(client, daemon);
      } finally {
        client.dispose();
        assert.equal(await daemon.stop(), 0, daemon.stderr());
      }
    }

    it("connects as the chat backend (llama-server=URL) and explains; a next-edit format without FIM runs there too; completions stay local", async () => {
      await withDaemon({ model: (await testModels()).target, args: ["--chat-backend", `llama-server=${server.url}`, "--next-edit-backend", `llama-server=${server.url}`, "--next-edit-format", "zeta"] }, async (client, daemon) => {
        const explained = await explain(client);
        assert.deepEqual(explained.servedBy, { role: "chat", model: serverModel, fallback: false });
        assert.equal(explained.metrics.model, serverModel);
        assert.ok(explained.metrics.generatedTokens > 0, "the server's model generated");
        const completed = await complete(client);
        assert.equal(completed.metrics.model, COMPLETION_MODEL);

        await client.change({ textDocument: { uri: URI, version: 2 }, contentChanges: [{ range: { start: { line: 1, character: 6 }, end: { line: 1, character: 9 } }, text: "acc" }] });
        const edited = await client.nextEdit({ textDocument: { uri: URI }, position: { line: 1, character: 9 }, maxTokens: 24 });
        assert.equal(edited.format, "zeta");
        assert.equal(edited.metrics.model, serverModel);
        assert.ok(edited.metrics.generatedTokens > 0, JSON.stringify(edited.metrics));

        const status = await client.status();
        assert.deepEqual([modelOf(status, "chat").state, modelOf(status, "nextEdit").state], ["ready", "ready"]);
        assert.match(daemon.stderr(), /FIM none: explanations and next edits only/);
      });
    });

    it("connects as the chat backend through its OpenAI-compatible API (openai=URL) and explains", async () => {
      await withDaemon({ model: (await testModels()).target, args: ["--chat-backend", `openai=${server.url}`] }, async (client) => {
        const explained = await explain(client);
        assert.equal(explained.servedBy.role, "chat");
        assert.equal(explained.servedBy.fallback, false);
        assert.match(explained.servedBy.model, /tiny-instruct/, "the server's model id");
        assert.equal(explained.metrics.model, explained.servedBy.model);
        assert.ok(explained.metrics.generatedTokens > 0);
        const completed = await complete(client);
        assert.equal(completed.metrics.model, COMPLETION_MODEL);
      });
    });

    it("as the completion backend too, refuses a completion with the typed no-FIM error and still explains", async () => {
      await withDaemon({ model: "unused.gguf", args: ["--backend", `llama-server=${server.url}`, "--chat-backend", `llama-server=${server.url}`] }, async (client) => {
        const status = await untilStatus(client, "the server connected", (s) => s.modelState.state === "ready");
        assert.deepEqual([status.model.fim, status.model.fimTemplate], [false, null]);
        const refusal = await refusalOf(complete(client));
        assert.equal(refusal.code, ErrorCodes.NoFimSupport);
        assert.equal(refusal.data?.code, "HEARTH_ERR_NO_FIM");
        assert.match(refusal.message, /can't fill in the middle: its model has none of the FIM token families/);
        assert.match(refusal.data?.hint ?? "", /--chat-backend/);
        const explained = await explain(client);
        assert.deepEqual(explained.servedBy, { role: "chat", model: serverModel, fallback: false });
        assert.ok(explained.metrics.generatedTokens > 0);
        assert.equal((await client.status()).modelState.state, "ready", "a refused completion is no lost server");
      });
    });
  });
});
