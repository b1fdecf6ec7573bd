/**
 * Explain Selection streams the explanation into the webview panel (the page reports what
 * it rendered), and with nothing selected it explains the function around the cursor. A
 * chat server of known answers (a real HTTP server on 127.0.0.1) shows how the page renders
 * the model's markdown: a table, a highlighted code block, HTML as text.
 */
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import * as vscode from "vscode";
import type { ExplainOutcome } from "../../../extension/src/explain/explain-controller.js";
import { closeAllEditors, connected, hearth, modelReady, nextEvent, onTemporaryDaemon, openFile, screenshot, typeText } from "./helpers.js";

const CODE = [
  "export class LruCache<K, V> {",
  "  private readonly map = new Map<K, V>();",
  "",
  "  constructor(private readonly capacity: number) {}",
  "",
  "  get(key: K): V | undefined {",
  "    const value = this.map.get(key);",
  "    if (value !== undefined) {",
  "      this.map.delete(key);",
  "      this.map.set(key, value);",
  "    }",
  "    return value;",
  "  }",
  "}",
  "",
].join("\n");

describe("Explain Selection", function () {
  this.timeout(120_000);

  before(async () => {
    const api = await hearth();
    await connected(api);
    await modelReady(api);
  });

  after(async () => {
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
  });

  it("streams the explanation into the webview as it is generated", async () => {
    const api = await hearth();
    const editor = await openFile("explain.ts", CODE);
    editor.selection = new vscode.Selection(5, 0, 12, 3);
    const renders: Array<{ textLength: number; done: boolean; visibleText: string }> = [];
    const subscription = api.onDidRenderExplain((r) => renders.push(r));
    try {
      const lastRender = nextEvent("the panel to show the finished explanation", api.onDidRenderExplain, (r) => r.done && r.textLength > 0, 90_000);
      const outcome = await vscode.commands.executeCommand<ExplainOutcome>("hearth.explainSelection");
      assert.equal(outcome.status, "done", JSON.stringify(outcome));
      assert.ok(outcome.status === "done" && outcome.deltas >= 1, "text arrived as partial results");
      const final = await lastRender;
      assert.equal(final.textLength, outcome.status === "done" ? outcome.markdown.length : -1);
      assert.ok(final.visibleText.trim().length > 0, "the page shows the text");
      const partial = renders.filter((r) => !r.done && r.textLength > 0);
      assert.ok(partial.length >= 1, `the page showed text before the end: ${JSON.stringify(renders.map((r) => [r.textLength, r.done]))}`);
      await screenshot("explain-panel");
    } finally {
      subscription.dispose();
    }
  });

  it("stops generating when asked (the panel's Stop button runs the same command)", async () => {
    const api = await hearth();
    const main = await connected(api);
    // A chat server that streams until it is stopped: the generated model ends its short
    // answer (ten tokens) before any stop could land, which would test nothing.
    const server = await answeringChatServer(["The cache ", "keeps ", "the most ", "recent ", "keys. "], { endless: true });
    const settings = vscode.workspace.getConfiguration("hearth");
    const previous = settings.inspect<number>("explain.maxTokens")?.workspaceValue;
    await settings.update("explain.maxTokens", 4096, vscode.ConfigurationTarget.Workspace);
    try {
      await onTemporaryDaemon(api, "explain-stop", { backend: `openai=${server.url}` }, { linkModels: false }, async () => {
        await connected(api, 90_000, (state) => state.info.pid !== main.info.pid);
        await modelReady(api);
        const editor = await openFile("explain-stop.ts", CODE);
        editor.selection = new vscode.Selection(0, 0, 13, 1);
        const firstText = nextEvent("the first streamed text in the panel", api.onDidRenderExplain, (r) => !r.done && r.textLength > 0, 90_000);
        const running = vscode.commands.executeCommand<ExplainOutcome>("hearth.explainSelection");
        await firstText;
        await vscode.commands.executeCommand("hearth.stopExplain");
        const outcome = await running;
        assert.equal(outcome.status, "stopped", JSON.stringify(outcome));
        const status = await api.refreshDaemonStatus();
        const last = status?.recentRequests.filter((m) => m.kind === "explain").pop();
        assert.equal(last?.stopReason, "cancelled", "the daemon stopped generating");
        assert.ok((last?.generatedTokens ?? 4096) < 4096, "stopped before its limit");
        await server.streamClosed(10_000);
      });
    } finally {
      await settings.update("explain.maxTokens", previous, vscode.ConfigurationTarget.Workspace);
      await server.close();
    }
    await connected(api, 60_000, (state) => state.info.pid === main.info.pid);
  });

  it("explains the whole function around the cursor when nothing is selected, and typing afterwards replaces nothing", async () => {
    const api = await hearth();
    const editor = await openFile("explain-cursor.ts", CODE);
    editor.selection = new vscode.Selection(8, 4, 8, 4);
    const finished = nextEvent("the explanation to finish", api.onDidRenderExplain, (r) => r.done, 90_000);
    const outcome = await vscode.commands.executeCommand<ExplainOutcome>("hearth.explainSelection");
    assert.equal(outcome.status, "done", JSON.stringify(outcome));
    await finished;
    // It explained the get() method, lines 6-13, and marked it without selecting it.
    assert.ok(outcome.status === "done");
    assert.deepEqual(outcome.lines, { startLine: 5, endLine: 12 });
    const shown = await vscode.window.showTextDocument(editor.document, { viewColumn: editor.viewColumn, preserveFocus: false });
    assert.ok(shown.selection.isEmpty, `nothing selected: ${JSON.stringify(shown.selection)}`);
    await screenshot("explain-no-selection");
    // The key a user types next lands at the cursor; the function stays.
    await typeText("x");
    const lines = CODE.split("\n");
    lines[8] = `${lines[8]?.slice(0, 4)}x${lines[8]?.slice(4)}`;
    assert.equal(editor.document.getText(), lines.join("\n"));
    await closeAllEditors();
  });

  it("renders the model's markdown: a table, a highlighted code block, and its HTML as text, not markup", async () => {
    const api = await hearth();
    const main = await connected(api);
    const server = await answeringChatServer(MARKDOWN_ANSWER);
    try {
      await onTemporaryDaemon(api, "explain-markdown", { backend: `openai=${server.url}` }, { linkModels: false }, async () => {
        await connected(api, 90_000, (state) => state.info.pid !== main.info.pid);
        await modelReady(api);
        const editor = await openFile("explain-markdown.ts", CODE);
        editor.selection = new vscode.Selection(5, 0, 12, 3);
        const finished = nextEvent("the panel to show the finished explanation", api.onDidRenderExplain, (r) => r.done && r.textLength > 0, 90_000);
        const outcome = await vscode.commands.executeCommand<ExplainOutcome>("hearth.explainSelection");
        assert.equal(outcome.status, "done", JSON.stringify(outcome));
        assert.ok(server.chatRequests() >= 1, "the explanation came from the chat server");
        const { visibleHtml, visibleText } = await finished;
        // What the page's DOM holds, as the webview parsed the HTML it was sent.
        assert.match(visibleHtml, /<table>[\s\S]*<th class="align-left">Method<\/th>[\s\S]*<td class="align-right"><strong>O\(1\)<\/strong><\/td>[\s\S]*<\/table>/, visibleHtml);
        assert.match(visibleHtml, /<pre data-language="ts"><code class="hljs language-ts"><span class="hljs-keyword">const<\/span>/, visibleHtml);
        assert.ok(visibleHtml.includes('<span class="hljs-string">"&lt;b&gt;"</span>'), visibleHtml);
        assert.ok(!/<(img|a|script)\b/i.test(visibleHtml), `no image, link or script element: ${visibleHtml}`);
        assert.ok(visibleText.includes("<img src=x onerror=alert(1)>"), `the HTML shows as text: ${visibleText}`);
        assert.ok(visibleText.includes("[run](javascript:alert(1))"), `a javascript: link stays text: ${visibleText}`);
        await screenshot("explain-markdown");
      });
    } finally {
      await server.close();
    }
    await connected(api, 60_000, (state) => state.info.pid === main.info.pid);
  });
});

/** What the chat server answers, in pieces as a model streams them (fewer than the suite's 48-token limit). */
const MARKDOWN_ANSWER = [
  "`get` moves the key to the **end** of the map.\n\n",
  "| Method | Cost |\n",
  "| :--- | ---: |\n",
  "| `get` | **O(1)** |\n\n",
  "```ts\n",
  'const tag = "<b>";\n',
  "this.map.set(key, value);\n",
  "```\n\n",
  "Watch <img src=x onerror=alert(1)> ",
  "and [run](javascript:alert(1)).",
];

/**
 * An OpenAI-compatible server on 127.0.0.1 that lists one model, answers the daemon's probe,
 * and streams `pieces` for every chat request (and an empty answer for completions).
 */
async function answeringChatServer(pieces: readonly string[], options: { endless?: boolean } = {}): Promise<{ url: string; chatRequests(): number; streamClosed(timeoutMs: number): Promise<void>; close(): Promise<void> }> {
  let chats = 0;
  let markClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  /** Streams `pieces` over and over, one every 50 ms, until the client closes the stream (or a minute passes). */
  const endless = (response: http.ServerResponse): void => {
    response.writeHead(200, { "content-type": "text/event-stream" });
    let sent = 0;
    const timer = setInterval(() => {
      const content = pieces[sent++ % pieces.length] ?? "";
      response.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`);
      if (sent >= 1200) {
        clearInterval(timer);
        response.end("data: [DONE]\n\n");
      }
    }, 50);
    response.on("close", () => {
      clearInterval(timer);
      if (!response.writableFinished) markClosed();
    });
  };
  const sse = (response: http.ServerResponse, events: readonly unknown[]): void => {
    response.writeHead(200, { "content-type": "text/event-stream" });
    for (const event of events) response.write(`data: ${JSON.stringify(event)}\n\n`);
    response.end("data: [DONE]\n\n");
  };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { stream?: boolean }) : {};
      if (request.method === "GET" && request.url === "/v1/models") {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ object: "list", data: [{ id: "qwen2.5-coder-explain-test", object: "model" }] }));
      } else if (request.method === "POST" && request.url === "/v1/chat/completions") {
        chats++;
        if (options.endless) return endless(response);
        sse(response, [...pieces.map((content) => ({ choices: [{ index: 0, delta: { content }, finish_reason: null }] })), { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }, { choices: [], usage: { prompt_tokens: 40, completion_tokens: pieces.length } }]);
      } else if (request.method === "POST" && request.url === "/v1/completions") {
        if (body.stream) sse(response, [{ choices: [{ index: 0, text: "", finish_reason: "stop" }] }]);
        else {
          response.writeHead(200, { "content-type": "application/json" });
          response.end(JSON.stringify({ choices: [{ index: 0, text: "", finish_reason: "length" }], usage: { prompt_tokens: 0, completion_tokens: 1 } }));
        }
      } else {
        response.writeHead(404, { "content-type": "application/json" });
        response.end(JSON.stringify({ error: { message: "not found" } }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    chatRequests: () => chats,
    /** Resolves once a client closed an endless stream before its end (the daemon stopped it); rejects after `timeoutMs`. */
    streamClosed: (timeoutMs) =>
      Promise.race([
        closed,
        new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`the server saw no stream closed within ${timeoutMs} ms`)), timeoutMs).unref()),
      ]),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
