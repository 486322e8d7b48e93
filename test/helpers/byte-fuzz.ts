// Byte-flip fuzzing of a decoder: corrupted files must decode to something or throw IsotensorError.
import { expect } from 'vitest';
import * as mx from 'isotensor';

/**
 * Decodes `perFile` corrupted copies of each file (three bytes flipped at or after `skip`, so the headers'
 * sizes stay small) with mx.image.imdecode, from a fixed seed; any error must be an IsotensorError.
 * Returns how many copies threw.
 */
export function flipBytesAndDecode(files: { name: string; bytes: Uint8Array }[], seed: number, perFile: number,
                                   skip: number): number {
  let s = seed;
  const rand = (n: number): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % n;
  };
  let thrown = 0;
  for (const f of files) {
    for (let k = 0; k < perFile; k++) {
      const bad = f.bytes.slice();
      for (let j = 0; j < 3; j++) bad[skip + rand(Math.max(1, f.bytes.length - skip))] ^= 1 + rand(255);
      try {
        mx.image.imdecode(bad);
      } catch (e) {
        expect(e, `${f.name}: ${String(e)}`).toBeInstanceOf(mx.IsotensorError);
        thrown++;
      }
    }
  }
  return thrown;
}
