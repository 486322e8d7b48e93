// Gradients of the elementwise ops: a finite-difference check (float64, values away from kinks)
// per op and form (same-shape, broadcasting, scalar), higher-order gradients through createGraph,
// and forward fixtures + bad input for the ops added with them (erfinv, gamma, gammaln, isnan,
// isinf, isfinite, arctan2 and its scalar forms, _digamma, _trigamma, _cast_like).
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { checkGrad } from '../helpers/gradcheck';
import {
  awayFromZero, checkSecondOrder, expectError, extraCases, f64, runExtraCase, uniform, values,
} from '../helpers/extra-fixtures';

const { nd, autograd } = mx;
type Arr = any;
const ops = nd as unknown as Record<string, (...args: unknown[]) => Arr>;

beforeAll(async () => {
  await mx.ready();
});

interface GradCase {
  name: string;
  op: string;
  inputs: () => Arr[];
  params?: Record<string, unknown>;
  wrt?: number[];
}

const S = [2, 3];

// ---- unary: [op, input generator] -------------------------------------------------------------
const U = (lo: number, hi: number) => (shape = S, seed = 1) => uniform(shape, lo, hi, seed);
const A = (lo: number, hi: number) => (shape = S, seed = 1) => awayFromZero(shape, lo, hi, seed);
const unaryDomains: [string, (shape?: number[], seed?: number) => Arr][] = [
  ['negative', U(-2, 2)], ['abs', A(0.2, 2)], ['sign', A(0.2, 2)], ['exp', U(-2, 2)], ['expm1', U(-2, 2)],
  ['log', U(0.3, 3)], ['log1p', U(-0.5, 2)], ['log2', U(0.3, 3)], ['log10', U(0.3, 3)], ['sqrt', U(0.3, 3)],
  ['rsqrt', U(0.3, 3)], ['cbrt', A(0.3, 3)], ['rcbrt', A(0.3, 3)], ['square', U(-2, 2)], ['reciprocal', A(0.3, 3)],
  ['relu', A(0.1, 2)], ['sigmoid', U(-3, 3)], ['tanh', U(-2, 2)], ['softsign', A(0.1, 2)], ['sin', U(-3, 3)],
  ['cos', U(-3, 3)], ['tan', U(-1.2, 1.2)], ['arcsin', U(-0.8, 0.8)], ['arccos', U(-0.8, 0.8)],
  ['arctan', U(-3, 3)], ['sinh', U(-2, 2)], ['cosh', U(-2, 2)], ['arcsinh', U(-3, 3)], ['arccosh', U(1.3, 3)],
  ['arctanh', U(-0.8, 0.8)], ['degrees', U(-3, 3)], ['radians', U(-3, 3)], ['erf', U(-2, 2)],
  ['erfinv', U(-0.8, 0.8)], ['gamma', U(0.3, 4)], ['gammaln', U(0.3, 4)], ['_digamma', U(0.3, 4)],
  ['floor', U(-3, 3)], ['ceil', U(-3, 3)],
  ['round', U(-3, 3)], ['rint', U(-3, 3)], ['trunc', U(-3, 3)], ['fix', U(-3, 3)], ['logical_not', A(0.2, 2)],
  ['isnan', U(-2, 2)], ['isinf', U(-2, 2)], ['isfinite', U(-2, 2)], ['_copy', U(-2, 2)], ['identity', U(-2, 2)],
];
const unaryCases: GradCase[] = [
  ...unaryDomains.map(([op, gen]) => ({ name: op, op, inputs: () => [gen()] })),
  { name: 'gamma (negative, between poles)', op: 'gamma', inputs: () => [uniform(S, -0.8, -0.2)] },
  { name: 'gammaln (negative, between poles)', op: 'gammaln', inputs: () => [uniform(S, -2.8, -2.2)] },
  { name: 'sin 0-d', op: 'sin', inputs: () => [nd.array(0.7, { dtype: 'float64' })] },
  { name: 'exp empty (0, 3)', op: 'exp', inputs: () => [nd.zeros([0, 3], { dtype: 'float64' })] },
  { name: 'log (4, 1, 2)', op: 'log', inputs: () => [uniform([4, 1, 2], 0.5, 2)] },
];

// ---- binary: same-shape and broadcasting ------------------------------------------------------
type Gen2 = (shapes: [number[], number[]]) => Arr[];
const two = (l: (s: number[]) => Arr, r: (s: number[]) => Arr): Gen2 => ([a, b]) => [l(a), r(b)];
const pm2 = (seed: number) => (s: number[]) => uniform(s, -2, 2, seed);
const binaryDomains: [string | null, string, Gen2][] = [
  ['elemwise_add', 'broadcast_add', two(pm2(1), pm2(2))],
  ['elemwise_sub', 'broadcast_sub', two(pm2(1), pm2(2))],
  ['elemwise_mul', 'broadcast_mul', two(pm2(1), pm2(2))],
  ['elemwise_div', 'broadcast_div', two(pm2(1), (s) => awayFromZero(s, 0.5, 2, 2))],
  ['_mod', 'broadcast_mod', two((s) => uniform(s, -3, 3, 1), (s) => awayFromZero(s, 0.6, 1.4, 2))],
  ['_power', 'broadcast_power', two((s) => uniform(s, 0.5, 2, 1), (s) => uniform(s, -1.5, 1.5, 2))],
  ['_maximum', 'broadcast_maximum', two(pm2(1), pm2(2))],
  ['_minimum', 'broadcast_minimum', two(pm2(1), pm2(2))],
  ['_hypot', 'broadcast_hypot', two(pm2(1), pm2(2))],
  [null, 'arctan2', two(pm2(1), pm2(2))],
  ['_equal', 'broadcast_equal', two(pm2(1), pm2(2))],
  ['_not_equal', 'broadcast_not_equal', two(pm2(1), pm2(2))],
  ['_greater', 'broadcast_greater', two(pm2(1), pm2(2))],
  ['_greater_equal', 'broadcast_greater_equal', two(pm2(1), pm2(2))],
  ['_lesser', 'broadcast_lesser', two(pm2(1), pm2(2))],
  ['_lesser_equal', 'broadcast_lesser_equal', two(pm2(1), pm2(2))],
  ['_logical_and', 'broadcast_logical_and', two((s) => awayFromZero(s, 0.2, 2, 1), (s) => awayFromZero(s, 0.2, 2, 2))],
  ['_logical_or', 'broadcast_logical_or', two((s) => awayFromZero(s, 0.2, 2, 1), (s) => awayFromZero(s, 0.2, 2, 2))],
  ['_logical_xor', 'broadcast_logical_xor', two((s) => awayFromZero(s, 0.2, 2, 1), (s) => awayFromZero(s, 0.2, 2, 2))],
];
const BROADCAST_SHAPES: [number[], number[]][] = [[[2, 1, 3], [4, 1]], [[3], [2, 3]], [[2, 3], [2, 3]], [[], [2, 2]]];
const binaryCases: GradCase[] = binaryDomains.flatMap(([same, bcast, gen]) => [
  ...(same ? [{ name: `${same} (2,3)`, op: same, inputs: () => gen([S, S]) }] : []),
  ...BROADCAST_SHAPES.map((shapes) => ({
    name: `${bcast} ${JSON.stringify(shapes[0])} x ${JSON.stringify(shapes[1])}`, op: bcast, inputs: () => gen(shapes),
  })),
]);

// ---- scalar forms -----------------------------------------------------------------------------
const scalarDomains: [string, number, (shape?: number[], seed?: number) => Arr][] = [
  ['_plus_scalar', 1.5, U(-2, 2)], ['_minus_scalar', 1.5, U(-2, 2)], ['_rminus_scalar', 1.5, U(-2, 2)],
  ['_mul_scalar', -2.5, U(-2, 2)], ['_div_scalar', 0.7, U(-2, 2)], ['_rdiv_scalar', 1.3, A(0.5, 2)],
  ['_mod_scalar', 0.7, U(-2, 2)], ['_rmod_scalar', 2.3, A(0.5, 2)], ['_power_scalar', 2.5, U(0.5, 2)],
  ['_power_scalar', -1.5, U(0.5, 2)], ['_power_scalar', 3, U(-2, -0.5)], ['_rpower_scalar', 2.5, U(-2, 2)],
  ['_maximum_scalar', 0.3, U(-2, 2)], ['_minimum_scalar', 0.3, U(-2, 2)], ['_hypot_scalar', 1.5, U(-2, 2)],
  ['_arctan2_scalar', -1.5, U(-2, 2)], ['_arctan2_scalar', 2, U(-2, 2)], ['_rarctan2_scalar', 2, U(-2, 2)],
  ['_rarctan2_scalar', -0.5, A(0.2, 2)], ['_equal_scalar', 0.3, U(-2, 2)], ['_not_equal_scalar', 0.3, U(-2, 2)],
  ['_greater_scalar', 0.3, U(-2, 2)], ['_greater_equal_scalar', 0.3, U(-2, 2)], ['_lesser_scalar', 0.3, U(-2, 2)],
  ['_lesser_equal_scalar', 0.3, U(-2, 2)], ['_logical_and_scalar', 1, A(0.2, 2)],
  ['_logical_or_scalar', 0, A(0.2, 2)], ['_logical_xor_scalar', 1, A(0.2, 2)],
  ['smooth_l1', 1, A(0.1, 0.9)], ['smooth_l1', 1, A(1.2, 3)], ['smooth_l1', 2, A(0.3, 2)],
];
const scalarCases: GradCase[] = scalarDomains.map(([op, scalar, gen]) => ({
  name: `${op} scalar=${scalar}`, op, inputs: () => [gen()], params: { scalar },
}));

// ---- the rest ---------------------------------------------------------------------------------
const miscCases: GradCase[] = [
  { name: 'clip', op: 'clip', inputs: () => [uniform([3, 4], -2, 2)], params: { aMin: -0.5, aMax: 0.7 } },
  { name: 'hard_sigmoid', op: 'hard_sigmoid', inputs: () => [uniform([3, 4], -4, 4)] },
  { name: 'hard_sigmoid alpha/beta', op: 'hard_sigmoid', inputs: () => [uniform([3, 4], -3, 3)],
    params: { alpha: 0.5, beta: 0.2 } },
  { name: 'where (same-shape condition)', op: 'where', wrt: [1, 2],
    inputs: () => [f64([1, 0, 1, 0, 0, 1], S), uniform(S, -2, 2, 1), uniform(S, -2, 2, 2)] },
  { name: 'where (1-D condition)', op: 'where', wrt: [1, 2],
    inputs: () => [f64([0, 1]), uniform(S, -2, 2, 1), uniform(S, -2, 2, 2)] },
  { name: 'Cast float64 -> float64', op: 'Cast', inputs: () => [uniform(S, -2, 2)], params: { dtype: 'float64' } },
  { name: '_cast_like', op: '_cast_like', wrt: [0], inputs: () => [uniform(S, -2, 2), nd.zeros([1], { dtype: 'float64' })] },
  { name: 'round_to_format int4 (zero almost everywhere)', op: 'round_to_format', inputs: () => [uniform(S, -3, 3)],
    params: { format: 'int4' } },
  { name: 'round_to_format float8e4m3fn', op: 'round_to_format', inputs: () => [uniform(S, -2, 2)],
    params: { format: 'float8e4m3fn' } },
  { name: 'add_n (3 inputs)', op: 'add_n', inputs: () => [uniform(S, -2, 2, 1), uniform(S, -2, 2, 2), uniform(S, -2, 2, 3)] },
];

describe('finite-difference gradients of the elementwise ops', () => {
  for (const c of [...unaryCases, ...binaryCases, ...scalarCases, ...miscCases]) {
    it(c.name, () => {
      checkGrad(c.op, c.inputs(), c.params ?? {}, c.wrt ? { wrt: c.wrt } : {});
    });
  }
});

describe('gradients that finite differences cannot see', () => {
  it('BlockGrad / stop_gradient pass no gradient', () => {
    for (const op of ['BlockGrad', 'stop_gradient']) {
      const x = f64([0.5, -1.5, 2]);
      x.attachGrad();
      autograd.record(() => nd.elemwise_mul(x, ops[op]!(x))).backward();
      expect(values(x.grad)).toEqual([0.5, -1.5, 2]);  // d(x * c)/dx with c = x held constant
    }
  });

  it('Cast sends the gradient back in the input dtype', () => {
    const x = f64([0.25, -1.5, 3]);
    x.attachGrad();
    const y = autograd.record(() => nd.Cast(x, { dtype: 'float32' }));
    expect(y.dtype).toBe('float32');
    y.backward(nd.array([1, 2, -0.5], { dtype: 'float32' }));
    expect(x.grad!.dtype).toBe('float64');
    expect(values(x.grad)).toEqual([1, 2, -0.5]);
  });

  it('where gives the condition no gradient', () => {
    const c = f64([1, 0, 1]);
    c.attachGrad();
    const x = f64([1, 2, 3]);
    x.attachGrad();
    autograd.record(() => nd.where(c, x, nd.zeros([3], { dtype: 'float64' }))).backward();
    expect(values(x.grad)).toEqual([1, 0, 1]);
    expect(values(c.grad)).toEqual([0, 0, 0]);
  });

  it('maximum / minimum send ties to lhs', () => {
    const a = f64([1, 2, 3]);
    const b = f64([1, 5, 0]);
    a.attachGrad();
    b.attachGrad();
    autograd.record(() => nd.broadcast_maximum(a, b)).backward();
    expect(values(a.grad)).toEqual([1, 0, 1]);
    expect(values(b.grad)).toEqual([0, 1, 0]);
    autograd.record(() => nd._minimum(a, b)).backward();
    expect(values(a.grad)).toEqual([1, 1, 0]);
    expect(values(b.grad)).toEqual([0, 0, 1]);
  });

  it('broadcast gradients are summed back to each input shape', () => {
    const a = f64([1, 2, 3], [3]);
    const b = f64([10, 20], [2, 1]);
    a.attachGrad();
    b.attachGrad();
    autograd.record(() => nd.broadcast_mul(a, b)).backward();
    expect(a.grad!.shape).toEqual([3]);
    expect(values(a.grad)).toEqual([30, 30, 30]);
    expect(b.grad!.shape).toEqual([2, 1]);
    expect(values(b.grad)).toEqual([6, 6]);
  });

  it('_trigamma (the second derivative of gammaln) is not differentiable: a clear error', () => {
    const x = f64([1.5, 2.5]);
    x.attachGrad();
    expectError(() => {
      const g2 = autograd.record(() => {
        const g1 = autograd.grad(nd.gammaln(x), [x], { createGraph: true })[0];
        return autograd.grad(g1, [x], { createGraph: true })[0];
      });
      g2.backward();
    }, /_trigamma/, /not differentiable/);
    const y = autograd.record(() => nd.gammaln(x));  // still works afterwards
    y.backward();
    expect(values(x.grad)[0]).toBeCloseTo(0.03648997397857652, 12);  // digamma(1.5)
  });
});

describe('higher-order gradients (createGraph)', () => {
  it('d2/dx2 sin = -sin, d2/dx2 exp = exp, d2/dx2 x*x = 2', () => {
    const xs = [0.3, -1.2, 2.0];
    const cases: [(x: Arr) => Arr, (v: number) => number][] = [
      [(x) => nd.sin(x), (v) => -Math.sin(v)],
      [(x) => nd.exp(x), (v) => Math.exp(v)],
      [(x) => nd.elemwise_mul(x, x), () => 2],
    ];
    for (const [f, want] of cases) {
      const x = f64(xs);
      x.attachGrad();
      const g = autograd.record(() => autograd.grad(f(x), [x], { createGraph: true })[0]);
      g.backward();
      values(x.grad).forEach((v, i) => expect(v).toBeCloseTo(want(xs[i]!), 12));
    }
  });

  it('d3/dx3 sin = -cos', () => {
    const xs = [0.3, -1.2, 2.0];
    const x = f64(xs);
    x.attachGrad();
    const g2 = autograd.record(() => {
      const g1 = autograd.grad(nd.sin(x), [x], { createGraph: true })[0];
      return autograd.grad(g1, [x], { createGraph: true })[0];
    });
    g2.backward();
    values(x.grad).forEach((v, i) => expect(v).toBeCloseTo(-Math.cos(xs[i]!), 12));
  });

  const second: [string, (x: Arr) => Arr, () => Arr][] = [
    ['tanh', (x) => nd.tanh(x), () => uniform(S, -2, 2)],
    ['sigmoid', (x) => nd.sigmoid(x), () => uniform(S, -2, 2)],
    ['log', (x) => nd.log(x), () => uniform(S, 0.5, 2)],
    ['sqrt', (x) => nd.sqrt(x), () => uniform(S, 0.5, 2)],
    ['reciprocal', (x) => nd.reciprocal(x), () => uniform(S, 0.5, 2)],
    ['erf', (x) => nd.erf(x), () => uniform(S, -1.5, 1.5)],
    ['erfinv', (x) => nd.erfinv(x), () => uniform(S, -0.7, 0.7)],
    ['gamma', (x) => nd.gamma(x), () => uniform(S, 0.5, 3)],
    ['gammaln', (x) => nd.gammaln(x), () => uniform(S, 0.5, 3)],
    ['arctan', (x) => nd.arctan(x), () => uniform(S, -2, 2)],
    ['arcsin', (x) => nd.arcsin(x), () => uniform(S, -0.7, 0.7)],
    ['softsign', (x) => nd.softsign(x), () => awayFromZero(S, 0.2, 2)],
    ['_power_scalar 2.5', (x) => nd._power_scalar(x, { scalar: 2.5 }), () => uniform(S, 0.5, 2)],
    ['_rdiv_scalar', (x) => nd._rdiv_scalar(x, { scalar: 2 }), () => uniform(S, 0.5, 2)],
    ['broadcast_power(x, x)', (x) => nd.broadcast_power(x, x), () => uniform(S, 0.5, 2)],
    ['broadcast_div(x, x*x)', (x) => nd.broadcast_div(x, nd.elemwise_mul(x, x)), () => uniform(S, 0.5, 2)],
    ['broadcast_hypot', (x) => nd.broadcast_hypot(x, nd.sin(x)), () => uniform(S, 0.5, 2)],
    ['arctan2(x, cos x)', (x) => nd.arctan2(x, nd.cos(x)), () => uniform(S, -1, 1)],
    ['smooth_l1', (x) => nd.smooth_l1(nd.elemwise_mul(x, x), { scalar: 1 }), () => awayFromZero(S, 0.2, 0.8)],
  ];
  for (const [name, f, x0] of second) {
    it(`second order: ${name}`, () => checkSecondOrder(name, f, x0()));
  }
});

describe('new elementwise ops match the fixtures', () => {
  const cases = extraCases(new Set(['erfinv', 'gamma', 'gammaln', '_digamma', '_trigamma', 'isnan', 'isinf',
    'isfinite', 'arctan2', '_arctan2_scalar', '_rarctan2_scalar', '_cast_like']));
  it('has fixtures', () => expect(cases.length).toBeGreaterThan(30));
  for (const c of cases) it(c.name, () => runExtraCase(c));

  it('aliases _npi_arctan2 / _npi_arctan2_scalar / _npi_rarctan2_scalar', () => {
    const y = f64([1, -1]);
    const x = f64([-1, -1]);
    expect(values(nd._npi_arctan2(y, x))).toEqual(values(nd.arctan2(y, x)));
    expect(values(nd._npi_arctan2_scalar(y, { scalar: 2 }))).toEqual(values(nd._arctan2_scalar(y, { scalar: 2 })));
    expect(values(nd._npi_rarctan2_scalar(y, { scalar: 2 }))).toEqual(values(nd._rarctan2_scalar(y, { scalar: 2 })));
  });

  it('erfinv inverts erf', () => {
    const x = uniform([50], -3, 3);
    const back = values(nd.erfinv(nd.erf(x)));
    values(x).forEach((v, i) => expect(Math.abs(back[i]! - v)).toBeLessThan(1e-12 * Math.exp(v * v)));
  });
});

describe('bad input to the new elementwise ops', () => {
  it('arctan2 shapes that do not broadcast', () => {
    expectError(() => nd.arctan2(nd.zeros([2, 3]), nd.zeros([4])), /arctan2/, /'rhs'/, /\(2,3\)/, /\(4,\)/);
  });

  it('arctan2 operands of different dtypes', () => {
    expectError(() => nd.arctan2(nd.zeros([2]), nd.zeros([2], { dtype: 'float64' })), /arctan2/,
      /float32 and float64 differ/);
  });

  it('float-only ops reject integer arrays when called', () => {
    expectError(() => nd.arctan2(nd.zeros([2], { dtype: 'int32' }), nd.zeros([2], { dtype: 'int32' })),
      /arctan2/, /'lhs'/, /int32 is not supported/);
    expectError(() => nd._arctan2_scalar(nd.zeros([2], { dtype: 'int32' }), { scalar: 1, isInt: true }),
      /_arctan2_scalar/, /int32/);
    expectError(() => nd.smooth_l1(nd.zeros([2], { dtype: 'int32' }), { scalar: 1 }), /smooth_l1/, /int32/);
  });

  it('numeric ops reject bool arrays when called', () => {
    const b = nd.array([1, 0], { dtype: 'bool' });
    for (const op of ['erfinv', 'gamma', 'gammaln', '_digamma', '_trigamma']) {
      expectError(() => ops[op]!(b), new RegExp(op), /'data'/, /bool is not supported/);
    }
  });

  it('wrong input counts and unknown params', () => {
    expectError(() => (nd.erfinv as any)(nd.zeros([2]), nd.zeros([2])), /erfinv/, /input/);
    expectError(() => (nd as any).gamma(nd.zeros([2]), { axis: 1 }), /gamma/, /axis/);
    expectError(() => (nd as any)._cast_like(nd.zeros([2])), /_cast_like/, /input/);
  });

  it('keeps working afterwards', () => {
    expect(values(nd.isfinite(nd.array([1, Infinity, NaN])))).toEqual([1, 0, 0]);
    expect(values(nd.gamma(f64([5])))[0]).toBeCloseTo(24, 10);
  });
});

describe('gradient inputs keep their dtype', () => {
  it('float16 arrays get float16 gradients (computed in float32)', () => {
    const xs = [0.5, -1, 2];
    const x = nd.array(xs, { dtype: 'float16' });
    x.attachGrad();
    autograd.record(() => nd.elemwise_mul(nd.sin(x), nd._mul_scalar(x, { scalar: 2 }))).backward();
    expect(x.grad!.dtype).toBe('float16');
    // d/dx 2x sin x = 2 sin x + 2x cos x
    values(x.grad).forEach((g, i) => {
      const v = xs[i]!;
      expect(Math.abs(g - (2 * Math.sin(v) + 2 * v * Math.cos(v)))).toBeLessThan(1e-2);
    });
  });


  it('float32 arrays get float32 gradients through broadcast ops', () => {
    const a = nd.array([[1, 2, 3]], { dtype: 'float32' });
    const b = nd.array([[2], [4]], { dtype: 'float32' });
    a.attachGrad();
    b.attachGrad();
    autograd.record(() => nd.broadcast_div(a, b)).backward();
    expect(a.grad!.dtype).toBe('float32');
    expect(values(a.grad)).toEqual([0.75, 0.75, 0.75]);
    expect(values(b.grad)[0]).toBeCloseTo(-6 / 4, 6);
    expect(values(b.grad)[1]).toBeCloseTo(-6 / 16, 6);
  });
});
