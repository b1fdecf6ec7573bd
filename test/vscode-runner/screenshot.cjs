'use strict';
// Test-side half of screenshots. The extension host runs server-side (code-server), so it
// cannot reach the browser page; it logs a marker line instead, run-vscode-tests.mjs sees it
// in the workbench log, saves page.screenshot() to <dir>/<name>.png, and we wait for the file.

const fs = require('node:fs');
const path = require('node:path');

const POLL_MS = 100;
const DEFAULT_WAIT_MS = 15000;

/**
 * @param {string} name file name without .png; letters, digits, '.', '_' and '-' only
 * @param {string} [dir] where to save; defaults to the runner's --screenshots folder
 *   (HEARTH_SCREENSHOTS_DIR, which the runner sets)
 * @param {number} [waitMs]
 * @returns {Promise<string|null>} the PNG's path; null when no runner is there to take it
 */
async function screenshot(name, dir, waitMs = DEFAULT_WAIT_MS) {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`screenshot: bad name ${JSON.stringify(name)}`);
  // Under @vscode/test-electron nobody watches the log: skip instead of failing the test.
  if (!process.env.HEARTH_SCREENSHOTS_DIR) {
    console.log(`screenshot ${name}: skipped (not run by run-vscode-tests.mjs)`);
    return null;
  }
  dir = path.resolve(dir || process.env.HEARTH_SCREENSHOTS_DIR);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  // A file left from an earlier run would end the wait before the new screenshot exists.
  fs.rmSync(file, { force: true });
  // The folder rides along so the runner saves where we wait.
  console.log(`HEARTH_SCREENSHOT ${name} ${dir}`);
  const deadline = Date.now() + waitMs;
  // The runner writes to a temp name and renames, so existence means complete.
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`screenshot: ${file} did not appear within ${waitMs} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return file;
}

/**
 * Presses a key in the page as a user would (playwright's keyboard, so VS Code's keybindings
 * decide what it does). Same channel as screenshots: a marker line, then a file the runner
 * writes once the key was pressed.
 * @param {string} key a playwright key name: "Tab", "Escape", "Control+Space"…
 * @param {string} [whenVisible] a CSS class the page must show first (e.g. "ghost-text-decoration")
 * @param {number} [waitMs]
 * @returns {Promise<boolean>} false when no runner is there to press it
 */
async function pressKey(key, whenVisible, waitMs = DEFAULT_WAIT_MS) {
  if (!/^[A-Za-z0-9+]+$/.test(key)) throw new Error(`pressKey: bad key ${JSON.stringify(key)}`);
  if (whenVisible !== undefined && !/^[A-Za-z0-9_-]+$/.test(whenVisible)) throw new Error(`pressKey: bad class ${JSON.stringify(whenVisible)}`);
  if (!process.env.HEARTH_SCREENSHOTS_DIR) return false;
  const done = path.join(process.env.HEARTH_SCREENSHOTS_DIR, `.pressed-${process.pid}-${Date.now()}`);
  console.log(`HEARTH_PRESS ${key} ${done}${whenVisible ? ` ${whenVisible}` : ""}`);
  const deadline = Date.now() + waitMs;
  while (!fs.existsSync(done)) {
    if (Date.now() > deadline) throw new Error(`pressKey: ${key} was not pressed within ${waitMs} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  fs.rmSync(done, { force: true });
  return true;
}

module.exports = { screenshot, pressKey };
