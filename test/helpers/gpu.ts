// The GPU specs' gate: a test body runs on gpu(0) when a CUDA device is visible, and otherwise the
// test is skipped with the printed reason (wasm backend, an addon built without CUDA, no device).
import { it } from 'vitest';
import * as mx from 'isotensor';
import { backendName } from './backend';

/** Why gpu(0) cannot run here, or '' when it can (call after mx.ready()). */
export function noGpuReason(minGpus = 1): string {
  const info = mx.runtimeInfo();
  if (info.backend === 'wasm') return `backend ${backendName()} has no GPU contexts`;
  if (!info.cuda) return 'the native addon was built without CUDA (no nvcc at build time)';
  const n = mx.numGpus();
  if (n === 0) return 'no CUDA device is visible on this machine';
  return n < minGpus ? `this machine has ${n} GPU(s), the test needs ${minGpus}` : '';
}

/**
 * Declares a test whose body runs with gpu(0) (and the visible GPUs, for multi-GPU tests); without
 * enough devices it logs the reason once and is skipped, so nothing passes off as tested.
 */
export function onGpu(name: string, body: (g: mx.Context, all: mx.Context[]) => void | Promise<void>,
                      { timeout, minGpus = 1 }: { timeout?: number; minGpus?: number } = {}): void {
  it(name, async (ctx) => {
    const why = noGpuReason(minGpus);
    if (why) {
      console.log(`gpu: skipped "${name}": ${why}`);
      ctx.skip();
      return;
    }
    await body(mx.gpu(0), Array.from({ length: mx.numGpus() }, (_, i) => mx.gpu(i)));
  }, timeout);
}
