// How onnx's backend runner compares a result with the expected value: same dtype and shape; floats within
// rtol + atol (NaN matches NaN), other types exactly. Shared by scripts/onnx-conformance.mjs and test/unit/onnx.test.ts.

/**
 * null when `got` matches `ref` (NDArrays), else what differs. `elementType` (mx.onnx.elementType), when
 * given, also compares ONNX element types: float8/float4/int4/int2 values are held in float32/int8/uint8.
 */
export function compare(name, got, ref, rtol = 1e-3, atol = 1e-7, elementType = undefined) {
  // String tensors (mx.onnx.StringTensor): same shape and strings.
  if (ref.kind === 'strings' || got.kind === 'strings') {
    if (ref.kind !== got.kind) return `${name}: ${got.kind === 'strings' ? 'strings' : 'numbers'}, expected ${ref.kind === 'strings' ? 'strings' : 'numbers'}`;
    if (got.shape.join() !== ref.shape.join()) return `${name}: shape (${got.shape}), expected (${ref.shape})`;
    const i = ref.data.findIndex((s, k) => got.data[k] !== s);
    return i < 0 ? null : `${name}[${i}] = ${JSON.stringify(got.data[i])}, expected ${JSON.stringify(ref.data[i])}`;
  }
  if (got.dtype !== ref.dtype) return `${name}: dtype ${got.dtype}, expected ${ref.dtype}`;
  if (elementType !== undefined && elementType(got) !== elementType(ref)) {
    return `${name}: element type ${elementType(got)}, expected ${elementType(ref)}`;
  }
  if (got.shape.join() !== ref.shape.join()) return `${name}: shape (${got.shape}), expected (${ref.shape})`;
  const g = got.dataSync(ref.dtype);
  const r = ref.dataSync(ref.dtype);
  const isFloat = /float/.test(ref.dtype);
  for (let i = 0; i < r.length; i++) {
    const a = g[i];
    const b = r[i];
    if (isFloat) {
      if (Number.isNaN(b) && Number.isNaN(a)) continue;
      if (a === b) continue;
      if (!(Math.abs(a - b) <= atol + rtol * Math.abs(b))) return `${name}[${i}] = ${a}, expected ${b}`;
    } else if (a !== b) {
      return `${name}[${i}] = ${a}, expected ${b}`;
    }
  }
  return null;
}

// A value (NDArray, NDArray[] for a sequence, null for an empty optional) against the reference.
export function compareValue(name, got, ref, rtol = 1e-3, atol = 1e-7, elementType = undefined) {
  if (ref === null || got === null) return got === ref ? null : `${name}: ${got === null ? 'empty' : 'a value'}, expected ${ref === null ? 'an empty optional' : 'a value'}`;
  if (Array.isArray(ref) || Array.isArray(got)) {
    if (!Array.isArray(ref) || !Array.isArray(got)) return `${name}: ${Array.isArray(got) ? 'a sequence' : 'a tensor'}, expected ${Array.isArray(ref) ? 'a sequence' : 'a tensor'}`;
    if (got.length !== ref.length) return `${name}: a sequence of ${got.length}, expected ${ref.length}`;
    for (let k = 0; k < ref.length; k++) {
      const err = compare(`${name}[${k}]`, got[k], ref[k], rtol, atol, elementType);
      if (err !== null) return err;
    }
    return null;
  }
  return compare(name, got, ref, rtol, atol, elementType);
}
