/**
 * Prefill steps through a real daemon: `--prefill-chunk N` fixes the step, the default sizes
 * it from the measured step time (powers of two between the bounds), and a bad value is a
 * usage error. The steps are read off the prefill progress reports a client gets.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { MAX_PREFILL_CHUNK, MIN_PREFILL_CHUNK } from "../../daemon/src/pipeline/prefill-chunk.js";
import type { HearthClient } from "../../daemon/src/client/hearth-client.js";
import { runCli, startDaemon, tempHome } from "../helpers/daemon-process.js";
import { testModels } from "../helpers/test-models.js";

const text = `${Array.from({ length: 300 }, (_, i) => `export const item${i} = { id: ${i}, weight: ${(i * 37) % 101} };`).join("\n")}\nexport const total = `;

/** One cold completion at the end of `text`; the tokens each prefill step evaluated. */
async function prefillSteps(client: HearthClient, uri: string): Promise<number[]> {
  await client.open({ uri, languageId: "typescript", version: 1, text });
  const lines = text.split("\n");
  const done: number[] = [];
  await client.complete(
    { textDocument: { uri }, position: { line: lines.length - 1, character: lines.at(-1)!.length }, context: { triggerKind: 1 }, hearth: { maxTokens: 2 } },
    {
      onWorkDone: (value) => {
        const evaluated = /prefill (\d+)\//.exec(value.kind === "report" ? (value.message ?? "") : "")?.[1];
        if (evaluated !== undefined) done.push(Number(evaluated));
      },
    },
  );
  return done.map((n, i) => n - (done[i - 1] ?? 0));
}

describe("prefill steps", function () {
  this.timeout(120_000);

  it("--prefill-chunk N evaluates a cold prompt N tokens a step", async () => {
    const daemon = await startDaemon({ model: (await testModels()).target, args: ["--prefill-chunk", "32", "--max-prefill-ms", "0"] });
    try {
      const client = await daemon.connect();
      const steps = await prefillSteps(client, "file:///workspace/a/fixed.ts");
      assert.ok(steps.length > 10, `${steps.length} steps`);
      // The last step is the rest of the prompt.
      assert.deepEqual(new Set(steps.slice(0, -1)), new Set([32]), steps.join(","));
      client.dispose();
    } finally {
      await daemon.stop();
    }
  });

  it("by default sizes the steps from their times: powers of two within the bounds, grown past the first on a fast model", async () => {
    const daemon = await startDaemon({ model: (await testModels()).target, args: ["--max-prefill-ms", "0"] });
    try {
      const client = await daemon.connect();
      const steps = (await prefillSteps(client, "file:///workspace/a/auto.ts")).slice(0, -1);
      assert.ok(steps.length > 0);
      for (const step of steps) assert.ok(step >= MIN_PREFILL_CHUNK && step <= MAX_PREFILL_CHUNK && (step & (step - 1)) === 0, steps.join(","));
      // The tiny model evaluates 64 tokens in well under 10 ms, so the load's calibration already grew the step.
      assert.ok(Math.max(...steps) > 64, steps.join(","));
      client.dispose();
    } finally {
      await daemon.stop();
    }
  });

  it("refuses a step outside 1-512 as a usage error", async () => {
    const home = tempHome();
    try {
      const bad = await runCli(["serve", "--home", home, "--prefill-chunk", "0"]);
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(bad.stderr, /prefill-chunk/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
