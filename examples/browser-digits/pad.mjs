// The drawing pad: a canvas that takes thick round strokes from a mouse, pen or finger (pointer events).
// SPDX-License-Identifier: Apache-2.0

/**
 * Makes `canvas` drawable. Ink goes into the canvas's alpha channel (the page's CSS paints the
 * paper behind it), so the ink is exactly what the classifier reads. `onInk()` runs after every
 * change; `canvas.dataset.version` counts the changes, so a reader can tell which drawing a result
 * belongs to, and `canvas.dataset.drawing` is 'yes' while a stroke is under way.
 */
export function drawingPad(canvas, { onInk, ink = '#1c2140' } = {}) {
  const g = canvas.getContext('2d', { willReadFrequently: true });
  // About a tenth of the pad: once the digit is scaled into MNIST's 20x20 box, this is MNIST's 2-3 pixel pen.
  const penWidth = Math.round(canvas.width / 13);
  let version = 0, last = null;

  const changed = () => {
    canvas.dataset.version = String(++version);
    onInk?.();
  };
  // Pointer coordinates are in CSS pixels; the canvas may be displayed larger or smaller than its backing store.
  const at = (e) => {
    const r = canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) * canvas.width) / r.width, y: ((e.clientY - r.top) * canvas.height) / r.height };
  };
  const dot = (p) => {
    g.fillStyle = ink;
    g.beginPath();
    g.arc(p.x, p.y, penWidth / 2, 0, 2 * Math.PI);
    g.fill();
  };
  const line = (a, b) => {
    g.strokeStyle = ink;
    g.lineWidth = penWidth;
    g.lineCap = 'round';
    g.lineJoin = 'round';
    g.beginPath();
    g.moveTo(a.x, a.y);
    g.lineTo(b.x, b.y);
    g.stroke();
  };

  canvas.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    canvas.setPointerCapture(e.pointerId);
    canvas.dataset.drawing = 'yes';
    last = at(e);
    dot(last);
    changed();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (last === null) return;
    // Coalesced events keep fast strokes smooth where the browser batches moves per frame.
    for (const ev of e.getCoalescedEvents?.() ?? [e]) {
      const p = at(ev);
      line(last, p);
      last = p;
    }
    changed();
  });
  const end = () => {
    if (last === null) return;
    last = null;
    canvas.dataset.drawing = 'no';
    changed();
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  canvas.dataset.version = '0';
  canvas.dataset.drawing = 'no';

  return {
    get version() { return version; },
    get drawing() { return last !== null; },
    /** The canvas's pixels (RGBA; the ink is in alpha). */
    pixels: () => g.getImageData(0, 0, canvas.width, canvas.height),
    clear() {
      g.clearRect(0, 0, canvas.width, canvas.height);
      changed();
    },
  };
}
