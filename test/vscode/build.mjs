// Bundles the suite that runs inside VS Code: test/vscode/suite/index.ts and each
// *.test.ts into dist/test/vscode/*.cjs (CommonJS, as the extension host require()s
// them; `vscode` and mocha stay external: the host provides the first, the suite's runner
// loads the second from node_modules). Beside them goes the manifest of a small extension
// that holds only the suite: VS Code runs tests from an extension development folder, and
// this one lets the extension under test be the installed .vsix (test/vscode/run.sh).
import { readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const suite = path.join(root, "test/vscode/suite");
const entries = readdirSync(suite).filter((f) => f === "index.ts" || f.endsWith(".test.ts"));

await esbuild.build({
  entryPoints: entries.map((f) => path.join(suite, f)),
  outdir: path.join(root, "dist/test/vscode"),
  outExtension: { ".js": ".cjs" },
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  sourcemap: "inline",
  logLevel: "warning",
  external: ["vscode", "mocha", "bufferutil", "utf-8-validate"],
});

const manifest = {
  name: "hearth-vscode-suite",
  displayName: "Hearth test suite",
  description: "Runs Hearth's VS Code tests against the installed extension.",
  publisher: "hearth-tests",
  version: "0.0.0",
  private: true,
  engines: { vscode: "^1.100.0" },
  extensionKind: ["workspace"],
};
writeFileSync(path.join(root, "dist/test/vscode/package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
