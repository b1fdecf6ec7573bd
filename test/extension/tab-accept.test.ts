/** One Tab accepts: the indentation the line already has is not suggested again. */
import assert from "node:assert/strict";
import { trimRepeatedIndentation } from "../../extension/src/completion/tab-accept.js";

describe("trimRepeatedIndentation", () => {
  it("drops the line's own indentation from a suggestion that repeats it", () => {
    assert.equal(trimRepeatedIndentation("    ", "    return a + b;"), "return a + b;");
    assert.equal(trimRepeatedIndentation("\t\t", "\t\tif (x) {\n\t\t\ty();\n\t\t}"), "if (x) {\n\t\t\ty();\n\t\t}", "later lines keep theirs");
    assert.equal(trimRepeatedIndentation("  ", "    deeper();"), "  deeper();", "only what the line has is trimmed");
  });

  it("leaves the suggestion alone mid-line, at column 0, or when it does not repeat the indentation", () => {
    assert.equal(trimRepeatedIndentation("  const x = ", " 1;"), " 1;");
    assert.equal(trimRepeatedIndentation("", "    return 1;"), "    return 1;");
    assert.equal(trimRepeatedIndentation("    ", "return 1;"), "return 1;");
    assert.equal(trimRepeatedIndentation("    ", "\treturn 1;"), "\treturn 1;");
    assert.equal(trimRepeatedIndentation("    ", "    "), "    ", "nothing but whitespace would leave nothing to show");
  });
});
