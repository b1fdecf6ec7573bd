/**
 * Drives a Hearth daemon's next edits the way the extension does: one WebSocket per workspace,
 * incremental didChange on every keystroke, `hearth/nextEdit/accepted` before the change that
 * applies an accepted suggestion, and `hearth/nextEdit` at the cursor, cancelled with
 * $/cancelRequest when the replay says it is moot. The figures are the daemon's own metrics
 * (through a server, the server's own count of evaluated tokens).
 */
import { CancellationTokenSource } from "vscode-jsonrpc/node";
import { openSocket } from "../client/connect.js";
import { HearthClient } from "../client/hearth-client.js";
import type { DiscoveryInfo } from "../discovery.js";
import type { Position, RequestMetrics, TextDocumentContentChangeEvent } from "../protocol.js";
import type { NextEditAnswer, NextEditDriver, NextEditUsage } from "./next-edit-replay.js";
import type { Trace } from "./trace.js";
import { workspaceFolderUri, type EditorFile } from "./trace-editor.js";

export function nextEditUsage(m: RequestMetrics): NextEditUsage {
  return {
    promptTokens: m.promptTokens,
    evaluatedTokens: m.evaluatedTokens,
    generatedTokens: m.generatedTokens,
    draftTokens: m.draftTokens,
    acceptedTokens: m.acceptedTokens,
    prefillMs: m.prefillMs,
    decodeMs: m.generatedTokens > 1 ? m.decodeMs : null,
    serverMs: m.totalMs,
  };
}

export class HearthNextEditDriver implements NextEditDriver {
  private readonly clients = new Map<string, HearthClient>();

  private constructor(private readonly maxTokens: number) {}

  /** One connection per workspace of the trace, initialized with that folder. */
  static async connect(info: DiscoveryInfo, trace: Trace, options: { maxTokens: number }): Promise<HearthNextEditDriver> {
    const driver = new HearthNextEditDriver(options.maxTokens);
    try {
      for (const workspace of trace.workspaces) {
        const client = new HearthClient(await openSocket(info));
        driver.clients.set(workspace.id, client);
        await client.initialize([{ uri: workspaceFolderUri(workspace.id), name: workspace.id }], "hearth-bench");
      }
    } catch (error) {
      driver.dispose();
      throw error;
    }
    return driver;
  }

  open(file: EditorFile): void {
    void this.client(file).open({ uri: file.uri, languageId: file.trace.languageId, version: file.version, text: file.text });
  }

  close(file: EditorFile): void {
    void this.client(file).close(file.uri);
  }

  changed(file: EditorFile, changes: TextDocumentContentChangeEvent[], _before: string, accepted: boolean): void {
    const client = this.client(file);
    // Notifications go out in order on the one connection: the mark lands before the change it marks.
    if (accepted) void client.nextEditAccepted(file.uri);
    void client.change({ textDocument: { uri: file.uri, version: file.version }, contentChanges: changes });
  }

  async ask(file: EditorFile, position: Position, signal: AbortSignal): Promise<NextEditAnswer> {
    const cancel = new CancellationTokenSource();
    const onAbort = (): void => cancel.cancel();
    signal.addEventListener("abort", onAbort);
    try {
      const result = await this.client(file).nextEdit({ textDocument: { uri: file.uri }, position, maxTokens: this.maxTokens }, cancel.token);
      return { edits: result.edits.map(({ range, newText }) => ({ range, newText })), copied: result.copied, usage: nextEditUsage(result.metrics) };
    } finally {
      signal.removeEventListener("abort", onAbort);
      cancel.dispose();
    }
  }

  dispose(): void {
    for (const client of this.clients.values()) client.dispose();
    this.clients.clear();
  }

  private client(file: EditorFile): HearthClient {
    const client = this.clients.get(file.trace.workspace);
    if (!client) throw new Error(`no connection for workspace ${file.trace.workspace}`);
    return client;
  }
}
