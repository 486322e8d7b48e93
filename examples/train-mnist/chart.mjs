// The training-curve picture: loss and accuracy per epoch as an SVG line chart (two panels, axes, ticks, legend).
// SPDX-License-Identifier: Apache-2.0

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** About `count` round tick values covering [lo, hi] (steps of 1, 2 or 5 times a power of ten). */
export function niceTicks(lo, hi, count = 5) {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / count, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  const ticks = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1] < hi) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e'];

/**
 * One panel: `series` = [{ label, values }] over x = 1..n (epochs). Returns SVG elements as text,
 * drawn in the box (x0, y0, w, h) with ticks, grid lines, axis labels and a legend.
 */
function panel({ x0, y0, w, h, title, yLabel, series, yFormat, yRange, legendAt = 'top' }) {
  const n = Math.max(...series.map((s) => s.values.length));
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const [lo, hi] = yRange ?? [Math.min(...all), Math.max(...all)];
  const yt = niceTicks(lo, hi === lo ? lo + 1 : hi, 5);
  const ymin = yt[0], ymax = yt[yt.length - 1];
  const xt = niceTicks(1, Math.max(2, n), Math.min(10, Math.max(1, n - 1))).filter((t) => Number.isInteger(t) && t >= 1);
  const xmax = Math.max(n, xt[xt.length - 1]);
  const left = x0 + 62, right = x0 + w - 12, top = y0 + 34, bottom = y0 + h - 46;
  const sx = (x) => left + (xmax === 1 ? 0.5 : (x - 1) / (xmax - 1)) * (right - left);
  const sy = (y) => bottom - ((y - ymin) / (ymax - ymin)) * (bottom - top);
  const out = [];
  out.push(`<text x="${(left + right) / 2}" y="${y0 + 20}" class="title">${esc(title)}</text>`);
  for (const t of yt) {
    const y = sy(t).toFixed(1);
    out.push(`<line x1="${left}" y1="${y}" x2="${right}" y2="${y}" class="grid"/>`,
      `<line x1="${left - 5}" y1="${y}" x2="${left}" y2="${y}" class="axis"/>`,
      `<text x="${left - 8}" y="${y}" class="ytick">${esc(yFormat(t))}</text>`);
  }
  for (const t of xt) {
    const x = sx(t).toFixed(1);
    out.push(`<line x1="${x}" y1="${bottom}" x2="${x}" y2="${bottom + 5}" class="axis"/>`,
      `<text x="${x}" y="${bottom + 18}" class="xtick">${t}</text>`);
  }
  out.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" class="axis"/>`,
    `<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" class="axis"/>`,
    `<text x="${(left + right) / 2}" y="${bottom + 38}" class="xlabel">epoch</text>`,
    `<text transform="translate(${x0 + 16} ${(top + bottom) / 2}) rotate(-90)" class="ylabel">${esc(yLabel)}</text>`);
  // The legend box sits in the corner the curves leave free (top right for a falling loss, bottom right for a rising accuracy).
  const legendTop = legendAt === 'top' ? top + 6 : bottom - 6 - series.length * 18;
  out.push(`<rect x="${right - 156}" y="${legendTop}" width="150" height="${series.length * 18 + 4}" class="legendbox"/>`);
  series.forEach((s, k) => {
    const c = COLOURS[k % COLOURS.length];
    const pts = s.values.map((v, i) => [sx(i + 1), sy(v)]).filter(([, y]) => Number.isFinite(y));
    if (pts.length > 1) out.push(`<polyline points="${pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}" fill="none" stroke="${c}" stroke-width="2"/>`);
    for (const [x, y] of pts) out.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3" fill="${c}"/>`);
    const ly = legendTop + 11 + k * 18, lx = right - 150;
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${c}" stroke-width="2"/>`,
      `<circle cx="${lx + 11}" cy="${ly}" r="3" fill="${c}"/>`,
      `<text x="${lx + 28}" y="${ly}" class="legend">${esc(s.label)}</text>`);
  });
  return out.join('\n  ');
}

/**
 * The training-curve SVG for `history` = [{ epoch, loss, trainAcc, valAcc }] (accuracies in 0..1):
 * training loss on the left, train and validation accuracy (%) on the right.
 */
export function trainingCurveSvg(history, { title = 'LeNet training' } = {}) {
  const W = 900, H = 380;
  const pct = (v) => 100 * v;
  const accVals = history.flatMap((h) => [pct(h.trainAcc), pct(h.valAcc)]).filter(Number.isFinite);
  const accLo = Math.max(0, Math.floor(Math.min(...accVals) - 1));
  const loss = panel({
    x0: 0, y0: 24, w: W / 2, h: H - 24, title: 'training loss', yLabel: 'softmax cross-entropy',
    series: [{ label: 'train loss', values: history.map((h) => h.loss) }],
    yFormat: (t) => (Math.abs(t) < 1e-12 ? '0' : t.toPrecision(2).replace(/\.?0+$/, '')),
    yRange: [0, Math.max(...history.map((h) => h.loss))],
  });
  const acc = panel({
    x0: W / 2, y0: 24, w: W / 2, h: H - 24, title: 'accuracy', yLabel: 'accuracy (%)',
    series: [{ label: 'train accuracy', values: history.map((h) => pct(h.trainAcc)) },
      { label: 'validation accuracy', values: history.map((h) => pct(h.valAcc)) }],
    yFormat: (t) => `${Number(t.toFixed(1))}`,
    yRange: [accLo, 100],
    legendAt: 'bottom',
  });
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif">
<style>
  .title { font-size: 15px; font-weight: bold; text-anchor: middle; }
  .heading { font-size: 16px; font-weight: bold; text-anchor: middle; }
  .axis { stroke: #333; stroke-width: 1; }
  .grid { stroke: #ddd; stroke-width: 1; }
  .xtick { font-size: 11px; text-anchor: middle; }
  .ytick { font-size: 11px; text-anchor: end; dominant-baseline: middle; }
  .xlabel, .ylabel { font-size: 12px; text-anchor: middle; }
  .legend { font-size: 11px; dominant-baseline: middle; }
  .legendbox { fill: white; fill-opacity: 0.85; stroke: #bbb; }
</style>
<rect width="${W}" height="${H}" fill="white"/>
<text x="${W / 2}" y="20" class="heading">${esc(title)}</text>
  ${loss}
  ${acc}
</svg>
`;
}
