#!/usr/bin/env bash
# Installs what the offline VS Code test runner (test/vscode-runner/run-vscode-tests.mjs) needs:
# Debian's chromium + ripgrep + libkrb5-dev, and code-server (a real VS Code) into the ignored
# folder .code-server/ of the repo. Idempotent: every step is skipped when already done.
# See /work/shared/TESTING-VSCODE.md for why each step exists.
set -euo pipefail

CODE_SERVER_VERSION="4.100.3"   # newest code-server whose install still runs on Node 20
RG_CACHE_VERSION="1.15.11"      # @vscode/ripgrep version pulled in by that code-server
RG_ASSET="ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PREFIX="$ROOT/.code-server"
MARKER="$PREFIX/.installed-$CODE_SERVER_VERSION"

say() { echo "[install-code-server] $*"; }
die() { echo "[install-code-server] ERROR: $*" >&2; exit 1; }

# --- Debian packages (only the missing ones; apt-get update once, only if needed) -------------
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v rg >/dev/null 2>&1 || need+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need+=(libkrb5-dev)   # headers for code-server's kerberos addon
if ((${#need[@]})); then
  command -v apt-get >/dev/null 2>&1 || die "missing ${need[*]} and no apt-get to install them"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  say "apt-get install ${need[*]}"
  $SUDO apt-get update -qq >/dev/null || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
    || die "apt-get install ${need[*]} failed"
else
  say "chromium, ripgrep, libkrb5-dev already present"
fi

# --- code-server -------------------------------------------------------------------------------
if [ -f "$MARKER" ] && [ -x "$PREFIX/node_modules/.bin/code-server" ]; then
  say "code-server $CODE_SERVER_VERSION already installed in $PREFIX"
  exit 0
fi

node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" = "20" ] || die "code-server $CODE_SERVER_VERSION's install needs Node 20 exactly (found $(node -v))"
[ "$(uname -m)" = "x86_64" ] || die "only x86_64 is prepared (ripgrep cache asset below)"

# @vscode/ripgrep's postinstall downloads rg from GitHub unless its cache already has the asset;
# hand it Debian's rg instead (no internet here).
RG_CACHE="${TMPDIR:-/tmp}/vscode-ripgrep-cache-$RG_CACHE_VERSION"
if [ ! -s "$RG_CACHE/$RG_ASSET" ]; then
  say "seeding ripgrep cache $RG_CACHE/$RG_ASSET from $(command -v rg)"
  mkdir -p "$RG_CACHE"
  tar -czf "$RG_CACHE/$RG_ASSET.tmp" -C "$(dirname "$(readlink -f "$(command -v rg)")")" rg
  mv "$RG_CACHE/$RG_ASSET.tmp" "$RG_CACHE/$RG_ASSET"
fi

say "npm install code-server@$CODE_SERVER_VERSION into $PREFIX (about a minute)"
rm -f "$MARKER"
mkdir -p "$PREFIX"
# Own package.json so npm treats .code-server/ as its own project, not the repo's.
[ -f "$PREFIX/package.json" ] || echo '{ "name": "hearth-code-server", "private": true }' >"$PREFIX/package.json"
LOG="$PREFIX/install.log"
# unsafe_perm: the postinstall refuses to run as root otherwise; yes: node-pty runs `npx node-gyp`
# without a TTY.
if ! npm_config_unsafe_perm=true npm_config_yes=true npm_config_fund=false npm_config_audit=false \
    npm install --prefix "$PREFIX" "code-server@$CODE_SERVER_VERSION" >"$LOG" 2>&1; then
  tail -n 30 "$LOG" >&2
  die "npm install code-server@$CODE_SERVER_VERSION failed (full log: $LOG)"
fi

got="$(node -p "require('$PREFIX/node_modules/code-server/package.json').version" 2>/dev/null || true)"
[ "$got" = "$CODE_SERVER_VERSION" ] || die "expected code-server $CODE_SERVER_VERSION, found '${got:-nothing}'"
# The postinstall installs VS Code's own node_modules; without them the server cannot start.
[ -d "$PREFIX/node_modules/code-server/lib/vscode/node_modules" ] \
  || die "code-server's postinstall did not complete (see $LOG)"
"$PREFIX/node_modules/.bin/code-server" --version >/dev/null 2>&1 || die "code-server --version fails (see $LOG)"

touch "$MARKER"
say "code-server $CODE_SERVER_VERSION installed"
