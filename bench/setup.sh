#!/usr/bin/env bash
# Installs the benchmark's peers: the npm packages into bench/node_modules (from bench/package-lock.json)
# and a Python venv with CPU PyTorch from the local wheel folders. A peer that cannot be installed is
# reported here and shows as "skipped" in the table; this script never fails the build for it.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
venv="${BENCH_VENV:-/tmp/ref}"
wheels=(--find-links /opt/wheels --find-links /opt/pypi/files --find-links /opt/pypi-more/files)

# npm peers. The skip variables stop onnxruntime-node's install script from downloading anything
# (its CPU binaries ship inside the package).
if [ ! -d "$here/node_modules/onnxruntime-web" ] || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  echo "[bench/setup] npm ci --prefix bench"
  ONNXRUNTIME_NODE_INSTALL_CUDA=skip ONNXRUNTIME_NODE_INSTALL=skip \
    npm ci --prefix "$here" --no-audit --no-fund || echo "[bench/setup] npm ci failed: JS peer columns will be skipped"
fi

has_torch() { [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import torch, numpy' >/dev/null 2>&1; }

if has_torch; then
  exit 0
fi
# Someone else may be building the same venv: wait for their pip (up to 10 minutes) before starting ours.
for _ in $(seq 1 120); do
  pgrep -f "$venv/bin/pip" >/dev/null 2>&1 || pgrep -f "venv $venv" >/dev/null 2>&1 || break
  echo "[bench/setup] waiting for another install into $venv ..."
  sleep 5
done
if has_torch; then
  exit 0
fi
(
  flock -w 900 9 || { echo "[bench/setup] timed out waiting for $venv.lock"; exit 1; }
  has_torch && exit 0
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv" || exit 1
  echo "[bench/setup] installing torch numpy onnx onnxruntime into $venv (local wheels only)"
  nice "$venv/bin/pip" install -q --no-index "${wheels[@]}" torch numpy || exit 1
  # onnx/onnxruntime are only for bench/python/check_models.py; their absence skips nothing.
  nice "$venv/bin/pip" install -q --no-index "${wheels[@]}" onnx onnxruntime || true
) 9>"$venv.lock" || true
has_torch || echo "[bench/setup] PyTorch could not be installed into $venv: the torch column will be skipped"
exit 0
