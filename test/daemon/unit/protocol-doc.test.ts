/** docs/protocol.md documents exactly the methods protocol.ts defines, and sends readers to docs/errors.md for its errors (errors-doc.test.ts checks that page). */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { HEARTH_METHODS, ModelProgressNotification } from "../../../daemon/src/protocol.js";
import { packageRoot } from "../../../daemon/src/version.js";

describe("docs/protocol.md", () => {
  const doc = readFileSync(path.join(packageRoot(), "docs", "protocol.md"), "utf8");

  it("has a section for every method, and none for a method that does not exist", () => {
    const documented = [...doc.matchAll(/^### `([^`]+)`$/gm)].map((m) => m[1]).sort();
    const defined = [...HEARTH_METHODS, ModelProgressNotification.method].sort();
    assert.deepEqual(documented, defined);
  });

  it("leaves the error codes and names to docs/errors.md", () => {
    const errors = doc.slice(doc.indexOf("## Errors"));
    assert.match(errors, /\[errors\.md\]\(errors\.md\)/);
    assert.doesNotMatch(errors, /^\| -\d+ \|/m, "a second copy of the code table");
  });
});
