/**
 * Copy speculation for next edits, on a generated model with Qwen2.5-Coder's real tokenizer
 * served as the next-edit model. Through real daemons: the next edit is the same with the
 * copy drafter on (the default) and off (--spec off), and the metrics count what it drafted.
 * Through the real pipeline on the real engine in process: the generated model writes no
 * real edits, so its own output (from a run without drafts) is given to the drafter as the
 * window it copies, which is the case copy speculation is for: drafts are accepted and the
 * output is token for token the same.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { InferenceBackend, NextEditOutcome } from "../../daemon/src/backend.js";
import { createBackend } from "../../daemon/src/backends.js";
import { Engine } from "../../daemon/src/engine/engine.js";
import type { SpeculationMode } from "../../daemon/src/engine/speculation.js";
import { ensureSyntheticModel, syntheticPresets } from "../../daemon/src/gguf/model-cache.js";
import { EditHistory } from "../../daemon/src/next-edit/edit-history.js";
import { Pipeline } from "../../daemon/src/pipeline/pipeline.js";
import type { NextEditResult } from "../../daemon/src/protocol.js";
import { repoRoot, startDaemon } from "../helpers/daemon-process.js";
import { testModels } from "../helpers/test-models.js";
import { watchSlots } from "../helpers/watched-port.js";

const URI = "file:///workspace/a/src/shapes.ts";
const LINES = ["import { clamp } from './math';", "", "export function area(radius: number) {", "  const r = clamp(radius, 0, 100);", "  return Math.PI * radius * radius;", "}", "", "console.log(area(2));", ""];
const TEXT = LINES.join("\n");
/** The edit in progress: the parameter renamed on line 2. */
const RENAMED = { range: { start: { line: 2, character: 21 }, end: { line: 2, character: 27 } }, text: "size" };

async function nextEditModel(): Promise<string> {
  // Qwen2.5-Coder's real tokenizer (Sweep's format needs its <|file_sep|>); the weights are generated.
  const spec = { ...syntheticPresets["tiny-draft"], name: "hearth-tiny-qwen2.5-coder", vocabSize: 151936, vocabulary: "qwen2.5-coder" as const };
  return ensureSyntheticModel(spec, { cacheDir: path.join(repoRoot, ".cache", "test-models"), precision: "Q8_0" });
}

describe("copy speculation for next edits", function () {
  this.timeout(300_000);

  it("through real daemons: the same next edit with the copy drafter on and off (--spec off), its drafts in the metrics", async () => {
    const model = await nextEditModel();
    const target = (await testModels()).target;
    const ask = async (args: string[]): Promise<NextEditResult[]> => {
      const daemon = await startDaemon({ model: target, args: ["--next-edit-model", model, "--next-edit-format", "sweep", ...args] });
      const client = await daemon.connect([{ uri: "file:///workspace/a", name: "a" }]);
      try {
        await client.open({ uri: URI, languageId: "typescript", version: 1, text: TEXT });
        await client.change({ textDocument: { uri: URI, version: 2 }, contentChanges: [RENAMED] });
        const results: NextEditResult[] = [];
        // Twice: the second request reuses the cache and its gate has seen the first.
        for (let i = 0; i < 2; i++) results.push(await client.nextEdit({ textDocument: { uri: URI }, position: { line: 2, character: 25 }, maxTokens: 48 }));
        return results;
      } finally {
        client.dispose();
        await daemon.stop();
      }
    };
    const on = await ask([]);
    const off = await ask(["--spec", "off"]);
    for (let i = 0; i < on.length; i++) {
      const [a, b] = [on[i] as NextEditResult, off[i] as NextEditResult];
      assert.deepEqual({ edits: a.edits, cursor: a.cursor, copied: a.copied }, { edits: b.edits, cursor: b.cursor, copied: b.copied }, `request ${i + 1}: the same suggestion`);
      assert.equal(a.metrics.generatedTokens, b.metrics.generatedTokens);
      assert.equal(a.metrics.stopReason, b.metrics.stopReason);
      assert.equal(b.metrics.draftTokens, 0, "nothing drafted with --spec off");
    }
    const first = on[0] as NextEditResult;
    assert.equal(first.metrics.kind, "nextEdit");
    assert.ok(first.metrics.generatedTokens > 1, JSON.stringify(first.metrics));
    // The first request drafts the window's first tokens before the model writes anything.
    assert.ok(first.metrics.draftTokens > 0, JSON.stringify(first.metrics));
    for (const r of on) assert.ok(r.metrics.acceptedTokens <= r.metrics.draftTokens, JSON.stringify(r.metrics));
  });

  describe("through the pipeline on the real engine, on a window the output copies", () => {
    let home: string;
    const backends: InferenceBackend[] = [];

    before(async () => {
      home = mkdtempSync(path.join(os.tmpdir(), "hearth-next-edit-copy-"));
    });
    after(async () => {
      for (const backend of backends) await backend.dispose();
      rmSync(home, { recursive: true, force: true });
    });

    async function engine(speculation: SpeculationMode): Promise<Engine> {
      const backend = createBackend(
        { kind: "local" },
        { modelSource: await nextEditModel(), modelsDir: path.join(home, "models"), home: path.join(home, speculation), persistKv: false, contextSize: 4096, maxWorkspaces: 1, threads: 1, gpu: "off", speculation, maxPrefillMs: 0 },
        { apiKey: null, remoteModel: null, remoteTimeoutMs: 30_000 },
        () => undefined,
      );
      backends.push(backend);
      await backend.load(() => undefined);
      assert.ok(backend instanceof Engine, JSON.stringify(backend.state));
      return backend;
    }

    /** One next-edit request through a pipeline over `backend`'s port; `copyFrom` replaces the window the engine is told the output copies. */
    async function nextEdit(backend: Engine, copyFrom?: () => string): Promise<{ outcome: NextEditOutcome; told: readonly string[] | undefined; text: string }> {
      let told: readonly string[] | undefined;
      let text = "";
      const port = watchSlots(backend.port, (_prompt, _slot, request) => {
        told = request.copyFrom;
        return {
          ...request,
          ...(copyFrom ? { copyFrom: [copyFrom()] } : {}),
          onGenerated: (generated) => ((text = generated), request.onGenerated(generated)),
        };
      });
      const history = new EditHistory({ now: () => 0 });
      const edited = TEXT.replace("area(radius", "area(size");
      history.record(URI, TEXT, edited);
      const outcome = await new Pipeline(port).nextEdit({
        workspaceId: "w",
        documentUri: URI,
        text: edited,
        cursor: { line: 2, character: 25 },
        path: "src/shapes.ts",
        events: history.events(URI),
        format: "sweep",
        maxTokens: 48,
        signal: new AbortController().signal,
      });
      return { outcome, told, text };
    }

    it("tells the engine the window as Sweep's output copies it, and drafts the model's own output when it is the window: accepted, the output unchanged", async () => {
      const off = await engine("off");
      const on = await engine("lookup");
      const plain = await nextEdit(off);
      const window = `${TEXT.replace("area(radius", "area(size")}\n`;
      assert.deepEqual(plain.told, [window, window.replaceAll("radius", "size")], "the window's lines, each with its newline; then with the rename in progress carried through");
      assert.equal(plain.outcome.draftTokens, 0);
      assert.ok(plain.outcome.generatedTokens > 1, JSON.stringify(plain.outcome));
      // The model's output is the window it copies.
      const copied = await nextEdit(on, () => plain.text);
      assert.equal(copied.text, plain.text, "greedy output is the same with copy drafts");
      assert.deepEqual(copied.outcome.edits, plain.outcome.edits);
      assert.equal(copied.outcome.generatedTokens, plain.outcome.generatedTokens);
      assert.ok(copied.outcome.acceptedTokens > 0, JSON.stringify(copied.outcome));
      assert.ok(copied.outcome.acceptedTokens <= copied.outcome.draftTokens);
      // The window the pipeline names, which this model does not copy: drafted, the output still the same.
      const named = await nextEdit(on);
      assert.equal(named.text, plain.text);
      assert.ok(named.outcome.draftTokens > 0, JSON.stringify(named.outcome));
    });
  });
});
