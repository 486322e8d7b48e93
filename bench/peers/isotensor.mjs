// The isotensor columns: the built bundle dist/index.mjs on one backend (wasm threads|single, or native).

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SkipError } from '../lib/skip.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));

export const kind = 'isotensor';

/** @param {{backend: 'wasm'|'native', flavour?: 'threads'|'single'}} opts */
export async function load({ backend = 'wasm', flavour = 'threads' } = {}) {
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
  const version = JSON.parse(readFileSync(`${root}package.json`, 'utf8')).version;
  return {
    lib: { mx },
    info: { name: 'isotensor', version, backend, flavour: backend === 'wasm' ? flavour : undefined,
      runtime: mx.runtimeInfo() },
  };
}
