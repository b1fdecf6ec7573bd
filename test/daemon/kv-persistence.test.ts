/**
 * Workspace KV caches survive restarts, eviction and crashes, and a saved state is never
 * loaded into a model it does not belong to: real daemon processes on generated models.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { HearthClient } from "../../daemon/src/client/hearth-client.js";
import { ensureSyntheticModel, syntheticPresets } from "../../daemon/src/gguf/model-cache.js";
import type { InlineCompletionList } from "../../daemon/src/protocol.js";
import { repoRoot, startDaemon, tempHome, untilStatus, type RunningDaemon } from "../helpers/daemon-process.js";
import { testModels } from "../helpers/test-models.js";

const FOLDER_A = [{ uri: "file:///persist/a", name: "a" }];
const FOLDER_B = [{ uri: "file:///persist/b", name: "b" }];
// Repetitive on purpose: prompt-lookup speculation drafts ahead, which the saved state must not keep.
const TEXT = Array.from({ length: 30 }, (_, i) => `function handler${i}(request: Request): Response {\n  return respond(request, ${i});\n}\n`).join("") + "function handler30(request: Request): Response {\n  return respond(";

async function completeIn(client: HearthClient, uri: string, text = TEXT): Promise<InlineCompletionList> {
  await client.open({ uri, languageId: "typescript", version: 1, text });
  const lines = text.split("\n");
  const position = { line: lines.length - 1, character: (lines[lines.length - 1] ?? "").length };
  return client.complete({ textDocument: { uri }, position, context: { triggerKind: 1 }, hearth: { maxTokens: 6, mode: "line" } });
}


function kvDirs(home: string): string[] {
  try {
    return readdirSync(path.join(home, "kv"));
  } catch {
    return [];
  }
}

describe("persistent KV cache", function () {
  this.timeout(120_000);
  let model: string;
  const daemons: RunningDaemon[] = [];
  // A short idle pause (the pass runs 200 ms after a request, not 3 s) and a save interval no
  // run of this suite reaches, so "at most once per interval" does not hang on the machine's speed.
  const start = async (home: string, modelPath = model, args: string[] = []): Promise<RunningDaemon> => {
    const daemon = await startDaemon({ model: modelPath, home, args, env: { HEARTH_IDLE_WORK_MS: "200", HEARTH_SAVE_INTERVAL_MS: "3600000" } });
    daemons.push(daemon);
    return daemon;
  };

  before(async () => {
    model = (await testModels()).target;
  });
  afterEach(async () => {
    for (const daemon of daemons.splice(0)) await daemon.stop({ keepHome: true });
  });

  it("reuses the saved cache after a restart: the first completion evaluates a handful of tokens", async () => {
    const home = tempHome();
    const first = await start(home);
    const client = await first.connect(FOLDER_A);
    const cold = await completeIn(client, "file:///persist/a/x.ts");
    assert.ok(cold.metrics.evaluatedTokens > 100, `cold prompt evaluated ${cold.metrics.evaluatedTokens}`);
    client.dispose();
    assert.equal(await first.stop({ keepHome: true }), 0);

    const second = await start(home);
    const again = await second.connect(FOLDER_A);
    const warm = await completeIn(again, "file:///persist/a/x.ts");
    assert.ok(warm.metrics.evaluatedTokens <= 2, `after restart evaluated ${warm.metrics.evaluatedTokens} of ${warm.metrics.promptTokens}`);
    assert.equal(warm.items[0]?.insertText, cold.items[0]?.insertText, "restored state gives the same completion");
    // An edit near the top: the restored cache is cut there and the rest evaluated again.
    await again.change({ textDocument: { uri: "file:///persist/a/x.ts", version: 2 }, contentChanges: [{ range: { start: { line: 3, character: 0 }, end: { line: 3, character: 0 } }, text: "// edited\n" }] });
    const lines = TEXT.split("\n");
    const edited = await again.complete({ textDocument: { uri: "file:///persist/a/x.ts" }, position: { line: lines.length, character: (lines[lines.length - 1] ?? "").length }, context: { triggerKind: 1 }, hearth: { maxTokens: 6, mode: "line" } });
    assert.ok(edited.metrics.reusedTokens > 10 && edited.metrics.evaluatedTokens > 100, JSON.stringify(edited.metrics));
    const status = await again.status();
    assert.equal(status.kvCache?.loads, 1);
    assert.match(second.stderr(), /restored the saved KV cache of workspace/);
    again.dispose();
    rmSync(home, { recursive: true, force: true });
  });

  it("saves an evicted workspace and loads it back on its next request", async () => {
    const home = tempHome();
    const daemon = await start(home, model, ["--workspaces", "1"]);
    const a = await daemon.connect(FOLDER_A);
    const b = await daemon.connect(FOLDER_B);
    await completeIn(a, "file:///persist/a/x.ts");
    const bFirst = await completeIn(b, "file:///persist/b/y.ts", `// other\n${TEXT}`);
    assert.ok(bFirst.metrics.evaluatedTokens > 100, "B took over the only sequence");
    const aBack = await completeIn(a, "file:///persist/a/x.ts");
    assert.ok(aBack.metrics.evaluatedTokens <= 2, `A came back from disk: evaluated ${aBack.metrics.evaluatedTokens}`);
    const status = await a.status();
    assert.ok((status.kvCache?.saves ?? 0) >= 1 && (status.kvCache?.loads ?? 0) >= 1);
    a.dispose();
    b.dispose();
    rmSync(home, { recursive: true, force: true });
  });

  it("fits the live workspaces to the memory budget", async () => {
    const home = tempHome();
    // The tiny model's KV is 4 MiB per sequence at 4096 tokens: 10 MiB holds one workspace plus explanations.
    const daemon = await start(home, model, ["--workspaces", "3", "--memory-budget-mb", "10"]);
    const a = await daemon.connect(FOLDER_A);
    const b = await daemon.connect(FOLDER_B);
    await completeIn(a, "file:///persist/a/x.ts");
    await completeIn(b, "file:///persist/b/y.ts", `// other\n${TEXT}`);
    const aBack = await completeIn(a, "file:///persist/a/x.ts");
    assert.ok(aBack.metrics.evaluatedTokens <= 2);
    const status = await a.status();
    assert.equal(status.kvCache?.loads, 1, "A was evicted by B and loaded back");
    assert.ok(status.memory.kvBytes <= 10 * 1024 * 1024, `KV ${status.memory.kvBytes} bytes within the budget`);
    assert.match(daemon.stderr(), /memory budget \d+ bytes holds 1 workspace/);
    a.dispose();
    b.dispose();
    rmSync(home, { recursive: true, force: true });
  });

  it("saves at idle, so a killed daemon loses nothing", async () => {
    const home = tempHome();
    const daemon = await start(home);
    const client = await daemon.connect(FOLDER_A);
    await completeIn(client, "file:///persist/a/x.ts");
    await untilStatus(client, "the idle save", (s) => (s.kvCache?.saves ?? 0) >= 1);
    client.dispose();
    daemon.child.kill("SIGKILL");
    await daemon.exited;
    rmSync(path.join(home, "daemon.json"), { force: true });

    const restarted = await start(home);
    const again = await restarted.connect(FOLDER_A);
    const warm = await completeIn(again, "file:///persist/a/x.ts");
    assert.ok(warm.metrics.evaluatedTokens <= 2, `evaluated ${warm.metrics.evaluatedTokens}`);
    again.dispose();
    rmSync(home, { recursive: true, force: true });
  });

  it("writes a document's state at most once per save interval while in use, and always at stop", async () => {
    const home = tempHome();
    const daemon = await start(home);
    const client = await daemon.connect(FOLDER_A);
    const uri = "file:///persist/a/churn.ts";
    await completeIn(client, uri);
    let text = TEXT;
    // Three pauses, each long enough for the idle pass (warm-up, then the save).
    for (let pause = 1; pause <= 3; pause++) {
      const status = await untilStatus(client, `idle pass ${pause}`, (s) => s.idle.passes >= pause);
      assert.equal(status.kvCache?.saves, 1, `one write in ${pause} pause(s): ${JSON.stringify(status.kvCache)}`);
      const lines = text.split("\n");
      const position = { line: lines.length - 1, character: (lines[lines.length - 1] ?? "").length };
      text += "x";
      await client.change({ textDocument: { uri, version: pause + 1 }, contentChanges: [{ range: { start: position, end: position }, text: "x" }] });
      await client.complete({ textDocument: { uri }, position: { line: position.line, character: position.character + 1 }, context: { triggerKind: 1 }, hearth: { maxTokens: 2, mode: "line" } });
    }
    client.dispose();
    assert.equal(await daemon.stop({ keepHome: true }), 0);
    const restarted = await start(home);
    const again = await restarted.connect(FOLDER_A);
    const back = await completeIn(again, uri, text);
    assert.ok(back.metrics.evaluatedTokens <= 2, `the state written at stop is the latest: evaluated ${back.metrics.evaluatedTokens}`);
    again.dispose();
    rmSync(home, { recursive: true, force: true });
  });

  it("never loads a state saved with other weights", async () => {
    const otherWeights = await ensureSyntheticModel(syntheticPresets["tiny-target"], { cacheDir: path.join(repoRoot, ".cache", "test-models"), precision: "Q8_0", seed: 2 });
    const homeA = tempHome();
    const a = await start(homeA);
    const clientA = await a.connect(FOLDER_A);
    await completeIn(clientA, "file:///persist/a/x.ts");
    clientA.dispose();
    await a.stop({ keepHome: true });

    // The reference: what the other model says with no saved state at all.
    const fresh = await start(tempHome(), otherWeights);
    const freshClient = await fresh.connect(FOLDER_A);
    const expected = await completeIn(freshClient, "file:///persist/a/x.ts");
    const freshFingerprint = (await freshClient.status()).kvCache?.fingerprint;
    freshClient.dispose();
    await fresh.stop();

    // Put model A's saved state where model B would look for its own.
    const [fingerprintA] = kvDirs(homeA);
    assert.ok(fingerprintA && freshFingerprint && fingerprintA !== freshFingerprint, "different weights, different fingerprints");
    renameSync(path.join(homeA, "kv", fingerprintA), path.join(homeA, "kv", freshFingerprint));
    const b = await start(homeA, otherWeights);
    const clientB = await b.connect(FOLDER_A);
    const result = await completeIn(clientB, "file:///persist/a/x.ts");
    assert.ok(result.metrics.evaluatedTokens > 100, "the foreign state was not used");
    assert.equal(result.items[0]?.insertText, expected.items[0]?.insertText);
    const status = await clientB.status();
    assert.equal(status.kvCache?.loads, 0);
    assert.equal(status.kvCache?.discarded, 1);
    assert.match(b.stderr(), /discarded saved KV state.*fingerprint/);
    clientB.dispose();
    rmSync(homeA, { recursive: true, force: true });
  });

  for (const damage of ["truncated", "garbage"] as const) {
    it(`discards a ${damage} state file with a warning and keeps serving`, async () => {
      const home = tempHome();
      const first = await start(home);
      const client = await first.connect(FOLDER_A);
      const cold = await completeIn(client, "file:///persist/a/x.ts");
      client.dispose();
      await first.stop({ keepHome: true });

      const [fingerprint] = kvDirs(home);
      const dir = path.join(home, "kv", fingerprint ?? "");
      const stateFile = path.join(dir, readdirSync(dir).find((f) => f.endsWith(".state")) ?? "");
      const size = readFileSync(stateFile).length;
      if (damage === "truncated") truncateSync(stateFile, Math.floor(size / 2));
      else writeFileSync(stateFile, Buffer.alloc(size, 0xa5));

      const second = await start(home);
      const again = await second.connect(FOLDER_A);
      const result = await completeIn(again, "file:///persist/a/x.ts");
      assert.equal(result.items[0]?.insertText, cold.items[0]?.insertText);
      const status = await again.status();
      assert.equal(status.kvCache?.discarded, 1);
      assert.equal(status.kvCache?.loads, 0);
      assert.match(second.stderr(), /warning: discarded saved KV state/);
      again.dispose();
      rmSync(home, { recursive: true, force: true });
    });
  }
});
