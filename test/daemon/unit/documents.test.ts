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

  it("goes out of sync on a version gap, ignores edits until the whole text comes again", () => {
    const store = new DocumentStore();
    store.open({ uri: "file:///a.ts", languageId: "typescript", version: 1, text: "one\n" });
    const insert = (text: string) => [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text }];
    store.change("file:///a.ts", 2, insert("a"));
    assert.equal(store.require("file:///a.ts").text, "aone\n");
    assert.throws(() => store.change("file:///a.ts", 4, insert("b")), /version 4 came after 2/);
    store.change("file:///a.ts", 5, insert("c"));
    const outOfSync = (e: unknown) => e instanceof HearthError && e.rpcCode === ErrorCodes.DocumentOutOfSync && e.hint.includes("whole text");
    assert.throws(() => store.require("file:///a.ts"), outOfSync);
    store.change("file:///a.ts", 6, [{ text: "fresh\n" }]);
    assert.equal(store.require("file:///a.ts").text, "fresh\n");
    store.change("file:///a.ts", 7, insert("x"));
    assert.equal(store.require("file:///a.ts").text, "xfresh\n");
  });

  it("applies a batch of changes (a Replace All) exactly as one at a time, past-the-end ranges included", () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const start = Array.from({ length: 200 }, (_, i) => `line ${i} ${"x".repeat(random(30))}`).join("\n");
    const changes = Array.from({ length: 1000 }, () => {
      const a = { line: random(210), character: random(40) };
      const b = { line: a.line + random(3), character: random(40) };
      return { range: { start: a, end: b }, text: ["", "y", "z\n", "\nw\n"][random(4)] ?? "" };
    });
    let oneByOne = start;
    for (const change of changes) oneByOne = applyChanges(oneByOne, [change]);
    assert.equal(applyChanges(start, changes), oneByOne);
    assert.equal(applyChanges(start, [...changes.slice(0, 10), { text: "reset\n" }, ...changes.slice(10, 20)]), changes.slice(10, 20).reduce((t, c) => applyChanges(t, [c]), "reset\n"));
  });

  it("refuses requests about documents that were never opened, with a typed error", () => {
    const store = new DocumentStore();
    assert.throws(
      () => store.require("file:///nope.ts"),
      (e: unknown) => e instanceof HearthError && e.rpcCode === ErrorCodes.DocumentNotOpen && e.hint.includes("didOpen"),
    );
  });
});
