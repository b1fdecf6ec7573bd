/**
 * The llama-server peer client against a fake llama.cpp server (the one mock here: no
 * llama.cpp server binary exists on the test machines). Checks that the requests carry
 * what llama.vscode sends (/infill with input_prefix/input_suffix/prompt, cache_prompt,
 * slot 0, samplers, the 256/64-line budget), that requests never overlap (llama.vscode
 * waits for the one in flight), and that the replay's figures add up.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { infillRequestFor, LlamaServerDriver, type InfillRequest } from "../../daemon/src/bench/replay-llama-server.js";
import { replayTrace } from "../../daemon/src/bench/replay.js";
import { summarizeReplay, summaryProblems } from "../../daemon/src/bench/stats.js";
import { countKeystrokes, parseTrace, TRACE_FORMAT, TRACE_VERSION, type Trace } from "../../daemon/src/bench/trace.js";
import { EditorFile } from "../../daemon/src/bench/trace-editor.js";
import { typingTraceFromSource } from "../../daemon/src/bench/trace-generator.js";

interface FakeServer {
  url: string;
  requests: InfillRequest[];
  maxConcurrent: number;
  close(): Promise<void>;
}

/** Answers /infill after `delayMs` with a fixed suggestion and llama-server's timing fields; /props with a model path. */
async function fakeLlamaServer(delayMs: number): Promise<FakeServer> {
  const requests: InfillRequest[] = [];
  let active = 0;
  let maxConcurrent = 0;
  const server: Server = createServer((req, res) => {
    if (req.method === "GET" && req.url === "/props") {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ model_path: "/models/fake.gguf", total_slots: 1, default_generation_settings: { n_ctx: 4096 } }));
      return;
    }
    if (req.method !== "POST" || req.url !== "/infill") {
      res.statusCode = 404;
      res.end("not found");
      return;
    }
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      const request = JSON.parse(body) as InfillRequest;
      requests.push(request);
      active++;
      maxConcurrent = Math.max(maxConcurrent, active);
      setTimeout(() => {
        active--;
        const promptTokens = Math.ceil((request.input_prefix.length + request.input_suffix.length + request.prompt.length) / 4);
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ content: "value;\n", tokens_evaluated: promptTokens, tokens_cached: promptTokens + 3, timings: { prompt_n: Math.min(promptTokens, 12), prompt_ms: 4.5, predicted_n: 3, predicted_ms: 9 } }));
      }, delayMs);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get maxConcurrent() {
      return maxConcurrent;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const SOURCE = Array.from({ length: 300 }, (_, i) => `const item${i} = compute(${i});`).join("\n") + "\nfunction total(items: number[]): number {\n  return items.reduce((a, b) => a + b, 0);\n}\n";

function shortTrace(): Trace {
  const lines = SOURCE.split("\n").length;
  return parseTrace(
    typingTraceFromSource({
      name: "peer-short",
      description: "types a small function under 300 lines",
      seed: 5,
      source: { path: "src/items.ts", text: SOURCE, languageId: "typescript" },
      startLine: lines - 3,
      endLine: lines - 1,
      rhythm: { acceptChance: 0, longPauseChance: 0, keyMedianMs: 70, wordPauseMs: 80, linePauseMs: 250 },
    }),
  );
}

describe("bench llama-server peer", function () {
  this.timeout(60_000);

  it("builds llama.vscode's /infill request: 256 lines above, 64 below, the line prefix as prompt", () => {
    const text = Array.from({ length: 400 }, (_, i) => `line${i}`).join("\n");
    const trace: Trace = { format: TRACE_FORMAT, version: TRACE_VERSION, name: "t", description: "", workspaces: [{ id: "w" }], files: [{ id: "f", workspace: "w", path: "a.ts", languageId: "typescript", text }], events: [] };
    const file = new EditorFile(trace.files[0] as Trace["files"][number]);
    file.cursor = file.offsetAt({ line: 300, character: 4 });
    const { request, lineSuffix } = infillRequestFor(file);
    assert.equal(lineSuffix, "300");
    assert.equal(request.prompt, "line");
    assert.equal(request.input_prefix.split("\n").length - 1, 256);
    assert.ok(request.input_prefix.startsWith("line44\n") && request.input_prefix.endsWith("line299\n"));
    assert.equal(request.input_suffix, `300\n${Array.from({ length: 64 }, (_, i) => `line${301 + i}`).join("\n")}\n`);
    assert.deepEqual(
      { cache: request.cache_prompt, slot: request.id_slot, samplers: request.samplers, n: request.n_predict, stream: request.stream, extra: request.input_extra, tPrompt: request.t_max_prompt_ms, tPredict: request.t_max_predict_ms },
      { cache: true, slot: 0, samplers: ["top_k", "top_p", "infill"], n: 128, stream: false, extra: [], tPrompt: 500, tPredict: 1000 },
    );
    // Only indentation before the cursor: llama.vscode sends an empty prompt and n_indent.
    const indented = new EditorFile({ id: "g", workspace: "w", path: "b.ts", languageId: "typescript", text: "if (x) {\n    \n}" });
    indented.cursor = indented.offsetAt({ line: 1, character: 4 });
    const second = infillRequestFor(indented).request;
    assert.equal(second.prompt, "");
    assert.equal(second.n_indent, 4);
  });

  it("replays a trace against a fake server: one request at a time, counts that add up", async () => {
    const server = await fakeLlamaServer(120);
    try {
      const trace = shortTrace();
      const result = await replayTrace(trace, new LlamaServerDriver(server.url));
      const summary = summarizeReplay(result);
      assert.deepEqual(summaryProblems(summary), []);
      assert.equal(summary.keystrokes, countKeystrokes(trace));
      assert.ok(summary.sent > 0 && summary.completed > 0, JSON.stringify(summary));
      assert.equal(summary.sent, server.requests.length);
      assert.equal(server.maxConcurrent, 1, "llama.vscode never has two requests in flight");
      assert.equal(summary.failed, 0, summary.errors.join("; "));
      assert.equal(summary.firstTokenMs.count, 0, "no streaming, so no first-token time");
      assert.ok(summary.latencyMs.p50 !== null && summary.latencyMs.p50 >= 120);
      assert.equal(summary.generatedTokens, 3 * summary.completed);
      for (const r of server.requests) {
        assert.equal(r.cache_prompt, true);
        assert.equal(r.id_slot, 0);
        assert.ok(r.input_prefix.length > 0 && r.input_prefix.endsWith("\n"));
      }
    } finally {
      await server.close();
    }
  });

  it("reports a server error as a failed request with the server's words", async () => {
    const server = createServer((_req, res) => {
      res.statusCode = 503;
      res.end('{"error":{"message":"Loading model"}}');
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const summary = summarizeReplay(await replayTrace(shortTrace(), new LlamaServerDriver(url)));
      assert.deepEqual(summaryProblems(summary), []);
      assert.ok(summary.failed > 0);
      assert.match(summary.errors[0] ?? "", /HTTP 503: .*Loading model/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
