/**
 * The explain panel: one webview panel, reused, showing an explanation as it streams. Its
 * page (media/explain.html's script and styles) runs under a strict CSP: nothing but our
 * own stylesheet and one script carrying a fresh crypto nonce. The model's markdown is
 * rendered to escaped HTML here (markdown.ts) before it is posted.
 */
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import { renderMarkdown } from "./markdown.js";
import { isFromWebview, type FromWebview, type ToWebview } from "./messages.js";

/** The panel's type, also the serializer's key that brings it back after a reload. */
export const EXPLAIN_VIEW_TYPE = "hearth.explain";

export class ExplainPanel implements vscode.Disposable {
  private readonly panel: vscode.WebviewPanel;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly messageEmitter = new vscode.EventEmitter<FromWebview>();
  /** Messages from the page (stop, rendered). */
  readonly onDidReceiveMessage = this.messageEmitter.event;
  private readonly readyEmitter = new vscode.EventEmitter<void>();
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposeEmitter.event;
  /** What the page shows, re-sent when it reloads (it is not kept while hidden). */
  private readonly replay = new Map<ToWebview["type"], ToWebview>();
  private markdown = "";
  /** The explained code's language: a code block whose fence names none is highlighted as it. */
  private codeLanguage: string | undefined;
  private ready = false;
  private disposed = false;

  /** `restored`: the panel VS Code brings back after a window reload (its page is loaded anew). */
  constructor(
    private readonly mediaRoot: vscode.Uri,
    restored?: vscode.WebviewPanel,
  ) {
    const options = { enableScripts: true, localResourceRoots: [mediaRoot] };
    if (restored) restored.webview.options = options;
    this.panel = restored ?? vscode.window.createWebviewPanel(EXPLAIN_VIEW_TYPE, "Hearth: Explain", { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, options);
    this.panel.iconPath = vscode.Uri.joinPath(mediaRoot, "hearth.svg");
    this.panel.webview.html = this.html();
    this.panel.onDidDispose(() => this.dispose(), null, this.disposables);
    this.panel.webview.onDidReceiveMessage(
      (message: unknown) => {
        if (!isFromWebview(message)) return;
        if (message.type === "ready") {
          this.ready = true;
          for (const m of this.replay.values()) void this.panel.webview.postMessage(m);
          this.readyEmitter.fire();
        }
        this.messageEmitter.fire(message);
      },
      null,
      this.disposables,
    );
  }

  /**
   * Resolves once the page has loaded and listens (true), or after `timeoutMs` (false):
   * streaming into a page that is still loading would show it only the last state.
   */
  whenReady(timeoutMs: number): Promise<boolean> {
    if (this.ready) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        subscription.dispose();
        resolve(ok);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      const subscription = this.readyEmitter.event(() => done(true));
    });
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  reveal(): void {
    this.panel.reveal(vscode.ViewColumn.Beside, true);
  }

  start(title: string, subtitle: string, codeLanguage?: string): void {
    this.markdown = "";
    this.codeLanguage = codeLanguage;
    this.post({ type: "start", title, subtitle });
    this.post({ type: "render", html: "", textLength: 0, done: false });
    this.post({ type: "status", text: "Explaining…", running: true });
  }

  /** Shows the explanation so far (the whole text, re-rendered). */
  render(markdown: string, done: boolean): void {
    this.markdown = markdown;
    this.post({ type: "render", html: renderMarkdown(markdown, this.codeLanguage === undefined ? {} : { defaultLanguage: this.codeLanguage }), textLength: markdown.length, done });
  }

  status(text: string, running: boolean): void {
    this.post({ type: "status", text, running });
  }

  error(message: string, hint: string): void {
    this.post({ type: "error", message, hint });
    this.post({ type: "status", text: "", running: false });
  }

  get text(): string {
    return this.markdown;
  }

  private post(message: ToWebview): void {
    if (this.disposed) return;
    // A page that reloads needs only the latest message of each kind, from the last start on.
    if (message.type === "start") this.replay.clear();
    this.replay.set(message.type, message);
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  private html(): string {
    const webview = this.panel.webview;
    const nonce = randomBytes(18).toString("base64");
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.mediaRoot, "explain.js"));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.mediaRoot, "explain.css"));
    const csp = [`default-src 'none'`, `style-src ${webview.cspSource}`, `img-src ${webview.cspSource}`, `font-src ${webview.cspSource}`, `script-src 'nonce-${nonce}'`].join("; ");
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}">
<title>Hearth: Explain</title>
</head>
<body>
<header>
  <div class="titles"><h1 id="title">Hearth: Explain</h1><div id="subtitle" class="subtitle"></div></div>
  <button id="stop" type="button" disabled title="Stop generating">Stop</button>
</header>
<div id="status" class="status" role="status" aria-live="polite"></div>
<div id="error" class="error" hidden><div id="error-message"></div><div id="error-hint" class="hint"></div></div>
<main id="content" class="markdown"></main>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.disposeEmitter.fire();
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.messageEmitter.dispose();
    this.readyEmitter.dispose();
    this.disposeEmitter.dispose();
  }
}
