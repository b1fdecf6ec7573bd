/** The held prompt layout and the prompt plan, as data: a character-per-token tokenizer. */
import assert from "node:assert/strict";
import { planCompletionPrompt, type HeadParts, type PromptPlan, type PromptRequest } from "../../../daemon/src/prompt/completion-prompt.js";
import { commentedChunks } from "../../../daemon/src/prompt/fim-templates.js";
import { continueLayout, cursorLine, heldLayoutFrom, MAX_HELD_LINES, parseSavedLayout, savedLayoutOf } from "../../../daemon/src/prompt/prompt-layout.js";

/** A PSM head in made-up token ids: -1 prefix, -2 suffix, -3 middle. */
const renderHead = (parts: HeadParts): number[] => [-1, ...tokenize(commentedChunks(parts.chunks, "typescript") + parts.above), -2, ...tokenize(parts.suffix), -3];
const tokenize = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

/** What a sequence holding `held` tokens would still have to evaluate of `prompt`. */
function uncachedAgainst(held: readonly number[]): (prompt: readonly number[]) => number {
  return (prompt) => {
    let same = 0;
    while (same < prompt.length && same < held.length && prompt[same] === held[same]) same++;
    return prompt.length - same;
  };
}

function plan(over: Partial<PromptRequest<number>> & Pick<PromptRequest<number>, "text" | "cursor">): Promise<PromptPlan<number>> {
  return planCompletionPrompt<number>({ chunks: [], renderHead, tokenize, countTokens: (text) => text.length, maxPromptTokens: 100_000, coldLimit: Number.POSITIVE_INFINITY, uncached: () => Number.MAX_SAFE_INTEGER, held: [], renew: false, ...over });
}

const FILE = Array.from({ length: 40 }, (_, i) => `line ${i} of the file`).join("\n") + "\n";
const AT = FILE.indexOf("line 20");

function typeAt(text: string, cursor: number, typed: string): { text: string; cursor: number } {
  return { text: text.slice(0, cursor) + typed + text.slice(cursor), cursor: cursor + typed.length };
}

describe("held prompt layout", () => {
  it("keeps the head and puts the lines typed since after the middle token", async () => {
    const first = await plan({ text: FILE, cursor: AT });
    assert.equal(first.how, "fresh");
    const typed = typeAt(FILE, AT, "const a = 1;\n  const b");
    const next = await plan({ ...typed, held: [first.layout], uncached: uncachedAgainst(first.prompt) });
    assert.equal(next.how, "held");
    assert.deepEqual(next.prompt.slice(0, first.layout.head.length), [...first.layout.head], "the head is untouched");
    assert.deepEqual(next.prompt.slice(first.layout.head.length), tokenize("const a = 1;\n  const b"));
    assert.equal(uncachedAgainst(first.prompt)(next.prompt), tokenize("const a = 1;\n  const b").length);
  });

  it("lays out anew when the cursor leaves the typed block or the held text changes", async () => {
    const first = await plan({ text: FILE, cursor: AT });
    const cases: [string, string, number][] = [
      ["cursor above the anchor", FILE, AT - 3],
      ["cursor moved back into the typed text", typeAt(FILE, AT, "abc").text, AT + 1],
      ["edit above", FILE.replace("line 5 ", "line five "), AT + 3],
      ["edit in the suffix", FILE.replace("line 25", "line XX"), AT],
    ];
    for (const [what, text, cursor] of cases) {
      assert.equal(continueLayout(first.layout, text, cursor, "").kind, "moved", what);
      assert.equal((await plan({ text, cursor, held: [first.layout] })).how, "fresh", what);
    }
    assert.equal(continueLayout(first.layout, FILE, AT, "// other.ts\nx\n").kind, "moved", "new context chunks");
  });

  it("stays held across an auto-closed bracket: typed into, then typed over", async () => {
    const first = await plan({ text: FILE, cursor: AT });
    // The editor inserts "()" for "(" and leaves the cursor between them.
    const opened = typeAt(FILE, AT, "call(");
    const withCloser = { text: `${opened.text.slice(0, opened.cursor)})${opened.text.slice(opened.cursor)}`, cursor: opened.cursor };
    assert.deepEqual(continueLayout(first.layout, withCloser.text, withCloser.cursor, ""), { kind: "held", middle: "call(" });
    const inside = typeAt(withCloser.text, withCloser.cursor, "x");
    assert.deepEqual(continueLayout(first.layout, inside.text, inside.cursor, ""), { kind: "held", middle: "call(x" });
    // Typing ")" over the closer moves the cursor past it: the middle now holds it, the suffix follows.
    assert.deepEqual(continueLayout(first.layout, inside.text, inside.cursor + 1, ""), { kind: "held", middle: "call(x)" });
    const other = typeAt(FILE, AT, "a");
    assert.equal(continueLayout(first.layout, `${other.text.slice(0, other.cursor)}b${other.text.slice(other.cursor)}`, other.cursor, "").kind, "moved", "other text after the cursor is an edit in the suffix");
  });

  it("renews at the held cut once the typed block passes its bound", async () => {
    const first = await plan({ text: FILE, cursor: AT, maxPromptTokens: 700 });
    const many = typeAt(FILE, AT, "x;\n".repeat(MAX_HELD_LINES + 1));
    assert.equal(continueLayout(first.layout, many.text, many.cursor, "").kind, "overflow");
    const next = await plan({ ...many, maxPromptTokens: 700, held: [first.layout], coldLimit: 1 });
    assert.equal(next.how, "overflow");
    assert.equal(next.layout.budget, first.layout.budget, "the cut holds: no search on a keystroke");
  });

  it("renews when the prompt would outgrow the context", async () => {
    const first = await plan({ text: FILE, cursor: AT });
    const long = typeAt(FILE, AT, "y".repeat(50));
    assert.equal((await plan({ ...long, held: [first.layout], maxPromptTokens: first.prompt.length + 10 })).how, "overflow");
  });

  it("picks the held layout the sequence holds more of (a warm-up cut short)", async () => {
    const old = await plan({ text: FILE, cursor: AT });
    const typed = typeAt(FILE, AT, "done();\n");
    const renewed = await plan({ ...typed, renew: true });
    assert.equal(renewed.how, "fresh");
    const both = [renewed.layout, old.layout];
    // The sequence still holds the old prompt plus the typed line: the old layout is cheaper.
    const heldOld = [...old.prompt, ...tokenize("done();\n")];
    assert.equal((await plan({ ...typed, held: both, uncached: uncachedAgainst(heldOld) })).layout, old.layout);
    assert.equal((await plan({ ...typed, held: both, uncached: uncachedAgainst(renewed.prompt) })).layout, renewed.layout);
  });

  it("searches the prefill-budget cut only when laying out anew", async () => {
    const cut = await plan({ text: FILE, cursor: AT, maxPromptTokens: 2000, coldLimit: 512 });
    assert.ok(cut.prompt.length <= 512, `cut to ${cut.prompt.length}`);
    assert.equal(cut.layout.budget, 512);
    const typed = typeAt(FILE, AT, "z\n");
    // A keystroke keeps the cut even where the cache would afford a bigger one.
    assert.equal((await plan({ ...typed, maxPromptTokens: 2000, coldLimit: 4096, held: [cut.layout], uncached: uncachedAgainst(cut.prompt) })).layout, cut.layout);
    // At idle the cut may grow back.
    assert.ok((await plan({ ...typed, maxPromptTokens: 2000, coldLimit: 4096, held: [cut.layout], renew: true })).prompt.length > 512);
  });

  it("round-trips a layout through its saved form over the state's tokens, and refuses a malformed one", async () => {
    const first = await plan({ text: FILE, cursor: AT });
    const saved = parseSavedLayout(JSON.parse(JSON.stringify(savedLayoutOf(first.layout))));
    assert.ok(saved);
    const back = heldLayoutFrom(saved, [...first.prompt, 1, 2, 3]);
    assert.deepEqual(back, first.layout);
    assert.equal(heldLayoutFrom(saved, first.prompt.slice(0, 3)), null, "more head than the state holds");
    for (const bad of [null, 42, { ...saved, anchor: -1 }, { ...saved, headLength: 1.5 }, { ...saved, above: 7 }, { ...saved, suffix: "x".repeat(2 * 1024 * 1024) }]) {
      assert.equal(parseSavedLayout(bad), null, JSON.stringify(bad).slice(0, 60));
    }
  });

  it("reads the cursor line for the stop rules", async () => {
    assert.deepEqual(cursorLine("a\n    foo(bar)\n", 9), { lineSuffix: "(bar)", indent: "    " });
    assert.deepEqual(cursorLine("x", 1), { lineSuffix: "", indent: "" });
  });
});
