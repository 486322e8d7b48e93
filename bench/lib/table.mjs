// Renders the benchmark results: a fixed-width text table for the terminal and a Markdown one for docs/PERF.md,
// each followed by the "Fraction of peak" section and the peak-memory rows when bench/run.mjs has them
// (`extras` = { peaks, fractions, memoryRows }).

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

const pct = (x) => (x == null || !Number.isFinite(x) ? '-' : `${(100 * x).toFixed(0)} %`);

function memoryCellText(m) {
  if (m == null || m.skipped) return '-';
  if (m.error) return 'ERR';
  return fmt(m.peakBytes / 1e6);
}

/**
 * One line per (case, unit): [label, unit, ...column cells, ...ratios (first unit only)], then the
 * case's peak-memory row (MB, ratios peer MB / isotensor MB) if it has one.
 */
function gridRows(table, rows, memoryRows = []) {
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
    const m = memoryRows.find((x) => x.case === r.case);
    if (m) {
      out.push([m.label, m.unit, ...table.columns.map((c) => memoryCellText(m.cells[c])),
        ...table.ratios.map((x) => fmt(m.ratios[x.id]))]);
    }
  }
  return out;
}

/** The fraction grid: one line per case with fractions, one cell per CPU column ("43 %"). */
function fractionGrid(table, rows, fractions) {
  const cols = table.columns.filter((c) => fractions.some((f) => f.column === c));
  const header = ['case', 'of', ...cols];
  const lines = [];
  for (const r of rows) {
    const fs = fractions.filter((f) => f.case === r.case);
    if (!fs.length) continue;
    lines.push([`${r.case} ${r.label}`, fs[0].kind === 'bandwidth' ? 'bandwidth' : 'f32 peak',
      ...cols.map((c) => pct(fs.find((f) => f.column === c)?.fraction))]);
  }
  return { header, lines, cols };
}

/** What each column is held to, and how the peaks were measured (text lines). */
function peakNotes(peaks, fractions, cols) {
  const g = (x) => (x == null ? '-' : fmt(x));
  const lines = [];
  for (const c of cols) {
    const f = fractions.find((x) => x.column === c && x.kind !== 'bandwidth');
    const b = fractions.find((x) => x.column === c && x.kind === 'bandwidth');
    const parts = [];
    if (f) parts.push(`${f.kind === 'native' ? (peaks.nativeIsa === 'avx512f' ? 'AVX-512 FMA' : `${peaks.nativeIsa ?? 'native'} FMA`) : 'SIMD128'} peak at ${f.threads} thread${f.threads > 1 ? 's' : ''} ${g(f.peak)} GFLOP/s`);
    if (b) parts.push(`bandwidth at ${b.threads} thread${b.threads > 1 ? 's' : ''} ${g(b.peak)} GB/s`);
    if (parts.length) lines.push(`${c}: ${parts.join('; ')}`);
  }
  return lines;
}

/** The "Fraction of peak" section as text lines (monospace) or Markdown. */
function fractionSection(table, rows, extras, markdown) {
  const { peaks, fractions } = extras ?? {};
  if (!peaks || !fractions?.length) return [];
  const { header, lines, cols } = fractionGrid(table, rows, fractions);
  const note = 'fractions use the peaks measured in this run (not the theoretical figure, which is given for reference); '
    + 'a wasm column is held to the SIMD128 mul+add peak x its threads, a native one to the FMA peak at its threads, '
    + 'W2 to the y = a + b bandwidth at the column\'s threads (both count 12 bytes per element)';
  const extraNotes = [...new Set(fractions.map((f) => f.note).filter(Boolean))]
    .concat(Object.entries(peaks.skipped ?? {}).map(([k, v]) => `${k} peak skipped: ${v}`));
  if (markdown) {
    const row = (cells) => `| ${cells.join(' | ')} |`;
    return ['', '**Fraction of peak**', '', row(header), row(header.map((_, j) => (j < 2 ? ':--' : '--:'))), ...lines.map(row), '',
      `${note[0].toUpperCase()}${note.slice(1)}.`, '',
      ...peakNotes(peaks, fractions, cols).map((l) => `- ${l}`), ...extraNotes.map((l) => `- ${l}`),
      ...peaks.how.split('\n').map((l) => (/^(probe \d|used:)/.test(l) || !/^probe /m.test(peaks.how) ? `- ${l}` : `  - ${l}`)), ''];
  }
  const grid = [header, ...lines];
  const widths = header.map((_, j) => Math.max(...grid.map((r) => r[j].length)));
  const line = (r) => r.map((x, j) => (j < 2 ? x.padEnd(widths[j]) : x.padStart(widths[j]))).join('  ');
  return ['', 'fraction of peak:', line(header), ...lines.map(line), '', `(${note})`,
    ...peakNotes(peaks, fractions, cols).map((l) => `  ${l}`), ...extraNotes.map((l) => `  ${l}`),
    'how the peaks were measured:', ...peaks.how.split('\n').map((l) => `  ${l}`)];
}

/** Notes for memory cells that could not be measured, and the method's one-line summary. */
function memoryNotes(extras) {
  const lines = [];
  for (const m of extras?.memoryRows ?? []) {
    for (const [col, v] of Object.entries(m.cells)) {
      if (v?.skipped) lines.push(`${col} ${m.label}: ${v.skipped}`);
      if (v?.error) lines.push(`${col} ${m.label}: error: ${v.error.split('\n')[0]}`);
      if (v && v.hwmReset === false) lines.push(`${col} ${m.label}: resident high-water mark could not be reset; an upper bound`);
    }
  }
  if (extras?.memoryRows?.length) {
    lines.push('peak memory = resident high-water mark during warm-up + 3 calls minus the RSS of the process with the library '
      + 'running and the host weights made (model upload + inference, at their highest; bench/worker.mjs --memory); its ratios = peer MB / isotensor MB (> 1: isotensor uses less)');
  }
  return lines;
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
  const value = (t) => (t.percent ? pct(t.value) : fmt(t.value));
  const targetLines = targets.map((t) => `${verdict(t).padEnd(7)}  ${t.text}  (${t.case}: ${value(t)})`);
  const targetItems = targets.map((t) => `**${verdict(t)}**: ${t.text} (${t.case}: ${value(t)})`);
  return { lines, ratioLegend, targetLines, targetItems };
}

export function renderText(table, rows, columns, targets, extras) {
  const header = ['case', 'unit', ...table.columns, ...table.ratios.map((r) => r.id)];
  const grid = [header, ...gridRows(table, rows, extras?.memoryRows)];
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
    ...memoryNotes(extras),
    ...fractionSection(table, rows, extras, false),
    ...(targetLines.length ? ['', 'targets:', ...targetLines.map((t) => `  ${t}`)] : []),
  ].join('\n');
}

export function renderMarkdown(table, rows, columns, targets, extras) {
  const header = ['case', 'unit', ...table.columns, ...table.ratios.map((r) => r.id)];
  const align = header.map((_, j) => (j < 2 ? ':--' : '--:'));
  const row = (cells) => `| ${cells.join(' | ')} |`;
  const { lines, ratioLegend, targetItems } = notes(table, columns, targets);
  return [
    row(header), row(align), ...gridRows(table, rows, extras?.memoryRows).map(row), '',
    `Ratios: ${ratioLegend}.`, '',
    ...[...lines, ...memoryNotes(extras)].map((l) => `- ${l}`), ...(lines.length || memoryNotes(extras).length ? [''] : []),
    ...fractionSection(table, rows, extras, true),
    ...targetItems.map((t) => `- ${t}`), '',
  ].join('\n');
}
