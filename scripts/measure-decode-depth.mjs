// Decode speed at depth, as a user's completion sees it, beside llama.cpp's own llama-bench
// on the same GGUF file, threads and depth. Hearth's side is a real daemon: a completion at
// the end of a file whose prompt is about DEPTH tokens is sent once to fill the cache, then
// repeated; a repeat reuses the whole prompt, so its time after the first token is decoding
// alone: milliseconds per token = decodeMs (first token to last) / (generated - 1), median of the
// repeats. llama-bench: `-p 0 -n 32 -d DEPTH -fa 0`, the same kind of figure (tokens/s of 32
// tokens generated after DEPTH tokens of context). The two take turns for --rounds rounds
// (--repeats completions, then one llama-bench run), so that both see the machine alike; the
// ratio is the median of the rounds' ratios. llama-bench sizes its context to the depth and
// its 32 tokens; the daemon's is the smallest multiple of 256 its layout fits the prompt in.
// Needs `npx tsc -p tsconfig.json` and llama-bench (bash scripts/llama-server/build.sh builds both).
// Writes bench/results/figures/decode-depth.json.
//   node scripts/measure-decode-depth.mjs [--model generated:qwen2.5-coder-0.5b@Q8_0]
//       [--threads 1,2] [--depths 1024,4096] [--spec off] [--repeats 5] [--rounds 3]
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { hearthHome } from "../out/daemon/src/discovery.js";
import { flag, median, sharedModelHomes, startDaemon } from "./lib/measure.mjs";

const model = flag("model", "generated:qwen2.5-coder-0.5b@Q8_0");
const threadsList = flag("threads", "1,2").split(",").map(Number);
const depths = flag("depths", "1024,4096").split(",").map(Number);
const specs = flag("spec", "off").split(",");
const repeats = Number(flag("repeats", "5"));
const roundCount = Number(flag("rounds", "3"));
const bench = path.resolve(".cache/llama-server/build/bin/llama-bench");

const home = sharedModelHomes("hearth-depth-");

// Code-like lines, each distinct, about 14 tokens each on a code tokenizer.
const lines = (count) => Array.from({ length: count }, (_, i) => `  const value${i} = compute(input${i % 7}, ${i * 13 % 101});`);
const perToken = (m) => (m.generatedTokens >= 8 && m.decodeMs > 0 ? m.decodeMs / (m.generatedTokens - 1) : null);

/** Lays out a prompt of about `depth` tokens (filling the cache); returns a function that times repeats of it. */
async function promptAt(daemon, depth) {
  const client = await daemon.connect([{ uri: `file:///depth${depth}`, name: `depth${depth}` }]);
  const uri = `file:///depth${depth}/a.ts`;
  // Grow the file until the prompt the daemon lays out reaches the depth (the planner fits it to the context).
  let count = Math.round(depth / 14);
  let metrics = null;
  let version = 1;
  for (let attempt = 0; attempt < 6; attempt++) {
    const text = `export function run(input0: number, input1: number, input2: number, input3: number, input4: number, input5: number, input6: number): number {\n${lines(count).join("\n")}\n  return `;
    const end = text.split("\n");
    const position = { line: end.length - 1, character: end[end.length - 1].length };
    if (version === 1) await client.open({ uri, languageId: "typescript", version, text });
    else await client.change({ textDocument: { uri, version }, contentChanges: [{ text }] });
    version++;
    metrics = (await client.complete({ textDocument: { uri }, position, context: { triggerKind: 1 }, hearth: { maxTokens: 1, mode: "block" } })).metrics;
    if (Math.abs(metrics.promptTokens - depth) <= depth * 0.05) {
      const promptTokens = metrics.promptTokens;
      const repeat = async (times) => {
        const runs = [];
        for (let i = 0; i < times; i++) runs.push((await client.complete({ textDocument: { uri }, position, context: { triggerKind: 1 }, hearth: { maxTokens: 48, mode: "block" } })).metrics);
        return runs;
      };
      return { promptTokens, repeat, close: () => client.dispose() };
    }
    count = Math.max(1, Math.round((count * depth) / metrics.promptTokens));
  }
  client.dispose();
  throw new Error(`could not lay out a ${depth}-token prompt (last ${metrics?.promptTokens})`);
}

// Asynchronous: the client must keep answering the daemon's heartbeat while llama-bench runs.
async function llamaBench(file, threads, depth) {
  const { stdout: out } = await promisify(execFile)(bench, ["-m", file, "-p", "0", "-n", "32", "-d", String(depth), "-t", String(threads), "-fa", "0", "-r", "1", "-o", "json"], { encoding: "utf8", maxBuffer: 1 << 24 });
  const [row] = JSON.parse(out);
  return { tokensPerSecond: row.avg_ts, msPerToken: 1000 / row.avg_ts };
}

const runs = [];
for (const threads of threadsList) {
  for (const spec of specs) {
    for (const depth of depths) {
      // The prompt, the answer, the FIM tokens and the layout's headroom: the tightest context
      // the daemon lays a prompt of this depth out in (a tighter one holds a shorter prompt).
      const ctx = Math.ceil((depth * 1.05 + 128) / 256) * 256;
      const daemon = await startDaemon({ model, home: home(), args: ["--threads", String(threads), "--spec", spec, "--ctx", String(ctx), "--max-prefill-ms", "0"] });
      // A failed run must not leave a daemon behind to slow the next ones.
      process.once("exit", () => daemon.child.kill("SIGKILL"));
      const prompt = await promptAt(daemon, depth);
      const client = await daemon.connect(null);
      const status = await client.status();
      client.dispose();
      const file = path.join(hearthHome(), "models", "generated", path.basename(status.model.path));
      // Rounds that take turns (Hearth's repeats, then llama-bench), so that a slow spell of
      // this shared machine falls on both sides; the figure is the median of the rounds' ratios.
      const hearthRuns = [];
      const rounds = [];
      for (let round = 0; round < roundCount; round++) {
        const runs = await prompt.repeat(repeats);
        hearthRuns.push(...runs);
        const timed = runs.map(perToken).filter((x) => x !== null);
        const reference = await llamaBench(file, threads, prompt.promptTokens);
        const msPerToken = timed.length ? median(timed) : null;
        rounds.push({ hearthMsPerToken: msPerToken, llamaBenchMsPerToken: reference.msPerToken, ratio: msPerToken ? reference.msPerToken / msPerToken : null });
      }
      prompt.close();
      await daemon.stop();
      const timed = hearthRuns.map(perToken).filter((x) => x !== null);
      const hearth = { promptTokens: prompt.promptTokens, reused: hearthRuns.map((m) => m.reusedTokens), generated: hearthRuns.map((m) => m.generatedTokens), msPerToken: timed.length ? median(timed) : null };
      const reference = { msPerToken: median(rounds.map((r) => r.llamaBenchMsPerToken)) };
      reference.tokensPerSecond = 1000 / reference.msPerToken;
      const ratios = rounds.map((r) => r.ratio).filter((x) => x !== null);
      const ratio = ratios.length ? median(ratios) : null;
      runs.push({ threads, spec, depth, ctx, hearth, llamaBench: reference, ratio, rounds, kvCacheType: status.model.kvCacheType, flashAttention: status.model.flashAttention });
      process.stderr.write(`threads ${threads} spec ${spec} depth ${hearth.promptTokens} ctx ${ctx}: Hearth ${hearth.msPerToken?.toFixed(2)} ms/token, llama-bench ${reference.msPerToken.toFixed(2)}: ${ratio?.toFixed(2)}x\n`);
    }
  }
}
const out = new URL("../bench/results/figures/decode-depth.json", import.meta.url);
writeFileSync(out, `${JSON.stringify({ measuredAt: new Date().toISOString(), machine: `${os.cpus()[0]?.model.trim()}, ${os.availableParallelism()} cores`, model, command: `node scripts/measure-decode-depth.mjs ${process.argv.slice(2).join(" ")}`.trim(), runs }, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
process.exit(0);
