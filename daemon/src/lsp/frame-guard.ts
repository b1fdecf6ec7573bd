/**
 * What the editor writes to `hearth lsp --stdio`, bounded before vscode-jsonrpc reads it.
 * Its reader buffers a message whole, however large its Content-Length says it is: a header
 * claiming 2 GB would have the bridge hold whatever follows. The guard reads each header
 * itself and passes a message through as it arrives when it is within the limit; a larger
 * one is skipped as it streams by (nothing of it is kept but its first bytes, which name the
 * document it was about), and the bridge tells the editor. Headers that are not LSP's (no
 * Content-Length, or endless) leave no way to find the next message: the guard fails.
 */
import { Transform, type TransformCallback } from "node:stream";

/** Largest message from the editor the bridge reads: above the daemon's own limits, so a big document's didOpen is seen and kept out of sync rather than lost. */
export const MAX_EDITOR_MESSAGE_BYTES = 64 * 1024 * 1024;
/** Largest header section (LSP sends two short lines). */
const MAX_HEADER_BYTES = 8 * 1024;
/** Kept of a skipped message: enough for its method and its document's URI. */
const HEAD_BYTES = 4096;

/** A message the guard skipped: its declared size, and what its first bytes said. */
export interface SkippedMessage {
  bytes: number;
  method: string | null;
  uri: string | null;
  id: number | string | null;
}

export class EditorFramingError extends Error {
  readonly code = "HEARTH_ERR_LSP_FRAMING";
}

export class FrameGuard extends Transform {
  private header = Buffer.alloc(0);
  /** Body bytes still to pass (or skip) of the current message; null while reading a header. */
  private remaining: number | null = null;
  private skipping: { bytes: number; head: Buffer[]; headBytes: number; told: boolean } | null = null;

  constructor(
    private readonly onSkipped: (skipped: SkippedMessage) => void,
    private readonly maxBytes = MAX_EDITOR_MESSAGE_BYTES,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(chunk);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  private consume(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.remaining === null) {
        at = this.readHeader(chunk, at);
        continue;
      }
      const part = chunk.subarray(at, at + this.remaining);
      at += part.length;
      this.remaining -= part.length;
      if (this.skipping) {
        if (this.skipping.headBytes < HEAD_BYTES) {
          this.skipping.head.push(part.subarray(0, HEAD_BYTES - this.skipping.headBytes));
          this.skipping.headBytes += Math.min(part.length, HEAD_BYTES - this.skipping.headBytes);
          // The editor hears as soon as the head says what the message was, not after gigabytes.
          if (this.skipping.headBytes >= HEAD_BYTES) this.tell(this.skipping);
        }
      } else {
        this.push(part);
      }
      if (this.remaining === 0) this.endMessage();
    }
  }

  /** Reads header bytes from `at`; returns where the body starts (or the chunk's end). */
  private readHeader(chunk: Buffer, at: number): number {
    const before = this.header.length;
    this.header = Buffer.concat([this.header, chunk.subarray(at)]);
    const end = this.header.indexOf("\r\n\r\n");
    if (end === -1 || end > MAX_HEADER_BYTES) {
      if (this.header.length > MAX_HEADER_BYTES) throw new EditorFramingError(`the editor sent ${this.header.length} bytes without the blank line that ends an LSP header`);
      return chunk.length;
    }
    const text = this.header.subarray(0, end).toString("ascii");
    const match = /^content-length:\s*(\d{1,15})\s*$/im.exec(text);
    if (!match?.[1]) throw new EditorFramingError(`the editor sent a header without Content-Length: ${JSON.stringify(text.slice(0, 200))}`);
    const bytes = Number(match[1]);
    const headerEnd = end + 4;
    if (bytes > this.maxBytes) {
      this.skipping = { bytes, head: [], headBytes: 0, told: false };
    } else {
      this.push(this.header.subarray(0, headerEnd));
    }
    this.header = Buffer.alloc(0);
    this.remaining = bytes;
    if (bytes === 0) this.endMessage();
    // The body starts in this chunk after the header's bytes that came from it.
    return at + (headerEnd - before);
  }

  private endMessage(): void {
    this.remaining = null;
    const skipped = this.skipping;
    this.skipping = null;
    if (skipped) this.tell(skipped);
  }

  private tell(skipped: NonNullable<FrameGuard["skipping"]>): void {
    if (skipped.told) return;
    skipped.told = true;
    this.onSkipped({ bytes: skipped.bytes, ...describe(Buffer.concat(skipped.head).toString("utf8")) });
  }
}

/** The method, the request id and the document URI a message's first bytes name, where they do. */
function describe(head: string): Omit<SkippedMessage, "bytes"> {
  const method = /"method"\s*:\s*"([^"\\]{1,200})"/.exec(head)?.[1] ?? null;
  const uriMatch = /"uri"\s*:\s*("(?:[^"\\]|\\.){1,4096}")/.exec(head)?.[1];
  let uri: string | null = null;
  try {
    uri = uriMatch ? (JSON.parse(uriMatch) as string) : null;
  } catch {
    uri = null;
  }
  // The id only where it comes before the params (as editors write it): one inside them is not the message's.
  const params = head.indexOf('"params"');
  const idMatch = /"id"\s*:\s*(\d{1,15}|"[^"\\]{0,200}")/.exec(params === -1 ? head : head.slice(0, params));
  const id = idMatch?.[1] ? (idMatch[1].startsWith('"') ? idMatch[1].slice(1, -1) : Number(idMatch[1])) : null;
  return { method, uri, id };
}
