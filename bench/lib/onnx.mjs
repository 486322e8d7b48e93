// A minimal ONNX (protobuf) encoder: builds the small single-graph models the onnxruntime peers run.
//
// Only the ModelProto fields the benchmark graphs need are written (graph nodes with attributes,
// typed inputs/outputs with fixed or symbolic dims, float initializers). Field numbers follow
// onnx/onnx.proto3; bench/python/check_models.py validates the output with the `onnx` checker.

const ELEM_TYPE = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, float16: 10, float64: 11 };
const ATTR_TYPE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 };

// Bytes are kept as a list of chunks: small fields collect in `cur`, large payloads (initializer data,
// nested messages) are referenced, not copied, until finish() concatenates once. A ResNet's 47 MB of
// weights then cost one copy instead of a byte-by-byte push per nesting level.
class Writer {
  constructor() { this.chunks = []; this.cur = []; this.length = 0; }
  flush() {
    if (this.cur.length) { this.chunks.push(Uint8Array.from(this.cur)); this.cur = []; }
  }
  byte(b) { this.cur.push(b); this.length++; }
  bytes(u8) {
    if (u8.length < 256) {
      for (let i = 0; i < u8.length; i++) this.cur.push(u8[i]);
    } else {
      this.flush();
      this.chunks.push(u8);
    }
    this.length += u8.length;
  }
  varint(v) {
    let n = BigInt.asUintN(64, BigInt(v));
    do {
      let b = Number(n & 0x7fn);
      n >>= 7n;
      if (n !== 0n) b |= 0x80;
      this.byte(b);
    } while (n !== 0n);
    return this;
  }
  tag(field, wire) { return this.varint((field << 3) | wire); }
  int(field, v) { return this.tag(field, 0).varint(v); }
  float(field, v) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.tag(field, 5);
    this.bytes(b);
    return this;
  }
  raw(field, u8) {
    this.tag(field, 2).varint(u8.length);
    this.bytes(u8);
    return this;
  }
  string(field, s) { return this.raw(field, new TextEncoder().encode(s)); }
  message(field, build) {
    const w = new Writer();
    build(w);
    w.flush();
    this.tag(field, 2).varint(w.length);
    this.flush();
    for (const c of w.chunks) this.chunks.push(c);
    this.length += w.length;
    return this;
  }
  finish() {
    this.flush();
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) { out.set(c, at); at += c.length; }
    return out;
  }
}

// ValueInfoProto: name + TypeProto.tensor_type{elem_type, shape{dim{dim_value | dim_param}}}.
function valueInfo(w, { name, dtype = 'float32', shape }) {
  w.string(1, name);
  w.message(2, (type) => type.message(1, (tensor) => {
    tensor.int(1, ELEM_TYPE[dtype]);
    tensor.message(2, (shp) => {
      for (const d of shape) {
        shp.message(1, (dim) => (typeof d === 'string' ? dim.string(2, d) : dim.int(1, d)));
      }
    });
  }));
}

// AttributeProto from a JS value: integer → INT, other number → FLOAT, string → STRING,
// array of integers → INTS, array of numbers → FLOATS.
function attribute(w, name, value) {
  w.string(1, name);
  if (typeof value === 'string') {
    w.string(4, value).int(20, ATTR_TYPE.STRING);
  } else if (typeof value === 'number') {
    if (Number.isInteger(value)) w.int(3, value).int(20, ATTR_TYPE.INT);
    else w.float(2, value).int(20, ATTR_TYPE.FLOAT);
  } else if (Array.isArray(value) && value.every(Number.isInteger)) {
    for (const v of value) w.int(8, v);
    w.int(20, ATTR_TYPE.INTS);
  } else if (Array.isArray(value)) {
    for (const v of value) w.float(7, v);
    w.int(20, ATTR_TYPE.FLOATS);
  } else {
    throw new Error(`onnx attribute '${name}': unsupported value ${value}`);
  }
}

// TensorProto holding float32 data as raw little-endian bytes.
function initializer(w, { name, shape, data }) {
  for (const d of shape) w.int(1, d);
  w.int(2, ELEM_TYPE.float32);
  w.string(8, name);
  const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
  w.raw(9, new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength));
}

/**
 * Encodes a model.
 * @param {{nodes: {op: string, inputs: string[], outputs: string[], attrs?: object}[],
 *          inputs: {name, shape, dtype?}[], outputs: {name, shape, dtype?}[],
 *          initializers?: {name, shape, data}[], opset?: number, name?: string}} g
 * @returns {Uint8Array} the serialized ModelProto
 */
export function encodeModel(g) {
  const w = new Writer();
  w.int(1, 8); // ir_version 8 (onnx 1.10+), understood by every onnxruntime >= 1.10
  w.string(2, 'isotensor-bench');
  w.message(7, (graph) => {
    g.nodes.forEach((n, i) => graph.message(1, (node) => {
      for (const x of n.inputs) node.string(1, x);
      for (const y of n.outputs) node.string(2, y);
      node.string(3, `${n.op.toLowerCase()}_${i}`);
      node.string(4, n.op);
      for (const [k, v] of Object.entries(n.attrs ?? {})) node.message(5, (a) => attribute(a, k, v));
    }));
    graph.string(2, g.name ?? 'bench');
    for (const t of g.initializers ?? []) graph.message(5, (tp) => initializer(tp, t));
    for (const vi of g.inputs) graph.message(11, (v) => valueInfo(v, vi));
    for (const vi of g.outputs) graph.message(12, (v) => valueInfo(v, vi));
  });
  w.message(8, (op) => op.string(1, '').int(2, g.opset ?? 17));
  return w.finish();
}
