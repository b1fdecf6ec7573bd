/**
 * From model output to edits, through the golden cases: each test/fixtures/next-edit/NAME.json
 * holds a document, the user's changes (fed to the edit history as the document sync feeds
 * it), the cursor, the format and what the model wrote; NAME.expected.json the edits the
 * daemon must answer. The case runs the same steps as a request: the history, the window
 * cut for the format, the output parsed at the format's markers, diffed, undo edits dropped,
 * classified. `UPDATE_GOLDEN=1` rewrites the expected files from the current code.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { diffWindow, suggestEdits } from "../../../daemon/src/next-edit/edits.js";
import { NEXT_EDIT_FORMATS } from "../../../daemon/src/next-edit/formats.js";
import { replayGoldenSteps, type GoldenCase } from "../../../daemon/src/next-edit/golden-case.js";
import { cutWindow } from "../../../daemon/src/next-edit/window.js";
import { packageRoot } from "../../../daemon/src/version.js";

const casesDir = path.join(packageRoot(), "test", "fixtures", "next-edit");
const update = process.env.UPDATE_GOLDEN === "1";

function run(c: GoldenCase): unknown {
  const { text, history } = replayGoldenSteps(c, "file:///case");
  const format = NEXT_EDIT_FORMATS[c.format];
  const cut = cutWindow(format, { text, cursor: c.cursor, path: c.path, events: history.events("file:///case"), related: [], countTokens: (t) => Math.ceil(t.length / 3) });
  return suggestEdits({ window: cut.input.window, startLine: cut.startLine, cursor: c.cursor, original: cut.input.original, updated: format.parse(c.output) });
}

describe("next-edit golden cases", () => {
  const names = readdirSync(casesDir)
    .filter((f) => f.endsWith(".json") && !f.endsWith(".expected.json"))
    .map((f) => f.slice(0, -".json".length))
    .sort();
  it("has cases", () => assert.ok(names.length >= 8));
  for (const name of names) {
    const c = JSON.parse(readFileSync(path.join(casesDir, `${name}.json`), "utf8")) as GoldenCase;
    it(`${name}: ${c.description}`, () => {
      const actual = run(c);
      const expectedFile = path.join(casesDir, `${name}.expected.json`);
      if (update) writeFileSync(expectedFile, `${JSON.stringify(actual, null, 2)}\n`);
      assert.ok(existsSync(expectedFile), `${expectedFile} is missing; run with UPDATE_GOLDEN=1 to create it`);
      assert.deepEqual(actual, JSON.parse(readFileSync(expectedFile, "utf8")));
    });
  }
});

describe("next-edit window diff", () => {
  /** Applies offset edits to the window's text: what a client does with them. */
  const apply = (window: string[], updated: string[]): string => {
    const text = window.join("\n");
    let out = "";
    let at = 0;
    for (const edit of diffWindow(window, updated)) {
      out += text.slice(at, edit.start) + edit.newText;
      at = edit.end;
    }
    return out + text.slice(at);
  };
  const cases: [string, string[], string[]][] = [
    ["lines inserted in the middle", ["a", "b", "c"], ["a", "x", "y", "b", "c"]],
    ["the last lines deleted", ["a", "b", "c"], ["a"]],
    ["lines added after the last", ["a", "b"], ["a", "b", "c", "d"]],
    ["the first line deleted", ["a", "b"], ["b"]],
    ["everything replaced", ["a", "b"], ["x"]],
    ["all lines deleted", ["a", "b"], []],
    ["characters within lines, surrogate pairs included", ["const 😀 = 1;", "x"], ["const 😀😀 = 2;", "x"]],
  ];
  for (const [name, window, updated] of cases) {
    it(`${name}: applying the edits gives the model's window`, () => {
      assert.equal(apply(window, updated), updated.join("\n"));
    });
  }
  it("keeps edits minimal: a changed character is one small edit", () => {
    assert.deepEqual(diffWindow(["let total = 0;"], ["let total = 10;"]), [{ start: 12, end: 12, newText: "1" }]);
  });
});
