// The NumPy-gotchas notebook (../shared/seeds/numpy-gotchas-notebook.md), translated: each behaviour
// it shows is pinned here. Where MXNet and NumPy differ we follow MXNet (noted per test).
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';

const { nd, autograd } = mx;
type Arr = any;
const vals = (x: Arr): number[] => Array.from(x.dataSync() as ArrayLike<number>, Number);

beforeAll(async () => {
  await mx.ready();
  announceBackend('seed-numpy-gotchas');
});

describe('asynchronous, non-blocking execution', () => {
  it('c = a * b returns at once; reading c waits for it', async () => {
    const a = nd.random.uniform({ shape: [256, 256] });
    const b = nd.random.uniform({ shape: [256, 256] });
    const c = nd.dot(a, b).mul(2);  // pushed to the engine
    expect(c.shape).toEqual([256, 256]);  // shape inference ran eagerly; values may still be pending
    await c.ready();  // non-blocking twin of wait_to_read
    const direct = vals(nd.dot(a, b));
    const got = vals(c);  // .asnumpy(): blocks until the engine is done
    expect(got[0]).toBeCloseTo(2 * direct[0]!, 3);
    c.waitToRead();
    mx.waitAll();
  });
});

describe('NumPy operators vs NDArray operators', () => {
  it('full_like can be composed from ones * fill_value (and nd.fullLike exists)', () => {
    const npY = [10, 10, 10, 10, 10, 10];  // np.full_like(np.arange(6, dtype=int), 10)
    expect(vals(nd.ones([6]).mul(10))).toEqual(npY);
    expect(vals(nd.fullLike(nd.arange(0, 6, 1, { dtype: 'int32' }), 10))).toEqual(npY);
    expect(nd.fullLike(nd.arange(0, 6, 1, { dtype: 'int32' }), 10).dtype).toBe('int32');
  });

  it('ravel_multi_index is the counterpart of np.ravel_multi_index (indices as rows)', () => {
    // np.ravel_multi_index([[3, 6, 6], [4, 5, 1]], (7, 6)) == [22, 41, 37]
    const r = nd.ravel_multi_index(nd.array([[3, 6, 6], [4, 5, 1]]), { shape: [7, 6] });
    expect(vals(r)).toEqual([22, 41, 37]);
  });

  it('split takes a number of sections, not indices as np.split does', () => {
    const x = nd.arange(0, 6);
    const parts = nd.split(x, { numOutputs: 3, axis: 0 }) as Arr[];
    expect(parts.map(vals)).toEqual([[0, 1], [2, 3], [4, 5]]);
  });

  it("the notebook's pad_array (4-D constant padding) works, and pad also takes other ranks", () => {
    const padArray = (data: Arr, maxLength: number): Arr => {
      const expanded = data.reshape(1, 1, 1, data.shape[0]);
      const padded = nd.pad(expanded, { mode: 'constant', padWidth: [0, 0, 0, 0, 0, 0, 0, maxLength - data.shape[0]],
                                        constantValue: 0 });
      return padded.reshape(maxLength);
    };
    expect(vals(padArray(nd.array([1, 2, 3]), 10))).toEqual([1, 2, 3, 0, 0, 0, 0, 0, 0, 0]);
    // MXNet 1.x restricts pad to 4-D/5-D; isotensor pads any rank (a superset, see docs).
    expect(vals(nd.pad(nd.array([1, 2, 3]), { mode: 'constant', padWidth: [1, 2], constantValue: 9 })))
      .toEqual([9, 1, 2, 3, 9, 9]);
  });

  it('diag exists', () => {
    expect(vals(nd.diag(nd.array([[1, 2], [3, 4]])))).toEqual([1, 4]);
    expect(vals(nd.diag(nd.array([5, 6])))).toEqual([5, 0, 0, 6]);
  });
});

describe('minimising the impact of blocking calls', () => {
  it("the notebook's LossBuffer: print the previous step's loss while the next one runs", () => {
    class LossBuffer {
      private _loss: Arr = null;
      newLoss(loss: Arr): Arr {
        const ret = this._loss;
        this._loss = loss;
        return ret;
      }
      get loss(): Arr { return this._loss; }
    }
    // net = gluon.nn.Dense(10); ce = SoftmaxCELoss(); plain SGD (Gluon itself is issue 5's).
    const w = nd.random.normal({ scale: 0.01, shape: [10, 100] });
    const b = nd.zeros([10]);
    w.attachGrad();
    b.attachGrad();
    const data = nd.random.uniform({ shape: [1024, 100] });
    const label = nd.random.randint({ low: 0, high: 10, shape: [1024] }).astype('float32');
    const buffer = new LossBuffer();
    const printed: number[] = [];
    for (let i = 0; i < 1024; i += 128) {
      const x = data.slice(i, i + 128);
      const y = label.slice(i, i + 128);
      const prevLoss = autograd.record(() => {
        const out = nd.FullyConnected(x, w, b, { numHidden: 10 });
        const ce = nd.negative(nd.pick(nd.log_softmax(out), y, { axis: -1 }));
        return buffer.newLoss(ce);
      });
      buffer.loss.backward();
      for (const p of [w, b]) p.set(p.sub(p.grad.mul(0.1 / 128)));
      if (prevLoss !== null) printed.push(prevLoss.mean().asScalar());
    }
    expect(printed.length).toBe(7);
    printed.forEach((l) => expect(l).toBeGreaterThan(1.5));  // ~ln(10) for random labels
    printed.forEach((l) => expect(l).toBeLessThan(3));
  });
});
