// Shared spec helpers: which backend this run uses, and the device the GPU-flavoured examples get.
import * as mx from 'isotensor';

/** 'native', 'wasm-threads' or 'wasm-single', printed once per spec file. */
export function backendName(): string {
  const info = mx.runtimeInfo();
  return info.backend === 'wasm' ? `wasm-${info.wasmFlavour}` : info.backend;
}

/** The default context the specs expect: 'cpu(0)', or ISOTENSOR_TEST_CONTEXT when the suite runs on a GPU. */
export function here(): string {
  return process.env.ISOTENSOR_TEST_CONTEXT ?? 'cpu(0)';
}

/** Logs the backend of this run (call in beforeAll after mx.ready()). */
export function announceBackend(spec: string): void {
  const info = mx.runtimeInfo();
  console.log(`${spec}: backend ${backendName()}, engine ${info.engine}, ${info.threads} thread(s), ` +
              `${mx.numGpus()} GPU(s)`);
}

/**
 * The context a seed example meant as `mx.gpu(id)`: that GPU when present (else the last one),
 * or cpu(0) with the reason printed when this run has no GPU.
 */
export function gpuOrCpu(id = 0, what = 'this example'): mx.Context {
  const n = mx.numGpus();
  if (n > id) return mx.gpu(id);
  if (n > 0) {
    console.log(`${what}: gpu(${id}) does not exist (${n} GPU(s)); using gpu(${n - 1})`);
    return mx.gpu(n - 1);
  }
  console.log(`${what}: no GPU in this run (backend ${backendName()}); running on cpu(0) instead, ` +
              'GPU-specific assertions skipped');
  return mx.cpu(0);
}
