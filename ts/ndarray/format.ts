// NumPy-style printing of array values (MXNet's __repr__ prints numpy's str of asnumpy()).
// SPDX-License-Identifier: Apache-2.0
//
// Follows numpy's array2string defaults: precision 8, floatmode 'maxprec' (shortest unique repr
// per element for the element's own float type, at most 8 fractional digits), one format per
// array (common padding; scientific when max >= 1e8 or min < 1e-4 or max/min > 1e3), line width
// 75, and '...' summaries with 3 edge items above 1000 elements.
import {
  bfloat16BitsToFloat, floatToBFloat16Bits, floatToHalfBits, halfBitsToFloat, type DType,
} from '../base/dtype.js';

const PRECISION = 8;
const LINE_WIDTH = 75;
const THRESHOLD = 1000;
const EDGE_ITEMS = 3;

type Scalar = number | bigint;
type FloatKind = 'f16' | 'bf16' | 'f32' | 'f64';

function floatKind(d: DType): FloatKind | null {
  switch (d) {
    case 'float16': return 'f16';
    case 'bfloat16': return 'bf16';
    case 'float32': return 'f32';
    case 'float64': return 'f64';
    default: return null;
  }
}

function roundTo(kind: FloatKind, v: number): number {
  switch (kind) {
    case 'f16': return halfBitsToFloat(floatToHalfBits(v));
    case 'bf16': return bfloat16BitsToFloat(floatToBFloat16Bits(v));
    case 'f32': return Math.fround(v);
    default: return v;
  }
}

const MAX_DIGITS: Readonly<Record<FloatKind, number>> = { f16: 5, bf16: 4, f32: 9, f64: 17 };

/** Shortest digits that read back as the same value of `kind`: x = d.ddd × 10^exp (x > 0). */
function shortest(x: number, kind: FloatKind): { digits: string; exp: number } {
  let s = '';
  if (kind === 'f64') {
    s = x.toExponential();
  } else {
    for (let p = 1; p <= MAX_DIGITS[kind]; p++) {
      s = x.toExponential(p - 1);
      if (roundTo(kind, Number(s)) === x) break;
    }
  }
  const e = s.indexOf('e');
  return { digits: s.slice(0, e).replace('.', ''), exp: Number(s.slice(e + 1)) };
}

function stripZeros(frac: string): string {
  let n = frac.length;
  while (n > 0 && frac.charCodeAt(n - 1) === 48) n--;
  return frac.slice(0, n);
}

/** [integer part with sign, fraction digits] in positional notation, unique, ≤ PRECISION digits. */
function positionalParts(x: number, kind: FloatKind): [string, string] {
  const neg = x < 0 || Object.is(x, -0);
  const sign = neg ? '-' : '';
  const ax = Math.abs(x);
  if (ax === 0) return [sign + '0', ''];
  const { digits, exp } = shortest(ax, kind);
  if (digits.length - 1 - exp > PRECISION) {
    const fixed = ax.toFixed(PRECISION);
    const dot = fixed.indexOf('.');
    return [sign + fixed.slice(0, dot), stripZeros(fixed.slice(dot + 1))];
  }
  if (exp >= 0) {
    const intPart = digits.length > exp + 1 ? digits.slice(0, exp + 1) : digits + '0'.repeat(exp + 1 - digits.length);
    return [sign + intPart, digits.slice(exp + 1)];
  }
  return [sign + '0', '0'.repeat(-exp - 1) + digits];
}

/** [mantissa integer part with sign, mantissa fraction, exponent digits with sign] in scientific notation. */
function scientificParts(x: number, kind: FloatKind, fixedPrecision: number | null): [string, string, string] {
  const neg = x < 0 || Object.is(x, -0);
  const sign = neg ? '-' : '';
  const ax = Math.abs(x);
  let s: string;
  if (fixedPrecision !== null) {
    s = ax.toExponential(fixedPrecision);
  } else if (ax === 0) {
    s = '0e+0';
  } else {
    const { digits, exp } = shortest(ax, kind);
    s = digits.length - 1 > PRECISION ? ax.toExponential(PRECISION)
      : `${digits[0]}.${digits.slice(1)}e${exp >= 0 ? '+' : '-'}${Math.abs(exp)}`;
  }
  const e = s.indexOf('e');
  const mant = s.slice(0, e);
  const dot = mant.indexOf('.');
  const intPart = dot < 0 ? mant : mant.slice(0, dot);
  let frac = dot < 0 ? '' : mant.slice(dot + 1);
  if (fixedPrecision === null) frac = stripZeros(frac);
  const expNum = Number(s.slice(e + 1));
  return [sign + intPart, frac, (expNum < 0 ? '-' : '+') + String(Math.abs(expNum))];
}

type ElementFormatter = (v: Scalar) => string;

function floatFormatter(values: readonly number[], kind: FloatKind): ElementFormatter {
  const finite = values.filter((v) => Number.isFinite(v));
  let expFormat = false;
  let maxVal = 0;
  let minVal = Infinity;
  for (const v of finite) {
    const a = Math.abs(v);
    if (a === 0) continue;
    if (a > maxVal) maxVal = a;
    if (a < minVal) minVal = a;
  }
  if (minVal !== Infinity && (maxVal >= 1e8 || minVal < 0.0001 || maxVal / minVal > 1000)) expFormat = true;

  let padLeft = 0;
  let padRight = 0;
  let precision = PRECISION;
  let expSize = -1;
  if (finite.length > 0 && expFormat) {
    precision = 0;
    for (const v of finite) {
      const [i, f, e] = scientificParts(v, kind, null);
      padLeft = Math.max(padLeft, i.length);
      precision = Math.max(precision, f.length);
      expSize = Math.max(expSize, e.length - 1);
    }
    expSize = Math.max(expSize, 2);
    padRight = expSize + 2 + precision;
  } else if (finite.length > 0) {
    for (const v of finite) {
      const [i, f] = positionalParts(v, kind);
      padLeft = Math.max(padLeft, i.length);
      padRight = Math.max(padRight, f.length);
    }
  }
  if (finite.length !== values.length) {
    const negInf = values.some((v) => v === -Infinity) ? 1 : 0;
    const offset = padRight + 1;
    padLeft = Math.max(padLeft, 3 - offset, 3 + negInf - offset);
  }
  const width = padLeft + padRight + 1;
  return (raw: Scalar): string => {
    const v = Number(raw);
    if (!Number.isFinite(v)) {
      const s = Number.isNaN(v) ? 'nan' : v < 0 ? '-inf' : 'inf';
      return s.padStart(width);
    }
    if (expFormat) {
      const [i, f, e] = scientificParts(v, kind, precision);
      const digits = e.slice(1).padStart(expSize, '0');
      return `${i.padStart(padLeft)}.${f}e${e[0]}${digits}`;
    }
    const [i, f] = positionalParts(v, kind);
    return `${i.padStart(padLeft)}.${f.padEnd(padRight)}`;
  };
}

function intFormatter(values: readonly Scalar[]): ElementFormatter {
  let width = 0;
  for (const v of values) width = Math.max(width, String(v).length);
  return (v) => String(v).padStart(width);
}

function boolFormatter(): ElementFormatter {
  return (v) => (Number(v) !== 0 ? ' True' : 'False');
}

/** The elements numpy looks at to choose a format: everything, or the corners when summarised. */
function cornerValues(data: ArrayLike<Scalar>, shape: readonly number[], strides: readonly number[],
                      summarize: boolean): Scalar[] {
  const out: Scalar[] = [];
  const walk = (axis: number, offset: number): void => {
    if (axis === shape.length) {
      out.push(data[offset]!);
      return;
    }
    const n = shape[axis]!;
    const visit = (i: number): void => walk(axis + 1, offset + i * strides[axis]!);
    if (summarize && n > 2 * EDGE_ITEMS) {
      for (let i = 0; i < EDGE_ITEMS; i++) visit(i);
      for (let i = n - EDGE_ITEMS; i < n; i++) visit(i);
    } else {
      for (let i = 0; i < n; i++) visit(i);
    }
  };
  walk(0, 0);
  return out;
}

function extendLine(state: { s: string; line: string }, word: string, width: number, prefix: string): void {
  if (state.line.length + word.length > width && state.line.length > prefix.length) {
    state.s += state.line.trimEnd() + '\n';
    state.line = prefix;
  }
  state.line += word;
}

/** str() of a 0-d value, as numpy prints scalars. */
function scalarString(v: Scalar, dtype: DType): string {
  if (dtype === 'bool') return Number(v) !== 0 ? 'True' : 'False';
  const kind = floatKind(dtype);
  if (kind === null) return String(v);
  const x = Number(v);
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x < 0 ? '-inf' : 'inf';
  const a = Math.abs(x);
  if (a < 1e16 && (a >= 1e-4 || a === 0)) {
    const [i, f] = positionalParts(x, kind);
    return `${i}.${f === '' ? '0' : f}`;
  }
  const [i, f, e] = scientificParts(x, kind, null);
  return `${i}${f === '' ? '' : '.' + f}e${e[0]}${e.slice(1).padStart(2, '0')}`;
}

/**
 * numpy's `str(array)` of row-major values (float16/bfloat16 already widened to numbers).
 * @example formatValues(new Float32Array([1, 1, 1, 1, 1, 1]), [2, 3], 'float32') // '[[1. 1. 1.]\n [1. 1. 1.]]'
 */
export function formatValues(data: ArrayLike<Scalar>, shape: readonly number[], dtype: DType): string {
  const ndim = shape.length;
  if (ndim === 0) return scalarString(data[0]!, dtype);
  let size = 1;
  for (const d of shape) size *= d;
  if (size === 0) return '[]';
  const strides = new Array<number>(ndim);
  let st = 1;
  for (let k = ndim - 1; k >= 0; k--) {
    strides[k] = st;
    st *= shape[k]!;
  }
  const summarize = size > THRESHOLD;
  const sample = cornerValues(data, shape, strides, summarize);
  const kind = floatKind(dtype);
  const fmt = dtype === 'bool' ? boolFormatter()
    : kind !== null ? floatFormatter(sample.map(Number), kind) : intFormatter(sample);

  const recurse = (axis: number, offset: number, hanging: string, width: number): string => {
    if (axis === ndim) return fmt(data[offset]!);
    const nextHanging = hanging + ' ';
    const nextWidth = width - 1;
    const n = shape[axis]!;
    const showSummary = summarize && 2 * EDGE_ITEMS < n;
    const leading = showSummary ? EDGE_ITEMS : 0;
    const trailing = showSummary ? EDGE_ITEMS : n;
    const child = (i: number): string => recurse(axis + 1, offset + i * strides[axis]!, nextHanging, nextWidth);
    let s = '';
    if (axis === ndim - 1) {
      const elemWidth = width - 1;
      const state = { s: '', line: hanging };
      for (let i = 0; i < leading; i++) {
        extendLine(state, child(i), elemWidth, hanging);
        state.line += ' ';
      }
      if (showSummary) {
        extendLine(state, '...', elemWidth, hanging);
        state.line += ' ';
      }
      for (let i = trailing; i > 1; i--) {
        extendLine(state, child(n - i), elemWidth, hanging);
        state.line += ' ';
      }
      extendLine(state, child(n - 1), elemWidth, hanging);
      s = state.s + state.line;
    } else {
      const lineSep = '\n'.repeat(ndim - axis - 1);
      for (let i = 0; i < leading; i++) s += hanging + child(i) + lineSep;
      if (showSummary) s += hanging + '...' + lineSep;
      for (let i = trailing; i > 1; i--) s += hanging + child(n - i) + lineSep;
      s += hanging + child(n - 1);
    }
    return '[' + s.slice(hanging.length) + ']';
  };
  return recurse(0, 0, ' ', LINE_WIDTH);
}

/**
 * MXNet 1.x's NDArray repr: numpy's str of the values, then `<NDArray 2x3 @cpu(0)>`.
 * @example ndarrayRepr('[[1. 1.]]', [1, 2], 'cpu(0)') // '\n[[1. 1.]]\n<NDArray 1x2 @cpu(0)>'
 */
export function ndarrayRepr(values: string, shape: readonly number[], ctx: string): string {
  return `\n${values}\n<NDArray ${shape.join('x')} @${ctx}>`;
}
