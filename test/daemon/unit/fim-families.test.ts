/** The FIM families no bundled vocabulary carries (Codestral, CodeGemma), as rendered text. */
import assert from "node:assert/strict";
import { FIM_FAMILIES, renderHead, renderText, type FimParts } from "../../../daemon/src/prompt/fim-templates.js";

const PARTS: FimParts = {
  chunks: [{ name: "util/math.py", text: "def clamp(x):\n    return x\n" }],
  above: "import math\n",
  suffix: "\nprint(1)\n",
  languageId: "python",
  fileName: "geometry.py",
  repoName: "shapes",
};

describe("FIM families rendered", () => {
  it("codestral: suffix first, then the prefix the middle continues; chunks as comments in the file's language", () => {
    const text = renderText(renderHead(FIM_FAMILIES.codestral, PARTS));
    assert.equal(text, "[SUFFIX]\nprint(1)\n[PREFIX]# util/math.py\ndef clamp(x):\n    return x\nimport math\n");
  });

  it("codegemma: prefix, suffix, middle; other files as <|file_separator|> entries before the current one", () => {
    const text = renderText(renderHead(FIM_FAMILIES.codegemma, PARTS));
    assert.equal(text, "<|file_separator|>util/math.py\ndef clamp(x):\n    return x\n<|file_separator|>geometry.py\n<|fim_prefix|>import math\n<|fim_suffix|>\nprint(1)\n<|fim_middle|>");
  });
});
