// The cold-start case every library runs (bench/cold-start-child.mjs in Node, bench/browser/cold-start-page.mjs in
// Chromium): relu(a + b) on 16 floats, the same two-node graph for onnxruntime, and the check of the answer.
// Plain JavaScript with no imports, so pages load it as is.
export const a = Float32Array.from({ length: 16 }, (_, i) => i - 8);
export const b = Float32Array.from({ length: 16 }, () => 0.5);
const want = Array.from(a, (v, i) => Math.max(0, v + b[i]));

/** The ONNX graph for bench/lib/onnx.mjs's encodeModel. */
export const onnxGraph = {
  nodes: [{ op: 'Add', inputs: ['a', 'b'], outputs: ['s'] }, { op: 'Relu', inputs: ['s'], outputs: ['y'] }],
  inputs: [{ name: 'a', shape: [16] }, { name: 'b', shape: [16] }],
  outputs: [{ name: 'y', shape: [16] }],
};

/** Throws when `out` is not relu(a + b): a wrong fast start must not count. */
export function checkResult(which, out) {
  if (Array.from(out).some((v, i) => Math.abs(v - want[i]) > 1e-6)) {
    throw new Error(`${which} computed a wrong result: ${Array.from(out)}`);
  }
}
