'use strict';
const assert = require('node:assert/strict');
const path = require('node:path');
const vscode = require('vscode');
const { screenshot } = require(path.resolve(__dirname, '../../vscode-runner/screenshot.cjs'));

const EXT_ID = 'hearth-test.hearth-extension-smoke';

describe('smoke extension', () => {
  before(async () => {
    const ext = vscode.extensions.getExtension(EXT_ID);
    assert.ok(ext, `${EXT_ID} is not loaded`);
    await ext.activate();
  });

  it('runs its command', async () => {
    assert.equal(await vscode.commands.executeCommand('smoke.hello'), 42);
  });

  it('shows its status bar item', () => {
    const api = vscode.extensions.getExtension(EXT_ID).exports;
    assert.equal(api.statusText(), '$(flame) Smoke ready');
  });

  it('sees the env given to the runner with --env', function () {
    if (!process.env.HEARTH_SCREENSHOTS_DIR) this.skip(); // not under run-vscode-tests.mjs
    assert.equal(process.env.SMOKE_ENV, 'from-runner');
  });

  it('opens the workspace file and types into it', async () => {
    const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
    assert.ok(folder, 'no workspace folder open');
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, 'hello.txt'));
    const editor = await vscode.window.showTextDocument(doc);
    const end = doc.lineAt(doc.lineCount - 1).range.end;
    assert.ok(await editor.edit((b) => b.insert(end, '\ntyped by the smoke test')));
    assert.match(doc.getText(), /typed by the smoke test$/);
    const png = await screenshot('smoke-editor');
    console.log(`screenshot at ${png}`);
    // Leave the workspace file as it was.
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
