#!/usr/bin/env bash
# Builds llama.cpp's llama-server and llama-bench (CPU) from the llama.cpp source that
# node-llama-cpp ships (node_modules/node-llama-cpp/llama/gitRelease.bundle) into
# .cache/llama-server/, once: the real peer for `hearth bench --peer llama-server=URL`, and
# the reference decode speed for scripts/measure-decode-depth.mjs. About 6 minutes on 2 cores.
#
# -DGGML_NATIVE=OFF with AVX/AVX2/FMA/F16C/AVX-512 on and AMX off: a native build enables
# AMX on these CPUs, which the machines refuse (illegal instruction). No web UI: its build
# step would download prebuilt assets from Hugging Face, and Hearth needs none of it.
#   bash scripts/llama-server/build.sh      # prints the binary's path
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUNDLE="$ROOT/node_modules/node-llama-cpp/llama/gitRelease.bundle"
SRC="$ROOT/.cache/llama.cpp"
BUILD="$ROOT/.cache/llama-server/build"
BIN="$BUILD/bin/llama-server"
say() { echo "[llama-server] $*" >&2; }

[ -f "$BUNDLE" ] || { say "no $BUNDLE: run npm install first"; exit 1; }
commit="$(git bundle list-heads "$BUNDLE" | head -1 | cut -d' ' -f1)"
if [ -x "$BIN" ] && [ -x "$BUILD/bin/llama-bench" ] && [ "$(cat "$BUILD/.built-from" 2>/dev/null)" = "$commit" ]; then echo "$BIN"; exit 0; fi

for tool in git cmake g++; do
  command -v "$tool" >/dev/null 2>&1 || { say "needs $tool (apt-get install cmake g++ git)"; exit 1; }
done
[ -d "$SRC/.git" ] || git clone --quiet --no-checkout "$BUNDLE" "$SRC"
git -C "$SRC" checkout --quiet --force "$commit"
say "configuring (CPU, no native tuning, AMX off)"
cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF \
  -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=ON \
  -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF \
  -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON \
  -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
  -DBUILD_SHARED_LIBS=OFF >&2
say "building llama-server and llama-bench with $(nproc) jobs"
cmake --build "$BUILD" --target llama-server llama-bench -j "$(nproc)" >&2
echo "$commit" > "$BUILD/.built-from"
echo "$BIN"
