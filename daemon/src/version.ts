/** Hearth's version, read from the package.json above this file (bundled or compiled alike). */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, "package.json");
    if (existsSync(candidate) && (JSON.parse(readFileSync(candidate, "utf8")) as { name?: string }).name === "hearth") return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("Hearth's package.json was not found above the running file.");
    dir = parent;
  }
}

export const HEARTH_VERSION: string = (JSON.parse(readFileSync(path.join(packageRoot(), "package.json"), "utf8")) as { version: string }).version;
