// The benchmark entry: runs every column (isotensor configurations and peers) on every selected case,
// each column in its own child process, one after another, then prints one table and writes
// bench/results/latest.json and bench/results/latest.md.
//
//   node bench/run.mjs [--quick] [--rounds 3] [--only W1,W6] [--columns iso-native,torch] [--out FILE.json]
//   node bench/run.mjs --only W1,W3,W5 --columns iso-gpu,torch-cuda,iso-native,torch    (GPU machine)
//
// Only the selected columns' libraries are loaded (each in its own child), so a machine without
// bench/node_modules can still run the isotensor and PyTorch columns.
// Numbers are the median wall time of one call (see bench/lib/timing.mjs); ratio columns are
// peer_time / isotensor_time, so > 1 means isotensor is faster.
//
// After the table: "Fraction of peak" (cases with `fractionOf`: GEMM/conv GFLOP/s as % of the f32 peak of
// the column's instruction set and thread count, W2's GB/s as % of the memory bandwidth; the peaks are
// measured by bench/lib/peak.mjs in this run, before and after the columns, best of the two; --no-peak
// skips them) and, for cases with `memory` (W5a), a peak-memory row measured in one more process per
// column (bench/worker.mjs --memory).

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './lib/args.mjs';
import { parseResult } from './lib/protocol.mjs';
import { loadWorkloads, selectCases } from './lib/workloads.mjs';
import { renderMarkdown, renderText } from './lib/table.mjs';
import { measurePeaks, peakAt } from './lib/peak.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const cores = os.cpus().length;

// The PyTorch columns' interpreter: ISOTENSOR_BENCH_PYTHON (or the older BENCH_PYTHON), else the venv
// bench/setup.sh builds (BENCH_VENV, default /tmp/ref) when it exists, else `python3` from PATH
// (a GPU machine has its CUDA PyTorch there and no venv).
function pythonPath() {
  const env = process.env.ISOTENSOR_BENCH_PYTHON || process.env.BENCH_PYTHON;
  if (env) return env;
  const venvPython = path.join(process.env.BENCH_VENV || '/tmp/ref', 'bin/python');
  return existsSync(venvPython) ? venvPython : 'python3';
}

// One column = one process. `group` is only for reading the table: isotensor | wasm (and JS) peers | native peers | gpu.
// The gpu columns print `skip` (with the reason) where no GPU is visible. `isa` is the peak a CPU column's
// GFLOP/s is held to: 'wasm' (SIMD128; tfjs-cpu's plain JavaScript too, the ceiling of code in a page)
// or 'native' (AVX-512 FMA), times the column's threads.
const COLUMNS = [
  { id: 'iso-wasm-mt', group: 'isotensor', isa: 'wasm', peer: 'isotensor', args: ['--backend', 'wasm', '--flavour', 'threads'] },
  { id: 'iso-wasm-1t', group: 'isotensor', isa: 'wasm', peer: 'isotensor', args: ['--backend', 'wasm', '--flavour', 'single'] },
  { id: 'iso-native', group: 'isotensor', isa: 'native', peer: 'isotensor', args: ['--backend', 'native'] },
  { id: `ortweb-${cores}t`, alias: 'ortweb-mt', group: 'wasm', isa: 'wasm', peer: 'ort-web', args: ['--threads', String(cores)] },
  { id: 'ortweb-1t', group: 'wasm', isa: 'wasm', peer: 'ort-web', args: ['--threads', '1'] },
  { id: 'tfjs-wasm', group: 'wasm', isa: 'wasm', peer: 'tfjs-wasm', args: [] },
  { id: 'tfjs-cpu', group: 'wasm', isa: 'wasm', peer: 'tfjs-cpu', args: [] },
  { id: `ortnode-${cores}t`, alias: 'ortnode', group: 'native', isa: 'native', peer: 'ort-node', args: ['--threads', String(cores)] },
  { id: `torch-${cores}t`, alias: 'torch', group: 'native', isa: 'native', peer: 'torch', python: true, args: ['--threads', String(cores)] },
  { id: 'iso-gpu', group: 'gpu', peer: 'isotensor', args: ['--backend', 'native', '--device', 'gpu'] },
  { id: 'torch-cuda', group: 'gpu', peer: 'torch', python: true, args: ['--threads', String(cores), '--device', 'cuda'] },
  // Thread for thread, for a loaded machine where multi-threaded columns wait on busy cores (PyTorch's
  // OpenMP regions especially): only run when named in --columns.
  { id: 'iso-native-1t', group: 'isotensor', isa: 'native', peer: 'isotensor', args: ['--backend', 'native'], env: { ISOTENSOR_NUM_THREADS: '1' }, optional: true },
  { id: 'torch-1t', group: 'native', isa: 'native', peer: 'torch', python: true, args: ['--threads', '1'], optional: true },
];

// Ratio columns: [peer, isotensor] by column id or alias; the pairs the issue names.
const RATIOS = [
  { id: 'ortweb/mt', of: ['ortweb-mt', 'iso-wasm-mt'] },
  { id: 'ortweb/1t', of: ['ortweb-1t', 'iso-wasm-1t'] },
  { id: 'tfjs/1t', of: ['tfjs-wasm', 'iso-wasm-1t'] },
  { id: 'tfjs/mt', of: ['tfjs-wasm', 'iso-wasm-mt'] },
  { id: 'tfjscpu/1t', of: ['tfjs-cpu', 'iso-wasm-1t'] },
  { id: 'ortnode/nat', of: ['ortnode', 'iso-native'] },
  { id: 'torch/nat', of: ['torch', 'iso-native'] },
  { id: 'torchcuda/gpu', of: ['torch-cuda', 'iso-gpu'] },
  { id: 'torch1t/nat1t', of: ['torch-1t', 'iso-native-1t'] },
];

const columnById = (key) => COLUMNS.find((c) => c.id === key || c.alias === key);

// A case with `peersFrom: 'W4'` differs from that case only on the isotensor side (e.g. the same MLP step
// through Gluon, imperative or hybridized): the peers run the source case once and its cells stand in
// for this case's row, ratios and targets.
const peerCaseId = (col, c) => (col.peer !== 'isotensor' && c.peersFrom ? c.peersFrom : c.id);
const cellOf = (columns, col, c) => columns[col.id]?.results?.[peerCaseId(col, c)];

/** The cases one column runs: for a peer, each `peersFrom` case replaced by its source (once). */
function columnCases(col, cases, allCases) {
  const ids = [...new Set(cases.map((c) => peerCaseId(col, c)))];
  return ids.map((id) => cases.find((c) => c.id === id) ?? allCases.find((c) => c.id === id));
}

function runChild(cmd, argv, label, env) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(cmd, argv, { cwd: path.dirname(benchDir), stdio: ['ignore', 'pipe', 'pipe'],
      env: env ? { ...process.env, ...env } : process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; process.stderr.write(d); });
    child.on('error', (e) => resolve({ skipped: `${label}: cannot start ${cmd}: ${e.message}`, results: {} }));
    child.on('close', (code, signal) => {
      const seconds = (performance.now() - t0) / 1000;
      const parsed = parseResult(stdout);
      if (parsed) return resolve({ ...parsed, seconds });
      const tail = (stderr || stdout).trim().split('\n').slice(-4).join(' | ');
      resolve({ error: `${label} exited with ${signal ?? `code ${code}`} and no result: ${tail}`, results: {}, seconds });
    });
  });
}

/**
 * Peak memory of the cases with `memory` (W5a), one more process for the column (bench/worker.mjs
 * --memory, with --expose-gc), so that no earlier case's heaps or pools are in it. CPU JS columns only:
 * the PyTorch worker has no memory probe, and a GPU column's device memory is not in its RSS.
 */
async function runMemory(col, cases) {
  const mem = cases.filter((c) => c.memory);
  if (!mem.length) return null;
  if (col.python || col.group === 'gpu') {
    return Object.fromEntries(mem.map((c) => [c.id, { skipped: col.python ? 'not measured (the PyTorch worker has no memory probe)' : 'not measured on the GPU columns' }]));
  }
  const out = await runChild(process.execPath, ['--expose-gc', path.join(benchDir, 'worker.mjs'), '--peer', col.peer,
    '--cases', mem.map((c) => c.id).join(','), ...col.args, '--memory'], `${col.id} (memory)`, col.env);
  if (out.skipped || out.error) return Object.fromEntries(mem.map((c) => [c.id, out.skipped ? { skipped: out.skipped } : { error: out.error }]));
  return out.memory ?? {};
}

/** Threads a column ran with: what the library reported (isotensor runtimeInfo, ort/tfjs/torch info), else its arguments. */
function columnThreads(col, info) {
  const t = Number(info?.runtime?.threads ?? info?.threads ?? info?.intraOpThreads);
  if (t >= 1) return t;
  const env = Number(col.env?.ISOTENSOR_NUM_THREADS);
  if (env >= 1) return env;
  const i = col.args.indexOf('--threads');
  return i >= 0 ? Number(col.args[i + 1]) : 1;
}

/**
 * Per case with `fractionOf` ('peak': its GFLOP/s unit; 'bandwidth': its GB/s unit) and per CPU column:
 * the column's figure as a fraction of the peak of its `isa` (or of the bandwidth) at its thread count
 * (with the case's `fractionNote`, printed under the section, when it has one).
 */
function fractionsFor(cases, columns, wantedCols, peaks) {
  const out = [];
  if (!peaks) return out;
  for (const c of cases) {
    if (!c.fractionOf) continue;
    const unit = c.units.find((u) => u.name === (c.fractionOf === 'bandwidth' ? 'GB/s' : 'GFLOP/s'));
    if (!unit) throw new Error(`${c.id}: fractionOf '${c.fractionOf}' needs a ${c.fractionOf === 'bandwidth' ? 'GB/s' : 'GFLOP/s'} unit`);
    for (const col of wantedCols) {
      if (!col.isa) continue;
      const kind = c.fractionOf === 'bandwidth' ? 'bandwidth' : col.isa;
      const threads = columnThreads(col, columns[col.id].info);
      const p = peakAt(peaks, kind, threads);
      const peak = p == null ? null : kind === 'bandwidth' ? p : p / 1e9;
      const ms = cellOf(columns, col, c)?.median;
      const value = ms == null ? null : unit.of(ms);
      out.push({ case: c.id, column: col.id, kind, threads, unit: unit.name, value, peak,
        fraction: value != null && peak ? value / peak : null, ...(c.fractionNote ? { note: c.fractionNote } : {}) });
    }
  }
  return out;
}

/** The memory row of a case: MB per column and the RATIOS pairs as peer MB / isotensor MB (> 1: isotensor uses less). */
function memoryRowFor(c, memory, wantedCols) {
  if (!c.memory) return null;
  const cells = Object.fromEntries(wantedCols.map((col) => [col.id, memory[col.id]?.[peerCaseId(col, c)] ?? null]));
  const mb = (col) => { const m = cells[col?.id]; return m?.peakBytes != null ? m.peakBytes / 1e6 : null; };
  const ratios = Object.fromEntries(RATIOS.map((r) => {
    const [peer, iso] = r.of.map((k) => mb(columnById(k)));
    return [r.id, peer && iso ? peer / iso : null];
  }));
  return { case: c.id, label: `${c.id} peak memory`, unit: 'MB', cells, ratios };
}

async function runColumn(col, cases, quick) {
  const ids = cases.map((c) => c.id);  // exact case ids (bench/worker.mjs matches them exactly)
  const common = [...col.args, ...(quick ? ['--quick'] : [])];
  const load0 = os.loadavg()[0];
  let out;
  if (col.python) {
    const payload = cases.map((c) => ({ id: c.id, workload: c.workload.id, params: c.params, timing: c.timing }));
    out = await runChild(pythonPath(), [path.join(benchDir, 'python/torch_worker.py'), '--cases', JSON.stringify(payload), ...common], col.id, col.env);
  } else {
    out = await runChild(process.execPath, [path.join(benchDir, 'worker.mjs'), '--peer', col.peer, '--cases', ids.join(','), ...common], col.id, col.env);
  }
  return { ...out, loadavgBefore: load0, loadavgAfter: os.loadavg()[0] };
}

/** One column's rounds folded into one: per case the round with the lowest median, plus all medians. */
function mergeRounds(list, cases) {
  const first = list[0];
  if (list.length === 1) return first;
  const results = {};
  for (const c of cases) {
    const all = list.map((r) => r.results?.[c.id]).filter(Boolean);
    const timed = all.filter((x) => x.median != null);
    if (!timed.length) { results[c.id] = all[0] ?? null; continue; }
    const best = timed.reduce((a, b) => (b.median < a.median ? b : a));
    results[c.id] = { ...best, roundMedians: timed.map((x) => x.median) };
  }
  return {
    info: list.find((r) => r.info)?.info ?? first.info, skipped: first.skipped,
    error: list.map((r, i) => (r.error ? `round ${i + 1}: ${r.error.split('\n')[0]}` : null)).filter(Boolean).join('; ') || undefined,
    results, seconds: list.reduce((a, r) => a + (r.seconds ?? 0), 0),
    loadavgBefore: list.map((r) => r.loadavgBefore), loadavgAfter: list.map((r) => r.loadavgAfter),
  };
}

/** Peak probes folded: per figure the highest (the probe before and the one after the columns). */
function mergePeaks(list) {
  if (list.length === 1) return list[0];
  const best = (k) => Math.max(...list.map((p) => p[k] ?? 0)) || null;
  const keys = ['nativeF32Flops1t', 'nativeF32FlopsNt', 'wasmF32Flops1t', 'wasmF32FlopsNt', 'bandwidthGBs', 'bandwidthGBs1t'];
  const merged = { ...list[0], ...Object.fromEntries(keys.map((k) => [k, best(k)])) };
  merged.how = `${list.map((p, i) => `probe ${i + 1} of ${list.length}:\n${p.how}`).join('\n')}\nused: the higher of the ${list.length} probes per figure`;
  return merged;
}

function ratiosFor(c, columns) {
  const out = {};
  for (const r of RATIOS) {
    const [peerCol, isoCol] = r.of.map(columnById);
    const peer = cellOf(columns, peerCol, c)?.median;
    const iso = cellOf(columns, isoCol, c)?.median;
    out[r.id] = peer && iso ? peer / iso : null;
  }
  return out;
}

// A target is one of: { ratio: [peer, iso] } (peer time / isotensor time), { metric: 'peakMemory', ratio }
// (peer MB / isotensor MB, from the memory row), { column, fractionOf: 'peak'|'bandwidth' } (the column's
// fraction of the measured peak, printed in %), or { column } (the case's main unit); each with
// atLeast or atMost.
function checkTargets(workloads, columns, rows, cases, fractions, memoryRows) {
  const out = [];
  for (const w of workloads) {
    for (const t of w.targets ?? []) {
      const row = rows.find((r) => r.case === t.case);
      if (!row) continue;
      const c = cases.find((x) => x.id === t.case);
      let value = null;
      if (t.metric === 'peakMemory') {
        const m = memoryRows.find((r) => r.case === t.case);
        const [peer, iso] = t.ratio.map((k) => m?.cells[columnById(k).id]?.peakBytes);
        value = peer && iso ? peer / iso : null;
      } else if (t.fractionOf) {
        if (c.fractionOf !== t.fractionOf) throw new Error(`target on ${t.case}: fractionOf '${t.fractionOf}' but the case has '${c.fractionOf}'`);
        value = fractions.find((f) => f.case === t.case && f.column === columnById(t.column).id)?.fraction ?? null;
      } else if (t.ratio) {
        const [peerCol, isoCol] = t.ratio.map(columnById);
        const peer = cellOf(columns, peerCol, c)?.median;
        const iso = cellOf(columns, isoCol, c)?.median;
        value = peer && iso ? peer / iso : null;
      } else {
        const ms = cellOf(columns, columnById(t.column), c)?.median;
        value = ms == null ? null : row.units[0].of(ms);
      }
      const met = value == null ? null : (t.atLeast != null ? value >= t.atLeast : value <= t.atMost);
      out.push({ text: t.text, case: t.case, value, met, ...(t.fractionOf ? { percent: true } : {}) });
    }
  }
  return out;
}

async function main() {
  const args = parseArgs(process.argv.slice(2), ['quick', 'no-peak']);
  const workloads = await loadWorkloads();
  const cases = selectCases(workloads, args.only);
  const allCases = selectCases(workloads, '');
  if (!cases.length) throw new Error(`--only ${args.only}: no such workload or case`);
  const wantedCols = args.columns ? args.columns.split(',').map((s) => columnById(s.trim())) : COLUMNS.filter((c) => !c.optional);
  if (wantedCols.some((c) => !c)) throw new Error(`--columns ${args.columns}: unknown column`);

  const load = os.loadavg()[0];
  if (load > 0.5) console.error(`note: load average ${load.toFixed(2)} on ${cores} cores; timings will be noisy`);

  // With --rounds R every column runs R times, in alternating order, and each cell keeps its
  // least-disturbed round (lowest median): on a shared machine, load from other users only slows things.
  const rounds = Math.max(1, Number(args.rounds ?? 1) | 0);
  // The machine's peaks, before the columns and again after them (best of the two per figure: other
  // users' load only lowers a measurement), when a selected case is printed as a fraction of one.
  const wantPeaks = !args['no-peak'] && cases.some((c) => c.fractionOf) && wantedCols.some((c) => c.isa);
  const peakRuns = [];
  const probePeaks = async () => {
    console.error('[bench] measuring the machine\'s peaks (bench/lib/peak.mjs) ...');
    peakRuns.push(await measurePeaks({ fresh: true }));
  };
  if (wantPeaks) await probePeaks();
  const runs = Object.fromEntries(wantedCols.map((c) => [c.id, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [...wantedCols].reverse() : wantedCols;
    for (const col of order) {
      if (runs[col.id].some((c) => c.skipped)) continue; // a missing peer stays missing; do not retry it every round
      console.error(`[bench] ${col.id}${rounds > 1 ? ` (round ${r + 1}/${rounds})` : ''} ...`);
      const c = await runColumn(col, columnCases(col, cases, allCases), !!args.quick);
      runs[col.id].push(c);
      if (c.skipped || c.error) console.error(`[bench] ${col.id}: ${c.skipped ? 'skipped' : 'ERROR'}: ${c.skipped ?? c.error}`);
    }
  }
  const columns = Object.fromEntries(wantedCols.map((col) => [col.id, mergeRounds(runs[col.id], columnCases(col, cases, allCases))]));

  // Peak memory: one more process per column, after all timed runs (cases with `memory` only).
  const memory = {};
  if (cases.some((c) => c.memory)) {
    for (const col of wantedCols) {
      if (runs[col.id].some((c) => c.skipped)) continue;
      const memCases = columnCases(col, cases, allCases).filter((c) => c.memory);
      if (!memCases.length) continue;
      console.error(`[bench] ${col.id} peak memory ...`);
      memory[col.id] = await runMemory(col, memCases);
    }
  }
  const memoryRows = cases.map((c) => memoryRowFor(c, memory, wantedCols)).filter(Boolean);

  if (wantPeaks) await probePeaks();
  const peaks = peakRuns.length ? mergePeaks(peakRuns) : null;
  const fractions = fractionsFor(cases, columns, wantedCols, peaks);

  const rows = cases.map((c) => ({
    case: c.id, workload: c.workload.id, label: c.label, params: c.params, units: c.units,
    // A column that could not run at all (no GPU, peer not installed) shows `skip` in every cell; its reason is in the notes.
    cells: Object.fromEntries(wantedCols.map((col) => [col.id, cellOf(columns, col, c)
      ?? (columns[col.id].skipped ? { skipped: columns[col.id].skipped } : null)])),
    ratios: ratiosFor(c, columns),
  }));
  const targets = checkTargets(workloads, columns, rows, cases, fractions, memoryRows);

  const meta = {
    date: new Date().toISOString(), quick: !!args.quick, rounds, node: process.version,
    cpu: os.cpus()[0]?.model, cores, loadavgAtStart: load,
  };
  const table = { meta, columns: wantedCols.map((c) => c.id), ratios: RATIOS.map((r) => ({ id: r.id, of: r.of.map((k) => columnById(k).id) }))
    .filter((r) => r.of.every((id) => wantedCols.some((c) => c.id === id))) };
  const extras = { peaks, fractions, memoryRows };
  const textOut = renderText(table, rows, columns, targets, extras);
  console.log(textOut);

  const outFile = args.out ?? path.join(benchDir, 'results/latest.json');
  mkdirSync(path.dirname(outFile), { recursive: true });
  const json = {
    ...table,
    columnInfo: Object.fromEntries(Object.entries(columns).map(([k, v]) => [k, {
      info: v.info ?? null, skipped: v.skipped ?? null, error: v.error ?? null, seconds: v.seconds,
      loadavgBefore: v.loadavgBefore, loadavgAfter: v.loadavgAfter }])),
    rows: rows.map((r) => ({
      case: r.case, workload: r.workload, label: r.label, params: r.params,
      units: r.units.map((u) => u.name),
      cells: Object.fromEntries(Object.entries(r.cells).map(([k, v]) => [k, v && v.median != null
        ? { ...v, [r.units[0].name]: r.units[0].of(v.median), ...Object.fromEntries(r.units.slice(1).map((u) => [u.name, u.of(v.median)])) }
        : v])),
      ratios: r.ratios,
    })),
    peaks: peaks && { ...peaks, runs: peakRuns.map(({ how, ...rest }) => rest) },
    fractions,
    memory: memoryRows.map((m) => ({ case: m.case, unit: 'MB', ratios: m.ratios,
      cells: Object.fromEntries(Object.entries(m.cells).map(([k, v]) => [k, v && (v.peakBytes != null ? { MB: v.peakBytes / 1e6, ...v } : v)])) })),
    targets,
  };
  writeFileSync(outFile, `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(outFile.replace(/\.json$/, '.md'), renderMarkdown(table, rows, columns, targets, extras));
  console.error(`[bench] wrote ${path.relative(process.cwd(), outFile)} and ${path.basename(outFile, '.json')}.md`);
}

main().catch((e) => { console.error(e?.stack ?? e); process.exit(1); });
