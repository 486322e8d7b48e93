// Input data for the peers that take plain typed arrays (onnxruntime).

/** A Float32Array of `n` values uniform in [0, 1), from a fixed-seed xorshift (cheap and repeatable). */
export function randomFloat32(n, seed = 12345) {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = s / 4294967296;
  }
  return out;
}
