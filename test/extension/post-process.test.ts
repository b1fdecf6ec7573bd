/**
 * Post-processing through its golden cases: each folder of test/fixtures/completion holds an
 * input.json (prefix, suffix, raw completion, editor options) and the expected.json the whole
 * pipeline must produce. `UPDATE_GOLDEN=1` rewrites the expected files from the current
 * code (review the diff before committing it).
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { postProcess, type PostProcessInput } from "../../extension/src/completion/post-process.js";
import { packageRoot } from "../../daemon/src/version.js";

const casesDir = path.join(packageRoot(), "test", "fixtures", "completion");
const update = process.env.UPDATE_GOLDEN === "1";

interface GoldenInput extends PostProcessInput {
  description: string;
}

interface GoldenExpected {
  text: string;
  changedBy: string[];
  replaceChars: number;
}

function readInput(file: string): GoldenInput {
  const value: unknown = JSON.parse(readFileSync(file, "utf8"));
  assert.ok(typeof value === "object" && value !== null, `${file}: not an object`);
  const v = value as Record<string, unknown>;
  for (const key of ["description", "prefix", "suffix", "completion", "languageId"]) assert.equal(typeof v[key], "string", `${file}: ${key} must be a string`);
  assert.ok(v.eol === "\n" || v.eol === "\r\n", `${file}: eol must be "\\n" or "\\r\\n"`);
  return value as GoldenInput;
}

describe("post-processing golden cases", () => {
  const cases = readdirSync(casesDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

  it("has cases to run", () => {
    assert.ok(cases.length >= 10, `only ${cases.length} cases in ${casesDir}`);
  });

  for (const name of cases) {
    const inputFile = path.join(casesDir, name, "input.json");
    const expectedFile = path.join(casesDir, name, "expected.json");
    const input = readInput(inputFile);
    it(`${name}: ${input.description}`, () => {
      const actual: GoldenExpected = postProcess(input);
      if (update) {
        writeFileSync(expectedFile, `${JSON.stringify(actual, null, 2)}\n`);
        return;
      }
      assert.ok(existsSync(expectedFile), `${expectedFile} is missing; run with UPDATE_GOLDEN=1 to create it`);
      const expected = JSON.parse(readFileSync(expectedFile, "utf8")) as GoldenExpected;
      assert.deepEqual(actual, expected);
    });
  }
});

describe("postProcess", () => {
  const base: PostProcessInput = { prefix: "", suffix: "", completion: "", languageId: "typescript", insertSpaces: true, tabSize: 2, eol: "\n" };

  it("keeps a plain one-line suggestion as it is", () => {
    assert.deepEqual(postProcess({ ...base, prefix: "const a = ", completion: "1;" }), { text: "1;", changedBy: [], replaceChars: 0 });
  });

  it("never returns text that only repeats what follows the cursor", () => {
    const result = postProcess({ ...base, prefix: "  ", suffix: "return x;\n}", completion: "return x;" });
    assert.equal(result.text, "");
  });
});
