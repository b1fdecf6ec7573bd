/**
 * A first run with consent, at the daemon: a daemon started as the VS Code extension starts
 * it (the extension's own launcher, spawning the bundled CLI detached) downloads nothing
 * unasked. With nothing configured and no network it says at once, as a typed state and as
 * the error of every request, which model it lacks and how big it is, and writes nothing
 * into its models folder; asked to download with the hub unreachable, it says so at once.
 * Asked with a hub that answers (a real HTTP server on 127.0.0.1 serving a generated GGUF,
 * through HF_ENDPOINT), it downloads with progress in bytes, stops when cancelled keeping the
 * bytes, resumes them, loads the model and serves.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { CancellationTokenSource, type ResponseError } from "vscode-jsonrpc/node";
import { HearthClient } from "../../daemon/src/client/hearth-client.js";
import type { ErrorData, ModelProgressParams } from "../../daemon/src/protocol.js";
import { DaemonLauncher, type LaunchSettings } from "../../extension/src/daemon-launcher.js";
import { repoRoot, runCli, tempHome, untilStatus } from "../helpers/daemon-process.js";
import { closedPort, startModelServer } from "../helpers/model-server.js";
import { testModels } from "../helpers/test-models.js";

const sha256 = (data: Buffer): string => createHash("sha256").update(data).digest("hex");

/** The extension's settings as a new user has them: nothing set. */
function nothingConfigured(home: string): LaunchSettings {
  return {
    daemonHome: home,
    backend: "local",
    remoteInsecureHttp: false,
    remoteModel: "",
    modelPath: "",
    draftModel: "",
    chatModel: "",
    nextEditModel: "",
    modelIdleUnloadSeconds: 600,
    contextSize: 4096,
    memoryBudgetMB: 0,
    gpu: "auto",
    fimTemplate: "auto",
    nextEditFormat: "auto",
  };
}

/** Every file under a folder (relative paths); none when it does not exist. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

function errorData(error: unknown): ErrorData {
  const data = (error as ResponseError<ErrorData>).data;
  assert.ok(data && typeof data.code === "string", `a typed error: ${String(error)}`);
  return data;
}

/** Waits (bounded) for a condition on something the daemon writes. */
async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("the request succeeded");
}

describe("first run with consent (daemon)", function () {
  this.timeout(180_000);
  const saved: Record<string, string | undefined> = {};
  const homes: string[] = [];

  /** The launcher reads the extension host's environment: here, this process's. */
  function setEnv(values: Record<string, string | undefined>): void {
    for (const [key, value] of Object.entries(values)) {
      if (!(key in saved)) saved[key] = process.env[key];
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }

  async function launch(settings: LaunchSettings): Promise<{ client: HearthClient; progress: ModelProgressParams[]; warnings: string[] }> {
    const warnings: string[] = [];
    const launcher = new DaemonLauncher(repoRoot, settings, { warn: (message: string) => void warnings.push(message) });
    assert.ok((await launcher.serveArgs()).join(" ").includes("--download never"), "the extension starts its daemon with --download never");
    const { socket } = await launcher.connect();
    const client = new HearthClient(socket);
    const progress: ModelProgressParams[] = [];
    client.onModelProgress((p) => progress.push(p));
    return { client, progress, warnings };
  }

  afterEach(async () => {
    for (const home of homes.splice(0)) {
      await runCli(["stop", "--home", home]);
      rmSync(home, { recursive: true, force: true });
    }
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
      delete saved[key];
    }
  });

  it("with nothing configured and no network: a typed not-downloaded state and request error with the model's source and size, nothing in models/, and an unreachable hub said at once", async () => {
    const home = tempHome("hearth-first-run-");
    homes.push(home);
    const hub = `http://127.0.0.1:${await closedPort()}/`;
    setEnv({ HEARTH_MODEL: undefined, HEARTH_CATALOG: undefined, HEARTH_HOME: undefined, HF_ENDPOINT: hub });
    const { client, progress, warnings } = await launch(nothingConfigured(home));
    assert.deepEqual(warnings, []);

    const status = await untilStatus(client, "the model to load or fail", (s) => s.modelState.state !== "loading", 30_000);
    const state = status.modelState;
    assert.equal(state.state, "failed", JSON.stringify(state));
    assert.equal(state.state === "failed" && state.code, "HEARTH_ERR_MODEL_NOT_DOWNLOADED", JSON.stringify(state));
    const download = state.state === "failed" ? state.download : undefined;
    assert.ok(download, "the state says what a download would fetch");
    assert.equal(download.role, "completion");
    assert.equal(download.source, "qwen2.5-coder-1.5b");
    assert.equal(download.catalogName, "qwen2.5-coder-1.5b");
    assert.equal(download.uri, "hf:ggml-org/Qwen2.5-Coder-1.5B-Q8_0-GGUF/qwen2.5-coder-1.5b-q8_0.gguf");
    assert.equal(download.sizeBytes, 1_650_000_000);
    assert.equal(download.partialBytes, 0);
    assert.match(state.state === "failed" ? state.message : "", /Qwen2\.5-Coder 1\.5B \(base\) \(qwen2\.5-coder-1\.5b\) is not downloaded yet \(about 1\.65 GB\)/);
    assert.deepEqual(progress.filter((p) => p.phase === "download"), [], "no download started");
    assert.deepEqual(filesUnder(path.join(home, "models")), [], "nothing written into models/");

    // A completion asked for now gets the same typed error, with the same facts.
    await client.initialize([{ uri: "file:///workspace/first-run", name: "first-run" }]);
    await client.open({ uri: "file:///workspace/first-run/a.py", languageId: "python", version: 1, text: "def add(a, b):\n    return " });
    const refused = errorData(await rejection(client.complete({ textDocument: { uri: "file:///workspace/first-run/a.py" }, position: { line: 1, character: 11 }, context: { triggerKind: 1 }, hearth: { maxTokens: 8 } })));
    assert.equal(refused.code, "HEARTH_ERR_MODEL_NOT_DOWNLOADED");
    assert.equal(refused.download?.sizeBytes, 1_650_000_000);
    assert.match(refused.hint, /hearth\/downloadModel/);

    // What a first run shows: this machine, and the catalog with what fits and the tier for it.
    const catalog = await client.modelCatalog();
    assert.ok(catalog.machine.cpuCores > 0 && catalog.machine.ramTotalBytes > 0, JSON.stringify(catalog.machine));
    assert.notEqual(catalog.machine.gpu, null, "the GPU (or its absence) is known: llama.cpp's binding loaded");
    assert.deepEqual(catalog.tiers.filter((t) => t.recommended).map((t) => t.id), [catalog.recommendedTier], "one tier recommended for this machine");
    const listed = catalog.models.find((m) => m.name === "qwen2.5-coder-1.5b");
    assert.equal(listed?.downloaded, false);
    assert.equal(listed?.sizeBytes, 1_650_000_000);
    assert.equal(typeof listed?.fits.ram, "boolean");
    assert.deepEqual(filesUnder(path.join(home, "models")), [], "still nothing in models/");

    // The user says yes, but the hub cannot be reached: the answer says so, typed, at once.
    const offline = errorData(await rejection(client.downloadModel({})));
    assert.equal(offline.code, "HEARTH_ERR_MODEL_HUB_UNREACHABLE", JSON.stringify(offline));
    assert.equal(offline.download?.source, "qwen2.5-coder-1.5b");
    const after = await client.status();
    assert.equal(after.modelState.state === "failed" && after.modelState.code, "HEARTH_ERR_MODEL_HUB_UNREACHABLE", "every client learns it from the status");
    assert.match(after.modelState.state === "failed" ? after.modelState.message : "", new RegExp(`could not reach ${hub.replace(/[./]/g, "\\$&")}.*ECONNREFUSED`));
    assert.deepEqual(filesUnder(path.join(home, "models")).filter((f) => f.endsWith(".gguf") || f.endsWith(".part")), [], "no model file, whole or partial");
    assert.equal(await client.status().then((s) => s.pid), status.pid, "the daemon stays up");
    client.dispose();
  });

  it("with consent: hearth/downloadModel fetches from the hub with progress in bytes, stops on cancel keeping its bytes, resumes them, loads the model and serves", async () => {
    const model = readFileSync((await testModels()).target);
    const server = await startModelServer();
    const home = tempHome("hearth-first-run-");
    homes.push(home);
    const catalogFile = path.join(home, "team-catalog.json");
    writeFileSync(
      catalogFile,
      JSON.stringify({
        models: [
          {
            name: "first-run-coder",
            title: "First-run coder (generated)",
            roles: ["completion"],
            uri: "hf:org/first-run-GGUF/coder-q8_0.gguf",
            quantization: "Q8_0",
            parameters: "1M",
            sizeBytes: model.length,
            sizeExact: true,
            sha256: sha256(model),
            contextLength: 4096,
            format: "fim-qwen",
            shape: { layers: 4, kvHeads: 2, headDim: 32 },
            licence: "Apache-2.0",
            source: "generated for this test",
          },
          {
            name: "first-run-chat",
            title: "First-run chat (generated)",
            roles: ["chat"],
            uri: "hf:org/first-run-chat-GGUF/chat-q8_0.gguf",
            quantization: "Q8_0",
            parameters: "1M",
            sizeBytes: model.length,
            sizeExact: true,
            contextLength: 4096,
            format: "chatml",
            shape: { layers: 4, kvHeads: 2, headDim: 32 },
            licence: "Apache-2.0",
            source: "generated for this test",
          },
        ],
      }),
    );
    server.serve("org", "first-run-chat-GGUF", "chat-q8_0.gguf", model);
    const cutAt = 300_000;
    server.serve("org", "first-run-GGUF", "coder-q8_0.gguf", model, { kind: "stall", bytes: cutAt });
    setEnv({ HEARTH_MODEL: undefined, HEARTH_HOME: undefined, HF_ENDPOINT: server.endpoint, HEARTH_CATALOG: catalogFile });
    try {
      const { client, progress } = await launch({ ...nothingConfigured(home), modelPath: "first-run-coder", chatModel: "first-run-chat" });
      const waiting = await untilStatus(client, "the model to load or fail", (s) => s.modelState.state !== "loading", 30_000);
      assert.equal(waiting.modelState.state === "failed" && waiting.modelState.code, "HEARTH_ERR_MODEL_NOT_DOWNLOADED", JSON.stringify(waiting.modelState));
      assert.equal(waiting.modelState.state === "failed" && waiting.modelState.download?.sizeBytes, model.length, "the catalog's size");
      assert.equal(server.requests.length, 0, "the hub was not asked before the user said yes");

      // Cancelled midway: the request answers cancelled, the bytes stay for the next try.
      const cancel = new CancellationTokenSource();
      const first = rejection(client.downloadModel({}, cancel.token));
      await server.stalled();
      const part = path.join(home, "models", "pulled", "hf_org_first-run-GGUF_coder-q8_0.gguf.part");
      await until("the bytes sent before the stall to reach the partial file", () => existsSync(part) && statSync(part).size === cutAt);
      cancel.cancel();
      const cancelled = (await first) as ResponseError;
      assert.equal(cancelled.code, -32800, `cancelled: ${String(cancelled)}`);
      const stopped = await untilStatus(client, "the stopped download's state", (s) => s.modelState.state === "failed" && s.modelState.code === "HEARTH_ERR_MODEL_NOT_DOWNLOADED");
      const kept = stopped.modelState.state === "failed" ? (stopped.modelState.download?.partialBytes ?? 0) : 0;
      assert.equal(kept, cutAt, JSON.stringify(stopped.modelState));
      assert.equal(statSync(part).size, cutAt);

      // Asked again: resumed from the kept bytes (a Range request), with progress, then loaded.
      server.misbehave("org", "first-run-GGUF", { kind: "none" });
      progress.length = 0;
      const result = await client.downloadModel({});
      assert.equal(result.alreadyDownloaded, false);
      assert.equal(result.role, "completion");
      assert.equal(result.bytes, model.length);
      assert.equal(sha256(readFileSync(result.path)), sha256(model), "byte-identical to the hub's file");
      assert.ok(server.requests.some((r) => r.range === `bytes=${cutAt}-`), "resumed with a Range request");
      const bytes = progress.filter((p) => p.phase === "download");
      assert.ok(bytes.length >= 2, JSON.stringify(bytes));
      assert.ok((bytes[0]?.receivedBytes ?? 0) >= cutAt, "the kept bytes count from the start");
      assert.deepEqual([bytes.at(-1)?.receivedBytes, bytes.at(-1)?.totalBytes, bytes.at(-1)?.progress], [model.length, model.length, 1]);
      assert.ok(bytes.every((p, i) => i === 0 || (p.receivedBytes ?? 0) >= (bytes[i - 1]?.receivedBytes ?? 0)), "bytes only grow");
      assert.ok(progress.some((p) => p.phase === "ready"), "clients hear that the model is ready");

      const ready = await client.status();
      assert.equal(ready.modelState.state, "ready", JSON.stringify(ready.modelState));
      assert.equal(ready.model.path, result.path);
      await client.initialize([{ uri: "file:///workspace/first-run", name: "first-run" }]);
      await client.open({ uri: "file:///workspace/first-run/a.py", languageId: "python", version: 1, text: "def add(a, b):\n    return " });
      const served = await client.complete({ textDocument: { uri: "file:///workspace/first-run/a.py" }, position: { line: 1, character: 11 }, context: { triggerKind: 1 }, hearth: { maxTokens: 8 } });
      assert.equal(served.metrics?.model, ready.models[0]?.name, "served by the downloaded model");

      // The chat model, not on disk either, refuses the explanation that would load it, typed, with its size;
      // asked for, it is fetched (and loads on its next use).
      const chatRefused = errorData(await rejection(client.explain({ textDocument: { uri: "file:///workspace/first-run/a.py" }, range: { start: { line: 0, character: 0 }, end: { line: 1, character: 11 } } })));
      assert.equal(chatRefused.code, "HEARTH_ERR_MODEL_NOT_DOWNLOADED", JSON.stringify(chatRefused));
      assert.deepEqual([chatRefused.download?.role, chatRefused.download?.catalogName, chatRefused.download?.sizeBytes], ["chat", "first-run-chat", model.length]);
      const chat = await client.downloadModel({ role: "chat" });
      assert.deepEqual([chat.role, chat.source, chat.alreadyDownloaded, chat.bytes], ["chat", "first-run-chat", false, model.length]);
      assert.ok(progress.some((p) => p.role === "chat" && p.phase === "download" && p.receivedBytes === model.length), "the chat model's download told its bytes");
      const afterChat = await client.status();
      assert.notEqual(afterChat.models.find((m) => m.role === "chat")?.state, "failed", "its failure no longer holds");

      // Once on disk, asking again fetches nothing.
      const requestsBefore = server.requests.length;
      const again = await client.downloadModel({});
      assert.equal(again.alreadyDownloaded, true);
      assert.equal(server.requests.length, requestsBefore);
      client.dispose();
    } finally {
      await server.close();
    }
  });
});
