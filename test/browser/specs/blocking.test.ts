// Blocking reads in a browser: on a main thread with the threads flavour they throw an IsotensorError naming the async
// twin (the main thread must never wait on the engine); in a worker, or with the single flavour, they work.
import { describe, expect, it } from 'vitest';
import * as mx from 'isotensor';

const { nd } = mx;

await mx.ready();  // which behaviour applies depends on the flavour picked here
const mainThread = typeof (globalThis as { document?: unknown }).document !== 'undefined';
const cannotBlock = mainThread && mx.runtimeInfo().wasmFlavour === 'threads';

// A value with pending engine work behind it, so a blocking read would really have to wait.
function pending(): mx.NDArray {
  const x = nd.ones([64, 64]);
  return nd.sum(nd.dot(x, x));  // every element of dot is 64; the sum is 64^3
}
const total = 64 ** 3;

const blockingCalls: Array<{ call: string; twin: string; run: (x: mx.NDArray) => unknown }> = [
  { call: 'x.dataSync()', twin: 'data()', run: (x) => x.dataSync() },
  { call: 'x.asScalar()', twin: 'scalar()', run: (x) => x.asScalar() },
  { call: 'x.waitToRead()', twin: 'ready()', run: (x) => x.waitToRead() },
  { call: 'mx.waitAll()', twin: 'mx.waitAllAsync()', run: () => mx.waitAll() },
];

describe(cannotBlock ? 'blocking calls on the main thread (threads flavour)' : 'blocking calls where blocking is allowed', () => {
  if (cannotBlock) {
    for (const { call, twin, run } of blockingCalls) {
      it(`${call} throws an IsotensorError naming ${twin}`, () => {
        let err: unknown = null;
        try {
          run(pending());
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(mx.IsotensorError);
        expect(err).toBeInstanceOf(Error);
        expect((err as Error).message).toContain(twin);
        expect((err as Error).message).toContain(call.replace(/^x\./, ''));
      });
    }
  } else {
    it('x.dataSync(), x.asScalar(), x.waitToRead() and mx.waitAll() work', () => {
      const x = pending();
      expect(x.waitToRead()).toBe(x);
      expect(Array.from(x.dataSync())).toEqual([total]);
      expect(x.asScalar()).toBe(total);
      const y = pending();
      mx.waitAll();
      expect(y.asScalar()).toBe(total);
    });
  }

  it('the async twins data(), scalar(), ready() and mx.waitAllAsync() work', async () => {
    const x = pending();
    expect(await x.ready()).toBe(x);
    expect(Array.from(await x.data())).toEqual([total]);
    expect(await x.scalar()).toBe(total);
    const y = pending();
    await mx.waitAllAsync();
    expect(await y.scalar()).toBe(total);
  });

  it('keeps working after a refused blocking call', async () => {
    try {
      pending().dataSync();
    } catch (e) {
      expect(cannotBlock).toBe(true);
      expect(e).toBeInstanceOf(mx.IsotensorError);
    }
    const z = nd.add(nd.ones([3]), 2);
    expect(Array.from(await z.data())).toEqual([3, 3, 3]);
  });
});
