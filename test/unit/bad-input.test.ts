// Bad input from the public API: every mistake must come back as an mx.IsotensorError that names
// the op, the argument and the shapes involved (never a crash, a hang or a WASM abort), and the
// library must keep computing correct values afterwards.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { expectError } from '../helpers/errors';

const { nd } = mx;
beforeAll(() => mx.ready());

/** A small computation touching several op families; checks its values. */
function stillWorks(): void {
  mx.scope(() => {
    const a = nd.array([[1, 2, 3], [4, 5, 6]]);
    const b = nd.array([[1, 0], [0, 1], [1, 1]]);
    expect(nd.dot(a, b).toArraySync()).toEqual([[4, 5], [10, 11]]);
    expect(a.add(nd.array([10, 20, 30])).toArraySync()).toEqual([[11, 22, 33], [14, 25, 36]]);
    expect(Array.from(a.sum(1).dataSync())).toEqual([6, 15]);
    expect(a.reshape([3, 2]).at(2).toArraySync()).toEqual([5, 6]);
    expect(nd.concat(a, a, { dim: 0 }).shape).toEqual([4, 3]);
    const c = nd.zeros([4]);
    c.iadd(2);
    expect(Array.from(c.dataSync())).toEqual([2, 2, 2, 2]);
    mx.waitAll();
  });
}

describe('wrong shapes', () => {
  it('elemwise_add of (2,3) and (3,2)', () => {
    expectError(() => nd.elemwise_add(nd.ones([2, 3]), nd.ones([3, 2])),
      /elemwise_add/, /'rhs'/, /\(2,3\)/, /\(3,2\)/);
  });

  it('broadcast_add of (2,3) and (4,)', () => {
    expectError(() => nd.broadcast_add(nd.ones([2, 3]), nd.ones([4])),
      /broadcast_add/, /'rhs'/, /\(2,3\)/, /\(4,\)/, /broadcast/);
    // the method form goes to the same op
    expectError(() => nd.ones([2, 3]).add(nd.ones([4])), /broadcast_add/, /\(2,3\).*\(4,\)/);
  });

  it('dot of (2,3) and (4,5)', () => {
    expectError(() => nd.dot(nd.ones([2, 3]), nd.ones([4, 5])),
      /dot/, /'rhs'/, /\(2,3\)/, /\(4,5\)/, /not aligned/);
    expectError(() => nd.ones([2, 3]).dot(nd.ones([2, 3])), /dot/, /\(2,3\) and \(2,3\)/);
  });

  it('concat with mismatched dims and with an out-of-range dim', () => {
    expectError(() => nd.concat(nd.ones([2, 3]), nd.ones([2, 4]), { dim: 0 }),
      /Concat/, /'data'/, /\(2,4\)/, /\(2,3\)/, /dim 0/);
    expectError(() => nd.concat(nd.ones([2, 3]), nd.ones([3]), { dim: 0 }), /Concat/, /\(2,3\)/, /\(3,\)/);
    expectError(() => nd.concat(nd.ones([2, 3]), nd.ones([2, 3]), { dim: 5 }),
      /Concat/, /'dim'/, /axis 5/, /rank 2/);
  });

  it('reshape to a wrong size or with bad codes', () => {
    const x = nd.ones([2, 3]);
    expectError(() => x.reshape([4, 2]), /reshape/, /'shape'/, /\(2,3\)/, /\(4,2\)/);
    expectError(() => x.reshape([5]), /reshape/, /'shape'/, /\(2,3\)/);
    expectError(() => x.reshape([-1, 4]), /reshape/, /'shape'/, /-1/, /\(2,3\)/);
    expectError(() => x.reshape([-5, 3]), /reshape/, /'shape'/, /-5/);
  });

  it('slice out of range', () => {
    const x = nd.ones([2, 3]);
    expectError(() => x.slice(0, 5), /slice/, /'begin'/, /\[0, 5\)/, /\(2,3\)/);
    expectError(() => x.slice(2, 1), /slice/, /\[2, 1\)/, /\(2,3\)/);
    expectError(() => x.slice(-5, 2), /slice/, /out of bounds/, /\(2,3\)/);
  });

  it('at() and setAt() out of range', () => {
    const x = nd.array([[1, 2, 3], [4, 5, 6]]);
    expectError(() => x.at(2), /\bat\b/, /'index'/, /index 2/, /\(2,3\)/);
    expectError(() => x.at(100), /\bat\b/, /'index'/, /\(2,3\)/);
    expectError(() => x.setAt(5, 0), /\bat\b/, /'index'/, /\(2,3\)/);
    expectError(() => nd.array(7).at(0), /\bat\b/, /'index'/, /0-d/);
    // valid negative indices count from the end
    expect(x.at(-1).toArraySync()).toEqual([4, 5, 6]);
    expect(x.at(-2).toArraySync()).toEqual([1, 2, 3]);
    expect(x.toArraySync()).toEqual([[1, 2, 3], [4, 5, 6]]);
  });

  it('rejects negative indices past the start and non-integer indices', () => {
    const x = nd.array([[1, 2, 3], [4, 5, 6]]);
    expectError(() => x.at(-3), /\bat\b/, /'index'/, /index -3/, /\(2,3\)/);
    expectError(() => x.at(-4), /\bat\b/, /'index'/, /index -4/);
    expectError(() => x.setAt(-3, 0), /\bat\b/, /'index'/);
    expectError(() => x.at(1.5), /\bat\b/, /'index'/, /not an integer/);
    expectError(() => x.at(NaN), /\bat\b/, /'index'/, /not an integer/);
    expectError(() => x.slice(NaN, 2), /slice/, /'begin'/, /not an integer/);
    expectError(() => x.slice(0, 0.5), /slice/, /'end'/, /not an integer/);
    expect(x.toArraySync()).toEqual([[1, 2, 3], [4, 5, 6]]);
  });

  it('keeps working afterwards', stillWorks);
});

describe('unknown dtype', () => {
  it('zeros / array / astype / Cast with an unknown dtype', () => {
    expectError(() => nd.zeros([2], { dtype: 'float13' as any }), /nd\.zeros/, /'dtype'/, /unknown dtype 'float13'/, /float32/);
    expectError(() => nd.array([1, 2], { dtype: 'complex128' as any }), /unknown dtype 'complex128'/);
    const x = nd.ones([2, 3]);
    expectError(() => x.astype('complex64' as any), /astype/, /'dtype'/, /unknown dtype 'complex64'/);
    expectError(() => nd.Cast(x, { dtype: 'float13' as any }), /Cast/, /'dtype'/, /unknown dtype 'float13'/);
    expect(x.dtype).toBe('float32');
    expect(Array.from(x.dataSync())).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('keeps working afterwards', stillWorks);
});

describe('bad parameter values', () => {
  let x: mx.NDArray;
  beforeAll(() => { x = nd.array([[3, 1, 2], [6, 5, 4]]); });

  it('rejects an unknown parameter name of a generated op', () => {
    expectError(() => nd.broadcast_add(x, x, { foo: 1 } as any), /broadcast_add/, /'foo'/, /unknown parameter/);
    expectError(() => nd._zeros({ shape: [2], foo: 1 } as any), /_zeros/, /'foo'/, /unknown parameter/, /shape/);
  });

  it('rejects unknown options in the hand-written helpers like the generated ops', () => {
    expectError(() => nd.sum(x, { axis: 0, keepDims: true } as any), /sum/, /'keep_dims'/, /unknown parameter/);
    expectError(() => x.mean({ axis: 0, exclud: true } as any), /mean/, /'exclud'/, /unknown parameter/);
    expectError(() => nd.topk(x, { k: 1, retType: 'value' } as any), /topk/, /'ret_type'/, /unknown parameter/);
    expectError(() => nd.clip(x, { aMin: 0, aMax: 1, aMid: 0 } as any), /clip/, /'a_mid'/, /unknown parameter/);
    expectError(() => nd.transpose(x, { axes: [1, 0], axis: 1 } as any), /transpose/, /'axis'/, /unknown parameter/);
    expectError(() => x.sort({ ascending: false } as any), /sort/, /'ascending'/, /unknown parameter/);
    expect(nd.sum(x, { axis: 0, keepdims: true }).shape).toEqual([1, 3]);
  });

  it('rejects non-numeric values for numeric params', () => {
    expectError(() => nd.sum(x, { axis: 'abc' } as any), /sum/, /'axis'/, /integer/, /'abc'/);
    expectError(() => nd.sum(x, { axis: 1.5 } as any), /sum/, /'axis'/, /integer/);
    expectError(() => nd.sum(x, { axis: NaN } as any), /sum/, /'axis'/, /integer/);
    expectError(() => nd.clip(x, { aMin: 'x' as any, aMax: 1 }), /clip/, /'a_min'/, /number/, /'x'/);
    expectError(() => nd.topk(x, { k: 'two' } as any), /topk/, /'k'/, /integer/, /'two'/);
    expectError(() => nd.sort(x, { isAscend: 'maybe' } as any), /sort/, /'is_ascend'/, /boolean/);
    expectError(() => nd.take(x, nd.array([0]), { mode: 'explode' } as any),
      /take/, /'mode'/, /'explode'/, /'raise'/);
    expectError(() => nd.eye(NaN), /_eye/, /'N'/, /integer/);
  });

  it('rejects negative and non-integer shape dims', () => {
    expectError(() => nd.zeros([2, -1]), /zeros/, /shape/, /\(2, -1\)/);
    expectError(() => nd.ones([-3]), /ones/, /shape/, /-3/);
    expectError(() => nd.full([-2], 1), /full/, /shape/, /-2/);
    expectError(() => nd.zeros([2.5]), /zeros/, /shape/, /2\.5/);
    expectError(() => nd.zeros([NaN]), /zeros/, /shape/, /NaN/);
    expectError(() => nd.zeros([Infinity]), /zeros/, /shape/, /Infinity/);
    expectError(() => nd.repeat(x, { repeats: -1 }), /repeat/, /'repeats'/, /negative/);
    expectError(() => nd.tile(x, { reps: [-1, 2] }), /tile/, /'reps'/, /negative/);
  });

  it('rejects an allocation that cannot be made', () => {
    // Past what the platform can address (size_t is 32-bit in WASM): a clear error, no wrap-around.
    expectError(() => nd.empty([1e8, 1e8]), /'shape'/, /too large to allocate/);
  });

  it('rejects shapes whose element count overflows', () => {
    expectError(() => nd.zeros([2 ** 32, 2 ** 32]), /'shape'/, /too large/);
    expectError(() => nd.zeros([2 ** 31, 2 ** 31, 4]), /'shape'/, /too large/);
    expectError(() => nd.ones([3]).broadcastTo([2 ** 32, 2 ** 32, 3]), /broadcast_to|ndarray/, /'shape'/);
    expect(nd.zeros([2 ** 40, 0]).size).toBe(0); // empty, whatever the other dims
  });

  it('rejects out-of-range axes', () => {
    expectError(() => nd.sum(x, { axis: 2 }), /sum/, /'axis'/, /axis 2/, /\(2,3\)/);
    expectError(() => x.sum(-3), /sum/, /'axis'/, /axis -3/, /\(2,3\)/);
    expectError(() => nd.mean(x, { axis: 5 }), /mean/, /'axis'/, /\(2,3\)/);
    expectError(() => nd.transpose(x, { axes: [0, 2] }), /transpose/, /'axes'/, /axis 2/, /rank 2/);
    expectError(() => nd.transpose(x, { axes: [0, 0] }), /transpose/, /'axes'/, /repeat/, /\(2,3\)/);
    expectError(() => nd.expand_dims(x, { axis: 4 }), /expand_dims/, /'axis'/, /axis 4/);
    expectError(() => nd.expand_dims(x, { axis: -4 }), /expand_dims/, /'axis'/, /axis -4/);
    expectError(() => nd.sort(x, { axis: 3 }), /sort/, /'axis'/, /axis 3/, /\(2,3\)/);
    expectError(() => nd.argsort(x, { axis: -3 }), /argsort/, /'axis'/, /\(2,3\)/);
    // the edges of the valid range still work
    expect(nd.expand_dims(x, { axis: -3 }).shape).toEqual([1, 2, 3]);
    expect(nd.expand_dims(x, { axis: 2 }).shape).toEqual([2, 3, 1]);
    expect(Array.from(nd.sum(x, { axis: -2 }).dataSync())).toEqual([9, 6, 6]);
  });

  it('rejects topk with k larger than the axis', () => {
    expectError(() => nd.topk(x, { k: 4 }), /topk/, /'k'/, /k = 4/, /\(2,3\)/);
    expectError(() => nd.topk(x, { k: 7, axis: null }), /topk/, /'k'/, /k = 7/, /6 elements/, /\(2,3\)/);
    // k = 3 is the whole axis; k < 1 means "all" in MXNet
    expect(nd.topk(x, { k: 3 }).toArraySync()).toEqual([[0, 2, 1], [0, 1, 2]]);
    expect(nd.topk(x, { k: 0 }).toArraySync()).toEqual([[0, 2, 1], [0, 1, 2]]);
  });

  it('clip with a_min > a_max is accepted, as in MXNet (x > a_max → a_max, else x < a_min → a_min)', () => {
    // MXNet 1.x ClipParam has no a_min <= a_max check; its kernel tests a_max first.
    expect(Array.from(nd.clip(nd.array([0, 5, 10]), { aMin: 6, aMax: 2 }).dataSync())).toEqual([6, 2, 2]);
  });

  it('keeps working afterwards', stillWorks);
});

describe('out-of-range index in take(mode: raise)', () => {
  let data: mx.NDArray;
  beforeAll(() => { data = nd.array([[1, 2], [3, 4], [5, 6]]); });

  it('take returns at once and the error comes at the blocking read', () => {
    const y = nd.take(data, nd.array([0, 9]), { mode: 'raise' });
    expectError(() => y.dataSync(), /take/, /'indices'/, /index 9/, /\(3,2\)/);
    expect(() => mx.waitAll()).not.toThrow();
  });

  it('rejects the promise of an async read', async () => {
    const y = nd.take(data, nd.array([3]), { mode: 'raise' });
    const err = await y.data().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(mx.IsotensorError);
    expect(String((err as Error).message)).toMatch(/take.*'indices'.*index 3.*\(3,2\)/);
    expect(() => mx.waitAll()).not.toThrow();
  });

  it('rejects a non-finite index', () => {
    const y = nd.take(data, nd.array([NaN]), { mode: 'raise' });
    expectError(() => y.toArraySync(), /take/, /'indices'/, /not finite/);
  });

  it('clip and wrap modes never fail', () => {
    expect(nd.take(data, nd.array([7, -7])).toArraySync()).toEqual([[5, 6], [1, 2]]);
    expect(nd.take(data, nd.array([4]), { mode: 'wrap' }).toArraySync()).toEqual([[3, 4]]);
  });

  it('keeps working afterwards', stillWorks);
});

describe('non-finite scalars', () => {
  it('rejects non-finite or degenerate arange bounds', () => {
    expectError(() => nd.arange(0, Infinity), /_arange/, /'stop'/, /finite/);
    expectError(() => nd.arange(-Infinity, 5), /_arange/, /finite/);
    expectError(() => nd.arange(0, NaN), /_arange/, /finite/);
    expectError(() => nd.arange(0, 5, 0), /_arange/, /'step'/, /0/);
    expectError(() => nd.arange(0, 1e300), /_arange/, /too large/);
  });

  it('accepts NaN and Infinity where they are values', () => {
    const nan = nd.full([2], NaN);
    expect(Array.from(nan.dataSync()).every(Number.isNaN)).toBe(true);
    expect(Array.from(nd.full([2], -Infinity).dataSync())).toEqual([-Infinity, -Infinity]);
    expect(Array.from(nd.array([1, 2]).mul(NaN).dataSync()).every(Number.isNaN)).toBe(true);
    expect(Array.from(nd.array([1, -2]).mul(Infinity).dataSync())).toEqual([Infinity, -Infinity]);
    expect(Array.from(nd.clip(nd.array([-1, 5]), { aMin: -Infinity, aMax: Infinity }).dataSync())).toEqual([-1, 5]);
  });

  it('keeps working afterwards', stillWorks);
});

describe('contexts', () => {
  it('refuses GPU arrays when no GPU is there, saying CUDA/GPU is unavailable', () => {
    if (mx.numGpus() > 0) return; // covered by the GPU specs where a device exists
    const gpuMsg = /gpu\(0\) is not available.*CUDA/;
    expectError(() => nd.zeros([2], { ctx: mx.gpu(0) }), gpuMsg);
    expectError(() => nd.array([1, 2], { ctx: mx.gpu(0) }), gpuMsg);
    expectError(() => nd.random.uniform({ shape: [2], ctx: mx.gpu(0) }), gpuMsg);
    expectError(() => mx.withContext(mx.gpu(0), () => nd.ones([2])), gpuMsg);
    expectError(() => nd.ones([2]).copyto(mx.gpu(0)), gpuMsg);
    expectError(() => nd.ones([2]).asInContext(mx.gpu(0)), gpuMsg);
    expectError(() => nd.ones([2]).add(nd.ones([2], { ctx: mx.gpu(1) })), /gpu\(1\) is not available.*CUDA/);
    expect(mx.currentContext().toString()).toBe('cpu(0)');
  });

  it('keeps working afterwards', stillWorks);
});

describe('disposed arrays', () => {
  it('rejects every use of a disposed array', async () => {
    const d = nd.array([1, 2]);
    d.dispose();
    expect(d.isDisposed).toBe(true);
    expectError(() => d.dataSync(), /disposed/);
    expectError(() => d.toArraySync(), /disposed/);
    expectError(() => d.shape, /disposed/);
    expectError(() => d.add(1), /disposed/);
    expectError(() => nd.ones([2]).add(d), /disposed/);
    expectError(() => nd.elemwise_add(nd.ones([2]), d), /disposed/);
    expectError(() => d.reshape([2, 1]), /disposed/);
    expectError(() => d.set(0), /disposed/);
    expectError(() => nd.serialize([d]), /disposed/);
    await expect(Promise.resolve().then(() => d.data())).rejects.toThrow(mx.IsotensorError);
    expect(() => d.dispose()).not.toThrow(); // a second dispose is a no-op
  });

  it('keeps working afterwards', stillWorks);
});

describe('wrong input count to a generated op', () => {
  it('names the op and the expected inputs', () => {
    const a = nd.ones([2]);
    expectError(() => (nd.elemwise_add as any)(a), /elemwise_add/, /'inputs'/, /expected 2 input\(s\) \(lhs, rhs\), got 1/);
    expectError(() => (nd.elemwise_add as any)(a, a, a), /elemwise_add/, /expected 2 input\(s\).*got 3/);
    expectError(() => (nd.broadcast_mul as any)(a), /broadcast_mul/, /got 1/);
    expectError(() => (nd.dot as any)(), /dot/);
    expectError(() => (nd.elemwise_add as any)(a, 3), /elemwise_add/, /NDArray/);
  });

  it('keeps working afterwards', stillWorks);
});

describe('truncated and corrupt serialize() bytes', () => {
  let state = 20240607;
  const rand = () => (state = (state * 1103515245 + 12345) % 2147483648);

  function sources(): Uint8Array[] {
    return [
      nd.serialize([nd.array([[1, 2], [3, 4]]), nd.arange(0, 5), nd.array(3.5)]),
      nd.serialize({ w: nd.ones([3]), b: nd.zeros([2, 2], { dtype: 'int32' }), e: nd.zeros([0, 2]) }),
      nd.serialize([nd.array([1, 2, 3], { dtype: 'float16' }), nd.array([true, false], { dtype: 'bool' })]),
    ];
  }

  it('rejects every prefix of a valid file, and random truncations', () => {
    for (const whole of sources()) {
      expect(nd.deserialize(whole)).toBeTruthy();
      for (let cut = 0; cut < whole.length; ++cut) {
        expect(() => nd.deserialize(whole.subarray(0, cut)), `cut at ${cut} of ${whole.length}`).toThrow(mx.IsotensorError);
      }
      for (let t = 0; t < 50; ++t) {
        const cut = rand() % whole.length;
        expect(() => nd.deserialize(whole.slice(0, cut)), `cut at ${cut}`).toThrow(mx.IsotensorError);
      }
    }
  });

  it('truncation errors say what was missing', () => {
    const whole = sources()[0]!;
    expectError(() => nd.deserialize(whole.subarray(0, whole.length - 3)), /\S/);
    expectError(() => nd.deserialize(new Uint8Array(0)), /\S/);
  });

  it('loads or throws IsotensorError for corrupted bytes, nothing else', () => {
    for (const whole of sources()) {
      for (let t = 0; t < 200; ++t) {
        const b = whole.slice();
        const flips = 1 + (rand() % 3);
        for (let f = 0; f < flips; ++f) b[rand() % b.length] = rand() & 0xff;
        try {
          const r = nd.deserialize(b) as any;
          const list = Array.isArray(r) ? r : Object.values(r);
          for (const a of list) a.dispose();
        } catch (e) {
          expect(e).toBeInstanceOf(mx.IsotensorError);
        }
      }
    }
  });

  it('rejects arbitrary non-file bytes', () => {
    expectError(() => nd.deserialize(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])), /\S/);
    const junk = new Uint8Array(64).fill(0xff);
    expectError(() => nd.deserialize(junk), /\S/);
  });

  it('keeps working afterwards', () => {
    stillWorks();
    const [a, b] = nd.deserialize(nd.serialize([nd.array([[1, 2]]), nd.arange(0, 3)])) as mx.NDArray[];
    expect(a!.toArraySync()).toEqual([[1, 2]]);
    expect(Array.from(b!.dataSync())).toEqual([0, 1, 2]);
  });
});

describe('ragged nested arrays', () => {
  it('names the bad index and the inferred shape', () => {
    expectError(() => nd.array([[1, 2], [3]]), /nd\.array/, /ragged/, /\[1\]/, /\(2, 2\)/);
    expectError(() => nd.array([[[1], [2]], [[3], 4]] as any), /ragged/, /\[1\]\[1\]/, /\(2, 2, 1\)/);
    expectError(() => nd.array([1, [2]] as any), /ragged/, /\[1\]/);
    expectError(() => nd.array([[1, 2], 3] as any), /ragged/);
    expectError(() => nd.array(['a', 'b'] as any), /nd\.array/, /\[0\]/, /string/);
  });

  it('keeps working afterwards', stillWorks);
});

describe('options and arguments of the wrong kind on NDArray methods and nd functions', () => {
  it('takes null options as none, and MXNet\'s positional ord and axis where norm has them', () => {
    const a = nd.array([[3, 4], [6, 8]]);
    const o = null as unknown as undefined;
    expect(a.norm(o).dataSync()[0]).toBeCloseTo(Math.sqrt(9 + 16 + 36 + 64), 4);
    expect(Array.from(nd.norm(a, 1).dataSync())).toEqual([21]);  // MXNet's norm(ord=1): every element
    expect(Array.from(nd.norm(a, 2, 1).dataSync())).toEqual([5, 10]);
    expect(Array.from(a.norm(1, 0, true).dataSync())).toEqual([9, 12]);
    expect(a.norm(1, 0, true).shape).toEqual([1, 2]);
    expect(Array.from(a.norm([1]).dataSync())).toEqual([5, 10]);
    expect(() => a.norm(2, 1, 'yes' as never)).toThrow(/norm: positional argument 'keepdims' must be a boolean/);
    expect(Array.from(a.topk(o).dataSync())).toEqual([1, 1]);
    expect(nd.eye(2, o).toArraySync()).toEqual([[1, 0], [0, 1]]);
    expect(a.repeat(2, o).shape).toEqual([8]);
    expect(a.astype('float32', o).dtype).toBe('float32');
  });

  it('refuses options that are not an object, naming the function', () => {
    const a = nd.array([[3, 4], [6, 8]]);
    expectError(() => a.topk(5 as never), /topk: options must be an object, got number/);
    expectError(() => nd.eye(2, 'x' as never), /nd.eye: options must be an object, got string/);
    expectError(() => a.repeat(2, [1] as never), /repeat: options must be an object, got array/);
  });

  it('names a missing or wrong-typed required argument', () => {
    const a = nd.array([[3, 4], [6, 8]]);
    expectError(() => a.setAt(undefined as never, 1), /setAt: argument 'index' must be a number or an array/);
    expectError(() => nd.flip(a, undefined as never), /reverse|flip/, /'axis'/);
    expectError(() => nd.tile(a, undefined as never), /tile/, /reps/);
    expectError(() => nd.repeat(a, undefined as never), /repeat/, /repeats/);
    expectError(() => nd.flip(undefined as never, 0), /nd.flip: expected an NDArray, got undefined/);
    expectError(() => a.astype(Symbol('f32') as never), /astype: argument 'dtype': unknown dtype 'Symbol\(f32\)'/);
    expectError(() => a.copyto(Symbol('gpu') as never), /invalid device type 'Symbol\(gpu\)'/);
    expectError(() => a.at(Symbol('i') as never), /at: argument 'index': index Symbol\(i\) is not an integer/);
    expectError(() => nd.deserialize(-1 as never), /nd.deserialize: argument 'bytes' must be a Uint8Array/);
    expectError(() => nd.saveSync(undefined as never, [a]), /nd.saveSync: argument 'path' must be a string or URL, got undefined/);
    expectError(() => nd.loadSync(null as never), /nd.loadSync: argument 'path' must be a string or URL, got null/);
    expectError(() => mx.scope(undefined as never), /mx.scope: argument 'fn' must be a function, got undefined/);
    expectError(() => nd.random.randint(), /randint: high is required/);
    expectError(() => nd.random.exponential(2n as never), /exponential: argument 'scale' must be a number or an NDArray, got bigint/);
    expectError(() => mx.random.seed(Symbol('s') as never), /seed must be an integer, got Symbol\(s\)/);
    expectError(() => nd.random.uniform(0, 1, [2], 3 as never), /nd.random.uniform: options must be an object, got number/);
  });

  it('takes null options as none in the samplers', () => {
    const o = null as unknown as undefined;
    expect(nd.random.uniform(o).shape).toEqual([1]);
    expect(nd.random.normal(0, 1, [3], o).shape).toEqual([3]);
    expect(nd.random.shuffle(nd.arange(0, 4), o).shape).toEqual([4]);
  });

  it('keeps working afterwards', stillWorks);
});
