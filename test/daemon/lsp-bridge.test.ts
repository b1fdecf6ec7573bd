/**
 * `hearth lsp --stdio` as an editor drives it: real bridge processes on stdio, a plain LSP
 * client (vscode-jsonrpc, the protocol library vscode-languageclient is built on; the
 * languageclient itself needs VS Code), a real daemon they start on a generated model.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { rmSync } from "node:fs";
import { CancellationTokenSource, createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from "vscode-jsonrpc/node";
import { ErrorCodes } from "../../daemon/src/protocol.js";
import { hearthBin, runCli, tempHome } from "../helpers/daemon-process.js";
import { testModels } from "../helpers/test-models.js";

interface Bridge {
  child: ChildProcess;
  lsp: MessageConnection;
  progress: unknown[];
  stderr: () => string;
  exited: Promise<number | null>;
}

function startBridge(home: string, model: string): Bridge {
  const child = spawn(process.execPath, [hearthBin, "lsp", "--stdio", "--home", home, "--model", model, "--threads", "1", "--idle-timeout", "0"], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const lsp = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const progress: unknown[] = [];
  lsp.onRequest("window/workDoneProgress/create", () => null);
  lsp.onNotification("$/progress", (p: unknown) => void progress.push(p));
  lsp.listen();
  return { child, lsp, progress, stderr: () => stderr, exited: once(child, "exit").then(([code]) => code as number | null) };
}

const FILE = "export function sum(values: number[]): number {\n  let total = 0;\n  for (const value of values) total += value;\n  return \n}\n";
const AT = { line: 3, character: 9 };

async function initialize(bridge: Bridge, folder: string): Promise<{ capabilities: Record<string, unknown> }> {
  const result = await bridge.lsp.sendRequest<{ capabilities: Record<string, unknown> }>("initialize", {
    processId: process.pid,
    clientInfo: { name: "test-editor" },
    rootUri: null,
    workspaceFolders: [{ uri: `file:///${folder}`, name: folder }],
    capabilities: { window: { workDoneProgress: true }, textDocument: { inlineCompletion: {} } },
  });
  await bridge.lsp.sendNotification("initialized", {});
  return result;
}

describe("hearth lsp --stdio", function () {
  this.timeout(180_000);
  let model: string;
  before(async () => {
    model = (await testModels()).target;
  });

  it("completes inline and as a completion item, cancels, explains, and two bridges share one daemon", async () => {
    const home = tempHome();
    const first = startBridge(home, model);
    let second: Bridge | null = null;
    try {
      const init = await initialize(first, "proj");
      assert.ok(init.capabilities.inlineCompletionProvider, "inline completion offered");
      assert.ok(init.capabilities.completionProvider, "completion offered");
      const uri = "file:///proj/sum.ts";
      await first.lsp.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "typescript", version: 1, text: FILE } });
      const inline = await first.lsp.sendRequest<{ items: { insertText: string }[] }>("textDocument/inlineCompletion", { textDocument: { uri }, position: AT, context: { triggerKind: 1 } });
      assert.ok(inline.items.length > 0 && inline.items[0]!.insertText.length > 0, JSON.stringify(inline));
      // An edit (incremental), then the completion-item form of the same request.
      await first.lsp.sendNotification("textDocument/didChange", { textDocument: { uri, version: 2 }, contentChanges: [{ range: { start: AT, end: AT }, text: "t" }] });
      const list = await first.lsp.sendRequest<{ isIncomplete: boolean; items: { label: string; textEdit: { newText: string; range: { start: { line: number; character: number } } } }[] }>("textDocument/completion", { textDocument: { uri }, position: { line: 3, character: 10 } });
      assert.equal(list.isIncomplete, true);
      assert.equal(list.items.length, 1, JSON.stringify(list));
      assert.deepEqual(list.items[0]!.textEdit.range.start, { line: 3, character: 10 }, "the edit starts at the cursor");
      assert.ok(list.items[0]!.textEdit.newText.length > 0 && list.items[0]!.label.length > 0);
      // $/cancelRequest end to end: a request cancelled at once answers as cancelled.
      const cancel = new CancellationTokenSource();
      const cancelled = first.lsp.sendRequest("textDocument/inlineCompletion", { textDocument: { uri }, position: { line: 3, character: 10 }, context: { triggerKind: 1 } }, cancel.token);
      cancel.cancel();
      await assert.rejects(cancelled, (error: { code?: number }) => error.code === ErrorCodes.RequestCancelled);
      const markdown = await first.lsp.sendRequest<string>("workspace/executeCommand", { command: "hearth.explain", arguments: [{ uri, range: { start: { line: 0, character: 0 }, end: { line: 4, character: 1 } } }] });
      assert.ok(typeof markdown === "string" && markdown.length > 0);
      await assert.rejects(first.lsp.sendRequest("workspace/executeCommand", { command: "hearth.nope" }), /unknown command hearth\.nope/);
      // The model loaded while the first editor watched: work-done progress began and ended.
      assert.ok(first.progress.some((p) => (p as { value?: { kind?: string } }).value?.kind === "begin"), JSON.stringify(first.progress));

      second = startBridge(home, model);
      await initialize(second, "other");
      const statusA = await first.lsp.sendRequest<string>("workspace/executeCommand", { command: "hearth.status" });
      const statusB = await second.lsp.sendRequest<string>("workspace/executeCommand", { command: "hearth.status" });
      const pid = (s: string): string => /pid (\d+)/.exec(s)?.[1] ?? "?";
      assert.equal(pid(statusA), pid(statusB), "one daemon");
      assert.match(statusB, /2 client\(s\)/);
      const status = JSON.parse((await runCli(["status", "--home", home, "--no-spawn", "--json"])).stdout) as { clients: number; memory: { modelBytes: number } };
      assert.equal(status.clients, 3, "the two bridges and this status command");

      // The daemon goes away: the bridge starts a new one and opens its documents again.
      await runCli(["stop", "--home", home]);
      const again = await first.lsp.sendRequest<{ items: { insertText: string }[] }>("textDocument/inlineCompletion", { textDocument: { uri }, position: { line: 3, character: 10 }, context: { triggerKind: 1 } });
      assert.ok(again.items.length > 0, "completes after the daemon restarted");

      // The editor closes stdin: the bridge exits cleanly.
      first.child.stdin!.end();
      assert.equal(await first.exited, 0, first.stderr());
    } finally {
      first.child.kill();
      second?.child.kill();
      await runCli(["stop", "--home", home]);
      rmSync(home, { recursive: true, force: true });
    }
  });
});
