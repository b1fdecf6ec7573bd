#!/usr/bin/env bash
# Runs the extension's test suite inside a real VS Code: code-server + headless Chromium via
# test/vscode-runner (offline; see docs/development.md). Packages the extension as users get it (.vsix), installs it
# into a fresh code-server, runs the suite against that installed copy (not this folder, so a
# file the package leaves out fails here), gives VS Code a fresh daemon home and workspace,
# and stops the daemon the extension started when the run ends, however it ends.
#
#   test/vscode/run.sh                             run the suite
#   HEARTH_UPDATE_SCREENSHOTS=1 test/vscode/run.sh  also refresh media/screenshots/*.png
#   HEARTH_VSCODE_TEST_MODEL=PATH|hf:…|generated:…  model for the daemon (default generated:tiny-target)
#   HEARTH_VSCODE_GREP=PATTERN                      run only the tests whose titles match
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

say() { echo "[vscode-suite] $*"; }
started=$SECONDS

bash scripts/vscode/install-code-server.sh
TMP="$(mktemp -d "${TMPDIR:-/tmp}/hearth-vscode-suite-XXXXXX")"
DAEMON_HOME="$TMP/home"
WORKSPACE="$TMP/workspace"
mkdir -p "$DAEMON_HOME" "$WORKSPACE" "$ROOT/.cache/vscode-suite-models"
# Generated models are made once and kept between runs (the daemon looks in HOME/models).
ln -s "$ROOT/.cache/vscode-suite-models" "$DAEMON_HOME/models"
printf '# Hearth VS Code test workspace\n' >"$WORKSPACE/README.md"
# Short generations keep the suite quick on a CPU; the tests need only a few tokens.
mkdir -p "$WORKSPACE/.vscode"
printf '{\n  "hearth.completion.maxTokens": 24,\n  "hearth.explain.maxTokens": 48\n}\n' >"$WORKSPACE/.vscode/settings.json"

stop_daemon() {
  # The extension starts the daemon detached (it outlives VS Code by design): stop it here,
  # by the pid its discovery file names (read first: a stopping daemon removes the file).
  [ -f "$DAEMON_HOME/daemon.json" ] || return 0
  pid="$(node -e 'try { console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).pid) } catch {}' "$DAEMON_HOME/daemon.json")"
  timeout 20 node bin/hearth.cjs stop --home "$DAEMON_HOME" >/dev/null 2>&1 || true
  [ -n "$pid" ] || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  say "daemon $pid still running after stop: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
  status=$?
  stop_daemon
  if [ "$status" -ne 0 ] && [ -f "$DAEMON_HOME/daemon.log" ]; then
    say "daemon log (last 40 lines):"
    tail -n 40 "$DAEMON_HOME/daemon.log" || true
  fi
  rm -rf "$TMP"
  say "finished in $((SECONDS - started)) s"
}
trap cleanup EXIT

# The CPU binaries are enough here and keep the package small.
node scripts/package-vsix.mjs --backends cpu --out "$TMP/hearth.vsix"
node test/vscode/build.mjs
# The next-edit tests give a temporary daemon a generated model with Qwen2.5-Coder's tokenizer.
node_modules/.bin/esbuild test/vscode/next-edit-model.ts --bundle --platform=node --format=esm --target=node20 --outfile=dist/test/next-edit-model.mjs --log-level=warning
NEXT_EDIT_MODEL="$(node dist/test/next-edit-model.mjs)"


args=(--install-vsix "$TMP/hearth.vsix" --extension-dir "$ROOT/dist/test/vscode" --tests "$ROOT/dist/test/vscode/index.cjs" --workspace "$WORKSPACE"
  --timeout-ms "${HEARTH_VSCODE_TIMEOUT_MS:-900000}"
  --env "HEARTH_HOME=$DAEMON_HOME"
  --env "HEARTH_VSCODE_NEXT_EDIT_MODEL=$NEXT_EDIT_MODEL"
  --env "HEARTH_MODEL=${HEARTH_VSCODE_TEST_MODEL:-generated:tiny-target}")
[ -n "${HEARTH_VSCODE_GREP:-}" ] && args+=(--env "HEARTH_VSCODE_GREP=$HEARTH_VSCODE_GREP")
SHOTS="$ROOT/media/screenshots"
if [ "${HEARTH_UPDATE_SCREENSHOTS:-}" = "1" ]; then
  mkdir -p "$SHOTS"
  args+=(--screenshots "$SHOTS")
fi
code=0
node test/vscode-runner/run-vscode-tests.mjs "${args[@]}" || code=$?
# On failure the runner leaves failure.png and its log beside the screenshots: not README material.
if [ -f "$SHOTS/failure.png" ] || [ -f "$SHOTS/vscode-run.log" ]; then
  failure_dir="$(mktemp -d "${TMPDIR:-/tmp}/hearth-vscode-failure-XXXXXX")"
  mv -f "$SHOTS/failure.png" "$SHOTS/vscode-run.log" "$failure_dir/" 2>/dev/null || true
  say "failure screenshot and log moved to $failure_dir"
fi
exit "$code"
