// The isotensor columns: the built bundle dist/index.mjs on one backend (wasm threads|single, or native),
// with every array on one device: cpu, or gpu(0) for the iso-gpu column (native addon built with CUDA).
// The workloads get that context as `lib.ctx` and end each timed call with bench/lib/sync.mjs.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SkipError } from '../lib/skip.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));

export const kind = 'isotensor';

/** @param {{backend: 'wasm'|'native', flavour?: 'threads'|'single', device?: 'cpu'|'gpu'}} opts */
export async function load({ backend = 'wasm', flavour = 'threads', device = 'cpu' } = {}) {
  if (device !== 'cpu' && device !== 'gpu') throw new Error(`--device ${device}: expected cpu or gpu`);
  if (device === 'gpu' && backend !== 'native') throw new SkipError('the gpu column needs --backend native');
  const bundle = `${root}dist/index.mjs`;
  if (!existsSync(bundle)) throw new SkipError('dist/index.mjs missing (run `make` first)');
  if (backend === 'native' && !existsSync(`${root}bindings/build/isotensor.node`)) {
    throw new SkipError('bindings/build/isotensor.node missing (native addon not built)');
  }
  // The bundle reads these at load time too (as the test runner does); setBackend is the public switch.
  process.env.ISOTENSOR_BACKEND = backend;
  if (backend === 'wasm') process.env.ISOTENSOR_WASM_FLAVOUR = flavour;
  const mx = await import(bundle);
  await mx.setBackend(backend);
  await mx.ready();
  const runtime = mx.runtimeInfo();
  if (device === 'gpu' && !(mx.numGpus() > 0)) {
    throw new SkipError(`no GPU visible (mx.numGpus() = ${mx.numGpus()}; addon built with CUDA: ${runtime.cuda})`);
  }
  const ctx = device === 'gpu' ? mx.gpu(0) : mx.cpu();
  const version = JSON.parse(readFileSync(`${root}package.json`, 'utf8')).version;
  return {
    lib: { mx, ctx },
    info: { name: 'isotensor', version, backend, flavour: backend === 'wasm' ? flavour : undefined,
      ctx: ctx.toString(), runtime },
  };
}
