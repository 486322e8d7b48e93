// How ONNX nodes become registered ops: the converter registry and the context a converter works in.
// SPDX-License-Identifier: Apache-2.0
//
// A converter sees its node's attributes and inputs and calls `c.op(mxnetOp, inputs, params)`.
// Inputs are Values: an NDArray when the value is known (initializers, Constant nodes, everything
// in an InferenceSession) or a Symbol when it is computed by the graph. `c.op` runs the op at once
// when every input is known (constant folding) and adds a graph node otherwise, so one converter
// serves both importModel (a Symbol graph) and InferenceSession (arrays).
import type { DType } from '../base/dtype.js';
import { IsotensorError } from '../base/error.js';
import type { NDArray } from '../ndarray/ndarray.js';
import type { Symbol } from '../symbol/symbol.js';
import { ATTR_TYPE, type AttributeProto, type GraphProto, type NodeProto, type TensorProto } from './onnx_proto.js';
import { isStrings, type StringTensor } from './strings.js';

/** A tensor value flowing along the graph: known (NDArray) or computed by the Symbol graph. */
export type Value = NDArray | Symbol;

/**
 * An ONNX sequence: an ordered list of tensors, known when the graph is built (its length is, its
 * items may be graph values). `elemType` types an empty sequence. A plain object, so mx.scope sees
 * the arrays inside.
 */
export interface SequenceValue { kind: 'sequence'; items: Value[]; elemType: DType | undefined }

/** An ONNX optional: none, or one tensor or sequence. */
export interface OptionalValue { kind: 'optional'; value: Value | SequenceValue | null }

/** Any value of an ONNX graph: a tensor, a sequence, an optional, or a tensor of strings (sessions only). */
export type AnyValue = Value | SequenceValue | OptionalValue | StringTensor;

export function sequenceValue(items: Value[], elemType: DType | undefined): SequenceValue {
  return { kind: 'sequence', items, elemType };
}

export function optionalValue(value: Value | SequenceValue | null): OptionalValue {
  return { kind: 'optional', value };
}

export function isSequence(v: AnyValue | undefined): v is SequenceValue {
  return v !== undefined && (v as { kind?: unknown }).kind === 'sequence';
}

export function isOptional(v: AnyValue | undefined): v is OptionalValue {
  return v !== undefined && (v as { kind?: unknown }).kind === 'optional';
}

export function isTensor(v: AnyValue | undefined): v is Value {
  const k = (v as { kind?: unknown } | undefined)?.kind;
  return v !== undefined && !isStrings(v) && k !== 'sequence' && k !== 'optional';
}

/** What kind of value v is, for error messages. */
export function kindOf(v: AnyValue): string {
  return isSequence(v) ? 'a sequence' : isOptional(v) ? 'an optional' : isStrings(v) ? 'a tensor of strings' : 'a tensor';
}

/** Parameter values of a registered op (snake_case keys, MXNet attribute forms). */
export type OpParams = Readonly<Record<string, string | number | boolean | readonly number[] | null | undefined>>;

/** What a converter may ask of the graph it is converting. */
export interface GraphOps {
  /** Runs/adds registered op `op`; returns its visible outputs. */
  op(op: string, inputs: readonly Value[], params: OpParams, fold: boolean): Value[];
  /** Whether a value is known (an NDArray). */
  isKnown(v: Value): v is NDArray;
  /** Shape of a value (inferred for Symbols); undefined when it cannot be inferred. */
  shapeOf(v: Value): number[] | undefined;
  /** dtype of a value (inferred for Symbols). */
  dtypeOf(v: Value): DType | undefined;
  /** A known array from host values (a new constant). */
  constant(values: ArrayLike<number | bigint>, shape: readonly number[], dtype: DType): NDArray;
  /** A HostTensor-backed NDArray from an ONNX TensorProto (Constant nodes, tensor attributes). */
  tensor(t: TensorProto, what: string): NDArray;
  /** Runs a nested graph (If branches, Loop bodies) on `inputs`; its outputs. */
  subgraph(g: GraphProto, inputs: readonly AnyValue[]): AnyValue[];
  /** d y / d x for each of the graph values `xs` (ai.onnx.preview.training's Gradient). */
  gradient(y: string, xs: readonly string[], label: string): NDArray[];
}

/** An array's values as plain numbers (int64 included). */
export function numbersOf(a: NDArray): number[] {
  const d = a.dataSync<DType>() as ArrayLike<number | bigint>;
  const out = new Array<number>(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  return out;
}

function attrLabel(a: AttributeProto): string {
  return ['', 'float', 'int', 'string', 'tensor', 'graph', 'floats', 'ints', 'strings', 'tensors', 'graphs'][a.type] ?? String(a.type);
}

/** The node being converted: attribute and input accessors with ONNX's defaults and clear errors. */
export class NodeContext {
  private readonly attrs = new Map<string, AttributeProto>();

  constructor(readonly node: NodeProto, readonly opset: number, private readonly inputValues: (AnyValue | undefined)[],
              private readonly g: GraphOps) {
    for (const a of node.attributes) this.attrs.set(a.name, a);
  }

  /** "onnx Conv (node 'conv1')": how errors name the node. */
  get label(): string {
    const n = this.node.name !== '' ? this.node.name : this.node.outputs[0] ?? '';
    return `onnx ${this.node.opType}${n !== '' ? ` (node '${n}')` : ''}`;
  }

  fail(detail: string): never {
    throw new IsotensorError(`${this.label}: ${detail}`);
  }

  /* ---- attributes ---- */

  hasAttr(name: string): boolean { return this.attrs.has(name); }

  private attr(name: string, type: number): AttributeProto | undefined {
    const a = this.attrs.get(name);
    if (a === undefined) return undefined;
    if (a.refAttrName !== undefined) this.fail(`attribute ${name} refers to a function attribute`);
    if (a.type !== type) this.fail(`attribute ${name} is a ${attrLabel(a)}, expected ${attrLabel({ type } as AttributeProto)}`);
    return a;
  }

  int(name: string, dflt: number): number;
  int(name: string): number | undefined;
  int(name: string, dflt?: number): number | undefined { return this.attr(name, ATTR_TYPE.INT)?.i ?? dflt; }

  float(name: string, dflt: number): number;
  float(name: string): number | undefined;
  float(name: string, dflt?: number): number | undefined { return this.attr(name, ATTR_TYPE.FLOAT)?.f ?? dflt; }

  string(name: string, dflt: string): string;
  string(name: string): string | undefined;
  string(name: string, dflt?: string): string | undefined {
    const s = this.attr(name, ATTR_TYPE.STRING)?.s;
    return s === undefined ? dflt : new TextDecoder().decode(s);
  }

  ints(name: string, dflt: number[]): number[];
  ints(name: string): number[] | undefined;
  ints(name: string, dflt?: number[]): number[] | undefined { return this.attr(name, ATTR_TYPE.INTS)?.ints ?? dflt; }

  floats(name: string, dflt: number[]): number[];
  floats(name: string): number[] | undefined;
  floats(name: string, dflt?: number[]): number[] | undefined { return this.attr(name, ATTR_TYPE.FLOATS)?.floats ?? dflt; }

  strings(name: string): string[] | undefined {
    return this.attr(name, ATTR_TYPE.STRINGS)?.strings.map((s) => new TextDecoder().decode(s));
  }

  tensorAttr(name: string): NDArray | undefined {
    const t = this.attr(name, ATTR_TYPE.TENSOR)?.t;
    return t === undefined ? undefined : this.g.tensor(t, `${this.label}: attribute ${name}`);
  }

  /** A tensor attribute as its TensorProto (string tensors, which NDArrays cannot hold). */
  tensorProtoAttr(name: string): TensorProto | undefined {
    return this.attr(name, ATTR_TYPE.TENSOR)?.t;
  }

  /** A graph attribute (If's branches, Loop's body). */
  graph(name: string): GraphProto | undefined {
    return this.attr(name, ATTR_TYPE.GRAPH)?.g;
  }

  /** Runs a nested graph on `inputs`. */
  subgraph(g: GraphProto, inputs: readonly AnyValue[]): AnyValue[] {
    return this.g.subgraph(g, inputs);
  }

  /** d y / d x for each of the graph values `xs`, y's gradient seeded with ones. */
  gradient(y: string, xs: readonly string[]): NDArray[] {
    return this.g.gradient(y, xs, this.label);
  }

  /** Rejects attributes the converter does not handle with a non-default value. */
  unsupported(name: string, ok: (a: AttributeProto) => boolean, detail: string): void {
    const a = this.attrs.get(name);
    if (a !== undefined && !ok(a)) this.fail(`${name}: ${detail}`);
  }

  /* ---- inputs ---- */

  /** Number of inputs, counting absent optional ones ('' names) in the middle. */
  get numInputs(): number { return this.node.inputs.length; }

  /** Whether optional input `i` is present. */
  has(i: number): boolean { return i < this.node.inputs.length && this.node.inputs[i] !== ''; }

  /** Tensor input i (a sequence or optional there is an error: most ops take tensors only). */
  input(i: number): Value {
    const v = this.value(i);
    if (!isTensor(v)) this.fail(`input ${i} ('${this.node.inputs[i]}') is ${kindOf(v)}, but this operator takes a tensor there`);
    return v;
  }

  /** Input i of any kind: a tensor, a sequence or an optional. */
  value(i: number): AnyValue {
    const v = this.inputValues[i];
    if (v === undefined) this.fail(`input ${i} is required`);
    return v;
  }

  /** String tensor input i. */
  stringInput(i: number): StringTensor {
    const v = this.value(i);
    if (!isStrings(v)) this.fail(`input ${i} ('${this.node.inputs[i]}') is ${kindOf(v)}, expected a tensor of strings`);
    return v;
  }

  /** Sequence input i. */
  sequence(i: number): SequenceValue {
    const v = this.value(i);
    if (!isSequence(v)) this.fail(`input ${i} ('${this.node.inputs[i]}') is ${kindOf(v)}, expected a sequence`);
    return v;
  }

  /** Optional input i. */
  optional(i: number): OptionalValue {
    const v = this.value(i);
    if (!isOptional(v)) this.fail(`input ${i} ('${this.node.inputs[i]}') is ${kindOf(v)}, expected an optional`);
    return v;
  }

  /** The present inputs from `from` on (variadic ops). */
  inputsFrom(from: number): Value[] {
    const out: Value[] = [];
    for (let i = from; i < this.node.inputs.length; i++) if (this.has(i)) out.push(this.input(i));
    return out;
  }

  isKnown(v: Value): v is NDArray { return this.g.isKnown(v); }

  /** A known input's value, or a clear error saying it must be a constant. */
  known(i: number, what: string): NDArray {
    const v = this.input(i);
    if (!this.g.isKnown(v)) {
      this.fail(`input ${i} (${what}, '${this.node.inputs[i]}') must be known when the graph is built: an ` +
                'initializer, a Constant, or computed from them (use mx.onnx.InferenceSession to feed it at run time)');
    }
    return v;
  }

  /** A known integer input's values as numbers (shapes, axes, pads, ...); `dflt` when absent. */
  knownInts(i: number, what: string, dflt?: number[]): number[] {
    if (!this.has(i)) {
      if (dflt !== undefined) return dflt;
      this.fail(`input ${i} (${what}) is required`);
    }
    return numbersOf(this.known(i, what));
  }

  /** A known float input's values as numbers. */
  knownFloats(i: number, what: string): number[] {
    return numbersOf(this.known(i, what));
  }

  shape(v: Value, what = 'an input'): number[] {
    const s = this.g.shapeOf(v);
    if (s === undefined) {
      this.fail(`needs the shape of ${what}, which could not be inferred; give the graph inputs' shapes ` +
                '(options.inputShapes)');
    }
    return s;
  }

  /** A value's shape, or undefined when it cannot be inferred (for converters with a shape-free path). */
  shapeIfKnown(v: Value): number[] | undefined { return this.g.shapeOf(v); }

  rank(v: Value, what?: string): number { return this.shape(v, what).length; }

  dtype(v: Value, what = 'an input'): DType {
    const d = this.g.dtypeOf(v);
    if (d === undefined) this.fail(`needs the dtype of ${what}, which could not be inferred`);
    return d;
  }

  /** A value's dtype, or undefined when it cannot be inferred. */
  dtypeIfKnown(v: Value): DType | undefined { return this.g.dtypeOf(v); }

  /** Normalises an axis in [-rank, rank) to [0, rank). */
  axis(a: number, rank: number, what = 'axis'): number {
    if (a < -rank || a >= rank) this.fail(`${what} ${a} is out of range for rank ${rank}`);
    return a < 0 ? a + rank : a;
  }

  /* ---- ops ---- */

  /** Runs or adds a registered op with one visible output. */
  op(op: string, inputs: readonly Value[], params: OpParams = {}): Value {
    return this.g.op(op, inputs, params, true)[0]!;
  }

  /** Runs or adds a registered op; all its visible outputs. */
  opN(op: string, inputs: readonly Value[], params: OpParams = {}): Value[] {
    return this.g.op(op, inputs, params, true);
  }

  /** Like op(), but never folded at build time (random ops). */
  opNoFold(op: string, inputs: readonly Value[], params: OpParams = {}): Value[] {
    return this.g.op(op, inputs, params, false);
  }

  /**
   * Runs another op type's converter on derived inputs, with this node's attributes (QLinearConv
   * reuses Conv's on dequantized operands).
   */
  convertAs(opType: string, inputs: readonly Value[]): Value[] {
    const conv = findConverter(opType, this.opset) ?? this.fail(`no converter for ${opType}`);
    const node = { ...this.node, opType, inputs: inputs.map((_, i) => `${opType}_input${i}`) };
    const out = conv(new NodeContext(node, this.opset, inputs.slice(), this.g));
    const outs = Array.isArray(out) ? out : [out];
    if (!outs.every(isTensor)) this.fail(`${opType} gave a sequence or optional where tensors were expected`);
    return outs;
  }

  /** A new known array. */
  constant(values: ArrayLike<number | bigint>, shape: readonly number[], dtype: DType = 'float32'): NDArray {
    return this.g.constant(values, shape, dtype);
  }

  /** Casts a value to dtype unless it already has it. */
  cast(v: Value, dtype: DType): Value {
    return this.g.dtypeOf(v) === dtype ? v : this.op('Cast', [v], { dtype });
  }
}

/** Converts one ONNX node: returns its outputs in order (fewer when trailing optional outputs are unused). */
export type Converter = (c: NodeContext) => AnyValue | AnyValue[];

const CONVERTERS = new Map<string, { fn: Converter; since: number }[]>();

// Registry key: the op type, prefixed by its domain outside the default one ('ai.onnx.ml:Binarizer').
const keyOf = (opType: string, domain: string): string => (domain === '' ? opType : `${domain}:${opType}`);

/**
 * Registers a converter for ONNX op types of `domain` (default: the default domain). `since` is the
 * first version of that domain's opset the converter handles; the highest `since` not above the
 * model's is used.
 */
export function converter(opTypes: string | readonly string[], fn: Converter, since = 1, domain = ''): void {
  for (const t of typeof opTypes === 'string' ? [opTypes] : opTypes) {
    const list = CONVERTERS.get(keyOf(t, domain)) ?? [];
    list.push({ fn, since });
    list.sort((a, b) => b.since - a.since);
    CONVERTERS.set(keyOf(t, domain), list);
  }
}

/** The converter for an op type of a domain ('' for the default one) at an opset version. */
export function findConverter(opType: string, opset: number, domain = ''): Converter | undefined {
  return CONVERTERS.get(keyOf(opType, domain))?.find((e) => e.since <= opset)?.fn;
}

/** The domains besides the default one that have converters ('ai.onnx.ml', ...). */
export function otherDomains(): string[] {
  const out = new Set<string>();
  for (const k of CONVERTERS.keys()) if (k.includes(':')) out.add(k.slice(0, k.lastIndexOf(':')));
  return [...out].sort();
}

/** ONNX op types with a converter (for reports); other domains' as 'domain:OpType'. */
export function supportedOps(): string[] {
  return [...CONVERTERS.keys()].sort();
}
