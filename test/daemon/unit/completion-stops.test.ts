import assert from "node:assert/strict";
import { decideStop, finalText, pickMode, type StopContext } from "../../../daemon/src/prompt/completion-stops.js";

const block = (indent: string, nextSuffixLine = ""): StopContext => ({ mode: "block", indent, nextSuffixLine, maxLines: 16 });

describe("completion-stops", () => {
  it("picks line mode mid-line and block mode at a line's end", () => {
    assert.equal(pickMode("b);", "auto"), "line");
    assert.equal(pickMode("   ", "auto"), "block");
    assert.equal(pickMode("b);", "block"), "block");
  });

  it("ends a line-mode completion at the first newline", () => {
    assert.deepEqual(decideStop("a + b", { ...block(""), mode: "line" }), { text: "a + b", stop: false });
    assert.deepEqual(decideStop("a + b;\nnext", { ...block(""), mode: "line" }), { text: "a + b;", stop: true });
  });

  it("stops a block when the code leaves the cursor's block", () => {
    const generated = " {\n    return 1;\n  }\n}\n";
    assert.deepEqual(decideStop(generated, block("  ")), { text: " {\n    return 1;\n  }", stop: true });
  });

  it("keeps a closing line at the cursor's level after deeper lines, and stops there", () => {
    const generated = "if (x) {\n  y();\n}\nconst later = 1;\n";
    assert.deepEqual(decideStop(generated, block("")), { text: "if (x) {\n  y();\n}", stop: true });
  });

  it("stops before repeating the suffix's next line", () => {
    const generated = "a = 1;\nreturn a;\n";
    assert.deepEqual(decideStop(generated, block("", "return a;")), { text: "a = 1;", stop: true });
  });

  it("stops at the first repeated line", () => {
    assert.deepEqual(decideStop("x++;\n    return x;\n    return x;\n", block("    ")), { text: "x++;\n    return x;", stop: true });
  });

  it("does not stop on a line that is still being generated", () => {
    assert.equal(decideStop("x = 1;\n}", block("  ")).stop, false);
  });

  it("trims trailing blank lines from the final text", () => {
    assert.equal(finalText("x = 1;\n\n", block("")), "x = 1;");
  });
});
