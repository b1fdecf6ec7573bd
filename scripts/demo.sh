#!/usr/bin/env bash
# The README's main job: a headless completion and explanation through the daemon, with the
# request metrics. Uses $HEARTH_MODEL when set, else a model the project generates itself.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/hearth.mjs ] || node esbuild.mjs
model="${HEARTH_MODEL:-generated:tiny-target}"
home="${HEARTH_HOME:-$PWD/.cache/demo-home}"
file=test/fixtures/demo/fibonacci.ts
hearth() { node bin/hearth.cjs "$@"; }

echo "== hearth complete $file:9:5   (model: $model)"
hearth complete "$file:9:5" --home "$home" --model "$model" --max-tokens 48
echo
echo "== hearth explain $file:2-12"
hearth explain "$file:2-12" --home "$home" --no-spawn --max-tokens 96
echo
echo "== hearth status"
hearth status --home "$home" --no-spawn
hearth stop --home "$home"
