/**
 * Next-edit suggestions in the editor, with the stable API only: once an edit settles the
 * daemon is asked (`hearth/nextEdit`) where the next one goes. An insertion exactly at the
 * cursor is handed to the inline completion provider and shows as ghost text, which VS
 * Code's own Tab accepts; any other edit is drawn as decorations (the replaced text struck
 * through, the new text beside it, a jump hint when the edit is away from the cursor): Tab
 * accepts in one undo step, or first jumps to a far edit; Escape dismisses. The
 * `hearth.nextEditVisible` context key is set only while decorations show, so Tab indents as
 * usual otherwise. Every accept tells the daemon first and asks for the next suggestion at
 * once. Requests take turns with inline completions at the cursor (cursor-turns.ts).
 */
import * as vscode from "vscode";
import { Defaults, ErrorCodes, NextEditAcceptedNotification, NextEditRequest, type NextEditResult, type Position } from "../../../daemon/src/protocol.js";
import type { DaemonClient } from "../client.js";
import type { Config } from "../config.js";
import { describeError, type Log } from "../log.js";
import type { RequestStats } from "../stats/request-stats.js";
import type { CursorSpot, CursorTurns } from "./cursor-turns.js";
import { displayOf, jumpHint, previewText, type NextEditPresentation } from "./next-edit-logic.js";

/** How long the document must stay unchanged before a suggestion is asked for. */
export const SETTLE_MS = Defaults.nextEditSettleMs;
export const VISIBLE_CONTEXT_KEY = "hearth.nextEditVisible";
/** Run by VS Code after it inserted a next edit's ghost text (the inline item's command). */
export const GHOST_ACCEPTED_COMMAND = "hearth.nextEdit.ghostAccepted";

/** The suggestion on screen, as the extension's API reports it. */
export interface NextEditShown {
  uri: string;
  /** The document version the edits' ranges refer to. */
  version: number;
  presentation: NextEditPresentation;
  result: NextEditResult;
}

/** Why no suggestion is asked for after an edit in a document. */
export type NextEditOffReason =
  /** hearth.nextEdit.enabled is off. */
  | "switched-off"
  /** hearth.nextEdit.languages turns the document's language off. */
  | "language"
  /** No next-edit model: none in hearth.model.nextEdit, none in the daemon's status. */
  | "no-model"
  /** The document never reaches the daemon (excluded as a secret, or not a file). */
  | "not-synced";

/** What happened to each settled edit's request, and to what was shown: for the tests and the log. */
export type NextEditEvent =
  | { kind: "off"; uri: string; reason: NextEditOffReason }
  | { kind: "requested"; uri: string; version: number }
  | { kind: "waiting"; uri: string; heldBy: "completion-in-flight" | "completion-shown" }
  | { kind: "shown"; shown: NextEditShown }
  | { kind: "empty"; uri: string }
  | { kind: "cancelled"; uri: string }
  | { kind: "failed"; uri: string; message: string }
  | { kind: "accepted"; uri: string; presentation: NextEditPresentation }
  | { kind: "dismissed"; uri: string };

/** A suggestion on screen, with what drawing and accepting it need. */
interface Showing extends NextEditShown {
  editor: vscode.TextEditor;
  /** Tells one suggestion's ghost-text command from a later one's. */
  serial: number;
}

/** A ghost-text insertion VS Code accepted, until its command ran (the cursor and the next request). */
interface AcceptedGhost {
  shown: Showing;
}

function isOutOfSync(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === ErrorCodes.DocumentOutOfSync;
}

/** Whether the change is VS Code inserting exactly the shown ghost text (Tab on it). */
function isGhostInsertion(shown: Showing, event: vscode.TextDocumentChangeEvent): boolean {
  const edit = shown.result.edits[0];
  const change = event.contentChanges.length === 1 ? event.contentChanges[0] : undefined;
  if (edit === undefined || change === undefined) return false;
  return (
    event.document.uri.toString() === shown.uri &&
    event.document.version === shown.version + 1 &&
    change.rangeLength === 0 &&
    change.range.start.line === edit.range.start.line &&
    change.range.start.character === edit.range.start.character &&
    change.text === edit.newText
  );
}

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
  private shown: Showing | null = null;
  private nextSerial = 1;
  /** The ghost text VS Code just inserted; its command finishes the accept. */
  private acceptedGhost: AcceptedGhost | null = null;
  /** The ghost suggestion whose insertion the daemon was told of (before the change itself). */
  private notifiedSerial = 0;
  /** The editor whose settled edit waits for an inline completion to leave the cursor. */
  private waiting: vscode.TextEditor | null = null;
  /** Set while Hearth applies an accepted suggestion: that change is not the user's typing. */
  private applying = false;

  constructor(
    private readonly client: DaemonClient,
    private readonly config: Config,
    private readonly log: Log,
    private readonly turns: CursorTurns,
    private readonly stats: RequestStats,
    /** Whether the daemon lists a next-edit model (set where it was started, or with a next-edit backend). */
    private readonly daemonHasModel: () => boolean,
  ) {
    this.subscriptions = [
      vscode.workspace.onDidChangeTextDocument((event) => this.onChange(event)),
      vscode.window.onDidChangeActiveTextEditor(() => {
        this.waiting = null;
        this.clear("dismissed");
      }),
      vscode.window.onDidChangeTextEditorSelection(() => this.retryWaiting()),
      turns.onDidChange(() => this.retryWaiting()),
      client.beforeSendingChange((event) => this.beforeSync(event)),
      vscode.commands.registerCommand("hearth.nextEdit.accept", () => this.accept()),
      vscode.commands.registerCommand("hearth.nextEdit.dismiss", () => this.clear("dismissed")),
      vscode.commands.registerCommand(GHOST_ACCEPTED_COMMAND, (serial: unknown) => this.ghostAccepted(serial)),
    ];
  }

  /** The suggestion on screen, or null. */
  get current(): NextEditShown | null {
    if (this.shown === null) return null;
    const { uri, version, presentation, result } = this.shown;
    return { uri, version, presentation, result };
  }

  /** The inline item for a ghost-text suggestion at exactly this document version and cursor, else null (the inline provider asks). */
  ghostAt(document: vscode.TextDocument, position: vscode.Position): vscode.InlineCompletionItem | null {
    const shown = this.shown;
    const edit = shown?.result.edits[0];
    if (shown === null || shown.presentation !== "ghost" || edit === undefined) return null;
    if (document.uri.toString() !== shown.uri || document.version !== shown.version) return null;
    if (position.line !== edit.range.start.line || position.character !== edit.range.start.character) return null;
    return new vscode.InlineCompletionItem(edit.newText, new vscode.Range(position, position), { command: GHOST_ACCEPTED_COMMAND, title: "Next edit accepted", arguments: [shown.serial] });
  }

  private offReason(document: vscode.TextDocument): NextEditOffReason | null {
    if (!this.config.nextEditEnabled) return "switched-off";
    if (!this.config.nextEditLanguageOn(document.languageId)) return "language";
    if (!this.config.nextEditOn(document.languageId, this.daemonHasModel())) return "no-model";
    if ((document.uri.scheme !== "file" && document.uri.scheme !== "untitled") || !this.config.syncable(document)) return "not-synced";
    return null;
  }

  private enabledFor(document: vscode.TextDocument): boolean {
    return this.offReason(document) === null;
  }

  /**
   * Just before a change is sent to the daemon: when it is VS Code inserting the ghost text,
   * the accepted notification goes first, so the daemon marks that change as the accept.
   */
  private beforeSync(event: vscode.TextDocumentChangeEvent): void {
    // The editor's own listener may have run first and moved the suggestion to acceptedGhost.
    const shown = this.shown?.presentation === "ghost" ? this.shown : this.acceptedGhost?.shown;
    if (shown === undefined || shown.serial === this.notifiedSerial || !isGhostInsertion(shown, event)) return;
    this.notifiedSerial = shown.serial;
    this.notifyAccepted(shown.uri);
  }

  private notifyAccepted(uri: string): void {
    try {
      // Started synchronously: it reaches the connection before the change that follows it.
      void this.client
        .requireClient()
        .sendNotification(NextEditAcceptedNotification, { textDocument: { uri } })
        .catch((error: unknown) => this.log.warn(`could not tell the daemon a next edit was accepted: ${describeError(error)}`));
    } catch (error) {
      this.log.warn(`could not tell the daemon a next edit was accepted: ${describeError(error)}`);
    }
  }

  private onChange(event: vscode.TextDocumentChangeEvent): void {
    if (this.applying || event.contentChanges.length === 0) return;
    const editor = vscode.window.activeTextEditor;
    if (editor === undefined || editor.document !== event.document) return;
    this.waiting = null;
    this.cancelPending();
    const shown = this.shown;
    if (shown !== null && shown.presentation === "ghost" && isGhostInsertion(shown, event)) {
      // Tab on the ghost text: VS Code inserted it and runs its command next, which asks for
      // the next suggestion. Should the command not come (the text was typed), the usual
      // settle below asks.
      this.acceptedGhost = { shown };
      this.clearDecorations();
      this.stats.recordNextEditAccepted();
      this.eventEmitter.fire({ kind: "accepted", uri: shown.uri, presentation: "ghost" });
    } else {
      this.acceptedGhost = null;
      // Typing drops what is shown and what is on its way: the answer would be for older text.
      if (shown !== null) this.clear("dismissed");
    }
    const off = this.offReason(event.document);
    if (off !== null) {
      this.eventEmitter.fire({ kind: "off", uri: event.document.uri.toString(), reason: off });
      return;
    }
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

  private spotOf(editor: vscode.TextEditor): CursorSpot {
    const active = editor.selection.active;
    return { uri: editor.document.uri.toString(), version: editor.document.version, line: active.line, character: active.character };
  }

  /** An inline completion holds the cursor: ask once it has gone (retryWaiting). */
  private wait(editor: vscode.TextEditor, heldBy: "completion-in-flight" | "completion-shown"): void {
    this.waiting = editor;
    this.log.trace(`next edit for ${editor.document.uri.toString()}: waiting (${heldBy})`);
    this.eventEmitter.fire({ kind: "waiting", uri: editor.document.uri.toString(), heldBy });
  }

  /** A waiting request goes once the completion at the cursor ended with nothing, or the cursor left it. */
  private retryWaiting(): void {
    const editor = this.waiting;
    if (editor === null) return;
    if (this.timer !== null || this.inFlight !== null || this.shown !== null) {
      this.log.trace(`next edit: waiting stays (timer ${this.timer !== null}, in flight ${this.inFlight !== null}, shown ${this.shown !== null})`);
      return;
    }
    if (vscode.window.activeTextEditor !== editor) {
      this.log.trace(`next edit: waiting dropped, another editor is active (${vscode.window.activeTextEditor?.document.uri.toString() ?? "none"})`);
      this.waiting = null;
      return;
    }
    const heldBy = this.turns.nextEditHeldBy(this.spotOf(editor));
    if (heldBy !== null) {
      this.log.trace(`next edit for ${editor.document.uri.toString()}: still waiting (${heldBy})`);
      return;
    }
    this.waiting = null;
    void this.request(editor);
  }

  /** Asks for a suggestion at the editor's cursor now and shows it if the document is still as it was. */
  async request(editor: vscode.TextEditor): Promise<void> {
    this.cancelPending();
    this.waiting = null;
    const document = editor.document;
    const uri = document.uri.toString();
    if (!this.enabledFor(document)) return;
    const heldBy = this.turns.nextEditHeldBy(this.spotOf(editor));
    if (heldBy !== null) {
      this.wait(editor, heldBy);
      return;
    }
    const source = new vscode.CancellationTokenSource();
    this.inFlight = source;
    const version = document.version;
    const position: Position = { line: editor.selection.active.line, character: editor.selection.active.character };
    let result: NextEditResult;
    try {
      // The document reached the daemon through the language client's sync (its language is on).
      const client = this.client.requireClient();
      this.eventEmitter.fire({ kind: "requested", uri, version });
      this.stats.recordNextEditRequest();
      const started = performance.now();
      result = await client.sendRequest(NextEditRequest, { textDocument: { uri }, position }, source.token);
      this.stats.recordNextEditAnswer(performance.now() - started, result.metrics);
    } catch (error) {
      if (source.token.isCancellationRequested) this.eventEmitter.fire({ kind: "cancelled", uri });
      else {
        this.log.warn(`next edit for ${uri} failed: ${describeError(error)}`);
        this.eventEmitter.fire({ kind: "failed", uri, message: describeError(error) });
        // The daemon's copy missed changes (say, made while the language was off): send it whole, so the next edit asks again.
        if (isOutOfSync(error)) await this.client.resync(document).catch((e: unknown) => this.log.warn(`resync of ${uri} failed: ${describeError(e)}`));
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
    // An inline completion started at the cursor meanwhile: it keeps the spot, this asks again after it.
    const heldNow = this.turns.nextEditHeldBy(this.spotOf(editor));
    if (heldNow !== null) {
      this.wait(editor, heldNow);
      return;
    }
    this.stats.recordNextEditShown();
    this.show(editor, { uri, version, presentation: displayOf(result.edits, position), result });
  }

  private show(editor: vscode.TextEditor, shown: NextEditShown): void {
    const showing: Showing = { ...shown, editor, serial: this.nextSerial++ };
    this.shown = showing;
    this.turns.nextEditShown(shown.uri);
    if (shown.presentation === "ghost") {
      // The inline provider hands it out (ghostAt); VS Code's Tab accepts, Escape hides.
      this.eventEmitter.fire({ kind: "shown", shown });
      void vscode.commands.executeCommand("editor.action.inlineSuggest.trigger");
      return;
    }
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
    this.notifyAccepted(uri);
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
    this.placeCursor(editor, result);
    this.stats.recordNextEditAccepted();
    this.eventEmitter.fire({ kind: "accepted", uri, presentation: shown.presentation });
    // Tab, Tab: the next suggestion (say, the rename's next use) is asked for at once.
    void this.request(editor);
  }

  /** After VS Code inserted the ghost text: the cursor goes where the daemon said, and the next suggestion is asked for at once. */
  private ghostAccepted(serial: unknown): void {
    const accepted = this.acceptedGhost?.shown;
    if (accepted === undefined || accepted.serial !== serial) return;
    this.acceptedGhost = null;
    if (vscode.window.activeTextEditor !== accepted.editor) return;
    this.placeCursor(accepted.editor, accepted.result);
    void this.request(accepted.editor);
  }

  private placeCursor(editor: vscode.TextEditor, result: NextEditResult): void {
    if (result.cursor === undefined) return;
    const cursor = editor.document.validatePosition(new vscode.Position(result.cursor.line, result.cursor.character));
    if (!editor.selection.isEmpty || !editor.selection.active.isEqual(cursor)) editor.selection = new vscode.Selection(cursor, cursor);
  }

  private clearDecorations(): void {
    const shown = this.shown;
    this.shown = null;
    if (shown !== null) {
      shown.editor.setDecorations(this.removedDecoration, []);
      shown.editor.setDecorations(this.insertedDecoration, []);
      shown.editor.setDecorations(this.hintDecoration, []);
      this.turns.nextEditGone();
    }
    void vscode.commands.executeCommand("setContext", VISIBLE_CONTEXT_KEY, false);
  }

  private clear(reason: "dismissed"): void {
    const shown = this.shown;
    this.clearDecorations();
    if (shown === null) return;
    this.eventEmitter.fire({ kind: reason, uri: shown.uri });
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
