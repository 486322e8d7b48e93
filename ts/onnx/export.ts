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
import { invoke } from '../ndarray/invoke.js';
import { getOperator } from '../ops/operator.js';
import type { HybridBlock } from '../gluon/block.js';
import { loadSync as loadArraysSync } from '../ndarray/io.js';
import { loadSync as loadSymbolSync, Symbol } from '../symbol/symbol.js';
import {
  axesOf, binary, Exporter, filled, ints, predicate, reshapeTo, scalar, scalarOf, scalarPredicate, step, unary,
  type JsonNode, type NodeExport,
} from './export_graph.js';
import { indicesLast, INDEXING_EXPORTS } from './export_indexing.js';
import { LINALG_EXPORTS } from './export_linalg.js';
import { MATH_EXPORTS } from './export_math.js';
import { rnnExport } from './export_rnn.js';
import { SPATIAL_EXPORTS } from './export_spatial.js';
import { encodeModel, type AttributeValue, type ValueInfoValue } from './onnx_proto.js';
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

const OPSET = 17;

/**
 * Output names MXNet gives ops whose registry names one output (core-cpp/graph/symbol.cc symbolOutputName); other
 * ops use the registry's names when it has several, else output0, output1, ....
 */
const OUTPUT_NAMES: Readonly<Record<string, readonly string[]>> = {
  BatchNorm: ['output', 'mean', 'var'], Dropout: ['output', 'mask'], LayerNorm: ['output', 'mean', 'std'],
  GroupNorm: ['output', 'mean', 'std'], InstanceNorm: ['output', 'mean', 'var'], L2Normalization: ['output', 'norm'],
  LRN: ['output', 'tmp_norm'], LeakyReLU: ['output', 'mask'], ROIPooling: ['output', 'maxidx'],
  RNN: ['output', 'state_output', 'statecell_output'], Pooling: ['output', 'workspace'],
};

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

const reduce = (opType: string): NodeExport => (e, _n, ins, out, a, shapeOf) => {
  const axes = a('axis');
  const keep = a('keepdims') === true;
  const attrs: AttributeValue[] = [{ name: 'keepdims', i: keep ? 1 : 0 }];
  if (a('exclude') === true) throw new IsotensorError(`onnx.exportModel: ${opType} with exclude=True is not supported`);
  // Over every axis without keepdims ONNX gives a 0-d tensor, MXNet a 1-element vector.
  const all = axesOf(axes, shapeOf(ins[0]!).length).length === shapeOf(ins[0]!).length && !keep;
  const dst = all ? `${out}_0d` : out;
  if (opType === 'ReduceSum') {
    const inputs = [ins[0]!];
    if (axes !== undefined && axes !== null) inputs.push(e.constant(`${out}_axes`, ints(axes), 'int64'));
    e.node(opType, inputs, [dst], attrs);
  } else {
    if (axes !== undefined && axes !== null) attrs.push({ name: 'axes', ints: ints(axes) });
    e.node(opType, [ins[0]!], [dst], attrs);
  }
  if (all) reshapeTo(e, dst, out, shapeOf(out));
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

/** ONNX's Conv, ConvTranspose and pools take channels first: other layouts are refused. */
function channelsFirst(n: JsonNode, a: (k: string) => unknown): void {
  const layout = a('layout');
  if (typeof layout === 'string' && /^N[DHW]+C$/.test(layout)) {
    throw new IsotensorError(`onnx.exportModel: ${n.op} '${n.name}' with layout ${layout} has no ONNX form (ONNX takes channels first)`);
  }
}

/**
 * Pool window attributes. MXNet's 'full' convention is ONNX's ceil_mode; 'same' (ceil(in / stride)
 * outputs, the last windows clipped) is padding at the end only, as much as the last window needs.
 */
function poolAttrs(a: (k: string) => unknown, inShape: readonly number[]): AttributeValue[] {
  const kernel = ints(a('kernel'));
  const stride = ints(a('stride'), kernel.map(() => 1));
  let pads = [...ints(a('pad'), kernel.map(() => 0)), ...ints(a('pad'), kernel.map(() => 0))];
  if (a('pooling_convention') === 'same') {
    const spatial = inShape.slice(2);
    pads = [...kernel.map(() => 0), ...kernel.map((k, i) => Math.max(0, (Math.ceil(spatial[i]! / stride[i]!) - 1) * stride[i]! + k - spatial[i]!))];
  }
  return [
    { name: 'kernel_shape', ints: kernel }, { name: 'strides', ints: stride }, { name: 'pads', ints: pads },
    { name: 'ceil_mode', i: a('pooling_convention') === 'full' ? 1 : 0 },
  ];
}

/** ArgMax/ArgMin: ONNX's int64 indices cast to MXNet's output dtype; with no axis, over the flattened input. */
const argExport = (opType: string): NodeExport => (e, n, ins, out, a, shapeOf, cx) => {
  const ax = a('axis');
  let x = ins[0]!;
  let axis = 0;
  if (ax === undefined || ax === null) {
    x = `${out}_flat`;
    reshapeTo(e, ins[0]!, x, [-1]);
  } else {
    axis = Number(ax);
  }
  e.node(opType, [x], [`${out}_i64`], [{ name: 'axis', i: axis }, { name: 'keepdims', i: a('keepdims') === true ? 1 : 0 }]);
  e.node('Cast', [`${out}_i64`], [`${out}_c`], [{ name: 'to', i: onnxTypeOf(cx.typeOf(out)) }]);
  reshapeTo(e, `${out}_c`, out, shapeOf(out), n.name);
};

const EXPORTS: Readonly<Record<string, NodeExport>> = {
  ...MATH_EXPORTS,
  ...INDEXING_EXPORTS,
  ...SPATIAL_EXPORTS,
  ...LINALG_EXPORTS,
  RNN: rnnExport,
  Convolution: (e, n, ins, out, a) => {
    channelsFirst(n, a);
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
  Deconvolution: (e, n, ins, out, a, shapeOf) => {
    channelsFirst(n, a);
    const kernel = ints(a('kernel'));
    const ones = kernel.map(() => 1);
    const stride = ints(a('stride'), ones), dilate = ints(a('dilate'), ones);
    let pad = ints(a('pad'), kernel.map(() => 0));
    let adj = ints(a('adj'), kernel.map(() => 0));
    const target = ints(a('target_shape'));
    if (target.some((t) => t !== 0)) {
      // MXNet's InferPad: the trim from the full size to target_shape split over both sides, the odd unit as adj.
      const x = shapeOf(ins[0]!);
      const trim = kernel.map((k, i) => stride[i]! * (x[2 + i]! - 1) + dilate[i]! * (k - 1) + 1 - target[i]!);
      pad = trim.map((t) => Math.floor((t + 1) / 2));
      adj = trim.map((t) => t % 2);
    }
    const noBias = a('no_bias') === undefined ? true : a('no_bias') === true;
    e.node('ConvTranspose', noBias ? ins.slice(0, 2) : ins.slice(0, 3), [out], [
      { name: 'kernel_shape', ints: kernel }, { name: 'strides', ints: stride },
      { name: 'dilations', ints: dilate }, { name: 'pads', ints: [...pad, ...pad] },
      { name: 'output_padding', ints: adj }, { name: 'group', i: Number(a('num_group') ?? 1) },
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
  LeakyReLU: (e, n, ins, out, a, _s, cx) => {
    const t = String(a('act_type') ?? 'leaky');
    const slope = Number(a('slope') ?? 0.25);
    if (t === 'leaky') e.node('LeakyRelu', [ins[0]!], [out], [{ name: 'alpha', f: slope }], n.name);
    // rrelu's slope is random while training; in inference it is the middle of its range.
    else if (t === 'rrelu') e.node('LeakyRelu', [ins[0]!], [out], [{ name: 'alpha', f: (Number(a('lower_bound') ?? 0.125) + Number(a('upper_bound') ?? 0.334)) / 2 }], n.name);
    else if (t === 'elu') e.node('Elu', [ins[0]!], [out], [{ name: 'alpha', f: slope }], n.name);
    else if (t === 'selu') e.node('Selu', [ins[0]!], [out], [], n.name);
    else if (t === 'prelu') {
      // MXNet's gamma is per channel (axis 1): reshape it to (C, 1, ..., 1) for ONNX's broadcasting.
      const g = `${out}_slope`;
      e.node('Unsqueeze', [ins[1]!, e.constant(`${out}_axes`, [1, 2], 'int64')], [g]);
      e.node('PRelu', [ins[0]!, g], [out], [], n.name);
    } else if (t === 'gelu') {
      const dt = cx.typeOf(ins[0]!);
      const half = scalarOf(e, `${out}_half`, 0.5, dt);
      const rs2 = scalarOf(e, `${out}_rsqrt2`, Math.SQRT1_2, dt);
      const one = scalarOf(e, `${out}_one`, 1, dt);
      e.node('Mul', [ins[0]!, rs2], [`${out}_s`]);
      e.node('Erf', [`${out}_s`], [`${out}_erf`]);
      e.node('Add', [`${out}_erf`, one], [`${out}_p`]);
      e.node('Mul', [ins[0]!, `${out}_p`], [`${out}_xp`]);
      e.node('Mul', [`${out}_xp`, half], [out], [], n.name);
    } else {
      throw new IsotensorError(`onnx.exportModel: LeakyReLU act_type ${t} has no ONNX form`);
    }
  },
  Pooling: (e, n, ins, out, a, shapeOf, cx) => {
    channelsFirst(n, a);
    const type = String(a('pool_type') ?? 'max');
    const attrs = poolAttrs(a, shapeOf(ins[0]!));
    if (a('global_pool') === true) {
      const op = { max: 'GlobalMaxPool', avg: 'GlobalAveragePool', sum: 'GlobalAveragePool' }[type];
      if (op === undefined) throw new IsotensorError(`onnx.exportModel: global ${type} pooling has no ONNX form`);
      if (type !== 'sum') {
        e.node(op, [ins[0]!], [out], [], n.name);
      } else {
        // The sum over the whole map: its mean times the map's size.
        const area = shapeOf(ins[0]!).slice(2).reduce((p, d) => p * d, 1);
        e.node('Mul', [step(e, out, op, [ins[0]!], 'mean'), scalarOf(e, `${out}_area`, area, cx.typeOf(ins[0]!))], [out], [], n.name);
      }
    } else if (type === 'max') {
      e.node('MaxPool', [ins[0]!], [out], attrs, n.name);
    } else if (type === 'avg') {
      e.node('AveragePool', [ins[0]!], [out],
             // 'same' clips its last windows: the end padding is not counted.
             [...attrs, { name: 'count_include_pad', i: a('count_include_pad') === false || a('pooling_convention') === 'same' ? 0 : 1 }], n.name);
    } else if (type === 'sum') {
      // Padding counted as zeros: the window mean over the whole window times its size.
      const area = ints(a('kernel')).reduce((p, d) => p * d, 1);
      const mean = step(e, out, 'AveragePool', [ins[0]!], 'mean', [...attrs, { name: 'count_include_pad', i: 1 }]);
      e.node('Mul', [mean, scalarOf(e, `${out}_area`, area, cx.typeOf(ins[0]!))], [out], [], n.name);
    } else if (type === 'lp') {
      e.node('LpPool', [ins[0]!], [out], [...attrs.filter((x) => x.name !== 'ceil_mode'),
        { name: 'p', i: Number(a('p_value') ?? 2) }], n.name);
    } else {
      throw new IsotensorError(`onnx.exportModel: ${type} pooling has no ONNX form`);
    }
  },
  BatchNorm: (e, n, ins, out, a, shapeOf, cx) => {
    if ((a('axis') ?? 1) !== 1) throw new IsotensorError('onnx.exportModel: BatchNorm over an axis other than 1 has no ONNX form');
    let gamma = ins[1]!;
    // fix_gamma (MXNet's default) means the scale is 1, whatever the stored gamma holds.
    if (a('fix_gamma') !== false) {
      const c = shapeOf(gamma)[0]!;
      gamma = e.constant(`${n.name}_ones`, new Array<number>(c).fill(1), cx.typeOf(ins[1]!));
    }
    e.node('BatchNormalization', [ins[0]!, gamma, ins[2]!, ins[3]!, ins[4]!], [out], [
      { name: 'epsilon', f: Number(a('eps') ?? 1e-3) }, { name: 'momentum', f: Number(a('momentum') ?? 0.9) },
    ], n.name);
  },
  InstanceNorm: (e, n, ins, out, a) => {
    e.node('InstanceNormalization', ins.slice(0, 3), [out], [{ name: 'epsilon', f: Number(a('eps') ?? 1e-3) }], n.name);
  },
  GroupNorm: (e, n, ins, out, a, shapeOf) => {
    // MXNet 1.x's gamma and beta are per group: InstanceNormalization over (N, G, C/G * spatial) is the same.
    const shape = shapeOf(ins[0]!);
    const g = Number(a('num_groups') ?? 1);
    reshapeTo(e, ins[0]!, `${out}_grouped`, [shape[0]!, g, -1]);
    e.node('InstanceNormalization', [`${out}_grouped`, ins[1]!, ins[2]!], [`${out}_norm`], [{ name: 'epsilon', f: Number(a('eps') ?? 1e-5) }]);
    reshapeTo(e, `${out}_norm`, out, shape, n.name);
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
  clip: (e, n, ins, out, a, _s, cx) => {
    const dt = cx.typeOf(ins[0]!);
    e.node('Clip', [ins[0]!, scalarOf(e, `${out}_min`, Number(a('a_min')), dt),
      scalarOf(e, `${out}_max`, Number(a('a_max')), dt)], [out], [], n.name);
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
  // --- shapes and indexing ---
  SliceChannel: (e, n, ins, out, a, shapeOf, cx) => {
    const shape = shapeOf(ins[0]!);
    const k = Number(a('num_outputs'));
    const axis = axesOf(a('axis') ?? 1, shape.length)[0]!;
    const squeeze = a('squeeze_axis') === true;
    const outs = Array.from({ length: k }, (_, i) => (squeeze ? `${cx.outName(i)}_unsq` : cx.outName(i)));
    e.node('Split', [ins[0]!, e.constant(`${out}_split`, new Array<number>(k).fill(shape[axis]! / k), 'int64')], outs,
           [{ name: 'axis', i: axis }], n.name);
    if (squeeze) {
      const axes = e.constant(`${out}_axes`, [axis], 'int64');
      outs.forEach((o, i) => e.node('Squeeze', [o, axes], [cx.outName(i)]));
    }
  },
  SwapAxis: (e, n, ins, out, a, shapeOf) => {
    const rank = shapeOf(ins[0]!).length;
    const [d1, d2] = axesOf([Number(a('dim1') ?? 0), Number(a('dim2') ?? 0)], rank);
    const perm = Array.from({ length: rank }, (_, i) => (i === d1 ? d2! : i === d2 ? d1! : i));
    e.node('Transpose', [ins[0]!], [out], [{ name: 'perm', ints: perm }], n.name);
  },
  slice: (e, n, ins, out, a, shapeOf) => {
    const shape = shapeOf(ins[0]!);
    const begin = ints(a('begin')), end = ints(a('end')), step = ints(a('step'));
    const starts: number[] = [], ends: number[] = [], steps: number[] = [];
    begin.forEach((b, i) => {
      const st = Number.isFinite(step[i]) ? step[i]! : 1;
      const dim = shape[i]!;
      starts.push(Number.isFinite(b) ? b : st > 0 ? 0 : dim - 1);
      ends.push(Number.isFinite(end[i]) ? end[i]! : st > 0 ? dim : -dim - 1);
      steps.push(st);
    });
    e.node('Slice', [ins[0]!, e.constant(`${out}_starts`, starts, 'int64'), e.constant(`${out}_ends`, ends, 'int64'),
      e.constant(`${out}_axes`, starts.map((_, i) => i), 'int64'), e.constant(`${out}_steps`, steps, 'int64')], [out], [], n.name);
  },
  reverse: (e, n, ins, out, a, shapeOf) => {
    const shape = shapeOf(ins[0]!);
    const axes = axesOf(a('axis'), shape.length);
    e.node('Slice', [ins[0]!, e.constant(`${out}_starts`, axes.map(() => -1), 'int64'),
      e.constant(`${out}_ends`, axes.map((ax) => -shape[ax]! - 1), 'int64'), e.constant(`${out}_axes`, axes, 'int64'),
      e.constant(`${out}_steps`, axes.map(() => -1), 'int64')], [out], [], n.name);
  },
  tile: (e, n, ins, out, a, shapeOf) => {
    const rank = shapeOf(ins[0]!).length;
    const reps = ints(a('reps'));
    let x = ins[0]!;
    if (reps.length > rank) {  // the input gains leading 1-dims first
      x = `${out}_lifted`;
      reshapeTo(e, ins[0]!, x, [...new Array<number>(reps.length - rank).fill(1), ...shapeOf(ins[0]!)]);
    }
    const full = [...new Array<number>(Math.max(0, rank - reps.length)).fill(1), ...reps];
    e.node('Tile', [x, e.constant(`${out}_reps`, full, 'int64')], [out], [], n.name);
  },
  Pad: (e, n, ins, out, a, _s, cx) => {
    const mode = String(a('mode') ?? 'constant');
    const w = ints(a('pad_width'));
    const pads = [...w.filter((_, i) => i % 2 === 0), ...w.filter((_, i) => i % 2 === 1)];
    const inputs = [ins[0]!, e.constant(`${out}_pads`, pads, 'int64')];
    if (mode === 'constant') inputs.push(scalarOf(e, `${out}_value`, Number(a('constant_value') ?? 0), cx.typeOf(ins[0]!)));
    e.node('Pad', inputs, [out], [{ name: 'mode', s: mode }], n.name);
  },
  broadcast_to: (e, n, ins, out, _a, shapeOf) => {
    e.node('Expand', [ins[0]!, e.constant(`${out}_shape`, shapeOf(out), 'int64')], [out], [], n.name);
  },
  stack: (e, n, ins, out, a, shapeOf) => {
    const axis = axesOf(a('axis') ?? 0, shapeOf(ins[0]!).length + 1)[0]!;
    const axes = e.constant(`${out}_axes`, [axis], 'int64');
    const parts = ins.map((x, i) => {
      e.node('Unsqueeze', [x, axes], [`${out}_u${i}`]);
      return `${out}_u${i}`;
    });
    e.node('Concat', parts, [out], [{ name: 'axis', i: axis }], n.name);
  },
  take: (e, n, ins, out, a, shapeOf) => {
    const shape = shapeOf(ins[0]!);
    const axis = axesOf(a('axis') ?? 0, shape.length)[0]!;
    const dim = shape[axis]!;
    e.node('Cast', [ins[1]!], [`${out}_idx`], [{ name: 'to', i: onnxTypeOf('int64') }]);
    let idx = `${out}_idx`;
    const mode = String(a('mode') ?? 'clip');
    if (mode === 'clip') {
      e.node('Clip', [idx, e.constant(`${out}_lo`, [0], 'int64', []), e.constant(`${out}_hi`, [dim - 1], 'int64', [])], [`${out}_in`]);
      idx = `${out}_in`;
    } else if (mode === 'wrap') {
      e.node('Mod', [idx, e.constant(`${out}_dim`, [dim], 'int64', [])], [`${out}_in`], [{ name: 'fmod', i: 0 }]);
      idx = `${out}_in`;
    }
    e.node('Gather', [ins[0]!, idx], [out], [{ name: 'axis', i: axis }], n.name);
  },
  gather_nd: (e, n, ins, out, _a, shapeOf) => {
    // MXNet indexes with the first dim of `indices`, ONNX with the last.
    e.node('GatherND', [ins[0]!, indicesLast(e, out, ins[1]!, shapeOf(ins[1]!).length)], [out], [], n.name);
  },
  one_hot: (e, n, ins, out, a, _s, cx) => {
    const dt = cx.typeOf(out);
    const v = e.constant(`${out}_values`, [Number(a('off_value') ?? 0), Number(a('on_value') ?? 1)], dt);
    // MXNet gives a row of off_value for any index outside [0, depth); ONNX counts negative ones from the end,
    // so those are moved to `depth`, which both read as outside.
    const it = cx.typeOf(ins[0]!), depth = Number(a('depth'));
    e.node('Less', [ins[0]!, scalarOf(e, `${out}_zero`, 0, it)], [`${out}_neg`]);
    e.node('Where', [`${out}_neg`, scalarOf(e, `${out}_past`, depth, it), ins[0]!], [`${out}_idx`]);
    // A float depth: onnxruntime's OneHot kernels pair float indices and values with a float depth only.
    e.node('OneHot', [`${out}_idx`, e.constant(`${out}_depth`, [depth], 'float32', []), v], [out], [{ name: 'axis', i: -1 }], n.name);
  },
  where: (e, n, ins, out, _a, shapeOf) => {
    let cond = ins[0]!;
    const cs = shapeOf(cond), xs = shapeOf(ins[1]!);
    if (cs.length < xs.length) {  // MXNet's 1-D condition picks whole rows
      cond = `${out}_cond`;
      reshapeTo(e, ins[0]!, cond, [cs[0]!, ...new Array<number>(xs.length - 1).fill(1)]);
    }
    e.node('Cast', [cond], [`${out}_b`], [{ name: 'to', i: onnxTypeOf('bool') }]);
    e.node('Where', [`${out}_b`, ins[1]!, ins[2]!], [out], [], n.name);
  },
  argmax: argExport('ArgMax'), argmin: argExport('ArgMin'),
  depth_to_space: (e, n, ins, out, a) => e.node('DepthToSpace', [ins[0]!], [out],
    [{ name: 'blocksize', i: Number(a('block_size')) }, { name: 'mode', s: 'DCR' }], n.name),
  space_to_depth: (e, n, ins, out, a) => e.node('SpaceToDepth', [ins[0]!], [out], [{ name: 'blocksize', i: Number(a('block_size')) }], n.name),
  shape_array: (e, n, ins, out) => e.node('Shape', [ins[0]!], [out], [], n.name),
  zeros_like: (e, n, ins, out, _a, _s, cx) => filled(e, n, ins[0]!, out, 0, cx.typeOf(out)),
  ones_like: (e, n, ins, out, _a, _s, cx) => filled(e, n, ins[0]!, out, 1, cx.typeOf(out)),
  UpSampling: (e, n, ins, out, a) => {
    if (String(a('sample_type')) === 'bilinear') {
      // MXNet's bilinear upsampling is a depthwise transposed convolution with the given weight.
      const sc = Number(a('scale'));
      const k = 2 * sc - (sc % 2), p = Math.ceil((sc - 1) / 2);
      e.node('ConvTranspose', [ins[0]!, ins[1]!], [out], [
        { name: 'kernel_shape', ints: [k, k] }, { name: 'strides', ints: [sc, sc] }, { name: 'pads', ints: [p, p, p, p] },
        { name: 'group', i: Number(a('num_filter')) },
      ], n.name);
      return;
    }
    if (ins.length !== 1) throw new IsotensorError('onnx.exportModel: nearest UpSampling exports with one input only');
    const sc = Number(a('scale'));
    e.node('Resize', [ins[0]!, '', e.constant(`${out}_scales`, [1, 1, sc, sc], 'float32')], [out], [
      { name: 'mode', s: 'nearest' }, { name: 'coordinate_transformation_mode', s: 'asymmetric' }, { name: 'nearest_mode', s: 'floor' },
    ], n.name);
  },
  // --- normalisations and math ---
  LRN: (e, n, ins, out, a) => e.node('LRN', [ins[0]!], [out], [
    { name: 'alpha', f: Number(a('alpha') ?? 1e-4) }, { name: 'beta', f: Number(a('beta') ?? 0.75) },
    { name: 'bias', f: Number(a('knorm') ?? 2) }, { name: 'size', i: Number(a('nsize')) },
  ], n.name),
  L2Normalization: (e, n, ins, out, a, shapeOf, cx) => {
    const rank = shapeOf(ins[0]!).length;
    const mode = String(a('mode') ?? 'instance');
    const axes = mode === 'channel' ? [1] : mode === 'spatial' ? Array.from({ length: rank - 2 }, (_, i) => i + 2)
      : Array.from({ length: rank - 1 }, (_, i) => i + 1);
    e.node('ReduceSumSquare', [ins[0]!], [`${out}_ss`], [{ name: 'axes', ints: axes }, { name: 'keepdims', i: 1 }]);
    e.node('Add', [`${out}_ss`, scalarOf(e, `${out}_eps`, Number(a('eps') ?? 1e-10), cx.typeOf(ins[0]!))], [`${out}_sse`]);
    e.node('Sqrt', [`${out}_sse`], [`${out}_norm`]);
    e.node('Div', [ins[0]!, `${out}_norm`], [out], [], n.name);
  },
  norm: (e, n, ins, out, a, shapeOf) => {
    const ord = Number(a('ord') ?? 2);
    if (ord !== 1 && ord !== 2) throw new IsotensorError(`onnx.exportModel: norm with ord=${ord} has no ONNX form`);
    const rank = shapeOf(ins[0]!).length;
    const keep = a('keepdims') === true;
    e.node(ord === 1 ? 'ReduceL1' : 'ReduceL2', [ins[0]!], [`${out}_r`],
           [{ name: 'axes', ints: axesOf(a('axis'), rank) }, { name: 'keepdims', i: keep ? 1 : 0 }]);
    reshapeTo(e, `${out}_r`, out, shapeOf(out), n.name);
  },
  hard_sigmoid: (e, n, ins, out, a) => e.node('HardSigmoid', [ins[0]!], [out],
    [{ name: 'alpha', f: Number(a('alpha') ?? 0.2) }, { name: 'beta', f: Number(a('beta') ?? 0.5) }], n.name),
  square: (e, n, ins, out) => e.node('Mul', [ins[0]!, ins[0]!], [out], [], n.name),
  rsqrt: (e, n, ins, out) => {
    e.node('Sqrt', [ins[0]!], [`${out}_sqrt`]);
    e.node('Reciprocal', [`${out}_sqrt`], [out], [], n.name);
  },
  broadcast_equal: predicate('Equal'), broadcast_not_equal: predicate('Equal', true),
  broadcast_greater: predicate('Greater'), broadcast_greater_equal: predicate('GreaterOrEqual'),
  broadcast_lesser: predicate('Less'), broadcast_lesser_equal: predicate('LessOrEqual'),
  broadcast_logical_and: predicate('And', false, true), broadcast_logical_or: predicate('Or', false, true),
  broadcast_logical_xor: predicate('Xor', false, true), logical_not: predicate('Not', false, true),
  _equal_scalar: scalarPredicate('Equal'), _not_equal_scalar: scalarPredicate('Equal', true),
  _greater_scalar: scalarPredicate('Greater'), _greater_equal_scalar: scalarPredicate('GreaterOrEqual'),
  _lesser_scalar: scalarPredicate('Less'), _lesser_equal_scalar: scalarPredicate('LessOrEqual'),
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
  cast: 'Cast', concat: 'Concat', swapaxes: 'SwapAxis', _Maximum: '_maximum', _Minimum: '_minimum',
  split: 'SliceChannel', flip: 'reverse', broadcast_axis: 'broadcast_to', broadcast_axes: 'broadcast_to',
  broadcast_like: 'broadcast_to', pad: 'Pad', crop: 'slice', _equal: 'broadcast_equal', _not_equal: 'broadcast_not_equal',
  _greater: 'broadcast_greater', _greater_equal: 'broadcast_greater_equal', _lesser: 'broadcast_lesser',
  _lesser_equal: 'broadcast_lesser_equal', amp_cast: 'Cast',
  _logical_and: 'broadcast_logical_and', _logical_or: 'broadcast_logical_or', _logical_xor: 'broadcast_logical_xor',
  _mod: 'broadcast_mod', _hypot: 'broadcast_hypot',
  uniform: '_random_uniform', random_uniform: '_random_uniform', normal: '_random_normal', random_normal: '_random_normal',
};

/**
 * MXNet ops exportModel writes as ONNX nodes. Others are written as constants where every input is known
 * at export time (creation ops such as `_arange`, or ops on parameters only); random ones never.
 */
export function exportableOps(): string[] {
  return [...Object.keys(EXPORTS), ...Object.keys(ALIAS)].sort();
}

// Loss heads export as their prediction; their label inputs are not graph inputs.
const LABEL_INPUTS: Readonly<Record<string, number[]>> = {
  SoftmaxOutput: [1], LinearRegressionOutput: [1], LogisticRegressionOutput: [1], MAERegressionOutput: [1],
};

/**
 * The outputs of a node whose inputs are all known at export time (parameters, or nodes folded before it;
 * creation ops such as `_arange` and `_zeros` have none): computed now, to be written as constants. This
 * is how ops without an ONNX form still export on parameters. null when an input depends on the data,
 * or the op draws random numbers or updates its inputs in place.
 */
function foldConstant(n: JsonNode, inputs: (NDArray | undefined)[]): NDArray[] | null {
  if (inputs.some((v) => v === undefined)) return null;
  const info = getOperator(n.op);
  if (info === null || info.random || /_update(_phase\d)?$|^_CustomFunction/.test(info.name)) return null;
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(n.attrs ?? {})) if (!k.startsWith('__')) attrs[k] = v;
  return invoke(n.op, inputs as NDArray[], attrs);
}

/**
 * Writes a model as ONNX (opset 17); returns the bytes. As MXNet's `onnx.export_model`, `sym` is a Symbol
 * or the path of a `-symbol.json` file and `params` a dictionary of argument and auxiliary parameters
 * (MXNet's `arg:`/`aux:` prefixes are accepted) or the path of a `.params` file. A hybridized Gluon
 * block exports its last forward's graph with its own parameters (`params` then null).
 * @example
 * ```ts
 * const bytes = mx.onnx.exportModel(net, { ...argParams, ...auxParams }, { inputShapes: { data: [1, 1, 28, 28] } });
 * mx.onnx.exportModel('lenet-symbol.json', 'lenet-0010.params', { inputShapes: { data: [1, 1, 28, 28] }, path: 'lenet.onnx' });
 * mx.onnx.exportModel(block, null, { inputShapes: { data: [1, 3, 224, 224] } });
 * ```
 */
export function exportModel(sym: Symbol | HybridBlock | string | URL, params: Record<string, NDArray> | string | URL | null,
                            opts: ExportOptions): Uint8Array {
  if (opts === undefined || typeof opts.inputShapes !== 'object') {
    throw new IsotensorError('onnx.exportModel: options.inputShapes (the data inputs\' shapes) is required');
  }
  // A Gluon block, recognised by shape: importing Gluon here would pull it into the inference-only bundle.
  if (typeof (sym as Partial<HybridBlock>).exportedGraph === 'function') {
    const block = sym as HybridBlock;
    if (params !== null && params !== undefined && (typeof params !== 'object' || Object.keys(params).length > 0)) {
      throw new IsotensorError('onnx.exportModel: a Gluon block exports its own parameters; pass null as params');
    }
    const g = block.exportedGraph();
    try {
      return exportModel(g.symbol, g.params, opts);
    } finally {
      for (const a of Object.values(g.params)) a.dispose();
    }
  }
  if (typeof sym === 'string' || sym instanceof URL) sym = loadSymbolSync(sym);
  if (!(sym instanceof Symbol)) throw new IsotensorError('onnx.exportModel: sym must be a Symbol, a HybridBlock or a -symbol.json path');
  if (typeof params === 'string' || params instanceof URL) {
    const loaded = loadArraysSync<Record<string, NDArray>>(params);
    if (Array.isArray(loaded)) throw new IsotensorError('onnx.exportModel: the .params file holds unnamed arrays');
    try {
      return exportModel(sym, loaded, opts);
    } finally {
      for (const a of Object.values(loaded)) a.dispose();
    }
  }
  const values = new Map<string, NDArray>();
  for (const [k, v] of Object.entries(params ?? {})) values.set(k.replace(/^(arg|aux):/, ''), v);
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

  // Every entry's dtype from type inference over the data inputs' and parameters' dtypes (float32 where
  // it cannot tell, e.g. a graph that reads an input of unknown type).
  const typeArgs: Record<string, DType> = {};
  for (const a of argNames) {
    const v = values.get(a);
    if (v !== undefined) typeArgs[a] = v.dtype;
    else if (opts.inputShapes[a] !== undefined) typeArgs[a] = normalizeDType(opts.inputTypes?.[a] ?? 'float32', 'onnx.exportModel');
  }
  const types = new Map<string, DType>(Object.entries(typeArgs));
  try {
    const t = internals.inferType(typeArgs);
    names.forEach((n, i) => { if (t.outTypes[i] !== undefined) types.set(n, t.outTypes[i]!); });
  } catch {
    // leave float32
  }

  const e = new Exporter(shapes);
  const entryName = (nid: number, idx: number): string => {
    const n = nodes[nid]!;
    if (n.op === 'null') return n.name;
    const registered = getOperator(n.op)?.outputs ?? [];
    const own = OUTPUT_NAMES[n.op]?.[idx] ?? (registered.length > 1 ? registered[idx] : undefined);
    if (own !== undefined) return `${n.name}_${own}`;
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
  // Entries whose values are known at export time: the parameters, then the nodes foldConstant computes
  // from them. A computed entry is written (a constant and an Identity of it) only once a written node or
  // a graph output reads it, so chains over parameters leave just the values the graph uses.
  const known = new Map<string, NDArray>(values);
  const computed = new Map<string, NDArray>();
  const materialize = (name: string): void => {
    const v = computed.get(name);
    if (v === undefined) return;
    computed.delete(name);
    const c = e.fresh(`${name}_folded`);
    e.initializers.push(protoFromHost(hostFromNDArray(v, c)));
    e.node('Identity', [c], [name]);
  };
  const folded: NDArray[] = [];
  try {
    for (const n of nodes) {
      if (n.op === 'null') continue;
      const op = ALIAS[n.op] ?? n.op;
      const fn = EXPORTS[op];
      const ins = n.inputs.map(([nid, idx]) => entryName(nid, idx));
      const nid = nodes.indexOf(n);
      const attrs = n.attrs ?? {};
      const outs = foldConstant(n, ins.map((i) => known.get(i)));
      if (outs !== null) {
        folded.push(...outs);
        outs.forEach((v, i) => {
          const name = entryName(nid, i);
          e.fresh(name);
          known.set(name, v);
          computed.set(name, v);
        });
        continue;
      }
      if (fn === undefined) {
        throw new IsotensorError(`onnx.exportModel: operator ${n.op} (node '${n.name}') has no ONNX export ` +
                                 `(exportable: see mx.onnx.exportableOps())`);
      }
      ins.forEach(materialize);
      const out = entryName(nid, 0);
      e.fresh(out);
      fn(e, n, ins, out, (k) => parseAttr(attrs[k]), shapeOf, {
        outName: (i) => {
          const name = entryName(nid, i);
          if (i > 0) e.fresh(name);
          return name;
        },
        typeOf: (name) => types.get(name) ?? 'float32',
      });
    }
    const outputs: ValueInfoValue[] = json.heads.map(([nid, idx]) => {
      const name = entryName(nid, idx);
      materialize(name);
      return { name, elemType: onnxTypeOf(types.get(name) ?? 'float32'), shape: shapeOf(name) };
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
  } finally {
    for (const v of folded) v.dispose();
  }
}
