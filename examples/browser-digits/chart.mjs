// The probability chart: one DOM bar per digit, the most likely one highlighted.
// SPDX-License-Identifier: Apache-2.0

/**
 * Builds ten rows in `root` and returns `show(probs | null)`. Each row carries its digit and exact
 * probability as data attributes (data-digit, data-p), and the top row has the class `top`, so
 * what is on screen can also be read back (test/browser-digits does).
 */
export function probabilityChart(root) {
  const rows = Array.from({ length: 10 }, (_, d) => {
    const row = document.createElement('div');
    row.className = 'row';
    row.dataset.digit = String(d);
    row.innerHTML = `<span class="digit">${d}</span><span class="track"><span class="fill"></span></span><span class="pct"></span>`;
    root.append(row);
    return { row, fill: row.querySelector('.fill'), pct: row.querySelector('.pct') };
  });
  return function show(probs) {
    const top = probs === null ? -1 : probs.indexOf(Math.max(...probs));
    rows.forEach(({ row, fill, pct }, d) => {
      const p = probs === null ? 0 : probs[d];
      row.dataset.p = probs === null ? '' : String(p);
      row.classList.toggle('top', d === top);
      fill.style.width = `${(100 * p).toFixed(2)}%`;
      pct.textContent = probs === null ? '' : `${(100 * p).toFixed(1)} %`;
    });
    return top;
  };
}
