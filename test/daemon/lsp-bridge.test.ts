/**
 * `hearth lsp --stdio` as an editor drives it: real bridge processes on stdio, a plain LSP
 * client (vscode-jsonrpc, the protocol library vscode-languageclient is built on; the
 * languageclient itself needs VS Code), a real daemon they start on a generated model.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { rmSync } from "node:fs";
import path from "node:path";
import { CancellationTokenSource, createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from "vscode-jsonrpc/node";
import { applyChanges } from "../../daemon/src/documents.js";
import { ensureSyntheticModel, syntheticPresets } from "../../daemon/src/gguf/model-cache.js";
import { ErrorCodes, Limits, type NextEditResult } from "../../daemon/src/protocol.js";
import { hearthBin, repoRoot, runCli, startDaemon, tempHome } from "../helpers/daemon-process.js";
import { testModels } from "../helpers/test-models.js";

interface Bridge {
  child: ChildProcess;
  lsp: MessageConnection;
  progress: unknown[];
  stderr: () => string;
  exited: Promise<number | null>;
}

function startBridge(home: string, model: string, extraArgs: string[] = []): Bridge {
  const child = spawn(process.execPath, [hearthBin, "lsp", "--stdio", "--home", home, "--model", model, "--threads", "1", "--idle-timeout", "0", ...extraArgs], { stdio: ["pipe", "pipe", "pipe"] });
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

/** The edits applied to the text: each range is in the text as it was, so the last goes first. */
function applied(text: string, result: NextEditResult): string {
  return applyChanges(text, [...result.edits].reverse().map((edit) => ({ range: edit.range, text: edit.newText })));
}

describe("hearth lsp --stdio: hearth/nextEdit", function () {
  this.timeout(180_000);
  const uri = "file:///workspace/a/area.ts";
  const text = "export function area(radius: number) {\n  return Math.PI * radius * radius;\n}\n";
  const rename = { textDocument: { uri, version: 2 }, contentChanges: [{ range: { start: { line: 0, character: 21 }, end: { line: 0, character: 27 } }, text: "size" }] };
  const at = { line: 0, character: 25 };
  const hearthCode = (error: unknown): string | undefined => (error as { data?: { code?: string } }).data?.code;

  it("passes the request through: the edits are the daemon's own for the same request, and an accepted edit is carried in order", async () => {
    // Qwen2.5-Coder's tokenizer on generated weights (as next-edit-daemon.test.ts): meaningless edits, real ones.
    const spec = { ...syntheticPresets["tiny-draft"], name: "hearth-tiny-qwen2.5-coder", vocabSize: 151936, vocabulary: "qwen2.5-coder" as const };
    const nextEditModel = await ensureSyntheticModel(spec, { cacheDir: path.join(repoRoot, ".cache", "test-models"), precision: "Q8_0" });
    const model = (await testModels()).target;
    const daemon = await startDaemon({ model, args: ["--next-edit-model", nextEditModel, "--next-edit-format", "sweep"] });
    const bridge = startBridge(daemon.home, model, ["--no-spawn"]);
    const direct = await daemon.connect([{ uri: "file:///workspace/a", name: "a" }]);
    try {
      // Before initialize: ServerNotInitialized, as for every request.
      await assert.rejects(bridge.lsp.sendRequest("hearth/nextEdit", { textDocument: { uri }, position: at }), (error: { code?: number }) => error.code === ErrorCodes.ServerNotInitialized);
      const init = await bridge.lsp.sendRequest<{ capabilities: { experimental?: { hearthNextEdit?: { request?: string } } } }>("initialize", { processId: process.pid, workspaceFolders: [{ uri: "file:///workspace/a", name: "a" }], capabilities: {} });
      assert.equal(init.capabilities.experimental?.hearthNextEdit?.request, "hearth/nextEdit");
      await bridge.lsp.sendNotification("initialized", {});
      // The same document and the same edit in the bridge's session and in a direct one.
      await bridge.lsp.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "typescript", version: 1, text } });
      await bridge.lsp.sendNotification("textDocument/didChange", rename);
      await direct.open({ uri, languageId: "typescript", version: 1, text });
      await direct.change(rename);

      // Malformed requests stop at the bridge, typed.
      for (const bad of [{ position: at }, { textDocument: { uri }, position: { line: -1, character: 0 } }, { textDocument: { uri }, position: at, maxTokens: 1_000_000 }]) {
        await assert.rejects(bridge.lsp.sendRequest("hearth/nextEdit", bad), (error: unknown) => (error as { code?: number }).code === ErrorCodes.InvalidParams && hearthCode(error) === "HEARTH_ERR_INVALID_PARAMS");
      }
      // Cancelled at once: RequestCancelled.
      const cancel = new CancellationTokenSource();
      const cancelled = bridge.lsp.sendRequest("hearth/nextEdit", { textDocument: { uri }, position: at, maxTokens: 24 }, cancel.token);
      cancel.cancel();
      await assert.rejects(cancelled, (error: { code?: number }) => error.code === ErrorCodes.RequestCancelled);

      const viaBridge = await bridge.lsp.sendRequest<NextEditResult>("hearth/nextEdit", { textDocument: { uri }, position: at, maxTokens: 24 });
      const asked = await direct.nextEdit({ textDocument: { uri }, position: at, maxTokens: 24 });
      assert.equal(viaBridge.format, "sweep");
      assert.ok(viaBridge.metrics.generatedTokens > 0, JSON.stringify(viaBridge.metrics));
      assert.deepEqual(viaBridge.edits, asked.edits);
      assert.deepEqual(viaBridge.cursor, asked.cursor);

      // Accepting: the notification, then the change that applies the edits, in both; then both are asked again.
      const next = { textDocument: { uri, version: 3 }, contentChanges: [{ text: applied(text.replace("radius", "size"), asked) }] };
      await bridge.lsp.sendNotification("hearth/nextEdit/accepted", { textDocument: { uri } });
      await bridge.lsp.sendNotification("textDocument/didChange", next);
      await direct.nextEditAccepted(uri);
      await direct.change(next);
      const againViaBridge = await bridge.lsp.sendRequest<NextEditResult>("hearth/nextEdit", { textDocument: { uri }, position: at, maxTokens: 24 });
      const againAsked = await direct.nextEdit({ textDocument: { uri }, position: at, maxTokens: 24 });
      assert.deepEqual(againViaBridge.edits, againAsked.edits);
      assert.equal(daemon.child.exitCode, null);
    } finally {
      direct.dispose();
      bridge.child.kill();
      await daemon.stop();
    }
  });

  it("answers the daemon's typed error when no next-edit model is configured, and DocumentTooLarge for a document the daemon can't have", async () => {
    const home = tempHome();
    const bridge = startBridge(home, (await testModels()).target);
    try {
      await initialize(bridge, "proj");
      const doc = "file:///proj/sum.ts";
      await bridge.lsp.sendNotification("textDocument/didOpen", { textDocument: { uri: doc, languageId: "typescript", version: 1, text: FILE } });
      await assert.rejects(bridge.lsp.sendRequest("hearth/nextEdit", { textDocument: { uri: doc }, position: AT }), (error: unknown) => {
        const e = error as { code?: number; data?: { code?: string; hint?: string } };
        assert.equal(e.code, ErrorCodes.NotSupportedByBackend);
        assert.equal(e.data?.code, "HEARTH_ERR_NO_NEXT_EDIT_MODEL");
        assert.match(e.data?.hint ?? "", /--next-edit-model/);
        return true;
      });
      // Over the daemon's document limit: kept out of it by the bridge, the request answered there.
      const big = "file:///proj/big.ts";
      await bridge.lsp.sendNotification("textDocument/didOpen", { textDocument: { uri: big, languageId: "typescript", version: 1, text: "x".repeat(Limits.maxDocumentChars + 1) } });
      await assert.rejects(bridge.lsp.sendRequest("hearth/nextEdit", { textDocument: { uri: big }, position: { line: 0, character: 0 } }), (error: unknown) => (error as { code?: number }).code === ErrorCodes.DocumentTooLarge && hearthCode(error) === "HEARTH_ERR_DOCUMENT_TOO_LARGE");
      // hearth/nextEdit/accepted for it (or for nothing) is dropped; the bridge still answers.
      await bridge.lsp.sendNotification("hearth/nextEdit/accepted", { textDocument: { uri: big } });
      await bridge.lsp.sendNotification("hearth/nextEdit/accepted", {});
      assert.match(await bridge.lsp.sendRequest<string>("workspace/executeCommand", { command: "hearth.status" }), /1 client\(s\)/);
    } finally {
      bridge.child.kill();
      await runCli(["stop", "--home", home]);
      rmSync(home, { recursive: true, force: true });
    }
  });
});
