// The browser runtime: mx.ready() alone picks threads exactly when the realm is cross-origin isolated, and computes.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';

const { nd } = mx;
const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;

beforeAll(async () => {
  await mx.ready();
});

describe('runtime in a browser', () => {
  it('runs on the WebAssembly backend', () => {
    expect(mx.runtimeInfo().backend).toBe('wasm');
    expect(mx.runtimeInfo().nativeUnavailable).not.toBe('');
  });

  it('picks the threads flavour when cross-origin isolated, the single one otherwise', () => {
    expect(typeof isolated).toBe('boolean');
    expect(typeof SharedArrayBuffer === 'function').toBe(isolated);
    expect(mx.runtimeInfo().wasmFlavour).toBe(isolated ? 'threads' : 'single');
  });

  it('computes a matrix product and a reduction, read asynchronously', async () => {
    const a = nd.arange(0, 6).reshape([2, 3]);
    const b = nd.arange(0, 12).reshape([3, 4]);
    const c = nd.dot(a, b);
    expect(c.shape).toEqual([2, 4]);
    expect(Array.from(await c.data())).toEqual([20, 23, 26, 29, 56, 68, 80, 92]);
    expect(await nd.sum(c).scalar()).toBe(394);
  });

  it('runs a long chain of dependent ops in order', async () => {
    const x = nd.zeros([1024]);
    for (let i = 0; i < 200; ++i) x.iadd(1);
    const d = await x.data();
    expect(d[0]).toBe(200);
    expect(d[1023]).toBe(200);
  });
});
