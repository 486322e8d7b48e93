// mx.onnx's ai.onnx.ml operators (ts/onnx/ops/ml.ts): the cases of test/fixtures/onnx/ml (gen_onnx_ml_cases.py,
// plus onnx's own test_ai_onnx_ml_* conformance cases) in a session and imported, and models that must be refused.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { refusals, runCase } from '../helpers/onnx-cases';
import { announceBackend } from '../helpers/backend';

type Arr = any;
const FIX = join(__dirname, '../fixtures/onnx/ml');

beforeAll(async () => {
  await mx.ready();
  announceBackend('onnx-ml');
});

const cases = readdirSync(FIX).filter((d) => d !== 'bad').sort();

describe('onnx ai.onnx.ml operators', () => {
  it('has the generated cases and onnx\'s conformance cases', () => {
    expect(cases.length).toBeGreaterThan(50);
    for (const c of ['binarizer', 'array_feature_extractor', 'tree_ensemble_set_membership', 'tree_ensemble_single_tree']) {
      expect(cases).toContain(`test_ai_onnx_ml_${c}`);
    }
  });
  for (const c of cases) it(c, () => runCase(join(FIX, c), true));
});

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
      const errors = refusals(join(FIX, 'bad', `${name}.onnx`), () => mx.nd.array([[0, 1, 2], [3, 4, 5]]));
      expect(errors.length, 'both the session and the import fail').toBe(2);
      for (const e of errors) {
        expect(e).toBeInstanceOf(mx.IsotensorError);
        expect((e as Error).message).toContain(`(node '${name}')`);
        expect((e as Error).message).toMatch(detail);
      }
    });
  }
});
