/**
 * The next-edit recipe (pipeline/next-edit.ts) on the real local engine, in this process, on
 * a generated model that carries Qwen2.5-Coder's real tokenizer. The engine's port is
 * watched: the prompt it is asked to evaluate is compared token for token with llama.cpp's
 * tokenization of the rendered format, the edits returned are checked to be exactly what the
 * model's output reads as, and a keystroke within the edit in progress re-evaluates a small
 * share of the prompt. Generated models write meaningless text: this tests the plumbing, not
 * the quality of suggestions.
 */
import { watchSlots } from "../helpers/watched-port.js";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel } from "node-llama-cpp";
import { createBackend } from "../../daemon/src/backends.js";
import type { InferenceBackend, NextEditInput } from "../../daemon/src/backend.js";
import { Engine } from "../../daemon/src/engine/engine.js";
import { HearthError } from "../../daemon/src/errors.js";
import { ensureSyntheticModel, syntheticPresets } from "../../daemon/src/gguf/model-cache.js";
import { EditHistory } from "../../daemon/src/next-edit/edit-history.js";
import { suggestEdits } from "../../daemon/src/next-edit/edits.js";
import { NEXT_EDIT_FORMATS } from "../../daemon/src/next-edit/formats.js";
import { cutWindow } from "../../daemon/src/next-edit/window.js";
import type { EnginePort } from "../../daemon/src/pipeline/engine-port.js";
import { Pipeline } from "../../daemon/src/pipeline/pipeline.js";
import { renderText } from "../../daemon/src/prompt/fim-templates.js";
import type { SpeculationMode } from "../../daemon/src/options.js";
import { RemoteBackend } from "../../daemon/src/remote/remote-backend.js";
import { repoRoot } from "../helpers/daemon-process.js";
import { startLlamaServer, type RunningLlamaServer } from "../helpers/llama-server.js";
import { qwenCoderVocab } from "../helpers/vocab-models.js";

const URI = "file:///w/src/shapes.py";
const PATH = "src/shapes.py";

/** A document of 40 lines; the user renames a parameter on line 20 and keeps typing there. */
const LINES = Array.from({ length: 40 }, (_, i) => (i === 20 ? "def area(radius):" : i === 21 ? "    return 3.14 * radius * radius" : `value_${i} = compute(${i}, radius=${i % 7})`));
const RELATED = [{ name: "src/util.py", text: Array.from({ length: 30 }, (_, i) => `def helper_${i}(x):\n    return x * ${i}\n`).join("") }];

interface Watched {
  prompts: number[][];
  uncached: number[];
}

/** The engine's own port, watched: each prompt it evaluates, and how much of it the cache lacked. */
function watched(port: EnginePort<number>, seen: Watched, onToken?: () => void): EnginePort<number> {
  return watchSlots(port, (prompt, slot, request) => {
    seen.prompts.push([...prompt]);
    seen.uncached.push(slot.uncached(prompt));
    return {
      ...request,
      onGenerated: (text) => {
        onToken?.();
        return request.onGenerated(text);
      },
    };
  });
}

describe("next-edit pipeline on the local engine and llama-server (Qwen2.5-Coder's real tokenizer)", function () {
  this.timeout(300_000);
  const homes: string[] = [];
  const backends: InferenceBackend[] = [];
  const servers: RunningLlamaServer[] = [];
  let llama: Llama;
  let vocab: LlamaModel;
  let modelPath: string;

  before(async () => {
    const spec = { ...syntheticPresets["tiny-draft"], name: "hearth-tiny-qwen2.5-coder", vocabSize: 151936, vocabulary: "qwen2.5-coder" as const };
    modelPath = await ensureSyntheticModel(spec, { cacheDir: path.join(repoRoot, ".cache", "test-models"), precision: "Q8_0" });
    llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.disabled });
    vocab = await llama.loadModel({ modelPath: await qwenCoderVocab(), vocabOnly: true });
  });
  after(async () => {
    for (const backend of backends) await backend.dispose();
    for (const server of servers) await server.stop();
    for (const home of homes) rmSync(home, { recursive: true, force: true });
    await vocab.dispose();
    await llama.dispose();
  });

  async function engine(speculation: SpeculationMode): Promise<Engine> {
    const home = mkdtempSync(path.join(os.tmpdir(), "hearth-next-edit-"));
    homes.push(home);
    const backend = createBackend(
      { kind: "local" },
      { modelSource: modelPath, modelsDir: path.join(home, "models"), home, persistKv: false, contextSize: 4096, maxWorkspaces: 1, threads: 1, gpu: "off", speculation, maxPrefillMs: 0 },
      { apiKey: null, remoteModel: null, remoteTimeoutMs: 30_000 },
      () => undefined,
    );
    backends.push(backend);
    await backend.load(() => undefined);
    assert.ok(backend instanceof Engine && backend.state.state === "ready", JSON.stringify(backend.state));
    return backend;
  }

  /** The document's history: a settled edit long ago, then the rename in progress. */
  function scenario() {
    let now = 0;
    const history = new EditHistory({ now: () => now });
    let lines = [...LINES];
    const change = (line: number, text: string, afterMs: number): void => {
      now += afterMs;
      const next = [...lines];
      next[line] = text;
      history.record(URI, lines.join("\n"), next.join("\n"));
      lines = next;
    };
    change(3, "value_3 = compute(3, radius=4)  # checked", 0);
    change(20, "def area(r):", 5000);
    return {
      history,
      get text() {
        return lines.join("\n");
      },
      change,
    };
  }

  function input(s: ReturnType<typeof scenario>, cursor: { line: number; character: number }, overrides: Partial<NextEditInput> = {}): NextEditInput {
    return { workspaceId: "w", documentUri: URI, text: s.text, cursor, path: PATH, events: s.history.events(URI), related: RELATED, format: "auto", maxTokens: 48, signal: new AbortController().signal, ...overrides };
  }

  it("sends Sweep's prompt token for token as llama.cpp tokenizes it, and answers exactly the edits the output reads as", async () => {
    const local = await engine("off");
    const seen: Watched = { prompts: [], uncached: [] };
    const pipeline = new Pipeline(watched(local.port, seen));
    const s = scenario();
    const request = input(s, { line: 20, character: 10 });
    const outcome = await pipeline.nextEdit(request);
    assert.equal(outcome.format, "sweep", "a Qwen2.5-Coder vocabulary without a known model name gets Sweep's format");
    const cut = cutWindow(NEXT_EDIT_FORMATS.sweep, { text: request.text, cursor: request.cursor, path: PATH, events: request.events, related: RELATED, countTokens: (t) => vocab.tokenize(t, false).length });
    assert.deepEqual(cut.input.original[10], "def area(radius):", "the original window has the line before the edit in progress");
    const rendered = NEXT_EDIT_FORMATS.sweep.render(cut.input);
    assert.ok(rendered.kind === "pieces");
    const text = renderText(rendered.pieces);
    assert.ok(text.includes("<|file_sep|>src/shapes.py.diff\noriginal:\nvalue_3 = compute(3, radius=3)\nupdated:\nvalue_3 = compute(3, radius=4)  # checked\n"), "the settled edit as a diff block");
    assert.deepEqual(seen.prompts[0], vocab.tokenize(text, true), "the engine got llama.cpp's own tokens of the rendered prompt");
    assert.equal(outcome.promptTokens, seen.prompts[0]?.length);
    // The edits are the model's output, parsed and diffed, whatever it wrote.
    const finished = outcome.stopReason === "eos" || outcome.stopReason === "boundary";
    const expected = suggestEdits({ window: cut.input.window, startLine: cut.startLine, cursor: request.cursor, original: cut.input.original, updated: finished ? NEXT_EDIT_FORMATS.sweep.parse(outcome.text) : null });
    assert.deepEqual({ edits: outcome.edits, ...(outcome.cursor !== undefined ? { cursor: outcome.cursor } : {}), copied: outcome.copied }, expected);
    if (!finished) assert.deepEqual(outcome.edits, [], "an output cut by the token limit is no suggestion");
  });

  it("re-evaluates only from the changed line on a keystroke within the edit in progress (≤ 25% of the prompt)", async () => {
    const local = await engine("off");
    const seen: Watched = { prompts: [], uncached: [] };
    const pipeline = new Pipeline(watched(local.port, seen));
    const s = scenario();
    await pipeline.nextEdit(input(s, { line: 20, character: 10 }));
    s.change(20, "def area(ra):", 300);
    const second = await pipeline.nextEdit(input(s, { line: 20, character: 11 }));
    const prompt = seen.prompts[1] ?? [];
    const uncached = seen.uncached[1] ?? Number.NaN;
    assert.ok(uncached <= 0.25 * prompt.length, `the keystroke left ${uncached} of ${prompt.length} prompt tokens uncached`);
    assert.ok(second.evaluatedTokens <= 0.25 * second.promptTokens, `evaluated ${second.evaluatedTokens} of ${second.promptTokens}`);
    assert.ok(uncached > 0, "the changed line itself was evaluated");
  });

  it("writes the same greedy output with prompt-lookup drafts as without", async () => {
    const outputs: string[] = [];
    for (const mode of ["off", "lookup"] as const) {
      const pipeline = new Pipeline((await engine(mode)).port);
      const outcome = await pipeline.nextEdit(input(scenario(), { line: 20, character: 10 }));
      outputs.push(outcome.text);
    }
    assert.ok((outputs[0] ?? "").length > 0);
    assert.equal(outputs[1], outputs[0]);
  });

  it("renders Instinct through the model's chat template, token-exact, no BOS", async () => {
    const local = await engine("off");
    const seen: Watched = { prompts: [], uncached: [] };
    const pipeline = new Pipeline(watched(local.port, seen));
    const s = scenario();
    const request = input(s, { line: 20, character: 10 }, { format: "instinct" });
    const outcome = await pipeline.nextEdit(request);
    assert.equal(outcome.format, "instinct");
    const cut = cutWindow(NEXT_EDIT_FORMATS.instinct, { text: request.text, cursor: request.cursor, path: PATH, events: request.events, related: RELATED, countTokens: (t) => vocab.tokenize(t, false).length });
    const rendered = NEXT_EDIT_FORMATS.instinct.render(cut.input);
    assert.ok(rendered.kind === "chat");
    const chatml = `<|im_start|>system\n${rendered.system}<|im_end|>\n<|im_start|>user\n${rendered.user}<|im_end|>\n<|im_start|>assistant\n`;
    assert.deepEqual(seen.prompts[0], vocab.tokenize(chatml, true));
    const bos = vocab.tokens.bos;
    if (bos !== null) assert.ok(!(seen.prompts[0] ?? []).includes(bos), "Qwen2.5-Coder asks for no BOS");
  });

  it("cancels: a request aborted while it generates stops within a token and suggests nothing", async () => {
    const local = await engine("off");
    const controller = new AbortController();
    const seen: Watched = { prompts: [], uncached: [] };
    const pipeline = new Pipeline(watched(local.port, seen, () => controller.abort()));
    const outcome = await pipeline.nextEdit(input(scenario(), { line: 20, character: 10 }, { signal: controller.signal }));
    assert.equal(outcome.stopReason, "cancelled");
    assert.ok(outcome.tokensAfterCancel <= 1);
    assert.deepEqual(outcome.edits, []);
  });

  it("refuses a window holding the format's own marker, naming it, before the model sees it", async () => {
    const local = await engine("off");
    const seen: Watched = { prompts: [], uncached: [] };
    const pipeline = new Pipeline(watched(local.port, seen));
    const s = scenario();
    s.change(22, "SEP = '<|file_sep|>'", 5000);
    await assert.rejects(pipeline.nextEdit(input(s, { line: 20, character: 10 })), (e: unknown) => e instanceof HearthError && e.code === "HEARTH_ERR_NEXT_EDIT_RESERVED_TEXT" && e.message.includes("<|file_sep|>"));
    assert.equal(seen.prompts.length, 0);
  });
  it("through llama-server: the same Sweep prompt as token ids, and a keystroke evaluates ≤ 25% by the server's own count", async () => {
    const server = await startLlamaServer({ model: modelPath, slots: 2, ctxPerSlot: 4096 });
    servers.push(server);
    const backend = createBackend({ kind: "llama-server", url: new URL(server.url) }, { modelSource: "", modelsDir: "", home: "", contextSize: 0, maxWorkspaces: 1, threads: 1, gpu: "off", maxPrefillMs: 0 }, { apiKey: null, remoteModel: null, remoteTimeoutMs: 30_000 }, () => undefined);
    backends.push(backend);
    await backend.load(() => undefined);
    assert.ok(backend instanceof RemoteBackend, JSON.stringify(backend.state));
    const seen: Watched = { prompts: [], uncached: [] };
    const pipeline = new Pipeline(watched((backend as RemoteBackend<number>).port, seen));
    const s = scenario();
    const first = await pipeline.nextEdit(input(s, { line: 20, character: 10 }));
    assert.equal(first.format, "sweep");
    const local = { prompts: [] as number[][], uncached: [] as number[] };
    await new Pipeline(watched((await engine("off")).port, local)).nextEdit(input(scenario(), { line: 20, character: 10 }));
    assert.deepEqual(seen.prompts[0], local.prompts[0], "llama-server is given the local engine's prompt, token for token");
    s.change(20, "def area(ra):", 300);
    const second = await pipeline.nextEdit(input(s, { line: 20, character: 11 }));
    assert.ok(second.evaluatedTokens > 0 && second.evaluatedTokens <= 0.25 * second.promptTokens, `the server evaluated ${second.evaluatedTokens} of ${second.promptTokens}`);
  });
  it("through an OpenAI-compatible server: Zeta's text prompt goes as text; Sweep is refused, and so is a document spelling a special token the server would parse", async () => {
    const server = servers[0] ?? (await startLlamaServer({ model: modelPath, slots: 2, ctxPerSlot: 4096 }));
    if (!servers.includes(server)) servers.push(server);
    const backend = createBackend({ kind: "openai", url: new URL(server.url) }, { modelSource: "", modelsDir: "", home: "", contextSize: 4096, maxWorkspaces: 1, threads: 1, gpu: "off", maxPrefillMs: 0 }, { apiKey: null, remoteModel: null, remoteTimeoutMs: 30_000 }, () => undefined);
    backends.push(backend);
    await backend.load(() => undefined);
    assert.ok(backend instanceof RemoteBackend, JSON.stringify(backend.state));
    const pipeline = new Pipeline((backend as RemoteBackend<string>).port);
    const zeta = await pipeline.nextEdit(input(scenario(), { line: 20, character: 10 }, { format: "zeta", maxTokens: 8 }));
    assert.equal(zeta.format, "zeta");
    assert.ok(zeta.promptTokens > 0);
    await assert.rejects(pipeline.nextEdit(input(scenario(), { line: 20, character: 10 })), (e: unknown) => e instanceof HearthError && e.code === "HEARTH_ERR_NEXT_EDIT_FORMAT");
    const s = scenario();
    s.change(22, "END = '<|im_end|>'", 5000);
    await assert.rejects(pipeline.nextEdit(input(s, { line: 20, character: 10 }, { format: "zeta" })), (e: unknown) => e instanceof HearthError && e.code === "HEARTH_ERR_NEXT_EDIT_RESERVED_TEXT" && e.message.includes("<|im_end|>"));
  });
});
