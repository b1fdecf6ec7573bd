/**
 * Next-edit suggestions in the editor, with the stable API only: once an edit settles the
 * daemon is asked (`hearth/nextEdit`) where the next one goes; its edits are drawn as
 * decorations (the replaced text struck through, the new text beside it, a jump hint when
 * the edit is away from the cursor). Tab accepts in one undo step, or first jumps to a far
 * edit; Escape dismisses. The `hearth.nextEditVisible` context key is set only while a
 * suggestion shows, so Tab indents as usual otherwise.
 */
import * as vscode from "vscode";
import { Defaults, NextEditAcceptedNotification, NextEditRequest, type NextEditResult, type Position } from "../../../daemon/src/protocol.js";
import type { DaemonClient } from "../client.js";
import type { Config } from "../config.js";
import { describeError, type Log } from "../log.js";
import { jumpHint, presentationOf, previewText, type NextEditPresentation } from "./next-edit-logic.js";

/** How long the document must stay unchanged before a suggestion is asked for. */
export const SETTLE_MS = Defaults.nextEditSettleMs;
export const VISIBLE_CONTEXT_KEY = "hearth.nextEditVisible";

/** The suggestion on screen, as the extension's API reports it. */
export interface NextEditShown {
  uri: string;
  /** The document version the edits' ranges refer to. */
  version: number;
  presentation: NextEditPresentation;
  result: NextEditResult;
}

/** Why a request ended without a suggestion: for the tests and the log. */
export type NextEditEvent =
  | { kind: "requested"; uri: string; version: number }
  | { kind: "shown"; shown: NextEditShown }
  | { kind: "empty"; uri: string }
  | { kind: "cancelled"; uri: string }
  | { kind: "failed"; uri: string; message: string }
  | { kind: "accepted"; uri: string }
  | { kind: "dismissed"; uri: string };

export class NextEditController implements vscode.Disposable {
  private readonly removedDecoration = vscode.window.createTextEditorDecorationType({
    textDecoration: "line-through",
    backgroundColor: new vscode.ThemeColor("diffEditor.removedTextBackground"),
  });
  private readonly insertedDecoration = vscode.window.createTextEditorDecorationType({
    after: { backgroundColor: new vscode.ThemeColor("diffEditor.insertedTextBackground"), margin: "0 0 0 0.3em" },
  });
  private readonly hintDecoration = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor("editorCodeLens.foreground"), fontStyle: "italic", margin: "0 0 0 2em" },
  });
  private readonly eventEmitter = new vscode.EventEmitter<NextEditEvent>();
  readonly onDidNextEditEvent = this.eventEmitter.event;
  private readonly subscriptions: vscode.Disposable[];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inFlight: vscode.CancellationTokenSource | null = null;
  private shown: (NextEditShown & { editor: vscode.TextEditor }) | null = null;
  /** Set while Hearth applies an accepted suggestion: that change is not the user's typing. */
  private applying = false;

  constructor(
    private readonly client: DaemonClient,
    private readonly config: Config,
    private readonly log: Log,
  ) {
    this.subscriptions = [
      vscode.workspace.onDidChangeTextDocument((event) => this.onChange(event)),
      vscode.window.onDidChangeActiveTextEditor(() => this.clear("dismissed")),
      vscode.commands.registerCommand("hearth.nextEdit.accept", () => this.accept()),
      vscode.commands.registerCommand("hearth.nextEdit.dismiss", () => this.clear("dismissed")),
    ];
  }

  /** The suggestion on screen, or null. */
  get current(): NextEditShown | null {
    if (this.shown === null) return null;
    const { uri, version, presentation, result } = this.shown;
    return { uri, version, presentation, result };
  }

  private enabledFor(document: vscode.TextDocument): boolean {
    return this.config.nextEditEnabled && (document.uri.scheme === "file" || document.uri.scheme === "untitled") && this.config.syncable(document);
  }

  private onChange(event: vscode.TextDocumentChangeEvent): void {
    if (this.applying || event.contentChanges.length === 0) return;
    const editor = vscode.window.activeTextEditor;
    if (editor === undefined || editor.document !== event.document) return;
    // Typing drops what is shown and what is on its way: the answer would be for older text.
    this.cancelPending();
    if (this.shown !== null) this.clear("dismissed");
    if (!this.enabledFor(event.document)) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.request(editor);
    }, SETTLE_MS);
  }

  private cancelPending(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.inFlight !== null) {
      this.inFlight.cancel();
      this.inFlight.dispose();
      this.inFlight = null;
    }
  }

  /** Asks for a suggestion at the editor's cursor now and shows it if the document is still as it was. */
  async request(editor: vscode.TextEditor): Promise<void> {
    this.cancelPending();
    const document = editor.document;
    const uri = document.uri.toString();
    if (!this.enabledFor(document)) return;
    const source = new vscode.CancellationTokenSource();
    this.inFlight = source;
    const version = document.version;
    const position: Position = { line: editor.selection.active.line, character: editor.selection.active.character };
    let result: NextEditResult;
    try {
      // The document reached the daemon through the language client's sync (its language is on).
      const client = this.client.requireClient();
      this.eventEmitter.fire({ kind: "requested", uri, version });
      result = await client.sendRequest(NextEditRequest, { textDocument: { uri }, position }, source.token);
    } catch (error) {
      if (source.token.isCancellationRequested) this.eventEmitter.fire({ kind: "cancelled", uri });
      else {
        this.log.warn(`next edit for ${uri} failed: ${describeError(error)}`);
        this.eventEmitter.fire({ kind: "failed", uri, message: describeError(error) });
      }
      return;
    } finally {
      if (this.inFlight === source) this.inFlight = null;
      source.dispose();
    }
    if (source.token.isCancellationRequested || document.version !== version || vscode.window.activeTextEditor !== editor) {
      this.eventEmitter.fire({ kind: "cancelled", uri });
      return;
    }
    if (result.edits.length === 0) {
      this.eventEmitter.fire({ kind: "empty", uri });
      return;
    }
    this.show(editor, { uri, version, presentation: presentationOf(result.edits, position.line), result });
  }

  private show(editor: vscode.TextEditor, shown: NextEditShown): void {
    this.shown = { ...shown, editor };
    const toRange = (range: { start: Position; end: Position }) => new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character);
    const removed = shown.result.edits.filter((edit) => !toRange(edit.range).isEmpty).map((edit) => ({ range: toRange(edit.range) }));
    const inserted = shown.result.edits
      .filter((edit) => edit.newText.length > 0)
      .map((edit) => ({ range: new vscode.Range(toRange(edit.range).end, toRange(edit.range).end), renderOptions: { after: { contentText: previewText(edit.newText) } } }));
    editor.setDecorations(this.removedDecoration, removed);
    editor.setDecorations(this.insertedDecoration, inserted);
    const first = shown.result.edits[0];
    const cursorLine = editor.selection.active.line;
    const hints =
      shown.presentation === "jump" && first !== undefined
        ? [{ range: editor.document.lineAt(cursorLine).range.with({ start: editor.document.lineAt(cursorLine).range.end }), renderOptions: { after: { contentText: jumpHint(first.range.start.line) } } }]
        : [];
    editor.setDecorations(this.hintDecoration, hints);
    void vscode.commands.executeCommand("setContext", VISIBLE_CONTEXT_KEY, true);
    this.eventEmitter.fire({ kind: "shown", shown });
  }

  /** Tab: jumps to a far edit first (and draws it as near), else applies every edit in one undo step. */
  async accept(): Promise<void> {
    const shown = this.shown;
    if (shown === null) return;
    const { editor, result } = shown;
    if (editor.document.version !== shown.version) {
      this.clear("dismissed");
      return;
    }
    const first = result.edits[0];
    if (shown.presentation === "jump" && first !== undefined) {
      const target = new vscode.Position(first.range.start.line, first.range.start.character);
      editor.selection = new vscode.Selection(target, target);
      editor.revealRange(new vscode.Range(target, target), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      this.show(editor, { uri: shown.uri, version: shown.version, presentation: "beside", result });
      return;
    }
    this.clearDecorations();
    const uri = shown.uri;
    // The daemon marks the document's next change as an accepted suggestion in its edit history.
    try {
      await this.client.requireClient().sendNotification(NextEditAcceptedNotification, { textDocument: { uri } });
    } catch (error) {
      this.log.warn(`could not tell the daemon a next edit was accepted: ${describeError(error)}`);
    }
    this.applying = true;
    let applied = false;
    try {
      applied = await editor.edit((builder) => {
        for (const edit of result.edits) builder.replace(new vscode.Range(edit.range.start.line, edit.range.start.character, edit.range.end.line, edit.range.end.character), edit.newText);
      });
    } finally {
      this.applying = false;
    }
    if (!applied) {
      this.log.warn(`the next edit for ${uri} could not be applied`);
      this.eventEmitter.fire({ kind: "dismissed", uri });
      return;
    }
    if (result.cursor !== undefined) {
      const cursor = editor.document.validatePosition(new vscode.Position(result.cursor.line, result.cursor.character));
      editor.selection = new vscode.Selection(cursor, cursor);
    }
    this.eventEmitter.fire({ kind: "accepted", uri });
    // Tab, Tab: the next suggestion (say, the rename's next use) is asked for at once.
    void this.request(editor);
  }

  private clearDecorations(): void {
    const shown = this.shown;
    this.shown = null;
    if (shown !== null) {
      shown.editor.setDecorations(this.removedDecoration, []);
      shown.editor.setDecorations(this.insertedDecoration, []);
      shown.editor.setDecorations(this.hintDecoration, []);
    }
    void vscode.commands.executeCommand("setContext", VISIBLE_CONTEXT_KEY, false);
  }

  private clear(reason: "dismissed"): void {
    const uri = this.shown?.uri;
    this.clearDecorations();
    if (uri !== undefined) this.eventEmitter.fire({ kind: reason, uri });
  }

  dispose(): void {
    this.cancelPending();
    this.clearDecorations();
    for (const subscription of this.subscriptions) subscription.dispose();
    this.removedDecoration.dispose();
    this.insertedDecoration.dispose();
    this.hintDecoration.dispose();
    this.eventEmitter.dispose();
  }
}
