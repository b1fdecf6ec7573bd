import assert from "node:assert/strict";
import { applyChanges, DocumentStore, offsetAt } from "../../../daemon/src/documents.js";
import { HearthError } from "../../../daemon/src/errors.js";
import { ErrorCodes } from "../../../daemon/src/protocol.js";

describe("documents", () => {
  it("maps LSP positions to offsets, clamping past a line's end", () => {
    const text = "ab\ncdé\n";
    assert.equal(offsetAt(text, { line: 1, character: 2 }), 5);
    assert.equal(offsetAt(text, { line: 0, character: 99 }), 2);
    assert.equal(offsetAt(text, { line: 9, character: 0 }), text.length);
  });

  it("applies incremental and full changes in order", () => {
    let text = "hello world\n";
    text = applyChanges(text, [{ range: { start: { line: 0, character: 6 }, end: { line: 0, character: 11 } }, text: "there" }]);
    assert.equal(text, "hello there\n");
    text = applyChanges(text, [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: "x" }, { text: "replaced" }]);
    assert.equal(text, "replaced");
  });

  it("refuses requests about documents that were never opened, with a typed error", () => {
    const store = new DocumentStore();
    assert.throws(
      () => store.require("file:///nope.ts"),
      (e: unknown) => e instanceof HearthError && e.rpcCode === ErrorCodes.DocumentNotOpen && e.hint.includes("didOpen"),
    );
  });
});
