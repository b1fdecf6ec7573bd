/**
 * The inline completion provider. Per keystroke: skip when paused, disabled for the
 * language or by `editor.inlineSuggest.enabled`; answer from the client cache when the user
 * is typing what was suggested; otherwise wait out the latest-wins debounce and send
 * `textDocument/inlineCompletion` with VS Code's cancellation token, which the language
 * client forwards as `$/cancelRequest` when a newer keystroke makes this one moot. The
 * daemon's text goes through post-processing before it is shown. Failures are logged, never
 * shown: a completion nobody asked for must not interrupt. It takes turns with next-edit
 * suggestions (cursor-turns.ts): it hands out a suggestion that is an insertion at the
 * cursor as ghost text, and offers nothing of its own while a suggestion shows.
 */
import * as vscode from "vscode";
import { ErrorCodes, InlineCompletionRequest, InlineCompletionTriggerKind, type InlineCompletionParams } from "../../../daemon/src/protocol.js";
import type { DaemonClient } from "../client.js";
import type { Config } from "../config.js";
import { describeError, type Log } from "../log.js";
import type { PauseState } from "../pause-state.js";
import type { RequestStats } from "../stats/request-stats.js";
import type { StatusBar } from "../status-bar.js";
import type { CompletionCache } from "./completion-cache.js";
import type { Debouncer } from "../../../daemon/src/client/debouncer.js";
import { postProcess } from "./post-process.js";
import { replacedAfterCursor } from "./tab-accept.js";
import type { CursorTurns } from "../next-edit/cursor-turns.js";

/** What happened to each completion attempt, in order; the test API and the log read it. */
export type CompletionEvent =
  | { kind: "skipped"; uri: string; reason: SkipReason }
  | { kind: "sent"; id: number; uri: string; offset: number }
  | { kind: "completed"; id: number; latencyMs: number; raw: string; text: string; changedBy: string[] }
  | { kind: "cancelled"; id: number; stage: "debounce" | "daemon" }
  | { kind: "failed"; id: number; message: string }
  | { kind: "cache-hit"; uri: string; offset: number; text: string }
  | { kind: "next-edit"; uri: string; text: string };

/** Why no completion was asked for. */
export type SkipReason = "paused" | "language-disabled" | "excluded" | "inline-suggest-disabled" | "next-edit-shown";

/** The next-edit suggestion's ghost text, when it is an insertion at this cursor (the next-edit controller). */
export interface NextEditGhostSource {
  ghostAt(document: vscode.TextDocument, position: vscode.Position): vscode.InlineCompletionItem | null;
}

/** Characters of context kept around the cursor for the cache and post-processing. */
const PREFIX_WINDOW = 8192;
const SUFFIX_WINDOW = 4096;

function isCancelledError(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === ErrorCodes.RequestCancelled;
}

function isOutOfSyncError(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === ErrorCodes.DocumentOutOfSync;
}

/**
 * The suggestion at the cursor, replacing the auto-closed characters it brings itself and,
 * on a blank line, the indentation it brings itself (so one Tab accepts it).
 */
function item(document: vscode.TextDocument, text: string, position: vscode.Position, replaceChars: number): vscode.InlineCompletionItem {
  const replaced = replacedAfterCursor(document.lineAt(position.line).text, position.character, text, replaceChars);
  return new vscode.InlineCompletionItem(text, new vscode.Range(position, position.translate(0, replaced)));
}

export class InlineProvider implements vscode.InlineCompletionItemProvider, vscode.Disposable {
  private readonly eventEmitter = new vscode.EventEmitter<CompletionEvent>();
  readonly onDidCompletionEvent = this.eventEmitter.event;
  private nextId = 1;
  private disposed = false;

  constructor(
    private readonly client: DaemonClient,
    private readonly config: Config,
    private readonly pause: PauseState,
    private readonly cache: CompletionCache,
    private readonly debouncer: Debouncer,
    private readonly stats: RequestStats,
    private readonly statusBar: StatusBar,
    private readonly log: Log,
    private readonly turns: CursorTurns,
    private readonly nextEdits: NextEditGhostSource,
  ) {}

  async provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    const uri = document.uri.toString();
    const ghost = this.nextEdits.ghostAt(document, position);
    if (ghost !== null) {
      this.emit({ kind: "next-edit", uri, text: typeof ghost.insertText === "string" ? ghost.insertText : ghost.insertText.value });
      return [ghost];
    }
    const invoked = context.triggerKind === vscode.InlineCompletionTriggerKind.Invoke;
    const skip = this.skipReason(document, invoked);
    if (skip !== null) {
      this.emit({ kind: "skipped", uri, reason: skip });
      return undefined;
    }
    // While this runs, and while what it returns shows at this spot, no next edit is asked for here.
    const spot = { uri, version: document.version, line: position.line, character: position.character };
    const turn = this.turns.completionStarted(uri);
    let items: vscode.InlineCompletionItem[] | undefined;
    try {
      items = await this.offer(document, position, invoked, token);
      return items;
    } finally {
      this.turns.completionEnded(turn, items !== undefined && items.length > 0 && !token.isCancellationRequested ? spot : null);
    }
  }

  private async offer(document: vscode.TextDocument, position: vscode.Position, invoked: boolean, token: vscode.CancellationToken): Promise<vscode.InlineCompletionItem[] | undefined> {
    const offset = document.offsetAt(position);
    const prefix = document.getText(new vscode.Range(document.positionAt(Math.max(0, offset - PREFIX_WINDOW)), position));
    const suffix = document.getText(new vscode.Range(position, document.positionAt(offset + SUFFIX_WINDOW)));
    const key = { uri: document.uri.toString(), prefix, offset, suffix };
    const shape = { prefix, suffix, languageId: document.languageId, eol: document.eol === vscode.EndOfLine.CRLF ? ("\r\n" as const) : ("\n" as const), ...this.config.editorOptions(vscode.window.activeTextEditor, document) };

    const hit = this.cache.lookup(key);
    if (hit !== null) {
      const { text, replaceChars } = postProcess({ ...shape, completion: hit.remainder, truncated: hit.truncated });
      if (text !== "") {
        this.stats.recordClientCacheHit();
        this.emit({ kind: "cache-hit", uri: key.uri, offset, text });
        return [item(document, text, position, replaceChars)];
      }
    }

    const id = this.nextId++;
    if (!(await this.debouncer.wait(token, { immediate: invoked }))) {
      this.emit({ kind: "cancelled", id, stage: "debounce" });
      return undefined;
    }
    let client;
    try {
      client = this.client.requireClient();
    } catch {
      return undefined;
    }
    const params: InlineCompletionParams = {
      textDocument: { uri: key.uri },
      position: { line: position.line, character: position.character },
      context: { triggerKind: invoked ? InlineCompletionTriggerKind.Invoked : InlineCompletionTriggerKind.Automatic },
      hearth: { maxTokens: this.config.completionMaxTokens, mode: "auto" },
    };
    const endSpinner = this.statusBar.beginRequest();
    const started = performance.now();
    this.emit({ kind: "sent", id, uri: key.uri, offset });
    this.log.trace(`completion #${id}: sent for ${key.uri} at ${position.line + 1}:${position.character + 1}${invoked ? " (invoked)" : ""}`);
    try {
      const result = await client.sendRequest(InlineCompletionRequest, params, token);
      const latencyMs = performance.now() - started;
      const raw = result.items[0]?.insertText ?? "";
      this.stats.recordCompletion(latencyMs, result.metrics);
      // Kept even when this keystroke is moot: the next ones may be typing into it.
      const truncated = result.metrics.stopReason === "maxTokens";
      this.cache.store(key, raw, truncated);
      if (token.isCancellationRequested) {
        this.emit({ kind: "cancelled", id, stage: "daemon" });
        return undefined;
      }
      const { text, changedBy, replaceChars } = postProcess({ ...shape, completion: raw, truncated });
      this.emit({ kind: "completed", id, latencyMs, raw, text, changedBy });
      this.log.trace(`completion #${id}: ${Math.round(latencyMs)} ms, ${result.metrics.generatedTokens} tokens, ${JSON.stringify(raw)} → ${JSON.stringify(text)} [${changedBy.join(", ")}]`);
      return text === "" ? undefined : [item(document, text, position, replaceChars)];
    } catch (error) {
      if (isCancelledError(error) || token.isCancellationRequested) {
        this.log.trace(`completion #${id}: cancelled (${describeError(error)})`);
        this.emit({ kind: "cancelled", id, stage: "daemon" });
        return undefined;
      }
      this.log.warn(`completion #${id} failed: ${describeError(error)}`);
      this.emit({ kind: "failed", id, message: describeError(error) });
      // The daemon's copy diverged from the editor's: send it whole, so the next keystroke completes again.
      if (isOutOfSyncError(error)) await this.client.resync(document).catch((e: unknown) => this.log.warn(`resync of ${key.uri} failed: ${describeError(e)}`));
      return undefined;
    } finally {
      endSpinner();
    }
  }

  private skipReason(document: vscode.TextDocument, invoked: boolean): SkipReason | null {
    if (this.pause.paused) return "paused";
    if (!this.turns.completionMayGo(document.uri.toString())) return "next-edit-shown";
    if (!this.config.completionEnabledFor(document.languageId)) return "language-disabled";
    // A file that may hold secrets (hearth.context.exclude, files.exclude) never reaches the daemon.
    if (this.config.excluded(document)) return "excluded";
    // VS Code's switch turns off suggestions nobody asked for; an explicit trigger still works.
    if (!invoked && !this.config.inlineSuggestEnabled(document)) return "inline-suggest-disabled";
    return null;
  }

  private emit(event: CompletionEvent): void {
    if (!this.disposed) this.eventEmitter.fire(event);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.eventEmitter.dispose();
  }
}
