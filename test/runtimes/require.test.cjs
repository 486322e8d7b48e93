// CommonJS consumers of the installed package: require('isotensor') and require('isotensor/infer') work in Node.
// SPDX-License-Identifier: Apache-2.0
// run.mjs copies this file next to the tarball's install, like smoke.test.mjs.
const assert = require('node:assert/strict');
const { test } = require('node:test');

test("require('isotensor') gives the full API on the WebAssembly backend", async () => {
  const mx = require('isotensor');
  await mx.ready();
  assert.equal(mx.runtimeInfo().backend, 'wasm');
  assert.deepEqual(Array.from(mx.nd.dot(mx.nd.array([[1, 2]]), mx.nd.array([[3], [4]])).dataSync()), [11]);
  assert.equal(typeof mx.gluon.nn.Dense, 'function');
});

test("require('isotensor/infer') gives the inference API without Gluon", async () => {
  const infer = require('isotensor/infer');
  await infer.ready();
  assert.deepEqual(Array.from(infer.nd.array([1, 2, 3]).mul(2).dataSync()), [2, 4, 6]);
  assert.equal(typeof infer.sym.fromJSON, 'function');
  assert.equal(infer.gluon, undefined);
});
