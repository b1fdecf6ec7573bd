// Decode speed inside node-llama-cpp alone (no daemon) at one depth for a given context size
// and sequence count: what showed that, with flash attention off, llama.cpp's decode at 4k
// tokens costs more in a bigger context (figures in bench/results/figures/attention-cpu.json,
// "decodeByContextSize"). f16 KV, 32 greedy tokens after DEPTH prompt tokens; prints the
// median and mean milliseconds per token.
//   UV_THREADPOOL_SIZE=1 node scripts/measure-context-size.mjs MODEL.gguf DEPTH CONTEXT_SIZE SEQUENCES [THREADS=1]
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { LIBUV_POOL_ADVICE, libuvPoolIsOneThread } from "../out/daemon/src/engine/libuv-pool.js";

// Figures from a bigger pool would not be the daemon's.
if (!libuvPoolIsOneThread()) {
  process.stderr.write(`${LIBUV_POOL_ADVICE}\n`);
  process.exit(2);
}

const [file, depthArg = "4096", ctxArg = "8192", seqsArg = "4", threadsArg = "1"] = process.argv.slice(2);
if (!file) {
  process.stderr.write("usage: node scripts/measure-context-size.mjs MODEL.gguf DEPTH CONTEXT_SIZE SEQUENCES\n");
  process.exit(2);
}
const depth = Number(depthArg);
const threads = Number(threadsArg);
const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: threads });
const model = await llama.loadModel({ modelPath: file });
const context = await model.createContext({ contextSize: Number(ctxArg), sequences: Number(seqsArg), threads, flashAttention: false });
const sequence = context.getSequence();
const text = Array.from({ length: 400 }, (_, i) => `  const value${i} = compute(input${i % 7}, ${(i * 13) % 101});`).join("\n");
const tokens = model.tokenize(text, false).slice(0, depth);
for (let done = 0; done < tokens.length; done += 512) await sequence.evaluateWithoutGeneratingNewTokens(tokens.slice(done, done + 512));
const steps = [];
let last = performance.now();
for await (const _ of sequence.evaluate([tokens[tokens.length - 1]], { temperature: 0, yieldEogToken: true })) {
  const now = performance.now();
  steps.push(now - last);
  last = now;
  if (steps.length > 32) break;
}
steps.shift(); // the first includes the last prompt token
const mean = steps.reduce((a, b) => a + b, 0) / steps.length;
steps.sort((a, b) => a - b);
process.stdout.write(`${JSON.stringify({ depth: tokens.length, contextSize: Number(ctxArg), sequences: Number(seqsArg), threads, msPerToken: Number(steps[steps.length >> 1].toFixed(2)), meanMsPerToken: Number(mean.toFixed(2)) })}\n`);
process.exit(0);
