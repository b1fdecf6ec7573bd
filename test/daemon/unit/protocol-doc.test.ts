/** docs/protocol.md documents exactly the methods and error codes protocol.ts defines. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ErrorCodes, HEARTH_METHODS, ModelProgressNotification } from "../../../daemon/src/protocol.js";
import { packageRoot } from "../../../daemon/src/version.js";

describe("docs/protocol.md", () => {
  const doc = readFileSync(path.join(packageRoot(), "docs", "protocol.md"), "utf8");

  it("has a section for every method, and none for a method that does not exist", () => {
    const documented = [...doc.matchAll(/^### `([^`]+)`$/gm)].map((m) => m[1]).sort();
    const defined = [...HEARTH_METHODS, ModelProgressNotification.method].sort();
    assert.deepEqual(documented, defined);
  });

  it("lists every error code with its number", () => {
    const rows = [...doc.matchAll(/^\| (-\d+) \| `(\w+)` \|$/gm)].map((m) => [m[2], Number(m[1])]);
    assert.deepEqual(Object.fromEntries(rows), { ...ErrorCodes });
  });
});
