// Summarises a scripts/gpu/suite.sh run from the files in its output folder: test counts and
// failures per vitest run, the LeNet lines, and the benchmark table.
import { existsSync, readFileSync } from 'node:fs';

const dir = process.argv[2] ?? '/tmp/gpu-out';
const read = (f) => (existsSync(`${dir}/${f}`) ? readFileSync(`${dir}/${f}`, 'utf8') : null);

function vitest(file, title) {
  const text = read(file);
  if (!text) return console.log(`${title}: no report (${file} missing)`);
  const r = JSON.parse(text);
  const failures = [];
  for (const f of r.testResults ?? []) {
    const spec = f.name.replace(/^.*test\/unit\//, '');
    const failedTests = (f.assertionResults ?? []).filter((t) => t.status === 'failed');
    if (f.status === 'failed' && failedTests.length === 0) failures.push(`${spec}: ${String(f.message).split('\n')[0].slice(0, 200)}`);
    for (const t of failedTests) {
      failures.push(`${spec} > ${t.fullName.slice(0, 120)}: ${String(t.failureMessages?.[0] ?? '').split('\n')[0].slice(0, 200)}`);
    }
  }
  console.log(`${title}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
  failures.slice(0, 80).forEach((l) => console.log(`  FAIL ${l}`));
  if (failures.length > 80) console.log(`  ... ${failures.length - 80} more`);
}

const probe = read('probe.log');
if (probe) console.log(`libraries on the machine:\n${probe.trim()}`);
vitest('gpu-spec.json', 'gpu specs (cuBLAS, cuDNN)');
vitest('nocublas.json', 'gpu spec (own GEMM kernels)');
vitest('suite-gpu.json', 'whole suite, default context gpu(0)');
const demo = read('demo.log');
if (demo) console.log(`main job (Gluon LeNet, hybridized) on gpu(0):\n${demo.trim().split('\n').slice(-3).join('\n')}`);
const lenet = read('lenet.log');
if (lenet) console.log(`LeNet/MNIST:\n${lenet.trim()}`);
const dense = read('dense.log');
if (dense) console.log(`dense-family check:\n${dense.trim().split('\n').filter((l) => /^(cases|big|DIFF|ERR)/.test(l)).slice(0, 30).join('\n')}`);
const bench = read('bench-gpu.md');
if (bench) console.log(bench.trim());
else if (read('bench-gpu.log')) console.log(read('bench-gpu.log').trim().split('\n').slice(-30).join('\n'));
const before = read('bench-gpu-nocudnn.md') ?? read('bench-gpu-nocudnn.log');
const spin = read('bench-gpu-spin.md') ?? read('bench-gpu-spin.log');
if (spin) console.log(`worker spinning longer (ISOTENSOR_GPU_SPIN_MICROS):\n${spin.trim().split('\n').slice(-20).join('\n')}`);
for (const f of ['W1a', 'W1b', 'W3a', 'W3b', 'W5a', 'W5b'].map((c) => `profile-${c}.txt`)) {
  const p = read(f);
  if (p) console.log(`isotensor ${f}:\n${p.trim().split('\n').slice(0, 16).join('\n')}`);
}
for (const f of ['W3a', 'W3b', 'W5a', 'W5b'].map((c) => `choices-${c}.txt`)) {
  const p = read(f);
  if (p) console.log(`${f}:\n${p.trim().split('\n').filter((l) => l.startsWith('[timed choice]')).slice(0, 30).join('\n')}`);
}
const tp = read('profile-torch.txt');
if (tp) console.log(tp.trim().split('\n').filter((l) => !/^-+$/.test(l.trim())).slice(0, 60).join('\n'));
if (before) console.log(`without cuDNN (ISOTENSOR_NO_CUDNN=1):\n${before.trim().split('\n').slice(-20).join('\n')}`);
