// mx.onnx FlexAttention (ai.onnx.preview): onnx's conformance cases (test/fixtures/onnx/flex) in a session and imported
// SPDX-License-Identifier: Apache-2.0
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';
import { compareValue } from '../../scripts/onnx-compare.mjs';

type Arr = any;
const FIX = join(__dirname, '../fixtures/onnx/flex');

beforeAll(async () => {
  await mx.ready();
  announceBackend('onnx FlexAttention');
});

function expectLike(got: Arr, ref: Arr, what: string, elementType?: (x: Arr) => string): void {
  expect(compareValue(what, got, ref, 1e-3, 1e-7, elementType)).toBeNull();
}

function readSet(dir: string): { inputs: Arr[]; refs: Arr[] } {
  const files = readdirSync(dir);
  const ordered = (p: string) => files.filter((f) => f.startsWith(p)).sort((a, b) => parseInt(a.slice(p.length)) - parseInt(b.slice(p.length)));
  return {
    inputs: ordered('input_').map((f) => mx.onnx.readTensorSync(join(dir, f))),
    refs: ordered('output_').map((f) => mx.onnx.readTensorSync(join(dir, f))),
  };
}

/** Every data set of a case through an InferenceSession and through importModel + bind + forward. */
function runCase(dir: string): void {
  const model = join(dir, 'model.onnx');
  const sets = readdirSync(dir).filter((d) => d.startsWith('test_data_set_'));
  expect(sets.length).toBeGreaterThan(0);
  const session = mx.onnx.InferenceSession.createSync(model);
  for (const set of sets) {
    mx.scope(() => {
      const { inputs, refs } = readSet(join(dir, set));
      const feeds: Record<string, Arr> = {};
      session.inputNames.forEach((n, i) => { feeds[n] = inputs[i]; });
      const out = session.run<Arr>(feeds);
      refs.forEach((r, i) => expectLike(out[session.outputNames[i]!], r, `session ${set} output ${i}`, mx.onnx.elementType));

      const shapes: Record<string, number[]> = {};
      session.inputNames.forEach((n, i) => { shapes[n] = inputs[i].shape; });
      const imp = mx.onnx.importModelSync(model, { inputShapes: shapes });
      const args: Record<string, Arr> = {};
      for (const a of imp.sym.listArguments()) args[a] = imp.argParams[a] ?? feeds[a];
      const ex = imp.sym.bind(mx.cpu(), args, { auxStates: imp.auxParams, gradReq: 'null' });
      ex.forward({ isTrain: false });
      refs.forEach((r, i) => expectLike(ex.outputs[i], r, `import ${set} output ${i}`));
      ex.dispose();
      for (const p of [...Object.values(imp.argParams), ...Object.values(imp.auxParams)]) (p as Arr).dispose();
    });
  }
  session.dispose();
}

describe('onnx FlexAttention conformance cases', () => {
  const cases = readdirSync(FIX).sort();
  it('has the eleven cases', () => expect(cases.length).toBe(11));
  for (const c of cases) it(c, () => runCase(join(FIX, c)));
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
