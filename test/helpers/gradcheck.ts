// Finite-difference gradient checks: autograd's gradient of an op against central differences (float64).
import { expect } from 'vitest';
import * as mx from 'isotensor';

const { nd, autograd } = mx;
type Arr = any;
const ops = nd as unknown as Record<string, (...args: unknown[]) => Arr>;

export interface GradCheckOptions {
  /** Input positions to differentiate (default: every float input). */
  wrt?: number[];
  /** Output positions whose (weighted) sum is differentiated (default: all). */
  outputs?: number[];
  eps?: number;
  rtol?: number;
  atol?: number;
  /** Run the op in training mode (default true, as autograd.record does). */
  train?: boolean;
}

/** Deterministic pseudo-random values in [-1, 1) (an LCG; tests must not depend on Math.random). */
export function pseudoRandom(n: number, seed = 1): number[] {
  let s = seed >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push((s / 2 ** 32) * 2 - 1);
  }
  return out;
}

/** A float64 array of `shape` with values from pseudoRandom, scaled and shifted. */
export function randomArray(shape: number[], seed = 1, scale = 1, shift = 0, dtype = 'float64'): Arr {
  const n = shape.reduce((a, b) => a * b, 1);
  return nd.array(pseudoRandom(n, seed).map((v) => v * scale + shift), { shape, dtype });
}

function call(op: string, inputs: Arr[], params: Record<string, unknown>): Arr[] {
  const fn = ops[op];
  if (typeof fn !== 'function') throw new Error(`nd.${op} is not a function`);
  const r = Object.keys(params).length ? fn(...inputs, params) : fn(...inputs);
  return Array.isArray(r) ? r : [r];
}

const host = (x: Arr): number[] => Array.from(x.dataSync() as ArrayLike<number>, Number);

/**
 * Checks d(sum_k <w_k, out_k>)/d(input_i) from autograd against central differences, for fixed
 * pseudo-random weights w_k. Inputs should be float64 and away from the op's kinks.
 */
export function checkGrad(op: string, inputs: Arr[], params: Record<string, unknown> = {},
                          opts: GradCheckOptions = {}): void {
  const eps = opts.eps ?? 1e-6;
  const rtol = opts.rtol ?? 1e-4;
  const atol = opts.atol ?? 1e-6;
  const train = opts.train ?? true;
  const wrt = opts.wrt ?? inputs.map((x, i) => (x.dtype === 'float64' || x.dtype === 'float32' ? i : -1))
    .filter((i) => i >= 0);
  mx.scope(() => {
    const vars = inputs.map((x) => x.copy());
    for (const i of wrt) vars[i].attachGrad();
    const outs = autograd.record(() => call(op, vars, params), { trainMode: train });
    const picked = opts.outputs ?? outs.map((_: Arr, k: number) => k);
    const weights = picked.map((k: number, j: number) => randomArray(outs[k].shape, 101 + j, 1, 0, outs[k].dtype));
    autograd.backward(picked.map((k: number) => outs[k]), weights);
    const w = weights.map(host);

    const objective = (xs: Arr[]): number => {
      const ys = (train ? autograd.trainMode : autograd.predictMode)(() => call(op, xs, params));
      let s = 0;
      picked.forEach((k: number, j: number) => {
        const y = host(ys[k]);
        for (let e = 0; e < y.length; e++) s += y[e]! * w[j]![e]!;
      });
      return s;
    };

    for (const i of wrt) {
      const analytic = host(vars[i].grad);
      const base = host(inputs[i]);
      const shape = inputs[i].shape;
      const dtype = inputs[i].dtype;
      for (let e = 0; e < base.length; e++) {
        const at = (delta: number): number => mx.scope(() => {
          const p = base.slice();
          p[e] = p[e]! + delta;
          const xs = inputs.map((x, j) => (j === i ? nd.array(p, { shape, dtype }) : x));
          return objective(xs);
        });
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        const a = analytic[e]!;
        const ok = Math.abs(a - numeric) <= atol + rtol * Math.max(Math.abs(a), Math.abs(numeric));
        if (!ok) {
          expect.fail(`${op}: d/d(input ${i})[${e}] autograd ${a} vs finite difference ${numeric} ` +
                      `(shape ${JSON.stringify(shape)}, params ${JSON.stringify(params)})`);
        }
      }
    }
  });
  recordGradCheck(op);
}

/** The registry name of an op given by name, alias or camelCase alias (e.g. linalgGemm2). */
function registryName(op: string): string {
  const snake = op.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  return mx.operator.getOperator(op)?.name ?? mx.operator.getOperator(snake)?.name ?? op;
}

/** Counts a passed gradient check of `op` for the operator coverage report (test/helpers/op-coverage.ts). */
export function recordGradCheck(op: string): void {
  const g = globalThis as { __istGradChecks?: Record<string, number> };
  const name = registryName(op);
  (g.__istGradChecks ??= {})[name] = (g.__istGradChecks[name] ?? 0) + 1;
}

/**
 * Runs fn and returns the ops it ran. A second-order check passes these to recordGradCheck: the
 * ops that computed a first gradient with createGraph are the ones whose gradients it verifies.
 */
export function opsRunDuring<T>(fn: () => T): [T, string[]] {
  const before = mx.operator.callCounts();
  const r = fn();
  const after = mx.operator.callCounts();
  const ran = Object.keys(after).filter((op) =>
    Object.entries(after[op]!).some(([t, n]) => n > (before[op]?.[t] ?? 0)));
  return [r, ran];
}

/**
 * Finite-difference check of a hidden `_backward_<op>` with respect to its first input, the output
 * gradient: such ops are linear in it, and their own gradient serves second-order autograd. `inputs`
 * are float64 (ograd first, then the rest as the op takes them); `params` as MXNet attribute strings.
 */
export function checkBackwardOpGrad(op: string, inputs: Arr[], params: Record<string, unknown>): void {
  mx.scope(() => {
    const run = (og: Arr): Arr => mx.operator.invoke(op, [og, ...inputs.slice(1)], params as never)[0];
    const y0 = run(inputs[0]);
    const w = nd.array(pseudoRandom(y0.size, 69), { shape: y0.shape, dtype: 'float64' });
    const f = (og: Arr): number => host(nd.sum(nd.elemwise_mul(run(og), w)))[0]!;
    const og = inputs[0].copy();
    og.attachGrad();
    const [, ran] = opsRunDuring(() => autograd.record(() => {
      nd.sum(nd.elemwise_mul(run(og), w)).backward();
    }));
    const analytic = host(og.grad);
    const base = host(inputs[0]);
    const eps = 1e-6;
    base.forEach((_, e) => {
      const at = (d: number) => f(nd.array(base.map((v, k) => (k === e ? v + d : v)), { shape: og.shape, dtype: 'float64' }));
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      if (Math.abs(analytic[e]! - numeric) > 1e-6 + 1e-5 * Math.abs(numeric))
        expect.fail(`${op}: d/d ograd[${e}] autograd ${analytic[e]} vs finite difference ${numeric}`);
    });
    expect(ran).toContain(op);
    recordGradCheck(op);
  });
}
