// Renders the benchmark results: a fixed-width text table for the terminal and a Markdown one for docs/PERF.md.

/** 3 significant digits, no exponent (1234, 12.3, 0.123). */
export function fmt(x) {
  if (x == null || !Number.isFinite(x)) return '-';
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

function cellText(cell, unit) {
  if (cell == null) return '-';
  if (cell.skipped) return 'skip';
  if (cell.error) return 'ERR';
  return fmt(unit.of(cell.median));
}

/** One line per (case, unit): [label, unit, ...column cells, ...ratios (first unit only)]. */
function gridRows(table, rows) {
  const out = [];
  for (const r of rows) {
    r.units.forEach((u, i) => {
      out.push([
        i === 0 ? `${r.case} ${r.label}` : '',
        u.name,
        ...table.columns.map((c) => cellText(r.cells[c], u)),
        ...table.ratios.map((x) => (i === 0 ? fmt(r.ratios[x.id]) : '')),
      ]);
    });
  }
  return out;
}

function notes(table, columns, targets) {
  const lines = [];
  for (const id of table.columns) {
    const c = columns[id];
    if (c.skipped) lines.push(`${id}: skipped: ${c.skipped}`);
    else if (c.error) lines.push(`${id}: error: ${c.error.split('\n')[0]}`);
    for (const [caseId, r] of Object.entries(c.results ?? {})) {
      if (r?.skipped) lines.push(`${id} ${caseId}: skipped: ${r.skipped}`);
      if (r?.error) lines.push(`${id} ${caseId}: error: ${r.error}`);
    }
  }
  const ratioLegend = table.ratios.map((r) => `${r.id} = ${r.of[0]} / ${r.of[1]}`).join('; ');
  const verdict = (t) => (t.met == null ? 'n/a' : t.met ? 'MET' : 'NOT MET');
  const targetLines = targets.map((t) => `${verdict(t).padEnd(7)}  ${t.text}  (${t.case}: ${fmt(t.value)})`);
  const targetItems = targets.map((t) => `**${verdict(t)}**: ${t.text} (${t.case}: ${fmt(t.value)})`);
  return { lines, ratioLegend, targetLines, targetItems };
}

export function renderText(table, rows, columns, targets) {
  const header = ['case', 'unit', ...table.columns, ...table.ratios.map((r) => r.id)];
  const grid = [header, ...gridRows(table, rows)];
  const widths = header.map((_, j) => Math.max(...grid.map((row) => row[j].length)));
  const fixed = 2 + table.columns.length; // label, unit, then data columns
  const line = (row) => row.map((s, j) => (j < 2 ? s.padEnd(widths[j]) : s.padStart(widths[j])))
    .map((s, j) => (j === fixed ? `| ${s}` : s)).join('  ');
  const { lines, ratioLegend, targetLines } = notes(table, columns, targets);
  return [
    `isotensor benchmark  ${table.meta.date}  ${table.meta.cpu} x${table.meta.cores}  node ${table.meta.node}` +
      `${table.meta.quick ? '  (--quick)' : ''}` +
      `${table.meta.rounds > 1 ? `  best of ${table.meta.rounds} rounds` : ''}`,
    'median wall time per call; ratios = peer time / isotensor time (> 1: isotensor faster)',
    '',
    line(header),
    ...grid.slice(1).map(line),
    '',
    `ratios: ${ratioLegend}`,
    ...lines,
    ...(targetLines.length ? ['', 'targets:', ...targetLines.map((t) => `  ${t}`)] : []),
  ].join('\n');
}

export function renderMarkdown(table, rows, columns, targets) {
  const header = ['case', 'unit', ...table.columns, ...table.ratios.map((r) => r.id)];
  const align = header.map((_, j) => (j < 2 ? ':--' : '--:'));
  const row = (cells) => `| ${cells.join(' | ')} |`;
  const { lines, ratioLegend, targetItems } = notes(table, columns, targets);
  return [
    row(header), row(align), ...gridRows(table, rows).map(row), '',
    `Ratios: ${ratioLegend}.`, '',
    ...lines.map((l) => `- ${l}`), ...(lines.length ? [''] : []),
    ...targetItems.map((t) => `- ${t}`), '',
  ].join('\n');
}
