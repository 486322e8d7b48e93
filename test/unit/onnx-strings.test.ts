// mx.onnx string tensors: StringTensor, reading them (readValue), feeding and getting them from a
// session, and the refusals (readTensor, importModel, numeric ops given strings). The string operators
// themselves run in onnx.test.ts's node cases (StringConcat/Split, RegexFullMatch, StringNormalizer,
// string Equal, ai.onnx.ml LabelEncoder).
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { expectError } from '../helpers/errors';

const { nd } = mx;
const NODE = join(__dirname, '../fixtures/onnx/node');

/** An array's values as plain numbers (int64 included). */
const nums = (x: any): number[] => Array.from(x.dataSync() as ArrayLike<number | bigint>, Number);

beforeAll(async () => {
  await mx.ready();
});

describe('StringTensor', () => {
  it('holds strings in a shape', () => {
    const s = new mx.onnx.StringTensor(['a', 'b', 'c', 'd'], [2, 2]);
    expect(s.shape).toEqual([2, 2]);
    expect(s.size).toBe(4);
    expect(s.reshape([4]).shape).toEqual([4]);
    expect(new mx.onnx.StringTensor(['x']).shape).toEqual([1]);
    expect(new mx.onnx.StringTensor(['x'], []).shape).toEqual([]);
    expectError(() => new mx.onnx.StringTensor(['a', 'b', 'c'], [2, 2]), 'StringTensor', '3 strings', '(2, 2)');
  });

  it('readValue gives string tensors; readTensor, typed as an NDArray, says to use readValue', () => {
    const f = join(NODE, 'test_string_concat_utf8/test_data_set_0/input_0.pb');
    const v = mx.onnx.readValueSync(f) as mx.onnx.StringTensor;
    expect(v).toBeInstanceOf(mx.onnx.StringTensor);
    expect(v.data.length).toBeGreaterThan(0);
    expect(v.data.some((s) => /[^\x00-\x7f]/.test(s))).toBe(true);  // UTF-8 decoded
    expectError(() => mx.onnx.readTensorSync(f), 'readTensor', 'strings', 'readValue');
  });
});

describe('sessions with string tensors', () => {
  it('StringConcat broadcasts, fed StringTensors or plain arrays of strings', () => {
    const s = mx.onnx.InferenceSession.createSync(join(NODE, 'test_string_concat_broadcasting/model.onnx'));
    expect(s.inputMetadata.map((m) => m.elementType)).toEqual(['string', 'string']);
    expect(s.inputMetadata[0]!.dtype).toBeUndefined();
    const [a, b] = s.inputNames as [string, string];
    const out = s.run<mx.onnx.StringTensor>({ [a]: new mx.onnx.StringTensor(['x', 'y', 'z', 'w'], [2, 2]), [b]: ['1', '2'] as never });
    const y = out[s.outputNames[0]!]!;
    expect(y.shape).toEqual([2, 2]);
    expect(y.data).toEqual(['x1', 'y2', 'z1', 'w2']);
    expectError(() => s.run({ [a]: nd.zeros([2]), [b]: ['1'] as never }), 'input', 'strings', 'StringTensor');
    s.dispose();
  });

  it('StringSplit pads with empty strings and counts the parts (Python str.split rules)', () => {
    const s = mx.onnx.InferenceSession.createSync(join(NODE, 'test_string_split_no_delimiter/model.onnx'));
    const out = s.run<mx.nd.NDArray | mx.onnx.StringTensor>({ [s.inputNames[0]!]: ['  a b ', 'c', ''] as never });
    const [y, z] = s.outputNames.map((n) => out[n]!);
    expect((y as mx.onnx.StringTensor).data).toEqual(['a', 'b', 'c', '', '', '']);
    expect((y as mx.onnx.StringTensor).shape).toEqual([3, 2]);
    expect(nums(z as mx.nd.NDArray)).toEqual([2, 1, 0]);
    s.dispose();
  });

  it('a numeric op given strings, and importModel of a string graph, fail clearly', () => {
    const s = mx.onnx.InferenceSession.createSync(join(NODE, 'test_abs/model.onnx'));
    expectError(() => s.run({ [s.inputNames[0]!]: new mx.onnx.StringTensor(['1']) }), 'input', 'NDArray');
    s.dispose();
    expectError(() => mx.onnx.importModelSync(join(NODE, 'test_string_concat/model.onnx')), 'importModel', 'strings', 'InferenceSession');
    // And the library keeps working.
    expect(Array.from(nd.array([1, -2]).abs().dataSync())).toEqual([1, 2]);
  });
});
