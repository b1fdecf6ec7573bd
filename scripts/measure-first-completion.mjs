// Measures the first completion after a daemon starts against the ones after it: decode
// milliseconds per generated token of the first request, sent as an editor sends it (right
// after initialize and didOpen, while the model may still be loading), and of the next five.
// Generated Qwen2.5-Coder-0.5B shape (real tokenizer) and the tiny model, with the daemon's
// default threads (cores that are free) and with 1. Needs `npx tsc -p tsconfig.json` first.
// Writes bench/results/figures/first-completion.json.
// Each configuration is started --starts times (default 3): on this shared machine a
// millisecond-scale decode (the tiny model) is sometimes hit by a spike, so one start says little.
//   node scripts/measure-first-completion.mjs [--starts 3]
import { writeFileSync } from "node:fs";
import os from "node:os";
import { flag, median, sharedModelHomes, startDaemon } from "./lib/measure.mjs";

const home = sharedModelHomes("hearth-first-");
const starts = Number(flag("starts", "3"));

const file = Array.from({ length: 80 }, (_, i) => `export function step${i}(values: number[]): number {\n  return values.filter((v) => v > ${i}).length;\n}`).join("\n");
const positions = [10, 40, 70, 100, 130, 160].map((line) => ({ line, character: 0 }));
// Decoding alone: from the first generated token to the last (metrics.decodeMs).
const perToken = (m) => (m.generatedTokens >= 4 && m.decodeMs > 0 ? m.decodeMs / (m.generatedTokens - 1) : null);

const runs = [];
for (const model of ["generated:qwen2.5-coder-0.5b@Q8_0", "generated:tiny-target@Q8_0"]) {
  for (const threads of [null, 1]) for (let start = 0; start < starts; start++) {
    // startDaemon passes --threads 1; a later --threads wins, so "default" passes the daemon's own choice.
    const args = ["--spec", "off", ...(threads === null ? ["--threads", String(Math.max(1, os.availableParallelism()))] : [])];
    const daemon = await startDaemon({ model, home: home(), args });
    const client = await daemon.connect([{ uri: "file:///first", name: "first" }]);
    const uri = "file:///first/a.ts";
    await client.open({ uri, languageId: "typescript", version: 1, text: file });
    const metrics = [];
    for (const position of positions) {
      metrics.push((await client.complete({ textDocument: { uri }, position, context: { triggerKind: 1 }, hearth: { maxTokens: 48, mode: "block" } })).metrics);
    }
    const status = await client.status();
    client.dispose();
    await daemon.stop();
    const first = perToken(metrics[0]);
    const rest = metrics.slice(1).map(perToken).filter((x) => x !== null);
    const warm = rest.length ? median(rest) : null;
    runs.push({ model, threads: status.device.threads, start, firstMsPerToken: first, warmMsPerToken: warm, ratio: first !== null && warm ? first / warm : null, firstTotalMs: metrics[0].totalMs, generated: metrics.map((m) => m.generatedTokens) });
    process.stderr.write(`${model} threads ${status.device.threads}: first ${first?.toFixed(2)} ms/token, warm ${warm?.toFixed(2)} (${first && warm ? (first / warm).toFixed(2) : "-"}x)\n`);
  }
}
const out = new URL("../bench/results/figures/first-completion.json", import.meta.url);
writeFileSync(out, `${JSON.stringify({ measuredAt: new Date().toISOString(), machine: `${os.cpus()[0]?.model.trim()}, ${os.availableParallelism()} cores`, runs }, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
process.exit(0);
