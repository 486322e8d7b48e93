// mx.onnx's ai.onnx.ml operators (ts/onnx/ops/ml.ts): the cases of test/fixtures/onnx/ml (gen_onnx_ml_cases.py,
// plus onnx's own test_ai_onnx_ml_* conformance cases) in a session and imported, and models that must be refused.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';
import { compareValue } from '../../scripts/onnx-compare.mjs';

type Arr = any;
const FIX = join(__dirname, '../fixtures/onnx/ml');

beforeAll(async () => {
  await mx.ready();
  announceBackend('onnx-ml');
});

/** onnx's backend-test comparison (scripts/onnx-compare.mjs). */
function expectLike(got: Arr, ref: Arr, what: string, elementType?: (x: Arr) => string): void {
  expect(compareValue(what, got, ref, 1e-3, 1e-7, elementType)).toBeNull();
}

/** One data set's inputs and expected outputs, in file order. */
function readSet(dir: string): { inputs: Arr[]; refs: Arr[] } {
  const files = readdirSync(dir);
  const ordered = (p: string) => files.filter((f) => f.startsWith(p)).sort((a, b) => parseInt(a.slice(p.length)) - parseInt(b.slice(p.length)));
  return {
    inputs: ordered('input_').map((f) => mx.onnx.readValueSync(join(dir, f))),
    refs: ordered('output_').map((f) => mx.onnx.readValueSync(join(dir, f))),
  };
}

/** One case folder: every data set through a session, then as an imported Symbol graph bound and run. */
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

const cases = readdirSync(FIX).filter((d) => d !== 'bad').sort();

describe('onnx ai.onnx.ml operators', () => {
  it('has the generated cases and onnx\'s conformance cases', () => {
    expect(cases.length).toBeGreaterThan(50);
    for (const c of ['binarizer', 'array_feature_extractor', 'tree_ensemble_set_membership', 'tree_ensemble_single_tree']) {
      expect(cases).toContain(`test_ai_onnx_ml_${c}`);
    }
  });
  for (const c of cases) it(c, () => runCase(join(FIX, c)));
});

/** The error a session run and an import of bad/<name>.onnx give. */
function failures(name: string): unknown[] {
  const model = join(FIX, 'bad', `${name}.onnx`);
  const errors: unknown[] = [];
  try {
    const s = mx.onnx.InferenceSession.createSync(model);
    try {
      mx.scope(() => s.run({ X: mx.nd.array([[0, 1, 2], [3, 4, 5]]) }));
    } finally {
      s.dispose();
    }
  } catch (e) {
    errors.push(e);
  }
  try {
    mx.onnx.importModelSync(model, { inputShapes: { X: [2, 3] } });
  } catch (e) {
    errors.push(e);
  }
  return errors;
}

describe('onnx ai.onnx.ml: what is refused, naming the node', () => {
  const cases: [string, RegExp][] = [
    ['tree_classifier_string_labels', /classlabels_strings: string class labels are not supported/],
    ['linear_classifier_string_labels', /classlabels_strings: string class labels are not supported/],
    ['tree_ensemble_aggregate', /aggregate_function 7 is not one of/],
    ['tree_regressor_missing_node', /target_nodeids: node 5 of tree 0 does not exist/],
    ['normalizer_norm', /norm 'L3' is not one of MAX, L1, L2/],
    ['imputer_int64_values_for_floats', /X is float32: imputed_value_floats must be given/],
    ['zipmap', /ai\.onnx\.ml\.ZipMap .*is not supported/],
  ];
  for (const [name, detail] of cases) {
    it(name, () => {
      const errors = failures(name);
      expect(errors.length, 'both the session and the import fail').toBe(2);
      for (const e of errors) {
        expect(e).toBeInstanceOf(mx.IsotensorError);
        expect((e as Error).message).toContain(`(node '${name}')`);
        expect((e as Error).message).toMatch(detail);
      }
    });
  }
});
