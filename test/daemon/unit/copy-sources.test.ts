/**
 * What a next edit's output is expected to copy: the window as the format writes it, and
 * when the edit in progress renames an identifier, the window with the rename carried
 * through the other uses of the old name (whole words only).
 */
import assert from "node:assert/strict";
import type { NextEditPromptInput } from "../../../daemon/src/next-edit/format.js";
import { NEXT_EDIT_FORMATS } from "../../../daemon/src/next-edit/formats.js";
import { copySources, renameInProgress } from "../../../daemon/src/pipeline/copy-sources.js";

const ORIGINAL = ["function area(radius: number) {", "  const radiusSquared = radius * radius;", "  return Math.PI * radiusSquared;", "}"];

function input(window: string[], original = ORIGINAL): NextEditPromptInput {
  return { path: "a.ts", related: [], history: [], above: [], window, original, cursor: { line: 0, character: 18 }, below: [], atFileStart: true };
}

describe("copy sources for next edits", () => {
  it("finds a rename in progress, widened to whole identifiers", () => {
    assert.deepEqual(renameInProgress(ORIGINAL, ["function area(size: number) {", ...ORIGINAL.slice(1)]), { from: "radius", to: "size" });
    // Only the end of the name changed: still the whole name.
    assert.deepEqual(renameInProgress(["let total = 0;"], ["let totalSum = 0;"]), { from: "total", to: "totalSum" });
    assert.deepEqual(renameInProgress(["let count = 0;"], ["let amount = 0;"]), { from: "count", to: "amount" });
  });

  it("finds none for an edit that is not a rename, for edits on two lines, or for no edit", () => {
    assert.equal(renameInProgress(["let total = 0;"], ["let total = 10;"]), null, "a number");
    assert.equal(renameInProgress(["f(a)"], ["f(a, b)"]), null, "an added argument");
    assert.equal(renameInProgress(["a = 1", "b = 2"], ["x = 1", "y = 2"]), null);
    assert.equal(renameInProgress(ORIGINAL, ORIGINAL), null);
    assert.equal(renameInProgress(["a", "b"], ["a"]), null, "a deleted line");
  });

  it("gives the window as Sweep writes it, then with the rename carried through the other uses (whole words only)", () => {
    const window = ["function area(size: number) {", ...ORIGINAL.slice(1)];
    assert.deepEqual(copySources(NEXT_EDIT_FORMATS.sweep, input(window)), [
      "function area(size: number) {\n  const radiusSquared = radius * radius;\n  return Math.PI * radiusSquared;\n}\n",
      "function area(size: number) {\n  const radiusSquared = size * size;\n  return Math.PI * radiusSquared;\n}\n",
    ]);
  });

  it("gives the window alone when nothing is left to carry, or the edit is no rename", () => {
    assert.deepEqual(copySources(NEXT_EDIT_FORMATS.sweep, input(["let total = 10;"], ["let total = 0;"])), ["let total = 10;\n"]);
    assert.deepEqual(copySources(NEXT_EDIT_FORMATS.sweep, input(["let sum = 0;", "x"], ["let total = 0;", "x"])), ["let sum = 0;\nx\n"], "no other use of the old name");
  });

  it("writes Zeta's region markers and cursor as its output does", () => {
    const window = ["function area(size: number) {", "  return radius;", "}"];
    const [plain, carried] = copySources(NEXT_EDIT_FORMATS.zeta, input(window, ["function area(radius: number) {", "  return radius;", "}"]));
    assert.equal(plain, "<|editable_region_start|>\nfunction area(size<|user_cursor_is_here|>: number) {\n  return radius;\n}\n<|editable_region_end|>");
    assert.equal(carried, "<|editable_region_start|>\nfunction area(size<|user_cursor_is_here|>: number) {\n  return size;\n}\n<|editable_region_end|>");
  });
});
