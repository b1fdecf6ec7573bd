// Measures what the README's cache and precision figures say: evaluated tokens per keystroke
// and on moving to the next line, and memory per precision and KV
// type, both on the generated Qwen2.5-Coder-0.5B shape (its real tokenizer). Needs `npx tsc -p tsconfig.json`
// first (it drives real daemons through scripts/lib/measure.mjs). Writes bench/results/figures/cache-precision.json.
//   node scripts/measure-cache-precision.mjs               # both parts
//   node scripts/measure-cache-precision.mjs keystrokes    # one part; the other's figures are kept
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { sharedModelHomes, startDaemon } from "./lib/measure.mjs";

const home = sharedModelHomes("hearth-measure-");
const resultFile = new URL("../bench/results/figures/cache-precision.json", import.meta.url);
const only = process.argv[2] ?? null;
const out = { ...(only !== null && existsSync(resultFile) ? JSON.parse(readFileSync(resultFile, "utf8")) : {}), measuredAt: new Date().toISOString(), threads: 1 };
if (only === null || only === "keystrokes") {
  const model = "generated:qwen2.5-coder-0.5b@Q8_0";
  // No prefill cut: the cold request takes the whole prompt, as the figure says.
  const d = await startDaemon({ model, home: home("keys"), args: ["--spec", "off", "--max-prefill-ms", "0"] });
  const c = await d.connect([{ uri: "file:///m", name: "m" }]);
  const lines = Array.from({ length: 120 }, (_, i) => `export function handler${i}(request: Request): Response {\n  return respond(request, ${i});\n}`).join("\n").split("\n");
  lines.splice(60, 0, "  ");
  const uri = "file:///m/a.ts";
  await c.open({ uri, languageId: "typescript", version: 1, text: lines.join("\n") });
  const ask = (line, character) => c.complete({ textDocument: { uri }, position: { line, character }, context: { triggerKind: 2 }, hearth: { maxTokens: 1 } });
  const first = await ask(60, 2);
  const typed = "const total = values.reduce((a, b) => a + b, 0);";
  const perKey = [];
  let version = 2;
  for (let i = 0; i < typed.length; i++) {
    await c.change({ textDocument: { uri, version: version++ }, contentChanges: [{ range: { start: { line: 60, character: 2 + i }, end: { line: 60, character: 2 + i } }, text: typed[i] }] });
    perKey.push((await ask(60, 3 + i)).metrics);
  }
  await c.change({ textDocument: { uri, version: version++ }, contentChanges: [{ range: { start: { line: 60, character: 2 + typed.length }, end: { line: 60, character: 2 + typed.length } }, text: "\n  " }] });
  const nextLine = (await ask(61, 2)).metrics;
  const ev = perKey.map((m) => m.evaluatedTokens).sort((a, b) => a - b);
  out.keystrokes = { model, prompt: first.metrics.promptTokens, coldEvaluated: first.metrics.evaluatedTokens, keys: ev.length, median: ev[Math.floor(ev.length / 2)], max: ev[ev.length - 1], mean: ev.reduce((a, b) => a + b, 0) / ev.length, nextLine: { prompt: nextLine.promptTokens, evaluated: nextLine.evaluatedTokens, reused: nextLine.reusedTokens } };
  c.dispose(); await d.stop();
}
if (only === null || only === "precision") {
  const d = await startDaemon({ model: "generated:qwen2.5-coder-0.5b@Q8_0", home: home("q05"), args: ["--spec", "off", "--workspaces", "1", "--ctx", "4096"] });
  const c = await d.connect();
  const rows = [];
  const snap = async (label) => { const s = await c.status(); rows.push({ label, variant: s.model.variant, kv: s.model.kvCacheType, modelBytes: s.memory.modelBytes, kvBytes: s.memory.kvBytes, rss: s.memory.daemonRssBytes }); };
  await c.status(); // wait for load through a request below
  await c.open({ uri: "file:///workspace/a/x.ts", languageId: "typescript", version: 1, text: "export const x = 1;\n" });
  await c.complete({ textDocument: { uri: "file:///workspace/a/x.ts" }, position: { line: 1, character: 0 }, context: { triggerKind: 1 }, hearth: { maxTokens: 2 } });
  await snap("Q8_0 / f16");
  await c.precisionSet({ variant: "Q8_0", kvCacheType: "q8_0" }); await snap("Q8_0 / q8_0");
  await c.precisionSet({ variant: "Q4_0", kvCacheType: "f16" }); await snap("Q4_0 / f16");
  await c.precisionSet({ variant: "F16", kvCacheType: "f16" }); await snap("F16 / f16");
  out.precision = rows;
  c.dispose(); await d.stop();
}
writeFileSync(resultFile, `${JSON.stringify(out, null, 2)}\n`);
console.log(JSON.stringify(out.keystrokes), JSON.stringify(out.precision, null, 1));
