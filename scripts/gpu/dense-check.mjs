// GPU-vs-CPU check of the dense, softmax, dropout, embedding and loss ops (every dtype, param
// combination and gradient request), then large cases timed (their times include building the inputs
// from JS, so read them as upper bounds) and spot-checked. Prints
// "cases N mismatches M"; run on a GPU machine: ISOTENSOR_BACKEND=native node scripts/gpu/dense-check.mjs
import * as mx from '../../dist/index.mjs';
import { writeFileSync } from 'node:fs';
await mx.ready();
const { nd, autograd } = mx;
function pr(n, seed = 1) { let s = seed >>> 0 || 1; const o = []; for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; o.push((s / 2 ** 32) * 2 - 1); } return o; }
const size = (sh) => sh.reduce((a, b) => a * b, 1);
let CTX = null;
function mk(spec, k) {
  if (spec.values) return nd.array(spec.values, { shape: spec.shape, dtype: spec.dtype ?? 'float32', ctx: CTX });
  const v = pr(size(spec.shape), 17 + k * 31 + (spec.seed ?? 0)).map((x) => x * (spec.scale ?? 2) + (spec.shift ?? 0));
  const vv = spec.int ? v.map((x) => Math.trunc(x)) : v;
  return nd.array(vv, { shape: spec.shape, dtype: spec.dtype ?? 'float32', ctx: CTX });
}
const host = (x) => Array.from(x.astype('float64').dataSync(), Number);
const results = {};
function rec(name, f) {
  try { results[name] = f(); } catch (e) { results[name] = { error: String(e.message ?? e) }; }
}
const cases = [];
const F = ['float32', 'float64', 'float16', 'bfloat16'];
function add(name, op, inputs, params = {}, opts = {}) { cases.push({ name, op, inputs, params, ...opts }); }

// ---- FullyConnected ----
for (const dt of F) for (const nb of [false, true]) for (const fl of [true, false]) {
  const ins = [{ shape: [3, 2, 5], dtype: dt }, { shape: [4, fl ? 10 : 5], dtype: dt }];
  if (!nb) ins.push({ shape: [4], dtype: dt });
  add(`fc ${dt} nb=${nb} fl=${fl}`, 'FullyConnected', ins, { num_hidden: 4, no_bias: nb, flatten: fl }, { grad: ins.map(() => true) });
}
add('fc big M', 'FullyConnected', [{ shape: [3000, 7] }, { shape: [3, 7] }, { shape: [3] }], { num_hidden: 3 }, { grad: [true, true, true] });
add('fc big M f64', 'FullyConnected', [{ shape: [1500, 7], dtype: 'float64' }, { shape: [3, 7], dtype: 'float64' }, { shape: [3], dtype: 'float64' }], { num_hidden: 3 }, { grad: [true, true, true] });
add('fc big M f16', 'FullyConnected', [{ shape: [1100, 7], dtype: 'float16' }, { shape: [3, 7], dtype: 'float16' }, { shape: [3], dtype: 'float16' }], { num_hidden: 3 }, { grad: [true, true, true] });
add('fc zero rows', 'FullyConnected', [{ shape: [0, 5] }, { shape: [3, 5] }, { shape: [3] }], { num_hidden: 3 }, { grad: [true, true, true] });
add('fc zero K', 'FullyConnected', [{ shape: [2, 0] }, { shape: [3, 0] }, { shape: [3] }], { num_hidden: 3 }, { grad: [true, true, true] });
// ---- dot / batch_dot ----
for (const dt of ['float32', 'float64', 'float16', 'int32', 'int64', 'uint8']) for (const ta of [false, true]) for (const tb of [false, true]) {
  const isInt = dt.includes('int');
  add(`dot ${dt} ${ta} ${tb}`, 'dot', [{ shape: ta ? [4, 3] : [3, 4], dtype: dt, int: isInt, scale: isInt ? 5 : 2, shift: dt === 'uint8' ? 5 : 0 }, { shape: tb ? [2, 4] : [4, 2], dtype: dt, int: isInt, scale: isInt ? 5 : 2, shift: dt === 'uint8' ? 5 : 0 }], { transpose_a: ta, transpose_b: tb }, { grad: isInt ? null : [true, true] });
  add(`batch_dot ${dt} ${ta} ${tb}`, 'batch_dot', [{ shape: ta ? [2, 4, 3] : [2, 3, 4], dtype: dt, int: isInt, scale: isInt ? 5 : 2, shift: dt === 'uint8' ? 5 : 0 }, { shape: tb ? [2, 5, 4] : [2, 4, 5], dtype: dt, int: isInt, scale: isInt ? 5 : 2, shift: dt === 'uint8' ? 5 : 0 }], { transpose_a: ta, transpose_b: tb }, { grad: isInt ? null : [true, true] });
}
add('dot vec', 'dot', [{ shape: [5] }, { shape: [5] }], {}, { grad: [true, true] });
add('dot nd', 'dot', [{ shape: [2, 3, 4] }, { shape: [4, 2, 2] }], {}, { grad: [true, true] });
add('dot nd ta', 'dot', [{ shape: [4, 3, 2] }, { shape: [4, 5] }], { transpose_a: true }, { grad: [true, true] });
add('dot K0', 'dot', [{ shape: [3, 0] }, { shape: [0, 2] }], {}, { grad: [true, true] });
add('dot M0', 'dot', [{ shape: [0, 3] }, { shape: [3, 2] }], {}, { grad: [true, true] });
add('batch_dot 4d', 'batch_dot', [{ shape: [2, 2, 3, 4] }, { shape: [2, 2, 4, 3] }], {}, { grad: [true, true] });
// ---- linalg gemm ----
for (const dt of ['float32', 'float64']) for (const ta of [false, true]) for (const tb of [false, true]) for (const axis of [-2, 0, 1]) {
  const a = [2, 3, 4], b = [2, 4, 5];
  // axis=-2: matrices (3x4)(4x5) batch 2
  let A, B, C;
  if (axis === -2) { A = ta ? [2, 4, 3] : [2, 3, 4]; B = tb ? [2, 5, 4] : [2, 4, 5]; C = [2, 3, 5]; }
  else if (axis === 0) { A = ta ? [4, 2, 3] : [3, 2, 4]; B = tb ? [5, 2, 4] : [4, 2, 5]; C = [3, 2, 5]; }
  else { A = ta ? [2, 4, 2, 3] : [2, 3, 2, 4]; B = tb ? [2, 5, 2, 4] : [2, 4, 2, 5]; C = [2, 3, 2, 5]; }
  add(`gemm2 ${dt} ${ta} ${tb} ${axis}`, '_linalg_gemm2', [{ shape: A, dtype: dt }, { shape: B, dtype: dt }], { transpose_a: ta, transpose_b: tb, axis, alpha: 0.7 }, { grad: [true, true] });
  add(`gemm ${dt} ${ta} ${tb} ${axis}`, '_linalg_gemm', [{ shape: A, dtype: dt }, { shape: B, dtype: dt }, { shape: C, dtype: dt }], { transpose_a: ta, transpose_b: tb, axis, alpha: 0.7, beta: 1.3 }, { grad: [true, true, true] });
  add(`gemm b0 ${dt} ${ta} ${tb} ${axis}`, '_linalg_gemm', [{ shape: A, dtype: dt }, { shape: B, dtype: dt }, { shape: C, dtype: dt }], { transpose_a: ta, transpose_b: tb, axis, beta: 0 }, {});
}
add('gemm2 K0', '_linalg_gemm2', [{ shape: [2, 3, 0] }, { shape: [2, 0, 4] }], {}, {});
add('gemm K0', '_linalg_gemm', [{ shape: [2, 3, 0] }, { shape: [2, 0, 4] }, { shape: [2, 3, 4] }], { beta: 2 }, {});
// ---- Activation / LeakyReLU ----
for (const dt of F) {
  for (const act of ['relu', 'sigmoid', 'tanh', 'softrelu', 'softsign'])
    add(`act ${act} ${dt}`, 'Activation', [{ shape: [3, 7], dtype: dt, scale: 30 }], { act_type: act }, { grad: [true] });
  for (const act of ['leaky', 'elu', 'selu', 'gelu', 'rrelu'])
    for (const train of [false, true])
      add(`lrelu ${act} ${dt} ${train}`, 'LeakyReLU', [{ shape: [3, 4, 5], dtype: dt, scale: 4 }], { act_type: act, slope: 0.3 }, { grad: [true], train });
  add(`prelu ${dt}`, 'LeakyReLU', [{ shape: [3, 4, 5], dtype: dt }, { shape: [4], dtype: dt, shift: 0.5 }], { act_type: 'prelu' }, { grad: [true, true] });
  add(`prelu g01 ${dt}`, 'LeakyReLU', [{ shape: [3, 4, 5], dtype: dt }, { shape: [3, 1], dtype: dt }], { act_type: 'prelu' }, { grad: [true, true] });
  add(`prelu g34 ${dt}`, 'LeakyReLU', [{ shape: [3, 4, 2], dtype: dt }, { shape: [3, 4], dtype: dt }], { act_type: 'prelu' }, { grad: [true, true] });
  add(`prelu 1d ${dt}`, 'LeakyReLU', [{ shape: [6], dtype: dt }, { shape: [1], dtype: dt }], { act_type: 'prelu' }, { grad: [true, true] });
}
// ---- softmax family ----
for (const dt of F) for (const op of ['softmax', 'log_softmax', 'softmin']) for (const axis of [-1, 0, 1]) {
  add(`${op} ${dt} ax${axis}`, op, [{ shape: [3, 4, 5], dtype: dt, scale: 5 }], { axis }, { grad: [true] });
  add(`${op} ${dt} ax${axis} T`, op, [{ shape: [3, 4, 5], dtype: dt, scale: 5 }], { axis, temperature: 2.5 }, { grad: [true] });
}
for (const op of ['softmax', 'log_softmax', 'softmin']) {
  for (const odt of F) add(`${op} f32->${odt}`, op, [{ shape: [3, 5], dtype: 'float32', scale: 5 }], { dtype: odt }, { grad: [true] });
  add(`${op} f16->f64`, op, [{ shape: [3, 5], dtype: 'float16', scale: 5 }], { dtype: 'float64' }, { grad: [true] });
  for (const ldt of ['int32', 'int64', 'uint8', 'int8'])
    add(`${op} len ${ldt}`, op, [{ shape: [3, 6] }, { shape: [3], dtype: ldt, values: [2, 0, 9] }], { axis: -1, use_length: true }, { grad: [true, false] });
  add(`${op} len ax0`, op, [{ shape: [4, 3, 2] }, { shape: [3, 2], dtype: 'int32', values: [1, 2, 3, 4, -1, 0] }], { axis: 0, use_length: true }, { grad: [true, false] });
}
const longVals = pr(3 * 10000, 5).map((v, i) => (i === 10000 || i === 25000 ? NaN : v * 6));
for (const op of ['softmax', 'log_softmax', 'softmin']) for (const dt of ['float32', 'float64', 'float16']) {
  add(`${op} long ${dt}`, op, [{ shape: [3, 10000], dtype: dt, scale: 6 }], {}, { grad: [true] });
  add(`${op} long ax0 ${dt}`, op, [{ shape: [9000, 2], dtype: dt, scale: 6 }], { axis: 0, temperature: 1.5 }, { grad: [true] });
  add(`${op} long len ${dt}`, op, [{ shape: [3, 10000], dtype: dt, scale: 6 }, { shape: [3], dtype: 'int32', values: [9999, 100, 4097] }], { use_length: true }, { grad: [true, false] });
  add(`${op} long nan ${dt}`, op, [{ shape: [3, 10000], dtype: dt, values: longVals }], {}, { grad: [true] });
}
for (const dt of F) for (const mode of ['instance', 'channel'])
  add(`SoftmaxActivation ${dt} ${mode}`, 'SoftmaxActivation', [{ shape: [2, 3, 4], dtype: dt, scale: 4 }], { mode }, { grad: [true] });
// ---- SoftmaxOutput ----
for (const dt of F) {
  const lab = { shape: [4], dtype: 'float32', values: [0, 2, 1, 2] };
  for (const norm of ['null', 'batch', 'valid']) for (const ui of [false, true]) for (const og of [false, true]) {
    add(`smo ${dt} ${norm} ui=${ui} og=${og}`, 'SoftmaxOutput', [{ shape: [4, 3], dtype: dt, scale: 3 }, lab], { normalization: norm, use_ignore: ui, ignore_label: 2, out_grad: og, grad_scale: 1.5, smooth_alpha: 0.1 }, { grad: [true, false] });
    add(`smo multi ${dt} ${norm} ui=${ui}`, 'SoftmaxOutput', [{ shape: [2, 3, 4], dtype: dt, scale: 3 }, { shape: [2, 4], dtype: 'int32', values: [0, 1, 2, 1, 2, 2, 0, 5] }], { multi_output: true, normalization: norm, use_ignore: ui, ignore_label: 2, out_grad: og }, { grad: [true, false] });
  }
  add(`smo preserve ${dt}`, 'SoftmaxOutput', [{ shape: [2, 3, 4], dtype: dt }, { shape: [2, 3], dtype: 'float64', values: [0, 1, 2, 3, 0, 1] }], { preserve_shape: true }, { grad: [true, false] });
  add(`smo flat ${dt}`, 'SoftmaxOutput', [{ shape: [2, 3, 4], dtype: dt }, { shape: [2], values: [5, 11] }], {}, { grad: [true, false] });
  add(`smo prob ${dt}`, 'SoftmaxOutput', [{ shape: [3, 4], dtype: dt }, { shape: [3, 4], dtype: dt, scale: 0.5, shift: 0.5 }], { out_grad: true }, { grad: [true, false] });
}
// ---- softmax_cross_entropy ----
for (const dt of F) add(`sce ${dt}`, 'softmax_cross_entropy', [{ shape: [4, 5], dtype: dt, scale: 4 }, { shape: [4], dtype: 'int32', values: [0, 4, 7, -1] }], {}, { grad: [true, false] });
add('sce nan label', 'softmax_cross_entropy', [{ shape: [2, 3] }, { shape: [2], dtype: 'float32', values: [NaN, 1] }], {}, { grad: [true, false] });
// ---- Dropout ----
for (const dt of F) for (const p of [0, 0.3, 1]) for (const mode of ['training', 'always']) for (const train of [false, true]) {
  add(`dropout ${dt} ${p} ${mode} ${train}`, 'Dropout', [{ shape: [3, 7, 5], dtype: dt }], { p, mode }, { grad: [true], train });
}
for (const axes of [[0], [1], [2], [0, 2], [1, 2], [-1]]) add(`dropout axes ${axes}`, 'Dropout', [{ shape: [3, 7, 5] }], { p: 0.4, axes }, { grad: [true], train: true });
add('dropout 4d axes', 'Dropout', [{ shape: [2, 3, 4, 5] }], { p: 0.5, axes: [0, 2] }, { grad: [true], train: true });
// ---- Embedding ----
for (const wdt of [...F, 'int32', 'uint8']) for (const idt of ['float32', 'int32', 'int64', 'float16']) {
  add(`emb w=${wdt} i=${idt}`, 'Embedding', [{ shape: [2, 4], dtype: idt, values: [0, 3, 1, 3, 9, -2, 2.7, 1] }, { shape: [5, 3], dtype: wdt, int: wdt.includes('int'), scale: 10, shift: wdt === 'uint8' ? 10 : 0 }], { input_dim: 5, output_dim: 3, dtype: wdt }, { grad: wdt.includes('int') ? null : [false, true] });
}
// ---- take ----
for (const mode of ['clip', 'wrap', 'raise']) for (const axis of [0, 1, -1]) for (const dt of ['float32', 'float16', 'int32', 'float64', 'bool']) {
  const idx = mode === 'raise' ? [0, 2, -1, 1, 2] : [0, 5, -1, -7, 2];
  add(`take ${mode} ${axis} ${dt}`, 'take', [{ shape: [3, 3, 2], dtype: dt, values: dt === 'bool' ? pr(18).map((x) => (x > 0 ? 1 : 0)) : undefined }, { shape: [5], dtype: 'float32', values: idx }], { axis, mode }, { grad: dt.startsWith('float') ? [true, false] : null });
}
add('take raise bad', 'take', [{ shape: [3, 2] }, { shape: [4], values: [0, 1, 5, -9] }], { mode: 'raise' }, {});
add('take nan', 'take', [{ shape: [3, 2] }, { shape: [3], values: [0, NaN, 1] }], {}, {});
add('take inf raise', 'take', [{ shape: [3, 2] }, { shape: [3], values: [0, 7, Infinity] }], { mode: 'raise' }, {});
add('take int64 idx', 'take', [{ shape: [4, 2] }, { shape: [2, 2], dtype: 'int64', values: [3, 0, 1, 1] }], {}, { grad: [true, false] });
add('take 2d idx repeat', 'take', [{ shape: [4, 3] }, { shape: [2, 3], dtype: 'int32', values: [3, 3, 0, 1, 3, 3] }], { axis: 0 }, { grad: [true, false] });
// ---- pick ----
for (const mode of ['clip', 'wrap']) for (const axis of [0, 1, -1]) for (const kd of [false, true]) for (const dt of ['float32', 'float64', 'int32', 'float16']) {
  const shape = [3, 4, 2];
  const ax = axis < 0 ? 2 : axis;
  const ishape = shape.filter((_, i) => i !== ax);
  add(`pick ${mode} ${axis} ${kd} ${dt}`, 'pick', [{ shape, dtype: dt }, { shape: ishape, dtype: 'float32', int: true, scale: 6 }], { axis, keepdims: kd, mode }, { grad: dt.startsWith('float') ? [true, false] : null });
}
add('pick nan', 'pick', [{ shape: [3, 2] }, { shape: [3], values: [0, NaN, 1] }], {}, {});
// ---- one_hot ----
for (const odt of ['float32', 'float64', 'float16', 'int32', 'uint8', 'int64']) for (const idt of ['float32', 'int32', 'int64'])
  add(`one_hot ${odt} ${idt}`, 'one_hot', [{ shape: [2, 3], dtype: idt, values: [0, 3, 5, -1, 2, 1.5] }], { depth: 4, on_value: 2.5, off_value: -1, dtype: odt }, {});
add('one_hot nan', 'one_hot', [{ shape: [3], values: [NaN, 1, Infinity] }], { depth: 3 }, {});
// ---- MakeLoss / make_loss ----
for (const dt of ['float32', 'float64', 'float16', 'int32']) for (const norm of ['null', 'batch', 'valid']) {
  add(`MakeLoss ${dt} ${norm}`, 'MakeLoss', [{ shape: [4, 3], dtype: dt, int: dt === 'int32', scale: 5 }], { normalization: norm, grad_scale: 2, valid_thresh: 0.1 }, { grad: dt === 'int32' ? null : [true] });
}
for (const dt of ['float32', 'float64', 'int32']) add(`make_loss ${dt}`, 'make_loss', [{ shape: [4, 3], dtype: dt, int: dt === 'int32' }], {}, { grad: dt === 'int32' ? null : [true] });
add('MakeLoss valid none', 'MakeLoss', [{ shape: [3], values: [-1, -2, -3] }], { normalization: 'valid' }, { grad: [true] });
// ---- regression outputs ----
for (const op of ['LinearRegressionOutput', 'LogisticRegressionOutput', 'MAERegressionOutput']) for (const dt of F) {
  add(`${op} ${dt}`, op, [{ shape: [4, 3], dtype: dt }, { shape: [4, 3], dtype: 'int32', values: [0, 1, 0, 1, 1, 0, 0, 0, 1, 1, 1, 0] }], { grad_scale: 1.7 }, { grad: [true, false] });
  add(`${op} ${dt} n1`, op, [{ shape: [4, 1], dtype: dt }, { shape: [4], dtype: dt }], {}, { grad: [true, false] });
}

add('take huge clip', 'take', [{ shape: [3, 2] }, { shape: [3], values: [1e30, -1e30, 1] }], {}, { grad: [true, false] });
add('take huge wrap', 'take', [{ shape: [3, 2] }, { shape: [3], values: [1e30, -1e30, 1] }], { mode: 'wrap' }, {});
add('take huge f64 wrap', 'take', [{ shape: [3, 2] }, { shape: [3], dtype: 'float64', values: [1e30, -1e19, 1] }], { mode: 'wrap' }, {});
add('take huge raise', 'take', [{ shape: [3, 2] }, { shape: [3], values: [1, 1e30, 1] }], { mode: 'raise' }, {});
add('pick huge', 'pick', [{ shape: [3, 2] }, { shape: [3], values: [1e30, -1e30, 1] }], {}, { grad: [true, false] });
add('pick huge wrap', 'pick', [{ shape: [3, 2] }, { shape: [3], values: [1e30, -1e30, 1] }], { mode: 'wrap' }, {});
add('smo nan label', 'SoftmaxOutput', [{ shape: [3, 4] }, { shape: [3], values: [NaN, 1e12, 2] }], { normalization: 'valid', use_ignore: true, ignore_label: -2147483648 }, { grad: [true, false] });
add('smo nan label2', 'SoftmaxOutput', [{ shape: [3, 4] }, { shape: [3], values: [NaN, 1e12, 0] }], { normalization: 'valid', use_ignore: true, ignore_label: 0 }, { grad: [true, false] });

// ---- direct backward ops (kWriteTo) ----
const direct = [
  ['_backward_FullyConnected', [{ shape: [3, 4] }, { shape: [3, 5] }, { shape: [4, 5] }], { num_hidden: 4 }],
  ['_backward_FullyConnected', [{ shape: [3, 4], dtype: 'float16' }, { shape: [3, 5], dtype: 'float16' }, { shape: [4, 5], dtype: 'float16' }], { num_hidden: 4, no_bias: true }],
  ['_backward_dot', [{ shape: [3, 2] }, { shape: [3, 4] }, { shape: [4, 2] }], {}],
  ['_backward_dot', [{ shape: [3, 2], dtype: 'int32', int: true, scale: 5 }, { shape: [3, 4], dtype: 'int32', int: true, scale: 5 }, { shape: [4, 2], dtype: 'int32', int: true, scale: 5 }], {}],
  ['_backward_batch_dot', [{ shape: [2, 3, 2] }, { shape: [2, 4, 3] }, { shape: [2, 2, 4] }], { transpose_a: true, transpose_b: true }],
  ['_backward_softmax', [{ shape: [3, 4] }, { shape: [3, 4] }], {}],
  ['_backward_LeakyReLU', [{ shape: [3, 4] }, { shape: [3, 4] }], { act_type: 'gelu' }],
  ['_backward_Embedding', [{ shape: [4, 3], dtype: 'float16' }, { shape: [4], values: [1, 1, 0, 4] }], { input_dim: 5, output_dim: 3 }],
  ['_backward_Embedding', [{ shape: [4, 3], dtype: 'int32', int: true, scale: 9 }, { shape: [4], values: [1, 1, 0, 4] }], { input_dim: 5, output_dim: 3 }],
  ['_backward_take', [{ shape: [4, 2], dtype: 'float16' }, { shape: [4], values: [1, 1, 0, 2] }, { shape: [3, 2], dtype: 'float16' }], {}],
  ['_backward_pick', [{ shape: [3] }, { shape: [3], values: [1, 1, 0] }, { shape: [3, 2] }], {}],
  ['_backward_MakeLoss', [{ shape: [3, 2], dtype: 'float16' }], { normalization: 'valid' }],
  ['_backward_softmax_cross_entropy', [{ shape: [1], values: [2.5] }, { shape: [2, 3] }, { shape: [2], values: [1, 2] }], {}],
  ['_backward_SoftmaxOutput', [{ shape: [2, 3] }, { shape: [2, 3] }, { shape: [2], values: [0, 2] }], { normalization: 'valid', ignore_label: 0 }],
];
direct.forEach(([op, ins, params], i) => add(`direct ${i} ${op}`, op, ins, params, {}));

function runOne(c) {
  mx.random.seed(42);
  const run = () => {
    const ins = c.inputs.map((s, k) => mk(s, k));
    const call = () => mx.operator.invoke(c.op, ins, c.params);
    const r = { out: (c.train ? autograd.trainMode(call) : call()).map(host) };
    if (c.grad) {
      for (const req of ['write', 'add']) {
        const vars = ins.filter((_, k) => c.grad[k]);
        vars.forEach((v) => v.attachGrad({ gradReq: req }));
        for (let rep = 0; rep < (req === 'add' ? 2 : 1); rep++) {
          mx.random.seed(7);
          const outs = autograd.record(() => (c.train ? autograd.trainMode(call) : call()), { trainMode: !!c.train });
          autograd.backward(outs, outs.map((o, j) => mk({ shape: o.shape, dtype: o.dtype, seed: 99 + j }, j)));
        }
        r[`grad_${req}`] = vars.map((v) => host(v.grad));
      }
    }
    return r;
  };
  try { return run(); } catch (e) { return { error: String(e.message ?? e) }; }
}

const TOL = { float64: 1e-9, float32: 1e-4, float16: 5e-3, bfloat16: 3e-2 };
const tolOf = (c) => { if (c.name.startsWith('dropout') || c.name.includes('rrelu')) return 0; let t = 0; for (const s of c.inputs) t = Math.max(t, TOL[s.dtype ?? 'float32'] ?? 0); const o = c.params.dtype; if (o && TOL[o]) t = Math.max(t, TOL[o]); return t || 1e-12; };
const flat = (v) => JSON.parse(JSON.stringify(v)).flat(3);
const GPU = process.env.DND_FAKE ? mx.cpu() : mx.gpu(0);
let bad = 0; const report = [];
const t0 = Date.now();
for (const c of cases) {
  CTX = mx.cpu(); const a = runOne(c);
  CTX = GPU; const b = runOne(c);
  if (a.error || b.error) {
    const ea = a.error ?? 'none', eb = b.error ?? 'none';
    if (ea !== eb) { bad++; report.push(`ERR ${c.name}\n   cpu: ${ea}\n   gpu: ${eb}`); }
    continue;
  }
  const tol = tolOf(c);
  for (const f of Object.keys(a)) {
    const p = flat(a[f]), q = flat(b[f] ?? []);
    let num = 0, den = 0, nanMismatch = false;
    if (p.length !== q.length) { bad++; report.push(`LEN ${c.name} ${f} ${p.length} ${q.length}`); continue; }
    for (let i = 0; i < p.length; i++) {
      const u = p[i], v = q[i];
      if ((u === null) !== (v === null)) { nanMismatch = true; continue; }
      if (u === null) continue;
      num = Math.max(num, Math.abs(u - v)); den = Math.max(den, Math.abs(u));
    }
    const rel = num / Math.max(den, 1e-6);
    if (nanMismatch || rel > tol) { bad++; report.push(`DIFF ${c.name} ${f} rel=${rel} nan=${nanMismatch} cpu=${JSON.stringify(p.slice(0, 6))} gpu=${JSON.stringify(q.slice(0, 6))}`); }
  }
}
console.log(report.join('\n'));
console.log(`cases ${cases.length} mismatches ${bad} in ${Date.now() - t0} ms`);
// which path each op took
const ops = JSON.parse(mx.operator ? JSON.stringify(mx.operator.callCounts()) : '{}');

// ---- large sizes: launch limits and rough timings (GPU), spot-checked against the CPU ----
function timeit(name, f, reps = 3) {
  try {
    let r = f(); r.forEach((x) => x.waitToRead());
    const t = Date.now();
    for (let i = 0; i < reps; i++) { r = f(); r.forEach((x) => x.waitToRead()); }
    console.log(`big ${name}: ${((Date.now() - t) / reps).toFixed(1)} ms`);
    return r;
  } catch (e) { console.log(`big ${name}: ERROR ${e.message}`); return null; }
}
function big(shape, ctx, seed = 1, scale = 1, dtype = 'float32') {
  return mx.nd.array(pr(Math.min(size(shape), 1 << 20), seed).map((x) => x * scale), { dtype, ctx }).reshape([-1]).tile([Math.ceil(size(shape) / Math.min(size(shape), 1 << 20))]).slice(0, size(shape)).reshape(shape);
}
function spot(name, g, c) {
  try {
  // Typed arrays as they come: a plain Array of 131 M numbers exceeds V8's array length limit.
  const a = g.dataSync(), b = c.dataSync();
  let num = 0, den = 0; for (let i = 0; i < a.length; i += 997) { num = Math.max(num, Math.abs(a[i] - b[i])); den = Math.max(den, Math.abs(b[i])); }
  console.log(`big ${name}: spot rel diff ${num / Math.max(den, 1e-6)}`);
  } catch (e) { console.log(`big ${name}: spot ERROR ${e.message}`); }
}
if (!process.env.DND_SKIP_BIG) try {
  for (const ctx of [GPU]) {
    const x = big([2048, 4096], ctx), w = big([4096, 4096], ctx, 2, 0.02), b = big([4096], ctx, 3);
    const y = timeit('FC 2048x4096x4096 fwd', () => mx.operator.invoke('FullyConnected', [x, w, b], { num_hidden: 4096 }));
    const og = big([2048, 4096], ctx, 4);
    timeit('FC bwd', () => mx.operator.invoke('_backward_FullyConnected', [og, x, w], { num_hidden: 4096 }));
    const sm = big([4096, 32000], ctx, 5, 5);
    const smy = timeit('softmax 4096x32000', () => mx.operator.invoke('softmax', [sm], { axis: -1 }));
    timeit('softmax axis0 4096x32000', () => mx.operator.invoke('softmax', [sm], { axis: 0 }));
    timeit('log_softmax bwd', () => mx.operator.invoke('_backward_log_softmax', [sm, smy[0]], {}));
    const idx = mx.nd.array(pr(65536, 9).map((v) => Math.floor((v + 1) * 25000)), { dtype: 'int32', ctx });
    const ogE = big([65536, 512], ctx, 6);
    const ge = timeit('Embedding bwd 65536 idx, 50000x512', () => mx.operator.invoke('_backward_Embedding', [ogE, idx], { input_dim: 50000, output_dim: 512 }));
    const dx = big([8192, 8192], ctx, 7);
    mx.random.seed(5);
    const dr = timeit('Dropout 64M', () => autograd.trainMode(() => mx.operator.invoke('Dropout', [dx], { p: 0.5 })), 1);
    const takeW = big([50000, 512], ctx, 8);
    timeit('take bwd axis0 65536 idx', () => mx.operator.invoke('_backward_take', [ogE, idx, takeW], {}));
    // Inputs are made before timing: building them from JS numbers would dominate the figures.
    const take1 = [big([1 << 20], ctx, 9), mx.nd.array(pr(1 << 20, 3).map((v) => Math.floor((v + 1) * 500)), { dtype: 'int32', ctx }), big([1000], ctx)];
    timeit('take bwd 1-D 1M idx', () => mx.operator.invoke('_backward_take', take1, {}), 1);
    timeit('SoftmaxOutput bwd 4096x32000', () => mx.operator.invoke('_backward_SoftmaxOutput', [sm, smy[0], mx.nd.array(pr(4096, 4).map((v) => Math.floor((v + 1) * 16000)), { ctx })], { normalization: 'valid' }));
    const prelu = [big([64, 256, 56, 56], ctx, 1), big([64, 256, 56, 56], ctx, 2), big([256], ctx, 3)];
    timeit('prelu bwd 64x256x56x56', () => mx.operator.invoke('_backward_LeakyReLU', prelu, { act_type: 'prelu' }), 1);
    const bd = [big([256, 128, 64], ctx), big([256, 64, 128], ctx, 2)];
    timeit('batch_dot 256x128x64x128', () => mx.operator.invoke('batch_dot', bd, {}));
    // spot checks against the CPU
    const xc = x.copyto(mx.cpu()), wc = w.copyto(mx.cpu()), bc = b.copyto(mx.cpu());
    if (y) spot('FC vs cpu', y[0], mx.operator.invoke('FullyConnected', [xc, wc, bc], { num_hidden: 4096 })[0]);
    if (smy) spot('softmax vs cpu', smy[0], mx.operator.invoke('softmax', [sm.copyto(mx.cpu())], { axis: -1 })[0]);
    if (ge) spot('Embedding bwd vs cpu', ge[0], mx.operator.invoke('_backward_Embedding', [ogE.copyto(mx.cpu()), idx.copyto(mx.cpu())], { input_dim: 50000, output_dim: 512 })[0]);
    try {
      mx.random.seed(5); const dg = autograd.trainMode(() => mx.operator.invoke('Dropout', [dx], { p: 0.5 }));
      mx.random.seed(5); const dc = autograd.trainMode(() => mx.operator.invoke('Dropout', [dx.copyto(mx.cpu())], { p: 0.5 }));
      spot('Dropout(seed 5) vs cpu', dg[0], dc[0]);
    } catch (e) { console.log('dropout spot ERROR', e.message); }
  }
} catch (e) { console.log('big section ERROR', e.stack); }
