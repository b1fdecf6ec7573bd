/**
 * Typed access to the `hearth.*` settings. Getters re-read the configuration on every call
 * (rust-analyzer's rule), so nothing holds a stale copy. The daemon is shared by every
 * window and reads its options once, when it starts: `daemonSettings` are the ones that
 * only take effect after a daemon restart.
 */
import * as vscode from "vscode";
import { DEFAULT_CONTEXT_EXCLUDE, ExcludeList } from "../../daemon/src/privacy.js";
import { clampTo, extensionSettings, GPU_CHOICES, isOneOf, serveOptions, settingsWithFlags, type GpuChoice } from "../../daemon/src/options.js";

export type GpuSetting = GpuChoice;

/** Settings the daemon reads when it starts; changing one offers a restart. */
export const daemonSettings: readonly string[] = settingsWithFlags().filter((setting) => setting !== "hearth.daemon.home");
/** Settings that change which daemon this window talks to; changing one reconnects. */
export const connectionSettings = ["hearth.daemon.home"] as const;

export class Config {
  private get section(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration("hearth");
  }

  private get<T>(key: string, fallback: T): T {
    return this.section.get<T>(key) ?? fallback;
  }

  /** A .gguf path, an hf: URI or generated:NAME; empty for $HEARTH_MODEL or the daemon's default. */
  get modelPath(): string {
    return this.get("model.path", "").trim();
  }

  /** "local", or "llama-server=URL" / "openai=URL" for a server the daemon drives (the daemon validates it). */
  get backend(): string {
    return this.get("backend", serveOptions.backend.default).trim() || serveOptions.backend.default;
  }

  get remoteInsecureHttp(): boolean {
    return this.get("remote.insecureHttp", false);
  }

  get remoteModel(): string {
    return this.get("remote.model", "").trim();
  }

  get fimTemplate(): string {
    return this.get("model.fimTemplate", serveOptions["fim-template"].default);
  }

  get nextEditFormat(): string {
    return this.get("nextEdit.format", serveOptions["next-edit-format"].default);
  }

  get draftModel(): string {
    return this.get("model.draft", "").trim();
  }

  /** The chat (explanations) and next-edit models; empty for none of their own. */
  get chatModel(): string {
    return this.get("model.chat", "").trim();
  }

  get nextEditModel(): string {
    return this.get("model.nextEdit", "").trim();
  }

  /** The next-edit switch alone; a next-edit model must be set too (see nextEditOn). */
  get nextEditEnabled(): boolean {
    return this.get("nextEdit.enabled", extensionSettings["hearth.nextEdit.enabled"].default);
  }

  /**
   * Whether next edits are asked for in a language: the switch is on, the language is on in
   * hearth.nextEdit.languages (its own entry, else "*", else on), and a next-edit model is
   * set, here (hearth.model.nextEdit) or in the daemon (`daemonHasModel`: it lists a
   * next-edit model, e.g. one started with --next-edit-backend).
   */
  nextEditOn(languageId: string, daemonHasModel: boolean): boolean {
    return this.nextEditLanguageOn(languageId) && (this.nextEditModel !== "" || daemonHasModel);
  }

  /** The switch and the language's entry, without asking whether a model is set. */
  nextEditLanguageOn(languageId: string): boolean {
    return this.nextEditEnabled && this.languageOn("nextEdit.languages", extensionSettings["hearth.nextEdit.languages"].default, languageId);
  }

  get modelIdleUnloadSeconds(): number {
    const option = serveOptions["model-idle-unload-s"];
    return clampTo(this.get("model.idleUnloadSeconds", option.default), option);
  }

  get contextSize(): number {
    return clampTo(this.get("model.contextSize", serveOptions.ctx.default), serveOptions.ctx);
  }

  /** 0 lets the daemon decide. */
  get memoryBudgetMB(): number {
    return clampTo(this.get("daemon.memoryBudgetMB", serveOptions["memory-budget-mb"].default), serveOptions["memory-budget-mb"]);
  }

  get gpu(): GpuSetting {
    const value = this.get<string>("daemon.gpu", serveOptions.gpu.default);
    return isOneOf(GPU_CHOICES, value) ? value : serveOptions.gpu.default;
  }

  /** The daemon's home folder; empty for $HEARTH_HOME or the user's cache folder. */
  get daemonHome(): string {
    return this.get("daemon.home", "").trim();
  }

  get debounceMs(): number {
    return clampTo(this.get("completion.debounceMs", extensionSettings["hearth.completion.debounceMs"].default), extensionSettings["hearth.completion.debounceMs"]);
  }

  get adaptiveDebounce(): boolean {
    return this.get("completion.adaptiveDebounce", extensionSettings["hearth.completion.adaptiveDebounce"].default);
  }

  get completionMaxTokens(): number {
    return clampTo(this.get("completion.maxTokens", extensionSettings["hearth.completion.maxTokens"].default), extensionSettings["hearth.completion.maxTokens"]);
  }

  get explainMaxTokens(): number {
    return clampTo(this.get("explain.maxTokens", extensionSettings["hearth.explain.maxTokens"].default), extensionSettings["hearth.explain.maxTokens"]);
  }

  /** Whether completions are on for a language: its own entry, else "*", else on. */
  completionEnabledFor(languageId: string): boolean {
    return this.languageOn("completion.languages", {}, languageId);
  }

  /** A per-language map's answer: the language's own entry, else "*", else on. */
  private languageOn(key: string, fallback: Record<string, boolean>, languageId: string): boolean {
    const languages = this.get<Record<string, unknown>>(key, fallback);
    const own = languages[languageId];
    if (typeof own === "boolean") return own;
    const all = languages["*"];
    return typeof all === "boolean" ? all : true;
  }

  /**
   * Files that never reach the daemon: hearth.context.exclude, plus what files.exclude hides.
   * Matched on the document's path; a pattern without a slash matches the base name.
   */
  excludeList(document: vscode.TextDocument): ExcludeList {
    const own = this.get<unknown>("context.exclude", DEFAULT_CONTEXT_EXCLUDE);
    const patterns = Array.isArray(own) ? own.filter((p): p is string => typeof p === "string") : [...DEFAULT_CONTEXT_EXCLUDE];
    const hidden = vscode.workspace.getConfiguration("files", document).get<Record<string, unknown>>("exclude") ?? {};
    for (const [pattern, on] of Object.entries(hidden)) if (on === true) patterns.push(pattern);
    return new ExcludeList(patterns);
  }

  excluded(document: vscode.TextDocument): boolean {
    return this.excludeList(document).matches(document.uri.toString());
  }

  /**
   * Whether a document's text may go to the daemon as it changes: completions or next edits
   * are on for its language and it is not excluded.
   */
  syncable(document: vscode.TextDocument): boolean {
    return (this.completionEnabledFor(document.languageId) || this.nextEditLanguageOn(document.languageId)) && !this.excluded(document);
  }

  /** VS Code's own switch for inline suggestions, per document's language. */
  inlineSuggestEnabled(document: vscode.TextDocument): boolean {
    return vscode.workspace.getConfiguration("editor", document).get<boolean>("inlineSuggest.enabled") ?? true;
  }

  editorOptions(editor: vscode.TextEditor | undefined, document: vscode.TextDocument): { insertSpaces: boolean; tabSize: number } {
    if (editor && editor.document === document) {
      const { insertSpaces, tabSize } = editor.options;
      return { insertSpaces: insertSpaces !== false, tabSize: typeof tabSize === "number" ? tabSize : 4 };
    }
    const editorConfig = vscode.workspace.getConfiguration("editor", document);
    return { insertSpaces: editorConfig.get<boolean>("insertSpaces") ?? true, tabSize: editorConfig.get<number>("tabSize") ?? 4 };
  }
}
