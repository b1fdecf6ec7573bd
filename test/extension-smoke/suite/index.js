'use strict';
// Suite entry both runners call (extensionTestsPath): run mocha over the test files.
const path = require('node:path');
const { run } = require(path.resolve(__dirname, '../../vscode-runner/mocha-suite-runner.cjs'));

exports.run = () => run(__dirname, { files: ['smoke.test.js'], timeout: 30000 });
