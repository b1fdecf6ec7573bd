/** Explain with nothing selected: the function around the cursor, found without a language server. */
import assert from "node:assert/strict";
import { enclosingFunction, isFunctionHeader, paragraphAround } from "../../extension/src/explain/enclosing-block.js";

const ts = [
  "import x from 'y';", // 0
  "", // 1
  "export function outer(a: number): number {", // 2
  "  const f = (b: number) => {", // 3
  "    return b * 2;", // 4
  "  };", // 5
  "  if (a > 1) {", // 6
  "    return f(a);", // 7
  "  }", // 8
  "  return a;", // 9
  "}", // 10
  "", // 11
  "const top = 1;", // 12
];

describe("enclosingFunction", () => {
  it("finds the innermost function whose body holds the cursor", () => {
    assert.deepEqual(enclosingFunction(ts, 4, "typescript"), { startLine: 3, endLine: 5 });
  });

  it("skips a nested function that ended above the cursor", () => {
    assert.deepEqual(enclosingFunction(ts, 7, "typescript"), { startLine: 2, endLine: 10 });
    assert.deepEqual(enclosingFunction(ts, 2, "typescript"), { startLine: 2, endLine: 10 });
  });

  it("falls back to the block of lines around the cursor outside any function", () => {
    assert.deepEqual(enclosingFunction(ts, 12, "typescript"), { startLine: 12, endLine: 12 });
  });

  it("uses indentation for Python", () => {
    const py = ["class A:", "    def run(self, x):", "        y = x + 1", "", "        return y", "", "    def other(self):", "        pass"];
    assert.deepEqual(enclosingFunction(py, 4, "python"), { startLine: 1, endLine: 4 });
  });

  it("ignores braces in strings and comments", () => {
    const code = ["function f() {", '  const s = "}";', "  // }", "  return s;", "}"];
    assert.deepEqual(enclosingFunction(code, 3, "javascript"), { startLine: 0, endLine: 4 });
  });
});

describe("isFunctionHeader", () => {
  it("knows common headers and rejects control flow", () => {
    for (const line of ["function a() {", "async function* g() {", "def f(x):", "pub fn run(&self) -> u8 {", "func main() {", "  public int size() {", "  render(): void {", "const h = async (x) => {"]) {
      assert.ok(isFunctionHeader(line), line);
    }
    for (const line of ["if (x) {", "for (const a of b) {", "while (true) {", "return f(x);"]) assert.ok(!isFunctionHeader(line), line);
  });
});

describe("paragraphAround", () => {
  it("is the run of non-blank lines, or the blank line itself", () => {
    assert.deepEqual(paragraphAround(["a", "b", "", "c"], 1), { startLine: 0, endLine: 1 });
    assert.deepEqual(paragraphAround(["a", "", "c"], 1), { startLine: 1, endLine: 1 });
  });
});
