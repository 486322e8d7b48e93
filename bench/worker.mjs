// One benchmark column in its own process: loads one peer, runs the selected cases, prints one JSON line.
//
//   node bench/worker.mjs --peer isotensor --backend wasm --flavour threads --cases W1a,W1b [--quick]
//   node bench/worker.mjs --peer ort-web --threads 2 --cases W6
//   node bench/worker.mjs --peer isotensor --backend native --device gpu --cases W5b
//
// Each column gets a fresh process because isotensor cannot switch backends after ready(), and so
// that thread pools and heaps of one library never share a process with another's.
// The result line starts with RESULT_TAG so library log output on stdout cannot be mistaken for it.

import { parseArgs } from './lib/args.mjs';
import { measure, quickOptions } from './lib/timing.mjs';
import { loadWorkloads, selectCases } from './lib/workloads.mjs';
import { SkipError } from './lib/skip.mjs';
import { RESULT_TAG } from './lib/protocol.mjs';

const args = parseArgs(process.argv.slice(2), ['quick']);
const emit = (obj) => process.stdout.write(`\n${RESULT_TAG}${JSON.stringify(obj)}\n`);

async function main() {
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
