// WebAssembly SIMD128 float32 peak probe: a hand-assembled module (no toolchain needed at run time),
// timed in worker threads (1, then N at once).
//
// SIMD128 has no fused multiply-add (relaxed-simd's madd is not used by isotensor or the wasm peers),
// so a GEMM inner loop is an f32x4.mul and an f32x4.add per 4 multiply-adds: the peak that bounds it
// is the throughput of mul+add pairs, 8 flops each (4 lanes x 2). The module's `run(n, s)` keeps K
// independent product chains m = m * c and K accumulator chains acc = acc + m for n iterations and
// returns a lane of the accumulators' sum, so nothing can be removed. K = 6 covers 2 muls + 2 adds per
// cycle at 3-cycle latencies (Zen 4); 2K + 1 v128 locals must fit V8's 15 allocatable xmm registers,
// so K = 7 is the most (K = 8 ran at a third of the speed here: spills). K = 4, 6, 7 are built and the
// fastest counts. V8 compiles wasm in tiers (Liftoff first, TurboFan later, no on-stack replacement),
// so each worker calls `run` repeatedly for a warm-up period before the timed calls.

import { Worker } from 'node:worker_threads';

/** unsigned LEB128 */
const uleb = (n) => {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const section = (id, bytes) => [id, ...uleb(bytes.length), ...bytes];
const vec = (items) => [...uleb(items.length), ...items.flat()];

const I32 = 0x7f, F32 = 0x7d, V128 = 0x7b;
const LOCAL_GET = 0x20, LOCAL_SET = 0x21, LOCAL_TEE = 0x22;
const SIMD = 0xfd;
const V128_LOAD = [SIMD, ...uleb(0x00)];
const F32X4_SPLAT = [SIMD, ...uleb(0x13)];
const F32X4_EXTRACT_LANE = [SIMD, ...uleb(0x1f)];
const F32X4_ADD = [SIMD, ...uleb(0xe4)];
const F32X4_MUL = [SIMD, ...uleb(0xe6)];

/** signed LEB128 (i32.const immediates) */
const sleb = (n) => {
  const out = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && (b & 0x40))) { out.push(b); return out; }
    out.push(b | 0x80);
  }
};

/**
 * The module bytes for K chain pairs: (func (export "run") (param $n i32) (param $s f32) (result f32)).
 * Per iteration and pair i: m_i = f32x4.mul(m_i, c); acc_i = f32x4.add(acc_i, m_i), with c = splat(s)
 * and s = -1 (m_i flips sign, acc_i oscillates: bounded, no denormals). The adds take their operand
 * from an independent stream of products, as in a GEMM micro-kernel (acc += a * b), so the mul and
 * the add chains each wait only on their own latency.
 */
export function simd128Module(K) {
  const n = 0, s = 1, m = (i) => 2 + i, acc = (i) => 2 + K + i, c = 2 + 2 * K;
  const code = [];
  code.push(LOCAL_GET, s, ...F32X4_SPLAT, LOCAL_SET, c);
  // m_i = splat(i + 1), acc_i = splat(0.5 (i + 1)): distinct chains (identical ones could be merged)
  for (let i = 0; i < K; i++) {
    const f32 = (x) => [0x43, ...new Uint8Array(new Float32Array([x]).buffer)];
    code.push(...f32(i + 1), ...F32X4_SPLAT, LOCAL_SET, m(i), ...f32(0.5 * (i + 1)), ...F32X4_SPLAT, LOCAL_SET, acc(i));
  }
  code.push(0x03, 0x40); // loop (empty block type)
  for (let i = 0; i < K; i++) {
    code.push(LOCAL_GET, acc(i), LOCAL_GET, m(i), LOCAL_GET, c, ...F32X4_MUL, LOCAL_TEE, m(i), ...F32X4_ADD, LOCAL_SET, acc(i));
  }
  code.push(LOCAL_GET, n, 0x41, 1, 0x6b /* i32.sub */, LOCAL_TEE, n, 0x0d, 0 /* br_if 0 */, 0x0b /* end loop */);
  code.push(LOCAL_GET, acc(0));
  for (let i = 1; i < K; i++) code.push(LOCAL_GET, acc(i), ...F32X4_ADD);
  code.push(...F32X4_EXTRACT_LANE, 0, 0x0b /* end func */);
  const locals = vec([[...uleb(2 * K + 1), V128]]);
  const body = [...locals, ...code];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[I32], [F32]]), ...vec([[F32]])]])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...vec([...'run'].map((ch) => [ch.charCodeAt(0)])), 0x00, 0]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

// The worker: compile, warm up (tier-up to TurboFan) until `warmupMs`, wait for the start signal
// (all workers start together), then time `reps` calls of `iters` iterations and report the best.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { bytes, iters, reps, warmupMs, signal } = workerData;
const { run } = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports;
const t0 = performance.now();
let sink = 0;
while (performance.now() - t0 < warmupMs) sink += run(iters >> 4, -1);
const flag = new Int32Array(signal);
parentPort.postMessage({ ready: true });
Atomics.wait(flag, 0, 0);
let best = Infinity;
for (let r = 0; r < reps; r++) {
  const t = performance.now();
  sink += run(iters, -1);
  best = Math.min(best, performance.now() - t);
}
if (!Number.isFinite(sink)) throw new Error('SIMD128 probe: bad result ' + sink);
parentPort.postMessage({ ms: best });
`;

/** FLOP/s of `threads` workers running K-chain modules at once (sum of each worker's best call). */
async function timeWorkers(K, threads, { iters = 2_000_000, reps = 60, warmupMs = 200 } = {}) {
  const bytes = simd128Module(K);
  const signal = new SharedArrayBuffer(4);
  const workers = Array.from({ length: threads }, () => new Worker(workerSource,
    { eval: true, workerData: { bytes, iters, reps, warmupMs, signal } }));
  const ready = [], results = [];
  for (const w of workers) {
    let readyFns, resultFns;
    ready.push(new Promise((resolve, reject) => { readyFns = { resolve, reject }; }));
    results.push(new Promise((resolve, reject) => { resultFns = { resolve, reject }; }));
    const fail = (e) => { readyFns.reject(e); resultFns.reject(e); };
    w.on('message', (m) => (m.ready ? readyFns.resolve() : resultFns.resolve(m.ms)));
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`SIMD128 probe worker exited with code ${code} before its result`)));
  }
  for (const p of [...ready, ...results]) p.catch(() => {}); // handled below; no unhandled-rejection crash
  try {
    await Promise.all(ready);
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw e;
  }
  const flag = new Int32Array(signal);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  const ms = await Promise.all(results);
  await Promise.all(workers.map((w) => w.terminate()));
  return ms.reduce((sum, t) => sum + (iters * K * 8) / (t / 1000), 0);
}

/**
 * SIMD128 f32 mul+add peak, 1 thread and `threads` threads at once (each its own worker, none on the
 * main thread); `chains` is the K that ran fastest on 1 thread. @returns {{ flops1t, flopsNt, threads, chains }}
 */
export async function simd128Peak(threads) {
  let best = { flops1t: 0, chains: 0 };
  for (const K of [4, 6, 7]) {
    const f = await timeWorkers(K, 1);
    if (f > best.flops1t) best = { flops1t: f, chains: K };
  }
  const flopsNt = threads > 1 ? await timeWorkers(best.chains, threads) : best.flops1t;
  return { ...best, flopsNt, threads };
}
