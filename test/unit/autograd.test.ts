// mx.autograd through the public API: recording scopes, variables and grad_req, backward and
// autograd.grad (incl. higher order), views under recording, custom Functions, errors, memory.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';
import { checkGrad, recordGradCheck } from '../helpers/gradcheck';

const { nd, autograd } = mx;
type Arr = any;
const vals = (x: Arr): number[] => Array.from(x.dataSync() as ArrayLike<number>, Number);
const close = (a: number[], b: number[], tol = 1e-5): void => {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i]!))));
};
const cube = (x: Arr): Arr => nd.elemwise_mul(nd.elemwise_mul(x, x), x);

beforeAll(async () => {
  await mx.ready();
  announceBackend('autograd');
});

describe('recording state', () => {
  it('record/pause/trainMode/predictMode set and restore the flags', () => {
    expect(autograd.isRecording()).toBe(false);
    expect(autograd.isTraining()).toBe(false);
    autograd.record(() => {
      expect(autograd.isRecording()).toBe(true);
      expect(autograd.isTraining()).toBe(true);
      autograd.pause(() => {
        expect(autograd.isRecording()).toBe(false);
        expect(autograd.isTraining()).toBe(false);
      });
      autograd.predictMode(() => expect(autograd.isTraining()).toBe(false));
      expect(autograd.isRecording()).toBe(true);
    });
    autograd.record(() => expect(autograd.isTraining()).toBe(false), { trainMode: false });
    autograd.trainMode(() => {
      expect(autograd.isTraining()).toBe(true);
      expect(autograd.isRecording()).toBe(false);
    });
    expect(autograd.isRecording()).toBe(false);
    expect(autograd.isTraining()).toBe(false);
  });

  it('restores the flags when the function throws, and supports scope objects', () => {
    expect(() => autograd.record(() => { throw new Error('inside'); })).toThrow('inside');
    expect(autograd.isRecording()).toBe(false);
    const s = autograd.record();
    expect(autograd.isRecording()).toBe(true);
    s.exit();
    s.exit();
    expect(autograd.isRecording()).toBe(false);
    expect(autograd.setRecording(true)).toBe(false);
    expect(autograd.setRecording(false)).toBe(true);
    expect(autograd.setTraining(true)).toBe(false);
    expect(autograd.setTraining(false)).toBe(true);
  });

  it('keeps recording across an async function until it settles', async () => {
    const x = nd.array([1, 2]);
    x.attachGrad();
    const y = await autograd.record(async () => {
      await Promise.resolve();
      return nd.elemwise_mul(x, x);
    });
    expect(autograd.isRecording()).toBe(false);
    y.backward();
    close(vals(x.grad), [2, 4]);
  });
});

describe('backward into attached gradients', () => {
  it('computes d(x*x*x) = 3x^2 with the default head gradient of ones', () => {
    const x = nd.array([[1, 2], [3, -4]]);
    x.attachGrad();
    expect(vals(x.grad)).toEqual([0, 0, 0, 0]);
    const y = autograd.record(() => cube(x));
    y.backward();
    close(vals(x.grad), [3, 12, 27, 48]);
    expect(x.grad.shape).toEqual([2, 2]);
  });

  it('uses a given head gradient', () => {
    const x = nd.array([1, 2, 3]);
    x.attachGrad();
    const y = autograd.record(() => nd.elemwise_mul(x, x));
    y.backward(nd.array([1, 0, 2]));
    close(vals(x.grad), [2, 0, 12]);
  });

  it("gradReq 'add' accumulates, 'write' overwrites, 'null' leaves the buffer alone", () => {
    const x = nd.array([1, 2]);
    x.attachGrad({ gradReq: 'add' });
    for (let i = 0; i < 3; i++) autograd.record(() => nd.elemwise_mul(x, x)).backward();
    close(vals(x.grad), [6, 12]);
    const w = nd.array([1, 2]);
    w.attachGrad();
    for (let i = 0; i < 3; i++) autograd.record(() => nd.elemwise_mul(w, w)).backward();
    close(vals(w.grad), [2, 4]);
    const z = nd.array([5, 6]);
    z.attachGrad({ gradReq: 'null' });
    const y = autograd.record(() => nd.elemwise_add(nd.elemwise_mul(z, z), nd.elemwise_mul(w, w)));
    y.backward();
    expect(vals(z.grad)).toEqual([0, 0]);
    close(vals(w.grad), [2, 4]);
    expect(() => x.attachGrad({ gradReq: 'sometimes' as never })).toThrow(/gradReq/);
    expect(() => x.attachGrad('sometimes' as never)).toThrow(/gradReq/);
    const v = nd.array([3]);
    v.attachGrad('add');  // the request alone, as MXNet's attach_grad('add')
    for (let i = 0; i < 2; i++) autograd.record(() => nd.elemwise_mul(v, v)).backward();
    close(vals(v.grad), [12]);
  });

  it('sums the gradient over every use of a variable and over several heads', () => {
    const x = nd.array([1, 2]);
    const y = nd.array([3, 4]);
    x.attachGrad();
    y.attachGrad();
    const [a, b] = autograd.record(() => [nd.elemwise_mul(x, y), nd.add_n(x, x, nd.negative(y))]);
    autograd.backward([a, b]);
    close(vals(x.grad), [3 + 2, 4 + 2]);
    close(vals(y.grad), [1 - 1, 2 - 1]);
    const [c, d] = autograd.record(() => [nd.elemwise_mul(x, y), nd.elemwise_sub(x, y)]);
    autograd.backward([c, d], [nd.array([1, 1]), nd.array([10, 100])]);
    close(vals(x.grad), [3 + 10, 4 + 100]);
    close(vals(y.grad), [1 - 10, 2 - 100]);
  });

  it('writes layer gradients into the buffers, and skips the gradient of data that needs none', () => {
    // FullyConnected's backward has three outputs; with x constant, d x is read by nothing.
    const W = nd.array([[1, -2, 0.5], [0.25, 3, -1]]);
    const b = nd.array([0.5, -0.5]);
    W.attachGrad();
    b.attachGrad();
    for (const xs of [[[1, 2, 3], [-1, 0.5, 2]], [[0, 1, -1], [2, 2, 2]]]) {
      const x = nd.array(xs);
      autograd.record(() => nd.sum(nd.elemwise_mul(nd.FullyConnected(x, W, b, { numHidden: 2 }),
                                                    nd.array([[1, 2], [3, 4]])))).backward();
      // d/dW[h][k] = sum_n g[n][h] x[n][k] with g = [[1,2],[3,4]]; d/db[h] = sum_n g[n][h]
      const g = [[1, 2], [3, 4]];
      const dW = [0, 1].map((h) => [0, 1, 2].map((k) => g[0]![h]! * xs[0]![k]! + g[1]![h]! * xs[1]![k]!));
      close(vals(W.grad), dW.flat());
      close(vals(b.grad), [4, 6]);
      x.dispose();
    }
  });

  it('keeps a gradient buffer intact while backward still reads it as a recorded input', () => {
    const w = nd.array([1, 2, 3]);
    w.attachGrad();
    w.grad.set(2);
    // y = sum(w * c) with c = w.grad's current values: d y/d w = c, read while w.grad is written.
    autograd.record(() => nd.sum(nd.elemwise_mul(w, w.grad))).backward();
    expect(vals(w.grad)).toEqual([2, 2, 2]);
    autograd.record(() => nd.sum(nd.elemwise_mul(w, nd.elemwise_mul(w.grad, w.grad)))).backward();
    expect(vals(w.grad)).toEqual([4, 4, 4]);
  });

  it('gives variables unreachable from the head a zero gradient', () => {
    const x = nd.array([1, 2]);
    const u = nd.array([7, 7]);
    x.attachGrad();
    u.attachGrad();
    u.grad.set(5);
    autograd.record(() => nd.elemwise_mul(x, x)).backward();
    expect(vals(u.grad)).toEqual([5, 5]);  // not part of this graph: untouched
  });

  it('frees the graph unless retainGraph is set', () => {
    const x = nd.array([2]);
    x.attachGrad();
    const y = autograd.record(() => cube(x));
    y.backward(null, { retainGraph: true });
    close(vals(x.grad), [12]);
    y.backward();
    close(vals(x.grad), [12]);
    expect(() => y.backward()).toThrow(mx.IsotensorError);
    expect(() => y.backward()).toThrow(/retainGraph/);
  });

  it('records views made with reshape, slice and at', () => {
    const x = nd.array([[1, 2, 3], [4, 5, 6]]);
    x.attachGrad();
    const heads = autograd.record(() => {
      const r = x.reshape([3, 2]);
      return [nd.elemwise_mul(r, r).reshape([6]), x.slice(1, 2).reshape([3]), x.at(0)];
    });
    autograd.backward(heads);
    close(vals(x.grad), [2 + 1, 4 + 1, 6 + 1, 8 + 1, 10 + 1, 12 + 1]);
  });
});

describe('autograd.grad', () => {
  it('returns gradients as new arrays and leaves .grad alone', () => {
    const x = nd.array([1, 2, 3]);
    x.attachGrad();
    const y = autograd.record(() => cube(x));
    const [g] = autograd.grad(y, [x]);
    close(vals(g), [3, 12, 27]);
    expect(vals(x.grad)).toEqual([0, 0, 0]);
  });

  it('differentiates twice with createGraph (d2/dx2 of x^3 = 6x)', () => {
    const x = nd.array([1, 2, -3]);
    x.attachGrad();
    const dx = autograd.record(() => {
      const y = cube(x);
      return autograd.grad(y, [x], { createGraph: true })[0];
    });
    close(vals(dx), [3, 12, 27]);
    dx.backward();
    close(vals(x.grad), [6, 12, -18]);
  });

  it('third order through two createGraph rounds (d3/dx3 of x^3 = 6)', () => {
    const x = nd.array([0.5, 2]);
    x.attachGrad();
    const d2 = autograd.record(() => {
      const [d1] = autograd.grad(cube(x), [x], { createGraph: true });
      return autograd.grad(d1, [x], { createGraph: true })[0];
    });
    close(vals(d2), [3, 12]);
    d2.backward();
    close(vals(x.grad), [6, 6]);
  });

  it('differentiates with respect to several variables and intermediate results', () => {
    const a = nd.array([1, 2]);
    const b = nd.array([3, 4]);
    a.attachGrad();
    b.attachGrad();
    let ab: Arr;
    const y = autograd.record(() => {
      ab = nd.elemwise_mul(a, b);
      return nd.elemwise_mul(ab, ab);
    });
    const [ga, gb, gab] = autograd.grad(y, [a, b, ab], { retainGraph: true });
    close(vals(ga), [2 * 3 * 3 * 1, 2 * 4 * 4 * 2]);
    close(vals(gb), [2 * 1 * 1 * 3, 2 * 2 * 2 * 4]);
    close(vals(gab), [6, 16]);
  });
});

describe('markVariables and detach', () => {
  it('markVariables attaches caller-owned gradient buffers', () => {
    const x = nd.array([1, 2]);
    const gx = nd.zeros([2]);
    autograd.markVariables([x], [gx], 'add');
    autograd.record(() => nd.elemwise_mul(x, x)).backward();
    autograd.record(() => nd.elemwise_mul(x, x)).backward();
    close(vals(gx), [4, 8]);
    expect(x.grad).toBe(gx);
    expect(() => autograd.markVariables([x], [nd.zeros([3])])).toThrow(/shape/);
    expect(() => autograd.markVariables([x], [])).toThrow(/markVariables/);
  });

  it('detach cuts the history; stop_gradient blocks it inside a graph', () => {
    const x = nd.array([1, 2]);
    x.attachGrad();
    const y = autograd.record(() => nd.elemwise_mul(nd.elemwise_mul(x, x).detach(), x));
    y.backward();
    close(vals(x.grad), [1, 4]);
    for (const op of ['stop_gradient', 'BlockGrad']) {
      const z = autograd.record(() => nd.elemwise_mul((nd as any)[op](nd.elemwise_mul(x, x)), x));
      z.backward();
      close(vals(x.grad), [1, 4]);  // d/dx [c * x] with c = x*x held constant
      recordGradCheck(op);
    }
  });

  it('records copies (copyto) so the gradient flows back through them', () => {
    const x = nd.array([1, 2, 3]);
    x.attachGrad();
    const y = autograd.record(() => nd.elemwise_mul(x.copyto(mx.currentContext()), x));
    y.backward();
    close(vals(x.grad), [2, 4, 6]);
    const z = autograd.record(() => {
      const dst = nd.zeros([3]);
      x.copyto(dst);
      return nd.elemwise_mul(dst, dst);
    });
    z.backward();
    close(vals(x.grad), [2, 4, 6]);
    recordGradCheck('_copyto');
  });
});

describe('custom Functions', () => {
  class Sigmoid extends autograd.Function {
    forward(x: Arr): Arr {
      expect(autograd.isRecording()).toBe(false);
      const y = nd.sigmoid(x);
      this.saveForBackward(y);
      return y;
    }
    backward(dy: Arr): Arr {
      const [y] = this.savedTensors;
      return nd.elemwise_mul(dy, nd.elemwise_mul(y, nd._rminus_scalar(y, { scalar: 1 })));
    }
  }

  it('uses the hand-written backward inside a larger graph', () => {
    const x = nd.array([0, 1, -2]);
    x.attachGrad();
    const y = autograd.record(() => nd.elemwise_mul(new Sigmoid().call(x), x));
    y.backward();
    const s = [0, 1, -2].map((v) => 1 / (1 + Math.exp(-v)));
    close(vals(x.grad), s.map((v, i) => v * (1 - v) * [0, 1, -2][i]! + v));
  });

  it('supports several inputs and outputs, and null gradients', () => {
    class SplitMul extends autograd.Function {
      forward(a: Arr, b: Arr): Arr[] { return [nd.elemwise_mul(a, b), nd.elemwise_add(a, b)]; }
      backward(dp: Arr, ds: Arr): Arr[] { return [nd.elemwise_add(dp, ds), null]; }
    }
    const a = nd.array([1, 2]);
    const b = nd.array([3, 4]);
    a.attachGrad();
    b.attachGrad();
    const [p, s] = autograd.record(() => new SplitMul().call(a, b)) as Arr[];
    autograd.backward([p, s], [nd.array([1, 1]), nd.array([10, 10])]);
    close(vals(a.grad), [11, 11]);
    close(vals(b.grad), [0, 0]);
  });

  it('reports a throwing backward as an IsotensorError and keeps working', () => {
    class Broken extends autograd.Function {
      forward(x: Arr): Arr { return nd.elemwise_mul(x, x); }
      backward(): Arr { throw new Error('backward exploded'); }
    }
    class WrongShape extends autograd.Function {
      forward(x: Arr): Arr { return nd.elemwise_mul(x, x); }
      backward(): Arr { return nd.zeros([5]); }
    }
    const x = nd.array([1, 2]);
    x.attachGrad();
    expect(() => autograd.record(() => new Broken().call(x)).backward()).toThrow(/backward exploded/);
    expect(() => autograd.record(() => new WrongShape().call(x)).backward()).toThrow(/shape \(5,\)/);
    autograd.record(() => nd.elemwise_mul(x, x)).backward();
    close(vals(x.grad), [2, 4]);
  });
});

describe('errors and memory', () => {
  it('names the problem when a head is not recorded or a variable is not in the graph', () => {
    expect(() => nd.ones([2]).backward()).toThrow(/not part of a recorded graph/);
    const x = nd.array([1]);
    x.attachGrad();
    const y = autograd.record(() => nd.elemwise_mul(x, x));
    expect(() => autograd.grad(y, [nd.array([1])])).toThrow(/attachGrad/);
    expect(() => autograd.backward([y], [nd.ones([3])])).toThrow(/shape/);
    y.backward();
    close(vals(x.grad), [2]);
  });

  it('refuses what is not an NDArray as a head, head gradient or variable, and keeps working', () => {
    const x = nd.array([1, 2]);
    x.attachGrad();
    const y = autograd.record(() => nd.elemwise_mul(x, x));
    const notArray = {} as unknown as mx.NDArray;
    expect(() => autograd.backward([y], [notArray])).toThrow(/backward: headGrads\[0\] must be an NDArray or null, got object/);
    expect(() => autograd.backward([y, notArray])).toThrow(/backward: heads\[1\] must be an NDArray/);
    expect(() => autograd.grad([y], [notArray])).toThrow(/grad: variables\[0\] must be an NDArray/);
    expect(() => autograd.backward(y, 3 as unknown as mx.NDArray)).toThrow(/headGrads must be an NDArray or a list/);
    y.backward(nd.ones([2]));
    close(vals(x.grad), [2, 4]);
    const z = autograd.record(() => nd.elemwise_mul(x, x));
    expect(() => z.backward([1, 2] as unknown as mx.NDArray)).toThrow(/backward: headGrad must be an NDArray, null or an options object, got an array/);
    expect(() => z.backward({ retainGraph: true } as never, {})).toThrow(/headGrad must be an NDArray/);
    z.backward({ retainGraph: true });  // options first, as PyTorch's keyword call reads
    close(vals(x.grad), [2, 4]);
    z.backward();  // the graph was kept
    close(vals(x.grad), [2, 4]);
  });

  it('fails clearly on an op without a gradient and keeps working', () => {
    const x = nd.array([1, 2]);
    x.attachGrad();
    const y = autograd.record(() => nd.elemwise_mul(nd._shuffle(x), x));
    expect(() => y.backward()).toThrow(/_shuffle.*not differentiable/);
    const z = autograd.record(() => nd.elemwise_mul(x, x));
    z.backward();
    close(vals(x.grad), [2, 4]);
  });

  it('keeps memory flat over many recorded steps', () => {
    const w = nd.array([0.5, -0.5, 0.25]);
    w.attachGrad();
    const step = (): void => mx.scope(() => {
      const y = autograd.record(() => nd.add_n(cube(w), nd.elemwise_mul(w, w)));
      y.backward();
    });
    for (let i = 0; i < 50; i++) step();
    mx.waitAll();
    const before = mx.memoryInfo();
    for (let i = 0; i < 1000; i++) step();
    mx.waitAll();
    const after = mx.memoryInfo();
    expect(after.liveArrays).toBeLessThanOrEqual(before.liveArrays);
    expect(after.liveBytes).toBeLessThanOrEqual(before.liveBytes);
    close(vals(w.grad), [3 * 0.25 + 1, 3 * 0.25 - 1, 3 * 0.0625 + 0.5]);
  });
});

describe('zero gradients of piecewise-constant ops agree with finite differences', () => {
  const f64 = (data: number[], shape?: number[]): Arr => nd.array(data, { shape: shape ?? [data.length], dtype: 'float64' });
  it('argsort', () => checkGrad('argsort', [f64([0.3, -1.2, 2.5, 0.9])], {}));
  // Indices are truncated to integers: keep the probes away from the jumps.
  it('one_hot', () => checkGrad('one_hot', [f64([1.25, 0.25, 2.25])], { depth: 3 }));
  it('shape_array', () => checkGrad('shape_array', [f64([1, 2, 3, 4], [2, 2])], {}));
  it('size_array', () => checkGrad('size_array', [f64([1, 2, 3, 4], [2, 2])], {}));
  it('ravel_multi_index', () => checkGrad('ravel_multi_index', [f64([3.25, 6.25, 6.25, 4.25, 5.25, 1.25], [2, 3])], { shape: [7, 6] }));
  it('unravel_index', () => checkGrad('unravel_index', [f64([22.25, 41.25, 37.25])], { shape: [7, 6] }));
});
