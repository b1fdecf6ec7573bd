// How late a cancel lands during a cold prefill, and what the prefill step size costs in
// prefill speed, for the daemon's step sizing (auto) against fixed steps. A real daemon per
// configuration: a completion at the end of a ~2,000-token file it has never seen is
// cancelled at its third prefill progress report; the time from $/cancelRequest to the
// answer is the cancel's latency. Then the same kind of prompt is prefilled whole for the
// speed (evaluated tokens / prefill ms). The step sizes are read off the progress reports.
// Needs `npx tsc -p tsconfig.json`. Writes bench/results/figures/prefill-cancel.json.
//   node scripts/measure-prefill-cancel.mjs [--models generated:qwen2.5-coder-0.5b@Q8_0,generated:tiny-target@Q8_0]
//       [--chunks auto,64,16] [--threads 1] [--repeats 5]
import { writeFileSync } from "node:fs";
import os from "node:os";
import { CancellationTokenSource } from "vscode-jsonrpc";
import { flag, median, sharedModelHomes, startDaemon } from "./lib/measure.mjs";

const models = flag("models", "generated:qwen2.5-coder-0.5b@Q8_0,generated:tiny-target@Q8_0").split(",");
const chunks = flag("chunks", "auto,64,16").split(",");
const threads = flag("threads", "1");
const repeats = Number(flag("repeats", "5"));

const home = sharedModelHomes("hearth-cancel-");
// A file no request has seen: `salt` changes every line, so nothing is in the cache.
const file = (salt) => `${Array.from({ length: 150 }, (_, i) => `  const value${i}_${salt} = compute(input${i % 7}, ${(i * 13 + salt) % 101});`).join("\n")}\n  return `;

async function once(client, uri, text, cancelAt) {
  const lines = text.split("\n");
  const position = { line: lines.length - 1, character: lines.at(-1).length };
  await client.open({ uri, languageId: "typescript", version: 1, text });
  const cancel = new CancellationTokenSource();
  const reported = [];
  let cancelledAt = null;
  const request = client.complete(
    { textDocument: { uri }, position, context: { triggerKind: 1 }, hearth: { maxTokens: 1, mode: "line" } },
    {
      cancel,
      onWorkDone: (value) => {
        const done = /prefill (\d+)\//.exec(value.message ?? "")?.[1];
        if (done === undefined) return;
        reported.push(Number(done));
        if (cancelAt !== null && reported.length === cancelAt && cancelledAt === null) {
          cancelledAt = performance.now();
          cancel.cancel();
        }
      },
    },
  );
  const result = await request.then((r) => ({ metrics: r.metrics }), (error) => ({ error }));
  const answeredAt = performance.now();
  await client.close(uri);
  const steps = reported.map((done, i) => done - (reported[i - 1] ?? 0));
  return { cancelMs: cancelledAt === null ? null : answeredAt - cancelledAt, steps, metrics: result.metrics ?? null };
}

const runs = [];
for (const model of models) {
  for (const chunk of chunks) {
    const daemon = await startDaemon({ model, home: home(), args: ["--threads", threads, "--spec", "off", "--max-prefill-ms", "3600000", "--prefill-chunk", chunk] });
    const client = await daemon.connect([{ uri: "file:///cancel", name: "cancel" }]);
    let salt = 0;
    // The first request after the load warms up the step size (and the caches).
    await once(client, `file:///cancel/warm.ts`, file(salt++), null);
    const cancels = [];
    let steps = [];
    for (let i = 0; i < repeats; i++) {
      const r = await once(client, `file:///cancel/c${i}.ts`, file(salt++), 3);
      if (r.cancelMs !== null) cancels.push(r.cancelMs);
      steps = r.steps;
    }
    const whole = await once(client, `file:///cancel/whole.ts`, file(salt++), null);
    client.dispose();
    await daemon.stop();
    const m = whole.metrics;
    const run = {
      model,
      chunk,
      threads: Number(threads),
      cancelMsP50: cancels.length ? median(cancels) : null,
      cancelMsMax: cancels.length ? Math.max(...cancels) : null,
      cancels,
      stepsBeforeCancel: steps,
      prefillTokens: m?.evaluatedTokens ?? null,
      prefillTokensPerSecond: m && m.prefillMs > 0 ? Math.round((1000 * m.evaluatedTokens) / m.prefillMs) : null,
      wholeSteps: [...new Set(whole.steps)].slice(0, 8),
    };
    runs.push(run);
    process.stderr.write(`${model} chunk ${chunk}: cancel p50 ${run.cancelMsP50?.toFixed(1)} ms max ${run.cancelMsMax?.toFixed(1)}; steps ${steps.join(",")}; prefill ${run.prefillTokensPerSecond} tok/s over ${run.prefillTokens}\n`);
  }
}
const out = new URL("../bench/results/figures/prefill-cancel.json", import.meta.url);
writeFileSync(out, `${JSON.stringify({ measuredAt: new Date().toISOString(), machine: `${os.cpus()[0]?.model.trim()}, ${os.availableParallelism()} cores`, command: `node scripts/measure-prefill-cancel.mjs ${process.argv.slice(2).join(" ")}`.trim(), runs }, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
process.exit(0);
