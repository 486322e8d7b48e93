// mx.onnx.exportModel: a Symbol and its parameters as an ONNX model (MXNet's onnx.export_model).
// SPDX-License-Identifier: Apache-2.0
//
// The Symbol's JSON is walked node by node; each MXNet op maps to one or a few ONNX nodes at
// opset 17. Shapes come from shape inference over the whole graph, so Reshape and friends are
// written with the resolved output shape (a static graph, as MXNet's exporter writes by default).
import type { DType } from '../base/dtype.js';
import { normalizeDType } from '../base/dtype.js';
import { IsotensorError } from '../base/error.js';
import { nodeFs } from '../base/node_builtin.js';
import { localPath } from '../base/read_source.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { Symbol } from '../symbol/symbol.js';
import { encodeModel, type AttributeValue, type NodeValue, type ValueInfoValue } from './onnx_proto.js';
import { hostFromNDArray, onnxTypeOf, protoFromHost } from './tensor.js';

/** Options of exportModel. */
export interface ExportOptions {
  /** Shapes of the data inputs (every non-parameter argument except labels of loss heads). */
  inputShapes: Record<string, readonly number[]>;
  /** dtypes of the data inputs (default float32). */
  inputTypes?: Record<string, DType | string>;
  /** Where to write the model (Node); the bytes are returned either way. */
  path?: string | URL;
  /** The ONNX graph's name (default 'isotensor'). */
  graphName?: string;
}

interface JsonNode { op: string; name: string; attrs?: Record<string, string>; inputs: [number, number, number][] }

const OPSET = 17;

/** An MXNet attribute string as a value: "(3, 3)" → [3, 3], "True" → true, "0.5" → 0.5. */
function parseAttr(v: string | undefined): unknown {
  if (v === undefined) return undefined;
  const t = v.trim();
  if (t === 'True' || t === 'true') return true;
  if (t === 'False' || t === 'false') return false;
  if (t === 'None') return null;
  if (/^[([]/.test(t)) {
    const inner = t.slice(1, -1).trim();
    return inner === '' ? [] : inner.split(',').filter((x) => x.trim() !== '').map((x) => Number(x.trim().replace(/L$/, '')));
  }
  const n = Number(t);
  return Number.isNaN(n) ? t : n;
}

class Exporter {
  readonly nodes: NodeValue[] = [];
  readonly initializers: ReturnType<typeof protoFromHost>[] = [];
  private readonly used = new Set<string>();
  private counter = 0;

  constructor(readonly shapes: Map<string, number[]>) {}

  fresh(base: string): string {
    let n = base;
    while (this.used.has(n)) n = `${base}_${++this.counter}`;
    this.used.add(n);
    return n;
  }

  node(opType: string, inputs: string[], outputs: string[], attrs: AttributeValue[] = [], name?: string): void {
    this.nodes.push({ name: this.fresh(name ?? `${outputs[0]}_${opType}`), opType, inputs, outputs, attributes: attrs });
  }

  /** A new int64 or float initializer with `values`; returns its name. */
  constant(base: string, values: readonly number[], dtype: 'int64' | 'float32', shape = [values.length]): string {
    const name = this.fresh(base);
    const storage = dtype === 'int64' ? BigInt64Array.from(values.map((v) => BigInt(v))) : Float32Array.from(values);
    this.initializers.push(protoFromHost({ name, dtype, shape, storage }));
    return name;
  }
}

type NodeExport = (e: Exporter, n: JsonNode, ins: string[], out: string, a: (k: string) => unknown,
                   shapeOf: (name: string) => number[]) => void;

function ints(v: unknown, dflt: number[] = []): number[] {
  return Array.isArray(v) ? v as number[] : typeof v === 'number' ? [v] : dflt;
}

const unary = (opType: string): NodeExport => (e, _n, ins, out) => e.node(opType, [ins[0]!], [out]);
const binary = (opType: string): NodeExport => (e, _n, ins, out) => e.node(opType, [ins[0]!, ins[1]!], [out]);
const scalar = (opType: string, reversed = false): NodeExport => (e, n, ins, out, a) => {
  const s = e.constant(`${n.name}_scalar`, [Number(a('scalar'))], 'float32', []);
  e.node(opType, reversed ? [s, ins[0]!] : [ins[0]!, s], [out]);
};
const reduce = (opType: string): NodeExport => (e, _n, ins, out, a) => {
  const axes = a('axis');
  const attrs: AttributeValue[] = [{ name: 'keepdims', i: a('keepdims') === true ? 1 : 0 }];
  if (a('exclude') === true) throw new IsotensorError(`onnx.exportModel: ${opType} with exclude=True is not supported`);
  if (opType === 'ReduceSum') {
    const inputs = [ins[0]!];
    if (axes !== undefined && axes !== null) inputs.push(e.constant(`${out}_axes`, ints(axes), 'int64'));
    e.node(opType, inputs, [out], attrs);
  } else {
    if (axes !== undefined && axes !== null) attrs.push({ name: 'axes', ints: ints(axes) });
    e.node(opType, [ins[0]!], [out], attrs);
  }
};

// The samplers: MXNet's params as ONNX attributes. A seed (>= 0) is written as ONNX's float seed, which
// the importer reads back as the same integer (exactly up to 2^24).
const sample = (opType: string, [loc, scale]: [string, string], [dLoc, dScale]: [number, number], like: boolean): NodeExport =>
  (e, n, ins, out, a) => {
    const onnxNames = opType.startsWith('RandomUniform') ? ['low', 'high'] : ['mean', 'scale'];
    const attrs: AttributeValue[] = [
      { name: onnxNames[0]!, f: Number(a(loc) ?? dLoc) }, { name: onnxNames[1]!, f: Number(a(scale) ?? dScale) },
    ];
    const seed = a('seed');
    if (typeof seed === 'number' && seed >= 0) attrs.push({ name: 'seed', f: seed });
    if (!like) {
      attrs.push({ name: 'shape', ints: ints(a('shape')) });
      const dt = a('dtype');
      attrs.push({ name: 'dtype', i: onnxTypeOf(typeof dt === 'string' ? normalizeDType(dt, 'onnx.exportModel') : 'float32') });
    }
    e.node(opType, like ? [ins[0]!] : [], [out], attrs, n.name);
  };

function poolAttrs(a: (k: string) => unknown): AttributeValue[] {
  const kernel = ints(a('kernel'));
  const stride = ints(a('stride'), kernel.map(() => 1));
  const pad = ints(a('pad'), kernel.map(() => 0));
  return [
    { name: 'kernel_shape', ints: kernel }, { name: 'strides', ints: stride }, { name: 'pads', ints: [...pad, ...pad] },
    { name: 'ceil_mode', i: a('pooling_convention') === 'full' ? 1 : 0 },
  ];
}

const EXPORTS: Readonly<Record<string, NodeExport>> = {
  Convolution: (e, n, ins, out, a) => {
    const kernel = ints(a('kernel'));
    const ones = kernel.map(() => 1);
    const pad = ints(a('pad'), kernel.map(() => 0));
    const inputs = a('no_bias') === true ? ins.slice(0, 2) : ins.slice(0, 3);
    e.node('Conv', inputs, [out], [
      { name: 'kernel_shape', ints: kernel }, { name: 'strides', ints: ints(a('stride'), ones) },
      { name: 'dilations', ints: ints(a('dilate'), ones) }, { name: 'pads', ints: [...pad, ...pad] },
      { name: 'group', i: Number(a('num_group') ?? 1) },
    ], n.name);
  },
  Deconvolution: (e, n, ins, out, a) => {
    const kernel = ints(a('kernel'));
    const ones = kernel.map(() => 1);
    const pad = ints(a('pad'), kernel.map(() => 0));
    const noBias = a('no_bias') === undefined ? true : a('no_bias') === true;
    e.node('ConvTranspose', noBias ? ins.slice(0, 2) : ins.slice(0, 3), [out], [
      { name: 'kernel_shape', ints: kernel }, { name: 'strides', ints: ints(a('stride'), ones) },
      { name: 'dilations', ints: ints(a('dilate'), ones) }, { name: 'pads', ints: [...pad, ...pad] },
      { name: 'output_padding', ints: ints(a('adj'), kernel.map(() => 0)) }, { name: 'group', i: Number(a('num_group') ?? 1) },
    ], n.name);
  },
  FullyConnected: (e, n, ins, out, a, shapeOf) => {
    const noBias = a('no_bias') === true;
    const flatten = a('flatten') !== false;
    const x = ins[0]!;
    if (flatten) {
      let flat = x;
      if (shapeOf(x).length !== 2) {
        flat = `${out}_flat`;
        e.node('Flatten', [x], [flat], [{ name: 'axis', i: 1 }]);
      }
      e.node('Gemm', noBias ? [flat, ins[1]!] : [flat, ins[1]!, ins[2]!], [out], [{ name: 'transB', i: 1 }], n.name);
      return;
    }
    const wt = `${out}_wT`;
    e.node('Transpose', [ins[1]!], [wt], [{ name: 'perm', ints: [1, 0] }]);
    if (noBias) {
      e.node('MatMul', [x, wt], [out], [], n.name);
    } else {
      e.node('MatMul', [x, wt], [`${out}_mm`], [], n.name);
      e.node('Add', [`${out}_mm`, ins[2]!], [out]);
    }
  },
  Activation: (e, n, ins, out, a) => {
    const t = String(a('act_type'));
    const op = { relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh', softrelu: 'Softplus', softsign: 'Softsign' }[t];
    if (op === undefined) throw new IsotensorError(`onnx.exportModel: Activation act_type ${t} has no ONNX form`);
    e.node(op, [ins[0]!], [out], [], n.name);
  },
  LeakyReLU: (e, n, ins, out, a) => {
    const t = String(a('act_type') ?? 'leaky');
    const slope = Number(a('slope') ?? 0.25);
    if (t === 'leaky') e.node('LeakyRelu', [ins[0]!], [out], [{ name: 'alpha', f: slope }], n.name);
    else if (t === 'elu') e.node('Elu', [ins[0]!], [out], [{ name: 'alpha', f: slope }], n.name);
    else if (t === 'selu') e.node('Selu', [ins[0]!], [out], [], n.name);
    else if (t === 'prelu') {
      // MXNet's gamma is per channel (axis 1): reshape it to (C, 1, ..., 1) for ONNX's broadcasting.
      const g = `${out}_slope`;
      e.node('Unsqueeze', [ins[1]!, e.constant(`${out}_axes`, [1, 2], 'int64')], [g]);
      e.node('PRelu', [ins[0]!, g], [out], [], n.name);
    } else if (t === 'gelu') {
      const half = e.constant(`${out}_half`, [0.5], 'float32', []);
      const rs2 = e.constant(`${out}_rsqrt2`, [Math.SQRT1_2], 'float32', []);
      const one = e.constant(`${out}_one`, [1], 'float32', []);
      e.node('Mul', [ins[0]!, rs2], [`${out}_s`]);
      e.node('Erf', [`${out}_s`], [`${out}_erf`]);
      e.node('Add', [`${out}_erf`, one], [`${out}_p`]);
      e.node('Mul', [ins[0]!, `${out}_p`], [`${out}_xp`]);
      e.node('Mul', [`${out}_xp`, half], [out], [], n.name);
    } else {
      throw new IsotensorError(`onnx.exportModel: LeakyReLU act_type ${t} has no ONNX form`);
    }
  },
  Pooling: (e, n, ins, out, a) => {
    const type = String(a('pool_type') ?? 'max');
    if (a('global_pool') === true) {
      const op = { max: 'GlobalMaxPool', avg: 'GlobalAveragePool' }[type];
      if (op === undefined) throw new IsotensorError(`onnx.exportModel: global ${type} pooling has no ONNX form`);
      e.node(op, [ins[0]!], [out], [], n.name);
    } else if (type === 'max') {
      e.node('MaxPool', [ins[0]!], [out], poolAttrs(a), n.name);
    } else if (type === 'avg') {
      e.node('AveragePool', [ins[0]!], [out],
             [...poolAttrs(a), { name: 'count_include_pad', i: a('count_include_pad') === false ? 0 : 1 }], n.name);
    } else if (type === 'lp') {
      e.node('LpPool', [ins[0]!], [out], [...poolAttrs(a).filter((x) => x.name !== 'ceil_mode'),
        { name: 'p', i: Number(a('p_value') ?? 2) }], n.name);
    } else {
      throw new IsotensorError(`onnx.exportModel: ${type} pooling has no ONNX form`);
    }
  },
  BatchNorm: (e, n, ins, out, a, shapeOf) => {
    if ((a('axis') ?? 1) !== 1) throw new IsotensorError('onnx.exportModel: BatchNorm over an axis other than 1 has no ONNX form');
    let gamma = ins[1]!;
    // fix_gamma (MXNet's default) means the scale is 1, whatever the stored gamma holds.
    if (a('fix_gamma') !== false) {
      const c = shapeOf(gamma)[0]!;
      gamma = e.constant(`${n.name}_ones`, new Array<number>(c).fill(1), 'float32');
    }
    e.node('BatchNormalization', [ins[0]!, gamma, ins[2]!, ins[3]!, ins[4]!], [out], [
      { name: 'epsilon', f: Number(a('eps') ?? 1e-3) }, { name: 'momentum', f: Number(a('momentum') ?? 0.9) },
    ], n.name);
  },
  InstanceNorm: (e, n, ins, out, a) => {
    e.node('InstanceNormalization', ins.slice(0, 3), [out], [{ name: 'epsilon', f: Number(a('eps') ?? 1e-3) }], n.name);
  },
  LayerNorm: (e, n, ins, out, a, shapeOf) => {
    const rank = shapeOf(ins[0]!).length;
    const axis = Number(a('axis') ?? -1);
    if (axis !== -1 && axis !== rank - 1) throw new IsotensorError('onnx.exportModel: LayerNorm over an axis other than the last has no ONNX form');
    e.node('LayerNormalization', ins.slice(0, 3), [out], [{ name: 'axis', i: -1 }, { name: 'epsilon', f: Number(a('eps') ?? 1e-5) }], n.name);
  },
  Flatten: (e, n, ins, out) => e.node('Flatten', [ins[0]!], [out], [{ name: 'axis', i: 1 }], n.name),
  SoftmaxOutput: (e, n, ins, out) => e.node('Softmax', [ins[0]!], [out], [{ name: 'axis', i: 1 }], n.name),
  SoftmaxActivation: (e, n, ins, out, a) => e.node('Softmax', [ins[0]!], [out], [{ name: 'axis', i: a('mode') === 'channel' ? 1 : -1 }], n.name),
  softmax: (e, n, ins, out, a) => e.node('Softmax', [ins[0]!], [out], [{ name: 'axis', i: Number(a('axis') ?? -1) }], n.name),
  log_softmax: (e, n, ins, out, a) => e.node('LogSoftmax', [ins[0]!], [out], [{ name: 'axis', i: Number(a('axis') ?? -1) }], n.name),
  Dropout: (e, n, ins, out) => e.node('Identity', [ins[0]!], [out], [], n.name),
  Concat: (e, n, ins, out, a) => e.node('Concat', ins, [out], [{ name: 'axis', i: Number(a('dim') ?? 1) }], n.name),
  Reshape: (e, n, ins, out, _a, shapeOf) => {
    e.node('Reshape', [ins[0]!, e.constant(`${out}_shape`, shapeOf(out), 'int64')], [out], [], n.name);
  },
  transpose: (e, n, ins, out, a, shapeOf) => {
    const rank = shapeOf(ins[0]!).length;
    const axes = ints(a('axes'));
    const perm = axes.length > 0 ? axes : Array.from({ length: rank }, (_, i) => rank - 1 - i);
    e.node('Transpose', [ins[0]!], [out], [{ name: 'perm', ints: perm }], n.name);
  },
  expand_dims: (e, n, ins, out, a) => {
    e.node('Unsqueeze', [ins[0]!, e.constant(`${out}_axes`, [Number(a('axis'))], 'int64')], [out], [], n.name);
  },
  squeeze: (e, n, ins, out, a) => {
    const axes = a('axis');
    e.node('Squeeze', axes === undefined || axes === null ? [ins[0]!] : [ins[0]!, e.constant(`${out}_axes`, ints(axes), 'int64')], [out], [], n.name);
  },
  dot: (e, n, ins, out, a) => {
    const t = (x: string, flag: unknown, k: string): string => {
      if (flag !== true) return x;
      e.node('Transpose', [x], [`${out}_${k}T`], [{ name: 'perm', ints: [1, 0] }]);
      return `${out}_${k}T`;
    };
    e.node('MatMul', [t(ins[0]!, a('transpose_a'), 'a'), t(ins[1]!, a('transpose_b'), 'b')], [out], [], n.name);
  },
  batch_dot: (e, n, ins, out, a) => {
    const t = (x: string, flag: unknown, k: string): string => {
      if (flag !== true) return x;
      e.node('Transpose', [x], [`${out}_${k}T`], [{ name: 'perm', ints: [0, 2, 1] }]);
      return `${out}_${k}T`;
    };
    e.node('MatMul', [t(ins[0]!, a('transpose_a'), 'a'), t(ins[1]!, a('transpose_b'), 'b')], [out], [], n.name);
  },
  clip: (e, n, ins, out, a) => {
    e.node('Clip', [ins[0]!, e.constant(`${out}_min`, [Number(a('a_min'))], 'float32', []),
      e.constant(`${out}_max`, [Number(a('a_max'))], 'float32', [])], [out], [], n.name);
  },
  Cast: (e, n, ins, out, a) => e.node('Cast', [ins[0]!], [out], [{ name: 'to', i: onnxTypeOf(normalizeDType(String(a('dtype')))) }], n.name),
  Embedding: (e, n, ins, out) => {
    e.node('Cast', [ins[0]!], [`${out}_idx`], [{ name: 'to', i: 7 }]);
    e.node('Gather', [ins[1]!, `${out}_idx`], [out], [{ name: 'axis', i: 0 }], n.name);
  },
  add_n: (e, n, ins, out) => e.node('Sum', ins, [out], [], n.name),
  slice_axis: (e, n, ins, out, a, shapeOf) => {
    const axis = Number(a('axis'));
    const dim = shapeOf(ins[0]!)[axis < 0 ? axis + shapeOf(ins[0]!).length : axis]!;
    const end = a('end') === null || a('end') === undefined ? dim : Number(a('end'));
    e.node('Slice', [ins[0]!, e.constant(`${out}_starts`, [Number(a('begin'))], 'int64'),
      e.constant(`${out}_ends`, [end], 'int64'), e.constant(`${out}_axes`, [axis], 'int64')], [out], [], n.name);
  },
  mean: reduce('ReduceMean'), sum: reduce('ReduceSum'), max: reduce('ReduceMax'), min: reduce('ReduceMin'),
  prod: reduce('ReduceProd'),
  _plus_scalar: scalar('Add'), _minus_scalar: scalar('Sub'), _rminus_scalar: scalar('Sub', true),
  _mul_scalar: scalar('Mul'), _div_scalar: scalar('Div'), _rdiv_scalar: scalar('Div', true),
  _power_scalar: scalar('Pow'), _rpower_scalar: scalar('Pow', true),
  _maximum_scalar: scalar('Max'), _minimum_scalar: scalar('Min'),
  _random_uniform: sample('RandomUniform', ['low', 'high'], [0, 1], false),
  _random_normal: sample('RandomNormal', ['loc', 'scale'], [0, 1], false),
  _random_uniform_like: sample('RandomUniformLike', ['low', 'high'], [0, 1], true),
  _random_normal_like: sample('RandomNormalLike', ['loc', 'scale'], [0, 1], true),
};
for (const [mx, onnx] of Object.entries({
  elemwise_add: 'Add', elemwise_sub: 'Sub', elemwise_mul: 'Mul', elemwise_div: 'Div',
  broadcast_add: 'Add', broadcast_sub: 'Sub', broadcast_mul: 'Mul', broadcast_div: 'Div', broadcast_power: 'Pow',
  broadcast_maximum: 'Max', broadcast_minimum: 'Min', _maximum: 'Max', _minimum: 'Min', _power: 'Pow',
})) (EXPORTS as Record<string, NodeExport>)[mx] = binary(onnx);
for (const [mx, onnx] of Object.entries({
  relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh', exp: 'Exp', log: 'Log', sqrt: 'Sqrt', abs: 'Abs', negative: 'Neg',
  floor: 'Floor', ceil: 'Ceil', reciprocal: 'Reciprocal', sin: 'Sin', cos: 'Cos', tan: 'Tan', arcsin: 'Asin',
  arccos: 'Acos', arctan: 'Atan', sinh: 'Sinh', cosh: 'Cosh', erf: 'Erf', sign: 'Sign', softsign: 'Softsign',
  identity: 'Identity', _copy: 'Identity', BlockGrad: 'Identity', stop_gradient: 'Identity',
})) (EXPORTS as Record<string, NodeExport>)[mx] = unary(onnx);

// Aliases as MXNet's JSON may spell them.
const ALIAS: Readonly<Record<string, string>> = {
  _plus: 'elemwise_add', _Plus: 'elemwise_add', _add: 'elemwise_add', _minus: 'elemwise_sub', _sub: 'elemwise_sub',
  _Minus: 'elemwise_sub', _mul: 'elemwise_mul', _Mul: 'elemwise_mul', _div: 'elemwise_div', _Div: 'elemwise_div',
  broadcast_plus: 'broadcast_add', broadcast_minus: 'broadcast_sub', ElementWiseSum: 'add_n',
  _PlusScalar: '_plus_scalar', _MinusScalar: '_minus_scalar', _MulScalar: '_mul_scalar', _DivScalar: '_div_scalar',
  _RMinusScalar: '_rminus_scalar', _RDivScalar: '_rdiv_scalar', _PowerScalar: '_power_scalar', reshape: 'Reshape',
  cast: 'Cast', concat: 'Concat', SwapAxis: 'transpose', _Maximum: '_maximum', _Minimum: '_minimum',
  uniform: '_random_uniform', random_uniform: '_random_uniform', normal: '_random_normal', random_normal: '_random_normal',
};

/** MXNet ops exportModel can write. */
export function exportableOps(): string[] {
  return [...Object.keys(EXPORTS), ...Object.keys(ALIAS)].sort();
}

// Loss heads export as their prediction; their label inputs are not graph inputs.
const LABEL_INPUTS: Readonly<Record<string, number[]>> = {
  SoftmaxOutput: [1], LinearRegressionOutput: [1], LogisticRegressionOutput: [1], MAERegressionOutput: [1],
};

/**
 * Writes a Symbol and its parameters as an ONNX model (opset 17); returns the bytes. `params` holds
 * argument and auxiliary parameters (MXNet's `arg:`/`aux:` prefixes are accepted).
 * @example
 * ```ts
 * const bytes = mx.onnx.exportModel(net, { ...argParams, ...auxParams }, { inputShapes: { data: [1, 1, 28, 28] } });
 * ```
 */
export function exportModel(sym: Symbol, params: Record<string, NDArray>, opts: ExportOptions): Uint8Array {
  if (!(sym instanceof Symbol)) throw new IsotensorError('onnx.exportModel: sym must be a Symbol');
  if (opts === undefined || typeof opts.inputShapes !== 'object') {
    throw new IsotensorError('onnx.exportModel: options.inputShapes (the data inputs\' shapes) is required');
  }
  const values = new Map<string, NDArray>();
  for (const [k, v] of Object.entries(params)) values.set(k.replace(/^(arg|aux):/, ''), v);
  const json = JSON.parse(sym.toJSON()) as { nodes: JsonNode[]; heads: [number, number, number][] };
  const nodes = json.nodes;

  // Labels of loss heads are neither inputs nor parameters.
  const labels = new Set<number>();
  for (const n of nodes) for (const i of LABEL_INPUTS[n.op] ?? []) if (n.inputs[i] !== undefined) labels.add(n.inputs[i]![0]);

  const shapeArgs: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(opts.inputShapes)) shapeArgs[k] = v.slice();
  for (const [k, v] of values) shapeArgs[k] = v.shape;
  const internals = sym.getInternals();
  const names = internals.listOutputs();
  const argNames = internals.listArguments();
  for (const a of argNames) {
    if (shapeArgs[a] === undefined && !nodes.some((n, i) => n.name === a && labels.has(i))) {
      throw new IsotensorError(`onnx.exportModel: argument '${a}' is neither a parameter nor in inputShapes`);
    }
  }
  const inferArgs: Record<string, number[]> = {};
  for (const a of argNames) if (shapeArgs[a] !== undefined) inferArgs[a] = shapeArgs[a]!;
  const shapeList = internals.inferShapePartial(inferArgs).outShapes;
  const shapes = new Map<string, number[]>();
  names.forEach((n, i) => shapes.set(n, shapeList[i]!));
  for (const [k, v] of Object.entries(shapeArgs)) shapes.set(k, v);

  const e = new Exporter(shapes);
  const entryName = (nid: number, idx: number): string => {
    const n = nodes[nid]!;
    if (n.op === 'null') return n.name;
    return names.includes(`${n.name}_output`) && idx === 0 ? `${n.name}_output` : `${n.name}_output${idx}`;
  };
  const shapeOf = (name: string): number[] => {
    const s = shapes.get(name);
    if (s === undefined) throw new IsotensorError(`onnx.exportModel: the shape of '${name}' could not be inferred`);
    return s;
  };
  const inputs: ValueInfoValue[] = [];
  nodes.forEach((n, i) => {
    if (n.op !== 'null') return;
    e.fresh(n.name);
    if (labels.has(i) && !values.has(n.name)) return;
    const v = values.get(n.name);
    if (v !== undefined) {
      e.initializers.push(protoFromHost(hostFromNDArray(v, n.name)));
    } else {
      const dt = normalizeDType(opts.inputTypes?.[n.name] ?? 'float32', 'onnx.exportModel');
      inputs.push({ name: n.name, elemType: onnxTypeOf(dt), shape: shapeOf(n.name) });
    }
  });
  for (const n of nodes) {
    if (n.op === 'null') continue;
    const op = ALIAS[n.op] ?? n.op;
    const fn = EXPORTS[op];
    if (fn === undefined) {
      throw new IsotensorError(`onnx.exportModel: operator ${n.op} (node '${n.name}') has no ONNX export ` +
                               `(exportable: see mx.onnx.exportableOps())`);
    }
    const ins = n.inputs.map(([nid, idx]) => entryName(nid, idx));
    const out = entryName(nodes.indexOf(n), 0);
    e.fresh(out);
    const attrs = n.attrs ?? {};
    fn(e, n, ins, out, (k) => parseAttr(attrs[k]), shapeOf);
  }
  // Output dtypes from type inference over the data inputs' and parameters' dtypes (float32 where it
  // cannot tell, e.g. a graph that reads an input of unknown type).
  const typeArgs: Record<string, DType> = {};
  for (const a of argNames) {
    const v = values.get(a);
    if (v !== undefined) typeArgs[a] = v.dtype;
    else if (opts.inputShapes[a] !== undefined) typeArgs[a] = normalizeDType(opts.inputTypes?.[a] ?? 'float32', 'onnx.exportModel');
  }
  let outTypes: DType[] = [];
  try {
    outTypes = sym.inferType(typeArgs).outTypes;
  } catch {
    // leave float32
  }
  const outputs: ValueInfoValue[] = json.heads.map(([nid, idx], i) => {
    const name = entryName(nid, idx);
    return { name, elemType: onnxTypeOf(outTypes[i] ?? 'float32'), shape: shapeOf(name) };
  });
  // Parameters no node reads (BatchNorm's gamma under fix_gamma) are left out.
  const read = new Set(e.nodes.flatMap((n) => n.inputs));
  const bytes = encodeModel({
    irVersion: 8, opset: OPSET, producerName: 'isotensor', producerVersion: '1', graphName: opts.graphName ?? 'isotensor',
    nodes: e.nodes, initializers: e.initializers.filter((t) => read.has(t.name)), inputs, outputs,
  });
  if (opts.path !== undefined) {
    nodeFs('onnx.exportModel', 'elsewhere omit options.path and keep the returned bytes')
      .writeFileSync(localPath(opts.path, 'onnx.exportModel', ''), bytes);
  }
  return bytes;
}
