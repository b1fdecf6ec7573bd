/**
 * client/serve-process.ts: the owned `hearth serve` child the bench, the tests and the
 * measurement scripts start, on a real daemon process.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { DaemonUnavailableError } from "../../daemon/src/client/connect.js";
import { startServeProcess } from "../../daemon/src/client/serve-process.js";
import { hearthBin, tempHome } from "../helpers/daemon-process.js";
import { testModels } from "../helpers/test-models.js";

describe("serve process", function () {
  this.timeout(120_000);

  it("resolves once the daemon listens, with its discovery file read, and stops it on SIGTERM", async () => {
    const home = tempHome();
    try {
      const serve = await startServeProcess({ entry: hearthBin, home, args: ["--model", (await testModels()).target, "--idle-timeout", "0", "--threads", "1"] });
      assert.equal(serve.info.pid, serve.child.pid);
      assert.ok(serve.listeningMs > 0);
      const client = await serve.connect([{ uri: "file:///serve/a", name: "a" }], "hearth-test");
      assert.equal((await client.status()).workspaces.length, 1);
      client.dispose();
      assert.equal(await serve.stop(), 0);
      assert.match(serve.stderr(), /listening on ws:\/\/127\.0\.0\.1:/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("rejects with the daemon's own words when it exits before listening", async () => {
    const home = tempHome();
    try {
      await assert.rejects(
        startServeProcess({ entry: hearthBin, home, args: ["--no-such-option"] }),
        (error: unknown) => error instanceof DaemonUnavailableError && /exited with code 2 before listening: hearth serve: unknown option --no-such-option/.test(error.message),
      );
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
