#!/usr/bin/env bash
# Proves the offline VS Code runner works on this machine: runs the throwaway fixture
# extension in test/extension-smoke/ through code-server. Screenshots go to $1 (optional).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
EXT="$ROOT/test/extension-smoke"
exec node "$ROOT/test/vscode-runner/run-vscode-tests.mjs" \
  --extension-dir "$EXT" --tests "$EXT/suite/index.js" --workspace "$EXT/workspace" \
  --env SMOKE_ENV=from-runner --timeout-ms 120000 \
  ${1:+--screenshots "$1"}
