/** An editor's view of one open document in a real daemon: its text, version and cursor; keystrokes and completion requests as an editor sends them. */
import type { HearthClient, StreamHooks } from "../../daemon/src/client/hearth-client.js";
import type { InlineCompletionList, Position } from "../../daemon/src/protocol.js";

export function positionAt(text: string, offset: number): Position {
  const before = text.slice(0, offset);
  const line = before.split("\n").length - 1;
  return { line, character: offset - (before.lastIndexOf("\n") + 1) };
}

export class Editor {
  version = 1;
  constructor(
    readonly client: HearthClient,
    readonly uri: string,
    public text: string,
    public cursor: number,
  ) {}

  static async open(client: HearthClient, uri: string, text: string, cursor: number): Promise<Editor> {
    await client.open({ uri, languageId: "typescript", version: 1, text });
    return new Editor(client, uri, text, cursor);
  }

  /** Inserts `typed` at the cursor as one change, as a keystroke (or two) does. */
  async type(typed: string): Promise<void> {
    const position = positionAt(this.text, this.cursor);
    this.text = this.text.slice(0, this.cursor) + typed + this.text.slice(this.cursor);
    this.cursor += typed.length;
    this.version++;
    await this.client.change({ textDocument: { uri: this.uri, version: this.version }, contentChanges: [{ range: { start: position, end: position }, text: typed }] });
  }

  complete(maxTokens = 8, hooks: StreamHooks = {}): Promise<InlineCompletionList> {
    return this.client.complete({ textDocument: { uri: this.uri }, position: positionAt(this.text, this.cursor), context: { triggerKind: 2 }, hearth: { maxTokens, mode: "auto" } }, hooks);
  }
}

