// mx.onnx's narrow element types (float8, float4, int4, int2), held widened in float32/int8/uint8 and
// tagged: every code of each type decoded from a TensorProto (raw_data packed, and int32_data) against
// ml_dtypes' values (test/fixtures/gen_round_to_format.py), elementType(), and session feeds given as
// plain values, and writeTensor back. Cast/CastLike/QuantizeLinear/DequantizeLinear run in onnx.test.ts's node cases.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { expectError } from '../helpers/errors';

const { nd } = mx;
const FIX = join(__dirname, '../fixtures');
const tables = (JSON.parse(readFileSync(join(FIX, 'round_to_format.json'), 'utf8')) as { tables: Record<string, (number | string)[]> }).tables;
const num = (v: number | string): number => (v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Number(v));

// ONNX element type numbers, bits per element and carrier dtypes.
const TYPES: Record<string, { code: number; bits: number; carrier: string }> = {
  float8e4m3fn: { code: 17, bits: 8, carrier: 'float32' }, float8e4m3fnuz: { code: 18, bits: 8, carrier: 'float32' },
  float8e5m2: { code: 19, bits: 8, carrier: 'float32' }, float8e5m2fnuz: { code: 20, bits: 8, carrier: 'float32' },
  uint4: { code: 21, bits: 4, carrier: 'uint8' }, int4: { code: 22, bits: 4, carrier: 'int8' },
  float4e2m1: { code: 23, bits: 4, carrier: 'float32' }, float8e8m0: { code: 24, bits: 8, carrier: 'float32' },
  uint2: { code: 25, bits: 2, carrier: 'uint8' }, int2: { code: 26, bits: 2, carrier: 'int8' },
};

function varint(n: number): number[] {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 128)) out.push((n & 0x7f) | 0x80);
  out.push(n);
  return out;
}

/** A TensorProto: dims (1), data_type (2), and raw_data (9) or int32_data (5, packed). */
function tensorProto(dims: number[], type: number, data: { raw?: number[]; int32?: number[] }): Uint8Array {
  const b: number[] = [];
  for (const d of dims) b.push(0x08, ...varint(d));
  b.push(0x10, ...varint(type));
  if (data.raw) b.push(0x4a, ...varint(data.raw.length), ...data.raw);
  if (data.int32) {
    const body = data.int32.flatMap(varint);
    b.push(0x2a, ...varint(body.length), ...body);
  }
  return Uint8Array.from(b);
}

/** Codes 0..n-1 packed `bits` to a byte, low bits first. */
function pack(n: number, bits: number): number[] {
  const per = 8 / bits;
  const out = new Array<number>(Math.ceil(n / per)).fill(0);
  for (let c = 0; c < n; c++) out[Math.floor(c / per)]! |= c << ((c % per) * bits);
  return out;
}

function expectValues(got: ArrayLike<number>, want: number[], what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i]!)) expect(Number.isNaN(got[i]!), `${what} code ${i}: ${got[i]}, expected NaN`).toBe(true);
    else expect(got[i], `${what} code ${i}`).toBe(want[i]);
  }
}

/** An array's values as plain numbers (int64 included). */
const nums = (x: any): number[] => Array.from(x.dataSync() as ArrayLike<number | bigint>, Number);

beforeAll(async () => {
  await mx.ready();
});

describe('narrow ONNX element types', () => {
  for (const [name, t] of Object.entries(TYPES)) {
    it(`${name}: every code, read from packed raw_data`, () => {
      const want = tables[name]!.map(num);
      const x = mx.onnx.readTensorSync(tensorProto([want.length], t.code, { raw: pack(want.length, t.bits) }));
      expect(x.dtype).toBe(t.carrier);
      expect(mx.onnx.elementType(x)).toBe(name);
      expectValues(nums(x), want, name);
      x.dispose();
    });
  }

  it('writeTensor encodes every narrow type back (packed), and plain dtypes as raw data', () => {
    for (const [name, t] of Object.entries(TYPES)) {
      const want = tables[name]!.map(num);
      const x = mx.onnx.readTensorSync(tensorProto([want.length], t.code, { raw: pack(want.length, t.bits) }));
      const bytes = mx.onnx.writeTensor(x, 'w');
      const y = mx.onnx.readTensorSync(bytes);
      expect(mx.onnx.elementType(y), name).toBe(name);
      expectValues(nums(y), want, `${name} written and read`);
      // Packed: a 4-bit tensor of 16 values takes 8 bytes of data, a 2-bit one of 4 values 1.
      if (t.bits < 8) expect(bytes.length, name).toBeLessThan(want.length + 8);
      x.dispose();
      y.dispose();
    }
    for (const dtype of ['float16', 'int64', 'bool', 'float64'] as const) {
      const a = nd.array([1, 0, 3], { dtype });
      const b = mx.onnx.readTensorSync(mx.onnx.writeTensor(a));
      expect(b.dtype).toBe(dtype);
      expect(nums(b)).toEqual(nums(a));
    }
  });

  it('int32_data holds one byte of codes per entry (float8: one code; int4: two)', () => {
    const f8 = mx.onnx.readTensorSync(tensorProto([3], 17, { int32: [0x38, 0x7e, 0xff] }));
    expectValues(nums(f8), [1, 448, NaN], 'float8e4m3fn');
    const i4 = mx.onnx.readTensorSync(tensorProto([3], 22, { int32: [0xf7, 0x08] }));
    expectValues(nums(i4), [7, -1, -8], 'int4');  // odd count: the last nibble pads
    expect(mx.onnx.elementType(i4)).toBe('int4');
  });

  it('elementType of plain arrays is the ONNX name of their dtype', () => {
    expect(mx.onnx.elementType(nd.zeros([1]))).toBe('float');
    expect(mx.onnx.elementType(nd.zeros([1], { dtype: 'int64' }))).toBe('int64');
    expect(mx.onnx.elementType(nd.zeros([1], { dtype: 'float64' }))).toBe('double');
  });

  it('a tensor with too few bytes for its shape is an error naming it', () => {
    expectError(() => mx.onnx.readTensorSync(tensorProto([5], 22, { raw: [0x11, 0x22] })), 'onnx.readTensor', '4 int4 values', 'needs 5');
  });
});

describe('sessions with narrow inputs and outputs', () => {
  const model = (name: string) => join(FIX, 'onnx/node', name, 'model.onnx');

  it('a float8 input given as float32 values is rounded onto the grid (saturating)', () => {
    const s = mx.onnx.InferenceSession.createSync(model('test_cast_FLOAT8E4M3FN_to_FLOAT'));
    expect(s.inputMetadata[0]!.elementType).toBe('float8e4m3fn');
    expect(s.inputMetadata[0]!.dtype).toBe('float32');
    const out = s.run({ [s.inputNames[0]!]: nd.array([0.3, 1000, -0.0117]) })[s.outputNames[0]!]!;
    expect(Array.from(out.dataSync() as Float32Array)).toEqual([0.3125, 448, -0.01171875]);
    expect(mx.onnx.elementType(out)).toBe('float');
    expectError(() => s.run({ [s.inputNames[0]!]: nd.array([1], { dtype: 'int32' }) }), 'input', 'float8e4m3fn', 'int32');
    s.dispose();
  });

  it('an int4 input given as plain integers wraps as storing it would', () => {
    const s = mx.onnx.InferenceSession.createSync(model('test_cast_INT4_to_FLOAT'));
    const feed = nd.array([9, -3, 7], { dtype: 'int32' });
    const out = s.run({ [s.inputNames[0]!]: feed })[s.outputNames[0]!]!;
    expect(Array.from(out.dataSync() as Float32Array)).toEqual([-7, -3, 7]);
    out.dispose();
    // The rounded copies of the feed the session makes are freed after each run.
    const before = mx.memoryInfo().liveArrays;
    for (let i = 0; i < 10; i++) s.run({ [s.inputNames[0]!]: feed })[s.outputNames[0]!]!.dispose();
    expect(mx.memoryInfo().liveArrays).toBe(before);
    s.dispose();
  });

  it('Cast to a narrow type gives a tagged carrier array', () => {
    const s = mx.onnx.InferenceSession.createSync(model('test_cast_FLOAT_to_INT4'));
    const out = s.run({ [s.inputNames[0]!]: nd.array([-9, 2.7, 8]) })[s.outputNames[0]!]!;
    expect(out.dtype).toBe('int8');
    expect(mx.onnx.elementType(out)).toBe('int4');
    expect(Array.from(out.dataSync() as Int8Array)).toEqual([7, 2, -8]);
    s.dispose();
  });
});
