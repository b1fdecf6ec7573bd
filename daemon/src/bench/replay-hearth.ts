/**
 * Drives a Hearth daemon the way the extension does, one WebSocket per workspace (one per
 * VS Code window): incremental didChange on every keystroke; then the provider's rules —
 * answer from the client cache when the user types what was suggested, else wait out the
 * latest-wins debounce and send textDocument/inlineCompletion with a partial-result token
 * (first-token time) — and a newer keystroke or a cursor move cancels the pending call,
 * which sends $/cancelRequest for a request in flight.
 */
import { CancellationTokenSource } from "vscode-jsonrpc/node";
import { openSocket } from "../client/connect.js";
import { HearthClient } from "../client/hearth-client.js";
import type { DiscoveryInfo } from "../discovery.js";
import { Defaults, ErrorCodes, type RequestMetrics, type TextDocumentContentChangeEvent } from "../protocol.js";
import { DEFAULT_DEBOUNCE, Debouncer, type DebounceOptions } from "../client/debouncer.js";
import type { CallUsage, CompletionCall, ReplayDriver } from "./replay.js";
import type { Trace } from "./trace.js";
import { workspaceFolderUri, type EditorFile } from "./trace-editor.js";

export interface HearthDriverOptions {
  maxTokens: number;
  debounce?: DebounceOptions;
}

/** The extension's default hearth.completion.maxTokens. */
export const EXTENSION_MAX_TOKENS = Defaults.completionMaxTokens;

interface Shown {
  offset: number;
  /** The text before the offset when it was shown, to recognise the spot. */
  prefixTail: string;
  text: string;
}

interface Window {
  client: HearthClient;
  debouncer: Debouncer;
  /** The provider call VS Code would cancel on the next keystroke. */
  current: CancellationTokenSource | null;
}

const PREFIX_TAIL = 256;

export function usageFromMetrics(m: RequestMetrics): CallUsage {
  const decodeTokens = Math.max(0, m.generatedTokens - 1);
  return {
    promptTokens: m.promptTokens,
    evaluatedTokens: m.evaluatedTokens,
    generatedTokens: m.generatedTokens,
    prefillMs: m.prefillMs,
    decodeMs: decodeTokens > 0 ? m.decodeMs : null,
    decodeTokens,
    draftTokens: m.draftTokens,
    acceptedTokens: m.acceptedTokens,
    serverMs: m.totalMs,
    serverFirstTokenMs: m.firstTokenMs,
  };
}

function isCancelled(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === ErrorCodes.RequestCancelled;
}

export class HearthDriver implements ReplayDriver {
  private readonly windows = new Map<string, Window>();
  /** Every suggestion received, as the extension's completion cache keeps them. */
  private readonly cached = new Map<string, Shown>();
  /** The last suggestion actually shown (its request still wanted when it arrived). */
  private readonly shownIn = new Map<string, Shown>();
  private readonly inFlight = new Set<Promise<void>>();

  private constructor(private readonly options: HearthDriverOptions) {}

  /** Opens one connection per workspace of the trace and initializes it with that folder. */
  static async connect(info: DiscoveryInfo, trace: Trace, options: HearthDriverOptions): Promise<HearthDriver> {
    const driver = new HearthDriver(options);
    try {
      for (const workspace of trace.workspaces) {
        const client = new HearthClient(await openSocket(info));
        driver.windows.set(workspace.id, { client, debouncer: new Debouncer(options.debounce ?? DEFAULT_DEBOUNCE), current: null });
        await client.initialize([{ uri: workspaceFolderUri(workspace.id), name: workspace.id }], "hearth-bench");
      }
    } catch (error) {
      driver.dispose();
      throw error;
    }
    return driver;
  }

  open(file: EditorFile): void {
    void this.window(file).client.open({ uri: file.uri, languageId: file.trace.languageId, version: file.version, text: file.text });
  }

  close(file: EditorFile): void {
    void this.window(file).client.close(file.uri);
  }

  interrupt(file: EditorFile): void {
    this.window(file).current?.cancel();
  }

  shown(file: EditorFile): { offset: number; text: string } | null {
    return this.shownIn.get(file.uri) ?? null;
  }

  applied(file: EditorFile, changes: TextDocumentContentChangeEvent[]): void {
    const window = this.window(file);
    window.current?.cancel();
    void window.client.change({ textDocument: { uri: file.uri, version: file.version }, contentChanges: changes });
  }

  change(file: EditorFile, change: TextDocumentContentChangeEvent, call: CompletionCall): void {
    const window = this.window(file);
    void window.client.change({ textDocument: { uri: file.uri, version: file.version }, contentChanges: [change] });
    // VS Code cancels the previous provider call when the text changes.
    window.current?.cancel();
    const cancel = new CancellationTokenSource();
    window.current = cancel;
    const position = file.cursorPosition;
    const offset = file.cursor;

    const hit = this.cacheHit(file);
    if (hit !== null) {
      call.outcome = "client-cache";
      call.text = hit;
      return;
    }
    const work = (async () => {
      if (!(await window.debouncer.wait(cancel.token))) {
        call.outcome = "debounced";
        return;
      }
      call.sentMs = performance.now();
      const prefixTail = file.text.slice(Math.max(0, offset - PREFIX_TAIL), offset);
      try {
        const result = await window.client.complete(
          { textDocument: { uri: file.uri }, position, context: { triggerKind: 2 }, hearth: { maxTokens: this.options.maxTokens, mode: "auto" } },
          { cancel, onDelta: () => (call.firstTokenMs ??= performance.now()) },
        );
        call.doneMs = performance.now();
        call.usage = usageFromMetrics(result.metrics);
        call.text = result.items[0]?.insertText ?? "";
        call.outcome = cancel.token.isCancellationRequested ? "cancelled" : "completed";
        // The extension keeps a late result in its cache even when it is no longer shown.
        if (call.text !== "") {
          const entry = { offset, prefixTail, text: call.text };
          this.cached.set(file.uri, entry);
          if (call.outcome === "completed") this.shownIn.set(file.uri, entry);
        }
      } catch (error) {
        call.doneMs = performance.now();
        if (isCancelled(error) || cancel.token.isCancellationRequested) call.outcome = "cancelled";
        else {
          call.outcome = "failed";
          call.error = error instanceof Error ? error.message : String(error);
        }
      } finally {
        if (window.current === cancel) window.current = null;
        cancel.dispose();
      }
    })();
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** The client connections, for status and the daemon's request log. */
  get clients(): HearthClient[] {
    return [...this.windows.values()].map((w) => w.client);
  }

  dispose(): void {
    for (const window of this.windows.values()) window.client.dispose();
    this.windows.clear();
  }

  /**
   * The extension's "typed what was suggested" rule: the text typed since a suggestion was
   * shown is its beginning, and the spot is the same; the rest of it is shown without a request.
   */
  private cacheHit(file: EditorFile): string | null {
    const shown = this.cached.get(file.uri);
    if (!shown || file.cursor <= shown.offset) return null;
    if (file.text.slice(Math.max(0, shown.offset - shown.prefixTail.length), shown.offset) !== shown.prefixTail) return null;
    const typed = file.text.slice(shown.offset, file.cursor);
    if (!shown.text.startsWith(typed) || typed.length >= shown.text.length) return null;
    return shown.text.slice(typed.length);
  }

  private window(file: EditorFile): Window {
    const window = this.windows.get(file.trace.workspace);
    if (!window) throw new Error(`no connection for workspace ${file.trace.workspace}`);
    return window;
  }
}
