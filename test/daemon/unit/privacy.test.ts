/** Which files count as secrets: the globs of hearth.context.exclude and the daemon's defaults. */
import assert from "node:assert/strict";
import { defaultExcludes, ExcludeList } from "../../../daemon/src/privacy.js";

describe("privacy excludes", () => {
  it("matches the default secret files by name, anywhere, and nothing else", () => {
    for (const uri of ["file:///w/.env", "file:///w/app/.env.local", "file:///w/certs/server.pem", "file:///home/u/.ssh/id_ed25519", "file:///w/tls.KEY", "file:///w/.npmrc"]) {
      assert.equal(defaultExcludes.matches(uri), true, uri);
    }
    for (const uri of ["file:///w/src/env.ts", "file:///w/keyboard.ts", "file:///w/src/identity.ts", "untitled:Untitled-1"]) assert.equal(defaultExcludes.matches(uri), false, uri);
  });

  it("matches path globs (files.exclude style), ** across folders and {a,b} alternatives", () => {
    const list = new ExcludeList(["**/secrets/**", "config/*.{yaml,yml}", "**/node_modules"]);
    assert.equal(list.matches("file:///w/deploy/secrets/prod.json"), true);
    assert.equal(list.matches("file:///w/config/app.yml"), true);
    assert.equal(list.matches("file:///w/config/deep/app.yml"), false, "* stays within a segment");
    assert.equal(list.matches("file:///w/node_modules"), true);
    assert.equal(list.matches("file:///w/src/app.yml"), false);
  });
});
