// MXNet's NDArray file format from bytes in a browser (nd.deserialize / nd.serializeAsync / nd.load): the byte-level
// half of test/unit/save-load.test.ts (the rest writes files), on the same Python-generated fixtures.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';

const { nd } = mx;
const dir = new URL('/test/fixtures/ndarray-files/', self.location.href);

interface Expected { dtype: string; shape: number[]; values?: (number | string)[]; pattern?: { mod: number; offset: number } }
interface Entry { file: string; description: string; kind?: 'list' | 'dict'; keys?: string[]; arrays?: Expected[]; error?: string }

async function fetchBytes(name: string): Promise<Uint8Array> {
  const r = await fetch(new URL(name, dir));
  if (!r.ok) throw new Error(`${name}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

const manifest = JSON.parse(new TextDecoder().decode(await fetchBytes('manifest.json'))) as { files: Entry[] };
const good = manifest.files.filter((e) => e.error === undefined);
const bad = manifest.files.filter((e) => e.error !== undefined);
const bytes = new Map<string, Uint8Array>();
await Promise.all(manifest.files.map(async (e) => bytes.set(e.file, await fetchBytes(e.file))));
const fixture = (name: string): Uint8Array => bytes.get(name)!;

beforeAll(async () => {
  await mx.ready();
});

// Element values as numbers, or decimal strings for 64-bit integers; read without blocking.
async function valuesOf(x: any): Promise<(number | string)[]> {
  const d: any = await x.data();
  return Array.from(d as ArrayLike<number | bigint>, (v) =>
    (x.dtype === 'int64' || x.dtype === 'uint64' ? BigInt(v).toString() : Number(v)));
}

function same(got: number | string, want: number | string, dtype: string): boolean {
  if (typeof want === 'string' && dtype !== 'int64' && dtype !== 'uint64') {
    const g = Number(got);
    return want === 'nan' ? Number.isNaN(g) : want === 'inf' ? g === Infinity : want === '-inf' ? g === -Infinity : false;
  }
  if (typeof want === 'string') return String(got) === want;
  return dtype === 'float32' ? Math.fround(want) === got : want === got;
}

async function expectLike(loaded: any, e: Entry): Promise<void> {
  const pairs: [string | null, any][] = Array.isArray(loaded) ? loaded.map((a) => [null, a]) : Object.entries(loaded);
  expect(Array.isArray(loaded), `${e.file} is a ${e.kind}`).toBe(e.kind === 'list');
  if (e.kind === 'dict') expect(pairs.map((p) => p[0])).toEqual(e.keys);
  expect(pairs.length).toBe(e.arrays!.length);
  for (const [i, [k, a]] of pairs.entries()) {
    const want = e.arrays![i]!;
    const where = `${e.file} ${k ?? '#' + i}`;
    expect(a.dtype, `${where} dtype`).toBe(want.dtype);
    expect(Array.from(a.shape), `${where} shape`).toEqual(want.shape);
    const got = await valuesOf(a);
    const n = want.shape.reduce((p, q) => p * q, 1);
    const exp = want.pattern ? Array.from({ length: n }, (_, j) => (j % want.pattern!.mod) + want.pattern!.offset) : want.values!;
    expect(got.length, `${where} size`).toBe(exp.length);
    const wrong = exp.map((v, j) => (same(got[j]!, v, want.dtype) ? '' : `[${j}] ${got[j]} != ${v}`)).filter(Boolean);
    expect(wrong.slice(0, 5), `${where} values`).toEqual([]);
  }
}

describe('reading MXNet files from bytes', () => {
  for (const e of good) {
    it(`deserialize ${e.file}: ${e.description}`, async () => {
      await expectLike(nd.deserialize(fixture(e.file)), e);
    });
  }

  it('await nd.load(bytes) and nd.load(Response) give the same arrays', async () => {
    for (const e of good.slice(0, 6)) {
      await expectLike(await nd.load(fixture(e.file)), e);
      await expectLike(await nd.load(new Response(fixture(e.file).slice())), e);
    }
  });
});

describe('writing MXNet files to bytes', () => {
  it('serializes the seed example byte for byte as MXNet does (list and dict)', async () => {
    const a = nd.ones([2, 3]).mul(2);
    const b = nd.ones([2, 3]).mul(3);
    expect(await nd.serializeAsync([a, b])).toEqual(fixture('list.params'));
    expect(await nd.serializeAsync({ a, b })).toEqual(fixture('dict.params'));
  });

  it('re-serializes V2 and V3 fixtures to the very same bytes', async () => {
    for (const name of ['dtypes.params', 'scalars-v3.params', 'checkpoint-0000.params', 'empty-arrays.params',
      'gluon-structural.params', 'utf8-keys.params', 'empty-list.params']) {
      expect(await nd.serializeAsync(nd.deserialize(fixture(name))), name).toEqual(fixture(name));
    }
  });

  it('round-trips every dtype', async () => {
    const dtypes = ['float32', 'float64', 'float16', 'bfloat16', 'uint8', 'int8', 'int16', 'uint16', 'int32',
      'uint32', 'int64', 'uint64', 'bool'];
    const arrays: Record<string, any> = {};
    for (const dt of dtypes) arrays[dt] = nd.array(dt === 'bool' ? [[1, 0, 1], [0, 0, 1]] : [[0, 1, 2], [3, 4, 5]], { dtype: dt as any });
    const back: any = nd.deserialize(await nd.serializeAsync(arrays));
    expect(Object.keys(back)).toEqual(dtypes);
    for (const dt of dtypes) {
      expect(back[dt].dtype, dt).toBe(dt);
      expect(await valuesOf(back[dt]), dt).toEqual(await valuesOf(arrays[dt]));
    }
  });

  it('waits for pending writes before serializing', async () => {
    const x = nd.zeros([1000]);
    for (let i = 0; i < 10; ++i) x.iadd(1);
    const [y] = nd.deserialize(await nd.serializeAsync([x])) as any[];
    expect((await y.data())[999]).toBe(10);
  });
});

describe('rejecting bad bytes', () => {
  for (const e of bad) {
    it(`${e.file} → IsotensorError containing "${e.error}"`, async () => {
      expect(() => nd.deserialize(fixture(e.file))).toThrow(mx.IsotensorError);
      expect(() => nd.deserialize(fixture(e.file))).toThrow(e.error!);
      await expect(nd.load(fixture(e.file))).rejects.toThrow(e.error!);
    });
  }

  it('rejects every truncation of a good file', () => {
    const whole = fixture('sparse.params');
    for (let cut = 0; cut < whole.length; ++cut) {
      expect(() => nd.deserialize(whole.subarray(0, cut)), `cut at ${cut}`).toThrow(mx.IsotensorError);
    }
  });
});
