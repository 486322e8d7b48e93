// mx.onnx TfIdfVectorizer on integer token ids: onnx's seven conformance cases and the cases of
// test/fixtures/onnx/gen_tfidf_cases.py (test/fixtures/onnx/tfidf), each through a session and as an
// imported Symbol graph, and the models the converter refuses (tfidf/bad).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { refusals, runCase } from '../helpers/onnx-cases';
import { announceBackend } from '../helpers/backend';

type Arr = any;
const FIX = join(__dirname, '../fixtures/onnx/tfidf');

beforeAll(async () => {
  await mx.ready();
  announceBackend('onnx-tfidf');
});

const cases = readdirSync(FIX).filter((d) => d !== 'bad').sort();

describe('onnx TfIdfVectorizer', () => {
  it('has onnx\'s seven cases and the generated ones', () => {
    expect(cases.filter((c) => c.startsWith('test_tfidfvectorizer_')).length).toBe(7);
    expect(cases.length).toBeGreaterThanOrEqual(16);
  });
  for (const c of cases) it(c, () => runCase(join(FIX, c), true));
});

describe('onnx TfIdfVectorizer: what is refused, naming the node', () => {
  const cases: [string, () => Arr, RegExp][] = [
    ['pool_strings', () => mx.nd.array([[0, 1, 2], [3, 4, 5]], { dtype: 'int64' }), /attribute pool_strings \(string n-grams\) is not supported/],
    ['float_input', () => mx.nd.array([[0, 1, 2], [3, 4, 5]]), /X is float32; integer token ids \(int32 or int64\) are expected/],
  ];
  for (const [name, x, detail] of cases) {
    it(name, () => {
      const errors = refusals(join(FIX, 'bad', `${name}.onnx`), x);
      expect(errors.length, 'both the session and the import fail').toBe(2);
      for (const e of errors) {
        expect(e).toBeInstanceOf(mx.IsotensorError);
        expect((e as Error).message).toContain(`TfIdfVectorizer (node '${name}')`);
        expect((e as Error).message).toMatch(detail);
      }
    });
  }
});
