/**
 * The text of each document a client has opened, kept in step with LSP incremental sync.
 * Positions are LSP's: zero-based lines and UTF-16 code units, which is what JS strings index.
 *
 * An incremental edit is only right against the exact text it was made on, so versions must
 * follow each other (each didChange one more than the last). A gap, or a change that can't
 * be applied, leaves the document out of sync: its edits are ignored and every request about
 * it answers HEARTH_ERR_DOCUMENT_OUT_OF_SYNC, which tells the client to send the whole text
 * again (didOpen, or a didChange whose change has no range), rather than completing against
 * text that silently diverged from the editor's.
 */
import { HearthError, invalidParams } from "./errors.js";
import { ErrorCodes, Limits, type Position, type TextDocumentContentChangeEvent } from "./protocol.js";

export interface OpenDocument {
  uri: string;
  languageId: string;
  version: number;
  text: string;
}

interface StoredDocument extends OpenDocument {
  /** Why the text can no longer be trusted; null while it follows the editor's. */
  outOfSync: string | null;
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

/**
 * Applies LSP content changes in order. One change is a slice of the text; many (a Replace
 * All sends hundreds in one notification) go through an array of lines, so each costs the
 * lines it touches rather than a copy of the whole document.
 */
export function applyChanges(text: string, changes: readonly TextDocumentContentChangeEvent[]): string {
  if (changes.length <= 1) return applyOneByOne(text, changes);
  const full = changes.map((c) => c.range === undefined).lastIndexOf(true);
  const lines = (full === -1 ? text : (changes[full]?.text ?? "")).split("\n");
  let length = full === -1 ? text.length : (changes[full]?.text.length ?? 0);
  for (const change of full === -1 ? changes : changes.slice(full + 1)) {
    const range = change.range;
    if (range === undefined) continue;
    // LSP clamps: a line past the end means the end, a character past a line's end its end.
    const clamp = (p: Position): [number, number] => (p.line >= lines.length ? [lines.length - 1, (lines[lines.length - 1] ?? "").length] : [p.line, Math.min(p.character, (lines[p.line] ?? "").length)]);
    let [startLine, startChar] = clamp(range.start);
    let [endLine, endChar] = clamp(range.end);
    if (endLine < startLine || (endLine === startLine && endChar < startChar)) [startLine, startChar, endLine, endChar] = [endLine, endChar, startLine, startChar];
    const head = (lines[startLine] ?? "").slice(0, startChar);
    const tail = (lines[endLine] ?? "").slice(endChar);
    let removed = 0;
    for (let l = startLine; l <= endLine; l++) removed += (lines[l] ?? "").length + 1;
    removed -= head.length + tail.length + 1;
    const inserted = `${head}${change.text}${tail}`.split("\n");
    lines.splice(startLine, endLine - startLine + 1, ...inserted);
    length += change.text.length - removed;
    if (length > Limits.maxDocumentChars) throw tooLarge();
  }
  return lines.join("\n");
}

function applyOneByOne(text: string, changes: readonly TextDocumentContentChangeEvent[]): string {
  let result = text;
  for (const change of changes) {
    if (change.range === undefined) {
      result = change.text;
      continue;
    }
    const start = offsetAt(result, change.range.start);
    const end = offsetAt(result, change.range.end);
    result = result.slice(0, Math.min(start, end)) + change.text + result.slice(Math.max(start, end));
    if (result.length > Limits.maxDocumentChars) throw tooLarge();
  }
  return result;
}

function notOpen(uri: string): HearthError {
  return new HearthError(ErrorCodes.DocumentNotOpen, "HEARTH_ERR_DOCUMENT_NOT_OPEN", `Document ${uri} is not open on this connection.`, "Send textDocument/didOpen with the document's text before asking about it.");
}

function tooLarge(): HearthError {
  return invalidParams(`The document grew past ${Limits.maxDocumentChars} characters.`, "Disable Hearth for very large files.");
}

export class DocumentStore {
  private readonly documents = new Map<string, StoredDocument>();

  open(document: OpenDocument): void {
    if (!this.documents.has(document.uri) && this.documents.size >= Limits.maxOpenDocumentsPerClient) {
      throw invalidParams(
        `This client has ${this.documents.size} documents open; the limit is ${Limits.maxOpenDocumentsPerClient}.`,
        "Send textDocument/didClose for documents the editor closed.",
      );
    }
    this.documents.set(document.uri, { ...document, outOfSync: null });
  }

  change(uri: string, version: number, changes: readonly TextDocumentContentChangeEvent[]): void {
    // Not require(): an out-of-sync document must still take the change that resyncs it.
    const document = this.documents.get(uri);
    if (document === undefined) throw notOpen(uri);
    // A change without a range carries the whole text: it brings the document back in sync.
    const full = changes.map((c) => c.range === undefined).lastIndexOf(true);
    if (full === -1 && document.outOfSync !== null) return;
    if (full === -1 && version !== document.version + 1) {
      document.outOfSync = `version ${version} came after ${document.version}`;
      throw invalidParams(`didChange for ${uri}: ${document.outOfSync}; its edits are ignored until the whole text is sent again.`, "Send textDocument/didOpen, or a didChange with the whole text.");
    }
    try {
      document.text = applyChanges(document.text, full === -1 ? changes : changes.slice(full));
      document.version = version;
      document.outOfSync = null;
    } catch (error) {
      document.outOfSync = `a change could not be applied (${error instanceof Error ? error.message : String(error)})`;
      throw error;
    }
  }

  close(uri: string): void {
    this.documents.delete(uri);
  }

  get(uri: string): OpenDocument | undefined {
    return this.documents.get(uri);
  }

  require(uri: string): OpenDocument {
    const document = this.documents.get(uri);
    if (document === undefined) throw notOpen(uri);
    if (document.outOfSync !== null) {
      throw new HearthError(
        ErrorCodes.DocumentOutOfSync,
        "HEARTH_ERR_DOCUMENT_OUT_OF_SYNC",
        `Document ${uri} is out of step with the editor: ${document.outOfSync}.`,
        "Send the whole text again: textDocument/didOpen, or a textDocument/didChange whose one change has no range.",
      );
    }
    return document;
  }

  get size(): number {
    return this.documents.size;
  }
}
