// The trained LeNet in the browser: fetched symbol JSON + .params bytes made into a Gluon SymbolBlock, and a non-blocking classify.
// SPDX-License-Identifier: Apache-2.0

async function fetchOk(url) {
  const r = await fetch(url);
  if (!r.ok) {
    throw new Error(`GET ${url}: ${r.status} ${r.statusText}` +
      (r.status === 404 ? ' (no trained model there: run `make demo`, or serve.mjs --model DIR)' : ''));
  }
  return r;
}

/**
 * Loads `prefix-symbol.json` and `prefix-0000.params` (what HybridBlock.export and `make demo`
 * write) over HTTP, with SymbolBlock.importsAsync (imports' twin that takes text and bytes).
 */
export async function loadLenet(mx, prefix) {
  const [json, bytes] = await Promise.all([
    fetchOk(`${prefix}-symbol.json`).then((r) => r.text()),
    fetchOk(`${prefix}-0000.params`).then((r) => r.arrayBuffer()),
  ]);
  const net = await mx.gluon.SymbolBlock.importsAsync(json, 'data', bytes, mx.cpu());
  // Inference only: no gradient buffers.
  for (const p of net.collectParams().values()) p.gradReq = 'null';
  return net;
}

/**
 * The ten class probabilities of one 28x28 input. Reads the result with data(), which awaits the
 * engine instead of blocking: on a browser main thread with the threads flavour, dataSync() throws.
 */
export async function classify(mx, net, pixels) {
  const probs = mx.scope(() => mx.nd.softmax(net.forward(mx.nd.array(pixels, { shape: [1, 1, 28, 28] }))));
  try {
    return Array.from(await probs.data());
  } finally {
    probs.dispose();
  }
}
