// The digit demo page: draw on the pad, LeNet (trained by `make demo`) classifies it in the browser with isotensor.
// SPDX-License-Identifier: Apache-2.0
// 'isotensor' is resolved by the import map in index.html: the one place that names the bundle.
import * as mx from 'isotensor';
import { probabilityChart } from './chart.mjs';
import { classify, loadLenet } from './lenet.mjs';
import { mnistInput } from './mnist-frame.mjs';
import { drawingPad } from './pad.mjs';

// ?model=URL-PREFIX picks another model; serve.mjs serves its --model DIR at /model/.
const MODEL = new URLSearchParams(location.search).get('model') ?? '/model/lenet';

const $ = (id) => document.getElementById(id);
const status = (text, kind = '') => {
  $('status').textContent = text;
  $('status').className = kind;
};
const showChart = probabilityChart($('bars'));
const result = $('result');

/** Draws the 28x28 input on the small preview canvas, as the network sees it (light on black). */
function preview(pixels) {
  const g = $('seen').getContext('2d');
  const img = g.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round(255 * (pixels?.[i] ?? 0));
    img.data.set([v, v, v, 255], 4 * i);
  }
  g.putImageData(img, 0, 0);
}

/** Puts a result on screen and tags it with the drawing it belongs to. */
function show(version, probs, ms) {
  const top = showChart(probs);
  $('answer').textContent = top < 0 ? '?' : String(top);
  $('confidence').textContent = top < 0 ? 'draw a digit' : `${(100 * probs[top]).toFixed(1)} % sure · ${ms.toFixed(1)} ms`;
  result.dataset.version = String(version);
}

async function main() {
  const t0 = performance.now();
  await mx.ready();
  const info = mx.runtimeInfo();
  const footer = $('runtime');
  footer.dataset.flavour = info.wasmFlavour ?? info.backend;
  footer.textContent = `isotensor on ${info.backend}${info.wasmFlavour ? ` (${info.wasmFlavour} flavour)` : ''} · ` +
    `${info.threads} thread${info.threads === 1 ? '' : 's'} · crossOriginIsolated: ${globalThis.crossOriginIsolated === true}`;
  const net = await loadLenet(mx, MODEL);
  status(`model ${MODEL} ready in ${Math.round(performance.now() - t0)} ms`);

  // One classification at a time; a drawing that changes meanwhile is classified once the current one is done.
  let busy = false, again = false;
  const pad = drawingPad($('pad'), { onInk: () => run() });
  async function run() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      do {
        again = false;
        const version = pad.version;
        const pixels = mnistInput(pad.pixels());
        preview(pixels);
        if (pixels === null) { show(version, null, 0); continue; }
        const t = performance.now();
        const probs = await classify(mx, net, pixels);
        show(version, probs, performance.now() - t);
      } while (again);
    } catch (e) {
      fail(e);
    } finally {
      busy = false;
    }
  }
  $('clear').addEventListener('click', () => pad.clear());
  $('clear').disabled = false;
  show(pad.version, null, 0);
  document.body.dataset.state = 'ready';
}

function fail(e) {
  console.error(e);
  status(String(e?.message ?? e), 'error');
  $('confidence').textContent = 'not available';
  document.body.dataset.state = 'error';
}

main().catch(fail);
