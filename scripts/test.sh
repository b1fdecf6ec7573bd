#!/usr/bin/env bash
# The README's test command runs this (npm test): build the bundles, compile the tests, run
# the daemon/CLI/unit suites (mocha) and the extension suite inside a real VS Code, then
# print one closing line for all of them.
set -uo pipefail
cd "$(dirname "$0")/.."
set -e
node esbuild.mjs
rm -rf out
npx tsc -p tsconfig.json
set +e

log="$(mktemp)"
npx mocha --timeout 180000 --reporter spec 'out/test/daemon/**/*.test.js' 'out/test/extension/**/*.test.js' 2>&1 | tee "$log"
mocha_status=${PIPESTATUS[0]}
passed=$(grep -Eo '^ +[0-9]+ passing' "$log" | grep -Eo '[0-9]+' | tail -1)
failed=$(grep -Eo '^ +[0-9]+ failing' "$log" | grep -Eo '[0-9]+' | tail -1)

bash test/vscode/run.sh 2>&1 | tee "$log"
vscode_status=${PIPESTATUS[0]}
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
vscode_passed=$(echo "$line" | grep -Eo '^[0-9]+' || echo 0)
vscode_failed=$(echo "$line" | grep -Eo '[0-9]+ failed' | grep -Eo '[0-9]+' || echo 0)
rm -f "$log"

total_passed=$(( ${passed:-0} + ${vscode_passed:-0} ))
total_failed=$(( ${failed:-0} + ${vscode_failed:-0} ))
if [ "$mocha_status" -ne 0 ] && [ "$total_failed" -eq 0 ]; then total_failed=1; fi
if [ "$vscode_status" -ne 0 ] && [ "${vscode_failed:-0}" -eq 0 ]; then total_failed=$(( total_failed + 1 )); fi
echo "tests: ${total_passed} passed, ${total_failed} failed"
[ "$mocha_status" -eq 0 ] && [ "$vscode_status" -eq 0 ] && [ "$total_passed" -gt 0 ]
