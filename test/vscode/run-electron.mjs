#!/usr/bin/env node
// The same VS Code suite under desktop VS Code, downloaded by @vscode/test-electron: for CI
// with internet access (GitHub Actions on Linux: `xvfb-run -a node test/vscode/run-electron.mjs`).
// Offline machines use test/vscode/run.sh (code-server) instead: this one fails at once
// without internet, as the download is the first thing it does. As run.sh does, it tests the
// packaged extension: the .vsix is installed into the downloaded VS Code's extensions folder
// and the suite runs from a small extension of its own (dist/test/vscode). The one test that
// presses a real key (one Tab accepts) needs run.sh's browser runner and fails here.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { downloadAndUnzipVSCode, resolveCliArgsFromVSCodeExecutablePath, runTests } from "@vscode/test-electron";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const run = (args) => {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
};
const tmp = mkdtempSync(path.join(os.tmpdir(), "hearth-vscode-electron-"));
const vsix = path.join(tmp, "hearth.vsix");
const extensions = path.join(tmp, "extensions");
run(["scripts/package-vsix.mjs", "--backends", "cpu", "--out", vsix]);
run(["test/vscode/build.mjs"]);
const home = path.join(tmp, "home");
const workspace = path.join(tmp, "workspace");
mkdirSync(path.join(workspace, ".vscode"), { recursive: true });
mkdirSync(home, { recursive: true });
writeFileSync(path.join(workspace, "README.md"), "# Hearth VS Code test workspace\n");
// Short generations keep the suite quick on a CPU (as in run.sh).
writeFileSync(path.join(workspace, ".vscode", "settings.json"), `${JSON.stringify({ "hearth.completion.maxTokens": 24, "hearth.explain.maxTokens": 48 }, null, 2)}\n`);

/** The extension starts the daemon detached; stop it, and make sure by the pid in its discovery file. */
async function stopDaemon() {
  let pid = null;
  try {
    pid = JSON.parse(readFileSync(path.join(home, "daemon.json"), "utf8")).pid;
  } catch {
    return;
  }
  spawnSync(process.execPath, ["bin/hearth.cjs", "stop", "--home", home], { cwd: root, stdio: "ignore", timeout: 20_000 });
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 50 && alive(); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  if (alive()) process.kill(pid, "SIGKILL");
}

let code = 1;
try {
  const vscodeExecutablePath = await downloadAndUnzipVSCode(process.env.HEARTH_VSCODE_VERSION ?? "stable");
  const [cli, ...cliArgs] = resolveCliArgsFromVSCodeExecutablePath(vscodeExecutablePath);
  const userData = `--user-data-dir=${path.join(tmp, "user-data")}`;
  const install = spawnSync(cli, [...cliArgs.filter((a) => !a.startsWith("--extensions-dir") && !a.startsWith("--user-data-dir")), `--extensions-dir=${extensions}`, userData, "--install-extension", vsix], {
    encoding: "utf8",
    stdio: "inherit",
    shell: process.platform === "win32",
  });
  if (install.status !== 0) throw new Error(`installing ${vsix} failed (exit ${install.status})`);
  code = await runTests({
    vscodeExecutablePath,
    extensionDevelopmentPath: path.join(root, "dist/test/vscode"),
    extensionTestsPath: path.join(root, "dist/test/vscode/index.cjs"),
    // Not --disable-extensions: the installed Hearth is the extension under test.
    launchArgs: [workspace, `--extensions-dir=${extensions}`, "--skip-welcome", "--skip-release-notes", "--disable-workspace-trust", userData],
    extensionTestsEnv: { HEARTH_HOME: home, HEARTH_MODEL: process.env.HEARTH_VSCODE_TEST_MODEL ?? "generated:tiny-target" },
  });
} catch (error) {
  process.stderr.write(`VS Code tests failed: ${error instanceof Error ? error.message : String(error)}\n`);
} finally {
  await stopDaemon();
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(code);
