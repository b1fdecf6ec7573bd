#!/usr/bin/env node
// The same suite in desktop VS Code (Electron) through @vscode/test-electron, for CI that has
// internet: it downloads VS Code on first use, which fails offline (use run-vscode-tests.mjs
// there). On Linux without a display run it under xvfb: `xvfb-run -a node run-electron.mjs ...`.
// @vscode/test-electron 2.5.x is the last line that runs on Node 20 (3.x needs Node 22+).
//
// node test/vscode-runner/run-electron.mjs --extension-dir <abs> --tests <abs suite index.js>
//   --workspace <abs folder> [--vscode-version 1.100.3|stable] [--env KEY=VALUE ...]

import path from 'node:path';
import { runTests } from '@vscode/test-electron';

function parseArgs(argv) {
  // Pinned to the VS Code inside code-server 4.100.3, so both runners test the same API.
  const o = { version: '1.100.3', env: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => { if (i + 1 >= argv.length) usage(`${a} needs a value`); return argv[++i]; };
    if (a === '--extension-dir') o.extensionDir = path.resolve(val());
    else if (a === '--tests') o.tests = path.resolve(val());
    else if (a === '--workspace') o.workspace = path.resolve(val());
    else if (a === '--vscode-version') o.version = val();
    else if (a === '--env') {
      const kv = val(); const eq = kv.indexOf('=');
      if (eq <= 0) usage(`--env expects KEY=VALUE, got ${kv}`);
      o.env[kv.slice(0, eq)] = kv.slice(eq + 1);
    } else usage(`unknown argument ${a}`);
  }
  if (!o.extensionDir || !o.tests || !o.workspace) usage('--extension-dir, --tests and --workspace are required');
  return o;
}

function usage(msg) {
  console.error(`[vscode-electron] ${msg}\nusage: node test/vscode-runner/run-electron.mjs --extension-dir <abs> `
    + '--tests <abs suite index.js> --workspace <abs folder> [--vscode-version V] [--env KEY=VALUE ...]');
  process.exit(2);
}

const opts = parseArgs(process.argv.slice(2));
try {
  await runTests({
    version: opts.version,
    extensionDevelopmentPath: opts.extensionDir,
    extensionTestsPath: opts.tests,
    extensionTestsEnv: opts.env,
    // Other installed extensions would change timing and commands; trust prompts block editors.
    launchArgs: [opts.workspace, '--disable-extensions', '--disable-workspace-trust'],
  });
  console.log('[vscode-electron] PASS');
} catch (err) {
  // runTests rejects on a non-zero exit (failed tests) and on download/launch errors.
  console.error(`[vscode-electron] FAIL: ${err && err.message ? err.message : err}`);
  process.exit(1);
}
