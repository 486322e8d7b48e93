// A Cloudflare-Workers-style digit classifier on isotensor's inference entry: POST /predict, GET / for runtime info.
// SPDX-License-Identifier: Apache-2.0
//
// The model (an MXNet symbol JSON and its params file) is bundled with the worker as a text and a data module,
// so nothing is fetched at run time. isotensor's `workerd` build imports its single-thread wasm as a compiled
// WebAssembly.Module (Workers may not compile wasm from bytes) and configures itself at import.
//
//   POST /predict  {"pixels": [64 numbers 0..16]}  or  {"pixels": [[64], [64], ...]}   (UCI 8x8 digits)
//     → {"classes": [3], "probabilities": [[...10]]}
//   GET /          → {"runtime": mx.runtimeInfo(), "model": {"arguments": [...], "outputs": [...]}}
// (No timings in the answers: Workers freeze performance.now() while JS runs, so they would read 0.)
import * as mx from 'isotensor/infer';
import symbolJson from './model/digits-mlp-symbol.json';
import paramsBuffer from './model/digits-mlp-0000.params';

const FEATURES = 64;
const PIXEL_SCALE = 16;  // the network was trained on pixels / 16
const MAX_BATCH = 256;

/** The loaded model, created once per isolate on the first request (Workers forbid async work at import). */
let model = null;

async function loadModel() {
  await mx.ready();
  const net = mx.sym.fromJSON(symbolJson);
  const params = {};
  for (const [key, arr] of Object.entries(mx.nd.deserialize(new Uint8Array(paramsBuffer)))) {
    params[key.replace(/^arg:/, '')] = arr;
  }
  return { net, params, executors: new Map() };
}

function getModel() {
  model ??= loadModel().catch((e) => {
    model = null;  // let the next request try again
    throw e;
  });
  return model;
}

class BadRequest extends Error {}

/** The request's pixels as rows of 64 numbers, validated. */
function rowsOf(body) {
  const pixels = body?.pixels;
  if (!Array.isArray(pixels) || pixels.length === 0) throw new BadRequest('expected {"pixels": [...64 numbers] or [[...64], ...]}');
  const rows = typeof pixels[0] === 'number' ? [pixels] : pixels;
  if (rows.length > MAX_BATCH) throw new BadRequest(`at most ${MAX_BATCH} digits per request`);
  rows.forEach((r, i) => {
    if (!Array.isArray(r) || r.length !== FEATURES || !r.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new BadRequest(`pixels[${i}]: expected ${FEATURES} finite numbers (an 8x8 digit, values 0..16)`);
    }
  });
  return rows;
}

// Binding costs about ten times a forward pass of this small net, so each batch size is bound once and kept
// (the most recently used few).
const MAX_EXECUTORS = 8;

function executorFor({ net, params, executors }, n) {
  let exe = executors.get(n);
  if (exe !== undefined) {
    executors.delete(n);  // re-inserted below: the Map's order is the use order
  } else {
    exe = net.simpleBind(mx.cpu(), { data: [n, FEATURES] });
    exe.copyParamsFrom(params);
    if (executors.size >= MAX_EXECUTORS) {
      const [oldest, old] = executors.entries().next().value;
      executors.delete(oldest);
      old.dispose();
    }
  }
  executors.set(n, exe);
  return exe;
}

/** Softmax probabilities (n x 10) of the rows, and the most likely classes. */
function predict(m, rows) {
  const exe = executorFor(m, rows.length);
  const data = Float32Array.from(rows.flat(), (v) => v / PIXEL_SCALE);
  // mx.scope frees the request's temporaries (softmax, argmax) when it returns.
  return mx.scope(() => {
    const probs = mx.nd.softmax(exe.forward({ data })[0]);
    const p = probs.dataSync(), classes = Array.from(mx.nd.argmax(probs, { axis: 1 }).dataSync());
    const k = p.length / rows.length;
    return { classes, probabilities: rows.map((_, i) => Array.from(p.subarray(i * k, (i + 1) * k))) };
  });
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    try {
      const m = await getModel();
      if (url.pathname === '/' && request.method === 'GET') {
        return Response.json({
          runtime: mx.runtimeInfo(),
          model: { arguments: m.net.listArguments(), outputs: m.net.listOutputs() },
        });
      }
      if (url.pathname === '/predict' && request.method === 'POST') {
        let body;
        try {
          body = await request.json();
        } catch {
          throw new BadRequest('the body is not JSON');
        }
        return Response.json(predict(m, rowsOf(body)));
      }
      return Response.json({ error: `no route ${request.method} ${url.pathname} (GET /, POST /predict)` }, { status: 404 });
    } catch (e) {
      const status = e instanceof BadRequest ? 400 : 500;
      return Response.json({ error: e instanceof Error ? e.message : String(e) }, { status });
    }
  },
};
