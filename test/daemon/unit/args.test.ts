import assert from "node:assert/strict";
import { parseArgs, parseFilePosition, parseFileRange, UsageError } from "../../../daemon/src/args.js";

describe("cli args", () => {
  it("parses flags with values, booleans and positionals", () => {
    const args = parseArgs(["a.ts:1:2", "--json", "--model=x.gguf", "--home", "/h"], { boolean: ["json"], value: ["model", "home"] });
    assert.deepEqual(args.positional, ["a.ts:1:2"]);
    assert.equal(args.flags.get("json"), true);
    assert.equal(args.flags.get("model"), "x.gguf");
    assert.equal(args.flags.get("home"), "/h");
  });

  it("rejects unknown and incomplete flags as usage errors", () => {
    assert.throws(() => parseArgs(["--nope"], {}), UsageError);
    assert.throws(() => parseArgs(["--model"], { value: ["model"] }), UsageError);
  });

  it("reads FILE:LINE:COL and FILE:START-END, 1-based", () => {
    assert.deepEqual(parseFilePosition("src/a:b.ts:10:4"), { file: "src/a:b.ts", line: 10, column: 4 });
    assert.throws(() => parseFilePosition("a.ts:0:1"), UsageError);
    assert.deepEqual(parseFileRange("a.ts:3-7"), { file: "a.ts", startLine: 3, endLine: 7 });
    assert.deepEqual(parseFileRange("a.ts"), { file: "a.ts", startLine: null, endLine: null });
    assert.throws(() => parseFileRange("a.ts:7-3"), UsageError);
  });
});
