/** Rules both backends share: what a completion may stream early, and cutting a selection to the context. */
import assert from "node:assert/strict";
import { streamableText } from "../../../daemon/src/prompt/completion-stops.js";
import { fitSelection } from "../../../daemon/src/prompt/explain-prompt.js";

describe("shared generation rules", () => {
  it("streams whole lines only, trailing blanks off", () => {
    assert.equal(streamableText("const a = 1;\n  const b"), "const a = 1;");
    assert.equal(streamableText("one line, not finished"), "one line, not finished");
    assert.equal(streamableText("a\n  \n\nb"), "a");
  });

  it("cuts a selection at a line end until it fits, and says it was cut", () => {
    const code = Array.from({ length: 200 }, (_, i) => `line ${i}`).join("\n");
    const { code: cut, rendered } = fitSelection(code, (c) => `[${c}]`, (r) => r.length, 300);
    assert.ok(rendered.length <= 300, `${rendered.length} characters`);
    assert.ok(cut.endsWith("\n/* … selection truncated … */"));
    assert.ok(cut.startsWith("line 0\nline 1\n"), "the start is kept");
    assert.equal(fitSelection("short", (c) => c, (r) => r.length, 300).code, "short", "a selection that fits stays whole");
  });
});
