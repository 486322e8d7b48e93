// mx.memoryInfo after a full garbage collection and the finalizers it triggers: the memory-flat checks measure this.
//
// Spec files share worker processes (vitest.config.ts), so arrays an earlier spec left to the garbage
// collector can be freed in the middle of a later spec's measurement unless the collection comes first.
import v8 from 'node:v8';
import vm from 'node:vm';
import * as mx from 'isotensor';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const tick = () => new Promise((r) => setImmediate(r));

/** Collects garbage three times (finalizers run between), waits for the engine, then reads mx.memoryInfo(ctx). */
export async function settledMemory(ctx?: mx.Context): Promise<mx.MemoryInfo> {
  for (let i = 0; i < 3; i++) {
    gc();
    await tick();
  }
  mx.waitAll();
  return ctx === undefined ? mx.memoryInfo() : mx.memoryInfo(ctx);
}
