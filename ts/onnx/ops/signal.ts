// ONNX signal-processing operators: DFT, STFT, window functions, MelWeightMatrix
// SPDX-License-Identifier: Apache-2.0
//
// Transforms are matrix products with host-built cos/sin matrices: the op core has no FFT, and a
// dense DFT over one axis is one `dot`, exact to float rounding, and works on Symbols as well.
import type { DType } from '../../base/dtype.js';
import { converter, numbersOf, type NodeContext, type Value } from '../convert.js';
import { dtypeOfOnnx } from '../tensor.js';

/** What a DFT matrix computes. */
interface DftKind {
  inverse: boolean;
  /** Forward: keep bins 0..L/2. Inverse: input holds bins 0..L/2 of a real signal (irfft). */
  onesided: boolean;
}

/**
 * The (nIn*cin, nOut*cout) matrix mapping a signal of nIn samples with cin parts (1 real, 2 complex)
 * to its transform: rows and columns interleave (index, part) as the ONNX complex layout does.
 * `window` scales input sample j (STFT).
 */
function dftMatrix(nIn: number, cin: number, L: number, kind: DftKind, window?: readonly number[]):
    { values: Float64Array; nOut: number; cout: number } {
  const irfft = kind.inverse && kind.onesided;
  const nOut = irfft ? L : kind.onesided ? Math.floor(L / 2) + 1 : L;
  const cout = irfft ? 1 : 2;
  // Samples beyond L are cut off (numpy's fft(n=L)); irfft reads only bins 0..L/2.
  const used = Math.min(nIn, irfft ? Math.floor(L / 2) + 1 : L);
  const cols = nOut * cout;
  const m = new Float64Array(nIn * cin * cols);
  const sign = kind.inverse ? 1 : -1;
  const scale = kind.inverse ? 1 / L : 1;
  for (let j = 0; j < used; j++) {
    const w = window?.[j] ?? 1;
    // irfft: bins other than 0 and L/2 stand for their mirrored conjugates too.
    const herm = irfft && j !== 0 && 2 * j !== L ? 2 : 1;
    for (let k = 0; k < nOut; k++) {
      // (j*k mod L) keeps the angle exact for long transforms.
      const t = (2 * Math.PI * ((j * k) % L)) / L;
      const cs = Math.cos(t) * w * scale * herm;
      const sn = sign * Math.sin(t) * w * scale * herm;
      // (a + ib)(cos + i·sn) = (a cos - b sn) + i(a sn + b cos)
      const r0 = j * cin * cols;
      m[r0 + k * cout] = cs;
      if (cout === 2) m[r0 + k * cout + 1] = sn;
      if (cin === 2) {
        m[r0 + cols + k * cout] = -sn;
        if (cout === 2) m[r0 + cols + k * cout + 1] = cs;
      }
    }
  }
  return { values: m, nOut, cout };
}

/**
 * Applies a DFT matrix to x (..., n at `axis`, ..., cin): moves the signal axis and the complex
 * part next to each other at the end, flattens them, multiplies, and moves them back.
 */
function transform(c: NodeContext, x: Value, axis: number, L: number, kind: DftKind, dtype: DType, window?: readonly number[]): Value {
  const s = c.shape(x);
  const r = s.length;
  const cin = s[r - 1]!;
  if (cin !== 1 && cin !== 2) c.fail(`the last dimension must be 1 (real) or 2 (complex), got ${cin}`);
  if (axis === r - 1) c.fail('the transform axis cannot be the last (complex) dimension');
  if (L < 1) c.fail(`dft_length must be positive, got ${L}`);
  const nIn = s[axis]!;
  const { values, nOut, cout } = dftMatrix(nIn, cin, L, kind, window);
  const w = c.constant(values, [nIn * cin, nOut * cout], dtype);
  const perm = [...Array.from({ length: r - 1 }, (_, i) => i).filter((i) => i !== axis), axis, r - 1];
  const moved = axis === r - 2 ? x : c.op('transpose', [x], { axes: perm });
  const rest = perm.slice(0, r - 2).map((i) => s[i]!);
  const flat = c.op('Reshape', [moved], { shape: [...rest, nIn * cin] });
  const y = c.op('Reshape', [c.op('dot', [flat, w])], { shape: [...rest, nOut, cout] });
  if (axis === r - 2) return y;
  const inv = new Array<number>(r);
  perm.forEach((p, i) => (inv[p] = i));
  return c.op('transpose', [y], { axes: inv });
}

/** A known scalar input as a number. */
function knownScalar(c: NodeContext, i: number, what: string): number {
  const v = numbersOf(c.known(i, what));
  if (v.length !== 1) c.fail(`input ${i} (${what}) must hold one value, got ${v.length}`);
  return v[0]!;
}

function dft(c: NodeContext, axisAttr: number | undefined): Value {
  const x = c.input(0);
  const r = c.rank(x);
  const axis = c.axis(axisAttr ?? (c.has(2) ? knownScalar(c, 2, 'axis') : -2), r);
  const inverse = c.int('inverse', 0) !== 0;
  const onesided = c.int('onesided', 0) !== 0;
  const n = c.shape(x)[axis]!;
  const L = c.has(1) ? knownScalar(c, 1, 'dft_length') : inverse && onesided ? 2 * (n - 1) : n;
  return transform(c, x, axis, L, { inverse, onesided }, c.dtype(x));
}

// Opset 17 takes the axis as an attribute (default 1); opset 20 as input 2 (default -2).
converter('DFT', (c) => dft(c, c.int('axis', 1)), 17);
converter('DFT', (c) => dft(c, undefined), 20);

converter('STFT', (c) => {
  const x = c.input(0);
  const s = c.shape(x, 'the signal');
  if (s.length !== 3) c.fail(`the signal must be (batch, length, 1 or 2), got shape (${s.join(', ')})`);
  const step = knownScalar(c, 1, 'frame_step');
  if (step < 1) c.fail(`frame_step must be positive, got ${step}`);
  const win = c.has(2) ? c.input(2) : undefined;
  const winLen = win !== undefined ? c.shape(win, 'the window') : undefined;
  if (winLen !== undefined && winLen.length !== 1) c.fail(`the window must be 1-D, got shape (${winLen.join(', ')})`);
  const L = c.has(3) ? knownScalar(c, 3, 'frame_length') : winLen?.[0] ?? s[1]!;
  if (winLen !== undefined && winLen[0] !== L) c.fail(`the window has ${winLen[0]} values, frame_length is ${L}`);
  if (L < 1 || L > s[1]!) c.fail(`frame_length ${L} must be in [1, ${s[1]}] (the signal length)`);
  const frames = 1 + Math.floor((s[1]! - L) / step);
  // Frame f holds samples f*step .. f*step+L-1: one take builds (batch, frames, L, parts).
  const idx = new Array<number>(frames * L);
  for (let f = 0; f < frames; f++) for (let j = 0; j < L; j++) idx[f * L + j] = f * step + j;
  let framed = c.op('take', [x, c.constant(idx, [frames, L], 'int64')], { axis: 1 });
  // A known window folds into the DFT matrix; a computed one scales the frames.
  const w = win !== undefined && c.isKnown(win) ? numbersOf(win) : undefined;
  if (win !== undefined && w === undefined) framed = c.op('broadcast_mul', [framed, c.op('Reshape', [win], { shape: [1, 1, L, 1] })]);
  return transform(c, framed, 2, L, { inverse: false, onesided: c.int('onesided', 1) !== 0 }, c.dtype(x), w);
}, 17);

/** A window of `size` points: f(n, N) with N the period (size when periodic, size-1 otherwise). */
function windowOp(name: string, f: (n: number, N: number) => number): void {
  converter(name, (c) => {
    const size = knownScalar(c, 0, 'size');
    if (size < 0) c.fail(`size must not be negative, got ${size}`);
    const N = c.int('periodic', 1) !== 0 ? size : size - 1;
    const dtype = dtypeOfOnnx(c.int('output_datatype', 1), `${c.label}: output_datatype`);
    const vals = Array.from({ length: size }, (_, n) => f(n, N));
    return c.constant(vals, [size], dtype);
  }, 17);
}

windowOp('HannWindow', (n, N) => Math.sin((Math.PI * n) / N) ** 2);
windowOp('HammingWindow', (n, N) => 25 / 46 - (21 / 46) * Math.cos((2 * Math.PI * n) / N));
windowOp('BlackmanWindow', (n, N) => 0.42 - 0.5 * Math.cos((2 * Math.PI * n) / N) + 0.08 * Math.cos((4 * Math.PI * n) / N));

converter('MelWeightMatrix', (c) => {
  const bins = knownScalar(c, 0, 'num_mel_bins');
  const L = knownScalar(c, 1, 'dft_length');
  const rate = knownScalar(c, 2, 'sample_rate');
  const lo = knownScalar(c, 3, 'lower_edge_hertz');
  const hi = knownScalar(c, 4, 'upper_edge_hertz');
  if (bins < 1 || L < 1 || rate <= 0) c.fail('num_mel_bins, dft_length and sample_rate must be positive');
  const spec = Math.floor(L / 2) + 1;
  // As the ONNX reference: bins+2 points evenly spaced on the mel scale, mapped to DFT bin indices.
  const loMel = (2595 * Math.log1p(lo / 700)) / Math.LN10;
  const hiMel = (2595 * Math.log1p(hi / 700)) / Math.LN10;
  const step = (hiMel - loMel) / (bins + 2);
  const edge = Array.from({ length: bins + 2 }, (_, i) => {
    const hz = 700 * Math.expm1((((i * step + loMel) / 2595) * Math.LN10));
    return Math.trunc(Math.floor(((L + 1) * hz) / rate));
  });
  const out = new Float64Array(spec * bins);
  const set = (j: number, i: number, v: number): void => {
    if (j < 0 || j >= spec) c.fail(`mel bin ${i} reaches DFT bin ${j}, outside [0, ${spec}); is upper_edge_hertz above sample_rate / 2?`);
    out[j * bins + i] = v;
  };
  for (let i = 0; i < bins; i++) {
    const [left, center, right] = [edge[i]!, edge[i + 1]!, edge[i + 2]!];
    if (center === left) set(center, i, 1);
    else for (let j = left; j <= center; j++) set(j, i, (j - left) / (center - left));
    for (let j = center; j < right; j++) set(j, i, (right - j) / (right - center));
  }
  return c.constant(out, [spec, bins], dtypeOfOnnx(c.int('output_datatype', 1), `${c.label}: output_datatype`));
}, 17);
