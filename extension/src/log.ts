/**
 * The extension's log: one LogOutputChannel named "Hearth" (rust-analyzer's `Log`). Errors
 * are logged, not shown: the places that must tell the user something show a message with
 * what to do themselves, and point at this channel.
 */
import * as vscode from "vscode";

/** Lines kept in memory for `recent()` (diagnostics and the tests' failure reports). */
const RECENT_LINES = 400;

export class Log implements vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;
  private readonly lines: string[] = [];
  private disposed = false;

  constructor(name = "Hearth") {
    this.channel = vscode.window.createOutputChannel(name, { log: true });
  }

  trace(message: string): void {
    this.keep("trace", message);
    this.channel.trace(message);
  }

  debug(message: string): void {
    this.keep("debug", message);
    this.channel.debug(message);
  }

  info(message: string): void {
    this.keep("info", message);
    this.channel.info(message);
  }

  warn(message: string): void {
    this.keep("warn", message);
    this.channel.warn(message);
  }

  error(message: string, error?: unknown): void {
    const line = error === undefined ? message : `${message}: ${describeError(error)}`;
    this.keep("error", line);
    this.channel.error(line);
  }

  /** The last lines logged, every level included, oldest first. */
  recent(): string[] {
    return [...this.lines];
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.channel.dispose();
  }

  private keep(level: string, message: string): void {
    this.lines.push(`${new Date().toISOString()} [${level}] ${message}`);
    if (this.lines.length > RECENT_LINES) this.lines.splice(0, this.lines.length - RECENT_LINES);
  }
}

/** One line for any thrown value: a JSON-RPC error's message and Hearth's hint when it has one. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const hint = hintOf(error);
    return hint ? `${error.message} (${hint})` : error.message;
  }
  return String(error);
}

/** The `hint` a Hearth ResponseError carries in its data, if any. */
export function hintOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("data" in error)) return undefined;
  const data: unknown = (error as { data: unknown }).data;
  if (typeof data === "object" && data !== null && "hint" in data) {
    const hint: unknown = (data as { hint: unknown }).hint;
    if (typeof hint === "string") return hint;
  }
  return undefined;
}
