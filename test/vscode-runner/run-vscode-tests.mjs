#!/usr/bin/env node
// Runs a VS Code extension's test suite inside a real VS Code, offline: code-server (installed
// by scripts/vscode/install-code-server.sh) serves the workbench, Debian's chromium driven by
// playwright-core renders it, and the extension + its tests run in code-server's (server-side)
// extension host. Recipe and reasons: /work/shared/TESTING-VSCODE.md.
//
// node test/vscode-runner/run-vscode-tests.mjs --extension-dir <abs> --tests <abs suite index.js>
//   --workspace <abs folder> [--install-vsix <file>] [--timeout-ms N] [--screenshots <dir>] [--env KEY=VALUE ...]
//
// --install-vsix installs a packaged extension into the run's extensions folder first (with
// code-server's --install-extension, as a user would): the extension under test is then the
// installed package, and --extension-dir holds only the suite.
//
// Exit 0 only when the suite's run() resolved and it printed `N passed, 0 failed` with N > 0.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import util from 'node:util';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CODE_SERVER = process.env.HEARTH_CODE_SERVER
  || path.join(ROOT, '.code-server/node_modules/code-server/out/node/entry.js');
const CHROMIUM = process.env.HEARTH_CHROMIUM || '/usr/bin/chromium';
const SUMMARY_RE = /^\s*(\d+) passed, (\d+) failed\s*$/;
const SHOT_RE = /HEARTH_SCREENSHOT ([A-Za-z0-9._-]+)(?: (.+))?$/;
const PRESS_RE = /HEARTH_PRESS ([A-Za-z0-9+]+) (\S+)(?: ([A-Za-z0-9_-]+))?$/;
const t0 = Date.now();

const say = (msg) => console.log(`[vscode-runner] ${msg}`);
const log = []; // everything seen, written next to the failure screenshot
// Lines repeated on every run that say nothing; kept in the failure log, not printed.
const NOISE_RE = /^\s*$|Ignoring fetching additional builtin extensions|^Creating a socket|^Resolv(ing|ed) connection token/;
const record = (prefix, line) => {
  log.push(`${prefix} ${line}`);
  if (!NOISE_RE.test(line)) console.log(`${prefix} ${line}`);
};

function parseArgs(argv) {
  const o = { timeoutMs: 180000, env: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => { if (i + 1 >= argv.length) usage(`${a} needs a value`); return argv[++i]; };
    if (a === '--extension-dir') o.extensionDir = path.resolve(val());
    else if (a === '--tests') o.tests = path.resolve(val());
    else if (a === '--workspace') o.workspace = path.resolve(val());
    else if (a === '--timeout-ms') o.timeoutMs = Number(val());
    else if (a === '--screenshots') o.screenshots = path.resolve(val());
    else if (a === '--install-vsix') o.installVsix = path.resolve(val());
    else if (a === '--env') {
      const kv = val(); const eq = kv.indexOf('=');
      if (eq <= 0) usage(`--env expects KEY=VALUE, got ${kv}`);
      o.env[kv.slice(0, eq)] = kv.slice(eq + 1);
    } else usage(`unknown argument ${a}`);
  }
  if (!o.extensionDir || !o.tests || !o.workspace) usage('--extension-dir, --tests and --workspace are required');
  if (!(o.timeoutMs > 0)) usage('--timeout-ms must be a positive number');
  // VS Code refuses a tests path outside the extension development path.
  if (!o.tests.startsWith(o.extensionDir + path.sep)) usage('--tests must lie inside --extension-dir');
  for (const p of [o.extensionDir, o.tests, o.workspace, CODE_SERVER, CHROMIUM, ...(o.installVsix ? [o.installVsix] : [])]) {
    if (!fs.existsSync(p)) usage(`not found: ${p}${p === CODE_SERVER ? ' (run scripts/vscode/install-code-server.sh)' : ''}`);
  }
  return o;
}

function usage(msg) {
  console.error(`[vscode-runner] ${msg}\nusage: node test/vscode-runner/run-vscode-tests.mjs --extension-dir <abs> `
    + '--tests <abs suite index.js> --workspace <abs folder> [--install-vsix <file>] [--timeout-ms N] [--screenshots <dir>] [--env KEY=VALUE ...]');
  process.exit(2);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

const opts = parseArgs(process.argv.slice(2));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-vscode-'));
// Without --screenshots, requested shots go to the temp dir (dropped at the end).
const shotsDir = opts.screenshots || path.join(tmp, 'screenshots');
fs.mkdirSync(shotsDir, { recursive: true });

let server;     // code-server ChildProcess (leader of its own process group)
let launching;  // Promise<BrowserContext> while chromium starts
let context;    // playwright BrowserContext
let page;
let cleaning;

async function cleanup() {
  if (cleaning) return cleaning;
  cleaning = (async () => {
    // A browser still starting is waited for, so it cannot outlive us.
    const ctx = context || (launching && await Promise.race([launching.catch(() => null), sleep(15000)]));
    if (ctx) await Promise.race([ctx.close().catch(() => {}), sleep(5000)]);
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      killGroup('SIGTERM');
      if (await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]) === false) {
        killGroup('SIGKILL');
        await Promise.race([exited, sleep(2000)]);
      }
    }
    try { fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 5 }); } catch (e) { say(`left ${tmp}: ${e.message}`); }
  })();
  return cleaning;
}

function killGroup(sig) {
  try { process.kill(-server.pid, sig); } catch { /* already gone */ }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function finish(code, reason) {
  // A signal got there first: its handler exits; never return into the code below our caller.
  if (cleaning) return new Promise(() => {});
  if (code !== 0) await saveFailure(reason);
  await cleanup();
  say(`${code === 0 ? 'PASS' : 'FAIL'}: ${reason} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  process.exit(code);
}

// Screenshot + full log where a human can find them after the temp dir is gone.
async function saveFailure(reason) {
  const dir = opts.screenshots || fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-vscode-failure-'));
  try {
    fs.writeFileSync(path.join(dir, 'vscode-run.log'), `${log.join('\n')}\nFAIL: ${reason}\n`);
    if (page) await page.screenshot({ path: path.join(dir, 'failure.png'), timeout: 10000 });
    say(`failure screenshot and log in ${dir}`);
  } catch (e) {
    say(`could not save failure artifacts in ${dir}: ${e.message}`);
  }
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    const code = sig === 'SIGINT' ? 130 : 143;
    if (cleaning) process.exit(code); // second signal: stop waiting
    say(`${sig}: cleaning up`);
    cleanup().finally(() => process.exit(code));
  });
}

// Resolves once code-server prints its listening line; rejects if it exits first.
function startServer(port) {
  const mk = (name) => { const d = path.join(tmp, name); fs.mkdirSync(d, { recursive: true }); return d; };
  const config = path.join(tmp, 'config.yaml');
  fs.writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const env = { ...process.env };
  // Variables from a surrounding VS Code would make code-server act as that VS Code's CLI.
  for (const k of Object.keys(env)) if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE') delete env[k];
  Object.assign(env, {
    EXTENSIONS_GALLERY: '{}', // no marketplace: nothing to reach offline
    XDG_CONFIG_HOME: mk('xdg/config'), XDG_DATA_HOME: mk('xdg/data'), XDG_CACHE_HOME: mk('xdg/cache'),
    HEARTH_SCREENSHOTS_DIR: shotsDir,
  }, opts.env);
  // Quiet the prompts that would cover editors in screenshots and vary from run to run.
  const userDir = mk('user-data/User');
  fs.writeFileSync(path.join(userDir, 'settings.json'), JSON.stringify({
    'git.openRepositoryInParentFolders': 'never',
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'update.mode': 'none',
  }, null, 2));
  if (opts.installVsix) installExtension(opts.installVsix, env);
  server = spawn(process.execPath, [CODE_SERVER,
    '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--config', config,
    '--user-data-dir', mk('user-data'), '--extensions-dir', mk('extensions'),
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--disable-getting-started-override', '--ignore-last-opened',
  ], { detached: true, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    const onLine = (line) => {
      record('[code-server]', line);
      if (line.includes('HTTP server listening on')) resolve();
    };
    for (const s of [server.stdout, server.stderr]) lines(s, onLine);
    server.once('error', reject);
    server.once('exit', (code, sig) => reject(new Error(`code-server exited early (${sig || code})`)));
  });
}

/** Installs a .vsix the way a user does, into this run's extensions folder; throws with its output if it fails. */
function installExtension(vsix, env) {
  say(`installing ${path.basename(vsix)}`);
  const result = spawnSync(process.execPath, [CODE_SERVER,
    '--user-data-dir', path.join(tmp, 'user-data'), '--extensions-dir', path.join(tmp, 'extensions'),
    '--install-extension', vsix, '--force',
  ], { env, encoding: 'utf8', timeout: 300000 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  for (const line of output.split('\n')) if (line) record('[install]', line);
  if (result.status !== 0) throw new Error(`installing ${vsix} failed (${result.error?.message ?? `exit ${result.status}`})`);
}

function lines(stream, onLine) {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) { onLine(buf.slice(0, i).trimEnd()); buf = buf.slice(i + 1); }
  });
  stream.on('end', () => { if (buf) onLine(buf); });
}

// A key pressed in the page, as a user presses it (once an element of class `whenVisible`
// shows, when given); the file tells the test it was.
async function pressKey(key, doneFile, whenVisible) {
  if (path.dirname(path.resolve(doneFile)) !== shotsDir) return say(`key press refused: ${doneFile} is outside ${shotsDir}`);
  try {
    if (whenVisible) await page.waitForSelector(`.${whenVisible}`, { state: 'visible', timeout: 10000 });
    await page.keyboard.press(key);
    fs.writeFileSync(doneFile, key);
  } catch (e) {
    say(`key press ${key} failed: ${e.message}`);
  }
}

async function takeShot(name, dir) {
  const file = path.join(dir, `${name}.png`);
  const part = `${file}.${process.pid}.part`;
  try {
    fs.mkdirSync(dir, { recursive: true });
    // Finite animations (a notification sliding in) end at once, so the shot shows them in place.
    await page.screenshot({ path: part, type: 'png', animations: 'disabled' });
    fs.renameSync(part, file); // the test polls for the final name: it must appear complete
    say(`screenshot saved: ${file}`);
  } catch (e) {
    say(`screenshot ${name} failed: ${e.message}`);
  }
}

// Settled once by whatever ends the run first: the suite, a crash, or the deadline.
let settle;
const outcome = new Promise((r) => { settle = r; });
let summary = null;

// Sets everything up; the result arrives through `outcome`.
async function main() {
  const port = await freePort();
  if (cleaning) return;
  say(`starting code-server on 127.0.0.1:${port}`);
  await startServer(port);
  server.once('exit', (code, sig) => settle({ code: 1, reason: `code-server exited during the run (${sig || code})` }));

  launching = chromium.launchPersistentContext(path.join(tmp, 'browser'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    // We clean up ourselves, in order (browser, then the server group).
    handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const ctx = await launching;
  if (cleaning) return; // the deadline passed while chromium started: cleanup closes it
  context = ctx;
  page = context.pages()[0] || await context.newPage();
  page.on('pageerror', (e) => record('[page-error]', e.message));
  page.on('crash', () => settle({ code: 1, reason: 'browser page crashed' }));

  // Every workbench log line, the extension host's console included (the suite's output).
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    const text = util.format(...(Array.isArray(args) ? args : [args]));
    for (const line of text.split('\n')) {
      record('[vscode]', line);
      const m = SUMMARY_RE.exec(line);
      if (m) summary = { passed: Number(m[1]), failed: Number(m[2]) };
      const s = SHOT_RE.exec(line);
      if (s) void takeShot(s[1], s[2] ? s[2].trim() : shotsDir);
      const k = PRESS_RE.exec(line);
      if (k) void pressKey(k[1], k[2], k[3]);
    }
  });
  await page.exposeFunction('codeAutomationExit', (code) => settle({ code: Number(code), reason: `suite exit code ${code}` }));

  const base = `127.0.0.1:${port}`;
  const payload = [
    ['extensionDevelopmentPath', `vscode-remote://${base}${encodeURI(opts.extensionDir)}`],
    ['extensionTestsPath', `vscode-remote://${base}${encodeURI(opts.tests)}`],
    ['skipWelcome', 'true'],
  ];
  const url = `http://${base}/?folder=${encodeURIComponent(opts.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  say('opening workbench');
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: opts.timeoutMs });
}

// --timeout-ms bounds the whole run, start-up included.
setTimeout(() => settle({ code: 1, reason: `timed out after ${opts.timeoutMs} ms` }), opts.timeoutMs);
main().catch((e) => settle({ code: 1, reason: e && e.stack ? e.stack : String(e) }));

const result = await outcome;
if (result.code !== 0) await finish(1, result.reason);
// The console lines travel on their own channel; give a late summary line a moment.
for (let i = 0; !summary && i < 30; i++) await sleep(100);
// A run() that resolves without mocha's verdict proves nothing.
if (!summary) await finish(1, "suite exited 0 but printed no 'N passed, N failed' line");
const verdict = `${summary.passed} passed, ${summary.failed} failed`;
console.log(verdict); // unprefixed, for scripts that grep the suite's closing line
await finish(summary.failed === 0 && summary.passed > 0 ? 0 : 1, verdict);
