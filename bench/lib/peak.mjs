// The machine's peaks, measured in the same run as the benchmark (bench/run.mjs calls measurePeaks once,
// before the columns), so GEMM/conv GFLOP/s and W2's GB/s can be printed as fractions of what this
// machine can do:
//
// - native float32 FMA peak: bench/peak/fma_peak.c, compiled here with `cc -O2 -pthread` into a temporary
//   directory (AVX-512F zmm FMAs, or AVX2+FMA where the CPU lacks AVX-512F; 12 independent chains),
//   on 1 thread and on `threads` threads at once;
// - memory bandwidth: the same program, y = a + b over 3 arrays of 256 MiB, 12 bytes counted per element
//   (as W2 counts), 1 and `threads` threads;
// - WebAssembly SIMD128 float32 peak: bench/peak/simd128_peak.mjs, a hand-assembled module of
//   independent f32x4.mul and f32x4.add chains (SIMD128 has no FMA), in worker threads, 1 and `threads`.
//
// `threads` defaults to what the iso-native column uses: ISOTENSOR_NUM_THREADS, else the core count.
// A missing compiler (or a non-x86 CPU for the FMA part) skips that part with a reason; nothing fails.
// The fractions use these measured peaks; a theoretical figure (nominal MHz x flops per cycle) is
// reported beside them for reference only (turbo clocks exceed the nominal MHz the kernel reports).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { simd128Peak } from '../peak/simd128_peak.mjs';

const peakDir = fileURLToPath(new URL('../peak/', import.meta.url));

/** The iso-native column's thread count (ISOTENSOR_NUM_THREADS, else one per core). */
export const defaultThreads = () => Number(process.env.ISOTENSOR_NUM_THREADS) || os.cpus().length;

/** vendor, family, nominal MHz and flags from /proc/cpuinfo (Linux; empty elsewhere). */
function cpuInfo() {
  try {
    const text = readFileSync('/proc/cpuinfo', 'utf8');
    const field = (k) => text.match(new RegExp(`^${k}\\s*:\\s*(.*)$`, 'm'))?.[1]?.trim();
    return { vendor: field('vendor_id'), family: Number(field('cpu family')), model: field('model name'),
      mhz: Number(field('cpu MHz')), flags: new Set((field('flags') ?? '').split(/\s+/)) };
  } catch {
    return { flags: new Set() };
  }
}

/**
 * Per-core flops per cycle by vendor and family, for the theoretical figure only:
 * zmm/ymm FMA instructions per cycle (x lanes x 2) and 128-bit mul+add pairs per cycle (x 4 lanes x 2).
 * Zen 4 (AMD family 25) runs AVX-512 on 256-bit units: 1 zmm FMA per cycle; it has 2 FP mul and 2 FP add
 * pipes: 2 SIMD128 pairs per cycle. Zen 5 (family 26): 2 zmm FMAs. Intel server cores: 2 zmm FMA ports
 * (1 on some Xeon SKUs), whose 2 FMA ports also take the muls and adds: 1 pair per cycle.
 */
function perCycle(cpu, isa) {
  const amd = cpu.vendor === 'AuthenticAMD', intel = cpu.vendor === 'GenuineIntel';
  let fmaPerCycle = null, pairsPerCycle = null, source = '';
  if (amd && cpu.family === 25) { fmaPerCycle = isa === 'avx512f' ? 1 : 2; pairsPerCycle = 2; source = 'AMD family 25 (Zen 3/4)'; }
  else if (amd && cpu.family === 26) { fmaPerCycle = 2; pairsPerCycle = 2; source = 'AMD family 26 (Zen 5)'; }
  else if (intel) { fmaPerCycle = 2; pairsPerCycle = 1; source = 'Intel (2 FMA ports assumed)'; }
  const lanes = isa === 'avx512f' ? 16 : 8;
  return { source, native: fmaPerCycle && fmaPerCycle * lanes * 2, wasm: pairsPerCycle && pairsPerCycle * 4 * 2,
    nativeText: fmaPerCycle && `${fmaPerCycle} ${isa === 'avx512f' ? 'zmm' : 'ymm'} FMA/cycle x ${lanes} lanes x 2`,
    wasmText: pairsPerCycle && `${pairsPerCycle} f32x4 mul+add pairs/cycle x 4 lanes x 2` };
}

/** Compiles and runs bench/peak/fma_peak.c: { isa, flops1t, flopsNt, bw1t, bwNt, ... } or { skipped }. */
function nativeProbe(threads) {
  const cc = process.env.CC || 'cc';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'isotensor-peak-'));
  try {
    const exe = path.join(dir, 'fma_peak');
    const build = spawnSync(cc, ['-O2', '-pthread', path.join(peakDir, 'fma_peak.c'), '-o', exe], { encoding: 'utf8', timeout: 60000 });
    if (build.error || build.status !== 0) {
      return { skipped: `cannot compile bench/peak/fma_peak.c with ${cc}: ${(build.error?.message ?? build.stderr).trim().split('\n')[0]}` };
    }
    const r = spawnSync(exe, [String(threads)], { encoding: 'utf8', timeout: 120000 });
    if (r.error || r.status !== 0) return { skipped: `fma_peak failed: ${(r.error?.message ?? r.stderr).trim().split('\n')[0]}` };
    return { ...JSON.parse(r.stdout.trim().split('\n').pop()), compiler: `${cc} -O2 -pthread` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let cached = null;

/**
 * Measures the peaks once per process (later calls return the same promise; `fresh` measures again).
 * @returns {Promise<{nativeF32Flops1t, nativeF32FlopsNt, nativeIsa, wasmF32Flops1t, wasmF32FlopsNt,
 *   bandwidthGBs, bandwidthGBs1t, threads, theoretical, how: string, skipped: object}>} FLOP/s and GB/s
 *   (null where skipped; `skipped.native` / `skipped.wasm` say why)
 */
export function measurePeaks({ threads = defaultThreads(), fresh = false } = {}) {
  if (cached && !fresh) return cached;
  cached = (async () => {
    const t0 = performance.now();
    const cpu = cpuInfo();
    const skipped = {};
    const nat = nativeProbe(threads);
    if (nat.skipped) skipped.native = nat.skipped;
    else if (!nat.flops1t) skipped.native = 'no AVX-512F or AVX2+FMA on this CPU (or not x86): no FMA peak';
    let wasm = {};
    try {
      wasm = await simd128Peak(threads);
    } catch (e) {
      skipped.wasm = `SIMD128 probe failed: ${e.message}`;
    }
    const isa = nat.isa && nat.isa !== 'none' ? nat.isa : null;
    // The theoretical figure needs the ISA even where the probe could not run: /proc/cpuinfo's flags.
    const pc = perCycle(cpu, isa ?? (cpu.flags.has('avx512f') ? 'avx512f' : 'avx2+fma'));
    const mhz = cpu.mhz || null;
    const theoretical = {
      mhz, source: pc.source,
      nativeF32Flops1t: mhz && pc.native ? mhz * 1e6 * pc.native : null, nativeText: pc.nativeText,
      wasmF32Flops1t: mhz && pc.wasm ? mhz * 1e6 * pc.wasm : null, wasmText: pc.wasmText,
      // The clock the native probe implies if the per-cycle figure is right (turbo shows up here).
      impliedGHz: pc.native && nat.flops1t ? nat.flops1t / pc.native / 1e9 : null,
    };
    const g = (x) => (x / 1e9).toFixed(1);
    const how = [
      isa ? `native: ${nat.compiler} bench/peak/fma_peak.c, ${isa} (${nat.lanes} f32 lanes), ${nat.chains} independent FMA chains, `
        + `best ~2 ms run of 100 per thread, summed over the threads running at once: ${g(nat.flops1t)} GFLOP/s on 1 thread, ${g(nat.flopsNt)} on ${threads}`
        + (isa !== 'avx512f' ? ' (no AVX-512F on this CPU: AVX2+FMA fallback)' : '')
        : `native: ${skipped.native}`,
      wasm.flops1t ? `wasm: hand-assembled SIMD128 module, ${wasm.chains} f32x4.mul chains feeding ${wasm.chains} f32x4.add chains `
        + `(8 flops per mul+add pair; SIMD128 has no FMA), in Node worker threads, best ~2 ms call of 60 per thread, summed over the threads running at once: `
        + `${g(wasm.flops1t)} GFLOP/s on 1 thread, ${g(wasm.flopsNt)} on ${threads} at once` : `wasm: ${skipped.wasm}`,
      nat.bwNt ? `bandwidth: y = a + b over 3 x ${nat.bytesPerArray / 2 ** 20} MiB float32 arrays, 12 bytes counted per element `
        + `(as W2 counts; write-allocate not counted), best of 12 passes: ${g(nat.bw1t)} GB/s on 1 thread, ${g(nat.bwNt)} on ${threads}`
        : `bandwidth: ${skipped.native}`,
      theoretical.nativeF32Flops1t ? `theoretical (reference only, not used): ${mhz} MHz (nominal, /proc/cpuinfo) x ${pc.nativeText} = `
        + `${g(theoretical.nativeF32Flops1t)} GFLOP/s per core native; x ${pc.wasmText} = ${g(theoretical.wasmF32Flops1t)} GFLOP/s per core SIMD128`
        + ` [${pc.source}]${theoretical.impliedGHz ? `; the native probe implies ${theoretical.impliedGHz.toFixed(2)} GHz (turbo)` : ''}`
        : 'theoretical: CPU not in the table (bench/lib/peak.mjs)',
    ].join('\n');
    return {
      nativeF32Flops1t: nat.flops1t || null, nativeF32FlopsNt: nat.flopsNt || null, nativeIsa: isa,
      wasmF32Flops1t: wasm.flops1t ?? null, wasmF32FlopsNt: wasm.flopsNt ?? null, wasmChains: wasm.chains ?? null,
      bandwidthGBs: nat.bwNt ? nat.bwNt / 1e9 : null, bandwidthGBs1t: nat.bw1t ? nat.bw1t / 1e9 : null,
      threads, cpu: cpu.model ?? null, theoretical, how, skipped, seconds: (performance.now() - t0) / 1000,
    };
  })();
  return cached;
}

/**
 * The peak a column is held to: `kind` 'native' (FMA) or 'wasm' (SIMD128) FLOP/s, or 'bandwidth' (GB/s),
 * at `t` threads: the 1-thread figure for 1, the all-thread figure for `peaks.threads`, t x the 1-thread
 * figure (capped by the all-thread one) in between, and the all-thread figure scaled by t / threads
 * above (a column with more threads than the probe, e.g. ISOTENSOR_NUM_THREADS=1 beside torch-2t).
 * Null when that probe was skipped.
 */
export function peakAt(peaks, kind, t) {
  const [one, all] = kind === 'native' ? [peaks.nativeF32Flops1t, peaks.nativeF32FlopsNt]
    : kind === 'wasm' ? [peaks.wasmF32Flops1t, peaks.wasmF32FlopsNt]
      : [peaks.bandwidthGBs1t, peaks.bandwidthGBs];
  if (!one || !all || !(t >= 1)) return null;
  if (t === 1) return one;
  if (t === peaks.threads) return all;
  return t < peaks.threads ? Math.min(all, one * t) : (all * t) / peaks.threads;
}
