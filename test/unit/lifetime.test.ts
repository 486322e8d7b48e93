// Array lifetime: dispose, mx.scope/mx.keep, memoryInfo staying flat over long create/dispose loops.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';

const { nd } = mx;
beforeAll(async () => {
  await mx.ready();
  announceBackend('lifetime');
});

function settled(): mx.MemoryInfo {
  mx.waitAll(); // frees are engine ops: let them run
  return mx.memoryInfo();
}

describe('dispose', () => {
  it('frees an array once and rejects any later use', () => {
    const x = nd.ones([4]);
    expect(x.isDisposed).toBe(false);
    x.dispose();
    expect(x.isDisposed).toBe(true);
    x.dispose(); // idempotent
    expect(() => x.add(1)).toThrow(mx.IsotensorError);
    expect(() => x.add(1)).toThrow('NDArray has been disposed');
    expect(() => x.dataSync()).toThrow('NDArray has been disposed');
    expect(() => x.shape).toThrow('NDArray has been disposed');
    expect(() => nd.ones([4]).add(x)).toThrow('NDArray has been disposed');
    expect(() => nd.ones([4]).copyto(x)).toThrow('NDArray has been disposed');
  });

  it('supports Symbol.dispose (for `using`)', () => {
    const x = nd.ones([4]);
    x[Symbol.dispose]();
    expect(x.isDisposed).toBe(true);
  });

  it('lets pending ops finish before the memory goes', () => {
    const x = nd.ones([1 << 16]);
    const y = x.mul(3);
    x.dispose(); // pushed after the read of x by mul
    expect(y.dataSync()[100]).toBe(3);
  });
});

describe('memory stays flat', () => {
  it('over 100,000 create/dispose iterations', () => {
    const before = settled();
    for (let i = 0; i < 100_000; i++) {
      const x = nd.ones([64]);
      x.dispose();
    }
    const after = settled();
    expect(after.liveBytes).toBeLessThanOrEqual(before.liveBytes);
    expect(after.liveArrays).toBeLessThanOrEqual(before.liveArrays);
    expect(after.peakBytes - before.peakBytes).toBeLessThan(1 << 20);
  }, 120_000);

  it('over an mx.scope loop', () => {
    const before = settled();
    let total = nd.zeros([32]);
    for (let i = 0; i < 10_000; i++) {
      const next = mx.scope(() => total.add(nd.ones([32]).mul(2)).relu());
      total.dispose();
      total = next;
    }
    expect(total.dataSync()[0]).toBe(20_000);
    total.dispose();
    const after = settled();
    expect(after.liveBytes).toBeLessThanOrEqual(before.liveBytes);
    expect(after.liveArrays).toBeLessThanOrEqual(before.liveArrays);
  }, 120_000);
});

describe('a heap past 2 GiB', () => {
  // The WebAssembly heap may grow to 4 GiB; pointers above 2^31 reach JS as negative i32s, and the
  // threads glue's exception refcounts used a signed index there (wasm/patch_glue.mjs). On the
  // native backend this is just a large allocation.
  it('errors, byte loads and host copies still work with 2.4 GB live', () => {
    const big = [0, 1, 2].map(() => nd.empty([200_000_000]));  // 3 x 800 MB, never written
    try {
      expect(() => nd.ones([2, 3]).add(nd.ones([4, 5]))).toThrow(/broadcast_add.*\(2,3\).*\(4,5\)/);
      const bytes = nd.serialize({ w: nd.array([1, 2, 3]) });
      const back = nd.deserialize(bytes) as Record<string, mx.NDArray>;
      expect(Array.from(back['w']!.dataSync())).toEqual([1, 2, 3]);
      const x = nd.array(Float32Array.from({ length: 70_000 }, (_, i) => i));  // a host copy larger than the scratch area
      const twice = x.mul(2).dataSync();
      expect([twice[0], twice[12_345], twice[69_999]]).toEqual([0, 24_690, 139_998]);
    } finally {
      for (const b of big) b.dispose();
      mx.waitAll();
      mx.memoryRelease();
    }
  });
});

describe('mx.scope and mx.keep', () => {
  it('disposes temporaries and keeps what fn returns (also nested in arrays and objects)', () => {
    let tmp: mx.NDArray | null = null;
    const r = mx.scope(() => {
      tmp = nd.ones([2]);
      const a = tmp.add(1);
      const b = tmp.mul(3);
      return { sum: a, list: [b] };
    });
    expect(tmp!.isDisposed).toBe(true);
    expect(Array.from(r.sum.dataSync())).toEqual([2, 2]);
    expect(Array.from(r.list[0]!.dataSync())).toEqual([3, 3]);
  });

  it('leaves keep()ed arrays alone and hands returned arrays to the enclosing scope', () => {
    let kept: mx.NDArray | null = null;
    let inner: mx.NDArray | null = null;
    mx.scope(() => {
      inner = mx.scope(() => {
        kept = mx.keep(nd.ones([1]));
        return nd.zeros([1]);
      });
      expect(inner.isDisposed).toBe(false); // returned from the inner scope
    });
    expect(inner!.isDisposed).toBe(true); // not returned from the outer one
    expect(kept!.isDisposed).toBe(false);
    kept!.dispose();
  });

  it('disposes temporaries when fn throws, and refuses async fns', () => {
    let tmp: mx.NDArray | null = null;
    expect(() => mx.scope(() => {
      tmp = nd.ones([2]);
      throw new Error('boom');
    })).toThrow('boom');
    expect(tmp!.isDisposed).toBe(true);
    expect(() => mx.scope(async () => nd.ones([1]))).toThrow(/synchronous/);
  });

  it('counts and frees arrays made faster than the finalizer is armed (batches of 256)', async () => {
    const n0 = mx.memoryInfo().liveArrays;
    const bytes0 = mx.memoryInfo().liveBytes;
    const xs = Array.from({ length: 600 }, (_, i) => nd.full([4], i));
    expect(mx.memoryInfo().liveArrays).toBe(n0 + 600);
    for (let i = 0; i < 600; i += 2) xs[i]!.dispose();  // half before the finalizer is armed for the rest
    await Promise.resolve();
    expect(mx.memoryInfo().liveArrays).toBe(n0 + 300);
    expect(Array.from(xs[599]!.dataSync() as Float32Array)).toEqual([599, 599, 599, 599]);
    for (let i = 1; i < 600; i += 2) xs[i]!.dispose();
    for (const x of xs) x.dispose();  // twice is a no-op
    expect(mx.memoryInfo().liveArrays).toBe(n0);
    mx.waitAll();
    expect(mx.memoryInfo().liveBytes).toBe(bytes0);
  });

  it('counts live NDArray objects in memoryInfo().liveArrays', () => {
    const n0 = mx.memoryInfo().liveArrays;
    const xs = [nd.ones([1]), nd.ones([2]), nd.ones([3])];
    expect(mx.memoryInfo().liveArrays).toBe(n0 + 3);
    for (const x of xs) x.dispose();
    expect(mx.memoryInfo().liveArrays).toBe(n0);
  });
});
