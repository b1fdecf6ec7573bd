import assert from "node:assert/strict";
import { chunkAround, MAX_CHUNK_LINE_CHARS } from "../../../daemon/src/prompt/context-ring.js";
import { buildFimSegments, fitSegments, MAX_ABOVE_CHARS, MAX_LINE_PREFIX_CHARS, MAX_SUFFIX_CHARS } from "../../../daemon/src/prompt/fim-prompt.js";

describe("fim-prompt", () => {
  it("bounds every segment by characters before anything is tokenized: a 2 MB minified line, a 20,000-line file", () => {
    const minified = `${"var a=1;".repeat(250_000)}\n`;
    const end = buildFimSegments(minified, minified.length - 1);
    assert.ok(end.linePrefix.length === MAX_LINE_PREFIX_CHARS && end.above === "" && end.anchor === minified.length - 1 - MAX_LINE_PREFIX_CHARS, "entered mid-line");
    const middle = buildFimSegments(minified, 1_000_000);
    assert.ok(middle.suffix.length <= MAX_SUFFIX_CHARS && middle.lineSuffix.length <= MAX_SUFFIX_CHARS);
    assert.equal(minified.slice(middle.anchor, 1_000_000), middle.linePrefix, "the middle is the text between anchor and cursor");
    const long = Array.from({ length: 20_000 }, (_, i) => `export const value${i} = "${"v".repeat(i % 200)}";`).join("\n");
    const deep = buildFimSegments(long, long.indexOf("value19000 "));
    assert.ok(deep.above.length <= MAX_ABOVE_CHARS && deep.above.endsWith("\n"), `above ${deep.above.length} chars of whole lines`);
    assert.ok(chunkAround(minified, 0).length <= MAX_CHUNK_LINE_CHARS * 2);
    assert.equal(chunkAround("a\nb\nc\nd", 2, 1), "b\nc");
  });

  it("cuts the top of `above` in the same steps as before, with a handful of tokenizations", () => {
    const text = Array.from({ length: 400 }, (_, i) => `line ${i}`).join("\n") + "\n";
    let calls = 0;
    const words = (t: string): number => (calls++, t.split(/\s+/).filter(Boolean).length);
    const fitted = fitSegments(buildFimSegments(text, text.length), words, 300, 32);
    assert.ok(calls < 30, `${calls} tokenizations`);
    const firstKept = Number(/^line (\d+)/.exec(fitted.above)?.[1]);
    assert.equal(firstKept % 32, 0, `cut in 32-line steps (first kept line ${firstKept})`);
    assert.ok(words(fitted.above) + words(fitted.suffix) <= 300);
  });

  const file = ["import x from 'y';", "", "function add(a, b) {", "  return a + b;", "}", "", "const z = add(1, 2);", ""].join("\n");

  it("puts the cursor line's text before the cursor last, and the rest of the file around it", () => {
    const cursor = file.indexOf("a + b") + 2;
    const s = buildFimSegments(file, cursor);
    assert.equal(s.above, "import x from 'y';\n\nfunction add(a, b) {\n");
    assert.equal(s.linePrefix, "  return a ");
    assert.equal(s.lineSuffix, "+ b;");
    assert.equal(s.suffix, file.slice(cursor));
    assert.equal(s.indent, "  ");
  });

  it("keeps every segment but the line prefix unchanged while typing within a line", () => {
    const base = "function f() {\n  const value = 1;\n  ret\n}\n";
    const at = base.indexOf("ret") + 3;
    const before = buildFimSegments(base, at);
    const typed = base.slice(0, at) + "u" + base.slice(at);
    const after = buildFimSegments(typed, at + 1);
    assert.equal(after.above, before.above);
    assert.equal(after.suffix, before.suffix);
    assert.equal(after.context, before.context);
    assert.equal(after.linePrefix, before.linePrefix + "u");
  });

  it("moves the prefix window's start in steps, so scrolling keeps the cache's first tokens", () => {
    const lines = Array.from({ length: 400 }, (_, i) => `line ${i}`).join("\n");
    const options = { maxPrefixLines: 100, maxSuffixLines: 10, prefixStepLines: 32 };
    const at = (line: number): number => lines.split("\n").slice(0, line).join("\n").length + 1;
    const a = buildFimSegments(lines, at(200), [], options);
    const b = buildFimSegments(lines, at(201), [], options);
    assert.ok(a.above.startsWith("line 96\n"), a.above.slice(0, 20));
    assert.ok(b.above.startsWith("line 96\n"));
    assert.equal(a.suffix.split("\n").length, 12);
  });

  it("places other files' chunks before the file, labelled", () => {
    const s = buildFimSegments("x", 1, [{ name: "src/util.ts", text: "export const one = 1;" }]);
    assert.equal(s.context, "// src/util.ts\nexport const one = 1;\n");
  });

  it("cuts a prompt over budget at the same line while the user types within a line", () => {
    const words = (text: string): number => text.split(/\s+/).filter(Boolean).length;
    const file = Array.from({ length: 60 }, (_, i) => `const value${i} = compute(${i});`).join("\n") + "\nconst typed = ";
    const fit = (extra: string) => {
      const text = file + extra;
      return fitSegments(buildFimSegments(text, text.length), words, 230, 32);
    };
    const first = fit("");
    assert.ok(first.above.length < file.length, "the prompt was cut");
    for (const extra of ["a", "a +", "a + b", "a + b * c", "a + b * c - d / e"]) assert.equal(fit(extra).above, first.above, extra);
  });
});

