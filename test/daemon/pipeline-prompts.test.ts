/**
 * One pipeline, every backend, the prompt each model was trained on. Generated models that
 * carry real tokenizers (DeepSeek-Coder's, which asks for BOS first; Qwen2.5-Coder's, which
 * doesn't) are served by the local engine (node-llama-cpp, in this process) and by a real
 * llama-server; the same pipeline code completes the same document through both, and the
 * prompts the engines are given are compared token for token with each other and with
 * llama.cpp's own tokenization of the rendered prompt (the server's /tokenize, special tokens
 * added and parsed as llama.cpp does for a text prompt).
 */
import { watchSlots } from "../helpers/watched-port.js";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createBackend } from "../../daemon/src/backends.js";
import type { CompletionInput, InferenceBackend } from "../../daemon/src/backend.js";
import { Engine } from "../../daemon/src/engine/engine.js";
import { RemoteBackend } from "../../daemon/src/remote/remote-backend.js";
import { ensureSyntheticModel, syntheticPresets } from "../../daemon/src/gguf/model-cache.js";
import type { RealVocabularyName } from "../../daemon/src/gguf/real-vocab.js";
import type { ChatPrompt, EnginePort } from "../../daemon/src/pipeline/engine-port.js";
import { Pipeline } from "../../daemon/src/pipeline/pipeline.js";
import { FIM_FAMILIES, renderHead, renderText, type FimFamilyName } from "../../daemon/src/prompt/fim-templates.js";
import { repoRoot } from "../helpers/daemon-process.js";
import { startLlamaServer, type RunningLlamaServer } from "../helpers/llama-server.js";

/** A document whose prompt is never cut: the head is the text above the cursor's line and the suffix, the middle the line typed so far. */
const ABOVE = "def clamp(value, low, high):\n    if value < low:\n        return low\n";
const LINE = "    return min(high, va";
const SUFFIX = "lue)\n\nprint(clamp(5, 0, 3))\n";
const TEXT = ABOVE + LINE + SUFFIX;

interface Vocabulary {
  name: RealVocabularyName;
  family: FimFamilyName;
  /** The BOS id when the vocabulary asks for it first; null when it doesn't. */
  bos: number | null;
  /** Its BOS id whether or not it asks for it (to check it is absent). */
  bosId: number;
  vocabSize: number;
}

const VOCABULARIES: readonly Vocabulary[] = [
  { name: "deepseek-coder", family: "deepseek-coder", bos: 32013, bosId: 32013, vocabSize: 32256 },
  { name: "qwen2.5-coder", family: "qwen", bos: null, bosId: 151643, vocabSize: 151936 },
];

/** The tiny shape with a real tokenizer: real token counts and special tokens, meaningless text. */
function modelWith(vocabulary: Vocabulary): Promise<string> {
  const spec = { ...syntheticPresets["tiny-draft"], name: `hearth-tiny-${vocabulary.name}`, vocabSize: vocabulary.vocabSize, vocabulary: vocabulary.name };
  return ensureSyntheticModel(spec, { cacheDir: path.join(repoRoot, ".cache", "test-models"), precision: "Q8_0" });
}

/** The backend's own port, watched: every prompt it is asked to evaluate is recorded. */
function watched<T>(port: EnginePort<T>, prompts: { completion: T[][]; explanation: ChatPrompt<T>[] }): EnginePort<T> {
  const slots = watchSlots(port, (prompt, _slot, request) => (prompts.completion.push([...prompt]), request));
  return {
    ...slots,
    runExplanation: (prompt, request) => {
      prompts.explanation.push(prompt);
      return port.runExplanation(prompt, request);
    },
  };
}

function input(overrides: Partial<CompletionInput> = {}): CompletionInput {
  return {
    workspaceId: "w",
    text: TEXT,
    cursorOffset: ABOVE.length + LINE.length,
    maxTokens: 4,
    mode: "auto",
    documentUri: "file:///shapes/geometry.py",
    languageId: "python",
    fileName: "geometry.py",
    repoName: "shapes",
    signal: new AbortController().signal,
    ...overrides,
  };
}

/** llama.cpp's own tokens for a text prompt: special tokens added (BOS where the vocabulary asks for it) and parsed. */
async function llamaCppTokens(server: RunningLlamaServer, text: string): Promise<number[]> {
  const response = await fetch(`${server.url}/tokenize`, { method: "POST", body: JSON.stringify({ content: text, add_special: true, parse_special: true }) });
  const body = (await response.json()) as { tokens: number[] };
  return body.tokens;
}

describe("one pipeline on real vocabularies, local and through llama-server", function () {
  this.timeout(300_000);
  const homes: string[] = [];
  const backends: InferenceBackend[] = [];
  const servers: RunningLlamaServer[] = [];
  after(async () => {
    for (const backend of backends) await backend.dispose();
    for (const server of servers) await server.stop();
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  });

  async function local(model: string): Promise<InferenceBackend> {
    const home = mkdtempSync(path.join(os.tmpdir(), "hearth-pipeline-"));
    homes.push(home);
    const backend = createBackend(
      { kind: "local" },
      { modelSource: model, modelsDir: path.join(home, "models"), home, persistKv: false, contextSize: 2048, maxWorkspaces: 1, threads: 1, gpu: "off", speculation: "off", maxPrefillMs: 0 },
      { apiKey: null, remoteModel: null, remoteTimeoutMs: 30_000 },
      () => undefined,
    );
    backends.push(backend);
    await backend.load(() => undefined);
    assert.equal(backend.state.state, "ready", JSON.stringify(backend.state));
    return backend;
  }

  async function remote(model: string): Promise<{ backend: InferenceBackend; server: RunningLlamaServer }> {
    const server = await startLlamaServer({ model, slots: 2, ctxPerSlot: 2048 });
    servers.push(server);
    const backend = createBackend(
      { kind: "llama-server", url: new URL(server.url) },
      { modelSource: "", modelsDir: "", home: "", contextSize: 0, maxWorkspaces: 1, threads: 1, gpu: "off", maxPrefillMs: 0 },
      { apiKey: null, remoteModel: null, remoteTimeoutMs: 30_000 },
      () => undefined,
    );
    backends.push(backend);
    await backend.load(() => undefined);
    assert.equal(backend.state.state, "ready", JSON.stringify(backend.state));
    return { backend, server };
  }

  for (const vocabulary of VOCABULARIES) {
    describe(`${vocabulary.name} (${vocabulary.bos === null ? "no BOS" : "BOS first"})`, () => {
      let localPrompts: { completion: number[][]; explanation: ChatPrompt<number>[] };
      let remotePrompts: { completion: number[][]; explanation: ChatPrompt<number>[] };
      let server: RunningLlamaServer;
      let openAiPrompts: { completion: string[][]; explanation: ChatPrompt<string>[] };
      let openAiPromptTokens: number;

      before(async () => {
        const model = await modelWith(vocabulary);
        const engine = await local(model);
        const served = await remote(model);
        server = served.server;
        localPrompts = { completion: [], explanation: [] };
        remotePrompts = { completion: [], explanation: [] };
        // The backends' own ports, each driven by a pipeline of the same code as theirs.
        assert.ok(engine instanceof Engine && served.backend instanceof RemoteBackend);
        const localPipeline = new Pipeline(watched(engine.port, localPrompts));
        // llama-server's tokens are its ids, as node-llama-cpp's are.
        const remotePipeline = new Pipeline(watched((served.backend as RemoteBackend<number>).port, remotePrompts));
        for (const pipeline of [localPipeline, remotePipeline]) {
          await pipeline.complete(input());
          // A keystroke: the held layout continued.
          await pipeline.complete(input({ text: `${ABOVE}${LINE}l${SUFFIX}`, cursorOffset: ABOVE.length + LINE.length + 1 }));
          await pipeline.explain({ code: ABOVE, languageId: "python", fileName: "geometry.py", maxTokens: 4, signal: new AbortController().signal });
        }
        // The same server as an OpenAI-compatible one: Hearth sends text, and the server tokenizes it (BOS included where its vocabulary asks).
        const openAi = createBackend(
          { kind: "openai", url: new URL(server.url) },
          { modelSource: "", modelsDir: "", home: "", contextSize: 2048, maxWorkspaces: 1, threads: 1, gpu: "off", maxPrefillMs: 0 },
          { apiKey: null, remoteModel: null, remoteTimeoutMs: 30_000 },
          () => undefined,
        );
        backends.push(openAi);
        await openAi.load(() => undefined);
        assert.ok(openAi instanceof RemoteBackend, JSON.stringify(openAi.state));
        openAiPrompts = { completion: [], explanation: [] };
        // One token, so the stream runs to the server's last event, which carries its own count.
        const outcome = await new Pipeline(watched((openAi as RemoteBackend<string>).port, openAiPrompts)).complete(input({ maxTokens: 1, mode: "block" }));
        assert.notEqual(outcome.stopReason, "boundary", "the stream ran to its end");
        openAiPromptTokens = outcome.promptTokens;
      });

      it("gives the local engine and llama-server the same completion prompts, token for token", () => {
        assert.equal(localPrompts.completion.length, 2);
        assert.deepEqual(remotePrompts.completion, localPrompts.completion);
      });

      it("sends the prompt llama.cpp itself makes of the rendered FIM text", async () => {
        const family = FIM_FAMILIES[vocabulary.family];
        const rendered = renderText(renderHead(family, { chunks: [], above: ABOVE, suffix: SUFFIX, languageId: "python", fileName: "geometry.py", repoName: "shapes" })) + LINE;
        assert.deepEqual(localPrompts.completion[0], await llamaCppTokens(server, rendered));
      });

      it(vocabulary.bos === null ? "never puts a BOS in the prompt" : "puts BOS first, once, in completions and explanations", () => {
        const prompts = [...localPrompts.completion, ...remotePrompts.completion];
        const explanation = localPrompts.explanation[0];
        assert.ok(explanation && "tokens" in explanation, "the local engine renders the chat template as tokens");
        prompts.push([...explanation.tokens]);
        for (const prompt of prompts) {
          const bosCount = prompt.filter((t) => t === vocabulary.bosId).length;
          if (vocabulary.bos === null) assert.equal(bosCount, 0, `no BOS in ${prompt.slice(0, 8).join(",")}…`);
          else {
            assert.equal(prompt[0], vocabulary.bos, `BOS first in ${prompt.slice(0, 8).join(",")}…`);
            assert.equal(bosCount, 1, "BOS once");
          }
        }
      });

      it("sends an OpenAI-compatible server the rendered text without BOS, and the server's count has it exactly where llama.cpp adds it", async () => {
        const text = (openAiPrompts.completion[0] ?? []).join("");
        assert.ok(text.endsWith(LINE), JSON.stringify(text.slice(-40)));
        assert.ok(!text.includes("<｜begin▁of▁sentence｜>") && !text.includes("<|endoftext|>"), JSON.stringify(text.slice(0, 40)));
        assert.equal(openAiPromptTokens, (await llamaCppTokens(server, text)).length, "the server evaluated the text as llama.cpp tokenizes it, special tokens added once");
      });

      it("hands llama-server an explanation as messages, for its own chat template", () => {
        const explanation = remotePrompts.explanation[0];
        assert.ok(explanation && "messages" in explanation, JSON.stringify(explanation));
        assert.match(explanation.messages.user, /def clamp/);
      });
    });
  }
});
