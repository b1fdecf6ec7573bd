/**
 * The entry VS Code calls (extensionTestsPath): runs every bundled `*.test.cjs` beside it
 * with mocha through the runner's driver, which prints the `N passed, N failed` line the
 * runner checks. The root hooks (diagnostics) load first; the tests that stop the daemon
 * or change the model run last, so the others share one warm daemon.
 */
import { readdirSync } from "node:fs";
import path from "node:path";

interface SuiteRunner {
  run(testsRoot: string, options: { files: string[]; timeout?: number; grep?: string }): Promise<void>;
}

const FIRST = ["diagnostics.test.cjs"];
const LAST = ["first-run.test.cjs", "reconnect.test.cjs"];

/** The suite's files in the order they run; a new test file runs without being listed here. */
export function suiteFiles(dir: string): string[] {
  const found = readdirSync(dir).filter((file) => file.endsWith(".test.cjs"));
  const rank = (file: string): number => (FIRST.includes(file) ? -1 : LAST.includes(file) ? 1 + LAST.indexOf(file) : 0);
  return found.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export function run(): Promise<void> {
  // dist/test/vscode/index.cjs → the repository root; the driver belongs to the runner.
  const root = path.resolve(__dirname, "../../..");
  const runner = require(path.join(root, "test/vscode-runner/mocha-suite-runner.cjs")) as SuiteRunner;
  // HEARTH_VSCODE_GREP (run.sh passes it on) runs only the tests whose titles match.
  const grep = process.env.HEARTH_VSCODE_GREP;
  return runner.run(__dirname, { files: suiteFiles(__dirname), timeout: 60_000, ...(grep ? { grep } : {}) });
}
