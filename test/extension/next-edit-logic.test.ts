/** Next-edit suggestions without VS Code: presentation, hint wording, applying the edits. */
import assert from "node:assert/strict";
import { applyEdits, displayOf, isInsertionAt, jumpHint, presentationOf, previewText, type PlainEdit } from "../../extension/src/next-edit/next-edit-logic.js";

const at = (line: number, character: number) => ({ line, character });
const edit = (sl: number, sc: number, el: number, ec: number, newText: string): PlainEdit => ({ range: { start: at(sl, sc), end: at(el, ec) }, newText });

describe("next-edit logic", () => {
  it("applies edits in document order, across lines, keeping the rest", () => {
    const text = "function area(radius) {\n  return radius * radius;\n}\n";
    const edits = [edit(0, 14, 0, 20, "size"), edit(1, 9, 1, 15, "size"), edit(1, 18, 1, 24, "size")];
    assert.equal(applyEdits(text, edits), "function area(size) {\n  return size * size;\n}\n");
    assert.equal(applyEdits("a\nb\nc", [edit(0, 1, 2, 0, "-")]), "a-c");
    assert.equal(applyEdits("x", [edit(0, 1, 0, 1, "\ny")]), "x\ny");
    assert.equal(applyEdits("same", []), "same");
  });

  it("counts characters on CRLF lines without the line break", () => {
    assert.equal(applyEdits("ab\r\ncd\r\n", [edit(1, 0, 1, 2, "XY")]), "ab\r\nXY\r\n");
    assert.throws(() => applyEdits("ab\r\ncd", [edit(0, 3, 0, 3, "!")]), RangeError);
  });

  it("refuses edits that overlap, run backwards or point past the text", () => {
    assert.throws(() => applyEdits("abcdef", [edit(0, 2, 0, 4, "x"), edit(0, 3, 0, 5, "y")]), /overlap/);
    assert.throws(() => applyEdits("abc", [edit(0, 2, 0, 1, "x")]), RangeError);
    assert.throws(() => applyEdits("abc", [edit(3, 0, 3, 0, "x")]), /past the end/);
    assert.throws(() => applyEdits("abc", [edit(0, 4, 0, 4, "x")]), /past the end/);
  });

  it("draws an edit within two lines beside the cursor and a farther one behind a jump hint", () => {
    assert.equal(presentationOf([edit(5, 0, 5, 3, "x")], 5), "beside");
    assert.equal(presentationOf([edit(7, 0, 7, 3, "x")], 5), "beside");
    assert.equal(presentationOf([edit(8, 0, 8, 3, "x")], 5), "jump");
    assert.equal(presentationOf([edit(5, 0, 5, 0, "x"), edit(20, 0, 20, 1, "y")], 5), "jump", "one far edit makes it a jump");
    assert.equal(presentationOf([], 5), "beside");
    assert.equal(presentationOf([edit(0, 0, 9, 0, "x")], 5), "beside", "an edit around the cursor's line is not away from it");
    assert.equal(presentationOf([edit(0, 0, 2, 0, "")], 5), "jump", "three lines above");
    assert.equal(presentationOf([edit(0, 0, 2, 0, ""), edit(2, 9, 9, 0, "")], 5), "jump", "the far one decides, though another holds the cursor");
  });

  it("words the jump hint with the 1-based line the gutter shows", () => {
    assert.equal(jumpHint(0), "→ line 1 · Tab");
    assert.equal(jumpHint(41), "→ line 42 · Tab");
  });

  it("previews new text on one line, bounded", () => {
    assert.equal(previewText("a\nb"), "a ⏎ b");
    assert.equal(previewText("x".repeat(10), 5), "xxxx…");
  });

  it("knows an insertion at the cursor from any other edit", () => {
    assert.equal(isInsertionAt([edit(2, 4, 2, 4, "foo")], at(2, 4)), true);
    assert.equal(isInsertionAt([edit(2, 4, 2, 5, "foo")], at(2, 4)), false);
    assert.equal(isInsertionAt([edit(2, 4, 2, 4, "foo")], at(2, 5)), false);
    assert.equal(isInsertionAt([edit(2, 4, 2, 4, "")], at(2, 4)), false);
    assert.equal(isInsertionAt([edit(2, 4, 2, 4, "a"), edit(3, 0, 3, 0, "b")], at(2, 4)), false);
  });

  it("draws one insertion at the cursor as ghost text, anything else as decorations", () => {
    assert.equal(displayOf([edit(2, 4, 2, 4, "foo")], at(2, 4)), "ghost");
    assert.equal(displayOf([edit(2, 4, 2, 4, "foo\nbar")], at(2, 4)), "ghost", "a multi-line insertion too");
    assert.equal(displayOf([edit(2, 4, 2, 4, "foo")], at(2, 3)), "beside", "one character off the cursor");
    assert.equal(displayOf([edit(2, 4, 2, 5, "foo")], at(2, 4)), "beside", "a replacement");
    assert.equal(displayOf([edit(9, 0, 9, 0, "foo")], at(2, 4)), "jump");
  });
});
