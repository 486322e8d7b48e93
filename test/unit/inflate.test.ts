// isotensor's DEFLATE decoder (ts/image/inflate.ts: PNG data, and gzipped MNIST where a runtime has no
// zlib) against Node's zlib: stored, fixed-Huffman and dynamic-Huffman blocks, gzip headers, bad input.
import { gzipSync, deflateSync, deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gunzip, inflate } from '../../ts/image/inflate';

/** Bytes with structure and repeats (long matches, far distances) and some noise. */
function sample(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = i % 997 < 500 ? (i * 7) & 0xff : (s >>> 24) & (i % 3 === 0 ? 0xff : 0x0f);
  }
  return out;
}

describe('inflate against node:zlib', () => {
  for (const n of [0, 1, 100, 70_000, 300_000]) {
    for (const level of [0, 1, 6, 9]) {
      it(`${n} bytes, level ${level}`, () => {
        const data = sample(n, n + level);
        expect(Buffer.from(inflate(new Uint8Array(deflateSync(data, { level })))).equals(Buffer.from(data))).toBe(true);
        expect(Buffer.from(inflate(new Uint8Array(deflateRawSync(data, { level })), false)).equals(Buffer.from(data))).toBe(true);
        expect(Buffer.from(gunzip(new Uint8Array(gzipSync(data, { level })))).equals(Buffer.from(data))).toBe(true);
      });
    }
  }

  it('reads gzip headers with a file name and comment', () => {
    const data = sample(5000);
    const gz = new Uint8Array(gzipSync(data));
    // Rebuild the header with FNAME and FCOMMENT set.
    const name = Buffer.from('train-images-idx3-ubyte\0');
    const comment = Buffer.from('a comment\0');
    const head = Uint8Array.from(gz.subarray(0, 10));
    head[3] = 8 | 16;
    const withNames = Buffer.concat([head, name, comment, gz.subarray(10)]);
    expect(Buffer.from(gunzip(new Uint8Array(withNames))).equals(Buffer.from(data))).toBe(true);
  });

  it('refuses damaged data with a clear error, never hangs', () => {
    const z = new Uint8Array(deflateSync(sample(20_000), { level: 6 }));
    expect(() => inflate(z.subarray(0, z.length / 2))).toThrow(/corrupt compressed data/);
    expect(() => inflate(Uint8Array.from([0x78, 0x9c, 0xff, 0xff]))).toThrow(/corrupt compressed data/);
    expect(() => inflate(Uint8Array.from([0x00, 0x00]))).toThrow(/zlib header/);
    expect(() => gunzip(Uint8Array.from([1, 2, 3]))).toThrow(/gzip header/);
    let seed = 7;
    for (let k = 0; k < 200; k++) {
      const bad = z.slice();
      for (let j = 0; j < 4; j++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        bad[2 + (seed % (bad.length - 2))] ^= 1 << (seed >>> 29);
      }
      try {
        inflate(bad);
      } catch (e) {
        expect((e as Error).message).toMatch(/^image\.decode: corrupt compressed data/);
      }
    }
  });
});
