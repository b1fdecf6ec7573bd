/** The LSP bridge's frame guard: messages pass whole however the bytes are cut, one over the limit is skipped as it streams by. */
import assert from "node:assert/strict";
import { EditorFramingError, FrameGuard, type SkippedMessage } from "../../../daemon/src/lsp/frame-guard.js";

function frame(body: string): Buffer {
  const bytes = Buffer.from(body);
  return Buffer.concat([Buffer.from(`Content-Length: ${bytes.length}\r\n\r\n`), bytes]);
}

/** Feeds `input` cut into `size`-byte chunks; returns what passed and what was skipped. */
async function feed(input: Buffer, size: number, maxBytes: number): Promise<{ passed: string; skipped: SkippedMessage[]; error: Error | null }> {
  const skipped: SkippedMessage[] = [];
  const guard = new FrameGuard((s) => skipped.push(s), maxBytes);
  const out: Buffer[] = [];
  let error: Error | null = null;
  guard.on("data", (chunk: Buffer) => out.push(chunk));
  guard.on("error", (e) => (error ??= e));
  for (let at = 0; at < input.length && !guard.destroyed; at += size) {
    guard.write(input.subarray(at, at + size));
    // A transform's error is emitted on a later tick.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { passed: Buffer.concat(out).toString(), skipped, error };
}

describe("LSP frame guard", () => {
  const small = '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}';
  const big = `{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///p/big.ts","text":"${"x".repeat(5000)}"}}}`;
  const request = `{"jsonrpc":"2.0","id":"r7","method":"workspace/executeCommand","params":{"x":"${"y".repeat(5000)}"}}`;
  const stream = Buffer.concat([frame(small), frame(big), frame(request), frame(small)]);

  for (const size of [1, 7, 100, 4096, stream.length]) {
    it(`passes small messages whole and skips large ones, in ${size}-byte chunks`, async () => {
      const { passed, skipped, error } = await feed(stream, size, 1000);
      assert.equal(error, null);
      assert.equal(passed, Buffer.concat([frame(small), frame(small)]).toString());
      assert.deepEqual(skipped, [
        { bytes: Buffer.byteLength(big), method: "textDocument/didOpen", uri: "file:///p/big.ts", id: null },
        { bytes: Buffer.byteLength(request), method: "workspace/executeCommand", uri: null, id: "r7" },
      ]);
    });
  }

  it("tells of a message claiming 2 GB once its first bytes are in, keeping none of the rest", async () => {
    const head = Buffer.from('Content-Length: 2147483648\r\n\r\n{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///p/a.ts"');
    const { passed, skipped } = await feed(Buffer.concat([head, Buffer.alloc(8192, "z")]), 1024, 1000);
    assert.equal(passed, "");
    assert.deepEqual(skipped, [{ bytes: 2147483648, method: "textDocument/didChange", uri: "file:///p/a.ts", id: null }]);
  });

  it("fails on a header it can't frame: no Content-Length, or no end", async () => {
    const none = (await feed(Buffer.from("Content-Type: x\r\n\r\n{}"), 5, 1000)).error;
    assert.ok(none instanceof EditorFramingError && /without Content-Length/.test(none.message));
    const endless = (await feed(Buffer.alloc(10_000, "a"), 512, 1000)).error;
    assert.ok(endless instanceof EditorFramingError && /without the blank line/.test(endless.message));
  });
});
