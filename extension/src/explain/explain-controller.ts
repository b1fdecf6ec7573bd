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
import { describeError, type Log } from "../log.js";
import { editorHint } from "../problems.js";
import { formatMs, formatRate } from "../stats/format.js";
import { decodeRate, type RequestStats } from "../stats/request-stats.js";
import type { StatusBar } from "../status-bar.js";
import { ExplainPanel } from "../webview/explain-panel.js";
import type { FromWebview } from "../webview/messages.js";
import { enclosingFunction } from "./enclosing-block.js";

/** The lines explained (0-based, inclusive). */
export interface ExplainedLines {
  startLine: number;
  endLine: number;
}

export type ExplainOutcome =
  | { status: "done"; markdown: string; deltas: number; lines: ExplainedLines }
  | { status: "stopped"; markdown: string; deltas: number; lines: ExplainedLines }
  | { status: "failed"; message: string }
  | { status: "nothing" };

const FUNCTION_KINDS = new Set([vscode.SymbolKind.Function, vscode.SymbolKind.Method, vscode.SymbolKind.Constructor]);
const LAST_EXPLANATION_KEY = "hearth.explain.last";
const MAX_SAVED_CHARS = 256 * 1024;

/** The saved explanation, if the memento holds one of the right shape (it is a file on disk). */
function savedExplanation(value: unknown): { title: string; subtitle: string; markdown: string; status: string } | null {
  if (typeof value !== "object" || value === null) return null;
  const v = value as Record<string, unknown>;
  const strings = [v.title, v.subtitle, v.markdown, v.status];
  if (!strings.every((x): x is string => typeof x === "string") || (v.markdown as string).length > MAX_SAVED_CHARS) return null;
  return { title: v.title as string, subtitle: v.subtitle as string, markdown: v.markdown as string, status: v.status as string };
}

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
  /**
   * Marks the code explained when nothing was selected. A selection would do it too, but
   * the editor keeps focus, and the next key typed would replace the whole function.
   */
  private readonly explainedHighlight = vscode.window.createTextEditorDecorationType({
    backgroundColor: new vscode.ThemeColor("editor.rangeHighlightBackground"),
    isWholeLine: true,
  });
  private highlighted: vscode.TextEditor | null = null;
  private readonly highlightSubscriptions: vscode.Disposable[] = [
    // The mark goes once the user moves on: the cursor leaves it or the text changes.
    vscode.window.onDidChangeTextEditorSelection((event) => {
      if (event.textEditor === this.highlighted && event.kind !== undefined) this.clearHighlight();
    }),
    vscode.workspace.onDidChangeTextDocument((event) => {
      if (event.document === this.highlighted?.document && event.contentChanges.length > 0) this.clearHighlight();
    }),
  ];

  constructor(
    private readonly client: DaemonClient,
    private readonly config: Config,
    private readonly stats: RequestStats,
    private readonly statusBar: StatusBar,
    private readonly mediaRoot: vscode.Uri,
    private readonly log: Log,
    /** The workspace's memento: the last explanation, shown again when the panel comes back after a reload. */
    private readonly memento?: vscode.Memento,
  ) {}

  /** Brings the panel back after a window reload, with the last explanation it showed. */
  restore(webviewPanel: vscode.WebviewPanel): void {
    this.panel?.dispose();
    const panel = this.adopt(new ExplainPanel(this.mediaRoot, webviewPanel));
    const last = savedExplanation(this.memento?.get<unknown>(LAST_EXPLANATION_KEY));
    if (last === null) {
      panel.status("Select code and run Hearth: Explain Selection.", false);
      return;
    }
    panel.start(last.title, last.subtitle);
    panel.render(last.markdown, true);
    panel.status(last.status, false);
  }

  private remember(title: string, subtitle: string, markdown: string, status: string): void {
    // Bounded: an explanation is at most a few thousand tokens; anything larger is not kept.
    if (markdown.length > MAX_SAVED_CHARS) return;
    void this.memento?.update(LAST_EXPLANATION_KEY, { title, subtitle, markdown, status });
  }

  /** The range Explain Selection works on: the selection, else the function around the cursor. */
  async rangeToExplain(editor: vscode.TextEditor): Promise<vscode.Range | null> {
    const { document, selection } = editor;
    if (!selection.isEmpty) {
      // A selection of whole lines ends at column 0 of the next line, which it does not include.
      const end = selection.end.character === 0 && selection.end.line > selection.start.line ? document.lineAt(selection.end.line - 1).range.end : selection.end;
      return new vscode.Range(selection.start, end);
    }
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
    const title = `Explain ${name}:${range.start.line + 1}–${range.end.line + 1}`;
    const subtitle = `${document.languageId} · ${range.end.line - range.start.line + 1} lines`;
    panel.start(title, subtitle, document.languageId);
    this.clearHighlight();
    if (editor.selection.isEmpty) {
      editor.setDecorations(this.explainedHighlight, [range]);
      this.highlighted = editor;
    }
    const lines = { startLine: range.start.line, endLine: range.end.line };

    const stopSubscription = panel.onDidReceiveMessage((message) => {
      if (message.type === "stop") cancel.cancel();
    });
    const endSpinner = this.statusBar.beginRequest();
    // Stop Explaining shows in the palette only while there is something to stop.
    void vscode.commands.executeCommand("setContext", "hearth.explaining", true);
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
      // The decode rate counts from the first token on, so it is said after it, not beside the total.
      // Older daemons say nothing of who served; a fallback names the setting that gives explanations a chat model.
      const served = (result as Partial<ExplainResult>).servedBy;
      const by = served === undefined ? "" : served.fallback ? ` · explained by the completion model ${served.model}: set “hearth.model.chat” to a chat model for better explanations` : ` · ${served.model}`;
      const summary = `${m.generatedTokens} tokens in ${formatMs(m.totalMs)}: the first after ${formatMs(m.firstTokenMs)}, then ${formatRate(decodeRate(m))}${by}`;
      panel.status(summary, false);
      this.remember(title, subtitle, result.markdown, summary);
      return { status: "done", markdown: result.markdown, deltas, lines };
    } catch (error) {
      if (cancel.token.isCancellationRequested || (error as { code?: unknown }).code === ErrorCodes.RequestCancelled) {
        panel.render(markdown, true);
        panel.status("Stopped.", false);
        this.remember(title, subtitle, markdown, "Stopped.");
        return { status: "stopped", markdown, deltas, lines };
      }
      // The hint goes in its own line of the panel, not again inside the message.
      const message = error instanceof NotConnectedError ? error.message : `The explanation failed: ${error instanceof Error ? error.message : String(error)}`;
      const hint = editorHint(error) ?? (error instanceof NotConnectedError ? "Wait for the status bar to show Hearth connected, or run “Hearth: Restart Daemon”." : "See the Hearth log (Hearth: Open Log) for details.");
      this.log.error("explain failed", error);
      panel.error(message, hint);
      return { status: "failed", message };
    } finally {
      progress?.dispose();
      stopSubscription.dispose();
      endSpinner();
      if (this.running === cancel) {
        this.running = null;
        void vscode.commands.executeCommand("setContext", "hearth.explaining", false);
      }
      cancel.dispose();
    }
  }

  private clearHighlight(): void {
    this.highlighted?.setDecorations(this.explainedHighlight, []);
    this.highlighted = null;
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
    return this.adopt(new ExplainPanel(this.mediaRoot));
  }

  private adopt(panel: ExplainPanel): ExplainPanel {
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
    for (const s of this.highlightSubscriptions.splice(0)) s.dispose();
    this.explainedHighlight.dispose();
  }
}
