// Post-link fix of emscripten 3.1.6's pthread glue: exception refcounts above 2 GiB of heap.
// SPDX-License-Identifier: Apache-2.0
//
//   node wasm/patch_glue.mjs wasm/dist/isotensor-threads.mjs     (the Makefile runs it after linking)
//
// The glue's ExceptionInfo.add_ref/release_ref index HEAP32 with a signed shift (`ptr>>2`) inside
// Atomics.add/sub, while every other access uses `>>>2`. With MAXIMUM_MEMORY=4GB a C++ exception
// thrown once the heap has passed 2 GiB has a pointer above 2^31, the signed index goes negative and
// Atomics throws "Invalid atomic access index" out of the core. This rewrites exactly those two
// shifts and fails loudly if the glue no longer has them (a new emscripten: check it and drop this).
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.argv[2];
const src = readFileSync(file, 'utf8');
const bad = /Atomics\.(add|sub)\(GROWABLE_HEAP_I32\(\),this\.ptr\+0>>2,1\)/g;
const good = /Atomics\.(add|sub)\(GROWABLE_HEAP_I32\(\),this\.ptr\+0>>>2,1\)/g;
const found = src.match(bad)?.length ?? 0;
if (found === 0 && (src.match(good)?.length ?? 0) === 2) process.exit(0); // already patched
if (found !== 2) {
  console.error(`patch_glue: expected the 2 signed refcount shifts of emscripten 3.1.6 in ${file}, found ${found}`);
  process.exit(1);
}
writeFileSync(file, src.replace(bad, (m) => m.replace('>>2', '>>>2')));
