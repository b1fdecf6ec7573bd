import assert from "node:assert/strict";
import { DiffError, parseUnifiedDiff, textsBefore } from "../../../daemon/src/next-edit/unified-diff.js";

const AFTER = "def area(size):\n    return 3.14 * size * size\n\nprint(area(2))\nprint('done')\n";
const DIFF = [
  "--- a/shapes.py",
  "+++ b/shapes.py",
  "@@ -1,2 +1,2 @@",
  "-def area(radius):",
  "-    return 3.14 * radius * radius",
  "+def area(size):",
  "+    return 3.14 * size * size",
  " ",
  "@@ -4,1 +4,2 @@",
  " print(area(2))",
  "+print('done')",
  "",
].join("\n");

describe("next-edit --history diffs", () => {
  it("replays a unified diff's hunks in order, from the text before them to the file now", () => {
    const texts = textsBefore(AFTER, parseUnifiedDiff(DIFF));
    assert.deepEqual(texts, [
      "def area(radius):\n    return 3.14 * radius * radius\n\nprint(area(2))\n",
      "def area(size):\n    return 3.14 * size * size\n\nprint(area(2))\n",
      AFTER,
    ]);
  });

  it("refuses a diff without hunks, and one that does not lead to the file", () => {
    assert.throws(() => parseUnifiedDiff("just text\n"), DiffError);
    assert.throws(() => textsBefore("something else\n", parseUnifiedDiff(DIFF)), /hunk 2 .* does not match/);
  });
});
