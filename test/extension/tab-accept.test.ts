/** One Tab accepts: on a blank line the suggestion replaces the whitespace after the cursor. */
import assert from "node:assert/strict";
import { replacedAfterCursor } from "../../extension/src/completion/tab-accept.js";

describe("replacedAfterCursor", () => {
  it("covers the whitespace after the cursor on a blank line when the suggestion brings its own indentation", () => {
    assert.equal(replacedAfterCursor("        ", 0, "        return a + b;", 0), 8);
    assert.equal(replacedAfterCursor("\t\t", 1, "\treturn 1;", 0), 1);
  });

  it("replaces nothing more mid-line, after code, or when the suggestion starts with code", () => {
    assert.equal(replacedAfterCursor("  const x = ", 12, " 1;", 0), 0);
    assert.equal(replacedAfterCursor("    foo(", 8, ")", 1), 1, "the auto-closed bracket it brings stays counted");
    assert.equal(replacedAfterCursor("    ", 0, "return 1;", 0), 0);
    assert.equal(replacedAfterCursor("    ", 4, "    x();", 0), 0, "nothing after the cursor");
  });
});
