/**
 * Explain Selection: sends `hearth/explain` for the selection (or, with nothing selected,
 * the function around the cursor) with a partial-result token, and streams the text into
 * the explain panel as `$/progress` brings it. The panel's Stop button, a new explanation
 * or closing the panel cancels the request ($/cancelRequest). Errors are shown in the panel
 * with the daemon's hint.
 */
import { randomUUID } from "node:crypto";
import path from "node:path";
import * as vscode from "vscode";
import { ErrorCodes, ExplainRequest, TextDeltaProgress, type ExplainResult } from "../../../daemon/src/protocol.js";
import { NotConnectedError, type DaemonClient } from "../client.js";
import type { Config } from "../config.js";
import { describeError, hintOf, type Log } from "../log.js";
import { formatMs, formatRate } from "../stats/format.js";
import { decodeRate, type RequestStats } from "../stats/request-stats.js";
import type { StatusBar } from "../status-bar.js";
import { ExplainPanel } from "../webview/explain-panel.js";
import type { FromWebview } from "../webview/messages.js";
import { enclosingFunction } from "./enclosing-block.js";

export type ExplainOutcome =
  | { status: "done"; markdown: string; deltas: number }
  | { status: "stopped"; markdown: string; deltas: number }
  | { status: "failed"; message: string }
  | { status: "nothing" };

const FUNCTION_KINDS = new Set([vscode.SymbolKind.Function, vscode.SymbolKind.Method, vscode.SymbolKind.Constructor]);
/** How long an explanation waits for a new panel's page to load before streaming anyway. */
const PAGE_READY_TIMEOUT_MS = 5000;
/** A language server that takes longer than this to list symbols is skipped for the heuristic. */
const SYMBOLS_TIMEOUT_MS = 1500;

export class ExplainController implements vscode.Disposable {
  private panel: ExplainPanel | null = null;
  private running: vscode.CancellationTokenSource | null = null;
  private readonly renderEmitter = new vscode.EventEmitter<Extract<FromWebview, { type: "rendered" }>>();
  /** What the panel's page reports it showed (tests wait on this). */
  readonly onDidRender = this.renderEmitter.event;
  private disposed = false;

  constructor(
    private readonly client: DaemonClient,
    private readonly config: Config,
    private readonly stats: RequestStats,
    private readonly statusBar: StatusBar,
    private readonly mediaRoot: vscode.Uri,
    private readonly log: Log,
  ) {}

  /** The range Explain Selection works on: the selection, else the function around the cursor. */
  async rangeToExplain(editor: vscode.TextEditor): Promise<vscode.Range | null> {
    const { document, selection } = editor;
    if (!selection.isEmpty) return new vscode.Range(selection.start, selection.end);
    const symbol = await this.enclosingSymbol(document, selection.active);
    if (symbol) return symbol;
    const lines = Array.from({ length: document.lineCount }, (_, i) => document.lineAt(i).text);
    const block = enclosingFunction(lines, selection.active.line, document.languageId);
    const range = new vscode.Range(block.startLine, 0, block.endLine, document.lineAt(block.endLine).text.length);
    return document.getText(range).trim() === "" ? null : range;
  }

  async explain(editor: vscode.TextEditor | undefined): Promise<ExplainOutcome> {
    if (!editor) {
      void vscode.window.showInformationMessage("Hearth: open a file and select code (or put the cursor in a function) to explain it.");
      return { status: "nothing" };
    }
    const range = await this.rangeToExplain(editor);
    if (range === null) {
      void vscode.window.showInformationMessage("Hearth: select the code to explain, or put the cursor inside a function.");
      return { status: "nothing" };
    }
    const document = editor.document;
    if (this.config.excluded(document)) {
      const message = `${path.basename(document.uri.path)} matches hearth.context.exclude (or files.exclude): Hearth does not send it to the model. Change that setting to explain it.`;
      void vscode.window.showWarningMessage(`Hearth: ${message}`);
      return { status: "failed", message };
    }
    this.running?.cancel();
    const cancel = new vscode.CancellationTokenSource();
    this.running = cancel;
    const panel = this.showPanel();
    const name = path.basename(document.uri.path);
    panel.start(`Explain ${name}:${range.start.line + 1}–${range.end.line + 1}`, `${document.languageId} · ${range.end.line - range.start.line + 1} lines`);
    editor.selection = new vscode.Selection(range.start, range.end);

    const stopSubscription = panel.onDidReceiveMessage((message) => {
      if (message.type === "stop") cancel.cancel();
    });
    const endSpinner = this.statusBar.beginRequest();
    let markdown = "";
    let deltas = 0;
    let progress: vscode.Disposable | undefined;
    try {
      const client = this.client.requireClient();
      // Completions are off for this language, so its text is not kept in sync: send it now.
      if (!this.client.synced(document)) await this.client.sendOnce(document);
      // A panel opened just now is still loading its page; a fast model would be done first.
      await panel.whenReady(PAGE_READY_TIMEOUT_MS);
      const token = `explain-${randomUUID()}`;
      progress = client.onProgress(TextDeltaProgress, token, ({ delta }) => {
        if (cancel.token.isCancellationRequested) return;
        deltas++;
        markdown += delta;
        panel.render(markdown, false);
      });
      const result: ExplainResult = await client.sendRequest(
        ExplainRequest,
        {
          textDocument: { uri: document.uri.toString() },
          range: { start: { line: range.start.line, character: range.start.character }, end: { line: range.end.line, character: range.end.character } },
          maxTokens: this.config.explainMaxTokens,
          partialResultToken: token,
        },
        cancel.token,
      );
      this.stats.recordMetrics(result.metrics);
      panel.render(result.markdown, true);
      const m = result.metrics;
      // Older daemons say nothing of who served; a fallback names the setting that gives explanations a chat model.
      const served = (result as Partial<ExplainResult>).servedBy;
      const by = served === undefined ? "" : served.fallback ? ` · explained by the completion model ${served.model}: set “hearth.model.chat” to a chat model for better explanations` : ` · ${served.model}`;
      panel.status(`${m.generatedTokens} tokens in ${formatMs(m.totalMs)} · first token ${formatMs(m.firstTokenMs)} · ${formatRate(decodeRate(m))}${by}`, false);
      return { status: "done", markdown: result.markdown, deltas };
    } catch (error) {
      if (cancel.token.isCancellationRequested || (error as { code?: unknown }).code === ErrorCodes.RequestCancelled) {
        panel.render(markdown, true);
        panel.status("Stopped.", false);
        return { status: "stopped", markdown, deltas };
      }
      const message = error instanceof NotConnectedError ? error.message : `The explanation failed: ${describeError(error)}`;
      const hint = hintOf(error) ?? (error instanceof NotConnectedError ? "Wait for the status bar to show Hearth connected, or run “Hearth: Restart Daemon”." : "See the Hearth log (Hearth: Open Log) for details.");
      this.log.error("explain failed", error);
      panel.error(message, hint);
      return { status: "failed", message };
    } finally {
      progress?.dispose();
      stopSubscription.dispose();
      endSpinner();
      if (this.running === cancel) this.running = null;
      cancel.dispose();
    }
  }

  /** Stops the explanation in progress, as the panel's Stop button does. */
  stop(): void {
    this.running?.cancel();
  }

  private showPanel(): ExplainPanel {
    if (this.panel && !this.panel.isDisposed) {
      this.panel.reveal();
      return this.panel;
    }
    const panel = new ExplainPanel(this.mediaRoot);
    panel.onDidReceiveMessage((message) => {
      if (message.type === "rendered") this.renderEmitter.fire(message);
    });
    panel.onDidDispose(() => {
      if (this.panel === panel) {
        this.panel = null;
        // Closing the panel means nobody is reading: stop generating.
        this.running?.cancel();
      }
    });
    this.panel = panel;
    return panel;
  }

  /** The innermost function/method symbol around `position`, from the language's symbol provider. */
  private async enclosingSymbol(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Range | null> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const symbols = await Promise.race([
        vscode.commands.executeCommand<Array<vscode.DocumentSymbol | vscode.SymbolInformation> | undefined>("vscode.executeDocumentSymbolProvider", document.uri),
        new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), SYMBOLS_TIMEOUT_MS))),
      ]);
      let best: vscode.Range | null = null;
      const visit = (list: ReadonlyArray<vscode.DocumentSymbol | vscode.SymbolInformation>): void => {
        for (const symbol of list) {
          const range = "range" in symbol ? symbol.range : symbol.location.range;
          if (!range.contains(position)) continue;
          if (FUNCTION_KINDS.has(symbol.kind) && (best === null || best.contains(range))) best = range;
          if ("children" in symbol) visit(symbol.children);
        }
      };
      visit(symbols ?? []);
      return best;
    } catch (error) {
      this.log.debug(`document symbols unavailable: ${describeError(error)}`);
      return null;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.running?.cancel();
    this.panel?.dispose();
    this.renderEmitter.dispose();
  }
}
