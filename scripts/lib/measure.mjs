// What the measurement scripts share: temporary daemon homes that reuse the user's cache of
// generated models (they are big: making them again for every home would take minutes and
// gigabytes), a `--name value` flag reader, and a median.
import { mkdirSync, mkdtempSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { hearthHome } from "../../out/daemon/src/discovery.js";

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
