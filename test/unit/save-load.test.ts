// MXNet's binary NDArray file format through the public API: fixtures, round trips, corrupt input.
//
// The fixtures and their manifest come from test/fixtures/gen_ndarray_files.py (plain numpy +
// struct, independent of the C++ reader/writer). Format decisions checked here (see
// core-cpp/io/ndarray_file.h): 0-d arrays are written as V3 records (and then the whole file is
// V3), MXNet "none" records load as float32 arrays of shape [0], sparse records load densified,
// the device in a record is ignored.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';

const { nd } = mx;
type Arr = any; // an NDArray; kept loose so the spec does not depend on the .d.ts details
// Load results are an array (list file) or a dict (keyed file); the spec indexes both ways.
const loadSync = (path: string): any => nd.loadSync(path);
const deserialize = (bytes: Uint8Array): any => nd.deserialize(bytes);
const load = (src: string | Uint8Array): Promise<any> => nd.load(src);

const FIXTURES = fileURLToPath(new URL('../fixtures/ndarray-files/', import.meta.url));
const manifest = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8'));

interface Expected {
  dtype: string;
  shape: number[];
  values?: (number | string)[];
  pattern?: { mod: number; offset: number };
  none?: boolean;
}
interface Entry {
  file: string;
  description: string;
  kind?: 'list' | 'dict';
  keys?: string[];
  arrays?: Expected[];
  error?: string;
}
const entries: Entry[] = manifest.files;
const good = entries.filter((e) => e.error === undefined);
const bad = entries.filter((e) => e.error !== undefined);
const fixture = (name: string) => join(FIXTURES, name);
const fixtureBytes = (name: string) => new Uint8Array(readFileSync(fixture(name)));
// A plain Uint8Array view, so Buffer vs Uint8Array never decides an equality.
const u8 = (b: Uint8Array) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

let tmp = '';
beforeAll(async () => {
  await mx.ready();
  tmp = mkdtempSync(join(tmpdir(), 'isotensor-save-load-'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

// ---- helpers ----

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const man = h & 0x3ff;
  if (exp === 0) return sign * man * 2 ** -24;
  if (exp === 31) return man ? NaN : sign * Infinity;
  return sign * (1 + man / 1024) * 2 ** (exp - 15);
}
function bf16ToFloat(b: number): number {
  const f = new Float32Array(1);
  new Uint32Array(f.buffer)[0] = b << 16;
  return f[0];
}

// Element values as numbers (floats, small ints, bool as 0/1) or decimal strings (int64/uint64),
// whatever TypedArray dataSync() picks for 16-bit floats and 64-bit ints.
function valuesOf(x: Arr): (number | string)[] {
  const d: any = x.dataSync();
  const out: (number | string)[] = [];
  for (let i = 0; i < d.length; ++i) {
    const v = d[i];
    if (x.dtype === 'int64' || x.dtype === 'uint64') {
      out.push(typeof v === 'bigint' ? v.toString() : BigInt(v).toString());
    } else if (x.dtype === 'float16' && d instanceof Uint16Array) {
      out.push(halfToFloat(v));
    } else if (x.dtype === 'bfloat16' && d instanceof Uint16Array) {
      out.push(bf16ToFloat(v));
    } else {
      out.push(Number(v));
    }
  }
  return out;
}

function expectedValues(e: Expected): (number | string)[] {
  if (e.pattern) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    return Array.from({ length: n }, (_, i) => (i % e.pattern!.mod) + e.pattern!.offset);
  }
  return e.values!;
}

function sameValue(got: number | string, want: number | string, dtype: string): boolean {
  if (typeof want === 'string' && dtype !== 'int64' && dtype !== 'uint64') {
    const g = Number(got);
    if (want === 'nan') return Number.isNaN(g);
    if (want === 'inf') return g === Infinity;
    if (want === '-inf') return g === -Infinity;
    return false;
  }
  if (typeof want === 'string') return String(got) === want;
  if (dtype === 'float32') return Math.fround(want) === got;
  return want === got;
}

function expectArray(x: Arr, want: Expected, where: string) {
  expect(x.dtype, `${where} dtype`).toBe(want.dtype);
  expect(Array.from(x.shape), `${where} shape`).toEqual(want.shape);
  const got = valuesOf(x);
  const exp = expectedValues(want);
  expect(got.length, `${where} size`).toBe(exp.length);
  const wrong: string[] = [];
  for (let i = 0; i < exp.length && wrong.length < 5; ++i) {
    if (!sameValue(got[i], exp[i], want.dtype)) wrong.push(`[${i}] ${got[i]} != ${exp[i]}`);
  }
  expect(wrong, `${where} values`).toEqual([]);
}

// A load result as [key, array] pairs: key null for list files.
function entriesOf(loaded: any): [string | null, Arr][] {
  if (Array.isArray(loaded)) return loaded.map((a) => [null, a]);
  if (loaded instanceof Map) return [...loaded.entries()];
  return Object.entries(loaded);
}

function checkAgainstManifest(loaded: any, e: Entry) {
  const pairs = entriesOf(loaded);
  if (e.kind === 'list') {
    expect(Array.isArray(loaded), `${e.file} is a list`).toBe(true);
  } else {
    expect(Array.isArray(loaded), `${e.file} is a dict`).toBe(false);
    expect(pairs.map((p) => p[0])).toEqual(e.keys);
  }
  expect(pairs.length).toBe(e.arrays!.length);
  pairs.forEach(([k, a], i) => expectArray(a, e.arrays![i], `${e.file} ${k ?? '#' + i}`));
}

// ---- fixtures written by the Python generator ----

describe('loading MXNet files', () => {
  for (const e of good) {
    it(`loadSync ${e.file}: ${e.description}`, () => {
      checkAgainstManifest(loadSync(fixture(e.file)), e);
    });
  }

  it('deserialize and async load give the same arrays as loadSync', async () => {
    for (const e of good) {
      checkAgainstManifest(deserialize(fixtureBytes(e.file)), e);
      checkAgainstManifest(await load(fixture(e.file)), e);
      checkAgainstManifest(await load(fixtureBytes(e.file)), e);
    }
  });

  it('places every loaded array on cpu(0), even one saved from gpu(1)', () => {
    const [g] = loadSync(fixture('gpu-context.params'));
    expect(g.context.toString()).toBe('cpu(0)');
  });

  it('reads arg:/aux: checkpoint keys and Gluon structural names verbatim', () => {
    const ck = loadSync(fixture('checkpoint-0000.params'));
    expect(Object.keys(ck)).toEqual(['arg:fc1_weight', 'arg:fc1_bias', 'aux:bn0_moving_mean', 'aux:bn0_moving_var']);
    expect(ck['arg:fc1_weight'].shape).toEqual([4, 3]);
    const gl = loadSync(fixture('gluon-structural.params'));
    expect(gl['features.0.weight'].shape).toEqual([2, 1, 3, 3]);
    expect(gl['output.bias'].shape).toEqual([3]);
  });
});

// ---- what isotensor writes ----

describe('writing MXNet files', () => {
  it('runs the seed example: save a list, load it back', () => {
    const a = nd.ones([2, 3]).mul(2);
    const b = nd.ones([2, 3]).mul(3);
    const path = join(tmp, 'mydata.bin');
    nd.saveSync(path, [a, b]);
    const c = loadSync(path);
    expect(c.length).toBe(2);
    expect(c[0].toArraySync()).toEqual([[2, 2, 2], [2, 2, 2]]);
    expect(c[1].toArraySync()).toEqual([[3, 3, 3], [3, 3, 3]]);
    // Byte for byte what MXNet's nd.save writes (the fixture was written from the format spec).
    expect(u8(readFileSync(path))).toEqual(fixtureBytes('list.params'));
  });

  it('runs the seed example: save a dict, load it back', () => {
    const a = nd.ones([2, 3]).mul(2);
    const b = nd.ones([2, 3]).mul(3);
    const path = join(tmp, 'mydict.bin');
    nd.saveSync(path, { a, b });
    const c = loadSync(path);
    expect(Object.keys(c)).toEqual(['a', 'b']);
    expect(c.a.toArraySync()).toEqual([[2, 2, 2], [2, 2, 2]]);
    expect(c.b.toArraySync()).toEqual([[3, 3, 3], [3, 3, 3]]);
    expect(u8(readFileSync(path))).toEqual(fixtureBytes('dict.params'));
    expect(u8(nd.serialize({ a, b }))).toEqual(fixtureBytes('dict.params'));
    expect(u8(nd.serialize([a, b]))).toEqual(fixtureBytes('list.params'));
  });

  it('await save / await load', async () => {
    const x = nd.array([[1, 2], [3, 4]]);
    const path = join(tmp, 'async.params');
    await nd.save(path, { x });
    const back = await load(path);
    expect(back.x.toArraySync()).toEqual([[1, 2], [3, 4]]);
    await nd.save(path, [x, x]);
    const list = await load(path);
    expect(list.length).toBe(2);
    expect(list[1].toArraySync()).toEqual([[1, 2], [3, 4]]);
  });

  it('re-serializes V2 and V3 fixtures to the very same bytes', () => {
    // dtypes.params: one array per type flag 0..12 (V2); scalars-v3.params: 0-d arrays (V3).
    for (const name of ['dtypes.params', 'scalars-v3.params', 'checkpoint-0000.params', 'empty-arrays.params',
      'gluon-structural.params', 'utf8-keys.params', 'empty-list.params']) {
      expect(u8(nd.serialize(deserialize(fixtureBytes(name)))), name).toEqual(fixtureBytes(name));
    }
  });

  it('round-trips every dtype', () => {
    const dtypes = ['float32', 'float64', 'float16', 'bfloat16', 'uint8', 'int8', 'int16', 'uint16', 'int32',
      'uint32', 'int64', 'uint64', 'bool'];
    const arrays: Record<string, Arr> = {};
    for (const dt of dtypes) {
      const vals = dt === 'bool' ? [[1, 0, 1], [0, 0, 1]] : [[0, 1, 2], [3, 4, 5]];
      arrays[dt] = nd.array(vals, { dtype: dt as any });
    }
    const back = deserialize(nd.serialize(arrays));
    expect(Object.keys(back)).toEqual(dtypes);
    for (const dt of dtypes) {
      expect(back[dt].dtype, dt).toBe(dt);
      expect(back[dt].shape, dt).toEqual([2, 3]);
      expect(valuesOf(back[dt]), dt).toEqual(valuesOf(arrays[dt]));
    }
  });

  it('writes 0-d arrays as V3 records and empty arrays as ordinary ones', () => {
    const s = nd.full([], 3.5);
    const v = nd.array([1, 2]);
    const e = nd.zeros([0, 3]);
    const bytes = nd.serialize([s, v, e]);
    // record 0 starts after the 24-byte header with the V3 magic 0xF993FACA, little-endian
    expect(Array.from(bytes.subarray(24, 28))).toEqual([0xca, 0xfa, 0x93, 0xf9]);
    const [s2, v2, e2] = deserialize(bytes);
    expect(s2.shape).toEqual([]);
    expect(s2.asScalar()).toBe(3.5);
    expect(v2.toArraySync()).toEqual([1, 2]);
    expect(e2.shape).toEqual([0, 3]);
    expect(e2.size).toBe(0);
    // Without a 0-d array the file is V2 (what mx.nd.save writes).
    const v2bytes = nd.serialize([v, e]);
    expect(Array.from(v2bytes.subarray(24, 28))).toEqual([0xc9, 0xfa, 0x93, 0xf9]);
    const [, e3] = deserialize(v2bytes);
    expect(e3.shape).toEqual([0, 3]);
  });

  it('saves views (slices, reshapes) as their own contents', () => {
    const base = nd.arange(0, 12).reshape([3, 4]);
    const [sl, rs] = deserialize(nd.serialize([base.slice(1, 3), base.reshape([2, 6])]));
    expect(sl.toArraySync()).toEqual([[4, 5, 6, 7], [8, 9, 10, 11]]);
    expect(rs.shape).toEqual([2, 6]);
    expect(rs.dataSync()[11]).toBe(11);
  });

  it('waits for pending writes before saving', () => {
    const x = nd.zeros([1000]);
    for (let i = 0; i < 10; ++i) x.iadd(1);
    const [y] = deserialize(nd.serialize([x]));
    expect(y.dataSync()[999]).toBe(10);
  });

  it('round-trips a big array (16 MiB)', () => {
    const n = 1 << 22;
    const x = nd.arange(0, n);
    const bytes = nd.serialize({ x });
    expect(bytes.length).toBe(24 + 4 + 4 + 4 + 8 + 8 + 4 + 4 * n + 8 + 8 + 1);
    const y = deserialize(bytes).x;
    expect(y.shape).toEqual([n]);
    const d = y.dataSync();
    expect(d[0]).toBe(0);
    expect(d[12345]).toBe(12345);
    expect(d[n - 1]).toBe(n - 1);
  });

  it('loads a none record as an empty float32 array of shape [0]', () => {
    const loaded = loadSync(fixture('none-records.params'));
    expect(loaded.length).toBe(6);
    for (const x of loaded.slice(0, 5)) {
      expect(x.shape).toEqual([0]);
      expect(x.dtype).toBe('float32');
    }
  });
});

// ---- corrupt and truncated input ----

describe('rejecting bad files', () => {
  for (const e of bad) {
    it(`${e.file} → IsotensorError containing "${e.error}"`, () => {
      let err: any = null;
      try {
        loadSync(fixture(e.file));
      } catch (x) {
        err = x;
      }
      expect(err).toBeInstanceOf(mx.IsotensorError);
      expect(String(err.message)).toContain(e.error);
      expect(() => deserialize(fixtureBytes(e.file))).toThrow(mx.IsotensorError);
    });
  }

  it('rejects asynchronously too', async () => {
    await expect(load(fixture('bad-header.params'))).rejects.toThrow(mx.IsotensorError);
    await expect(load(fixtureBytes('bad-truncated-data.params'))).rejects.toThrow(/record 1 needs 24 bytes/);
  });

  it('rejects every truncation of a good file', () => {
    const whole = fixtureBytes('sparse.params');
    for (let cut = 0; cut < whole.length; ++cut) {
      expect(() => deserialize(whole.subarray(0, cut)), `cut at ${cut}`).toThrow(mx.IsotensorError);
    }
  });

  it('survives corrupted bytes: loads or throws IsotensorError, nothing else', () => {
    const base = fixtureBytes('dtypes.params');
    let state = 12345;
    const rand = () => (state = (state * 1103515245 + 12345) % 2147483648);
    for (let t = 0; t < 300; ++t) {
      const b = base.slice();
      b[rand() % b.length] = rand() & 0xff;
      try {
        deserialize(b);
      } catch (x) {
        expect(x).toBeInstanceOf(mx.IsotensorError);
      }
    }
  });

  it('keeps working after all those failures', () => {
    const x = nd.ones([2, 2]).add(1);
    expect(Array.from(x.dataSync())).toEqual([2, 2, 2, 2]);
    const [a] = loadSync(fixture('list.params'));
    expect(a.toArraySync()).toEqual([[2, 2, 2], [2, 2, 2]]);
    const path = join(tmp, 'after.params');
    writeFileSync(path, nd.serialize([x]));
    expect(loadSync(path)[0].toArraySync()).toEqual([[2, 2], [2, 2]]);
  });
});
