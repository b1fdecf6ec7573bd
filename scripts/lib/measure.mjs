// What the measurement scripts share: real daemons started as the bench starts them
// (daemon/src/client/serve-process.ts), temporary daemon homes that reuse the user's cache of
// generated models (they are big: making them again for every home would take minutes and
// gigabytes), the generated test models, a `--name value` flag reader, and a median.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startServeProcess } from "../../out/daemon/src/client/serve-process.js";
import { hearthHome } from "../../out/daemon/src/discovery.js";
import { ensureTestModels } from "../../out/daemon/src/gguf/model-cache.js";
import { packageRoot } from "../../out/daemon/src/version.js";

const repoRoot = packageRoot();

/** A fresh empty daemon home under the system's temporary folder. */
export function tempHome(prefix = "hearth-measure-") {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * `hearth serve` (bin/hearth.cjs, as users start it) on `home`, never idle-stopped, on one
 * thread unless `args` say otherwise (a later --threads wins). `connect(folders)` opens an
 * initialized client; `stop()` ends the daemon with SIGTERM and removes the home unless
 * `keepHome`.
 */
export async function startDaemon({ model, home = tempHome(), args = [] }) {
  const serve = await startServeProcess({
    entry: path.join(repoRoot, "bin", "hearth.cjs"),
    home,
    args: ["--model", model, "--idle-timeout", "0", "--threads", "1", ...args],
  });
  return {
    child: serve.child,
    connect: (folders = [{ uri: "file:///workspace/a", name: "a" }]) => serve.connect(folders, "hearth-measure"),
    async stop({ keepHome = false } = {}) {
      const code = await serve.stop();
      if (!keepHome) rmSync(home, { recursive: true, force: true });
      return code;
    },
  };
}

/** The generated tiny test models (target and draft), made once under .cache/test-models as the tests make them. */
export function testModels() {
  return ensureTestModels(path.join(repoRoot, ".cache", "test-models"));
}

/** A function that makes a fresh home under one temporary folder, each linked to the shared generated models. */
export function sharedModelHomes(prefix) {
  const root = mkdtempSync(path.join(os.tmpdir(), prefix));
  let made = 0;
  return (name = `h${made++}`) => {
    const dir = path.join(root, name);
    mkdirSync(path.join(dir, "models"), { recursive: true });
    const shared = path.join(hearthHome(), "models", "generated");
    mkdirSync(shared, { recursive: true });
    symlinkSync(shared, path.join(dir, "models", "generated"));
    return dir;
  };
}

/** The value after `--name` on the command line, else `fallback`. */
export function flag(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
