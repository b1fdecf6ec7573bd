'use strict';
// Fixture for the VS Code test runner: one command and a status bar item, the two things the
// real extension's tests lean on most. CommonJS: this folder's package.json has no "type".
const vscode = require('vscode');

function activate(context) {
  const item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  item.text = '$(flame) Smoke ready';
  item.show();
  context.subscriptions.push(item, vscode.commands.registerCommand('smoke.hello', () => 42));
  // The API lets tests read state the UI only shows.
  return { statusText: () => item.text };
}

function deactivate() {}

module.exports = { activate, deactivate };
