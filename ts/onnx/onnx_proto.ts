// ONNX's protobuf messages (onnx/onnx.proto3) decoded into plain objects, and encoded back.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from '../base/error.js';
import { ProtoReader, ProtoWriter, WIRE } from './protobuf.js';

/** TensorProto.DataType numbers. */
export const ONNX_TYPE = {
  UNDEFINED: 0, FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8,
  BOOL: 9, FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, COMPLEX64: 14, COMPLEX128: 15, BFLOAT16: 16,
  FLOAT8E4M3FN: 17, FLOAT8E4M3FNUZ: 18, FLOAT8E5M2: 19, FLOAT8E5M2FNUZ: 20, UINT4: 21, INT4: 22, FLOAT4E2M1: 23,
  FLOAT8E8M0: 24, UINT2: 25, INT2: 26,
} as const;

export interface TensorProto {
  name: string;
  dims: number[];
  dataType: number;
  rawData?: Uint8Array;
  floatData: number[];
  int32Data: number[];
  int64Data: bigint[];
  doubleData: number[];
  uint64Data: bigint[];
  stringData: Uint8Array[];
  /** data_location EXTERNAL (1): the bytes live in another file, described by externalData. */
  external: boolean;
  externalData: Record<string, string>;
}

/** AttributeProto.AttributeType numbers. */
export const ATTR_TYPE = {
  FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10,
} as const;

export interface AttributeProto {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats: number[];
  ints: number[];
  strings: Uint8Array[];
  tensors: TensorProto[];
  graphs: GraphProto[];
  /** A function-body attribute that refers to the caller's attribute (not supported in graphs). */
  refAttrName?: string;
}

export interface NodeProto {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: AttributeProto[];
}

/** A tensor type: element type and dims (a number, a symbolic name, or null when unknown). */
export interface TensorTypeProto {
  elemType: number;
  /** undefined when the rank itself is unknown. */
  shape?: (number | string | null)[];
}

/** A TypeProto: a tensor type, or a sequence/optional of `elem`. */
export interface TypeInfo {
  /** undefined for non-tensor types (sequences, maps, optionals). */
  tensor?: TensorTypeProto;
  kind: 'tensor' | 'sequence' | 'map' | 'optional' | 'sparse' | 'unknown';
  /** A sequence's or optional's element type, when declared. */
  elem?: TypeInfo;
}

export interface ValueInfoProto extends TypeInfo {
  name: string;
}

export interface GraphProto {
  name: string;
  nodes: NodeProto[];
  initializers: TensorProto[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  valueInfo: ValueInfoProto[];
}

export interface OpsetId { domain: string; version: number }

export interface ModelProto {
  irVersion: number;
  opsetImport: OpsetId[];
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: number;
  docString: string;
  graph: GraphProto;
  metadata: Record<string, string>;
  /** Model-local functions (ModelProto.functions): nodes whose op_type names one expand to its body. */
  functions: FunctionProto[];
}

export interface FunctionProto {
  name: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: string[];
  nodes: NodeProto[];
  opsetImport: OpsetId[];
}

function readEntry(r: ProtoReader): [string, string] {
  let k = '';
  let v = '';
  while (!r.done) {
    const [f, w] = r.tag();
    if (f === 1 && w === WIRE.LEN) k = r.string();
    else if (f === 2 && w === WIRE.LEN) v = r.string();
    else r.skip(w);
  }
  return [k, v];
}

export function readTensor(r: ProtoReader): TensorProto {
  const t: TensorProto = {
    name: '', dims: [], dataType: 0, floatData: [], int32Data: [], int64Data: [], doubleData: [],
    uint64Data: [], stringData: [], external: false, externalData: {},
  };
  while (!r.done) {
    const [f, w] = r.tag();
    switch (f) {
      case 1: r.repeated(w, (x) => t.dims.push(x.int64())); break;
      case 2: t.dataType = r.varint(); break;
      case 4: r.repeated(w, (x) => t.floatData.push(x.float())); break;
      case 5: r.repeated(w, (x) => t.int32Data.push(Number(x.varint64()))); break;
      case 6: t.stringData.push(r.bytesField()); break;
      case 7: r.repeated(w, (x) => t.int64Data.push(x.varint64())); break;
      case 8: t.name = r.string(); break;
      case 9: t.rawData = r.bytesField(); break;
      case 10: r.repeated(w, (x) => t.doubleData.push(x.double())); break;
      case 11: r.repeated(w, (x) => t.uint64Data.push(BigInt.asUintN(64, x.varint64()))); break;
      case 13: { const [k, v] = readEntry(r.sub('TensorProto.external_data')); t.externalData[k] = v; break; }
      case 14: t.external = r.varint() === 1; break;
      default: r.skip(w);
    }
  }
  return t;
}

function readAttribute(r: ProtoReader): AttributeProto {
  const a: AttributeProto = { name: '', type: 0, floats: [], ints: [], strings: [], tensors: [], graphs: [] };
  while (!r.done) {
    const [f, w] = r.tag();
    switch (f) {
      case 1: a.name = r.string(); break;
      case 2: a.f = r.float(); break;
      case 3: a.i = r.int64(); break;
      case 4: a.s = r.bytesField(); break;
      case 5: a.t = readTensor(r.sub('AttributeProto.t')); break;
      case 6: a.g = readGraph(r.sub('AttributeProto.g')); break;
      case 7: r.repeated(w, (x) => a.floats.push(x.float())); break;
      case 8: r.repeated(w, (x) => a.ints.push(x.int64())); break;
      case 9: a.strings.push(r.bytesField()); break;
      case 10: a.tensors.push(readTensor(r.sub('AttributeProto.tensors'))); break;
      case 11: a.graphs.push(readGraph(r.sub('AttributeProto.graphs'))); break;
      case 20: a.type = r.varint(); break;
      case 21: a.refAttrName = r.string(); break;
      default: r.skip(w);
    }
  }
  // Old writers leave `type` unset: infer it from the field that is present.
  if (a.type === 0) {
    a.type = a.f !== undefined ? ATTR_TYPE.FLOAT : a.i !== undefined ? ATTR_TYPE.INT : a.s !== undefined ? ATTR_TYPE.STRING
      : a.t !== undefined ? ATTR_TYPE.TENSOR : a.g !== undefined ? ATTR_TYPE.GRAPH : a.floats.length ? ATTR_TYPE.FLOATS
      : a.ints.length ? ATTR_TYPE.INTS : a.strings.length ? ATTR_TYPE.STRINGS : 0;
  }
  return a;
}

function readNode(r: ProtoReader): NodeProto {
  const n: NodeProto = { name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: [] };
  while (!r.done) {
    const [f, w] = r.tag();
    switch (f) {
      case 1: n.inputs.push(r.string()); break;
      case 2: n.outputs.push(r.string()); break;
      case 3: n.name = r.string(); break;
      case 4: n.opType = r.string(); break;
      case 5: n.attributes.push(readAttribute(r.sub('AttributeProto'))); break;
      case 7: n.domain = r.string(); break;
      default: r.skip(w);
    }
  }
  return n;
}

function readShape(r: ProtoReader): (number | string | null)[] {
  const dims: (number | string | null)[] = [];
  while (!r.done) {
    const [f, w] = r.tag();
    if (f !== 1 || w !== WIRE.LEN) { r.skip(w); continue; }
    const d = r.sub('TensorShapeProto.Dimension');
    let dim: number | string | null = null;
    while (!d.done) {
      const [g, x] = d.tag();
      if (g === 1) dim = d.int64();
      else if (g === 2) dim = d.string();
      else d.skip(x);
    }
    dims.push(dim);
  }
  return dims;
}

function readTypeProto(t: ProtoReader, v: TypeInfo): void {
  while (!t.done) {
    const [g, x] = t.tag();
    if (g === 1) {
      v.kind = 'tensor';
      const tt: TensorTypeProto = { elemType: 0 };
      const tr = t.sub('TypeProto.Tensor');
      while (!tr.done) {
        const [h, y] = tr.tag();
        if (h === 1) tt.elemType = tr.varint();
        else if (h === 2) tt.shape = readShape(tr.sub('TensorShapeProto'));
        else tr.skip(y);
      }
      v.tensor = tt;
    } else if ((g === 4 || g === 9) && x === WIRE.LEN) {
      // Sequence and Optional both hold `TypeProto elem_type = 1`.
      v.kind = g === 4 ? 'sequence' : 'optional';
      const sr = t.sub(g === 4 ? 'TypeProto.Sequence' : 'TypeProto.Optional');
      while (!sr.done) {
        const [h, y] = sr.tag();
        if (h === 1 && y === WIRE.LEN) {
          const elem: TypeInfo = { kind: 'unknown' };
          readTypeProto(sr.sub('TypeProto'), elem);
          v.elem = elem;
        } else {
          sr.skip(y);
        }
      }
    } else {
      if (g === 5) v.kind = 'map';
      else if (g === 8) v.kind = 'sparse';
      t.skip(x);
    }
  }
}

function readValueInfo(r: ProtoReader): ValueInfoProto {
  const v: ValueInfoProto = { name: '', kind: 'unknown' };
  while (!r.done) {
    const [f, w] = r.tag();
    if (f === 1) { v.name = r.string(); continue; }
    if (f !== 2) { r.skip(w); continue; }
    readTypeProto(r.sub('TypeProto'), v);
  }
  return v;
}

export function readGraph(r: ProtoReader): GraphProto {
  const g: GraphProto = { name: '', nodes: [], initializers: [], inputs: [], outputs: [], valueInfo: [] };
  while (!r.done) {
    const [f, w] = r.tag();
    switch (f) {
      case 1: g.nodes.push(readNode(r.sub('NodeProto'))); break;
      case 2: g.name = r.string(); break;
      case 5: g.initializers.push(readTensor(r.sub('TensorProto'))); break;
      case 11: g.inputs.push(readValueInfo(r.sub('ValueInfoProto'))); break;
      case 12: g.outputs.push(readValueInfo(r.sub('ValueInfoProto'))); break;
      case 13: g.valueInfo.push(readValueInfo(r.sub('ValueInfoProto'))); break;
      case 15: throw new IsotensorError('onnx: sparse initializers are not supported');
      default: r.skip(w);
    }
  }
  return g;
}

function readOpset(r: ProtoReader): OpsetId {
  const o: OpsetId = { domain: '', version: 0 };
  while (!r.done) {
    const [f, w] = r.tag();
    if (f === 1) o.domain = r.string();
    else if (f === 2) o.version = r.int64();
    else r.skip(w);
  }
  return o;
}

function readFunction(r: ProtoReader): FunctionProto {
  const fn: FunctionProto = { name: '', domain: '', inputs: [], outputs: [], attributes: [], nodes: [], opsetImport: [] };
  while (!r.done) {
    const [f, w] = r.tag();
    switch (f) {
      case 1: fn.name = r.string(); break;
      case 4: fn.inputs.push(r.string()); break;
      case 5: fn.outputs.push(r.string()); break;
      case 6: fn.attributes.push(r.string()); break;
      case 7: fn.nodes.push(readNode(r.sub('NodeProto'))); break;
      case 9: fn.opsetImport.push(readOpset(r.sub('OperatorSetIdProto'))); break;
      case 10: fn.domain = r.string(); break;
      default: r.skip(w);
    }
  }
  return fn;
}

/** Decodes a serialized ModelProto (the bytes of a .onnx file). */
export function decodeModel(bytes: Uint8Array): ModelProto {
  const r = new ProtoReader(bytes, 'onnx model');
  const m: ModelProto = {
    irVersion: 0, opsetImport: [], producerName: '', producerVersion: '', domain: '', modelVersion: 0,
    docString: '', graph: { name: '', nodes: [], initializers: [], inputs: [], outputs: [], valueInfo: [] },
    metadata: {}, functions: [],
  };
  let sawGraph = false;
  while (!r.done) {
    const [f, w] = r.tag();
    switch (f) {
      case 1: m.irVersion = r.int64(); break;
      case 2: m.producerName = r.string(); break;
      case 3: m.producerVersion = r.string(); break;
      case 4: m.domain = r.string(); break;
      case 5: m.modelVersion = r.int64(); break;
      case 6: m.docString = r.string(); break;
      case 7: m.graph = readGraph(r.sub('GraphProto')); sawGraph = true; break;
      case 8: m.opsetImport.push(readOpset(r.sub('OperatorSetIdProto'))); break;
      case 14: { const [k, v] = readEntry(r.sub('StringStringEntryProto')); m.metadata[k] = v; break; }
      case 25: m.functions.push(readFunction(r.sub('FunctionProto'))); break;
      default: r.skip(w);
    }
  }
  if (!sawGraph) throw new IsotensorError('onnx: the model has no graph (is this an .onnx file?)');
  return m;
}

/** Decodes a serialized TensorProto (a conformance case's input_0.pb, say). */
export function decodeTensor(bytes: Uint8Array): TensorProto {
  return readTensor(new ProtoReader(bytes, 'onnx TensorProto'));
}

/** SequenceProto/OptionalProto elem_type numbers. */
export const VALUE_ELEM_TYPE = { UNDEFINED: 0, TENSOR: 1, SPARSE_TENSOR: 2, SEQUENCE: 3, MAP: 4, OPTIONAL: 5 } as const;

/** A decoded value file: a TensorProto, a SequenceProto or an OptionalProto. */
export type ValueProto =
  | { kind: 'tensor'; tensor: TensorProto }
  | { kind: 'sequence'; name: string; elemType: number; items: ValueProto[] }
  | { kind: 'optional'; name: string; elemType: number; value: ValueProto | null };

const ELEM_NAMES = ['undefined', 'tensor', 'sparse tensor', 'sequence', 'map', 'optional'];

// SequenceProto (repeated values) and OptionalProto (at most one) share their field numbers:
// name=1, elem_type=2, tensor=3, sparse_tensor=4, sequence=5, map=6, optional=7.
function readContainer(r: ProtoReader, kind: 'sequence' | 'optional'): ValueProto {
  const what = kind === 'sequence' ? 'SequenceProto' : 'OptionalProto';
  let name = '';
  let elemType = 0;
  const items: ValueProto[] = [];
  while (!r.done) {
    const [f, w] = r.tag();
    switch (f) {
      case 1: name = r.string(); break;
      case 2: elemType = r.varint(); break;
      case 3: items.push({ kind: 'tensor', tensor: readTensor(r.sub(`${what}.tensor`)) }); break;
      case 5: items.push(readContainer(r.sub(`${what}.sequence`), 'sequence')); break;
      case 7: items.push(readContainer(r.sub(`${what}.optional`), 'optional')); break;
      case 4: case 6:
        throw new IsotensorError(`onnx ${what}${name !== '' ? ` '${name}'` : ''}: holds ${f === 4 ? 'sparse tensors' : 'maps'}, which are not supported`);
      default: r.skip(w);
    }
  }
  if (kind === 'sequence') return { kind, name, elemType, items };
  if (items.length > 1) throw new IsotensorError(`onnx OptionalProto${name !== '' ? ` '${name}'` : ''}: holds ${items.length} values, at most 1 allowed`);
  if (items.length === 0 && elemType !== VALUE_ELEM_TYPE.UNDEFINED && elemType >= ELEM_NAMES.length) {
    throw new IsotensorError(`onnx OptionalProto: unknown elem_type ${elemType}`);
  }
  return { kind, name, elemType, value: items[0] ?? null };
}

/**
 * Decodes a serialized value of a known kind: a TensorProto, a SequenceProto or an OptionalProto
 * (the wire formats cannot be told apart reliably, so the caller says which).
 */
export function decodeValue(bytes: Uint8Array, kind: 'tensor' | 'sequence' | 'optional'): ValueProto {
  if (kind === 'tensor') return { kind, tensor: decodeTensor(bytes) };
  return readContainer(new ProtoReader(bytes, kind === 'sequence' ? 'onnx SequenceProto' : 'onnx OptionalProto'), kind);
}

/** The name of a SequenceProto/OptionalProto elem_type (for messages). */
export function valueElemName(t: number): string {
  return ELEM_NAMES[t] ?? String(t);
}

/* ---- encoding (export) ---- */

export function writeTensor(w: ProtoWriter, t: { name: string; dims: readonly number[]; dataType: number; rawData: Uint8Array }): void {
  if (t.dims.length > 0) w.packedInts(1, t.dims);
  w.int(2, t.dataType);
  w.string(8, t.name);
  w.raw(9, t.rawData);
}

/** A TensorProto message on its own (a .pb file of a conformance case). */
export function encodeTensor(t: Parameters<typeof writeTensor>[1]): Uint8Array {
  const w = new ProtoWriter();
  writeTensor(w, t);
  return w.finish();
}

export interface AttributeValue {
  name: string;
  f?: number; i?: number; s?: string; t?: Parameters<typeof writeTensor>[1];
  floats?: readonly number[]; ints?: readonly number[]; strings?: readonly string[];
}

function writeAttribute(w: ProtoWriter, a: AttributeValue): void {
  w.string(1, a.name);
  if (a.f !== undefined) w.float(2, a.f).int(20, ATTR_TYPE.FLOAT);
  else if (a.i !== undefined) w.int(3, a.i).int(20, ATTR_TYPE.INT);
  else if (a.s !== undefined) w.string(4, a.s).int(20, ATTR_TYPE.STRING);
  else if (a.t !== undefined) w.message(5, (x) => writeTensor(x, a.t!)).int(20, ATTR_TYPE.TENSOR);
  else if (a.floats !== undefined) w.packedFloats(7, a.floats).int(20, ATTR_TYPE.FLOATS);
  else if (a.ints !== undefined) w.packedInts(8, a.ints).int(20, ATTR_TYPE.INTS);
  else if (a.strings !== undefined) { for (const s of a.strings) w.string(9, s); w.int(20, ATTR_TYPE.STRINGS); }
}

export interface NodeValue { name: string; opType: string; inputs: readonly string[]; outputs: readonly string[]; attributes: readonly AttributeValue[] }
export interface ValueInfoValue { name: string; elemType: number; shape: readonly (number | string)[] }

function writeValueInfo(w: ProtoWriter, v: ValueInfoValue): void {
  w.string(1, v.name);
  w.message(2, (type) => type.message(1, (tensor) => {
    tensor.int(1, v.elemType);
    tensor.message(2, (shp) => {
      for (const d of v.shape) shp.message(1, (dim) => (typeof d === 'string' ? dim.string(2, d) : dim.int(1, d)));
    });
  }));
}

/** Encodes a single-graph ModelProto. */
export function encodeModel(m: {
  irVersion: number; opset: number; producerName: string; producerVersion: string; graphName: string;
  nodes: readonly NodeValue[]; initializers: readonly Parameters<typeof writeTensor>[1][];
  inputs: readonly ValueInfoValue[]; outputs: readonly ValueInfoValue[];
}): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, m.irVersion);
  w.string(2, m.producerName);
  w.string(3, m.producerVersion);
  w.message(7, (g) => {
    for (const n of m.nodes) {
      g.message(1, (x) => {
        for (const i of n.inputs) x.string(1, i);
        for (const o of n.outputs) x.string(2, o);
        x.string(3, n.name);
        x.string(4, n.opType);
        for (const a of n.attributes) x.message(5, (y) => writeAttribute(y, a));
      });
    }
    g.string(2, m.graphName);
    for (const t of m.initializers) g.message(5, (x) => writeTensor(x, t));
    for (const v of m.inputs) g.message(11, (x) => writeValueInfo(x, v));
    for (const v of m.outputs) g.message(12, (x) => writeValueInfo(x, v));
  });
  w.message(8, (o) => o.string(1, '').int(2, m.opset));
  return w.finish();
}
