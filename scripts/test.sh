#!/usr/bin/env bash
# The README's test command runs this (npm test): build the bundles, compile the tests, run
# every suite. Each suite's runner prints its own "N passing/failing" summary.
set -euo pipefail
cd "$(dirname "$0")/.."
node esbuild.mjs
rm -rf out
npx tsc -p tsconfig.json
npx mocha --timeout 120000 --reporter spec 'out/test/daemon/**/*.test.js'
