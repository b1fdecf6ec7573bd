// Measures the hardening figures the README states: another client's hearth/status latency
// while a completion runs in a 2 MB one-line file, a 20,000-line file and after a 1,000-edit
// Replace All; a neighbour workspace's completion latency during a long cold prefill against
// its idle latency; KV state writes per minute of typing with pauses; requests served on a
// full disk (a 3 MB tmpfs home; needs root). Real daemons on the generated tiny model, one
// thread. Needs `npx tsc -p tsconfig.json` first. Writes bench/results/figures/hardening.json.
//   node scripts/measure-hardening.mjs
import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startDaemon, tempHome, testModels } from "./lib/measure.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const model = (await testModels()).target;
const out = { measuredAt: new Date().toISOString(), model: "generated tiny-target Q8_0", threads: 1 };
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? null : Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] * 10) / 10;
};
const summary = (values) => ({ n: values.length, p50: percentile(values, 50), p95: percentile(values, 95), max: percentile(values, 100) });

/** Polls hearth/status from another connection while `job` runs; the latencies of those calls. */
async function statusLatencyDuring(daemon, job) {
  const watcher = await daemon.connect([{ uri: "file:///watch", name: "watch" }]);
  const latencies = [];
  let running = true;
  const polling = (async () => {
    while (running) {
      const started = performance.now();
      await watcher.status();
      latencies.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const result = await job();
  running = false;
  await polling;
  watcher.dispose();
  return { status: summary(latencies), result };
}

{
  const daemon = await startDaemon({ model });
  const client = await daemon.connect([{ uri: "file:///big", name: "big" }]);
  const minified = `${"var a=1,b=function(c){return c*2};".repeat(60_000)}`;
  await client.open({ uri: "file:///big/min.js", languageId: "javascript", version: 1, text: minified });
  const line = await statusLatencyDuring(daemon, () => client.complete({ textDocument: { uri: "file:///big/min.js" }, position: { line: 0, character: minified.length }, context: { triggerKind: 1 }, hearth: { maxTokens: 16 } }));
  out.twoMegabyteLine = { chars: minified.length, statusMs: line.status, completion: { promptTokens: line.result.metrics.promptTokens, totalMs: line.result.metrics.totalMs } };

  const long = Array.from({ length: 20_000 }, (_, i) => `export const value${i} = compute(${i}, "item-${i}");`).join("\n");
  await client.open({ uri: "file:///big/long.ts", languageId: "typescript", version: 1, text: long });
  const deep = await statusLatencyDuring(daemon, () => client.complete({ textDocument: { uri: "file:///big/long.ts" }, position: { line: 15_000, character: 10 }, context: { triggerKind: 1 }, hearth: { maxTokens: 16 } }));
  out.twentyThousandLines = { statusMs: deep.status, completion: { promptTokens: deep.result.metrics.promptTokens, totalMs: deep.result.metrics.totalMs } };

  const edits = Array.from({ length: 1000 }, (_, i) => {
    const at = { line: 19_999 - i * 20, character: 13 };
    return { range: { start: at, end: { line: at.line, character: 18 } }, text: "renamed" };
  });
  const replace = await statusLatencyDuring(daemon, async () => {
    await client.change({ textDocument: { uri: "file:///big/long.ts", version: 2 }, contentChanges: edits });
    return client.complete({ textDocument: { uri: "file:///big/long.ts" }, position: { line: 10_000, character: 10 }, context: { triggerKind: 1 }, hearth: { maxTokens: 16 } });
  });
  out.replaceAll = { edits: edits.length, statusMs: replace.status, completion: { totalMs: replace.result.metrics.totalMs } };
  client.dispose();
  await daemon.stop();
}

{
  // A neighbour's completion, idle and during another workspace's 2.7k-token cold prefill.
  const daemon = await startDaemon({ model, args: ["--max-prefill-ms", "0"] });
  const a = await daemon.connect([{ uri: "file:///fair/a", name: "a" }]);
  const b = await daemon.connect([{ uri: "file:///fair/b", name: "b" }]);
  await b.open({ uri: "file:///fair/b/short.ts", languageId: "typescript", version: 1, text: "export const answer = " });
  const neighbour = async () => {
    const started = performance.now();
    await b.complete({ textDocument: { uri: "file:///fair/b/short.ts" }, position: { line: 0, character: 22 }, context: { triggerKind: 1 }, hearth: { maxTokens: 4 } });
    return performance.now() - started;
  };
  await neighbour();
  const idle = [];
  for (let i = 0; i < 7; i++) idle.push(await neighbour());
  const during = [];
  for (let i = 0; i < 7; i++) {
    const text = `${Array.from({ length: 600 }, (_, j) => `export const value${j} = compute(${j + i * 1000}, "item-${j}");`).join("\n")}\n`;
    const uri = `file:///fair/a/long${i}.ts`;
    await a.open({ uri, languageId: "typescript", version: 1, text });
    let started;
    const prefilling = new Promise((resolve) => (started = resolve));
    const long = a.complete({ textDocument: { uri }, position: { line: 590, character: 0 }, context: { triggerKind: 1 }, hearth: { maxTokens: 4 } }, { onWorkDone: (v) => v.kind === "report" && started() });
    await prefilling;
    during.push(await neighbour());
    await long;
  }
  out.neighbour = { idleMs: summary(idle), duringLongPrefillMs: summary(during), ratioP50: Math.round((percentile(during, 50) / percentile(idle, 50)) * 100) / 100 };
  a.dispose();
  b.dispose();
  await daemon.stop();
}

{
  // Typing with a pause every 4 s for 40 s: state writes per minute.
  const daemon = await startDaemon({ model });
  const client = await daemon.connect([{ uri: "file:///churn", name: "churn" }]);
  const uri = "file:///churn/a.ts";
  let text = `${Array.from({ length: 60 }, (_, i) => `export const value${i} = ${i};`).join("\n")}\n`;
  await client.open({ uri, languageId: "typescript", version: 1, text });
  let version = 1;
  const started = performance.now();
  while (performance.now() - started < 40_000) {
    for (let k = 0; k < 5; k++) {
      const lines = text.split("\n");
      const at = { line: lines.length - 1, character: (lines[lines.length - 1] ?? "").length };
      text += "x";
      await client.change({ textDocument: { uri, version: ++version }, contentChanges: [{ range: { start: at, end: at }, text: "x" }] });
      await client.complete({ textDocument: { uri }, position: { line: at.line, character: at.character + 1 }, context: { triggerKind: 1 }, hearth: { maxTokens: 2 } });
    }
    await new Promise((resolve) => setTimeout(resolve, 4000));
  }
  const status = await client.status();
  const minutes = (performance.now() - started) / 60_000;
  out.stateWrites = { typingSeconds: Math.round(minutes * 60), idlePasses: status.idle.passes, writes: status.kvCache?.saves ?? 0, writesPerMinute: Math.round(((status.kvCache?.saves ?? 0) / minutes) * 10) / 10 };
  client.dispose();
  await daemon.stop();
}

{
  // A full disk: a 3 MB tmpfs home, filled to the last byte, one live cache so every switch evicts.
  const home = tempHome();
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=3m,mode=0700", "tmpfs", home]);
    const daemon = await startDaemon({ model, home, args: ["--workspaces", "1"] });
    const client = await daemon.connect([{ uri: "file:///disk", name: "disk" }]);
    const docs = ["a", "b"].map((name) => ({ uri: `file:///disk/${name}.ts`, text: `${Array.from({ length: 30 }, (_, i) => `export const ${name}${i} = ${i};`).join("\n")}\n` }));
    for (const doc of docs) await client.open({ uri: doc.uri, languageId: "typescript", version: 1, text: doc.text });
    const ask = (doc) => client.complete({ textDocument: { uri: doc.uri }, position: { line: 30, character: 0 }, context: { triggerKind: 1 }, hearth: { maxTokens: 4 } });
    await ask(docs[0]);
    await ask(docs[1]);
    const fd = openSync(path.join(home, "filler"), "w", 0o600);
    try {
      for (;;) writeSync(fd, Buffer.alloc(64 * 1024));
    } catch {
      // ENOSPC: the disk is full.
    } finally {
      closeSync(fd);
    }
    let served = 0;
    let failed = 0;
    for (let i = 0; i < 20; i++) {
      try {
        await ask(docs[i % 2]);
        served++;
      } catch {
        failed++;
      }
    }
    const status = await client.status();
    out.fullDisk = { requests: served + failed, served, failed, failedSaves: status.kvCache?.failedSaves ?? 0 };
    client.dispose();
    rmSync(path.join(home, "filler"));
    await daemon.stop({ keepHome: true });
  } catch (error) {
    out.fullDisk = { skipped: `could not make a tmpfs home: ${error instanceof Error ? error.message : String(error)}` };
  } finally {
    try {
      execFileSync("umount", [home]);
    } catch {
      // Not mounted.
    }
    rmSync(home, { recursive: true, force: true });
  }
}

const file = path.join(root, "bench", "results", "figures", "hardening.json");
mkdirSync(path.dirname(file), { recursive: true });
writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
