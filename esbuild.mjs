// Bundles the daemon/CLI (ESM, node-llama-cpp external: it carries native binaries) and the
// VS Code extension (CommonJS, as the extension host loads it; `vscode` is external).
// Usage: node esbuild.mjs [--watch] [--production]
import { existsSync } from "node:fs";
import * as esbuild from "esbuild";

const production = process.argv.includes("--production");
const watch = process.argv.includes("--watch");

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  sourcemap: !production,
  minify: production,
  logLevel: "warning",
  // ws's optional native speed-ups; it falls back to JavaScript without them.
  external: ["bufferutil", "utf-8-validate"],
};

const builds = [
  {
    ...common,
    entryPoints: ["daemon/src/cli/main.ts"],
    outfile: "dist/hearth.mjs",
    format: "esm",
    external: [...common.external, "node-llama-cpp", "koffi"],
    // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
    banner: { js: "import { createRequire as __hearthCreateRequire } from 'node:module'; const require = __hearthCreateRequire(import.meta.url);" },
  },
];

if (existsSync("extension/src/main.ts")) {
  builds.push({
    ...common,
    entryPoints: ["extension/src/main.ts"],
    outfile: "dist/extension.cjs",
    format: "cjs",
    external: [...common.external, "vscode"],
  });
}

if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
