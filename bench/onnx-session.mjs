#!/usr/bin/env node
// ONNX models end to end: mx.onnx.InferenceSession (executor fast path, and node by node) against
// onnxruntime-node and onnxruntime-web on the same .onnx files, each column in its own process.
//   node bench/onnx-session.mjs [--reps 10] [--models resnet50,squeezenet]
// Models: onnx's `light` backend models (test/fixtures/onnx/light: the real architectures, weights made
// by ConstantOfShape), batch 1, input arange(n)/n. One timed call = session.run + waitAll (isotensor) or
// await session.run (onnxruntime); 2 warm-up calls, then the median of --reps.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (k, d) => (args.includes(k) ? args[args.indexOf(k) + 1] : d);
const reps = Number(opt('--reps', 10));
const models = opt('--models', 'resnet50,squeezenet,densenet121,inception_v1,shufflenet,bvlc_alexnet').split(',');
const file = (m) => path.join(here, '..', 'test/fixtures/onnx/light', `light_${m}.onnx`);

async function measure(f) {
  await f();
  await f();
  const ts = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await f();
    ts.push(performance.now() - t);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(reps / 2)];
}

async function child(column, model) {
  const p = file(model);
  if (column.startsWith('iso')) {
    const mx = await import('../dist/index.mjs');
    await mx.ready();
    const meta = mx.onnx.getModelMetadataSync(p);
    const [name, dims] = meta.inputTensorData[0];
    const shape = dims.map((d) => (typeof d === 'number' ? d : 1));
    const n = shape.reduce((a, b) => a * b, 1);
    const x = mx.nd.array(Float32Array.from({ length: n }, (_, i) => i / n), { shape });
    const s = mx.onnx.InferenceSession.createSync(p, { staticGraph: !column.endsWith('nodes') });
    return measure(() => { for (const v of Object.values(s.run({ [name]: x }))) v.dispose(); mx.waitAll(); });
  }
  const { createRequire } = await import('node:module');
  const require = createRequire(path.join(here, 'package.json'));
  const web = column === 'ortweb-2t';
  const ort = web ? await import(require.resolve('onnxruntime-web')) : require('onnxruntime-node');
  if (web) {
    const { packageInfo } = await import('./lib/pkg.mjs');
    ort.env.wasm.wasmPaths = `${packageInfo('onnxruntime-web').dir}/dist/`;
    ort.env.wasm.numThreads = 2;
    ort.env.logLevel = 'error';
  }
  const s = await ort.InferenceSession.create(p, { graphOptimizationLevel: 'all', logSeverityLevel: 3,
    ...(web ? { executionProviders: ['wasm'] } : { intraOpNumThreads: 2, interOpNumThreads: 1 }) });
  const name = s.inputNames[0];
  // Shapes from the model's declared input (symbolic dims as 1).
  const { default: fs } = await import('node:fs');
  const mx = await import('../dist/index.mjs');
  const dims = mx.onnx.getModelMetadataSync(new Uint8Array(fs.readFileSync(p))).inputTensorData[0][1].map((d) => (typeof d === 'number' ? d : 1));
  const n = dims.reduce((a, b) => a * b, 1);
  const t = new ort.Tensor('float32', Float32Array.from({ length: n }, (_, i) => i / n), dims);
  return measure(() => s.run({ [name]: t }));
}

if (args[0] === '--child') {
  const ms = await child(args[1], args[2]);
  console.log(JSON.stringify({ ms }));
  process.exit(0);
}

const columns = [['iso-native', 'native'], ['iso-native-nodes', 'native'], ['ortnode-2t', ''], ['iso-wasm-mt', 'wasm'], ['ortweb-2t', '']];
const rows = [];
for (const m of models) {
  const row = { model: m };
  for (const [c, backend] of columns) {
    try {
      const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', c, m, ...(args.includes('--reps') ? ['--reps', String(reps)] : [])],
                               { env: { ...process.env, ...(backend ? { ISOTENSOR_BACKEND: backend } : {}) }, stdio: ['ignore', 'pipe', 'ignore'] });
      row[c] = JSON.parse(out.toString().trim().split('\n').pop()).ms;
    } catch {
      row[c] = NaN;
    }
  }
  rows.push(row);
  const f = (v) => (Number.isNaN(v) ? 'fail' : v.toFixed(1));
  console.log(`| ${m} | ${columns.map(([c]) => f(row[c])).join(' | ')} | ${(row['ortnode-2t'] / row['iso-native']).toFixed(2)} | ${(row['ortweb-2t'] / row['iso-wasm-mt']).toFixed(2)} |`);
}
