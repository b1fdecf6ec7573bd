/**
 * Drives llama.cpp's server the way a plain next-edit client drives it (Zed's Sweep mode
 * against a local server, crates/edit_prediction/src/sweep_prompt.rs, or a script around
 * Sweep's model): the client keeps the buffer and its own edit history, and on each request
 * sends the whole Sweep prompt as text to `/completion` with `cache_prompt: true`, so the
 * server's prompt cache is all that saves work. The prompt is Zed's layout: the last three
 * edits as `PATH.diff` blocks, the edit in progress among them, then the window before that
 * edit, the window now and the `updated/PATH` header. A keystroke within the edit changes the
 * last diff block, so the server evaluates again from there. The request rules (settle,
 * Tab, cancel by a newer change, which here aborts the HTTP request) are the replay's, the
 * same as Hearth's. The figures are the server's own: `tokens_evaluated` (the prompt),
 * `timings.prompt_n` (evaluated), `timings.draft_n`/`draft_n_accepted` where it drafts.
 */
import { EditHistory, type EditEvent } from "../next-edit/edit-history.js";
import { suggestEdits } from "../next-edit/edits.js";
import { block } from "../next-edit/format.js";
import { NEXT_EDIT_FORMATS } from "../next-edit/formats.js";
import { changeBlock, MAX_CHANGE_BLOCKS, withNewline } from "../next-edit/sweep.js";
import { cutWindow } from "../next-edit/window.js";
import type { Position, TextDocumentContentChangeEvent } from "../protocol.js";
import type { NextEditAnswer, NextEditDriver, NextEditUsage } from "./next-edit-replay.js";
import type { EditorFile } from "./trace-editor.js";

const FILE_SEP = "<|file_sep|>";
const STOPS = [FILE_SEP, "</s>"];

/** Zed's Sweep prompt as text: every recent change as a diff block (the one in progress too), then original, current and the updated header. */
export function plainSweepPrompt(path: string, events: readonly Pick<EditEvent, "oldLines" | "newLines">[], original: readonly string[], window: readonly string[]): string {
  let prompt = "";
  const file = (name: string, content: string): void => {
    prompt += `${FILE_SEP}${name}\n${withNewline(content)}`;
  };
  for (const event of events.slice(-MAX_CHANGE_BLOCKS)) file(`${path}.diff`, changeBlock(event.oldLines, event.newLines));
  file(`original/${path}`, block(original));
  file(`current/${path}`, block(window));
  return `${prompt}${FILE_SEP}updated/${path}\n`;
}

/** The fields of llama-server's /completion answer the bench reads. */
interface CompletionAnswer {
  content?: string;
  stop_type?: string;
  tokens_evaluated?: number;
  timings?: { prompt_n?: number; prompt_ms?: number; predicted_n?: number; predicted_ms?: number; draft_n?: number; draft_n_accepted?: number };
}

export function usageFromCompletion(answer: CompletionAnswer, elapsedMs: number): NextEditUsage {
  const t = answer.timings ?? {};
  const evaluated = t.prompt_n ?? 0;
  return {
    promptTokens: answer.tokens_evaluated ?? evaluated,
    evaluatedTokens: evaluated,
    generatedTokens: t.predicted_n ?? 0,
    draftTokens: t.draft_n ?? 0,
    acceptedTokens: t.draft_n_accepted ?? 0,
    prefillMs: t.prompt_ms ?? null,
    decodeMs: (t.predicted_n ?? 0) > 0 ? (t.predicted_ms ?? null) : null,
    serverMs: t.prompt_ms !== undefined && t.predicted_ms !== undefined ? t.prompt_ms + t.predicted_ms : elapsedMs,
  };
}

export class PlainSweepClient implements NextEditDriver {
  /** Grouped as Zed groups a buffer's edits (Hearth's history follows the same rule: 1 s, 8 lines). */
  private readonly history = new EditHistory({ now: () => performance.now() });
  constructor(
    private readonly baseUrl: string,
    private readonly options: { maxTokens: number; timeoutMs?: number },
  ) {}

  open(): void {}

  close(file: EditorFile): void {
    this.history.forget(file.uri);
  }

  changed(file: EditorFile, _changes: TextDocumentContentChangeEvent[], before: string, accepted: boolean): void {
    if (accepted) this.history.acceptNext(file.uri);
    this.history.record(file.uri, before, file.text);
  }

  async ask(file: EditorFile, position: Position, signal: AbortSignal): Promise<NextEditAnswer> {
    const events = this.history.events(file.uri);
    const cut = cutWindow(NEXT_EDIT_FORMATS.sweep, { text: file.text, cursor: position, path: file.trace.path, events, related: [], countTokens: () => 0 });
    const prompt = plainSweepPrompt(file.trace.path, events, cut.input.original, cut.input.window);
    const started = performance.now();
    const response = await fetch(new URL("/completion", this.baseUrl), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt, n_predict: this.options.maxTokens, temperature: 0, cache_prompt: true, stop: STOPS, stream: false }),
      signal: AbortSignal.any([signal, AbortSignal.timeout(this.options.timeoutMs ?? 300_000)]),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`llama-server answered /completion with HTTP ${response.status}: ${text.slice(0, 200)}`);
    const answer = JSON.parse(text) as CompletionAnswer;
    const usage = usageFromCompletion(answer, performance.now() - started);
    // Only a window the model finished (an end marker, not the token limit) is a suggestion.
    const finished = answer.stop_type === "eos" || answer.stop_type === "word";
    const suggestion = suggestEdits({ window: cut.input.window, startLine: cut.startLine, cursor: position, original: cut.input.original, updated: finished ? NEXT_EDIT_FORMATS.sweep.parse(answer.content ?? "") : null });
    return { edits: suggestion.edits.map(({ range, newText }) => ({ range, newText })), copied: suggestion.copied, usage };
  }
}
