/**
 * hearth/nextEdit through a session on a real WebSocket, served by the real local engine (a
 * generated model with Qwen2.5-Coder's tokenizer) as the next-edit pipeline the model roles
 * will supply: the edit history comes from the document sync, excluded files and closed
 * documents leave none, a newer request supersedes an older one for the same document.
 */
import { watchSlots } from "../helpers/watched-port.js";
import type { ModelRoles } from "../../daemon/src/roles.js";
import type { ModelDownloads } from "../../daemon/src/model-downloads.js";
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel, type Token } from "node-llama-cpp";
import type { ResponseError } from "vscode-jsonrpc/node";
import WebSocket, { WebSocketServer } from "ws";
import { createBackend } from "../../daemon/src/backends.js";
import type { InferenceBackend } from "../../daemon/src/backend.js";
import { HearthClient } from "../../daemon/src/client/hearth-client.js";
import { Engine } from "../../daemon/src/engine/engine.js";
import { ensureSyntheticModel, syntheticPresets } from "../../daemon/src/gguf/model-cache.js";
import { MetricsLog } from "../../daemon/src/metrics.js";
import type { EnginePort } from "../../daemon/src/pipeline/engine-port.js";
import { Pipeline } from "../../daemon/src/pipeline/pipeline.js";
import { Scheduler } from "../../daemon/src/scheduler.js";
import { NextEditCounts } from "../../daemon/src/next-edit/next-edit-counts.js";
import { Session } from "../../daemon/src/session.js";
import { idleTimingFrom } from "../../daemon/src/workspace.js";
import { WorkspaceRegistry } from "../../daemon/src/workspaces.js";
import { repoRoot } from "../helpers/daemon-process.js";
import { qwenCoderVocab } from "../helpers/vocab-models.js";

const FOLDER = "file:///w";
const LINES = Array.from({ length: 30 }, (_, i) => (i === 15 ? "def area(radius):" : `value_${i} = compute(${i})`));
const TEXT = LINES.join("\n");

/** The engine's port, each prompt it evaluates recorded. */
function watched(port: EnginePort<number>, prompts: number[][]): EnginePort<number> {
  return watchSlots(port, (prompt, _slot, request) => (prompts.push([...prompt]), request));
}

describe("hearth/nextEdit through a session, on the local engine", function () {
  this.timeout(300_000);
  let llama: Llama;
  let vocab: LlamaModel;
  let backend: InferenceBackend;
  let home: string;
  let server: WebSocketServer;
  let client: HearthClient;
  const prompts: number[][] = [];

  before(async () => {
    const spec = { ...syntheticPresets["tiny-draft"], name: "hearth-tiny-qwen2.5-coder", vocabSize: 151936, vocabulary: "qwen2.5-coder" as const };
    const modelPath = await ensureSyntheticModel(spec, { cacheDir: path.join(repoRoot, ".cache", "test-models"), precision: "Q8_0" });
    llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.disabled });
    vocab = await llama.loadModel({ modelPath: await qwenCoderVocab(), vocabOnly: true });
    home = mkdtempSync(path.join(os.tmpdir(), "hearth-next-edit-session-"));
    backend = createBackend(
      { kind: "local" },
      { modelSource: modelPath, modelsDir: path.join(home, "models"), home, persistKv: false, contextSize: 4096, maxWorkspaces: 2, threads: 1, gpu: "off", speculation: "off", maxPrefillMs: 0 },
      { apiKey: null, remoteModel: null, remoteTimeoutMs: 30_000 },
      () => undefined,
    );
    await backend.load(() => undefined);
    assert.ok(backend instanceof Engine, JSON.stringify(backend.state));
    const pipeline = new Pipeline(watched(backend.port, prompts));
    const scheduler = new Scheduler();
    const workspaces = new WorkspaceRegistry({ backend, scheduler, timing: idleTimingFrom({}), stats: { passes: 0, warmedTokens: 0 }, log: () => undefined });
    server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    server.on("connection", (socket) => {
      new Session(socket, {
        version: "test",
        backend,
        scheduler,
        metrics: new MetricsLog(),
        workspaces,
        status: () => Promise.reject(new Error("not asked")),
        requestStop: () => undefined,
        log: () => undefined,
        precision: null,
        nextEditCounts: new NextEditCounts(),
        // Only the next-edit role is asked for here: the pipeline under test, on the real engine.
        roles: { pipelineFor: async () => pipeline } as unknown as ModelRoles,
        nextEditFormat: "auto",
        downloads: { download: () => Promise.reject(new Error("not asked")) } as unknown as ModelDownloads,
        modelCatalog: () => Promise.reject(new Error("not asked")),
      });
    });
    await once(server, "listening");
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no TCP address");
    const socket = new WebSocket(`ws://127.0.0.1:${address.port}/`);
    await once(socket, "open");
    client = new HearthClient(socket);
    await client.initialize([{ uri: FOLDER, name: "w" }]);
  });
  after(async () => {
    client.dispose();
    await new Promise((resolve) => server.close(resolve));
    await backend.dispose();
    await vocab.dispose();
    await llama.dispose();
    rmSync(home, { recursive: true, force: true });
  });

  /** The text of the last prompt the engine was given, special tokens written out. */
  function lastPrompt(): string {
    return vocab.detokenize((prompts[prompts.length - 1] ?? []) as Token[], true);
  }

  async function openAndEdit(uri: string): Promise<void> {
    await client.open({ uri, languageId: "python", version: 1, text: TEXT });
    // A settled edit far above, then the edit in progress on the cursor's line.
    await client.change({ textDocument: { uri, version: 2 }, contentChanges: [{ range: { start: { line: 2, character: 0 }, end: { line: 2, character: 7 } }, text: "total" }] });
    await client.change({ textDocument: { uri, version: 3 }, contentChanges: [{ range: { start: { line: 15, character: 9 }, end: { line: 15, character: 15 } }, text: "size" }] });
  }

  it("takes the edit history from the document sync: the settled edit as a diff, the one in progress as original against current", async () => {
    const uri = `${FOLDER}/src/shapes.py`;
    await openAndEdit(uri);
    const result = await client.nextEdit({ textDocument: { uri }, position: { line: 15, character: 13 }, maxTokens: 16 });
    assert.equal(result.format, "sweep");
    assert.equal(result.metrics.kind, "nextEdit");
    assert.ok(Array.isArray(result.edits));
    const prompt = lastPrompt();
    assert.ok(prompt.includes("<|file_sep|>src/shapes.py.diff\noriginal:\nvalue_2 = compute(2)\nupdated:\ntotal = compute(2)\n"), prompt.slice(0, 400));
    assert.ok(prompt.includes("<|file_sep|>original/src/shapes.py\n") && prompt.includes("def area(radius):\n"));
    assert.ok(prompt.includes("<|file_sep|>current/src/shapes.py\n") && prompt.includes("def area(size):\n"));
    assert.ok(prompt.endsWith("<|file_sep|>updated/src/shapes.py\n"));
  });

  it("keeps no history for an excluded file, nor for a document closed and opened again", async () => {
    const secret = `${FOLDER}/.env.local.py`;
    await openAndEdit(secret);
    await client.nextEdit({ textDocument: { uri: secret }, position: { line: 15, character: 13 }, maxTokens: 4 });
    assert.ok(!lastPrompt().includes(".diff\n"), "no history block");
    assert.ok(!lastPrompt().includes("def area(radius):"), "no original window before the edit");
    const reopened = `${FOLDER}/src/reopened.py`;
    await openAndEdit(reopened);
    await client.close(reopened);
    await client.open({ uri: reopened, languageId: "python", version: 1, text: TEXT });
    await client.nextEdit({ textDocument: { uri: reopened }, position: { line: 15, character: 13 }, maxTokens: 4 });
    assert.ok(!lastPrompt().includes(".diff\n"));
  });

  it("supersedes an older next-edit request for the same document", async () => {
    const uri = `${FOLDER}/src/supersede.py`;
    await openAndEdit(uri);
    const older = client.nextEdit({ textDocument: { uri }, position: { line: 15, character: 13 }, maxTokens: 256 });
    const newer = client.nextEdit({ textDocument: { uri }, position: { line: 15, character: 13 }, maxTokens: 4 });
    await assert.rejects(older, (e: unknown) => (e as ResponseError<{ code: string }>).data?.code === "HEARTH_ERR_SUPERSEDED");
    const result = await newer;
    assert.equal(result.metrics.kind, "nextEdit");
  });
});
