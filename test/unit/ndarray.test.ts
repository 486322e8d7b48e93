// NDArray through the public API: surface, printing, views, writing, dtypes, 0-d/empty, async twins, math.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend, here } from '../helpers/backend';

const { nd } = mx;
beforeAll(async () => {
  await mx.ready();
  announceBackend('ndarray');
});

const vals = (x: mx.NDArray): number[] => Array.from(x.dataSync());

describe('API surface', () => {
  it('exports the runtime, contexts, lifetime and nd', () => {
    for (const name of ['ready', 'cpu', 'gpu', 'numGpus', 'currentContext', 'withContext', 'setBackend',
      'runtimeInfo', 'waitAll', 'waitAllAsync', 'memoryInfo', 'scope', 'keep']) {
      expect(typeof (mx as Record<string, unknown>)[name], name).toBe('function');
    }
    expect(typeof mx.Context).toBe('function');
    expect(typeof mx.IsotensorError).toBe('function');
    expect(typeof mx.NDArray).toBe('function');
    expect(typeof mx.random.seed).toBe('function');
    expect(mx.nd.NDArray).toBe(mx.NDArray);
    for (const name of ['empty', 'zeros', 'ones', 'full', 'array', 'arange', 'eye', 'zerosLike', 'onesLike',
      'fullLike', 'save', 'load', 'saveSync', 'loadSync', 'serialize', 'deserialize']) {
      expect(typeof (nd as Record<string, unknown>)[name], name).toBe('function');
    }
    for (const name of ['uniform', 'normal', 'randint', 'shuffle']) {
      expect(typeof (nd.random as Record<string, unknown>)[name], name).toBe('function');
    }
  });

  it('exposes every registered op under its MXNet name and a camelCase alias', () => {
    const n = nd as unknown as Record<string, unknown>;
    expect(typeof n['broadcast_add']).toBe('function');
    expect(n['broadcastAdd']).toBe(n['broadcast_add']);
    expect(typeof n['_zeros']).toBe('function');
    expect(typeof n['FullyConnected'] === 'function' || typeof n['Concat'] === 'function').toBe(true);
    const a = nd.array([[1, 2], [3, 4]]);
    const b = nd.array([10, 20]);
    expect(vals(nd.broadcast_add(a, b))).toEqual([11, 22, 13, 24]);
    expect(vals(nd._zeros({ shape: [2, 2] }))).toEqual([0, 0, 0, 0]);
    expect(nd.concat(a, a, { dim: 0 }).shape).toEqual([4, 2]);
    expect(nd.concat([a, a], { dim: 1 }).shape).toEqual([2, 4]);
  });

  it('has Context, cpu(), gpu() and withContext', () => {
    expect(mx.cpu().toString()).toBe('cpu(0)');
    expect(mx.gpu(2).toString()).toBe('gpu(2)');
    expect(mx.gpu(2).deviceType).toBe('gpu');
    expect(mx.gpu(2).deviceId).toBe(2);
    expect(new mx.Context('gpu', 1).equals(mx.gpu(1))).toBe(true);
    expect(new mx.Context('cpu(3)').deviceId).toBe(3);
    expect(mx.currentContext().toString()).toBe(here());
    const inner = mx.withContext(mx.cpu(1), () => mx.withContext(mx.cpu(2), () => mx.currentContext().toString()));
    expect(inner).toBe('cpu(2)');
    expect(mx.currentContext().toString()).toBe(here());
    expect(() => new mx.Context('tpu')).toThrow(mx.IsotensorError);
  });

  it('reports the runtime and never throws from numGpus()', () => {
    const info = mx.runtimeInfo();
    expect(['native', 'wasm']).toContain(info.backend);
    if (info.backend === 'wasm') expect(['threads', 'single']).toContain(info.wasmFlavour);
    expect(typeof info.threads).toBe('number');
    expect(mx.numGpus()).toBeGreaterThanOrEqual(0);
    if (mx.numGpus() === 0) {
      expect(() => nd.zeros([2], mx.gpu(0))).toThrow(/gpu\(0\) is not available/);
    }
  });

  it('raises IsotensorError for bad arguments', () => {
    expect(() => nd.array([[1, 2], [3]])).toThrow(mx.IsotensorError);
    expect(() => nd.array([[1, 2], [3]])).toThrow(/ragged/);
    expect(() => nd.array([1, 2, 3], { dtype: 'float128' })).toThrow(/unknown dtype/);
    expect(() => nd.ones([2, 3]).add(nd.ones([4]))).toThrow(mx.IsotensorError);
    expect(() => nd.ones([2, 3]).reshape([4, 2])).toThrow(mx.IsotensorError);
  });
});

describe('printing', () => {
  it('prints like MXNet 1.x (numpy str + <NDArray shape @ctx>)', () => {
    expect(nd.ones([2, 3]).toString()).toBe(`\n[[1. 1. 1.]\n [1. 1. 1.]]\n<NDArray 2x3 @${here()}>`);
    expect(nd.array([0.5, 1.5, -2]).toString()).toBe(`\n[ 0.5  1.5 -2. ]\n<NDArray 3 @${here()}>`);
    expect(nd.arange(0, 12, 1, { dtype: 'int32' }).reshape([3, 4]).toString())
      .toBe(`\n[[ 0  1  2  3]\n [ 4  5  6  7]\n [ 8  9 10 11]]\n<NDArray 3x4 @${here()}>`);
    expect(nd.array([1e-5, 1]).toString()).toBe(`\n[1.e-05 1.e+00]\n<NDArray 2 @${here()}>`);
    expect(nd.array([1, 0, 1], { dtype: 'bool' }).toString()).toBe(`\n[ True False  True]\n<NDArray 3 @${here()}>`);
    expect(nd.zeros([2, 1, 2]).toString()).toBe(`\n[[[0. 0.]]\n\n [[0. 0.]]]\n<NDArray 2x1x2 @${here()}>`);
  });

  it('summarises above 1000 elements and wraps at 75 columns', () => {
    expect(nd.arange(2000).toString()).toBe(
      `\n[0.000e+00 1.000e+00 2.000e+00 ... 1.997e+03 1.998e+03 1.999e+03]\n<NDArray 2000 @${here()}>`);
    expect(nd.arange(30).toString()).toBe('\n[ 0.  1.  2.  3.  4.  5.  6.  7.  8.  9. 10. 11. 12. 13. 14. 15. 16. 17.\n' +
                                          ` 18. 19. 20. 21. 22. 23. 24. 25. 26. 27. 28. 29.]\n<NDArray 30 @${here()}>`);
  });
});

describe('views share memory', () => {
  it('reshape, slice and at write through to the base array', () => {
    const a = nd.zeros([2, 3]);
    const r = a.reshape([3, 2]);
    expect(r.sharesMemoryWith(a)).toBe(true);
    r.set(5);
    expect(vals(a)).toEqual([5, 5, 5, 5, 5, 5]);
    a.slice(1, 2).set(7);
    expect(a.toArraySync()).toEqual([[5, 5, 5], [7, 7, 7]]);
    a.at(0).set([1, 2, 3]);
    expect(a.toArraySync()).toEqual([[1, 2, 3], [7, 7, 7]]);
    expect(a.at(-1).shape).toEqual([3]);
    expect(a.copy().sharesMemoryWith(a)).toBe(false);
  });

  it('accepts MXNet reshape codes and the positional form', () => {
    const a = nd.arange(24).reshape([2, 3, 4]);
    expect(a.reshape(-1).shape).toEqual([24]);
    expect(a.reshape([0, -1]).shape).toEqual([2, 12]);
    expect(a.reshape(4, -1).shape).toEqual([4, 6]);
    expect(a.reshape([-3, 4]).shape).toEqual([6, 4]);
    expect(a.reshape([-2]).shape).toEqual([2, 3, 4]);
    expect(a.reshape([-4, 1, 2, -2]).shape).toEqual([1, 2, 3, 4]);
  });

  it('reads the codes right to left with { reverse: true }, as MXNet\'s reverse=True and the Reshape op', () => {
    const x = nd.arange(200).reshape([10, 5, 4]);
    for (const [codes, want] of [[[-1, 0], [50, 4]], [[0, -1], [5, 40]], [[20, -1], [20, 10]], [[2, -1, 0], [2, 25, 4]], [[-3, 0], [50, 4]]] as const) {
      const v = x.reshape(codes, { reverse: true });
      expect(v.shape, JSON.stringify(codes)).toEqual(want);
      expect(nd.Reshape(x, { shape: codes, reverse: true }).shape).toEqual(want);
      expect(v.sharesMemoryWith(x)).toBe(true);
      expect(vals(v).slice(0, 3)).toEqual([0, 1, 2]);
    }
    expect(x.reshape(4, -1, { reverse: false }).shape).toEqual([4, 50]);
    expect(() => x.reshape([3, 2], { reverse: true })).toThrow(/reshape: argument 'shape': \(3, 2\) read right to left \(reverse\) does not fit array shape \(10, 5, 4\)/);
    expect(() => x.reshape([-1], { revers: true } as never)).toThrow(/unknown option 'revers'/);
    expect(() => x.reshape([-1], { reverse: 1 } as never)).toThrow(/option 'reverse' must be a boolean/);
    expect(x.reshape([-1, 4]).shape).toEqual([50, 4]);  // a failed reverse leaves the array usable
  });

  it('keeps a view valid after its base is disposed', () => {
    const a = nd.arange(6);
    const v = a.slice(2, 4);
    a.dispose();
    expect(vals(v)).toEqual([2, 3]);
  });
});

describe('writing', () => {
  it('set() takes a scalar, an NDArray (broadcast), a TypedArray and nested arrays', () => {
    const a = nd.zeros([2, 3]);
    a.set(3);
    expect(vals(a)).toEqual([3, 3, 3, 3, 3, 3]);
    a.set(nd.array([[1, 2, 3], [4, 5, 6]]));
    expect(vals(a)).toEqual([1, 2, 3, 4, 5, 6]);
    a.set(nd.array([10, 20, 30]));
    expect(vals(a)).toEqual([10, 20, 30, 10, 20, 30]);
    a.set(new Float32Array([6, 5, 4, 3, 2, 1]));
    expect(vals(a)).toEqual([6, 5, 4, 3, 2, 1]);
    a.set([[0, 1, 2], [3, 4, 5]]);
    expect(vals(a)).toEqual([0, 1, 2, 3, 4, 5]);
    a.set([9, 8, 7]);
    expect(vals(a)).toEqual([9, 8, 7, 9, 8, 7]);
  });

  it('setAt() writes one row or one element', () => {
    const a = nd.zeros([2, 3]);
    a.setAt(1, 9);
    a.setAt([0, 2], 4);
    a.setAt(-2, [1, 1, 4]);
    expect(a.toArraySync()).toEqual([[1, 1, 4], [9, 9, 9]]);
  });

  it('updates in place with iadd/isub/imul/idiv', () => {
    const a = nd.ones([2, 2]);
    const same = a.iadd(1).imul(nd.array([3, 4])).isub(2).idiv(2);
    expect(same).toBe(a);
    expect(vals(a)).toEqual([2, 3, 2, 3]);
  });
});

describe('op calls of every size', () => {
  it('passes 5,000 inputs and takes 1,000 outputs in one call', () => {
    const parts = Array.from({ length: 5000 }, (_, i) => nd.full([1], i));
    const all = nd.concat(parts, { dim: 0 });
    expect(all.shape).toEqual([5000]);
    const v = vals(all);
    expect(v[0]).toBe(0);
    expect(v[4999]).toBe(4999);
    const pieces = nd.split(all.slice(0, 1000), { numOutputs: 1000, axis: 0 }) as mx.NDArray[];
    expect(pieces.length).toBe(1000);
    expect(vals(pieces[999]!)).toEqual([999]);
    // A small call right after the large ones reads its own handles.
    expect(vals(nd.elemwise_add(parts[3]!, parts[4]!))).toEqual([7]);
    for (const x of [...parts, ...pieces, all]) x.dispose();
  });
});

describe('dtypes', () => {
  const cases: Array<[mx.DType, number[], string]> = [
    ['float32', [1.5, -2, 3.25], 'Float32Array'],
    ['float64', [1.5, -2, 1e300], 'Float64Array'],
    ['float16', [1.5, -2, 65504], 'Float32Array'],
    ['bfloat16', [1.5, -2, 256], 'Float32Array'],
    ['uint8', [0, 7, 255], 'Uint8Array'],
    ['int8', [-128, 0, 127], 'Int8Array'],
    ['int32', [-2147483648, 0, 2147483647], 'Int32Array'],
    ['bool', [1, 0, 1], 'Uint8Array'],
  ];
  for (const [dtype, values, ctor] of cases) {
    it(`round-trips ${dtype} through nd.array → dataSync`, async () => {
      const x = nd.array(values, { dtype });
      expect(x.dtype).toBe(dtype);
      const d = x.dataSync();
      expect(d.constructor.name).toBe(ctor);
      expect(Array.from(d)).toEqual(values);
      expect(Array.from(await x.data())).toEqual(values);
    });
  }

  it('round-trips int64 and reads it as BigInt64Array', () => {
    const x = nd.array([-(2 ** 40), 0, 2 ** 40], { dtype: 'int64' });
    expect(x.dtype).toBe('int64');
    const d = x.dataSync<'int64'>();
    expect(d).toBeInstanceOf(BigInt64Array);
    expect(Array.from(d)).toEqual([-(2n ** 40n), 0n, 2n ** 40n]);
    expect(x.toArraySync()).toEqual([-(2 ** 40), 0, 2 ** 40]);
    const big = nd.array(new BigInt64Array([9007199254740993n]));
    expect(big.dtype).toBe('int64');
    expect(big.dataSync<'int64'>()[0]).toBe(9007199254740993n);
  });

  it('takes the dtype of a TypedArray source, and a shape for flat data', () => {
    const x = nd.array(new Int32Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] });
    expect(x.dtype).toBe('int32');
    expect(x.shape).toEqual([2, 3]);
    expect(nd.array(new Float64Array(2)).dtype).toBe('float64');
    expect(nd.array(new Uint8Array(2)).dtype).toBe('uint8');
    expect(nd.array([1, 2]).dtype).toBe('float32');
    expect(nd.array(new Int32Array([1, 2]), { dtype: 'float32' }).dtype).toBe('float32');
  });

  it('casts with astype and keeps bool as booleans in toArray', () => {
    const x = nd.array([1.7, -1.2, 0]);
    expect(vals(x.astype('int32'))).toEqual([1, -1, 0]);
    expect(x.astype('float32', { copy: false })).toBe(x);
    expect(x.astype('bool').toArraySync()).toEqual([true, true, false]);
  });
});

describe('0-d and empty arrays', () => {
  it('handles 0-d arrays', async () => {
    const s = nd.array(5);
    expect(s.shape).toEqual([]);
    expect(s.ndim).toBe(0);
    expect(s.size).toBe(1);
    expect(s.asScalar()).toBe(5);
    expect(await s.scalar()).toBe(5);
    expect(s.toArraySync()).toBe(5);
    expect(s.toString()).toBe(`\n5.0\n<NDArray  @${here()}>`);
    expect(s.add(1).asScalar()).toBe(6);
    expect(nd.ones([2, 3]).sum().asScalar()).toBe(6);
  });

  it('handles empty arrays', async () => {
    const e = nd.zeros([0, 3]);
    expect(e.size).toBe(0);
    expect(e.dataSync().length).toBe(0);
    expect(e.toArraySync()).toEqual([]);
    expect(await e.toArray()).toEqual([]);
    expect(e.toString()).toBe(`\n[]\n<NDArray 0x3 @${here()}>`);
    expect(nd.array([]).shape).toEqual([0]);
    expect(e.add(1).shape).toEqual([0, 3]);
    expect(() => e.asScalar()).toThrow(/not a scalar/);
  });
});

describe('async twins', () => {
  it('data/toArray/scalar/ready/waitAllAsync agree with the blocking calls', async () => {
    const a = nd.arange(6).reshape([2, 3]).mul(2);
    expect(Array.from(await a.data())).toEqual(vals(a));
    expect(await a.toArray()).toEqual(a.toArraySync());
    expect(await (await a.ready()).sum().scalar()).toBe(30);
    const b = a.add(1);
    await mx.waitAllAsync();
    expect(b.waitToRead()).toBe(b);
    expect(vals(b)).toEqual([1, 3, 5, 7, 9, 11]);
  });
});

describe('creation', () => {
  it('makes full, arange, eye and the *Like arrays', () => {
    expect(vals(nd.full([2, 2], 7))).toEqual([7, 7, 7, 7]);
    expect(vals(nd.arange(5))).toEqual([0, 1, 2, 3, 4]);
    expect(vals(nd.arange(1, 10, 3))).toEqual([1, 4, 7]);
    expect(nd.eye(3).toArraySync()).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    expect(nd.eye(2, { M: 3, k: 1 }).toArraySync()).toEqual([[0, 1, 0], [0, 0, 1]]);
    const x = nd.ones([2, 3], { dtype: 'int32' });
    expect(x.dtype).toBe('int32');
    expect(nd.zerosLike(x).dtype).toBe('int32');
    expect(vals(nd.onesLike(x))).toEqual([1, 1, 1, 1, 1, 1]);
    expect(vals(nd.fullLike(x, 4))).toEqual([4, 4, 4, 4, 4, 4]);
    expect(nd.zeros(3).shape).toEqual([3]);
    expect(nd.zeros([2, 2], mx.cpu(), 'float64').dtype).toBe('float64');
    expect(vals(nd.array(x))).toEqual(vals(x));
  });

  it('copies between contexts: copyto, asInContext, copy', () => {
    const a = nd.arange(4);
    expect(a.asInContext(mx.currentContext())).toBe(a);
    const b = a.copy();
    b.iadd(1);
    expect(vals(a)).toEqual([0, 1, 2, 3]);
    const c = a.copyto(mx.cpu(0));
    expect(c).not.toBe(a);
    expect(vals(c)).toEqual([0, 1, 2, 3]);
  });

  it('samples random numbers reproducibly', () => {
    mx.random.seed(42);
    const u1 = vals(nd.random.uniform({ low: -1, high: 1, shape: [100] }));
    mx.random.seed(42);
    const u2 = vals(nd.random.uniform(-1, 1, [100]));
    expect(u1).toEqual(u2);
    expect(Math.min(...u1)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...u1)).toBeLessThan(1);
    const n = nd.random.normal({ loc: 5, scale: 0.1, shape: [1000] });
    expect(n.mean().asScalar()).toBeCloseTo(5, 1);
    const r = nd.random.randint(0, 10, [200]);
    expect(r.dtype).toBe('int32');
    for (const v of vals(r)) expect(v >= 0 && v < 10).toBe(true);
    const s = nd.random.shuffle(nd.arange(20));
    expect(vals(s).sort((p, q) => p - q)).toEqual(vals(nd.arange(20)));
  });
});

describe('math', () => {
  const a = () => nd.array([[1, 2, 3], [4, 5, 6]]);

  it('does arithmetic with arrays and numbers, with broadcasting', () => {
    expect(vals(a().add(1))).toEqual([2, 3, 4, 5, 6, 7]);
    expect(vals(a().sub(nd.array([1, 1, 1])))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(vals(a().mul(a()))).toEqual([1, 4, 9, 16, 25, 36]);
    expect(vals(a().div(2))).toEqual([0.5, 1, 1.5, 2, 2.5, 3]);
    expect(vals(a().mod(4))).toEqual([1, 2, 3, 0, 1, 2]);
    expect(vals(a().pow(2))).toEqual([1, 4, 9, 16, 25, 36]);
    expect(vals(a().maximum(3))).toEqual([3, 3, 3, 4, 5, 6]);
    expect(vals(a().minimum(nd.array([[2], [5]])))).toEqual([1, 2, 2, 4, 5, 5]);
    expect(vals(nd.sub(10, a()))).toEqual([9, 8, 7, 6, 5, 4]);
    expect(vals(nd.div(6, nd.array([1, 2, 3])))).toEqual([6, 3, 2]);
    expect(vals(nd.add(1, a()))).toEqual([2, 3, 4, 5, 6, 7]);
  });

  it('compares', () => {
    expect(vals(a().equal(2))).toEqual([0, 1, 0, 0, 0, 0]);
    expect(vals(a().notEqual(2))).toEqual([1, 0, 1, 1, 1, 1]);
    expect(vals(a().greater(3))).toEqual([0, 0, 0, 1, 1, 1]);
    expect(vals(a().greaterEqual(3))).toEqual([0, 0, 1, 1, 1, 1]);
    expect(vals(a().lesser(nd.array([2, 2, 2])))).toEqual([1, 0, 0, 0, 0, 0]);
    expect(vals(a().lesserEqual(2))).toEqual([1, 1, 0, 0, 0, 0]);
    expect(vals(nd.greater(3, a()))).toEqual([1, 1, 0, 0, 0, 0]);
  });

  it('applies unary functions', () => {
    const x = nd.array([-1, 0, 4]);
    expect(vals(x.neg())).toEqual([1, -0, -4]);
    expect(vals(x.abs())).toEqual([1, 0, 4]);
    expect(vals(x.relu())).toEqual([0, 0, 4]);
    expect(vals(x.square())).toEqual([1, 0, 16]);
    expect(vals(nd.array([4, 9]).sqrt())).toEqual([2, 3]);
    expect(vals(nd.array([0]).exp())).toEqual([1]);
    expect(vals(nd.array([1]).log())).toEqual([0]);
    expect(vals(nd.array([0]).sigmoid())).toEqual([0.5]);
    expect(vals(nd.array([0]).tanh())).toEqual([0]);
    expect(vals(nd.relu(x))).toEqual([0, 0, 4]);
  });

  it('reduces over axes', () => {
    expect(a().sum().asScalar()).toBe(21);
    expect(vals(a().sum(0))).toEqual([5, 7, 9]);
    expect(a().sum({ axis: 1, keepdims: true }).shape).toEqual([2, 1]);
    expect(vals(a().sum({ axis: 1, exclude: true }))).toEqual([5, 7, 9]);
    expect(vals(a().mean(1))).toEqual([2, 5]);
    expect(a().max().asScalar()).toBe(6);
    expect(vals(a().min(0))).toEqual([1, 2, 3]);
    expect(vals(a().prod(1))).toEqual([6, 120]);
    expect(vals(a().argmax(1))).toEqual([2, 2]);
    expect(vals(a().argmin({ axis: 0 }))).toEqual([0, 0, 0]);
    expect(nd.array([3, 4]).norm().asScalar()).toBe(5);
    expect(vals(nd.sum(a(), { axis: [0, 1] }))).toEqual([21]);
  });

  it('reshapes and rearranges', () => {
    expect(a().dot(a(), { transposeB: true }).toArraySync()).toEqual([[14, 32], [32, 77]]);
    expect(a().transpose().toArraySync()).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(a().T.shape).toEqual([3, 2]);
    expect(a().expandDims(0).shape).toEqual([1, 2, 3]);
    expect(nd.zeros([1, 3, 1]).squeeze().shape).toEqual([3]);
    expect(nd.zeros([2, 3, 4]).flatten().shape).toEqual([2, 12]);
    expect(vals(a().clip(2, 5))).toEqual([2, 2, 3, 4, 5, 5]);
    expect(a().flip(1).toArraySync()).toEqual([[3, 2, 1], [6, 5, 4]]);
    expect(a().tile([1, 2]).toArraySync()).toEqual([[1, 2, 3, 1, 2, 3], [4, 5, 6, 4, 5, 6]]);
    expect(vals(nd.array([1, 2]).repeat(2))).toEqual([1, 1, 2, 2]);
    expect(a().repeat(2, { axis: 0 }).shape).toEqual([4, 3]);
    expect(nd.array([[1, 2, 3]]).broadcastTo([2, 3]).toArraySync()).toEqual([[1, 2, 3], [1, 2, 3]]);
  });

  it('sorts (sort, argsort, topk)', () => {
    const x = nd.array([3, 1, 2]);
    expect(vals(x.sort())).toEqual([1, 2, 3]);
    expect(vals(x.argsort())).toEqual([1, 2, 0]);
    expect(vals(x.topk({ k: 2, retTyp: 'value' }))).toEqual([3, 2]);
    const [v, i] = x.topk({ k: 1, retTyp: 'both' });
    expect(vals(v!)).toEqual([3]);
    expect(vals(i!)).toEqual([0]);
  });
});
