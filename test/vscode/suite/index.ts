/**
 * The entry VS Code calls (extensionTestsPath): runs the suite's files with mocha through
 * the runner's driver, which prints the `N passed, N failed` line the runner checks. The
 * files run in this order: the daemon-killing test goes last.
 */
import path from "node:path";

interface SuiteRunner {
  run(testsRoot: string, options: { files: string[]; timeout?: number }): Promise<void>;
}

export const FILES = ["diagnostics.test.cjs", "connection.test.cjs", "completion.test.cjs", "explain.test.cjs", "status-menu.test.cjs", "precision.test.cjs", "reconnect.test.cjs"];

export function run(): Promise<void> {
  // dist/test/vscode/index.cjs → the repository root; the driver belongs to the runner.
  const root = path.resolve(__dirname, "../../..");
  const runner = require(path.join(root, "test/vscode-runner/mocha-suite-runner.cjs")) as SuiteRunner;
  return runner.run(__dirname, { files: FILES, timeout: 60_000 });
}
