// One benchmark column in its own process: loads one peer, runs the selected cases, prints one JSON line.
//
//   node bench/worker.mjs --peer isotensor --backend wasm --flavour threads --cases W1a,W1b [--quick]
//   node bench/worker.mjs --peer ort-web --threads 2 --cases W6
//   node bench/worker.mjs --peer isotensor --backend native --device gpu --cases W5b
//   node --expose-gc bench/worker.mjs --peer ort-node --threads 2 --cases W5a --memory    (peak memory, below)
//
// Each column gets a fresh process because isotensor cannot switch backends after ready(), and so
// that thread pools and heaps of one library never share a process with another's.
// The result line starts with RESULT_TAG so library log output on stdout cannot be mistaken for it.

import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from './lib/args.mjs';
import { measure, quickOptions } from './lib/timing.mjs';
import { loadWorkloads, selectCases } from './lib/workloads.mjs';
import { SkipError } from './lib/skip.mjs';
import { RESULT_TAG } from './lib/protocol.mjs';

const args = parseArgs(process.argv.slice(2), ['quick', 'memory']);
const emit = (obj) => process.stdout.write(`\n${RESULT_TAG}${JSON.stringify(obj)}\n`);

// ---- peak memory (--memory): bench/run.mjs runs it in a process of its own per column, after the timed
// runs, for the cases that set `memory` (W5a), so no earlier case's heaps or pools are in the numbers.
//
// Method (Linux, /proc/self/status): the library is loaded, then the case's `memory.prepare(kind, lib)`
// makes the host-side inputs every column holds alike (W5: the weights as Float32Arrays) and starts the
// library's runtime with a one-op model (onnxruntime-web starts its wasm module and threads at the first
// session); after a full GC the baseline VmRSS is read. Then the case is built (weights uploaded or the
// session created; isotensor runs its checked forward pass), GC'd, the resident high-water mark is reset
// to the current RSS (`5` written to /proc/self/clear_refs), the warm-up and 3 calls run, and VmHWM is
// read. peakBytes = VmHWM - baseline: what the model plus its inference add, at their highest, to a
// process with the library already running. Where the reset is refused, VmHWM also covers the build's
// transients (hwmReset: false; an upper bound). Every WebAssembly.Memory the process creates or exports
// is tracked, and its growth reported (wasm memory never shrinks, so its size at the end is its peak);
// isotensor also reports mx.memoryInfo().peakBytes (its own count of live array bytes).

function procStatus() {
  try {
    const text = readFileSync('/proc/self/status', 'utf8');
    const kb = (k) => Number(text.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm'))?.[1]) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return null;
  }
}

function resetHighWaterMark() {
  try { writeFileSync('/proc/self/clear_refs', '5'); return true; } catch { return false; }
}

/** Tracks every WebAssembly.Memory (created in JS or exported by an instance); returns their total bytes. */
function trackWasmMemories() {
  const W = WebAssembly, Memory = W.Memory, memories = new Set();
  const note = (instance) => {
    for (const v of Object.values(instance?.exports ?? {})) if (v instanceof Memory) memories.add(v);
    return instance;
  };
  W.Memory = new Proxy(Memory, { construct: (t, a, nt) => { const m = Reflect.construct(t, a, nt); memories.add(m); return m; } });
  W.Instance = new Proxy(W.Instance, { construct: (t, a, nt) => note(Reflect.construct(t, a, nt)) });
  for (const name of ['instantiate', 'instantiateStreaming']) {
    const orig = W[name];
    if (orig) W[name] = (...a) => orig.apply(W, a).then((r) => { note(r.instance ?? r); return r; });
  }
  return () => [...memories].reduce((sum, m) => sum + m.buffer.byteLength, 0);
}

const fullGc = () => { for (let i = 0; i < 3; i++) globalThis.gc?.(); };

async function measureMemory(peer, loaded, c) {
  const kind = peer.kind;
  const build = c.workload.impl[kind];
  if (!build) return { skipped: `no ${kind} implementation of ${c.workload.id}` };
  if (!procStatus()) return { skipped: 'no /proc/self/status (peak memory is measured on Linux only)' };
  await c.memory.prepare?.(kind, loaded.lib);
  fullGc();
  const base = procStatus();
  const wasmBase = wasmBytes();
  const bench = await build(loaded.lib, c.params);
  try {
    fullGc();
    const setup = procStatus();
    const hwmReset = resetHighWaterMark();
    await measure(bench.call, { warmup: 1, reps: 3, minReps: 3 });
    const end = procStatus();
    let isoPeakBytes;
    if (kind === 'isotensor') { loaded.lib.mx.waitAll(); isoPeakBytes = loaded.lib.mx.memoryInfo(loaded.lib.ctx).peakBytes; }
    return {
      peakBytes: end.hwm - base.rss, baselineRss: base.rss, setupRss: setup.rss, peakRss: end.hwm, hwmReset,
      gc: typeof globalThis.gc === 'function',
      wasmMemoryBytes: wasmBytes(), wasmMemoryGrowth: wasmBytes() - wasmBase, isoPeakBytes,
    };
  } finally {
    await bench.dispose();
  }
}

let wasmBytes = () => 0;

async function main() {
  if (args.memory) wasmBytes = trackWasmMemories(); // before any library creates its memory
  const peer = await import(`./peers/${args.peer}.mjs`);
  // Exact case ids (what bench/run.mjs passes) select only those cases; other tokens select as --only does.
  const all = selectCases(await loadWorkloads(), '');
  const cases = !args.cases ? all : args.cases.split(',').map((s) => s.trim()).filter(Boolean).flatMap((tok) => {
    const exact = all.filter((c) => c.id === tok);
    return exact.length ? exact : all.filter((c) => c.workload.id.toUpperCase() === tok.toUpperCase() || c.id.toUpperCase() === tok.toUpperCase());
  });
  let loaded;
  try {
    loaded = await peer.load({ threads: args.threads && Number(args.threads), backend: args.backend,
      flavour: args.flavour, device: args.device });
  } catch (e) {
    if (e instanceof SkipError) return emit({ skipped: e.message, results: {} });
    throw e;
  }
  if (args.memory) {
    const memory = {};
    for (const c of cases.filter((x) => x.memory)) {
      try {
        memory[c.id] = await measureMemory(peer, loaded, c);
      } catch (e) {
        memory[c.id] = { error: String(e?.stack ?? e).split('\n').slice(0, 3).join(' | ') };
      }
      const m = memory[c.id];
      process.stderr.write(`  ${args.peer} ${c.id} peak memory: ${m.peakBytes != null ? `${(m.peakBytes / 1e6).toFixed(1)} MB` : JSON.stringify(m)}\n`);
    }
    return emit({ info: loaded.info, results: {}, memory });
  }
  const results = {};
  for (const c of cases) {
    const build = c.workload.impl[peer.kind];
    if (!build) {
      results[c.id] = { skipped: `no ${peer.kind} implementation of ${c.workload.id}` };
      continue;
    }
    let bench;
    try {
      bench = await build(loaded.lib, c.params);
      results[c.id] = await measure(bench.call, quickOptions(c.timing, args.quick));
    } catch (e) {
      results[c.id] = { error: String(e?.stack ?? e).split('\n').slice(0, 3).join(' | ') };
    } finally {
      try { await bench?.dispose(); } catch { /* a failed case may leave nothing to release */ }
    }
    process.stderr.write(`  ${args.peer} ${c.id}: ${results[c.id].median?.toFixed(3) ?? JSON.stringify(results[c.id])} ms\n`);
  }
  emit({ info: loaded.info, results });
}

main().then(
  () => process.exit(0), // thread pools (onnxruntime-web, emscripten pthreads) would keep the process alive
  (e) => { emit({ error: String(e?.stack ?? e), results: {} }); process.exit(1); },
);
