'use strict';
// Mocha driver for a VS Code extension test suite's index.js (runs inside the extension host).
// Both runners (code-server here, @vscode/test-electron on CI with internet) call the suite's
// `run()`; they only learn pass/fail from its promise, so this prints the closing
// `N passed, N failed` line that run-vscode-tests.mjs checks, and rejects on any failure.
//
//   // suite/index.js
//   const { run } = require('<repo>/test/vscode-runner/mocha-suite-runner.cjs');
//   exports.run = () => run(__dirname, { files: ['smoke.test.js'], timeout: 20000 });

const path = require('node:path');

/**
 * @param {string} testsRoot folder the relative `files` are resolved against
 * @param {{ files: string[], timeout?: number, grep?: string, esm?: boolean }} options
 *   esm: load files with import() (ES modules); default require(), which keeps the
 *   extension host's `require('vscode')` interception on the plain CommonJS path.
 * @returns {Promise<void>}
 */
async function run(testsRoot, options) {
  const { files, timeout = 20000, grep, esm = false } = options || {};
  if (!Array.isArray(files) || files.length === 0) throw new Error('mocha-suite-runner: no test files given');

  // mocha 12 is an ES module; Node >= 20.19 require()s it and returns its namespace.
  const mod = require('mocha');
  const Mocha = mod.default || mod.Mocha || mod;
  const mocha = new Mocha({ ui: 'bdd', timeout, color: false, reporter: 'spec', grep });
  for (const f of files) mocha.addFile(path.resolve(testsRoot, f));

  let passed = 0;
  let failed = 0;
  try {
    if (esm) await mocha.loadFilesAsync();
    await new Promise((resolve) => {
      const runner = mocha.run(() => resolve());
      runner.on('pass', () => passed++);
      // 'fail' also fires for failing hooks, which count as failures too.
      runner.on('fail', () => failed++);
    });
  } catch (err) {
    // A test file that throws while loading: nothing ran; report it as a failure.
    console.error('mocha-suite-runner: could not load/run the tests:', err && err.stack ? err.stack : err);
    failed++;
  }

  console.log(`${passed} passed, ${failed} failed`);
  if (failed > 0) throw new Error(`${failed} test(s) failed`);
  if (passed === 0) throw new Error('no tests ran');
}

module.exports = { run };
