// mx.recordio: RecordIO files as MXNet 1.9 writes them (test/fixtures/recordio/gen_recordio.py: dmlc's framing
// with the magic word split out, recordio.py's .idx lines, pack/pack_img headers), read back and written
// byte for byte, from paths and from memory; image records decoded as cv2.imdecode does; bad input.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { expectError } from '../helpers/errors';

const DIR = join(__dirname, '../fixtures/recordio');
const file = (f: string): Uint8Array => new Uint8Array(readFileSync(join(DIR, f)));
const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const same = (a: Uint8Array | null, b: Uint8Array): boolean => a !== null && Buffer.from(a).equals(Buffer.from(b));

interface LabelEntry {
  key: number; flag: number; label: number | number[]; id: number; id2: number; payload: string; record: string;
  given: { flag: number; label: number | number[]; id: number; id2: number };
}
interface ImageEntry {
  name: string; key: number; label: number | number[]; id: number; format: '.jpg' | '.png'; quality: number;
  source_shape: number[]; source: string; decoded: Record<string, { shape: number[]; pixels: string }>;
}
const manifest = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as {
  plain: string[]; magic: string[]; labels: LabelEntry[]; images: ImageEntry[];
};

let tmp = '';
beforeAll(async () => {
  await mx.ready();
  tmp = mkdtempSync(join(tmpdir(), 'isotensor-recordio-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function readAll(r: mx.recordio.MXRecordIO): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let rec = r.read(); rec !== null; rec = r.read()) out.push(rec);
  return out;
}

describe('MXRecordIO reads what MXNet writes', () => {
  for (const name of ['plain', 'magic'] as const) {
    it(`${name}.rec from a path, a Uint8Array and an ArrayBuffer`, () => {
      const want = manifest[name].map(hex);
      for (const src of [join(DIR, `${name}.rec`), file(`${name}.rec`), file(`${name}.rec`).slice().buffer]) {
        const r = new mx.recordio.MXRecordIO(src, 'r');
        const got = readAll(r);
        expect(got.length).toBe(want.length);
        got.forEach((g, i) => expect(same(g, want[i]!), `record ${i}`).toBe(true));
        expect(r.read()).toBeNull();  // stays at the end
        r.close();
      }
    });
  }

  it('records holding the magic word come back whole (parts joined with the word)', () => {
    const r = new mx.recordio.MXRecordIO(file('magic.rec'), 'r');
    const first = r.read()!;
    expect(Array.from(first)).toEqual([0x0a, 0x23, 0xd7, 0xce]);
    // The record 'abcd' M M 'ijklm' M is stored as 3 parts; its unaligned last M stays in the data.
    for (let i = 1; i < 3; i++) r.read();
    expect(Buffer.from(r.read()!).toString('latin1')).toBe('abcd\x0a\x23\xd7\xce\x0a\x23\xd7\xceijklm\x0a\x23\xd7\xce');
  });

  it('tell, reset, reopen', () => {
    const r = new mx.recordio.MXRecordIO(join(DIR, 'plain.rec'), 'r');
    expect(r.tell()).toBe(0);
    r.read();
    expect(r.tell()).toBe(8);  // the empty record is its 8-byte header
    r.read();
    expect(r.tell()).toBe(8 + 12);  // 'a' padded to 4
    r.reset();
    expect(r.tell()).toBe(0);
    expect(r.read()!.length).toBe(0);
    r.close();
    r.close();  // closing twice is fine
    expectError(() => r.read(), 'MXRecordIO.read', 'plain.rec', 'closed');
    r.open();
    expect(readAll(r).length).toBe(manifest.plain.length);
  });
});

describe('MXRecordIO writes what MXNet writes, byte for byte', () => {
  for (const name of ['plain', 'magic'] as const) {
    it(`${name}.rec in memory and to a path`, () => {
      const mem = new mx.recordio.MXRecordIO(null, 'w');
      const path = join(tmp, `${name}.rec`);
      const disk = new mx.recordio.MXRecordIO(path, 'w');
      for (const h of manifest[name]) {
        mem.write(hex(h));
        disk.write(hex(h).buffer as ArrayBuffer);
      }
      expect(mem.tell()).toBe(file(`${name}.rec`).length);
      mem.close();
      disk.close();
      expect(same(mem.bytes(), file(`${name}.rec`))).toBe(true);
      expect(same(new Uint8Array(readFileSync(path)), file(`${name}.rec`))).toBe(true);
      expect(readAll(new mx.recordio.MXRecordIO(mem.bytes(), 'r')).length).toBe(manifest[name].length);
    });
  }

  it('strings are written as UTF-8; reset empties the file', () => {
    const path = join(tmp, 'reset.rec');
    const w = new mx.recordio.MXRecordIO(path, 'w');
    w.write('gone');
    w.reset();
    for (let i = 0; i < 3; i++) w.write(`record_${i}`);
    w.write('ünï');
    w.close();
    const got = readAll(new mx.recordio.MXRecordIO(path, 'r')).map((b) => new TextDecoder().decode(b));
    expect(got).toEqual(['record_0', 'record_1', 'record_2', 'ünï']);
  });

  it('round trips records of every length, with magic words anywhere', () => {
    const w = new mx.recordio.MXRecordIO(null, 'w');
    const recs: Uint8Array[] = [];
    for (let n = 0; n < 40; n++) {
      const b = new Uint8Array(n).map((_, i) => (i * 37 + n) & 255);
      for (let at = n % 5; at + 4 <= n; at += 7) b.set([0x0a, 0x23, 0xd7, 0xce], at);
      recs.push(b);
      w.write(b);
    }
    const got = readAll(new mx.recordio.MXRecordIO(w.bytes(), 'r'));
    expect(got.length).toBe(recs.length);
    got.forEach((g, i) => expect(same(g, recs[i]!), `record ${i}`).toBe(true));
  });
});

describe('MXIndexedRecordIO', () => {
  it('reads the .idx and seeks by key', () => {
    const keys = manifest.labels.map((e) => e.key);
    for (const [idx, rec] of [[join(DIR, 'labels.idx'), join(DIR, 'labels.rec')], [file('labels.idx'), file('labels.rec')]] as const) {
      const r = new mx.recordio.MXIndexedRecordIO(idx, rec, 'r');
      expect(r.keys).toEqual(keys);
      expect(r.idx.get(3)).toBe(40);
      for (const e of [...manifest.labels].reverse()) expect(same(r.readIdx(e.key), hex(e.record)), `key ${e.key}`).toBe(true);
      r.seek(7);
      expect(same(r.read(), hex(manifest.labels[2]!.record))).toBe(true);
      expect(same(r.read(), hex(manifest.labels[3]!.record))).toBe(true);  // then on in file order
      // Seeking works after the reader reached the end.
      expect(readAll(r).length).toBe(2);
      expect(same(r.readIdx(10), hex(manifest.labels[0]!.record))).toBe(true);
      r.close();
    }
  });

  it('writes the .rec and .idx byte for byte (memory and paths)', () => {
    const mem = new mx.recordio.MXIndexedRecordIO(null, null, 'w');
    const disk = new mx.recordio.MXIndexedRecordIO(join(tmp, 'l.idx'), join(tmp, 'l.rec'), 'w');
    for (const e of manifest.labels) {
      const rec = mx.recordio.pack(e.given, hex(e.payload));
      expect(same(rec, hex(e.record)), `key ${e.key}`).toBe(true);
      mem.writeIdx(e.key, rec);
      disk.writeIdx(e.key, rec);
    }
    expect(mem.keys).toEqual(manifest.labels.map((e) => e.key));
    expect(mem.idx.get(100)).toBe(136);
    mem.close();
    disk.close();
    expect(same(mem.bytes(), file('labels.rec'))).toBe(true);
    expect(same(mem.idxBytes(), file('labels.idx'))).toBe(true);
    expect(same(new Uint8Array(readFileSync(join(tmp, 'l.rec'))), file('labels.rec'))).toBe(true);
    expect(readFileSync(join(tmp, 'l.idx'), 'utf8')).toBe(readFileSync(join(DIR, 'labels.idx'), 'utf8'));
  });

  it('keyType reads other keys; blank lines and CRLF are tolerated', () => {
    const idx = new TextEncoder().encode('a\t0\r\n\nb\t8\r\n');
    const w = new mx.recordio.MXRecordIO(null, 'w');
    w.write('');
    w.write('x');
    const r = new mx.recordio.MXIndexedRecordIO(idx, w.bytes(), 'r', (k) => parseInt(k, 16));
    expect(r.keys).toEqual([10, 11]);
    expect(new TextDecoder().decode(r.readIdx(11))).toBe('x');
  });
});

describe('pack / unpack (IRHeader)', () => {
  it('unpacks the headers MXNet packed', () => {
    for (const e of manifest.labels) {
      const [h, s] = mx.recordio.unpack(hex(e.record));
      expect([h.flag, h.id, h.id2]).toEqual([e.flag, e.id, e.id2]);
      if (e.flag > 0) {
        expect(h.label).toBeInstanceOf(Float32Array);
        expect(Array.from(h.label as Float32Array)).toEqual(e.label);
      } else {
        expect(h.label).toBe(e.label);
      }
      expect(same(s, hex(e.payload))).toBe(true);
    }
  });

  it('takes tuples, Float32Arrays, NDArrays and bigint ids', () => {
    const s = new Uint8Array([1, 2, 3]);
    const a = mx.recordio.pack({ flag: 0, label: [1, 2], id: 5, id2: 0 }, s);
    expect(same(mx.recordio.pack([0, new Float32Array([1, 2]), 5, 0], s), a)).toBe(true);
    expect(same(mx.recordio.pack({ flag: 7, label: mx.nd.array([1, 2]), id: 5n, id2: 0 }, s.buffer as ArrayBuffer), a)).toBe(true);
    const [h, rest] = mx.recordio.unpack(a.buffer as ArrayBuffer);
    expect([h.flag, Array.from(h.label as Float32Array), h.id, Array.from(rest)]).toEqual([2, [1, 2], 5, [1, 2, 3]]);
    // 2^53 is exact; a bigint id beyond it is written exactly.
    const big = mx.recordio.pack({ flag: 0, label: 0.1, id: 2 ** 53, id2: (1n << 64n) - 1n }, s);
    const dv = new DataView(big.buffer);
    expect(dv.getBigUint64(16, true)).toBe((1n << 64n) - 1n);
    const [hb] = mx.recordio.unpack(big);
    expect([hb.id, hb.label]).toEqual([2 ** 53, Math.fround(0.1)]);
    expect(mx.recordio.unpack(mx.recordio.pack({ flag: 0, label: 1, id: 0, id2: 0 }, new Uint8Array(0)))[1].length).toBe(0);
  });
});

describe('image records', () => {
  const maxDiff = (a: Uint8Array, b: Uint8Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

  it('unpackImg decodes as cv2.imdecode(buf, iscolor) does (BGR; gray 2-D; BGRA kept)', () => {
    const r = new mx.recordio.MXIndexedRecordIO(file('images.idx'), file('images.rec'), 'r');
    expect(r.keys).toEqual([0, 1, 2, 3, 4, 5, 6]);
    for (const e of manifest.images) {
      const rec = r.readIdx(e.key);
      for (const flag of [-1, 0, 1] as const) {
        const [h, img] = mx.recordio.unpackImg(rec, flag);
        expect(typeof e.label === 'number' ? h.label : Array.from(h.label as Float32Array)).toEqual(e.label);
        expect(h.id).toBe(e.id);
        const want = { shape: e.decoded[String(flag)]!.shape, pixels: hex(e.decoded[String(flag)]!.pixels) };
        expect(img.dtype).toBe('uint8');
        expect(img.shape, `${e.name} ${flag}`).toEqual(want.shape);
        // Byte for byte, JPEG included: gray is libjpeg's Y plane, a color PNG's gray libpng's, BGRA keeps alpha.
        expect(maxDiff(img.dataSync() as Uint8Array, want.pixels), `${e.name} ${flag}`).toBe(0);
      }
    }
    expect(mx.recordio.unpackImg(r.readIdx(0))[1].shape).toEqual([6, 8, 3]);  // iscolor -1 by default
  });

  it('packImg encodes BGR arrays as pack_img does; they unpack to the same pixels', () => {
    const r = new mx.recordio.MXIndexedRecordIO(file('images.idx'), file('images.rec'), 'r');
    for (const e of manifest.images.filter((x) => x.source_shape.length === 2 || x.source_shape[2] === 3)) {
      const img = mx.nd.array(hex(e.source), { dtype: 'uint8', shape: e.source_shape });
      const header = { flag: 0, label: e.label, id: e.id, id2: 0 };
      const rec = mx.recordio.packImg(header, img, e.quality, e.format);
      const theirs = r.readIdx(e.key);
      const [h, enc] = mx.recordio.unpack(rec);
      const [th] = mx.recordio.unpack(theirs);
      expect(h).toEqual(th);
      expect(mx.image.imageFormat(enc)).toBe(e.format === '.png' ? 'PNG' : 'JPEG');
      const [, back] = mx.recordio.unpackImg(rec, -1);
      expect(back.shape).toEqual(e.source_shape);
      const got = back.dataSync() as Uint8Array;
      // PNG keeps the pixels (its zlib stream may differ from libpng's); the JPEG is cv2's, byte for byte.
      if (e.format === '.png') expect(same(got, hex(e.source)), e.name).toBe(true);
      else expect(same(rec, theirs), e.name).toBe(true);
    }
    // Upper case formats, and the default: '.jpg' at quality 95.
    const img = mx.nd.array(hex(manifest.images[0]!.source), { dtype: 'uint8', shape: [6, 8, 3] });
    const h = { flag: 0, label: 1, id: 1, id2: 0 };
    expect(same(mx.recordio.packImg(h, img, 95, '.JPEG' as '.jpg'), mx.recordio.packImg(h, img))).toBe(true);
    expect(mx.recordio.packImg(h, img, 50).length).toBeLessThan(mx.recordio.packImg(h, img).length);
  });
});

describe('bad input', () => {
  const plain = file('plain.rec');

  it('truncated and corrupt files name the file and the offset', () => {
    const cut = plain.slice(0, plain.length - 3);
    const r = new mx.recordio.MXRecordIO(cut, 'r');
    expectError(() => readAll(r), 'MXRecordIO.read', 'the given bytes', 'truncated', /record at byte offset \d+/);
    writeFileSync(join(tmp, 'cut.rec'), plain.slice(0, 13));
    const f = new mx.recordio.MXRecordIO(join(tmp, 'cut.rec'), 'r');
    f.read();
    expectError(() => f.read(), 'cut.rec', 'byte offset 8', '5 bytes left');
    const bad = plain.slice();
    bad[8] = 0;
    expectError(() => readAll(new mx.recordio.MXRecordIO(bad, 'r')), 'not a valid RecordIO file', 'magic word', 'byte offset 8');
    const flagged = plain.slice();
    flagged[7] = 0x60;  // cflag 3 opening a record
    expectError(() => new mx.recordio.MXRecordIO(flagged, 'r').read(), 'part flag 3', 'byte offset 0');
    // A part that says a continuation follows, then the file ends.
    const m = file('magic.rec').slice(0, 8);
    expectError(() => new mx.recordio.MXRecordIO(m, 'r').read(), 'truncated', 'part at byte offset 8');
  });

  it('wrong arguments and modes', () => {
    expectError(() => new mx.recordio.MXRecordIO('x.rec', 'a' as 'r'), 'MXRecordIO', "flag must be 'r'");
    expectError(() => new mx.recordio.MXRecordIO(null, 'r'), 'MXRecordIO', "argument 'uri'");
    expectError(() => new mx.recordio.MXRecordIO(join(tmp, 'missing.rec'), 'r'), 'cannot open', 'missing.rec');
    const w = new mx.recordio.MXRecordIO(null, 'w');
    expectError(() => w.read(), 'MXRecordIO.read', "open for writing ('w')");
    expectError(() => w.write(5 as unknown as string), 'MXRecordIO.write', "argument 'buf'", 'number');
    const r = new mx.recordio.MXRecordIO(plain, 'r');
    expectError(() => r.write('x'), 'MXRecordIO.write', "open for reading ('r')");
    expectError(() => r.bytes(), 'MXRecordIO.bytes', "reading ('r')");
    const ir = new mx.recordio.MXIndexedRecordIO(file('labels.idx'), file('labels.rec'), 'r');
    expectError(() => ir.readIdx(5), 'MXIndexedRecordIO.seek', 'no record with key 5');
    expectError(() => ir.writeIdx(1, 'x'), 'MXIndexedRecordIO.writeIdx', "reading ('r')");
    expectError(() => new mx.recordio.MXIndexedRecordIO(null, plain, 'r'), 'MXIndexedRecordIO', "argument 'idxPath'");
    expectError(() => new mx.recordio.MXIndexedRecordIO(new TextEncoder().encode('0\t0\nx1\t4\n'), plain, 'r'), 'line 2', 'bad key', "'x1' is not an integer");
    expectError(() => new mx.recordio.MXIndexedRecordIO(new TextEncoder().encode('0 0\n'), plain, 'r'), 'line 1', 'key<TAB>offset');
    expectError(() => new mx.recordio.MXIndexedRecordIO(new TextEncoder().encode('0\t-4\n'), plain, 'r'), 'offset');
    const iw = new mx.recordio.MXIndexedRecordIO(null, null, 'w');
    expectError(() => iw.writeIdx(1.5, 'x'), 'writeIdx', "argument 'idx'", 'integer');
    expectError(() => iw.seek(0), 'MXIndexedRecordIO.seek', "writing ('w')");
    // An index pointing past the file.
    const far = new mx.recordio.MXIndexedRecordIO(new TextEncoder().encode('0\t9999\n'), plain, 'r');
    expectError(() => far.readIdx(0), 'offset 9999 is outside');
  });

  it('pack, unpack and unpackImg refuse bad headers and records', () => {
    const s = new Uint8Array(4);
    expectError(() => mx.recordio.pack({ flag: 0, label: 1, id: -1, id2: 0 }, s), 'recordio.pack', 'header.id', '[0, 2^64)');
    expectError(() => mx.recordio.pack({ flag: 0, label: 1, id: 0, id2: 1.5 }, s), 'header.id2');
    expectError(() => mx.recordio.pack({ flag: 0, label: 1e39, id: 0, id2: 0 }, s), 'too large for a float32');
    expectError(() => mx.recordio.pack({ flag: 0, label: 'a' as unknown as number, id: 0, id2: 0 }, s), 'header.label', 'string');
    expectError(() => mx.recordio.pack([0, 1, 2] as unknown as [number, number, number, number], s), '[flag, label, id, id2]');
    expectError(() => mx.recordio.pack({ flag: 0, label: 1, id: 0, id2: 0 }, 'abc' as unknown as Uint8Array), "argument 's'");
    expectError(() => mx.recordio.unpack(new Uint8Array(23)), 'recordio.unpack', '24-byte header', 'got 23');
    const lying = mx.recordio.pack({ flag: 0, label: [1, 2], id: 0, id2: 0 }, s).slice(0, 28);
    expectError(() => mx.recordio.unpack(lying), '2 labels', '4 bytes after the header');
    const rec = mx.recordio.pack({ flag: 0, label: 1, id: 0, id2: 0 }, new Uint8Array([1, 2, 3, 4]));
    expectError(() => mx.recordio.unpackImg(rec, 2 as 1), 'recordio.unpackImg', "'iscolor'");
    expectError(() => mx.recordio.unpackImg(rec), 'not a JPEG, PNG');
    const img = mx.nd.zeros([2, 2, 3], { dtype: 'uint8' });
    expectError(() => mx.recordio.packImg({ flag: 0, label: 1, id: 0, id2: 0 }, img, 95, '.bmp' as '.png'), 'recordio.packImg', "'imgFmt'", '.bmp');
    expectError(() => mx.recordio.packImg({ flag: 0, label: 1, id: 0, id2: 0 }, img, 9.5), "'quality'", '9.5');
    expectError(() => mx.recordio.packImg({ flag: 0, label: 1, id: 0, id2: 0 }, hex('00') as unknown as mx.NDArray), "argument 'img'");
    expectError(() => mx.recordio.packImg({ flag: 0, label: 1, id: -2, id2: 0 }, img), 'header.id');
    expectError(() => mx.recordio.packImg({ flag: 0, label: 1, id: 0, id2: 0 }, mx.nd.zeros([2, 2, 4], { dtype: 'uint8' }), 95, '.png'), 'imencode', '(2, 2, 4)');
  });
});
