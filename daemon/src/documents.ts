/**
 * The text of each document a client has opened, kept in step with LSP incremental sync.
 * Positions are LSP's: zero-based lines and UTF-16 code units, which is what JS strings index.
 */
import { HearthError, invalidParams } from "./errors.js";
import { ErrorCodes, Limits, type Position, type TextDocumentContentChangeEvent } from "./protocol.js";

export interface OpenDocument {
  uri: string;
  languageId: string;
  version: number;
  text: string;
}

/** Offset of a position, clamped as LSP asks: past a line's end means the line's end. */
export function offsetAt(text: string, position: Position): number {
  let offset = 0;
  for (let line = 0; line < position.line; line++) {
    const next = text.indexOf("\n", offset);
    if (next === -1) return text.length;
    offset = next + 1;
  }
  const lineEnd = text.indexOf("\n", offset);
  const end = lineEnd === -1 ? text.length : lineEnd;
  return Math.min(offset + position.character, end);
}

export function applyChanges(text: string, changes: readonly TextDocumentContentChangeEvent[]): string {
  let result = text;
  for (const change of changes) {
    if (change.range === undefined) {
      result = change.text;
      continue;
    }
    const start = offsetAt(result, change.range.start);
    const end = offsetAt(result, change.range.end);
    result = result.slice(0, start) + change.text + result.slice(end);
    if (result.length > Limits.maxDocumentChars) {
      throw invalidParams(`The document grew past ${Limits.maxDocumentChars} characters.`, "Disable Hearth for very large files.");
    }
  }
  return result;
}

export class DocumentStore {
  private readonly documents = new Map<string, OpenDocument>();

  open(document: OpenDocument): void {
    if (!this.documents.has(document.uri) && this.documents.size >= Limits.maxOpenDocumentsPerClient) {
      throw invalidParams(
        `This client has ${this.documents.size} documents open; the limit is ${Limits.maxOpenDocumentsPerClient}.`,
        "Send textDocument/didClose for documents the editor closed.",
      );
    }
    this.documents.set(document.uri, { ...document });
  }

  change(uri: string, version: number, changes: readonly TextDocumentContentChangeEvent[]): void {
    const document = this.require(uri);
    document.text = applyChanges(document.text, changes);
    document.version = version;
  }

  close(uri: string): void {
    this.documents.delete(uri);
  }

  get(uri: string): OpenDocument | undefined {
    return this.documents.get(uri);
  }

  require(uri: string): OpenDocument {
    const document = this.documents.get(uri);
    if (document === undefined) {
      throw new HearthError(
        ErrorCodes.DocumentNotOpen,
        "HEARTH_ERR_DOCUMENT_NOT_OPEN",
        `Document ${uri} is not open on this connection.`,
        "Send textDocument/didOpen with the document's text before asking about it.",
      );
    }
    return document;
  }

  get size(): number {
    return this.documents.size;
  }
}
