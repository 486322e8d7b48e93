// Runs ONNX conformance-style case folders (model.onnx + test_data_set_*/{input,output}_N.pb) through
// mx.onnx: every data set in an InferenceSession and, when asked, as an imported Symbol graph bound
// and run; results compared as onnx's backend runner compares them (scripts/onnx-compare.mjs).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import * as mx from 'isotensor';
import { compareValue } from '../../scripts/onnx-compare.mjs';

type Arr = any;

/** onnx's comparison of an NDArray, StringTensor, NDArray[] (a sequence) or null (an empty optional). */
export function expectLike(got: Arr, ref: Arr, what: string, elementType?: (x: Arr) => string): void {
  expect(compareValue(what, got, ref, 1e-3, 1e-7, elementType)).toBeNull();
}

/** One data set; value files of sequence/optional inputs and outputs are SequenceProto/OptionalProto. */
export function readSet(dir: string, inKinds: string[] = [], outKinds: string[] = []): { inputs: Arr[]; refs: Arr[] } {
  const files = readdirSync(dir);
  const ordered = (p: string) => files.filter((f) => f.startsWith(p)).sort((a, b) => parseInt(a.slice(p.length)) - parseInt(b.slice(p.length)));
  const kind = (k: string | undefined) => (k === 'sequence' || k === 'optional' ? k : 'tensor');
  return {
    inputs: ordered('input_').map((f, i) => mx.onnx.readValueSync(join(dir, f), { kind: kind(inKinds[i]) })),
    refs: ordered('output_').map((f, i) => mx.onnx.readValueSync(join(dir, f), { kind: kind(outKinds[i]) })),
  };
}

/** One case folder: every data set through a session and, when `imported`, through importModel + bind. */
export function runCase(dir: string, imported: boolean): void {
  const model = join(dir, 'model.onnx');
  const sets = readdirSync(dir).filter((d) => d.startsWith('test_data_set_'));
  expect(sets.length, `${dir} has no test_data_set_*`).toBeGreaterThan(0);
  const session = mx.onnx.InferenceSession.createSync(model);
  for (const set of sets) {
    mx.scope(() => {
      const { inputs, refs } = readSet(join(dir, set), session.inputMetadata.map((m) => m.kind),
                                       session.outputMetadata.map((m) => m.kind));
      const feeds: Record<string, Arr> = {};
      session.inputNames.forEach((n, i) => { feeds[n] = inputs[i]; });
      const out = session.run<Arr>(feeds);
      refs.forEach((r, i) => expectLike(out[session.outputNames[i]!], r, `session ${set} output ${i}`, mx.onnx.elementType));
      if (!imported) return;
      const shapes: Record<string, number[]> = {};
      session.inputNames.forEach((n, i) => { if (inputs[i] instanceof mx.nd.NDArray) shapes[n] = inputs[i].shape; });
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

/**
 * The errors a model gives when run in a session on `x` (fed as input 'X') and when imported with X of
 * shape [2, 3]: a refused model gives two, each naming the node.
 */
export function refusals(model: string, x: () => Arr): unknown[] {
  const errors: unknown[] = [];
  try {
    const s = mx.onnx.InferenceSession.createSync(model);
    try {
      mx.scope(() => s.run({ X: x() }));
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
