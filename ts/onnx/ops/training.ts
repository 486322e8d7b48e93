// ONNX ai.onnx.preview.training: one update step of Adagrad, Adam and Momentum, and Gradient.
// SPDX-License-Identifier: Apache-2.0
import { converter, type NodeContext, type Value } from '../convert.js';

const DOMAIN = 'ai.onnx.preview.training';

/**
 * The variadic tensor inputs after R and T split into `groups` lists of equal length (X..., G..., V..., ...),
 * each cast to the first X's dtype; R and T come back in that dtype too.
 */
function operands(c: NodeContext, groups: number, names: string): { r: Value; t: Value; lists: Value[][] } {
  const rest = c.numInputs - 2;
  if (rest < groups || rest % groups !== 0) {
    c.fail(`expects R, T and then ${groups} lists of equal length (${names}), got ${c.numInputs} inputs`);
  }
  const n = rest / groups;
  const x0 = c.input(2);
  const dt = c.dtype(x0, 'X');
  if (dt !== 'float32' && dt !== 'float64') c.fail(`optimized tensors must be float or double, got ${dt}`);
  const lists: Value[][] = [];
  for (let g = 0; g < groups; g++) {
    const list: Value[] = [];
    for (let i = 0; i < n; i++) list.push(c.cast(c.input(2 + g * n + i), dt));
    lists.push(list);
  }
  return { r: c.cast(c.input(0), dt), t: c.cast(c.input(1), dt), lists };
}

const mul = (c: NodeContext, a: Value, b: Value): Value => c.op('broadcast_mul', [a, b]);
const add = (c: NodeContext, a: Value, b: Value): Value => c.op('broadcast_add', [a, b]);
const sub = (c: NodeContext, a: Value, b: Value): Value => c.op('broadcast_sub', [a, b]);
const scale = (c: NodeContext, a: Value, s: number): Value => (s === 1 ? a : c.op('_mul_scalar', [a], { scalar: s }));

/** norm_coefficient * X + G: the gradient with 0.5 * norm_coefficient * ||X||^2's added. */
function regularized(c: NodeContext, x: Value, g: Value, norm: number): Value {
  return norm === 0 ? g : add(c, scale(c, x, norm), g);
}

/** 1 where the update count T is positive, else 0 (T already in the tensors' float dtype). */
const positive = (c: NodeContext, t: Value): Value => c.op('_greater_scalar', [t], { scalar: 0 });

converter('Adagrad', (c) => {
  const decay = c.float('decay_factor', 0);
  const eps = c.float('epsilon', 0);
  const norm = c.float('norm_coefficient', 0);
  const { r, t, lists } = operands(c, 3, 'X, G, H');
  const [xs, gs, hs] = lists as [Value[], Value[], Value[]];
  // r = R / (1 + T * decay_factor)
  const rate = decay === 0 ? r : c.op('broadcast_div', [r, c.op('_plus_scalar', [scale(c, t, decay)], { scalar: 1 })]);
  const xNew: Value[] = [];
  const hNew: Value[] = [];
  xs.forEach((x, i) => {
    const g = regularized(c, x, gs[i]!, norm);
    const h = add(c, hs[i]!, c.op('square', [g]));
    const denom = c.op('_plus_scalar', [c.op('sqrt', [h])], { scalar: eps });
    xNew.push(sub(c, x, mul(c, rate, c.op('broadcast_div', [g, denom]))));
    hNew.push(h);
  });
  return [...xNew, ...hNew];
}, 1, DOMAIN);

converter('Adam', (c) => {
  const alpha = c.float('alpha', 0.9);
  const beta = c.float('beta', 0.999);
  const eps = c.float('epsilon', 0);
  const norm = c.float('norm_coefficient', 0);
  const post = c.float('norm_coefficient_post', 0);
  const { r, t, lists } = operands(c, 4, 'X, G, V, H');
  const [xs, gs, vs, hs] = lists as [Value[], Value[], Value[], Value[]];
  // R_adjusted = T > 0 ? R * sqrt(1 - beta^T) / (1 - alpha^T) : R. The bias correction is evaluated at
  // max(T, 1) and blended in, so T = 0 (where 1 - alpha^T is 0) never divides by zero.
  const t1 = c.op('_maximum_scalar', [t], { scalar: 1 });
  const oneMinusPow = (base: number): Value => c.op('_rminus_scalar', [c.op('_rpower_scalar', [t1], { scalar: base })], { scalar: 1 });
  const correction = c.op('broadcast_div', [c.op('sqrt', [oneMinusPow(beta)]), oneMinusPow(alpha)]);
  const factor = c.op('_plus_scalar', [mul(c, positive(c, t), c.op('_minus_scalar', [correction], { scalar: 1 }))], { scalar: 1 });
  const rate = mul(c, r, factor);
  const xNew: Value[] = [];
  const vNew: Value[] = [];
  const hNew: Value[] = [];
  xs.forEach((x, i) => {
    const g = regularized(c, x, gs[i]!, norm);
    const v = add(c, scale(c, vs[i]!, alpha), scale(c, g, 1 - alpha));
    const h = add(c, scale(c, hs[i]!, beta), scale(c, c.op('square', [g]), 1 - beta));
    const denom = c.op('_plus_scalar', [c.op('sqrt', [h])], { scalar: eps });
    const xn = sub(c, x, mul(c, rate, c.op('broadcast_div', [v, denom])));
    xNew.push(post === 0 ? xn : scale(c, xn, 1 - post));
    vNew.push(v);
    hNew.push(h);
  });
  return [...xNew, ...vNew, ...hNew];
}, 1, DOMAIN);

converter('Momentum', (c) => {
  // All four attributes are required by the spec.
  const need = (name: string): number => c.float(name) ?? c.fail(`attribute ${name} is required`);
  const alpha = need('alpha');
  const beta = need('beta');
  const norm = need('norm_coefficient');
  const mode = c.string('mode') ?? c.fail('attribute mode is required');
  if (mode !== 'standard' && mode !== 'nesterov') c.fail(`mode '${mode}' is not 'standard' or 'nesterov'`);
  const { r, t, lists } = operands(c, 3, 'X, G, V');
  const [xs, gs, vs] = lists as [Value[], Value[], Value[]];
  // The gradient's coefficient is 1 at the first step (T = 0), beta after: 1 + (T > 0) * (beta - 1).
  const betaAdj = c.op('_plus_scalar', [scale(c, positive(c, t), beta - 1)], { scalar: 1 });
  const xNew: Value[] = [];
  const vNew: Value[] = [];
  xs.forEach((x, i) => {
    const g = regularized(c, x, gs[i]!, norm);
    const v = add(c, scale(c, vs[i]!, alpha), mul(c, betaAdj, g));
    const step = mode === 'standard' ? v : add(c, g, scale(c, v, alpha));
    xNew.push(sub(c, x, mul(c, r, step)));
    vNew.push(v);
  });
  return [...xNew, ...vNew];
}, 1, DOMAIN);

/* ---- Gradient: d y / d xs of the graph around it (sessions; zs are constants to it) ---- */

converter('Gradient', (c) => {
  const xs = c.strings('xs');
  const y = c.string('y');
  if (xs === undefined || xs.length === 0 || y === undefined) return c.fail('attributes xs and y are required');
  return c.gradient(y, xs);
}, 1, DOMAIN);

