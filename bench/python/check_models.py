"""Validates the ONNX files bench/dump-onnx.mjs writes: onnx's full checker (with shape inference), then one
onnxruntime run on random inputs compared with a NumPy evaluation of the same graph.

    node bench/dump-onnx.mjs /tmp/bench-onnx && /tmp/ref/bin/python bench/python/check_models.py /tmp/bench-onnx/*.onnx
"""
import sys

import numpy as np
import onnx
import onnx.numpy_helper
import onnxruntime as ort

def _conv(x, w, b=None, kernel_shape=None, strides=(1, 1), pads=(0, 0, 0, 0), **_):
    """NCHW convolution (group 1, no dilation) as a sum over the kernel taps of strided slices."""
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    sh, sw = strides
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    ho = (h + pads[0] + pads[2] - kh) // sh + 1
    wo = (wd + pads[1] + pads[3] - kw) // sw + 1
    y = np.zeros((n, f, ho, wo), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw]
            y += np.einsum("nchw,fc->nfhw", patch, w[:, :, i, j], optimize=True)
    return y if b is None else y + b.reshape(1, -1, 1, 1)


def _maxpool(x, kernel_shape, strides=(1, 1), pads=(0, 0, 0, 0), **_):
    n, c, h, w = x.shape
    (kh, kw), (sh, sw) = kernel_shape, strides
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])), constant_values=-np.inf)
    ho = (h + pads[0] + pads[2] - kh) // sh + 1
    wo = (w + pads[1] + pads[3] - kw) // sw + 1
    y = np.full((n, c, ho, wo), -np.inf)
    for i in range(kh):
        for j in range(kw):
            y = np.maximum(y, xp[:, :, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw])
    return y


def _batchnorm(x, scale, bias, mean, var, epsilon=1e-5, **_):
    shp = (1, -1) + (1,) * (x.ndim - 2)
    return (x - mean.reshape(shp)) / np.sqrt(var.reshape(shp) + epsilon) * scale.reshape(shp) + bias.reshape(shp)


def _gemm(a, b, c=None, transA=0, transB=0, alpha=1.0, beta=1.0, **_):
    y = alpha * ((a.T if transA else a) @ (b.T if transB else b))
    return y if c is None else y + beta * c


# float64 NumPy versions of the ops the bench graphs use (attributes as keyword arguments).
NUMPY_OPS = {
    "MatMul": lambda x, y: x @ y,
    "Add": lambda x, y: x + y,
    "Relu": lambda x: np.maximum(x, 0),
    "Conv": _conv,
    "BatchNormalization": _batchnorm,
    "MaxPool": _maxpool,
    "GlobalAveragePool": lambda x: x.mean(axis=(2, 3), keepdims=True),
    "Flatten": lambda x, axis=1: x.reshape(int(np.prod(x.shape[:axis])), -1),
    "Gemm": _gemm,
}


def evaluate(graph, feeds):
    env = {k: v.astype(np.float64) for k, v in feeds.items()}
    for t in graph.initializer:
        env[t.name] = onnx.numpy_helper.to_array(t).astype(np.float64)
    for node in graph.node:
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        env[node.output[0]] = NUMPY_OPS[node.op_type](*[env[i] for i in node.input], **attrs)
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
        ops = sorted({n.op_type for n in model.graph.node})
        print(f"ok  {path}  ({len(model.graph.node)} nodes: {', '.join(ops)})")


if __name__ == "__main__":
    main(sys.argv[1:])
