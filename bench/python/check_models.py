"""Validates the ONNX files bench/dump-onnx.mjs writes: onnx's full checker (with shape inference), then one
onnxruntime run on random inputs compared with a NumPy evaluation of the same graph.

    node bench/dump-onnx.mjs /tmp/bench-onnx && /tmp/ref/bin/python bench/python/check_models.py /tmp/bench-onnx/*.onnx
"""
import sys

import numpy as np
import onnx
import onnxruntime as ort

NUMPY_OPS = {
    "MatMul": lambda x, y: x @ y,
    "Add": lambda x, y: x + y,
    "Relu": lambda x: np.maximum(x, 0),
}


def evaluate(graph, feeds):
    env = dict(feeds)
    for node in graph.node:
        env[node.output[0]] = NUMPY_OPS[node.op_type](*[env[i] for i in node.input])
    return [env[o.name] for o in graph.output]


def main(paths):
    rng = np.random.default_rng(0)
    for path in paths:
        model = onnx.load(path)
        onnx.checker.check_model(model, full_check=True)
        feeds = {}
        for vi in model.graph.input:
            shape = [d.dim_value for d in vi.type.tensor_type.shape.dim]
            feeds[vi.name] = rng.random(shape, dtype=np.float32) * 2 - 1
        got = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, feeds)
        want = evaluate(model.graph, feeds)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-4)
        print(f"ok  {path}  ({', '.join(n.op_type for n in model.graph.node)})")


if __name__ == "__main__":
    main(sys.argv[1:])
