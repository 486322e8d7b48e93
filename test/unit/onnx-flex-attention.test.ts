// mx.onnx FlexAttention (ai.onnx.preview): onnx's conformance cases (test/fixtures/onnx/flex) in a session and imported
// SPDX-License-Identifier: Apache-2.0
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { runCase } from '../helpers/onnx-cases';
import { announceBackend } from '../helpers/backend';

type Arr = any;
const FIX = join(__dirname, '../fixtures/onnx/flex');

beforeAll(async () => {
  await mx.ready();
  announceBackend('onnx FlexAttention');
});




describe('onnx FlexAttention conformance cases', () => {
  const cases = readdirSync(FIX).sort();
  it('has the eleven cases', () => expect(cases.length).toBe(11));
  for (const c of cases) it(c, () => runCase(join(FIX, c), true));
});

describe('onnx FlexAttention bad input', () => {
  it('Q and K with different head sizes fail naming the node', () => {
    const model = join(FIX, 'test_flexattention', 'model.onnx');
    const inputShapes = { Q: [2, 4, 8, 16], K: [2, 4, 6, 8], V: [2, 4, 6, 16] };
    const want = /onnx FlexAttention \(node 'Y'\): Q and K must have the same head size, got 16 and 8/;
    expect(() => mx.onnx.importModelSync(model, { inputShapes })).toThrow(mx.IsotensorError);
    expect(() => mx.onnx.importModelSync(model, { inputShapes })).toThrow(want);
    const session = mx.onnx.InferenceSession.createSync(model);
    mx.scope(() => {
      const feeds = Object.fromEntries(Object.entries(inputShapes).map(([n, s]) => [n, mx.nd.zeros(s)]));
      expect(() => session.run(feeds)).toThrow(mx.IsotensorError);
      expect(() => session.run(feeds)).toThrow(want);
    });
    session.dispose();
  });
});
