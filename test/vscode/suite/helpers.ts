/**
 * Shared steps for the tests inside VS Code: reach the extension's API, wait on its events
 * (always with a bound and a description of what was awaited), open workspace files, drive
 * inline suggestions, take screenshots through the runner.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as vscode from "vscode";
import type { HearthApi } from "../../../extension/src/api.js";
import type { ConnectionState } from "../../../extension/src/client.js";

export const EXTENSION_ID = "hearth.hearth";

export async function hearth(): Promise<HearthApi> {
  const extension = vscode.extensions.getExtension<HearthApi>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not installed in this VS Code`);
  return extension.isActive ? extension.exports : extension.activate();
}

/**
 * Resolves once `check` returns a value other than undefined, checking now and after each
 * of `events`; rejects after `timeoutMs` naming `what`.
 */
export function waitUntil<T>(what: string, check: () => T | undefined, events: ReadonlyArray<vscode.Event<unknown>>, timeoutMs = 30_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const subscriptions: vscode.Disposable[] = [];
    const finish = (outcome: () => void): void => {
      clearTimeout(timer);
      for (const s of subscriptions) s.dispose();
      outcome();
    };
    const timer = setTimeout(() => finish(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))), timeoutMs);
    const test = (): boolean => {
      let value: T | undefined;
      try {
        value = check();
      } catch (error) {
        finish(() => reject(error instanceof Error ? error : new Error(String(error))));
        return true;
      }
      if (value === undefined) return false;
      finish(() => resolve(value));
      return true;
    };
    if (test()) return;
    for (const event of events) subscriptions.push(event(() => void test()));
  });
}

/** The next event that `accept` takes, within `timeoutMs`. Subscribe before causing it. */
export function nextEvent<T>(what: string, event: vscode.Event<T>, accept: (value: T) => boolean = () => true, timeoutMs = 30_000): Promise<T> {
  let seen: T | undefined;
  let matched = false;
  const relay = new vscode.EventEmitter<void>();
  const subscription = event((value) => {
    if (!matched && accept(value)) {
      matched = true;
      seen = value;
      relay.fire();
    }
  });
  return waitUntil(what, () => (matched ? (seen as T) : undefined), [relay.event], timeoutMs).finally(() => {
    subscription.dispose();
    relay.dispose();
  });
}

export function connected(api: HearthApi, timeoutMs = 90_000, accept: (state: Extract<ConnectionState, { kind: "connected" }>) => boolean = () => true): Promise<Extract<ConnectionState, { kind: "connected" }>> {
  return waitUntil(
    "the extension to connect to its daemon",
    () => {
      const state = api.connection();
      return state.kind === "connected" && accept(state) ? state : undefined;
    },
    [api.onDidChangeConnection],
    timeoutMs,
  );
}

/** The daemon's model is loaded (the status says ready). */
export function modelReady(api: HearthApi, timeoutMs = 90_000): Promise<void> {
  return waitUntil(
    "the daemon's model to be ready",
    () => (api.daemonStatus()?.modelState.state === "ready" ? true : undefined),
    [api.onDidRenderStatusBar],
    timeoutMs,
  ).then(() => undefined);
}

export function workspaceFolder(): vscode.WorkspaceFolder {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, "the runner opened no workspace folder");
  return folder;
}

/** Creates (or replaces) a file in the test workspace and shows it in an editor. */
export async function openFile(name: string, text: string, languageId?: string): Promise<vscode.TextEditor> {
  const uri = vscode.Uri.joinPath(workspaceFolder().uri, name);
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
  let document = await vscode.workspace.openTextDocument(uri);
  if (languageId && document.languageId !== languageId) document = await vscode.languages.setTextDocumentLanguage(document, languageId);
  return vscode.window.showTextDocument(document, { preview: false, viewColumn: vscode.ViewColumn.One });
}

export async function closeAllEditors(): Promise<void> {
  await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
  await vscode.commands.executeCommand("workbench.action.closeAllEditors");
}

export function setCursor(editor: vscode.TextEditor, position: vscode.Position): void {
  editor.selection = new vscode.Selection(position, position);
  editor.revealRange(new vscode.Range(position, position));
}

export function endOf(editor: vscode.TextEditor): vscode.Position {
  const last = editor.document.lineAt(editor.document.lineCount - 1);
  return last.range.end;
}

/** Types as a user would (through the editor's `type` command), so VS Code reacts as to keystrokes. */
export async function typeText(text: string): Promise<void> {
  await vscode.commands.executeCommand("type", { text });
}

/**
 * Triggers an inline suggestion at the cursor and waits for Hearth's answer; returns the
 * text shown. Fails at once (with the reason) when the request fails or post-processing
 * leaves nothing to show.
 */
export async function suggestionAtCursor(api: HearthApi, timeoutMs = 60_000): Promise<string> {
  const answered = nextEvent(
    "Hearth's answer to the inline suggestion request",
    api.onDidCompletionEvent,
    (event) => event.kind === "completed" || event.kind === "cache-hit" || event.kind === "failed",
    timeoutMs,
  );
  await vscode.commands.executeCommand("editor.action.inlineSuggest.trigger");
  const event = await answered;
  if (event.kind === "failed") assert.fail(`the completion request failed: ${event.message}`);
  if (event.kind === "completed") assert.ok(event.text !== "", `post-processing left nothing of ${JSON.stringify(event.raw)} (${event.changedBy.join(", ")})`);
  return event.kind === "completed" || event.kind === "cache-hit" ? event.text : "";
}

/**
 * Commits the suggestion on screen and waits until the document holds `expected`. The
 * ghost text reaches the page a moment after the provider returns, so a commit that found
 * nothing to accept is repeated, each time after the document had a chance to change.
 */
export async function commitSuggestion(editor: vscode.TextEditor, expected: string, attempts = 20): Promise<void> {
  const document = editor.document;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const changed = nextEvent("the document to change", vscode.workspace.onDidChangeTextDocument, (e) => e.document === document, 500).catch(() => null);
    await vscode.commands.executeCommand("editor.action.inlineSuggest.commit");
    await changed;
    if (document.getText().includes(expected)) return;
    await vscode.commands.executeCommand("editor.action.inlineSuggest.trigger");
  }
  assert.fail(`the suggestion ${JSON.stringify(expected)} never reached the document:\n${document.getText()}`);
}

interface ScreenshotModule {
  screenshot(name: string, dir?: string, waitMs?: number): Promise<string | null>;
  pressKey(key: string, whenVisible?: string, waitMs?: number): Promise<boolean>;
}

/**
 * Presses a key in the workbench page as a user does, through the runner (VS Code's
 * keybindings decide what it does), once an element of class `whenVisible` shows if given.
 */
export async function pressKey(key: string, whenVisible?: string): Promise<void> {
  const root = path.resolve(__dirname, "../../..");
  const module = require(path.join(root, "test/vscode-runner/screenshot.cjs")) as ScreenshotModule;
  assert.ok(await module.pressKey(key, whenVisible), "a key press needs the code-server runner (run-vscode-tests.mjs)");
}

/** Asks the runner for a screenshot of the whole workbench (media/screenshots/ when it is told so). */
export async function screenshot(name: string): Promise<void> {
  const root = path.resolve(__dirname, "../../..");
  const module = require(path.join(root, "test/vscode-runner/screenshot.cjs")) as ScreenshotModule;
  await module.screenshot(name);
}

/** Where the installed extension lives (its bin/hearth.cjs runs the CLI). */
export function extensionPath(): string {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not installed in this VS Code`);
  return extension.extensionPath;
}

/**
 * Runs `body` connected to a daemon of a fresh home, started with `settings` (hearth.*,
 * user scope) as a first run would; then puts the settings back, returns to the suite's
 * daemon and stops the temporary one. linkModels shares the suite's generated models.
 */
export async function onTemporaryDaemon<T>(api: HearthApi, name: string, settings: Record<string, unknown>, options: { linkModels: boolean }, body: (home: string) => Promise<T>): Promise<T> {
  const home = mkdtempSync(path.join(os.tmpdir(), `hearth-${name}-`));
  if (options.linkModels) symlinkSync(path.join(api.daemonHome, "models"), path.join(home, "models"));
  const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration("hearth");
  try {
    // Settings the daemon reads at start: each change offers a restart of the running one.
    const restartOffers = Object.keys(settings).filter((key) => /^(model|backend|remote|daemon)\b/.test(key)).length;
    const offers = (): number => api.notices().filter((n) => n.message.includes("takes effect when the Hearth daemon restarts")).length;
    const seen = offers();
    const offered = waitUntil("the offers to restart the daemon for the new settings", () => (offers() >= seen + restartOffers ? true : undefined), [api.onDidShowNotice], 10_000);
    for (const [key, value] of Object.entries(settings)) await config().update(key, value, vscode.ConfigurationTarget.Global);
    // The daemon about to start takes these settings: the offers to restart the suite's one
    // would only cover what the test shows (and its screenshots).
    await offered;
    await vscode.commands.executeCommand("notifications.clearAll");
    // Last: the new home reconnects, to a daemon started with the settings above.
    await config().update("daemon.home", home, vscode.ConfigurationTarget.Global);
    return await body(home);
  } finally {
    // Settings first, so the suite's daemon is never compared with this one's.
    for (const key of Object.keys(settings)) await config().update(key, undefined, vscode.ConfigurationTarget.Global);
    await config().update("daemon.home", undefined, vscode.ConfigurationTarget.Global);
    // Asynchronously: a blocked extension host would stall the workbench meanwhile.
    await new Promise<void>((resolve) => {
      execFile(process.execPath, [path.join(extensionPath(), "bin", "hearth.cjs"), "stop", "--home", home], { timeout: 30_000, env: { ...process.env, ELECTRON_RUN_AS_NODE: "1" } }, () => resolve());
    });
    rmSync(home, { recursive: true, force: true });
    await vscode.commands.executeCommand("notifications.clearAll");
  }
}
