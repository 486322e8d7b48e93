// Walks an ONNX graph through the converters, building a Symbol graph or computing arrays.
// SPDX-License-Identifier: Apache-2.0
import type { Context } from '../base/context.js';
import { toStorage, type DType } from '../base/dtype.js';
import { IsotensorError } from '../base/error.js';
import { record } from '../autograd/autograd.js';
import { invoke } from '../ndarray/invoke.js';
import { keep, scope } from '../ndarray/lifetime.js';
import { NDArray } from '../ndarray/ndarray.js';
import { createOpSymbol, Symbol, Variable } from '../symbol/symbol.js';
import {
  findConverter, isTensor, otherDomains, kindOf, NodeContext, type AnyValue, type GraphOps, type OpParams, type Value,
} from './convert.js';
import { ONNX_TYPE, type FunctionProto, type GraphProto, type ModelProto, type NodeProto, type TensorProto, type TypeInfo, type ValueInfoProto } from './onnx_proto.js';
import { stringsFromProto } from './strings.js';
import { narrowOf, tagNarrow, type NarrowType } from './narrow.js';
import { carrierOfOnnx, ndarrayFromHost, onnxTypeName, tensorFromProto, type ExternalDataReader } from './tensor.js';

/** The default-domain opset a model imports. */
export function modelOpset(m: ModelProto): number {
  const e = m.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  return e?.version ?? 1;
}

/** The versions a model imports of domains other than the default one ('ai.onnx.ml', ...). */
export function domainOpsets(m: ModelProto): Map<string, number> {
  return new Map(m.opsetImport.filter((o) => !isDefaultDomain(o.domain)).map((o) => [o.domain, o.version]));
}

/** A graph input the caller feeds: its kind, and for tensors (or a sequence's items) dtype and shape. */
export interface DeclaredInput {
  name: string;
  kind: 'tensor' | 'sequence' | 'optional';
  shape?: (number | string | null)[];
  /** The dtype it is fed in (for float8, float4, int4 and int2: the carrier its values are held in). */
  dtype?: DType;
  /** The declared ONNX element type ('float', 'int64', 'float8e4m3fn', ...). */
  elementType?: string;
  /** An optional's content kind ('tensor' or 'sequence'), when declared. */
  elemKind?: 'tensor' | 'sequence';
}

// The tensor type at the bottom of sequence/optional nesting.
function innerTensor(t: TypeInfo): TypeInfo | undefined {
  let x: TypeInfo | undefined = t;
  while (x !== undefined && (x.kind === 'sequence' || x.kind === 'optional')) x = x.elem;
  return x?.kind === 'tensor' ? x : undefined;
}

/** Shapes (fixed dims only) and dtypes the graph declares for its inputs. */
export function declaredInputs(g: GraphProto): DeclaredInput[] {
  const inits = new Set(g.initializers.map((t) => t.name));
  for (const v of g.inputs) {
    const bad = v.kind === 'map' || v.kind === 'sparse' ? v.kind
      : (v.kind === 'sequence' || v.kind === 'optional') && v.elem !== undefined && innerTensor(v) === undefined ? `${v.kind} of ${v.elem.kind}` : undefined;
    if (bad !== undefined) {
      throw new IsotensorError(`onnx: graph input '${v.name}' holds a value of kind ${bad}; isotensor runs graphs of ` +
                               'tensors, sequences of tensors and optionals of those');
    }
  }
  return g.inputs.filter((v) => !inits.has(v.name)).map((v) => {
    const t = innerTensor(v);
    const elem = v.kind === 'optional' ? v.elem?.kind : undefined;
    return {
      name: v.name,
      kind: v.kind === 'sequence' || v.kind === 'optional' ? v.kind : 'tensor',
      shape: t?.tensor?.shape,
      ...(t?.tensor !== undefined && t.tensor.elemType !== 0
        ? { elementType: onnxTypeName(t.tensor.elemType),
            ...(t.tensor.elemType === ONNX_TYPE.STRING ? {} : { dtype: carrierOfOnnx(t.tensor.elemType, `onnx input '${v.name}'`) }) }
        : {}),
      ...(elem === 'tensor' || elem === 'sequence' ? { elemKind: elem } : {}),
    };
  });
}

/** What the graph declares of its outputs: kind, and the tensor's element type and shape where given. */
export function declaredOutputs(g: GraphProto): { name: string; kind: string; shape?: (number | string | null)[]; elementType?: string }[] {
  return g.outputs.map((v) => {
    const t = innerTensor(v)?.tensor;
    return {
      name: v.name, kind: v.kind,
      ...(t?.shape !== undefined ? { shape: t.shape } : {}),
      ...(t !== undefined && t.elemType !== 0 ? { elementType: onnxTypeName(t.elemType) } : {}),
    };
  });
}

/** The tensors a value holds: itself, a sequence's items, an optional's content. */
export function tensorsIn(v: AnyValue): Value[] {
  if (isTensor(v)) return [v];
  if (v.kind === 'sequence') return v.items;
  if (v.kind === 'strings') return [];
  return v.value === null ? [] : tensorsIn(v.value);
}

type Mode = 'symbolic' | 'imperative';

/** The GraphOps of one walk: where values live and how ops are run or added. */
export class GraphBuilder implements GraphOps {
  readonly values = new Map<string, AnyValue>();
  /** Known arrays that became graph Variables (symbolic mode), by Variable name. */
  readonly params = new Map<string, NDArray>();
  private readonly varOf = new Map<NDArray, Symbol>();
  private readonly shapeCache = new Map<Symbol, number[] | undefined>();
  private readonly typeCache = new Map<Symbol, DType | undefined>();
  private readonly usedNames = new Set<string>();
  /** Names of known arrays (initializers), so their Variables keep the ONNX name. */
  readonly knownNames = new Map<NDArray, string>();
  /** Name given to the next op symbol (the node being converted). */
  nodeName = 'node';

  constructor(readonly mode: Mode, readonly ctx: Context,
              readonly inputShapes: Record<string, number[]>, readonly inputTypes: Record<string, DType>,
              private readonly external?: ExternalDataReader) {}

  isKnown(v: Value): v is NDArray { return v instanceof NDArray; }

  private uniqueName(base: string): string {
    let n = base;
    for (let k = 1; this.usedNames.has(n); k++) n = `${base}_${k}`;
    this.usedNames.add(n);
    return n;
  }

  /** The graph Variable standing for a known array (its value goes to params). */
  private variableFor(a: NDArray): Symbol {
    let v = this.varOf.get(a);
    if (v === undefined) {
      const name = this.uniqueName(this.knownNames.get(a) ?? `${this.nodeName}_const`);
      // A parameter's shape and dtype ride on its Variable (__shape__/__dtype__), so Module.bind and
      // simpleBind infer every shape from the data alone. MXNet's shapes have no 0-d form, so a scalar
      // becomes a 1-element vector: broadcasting gives the same values.
      const value = a.ndim === 0 ? a.reshape([1]) : a;
      v = Variable(name, { shape: value.shape, dtype: value.dtype });
      keep(value);
      this.params.set(name, value);
      this.inputShapes[name] = value.shape;
      this.inputTypes[name] = value.dtype;
      this.varOf.set(a, v);
    }
    return v;
  }

  /** A graph output whose value is known: a copy of a Variable holding it, 0-d shapes kept. */
  knownOutput(a: NDArray, name: string): Symbol {
    if (a.ndim > 0) return this.op('_copy', [a], {}, false)[0] as Symbol;
    const vname = this.uniqueName(`${name}_value`);
    keep(a);
    this.params.set(vname, a);
    return createOpSymbol('_copy', 'copy', [Variable(vname, { dtype: a.dtype })], {}, {}, { name: this.uniqueName(name) });
  }

  op(op: string, inputs: readonly Value[], params: OpParams, fold: boolean): Value[] {
    const clean: Record<string, string | number | boolean | readonly number[]> = {};
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) clean[k] = v;
    // Converters read sequences/optionals through c.sequence()/c.optional(); a registered op takes tensors.
    const odd = (inputs as readonly AnyValue[]).findIndex((x) => !isTensor(x));
    if (odd >= 0) {
      throw new IsotensorError(`onnx: ${this.nodeName}: op ${op} input ${odd} is ${kindOf(inputs[odd] as AnyValue)}; registered ops take tensors only`);
    }
    if (this.mode === 'imperative' || (fold && inputs.every((x) => x instanceof NDArray))) {
      return invoke(op, inputs.map((x) => {
        if (!(x instanceof NDArray)) throw new IsotensorError(`onnx: ${op} got a graph value in a session`);
        return x;
      }), clean);
    }
    const syms = inputs.map((x) => (x instanceof NDArray ? this.variableFor(x) : x));
    const s = createOpSymbol(op, op.toLowerCase(), syms, {}, clean, { name: this.uniqueName(this.nodeName) });
    const n = s.numOutputs;
    if (n === 1) return [s];
    const outs: Value[] = [];
    for (let i = 0; i < n; i++) outs.push(s.at(i));
    return outs;
  }

  // Inference takes only the symbol's own arguments.
  private only<T>(s: Symbol, all: Record<string, T>): Record<string, T> {
    const out: Record<string, T> = {};
    for (const a of s.listArguments()) if (a in all) out[a] = all[a]!;
    return out;
  }

  shapeOf(v: Value): number[] | undefined {
    if (v instanceof NDArray) return v.shape;
    if (this.shapeCache.has(v)) return this.shapeCache.get(v);
    // A graph input's declared shape, as is: inference reads a 0 dim as unknown.
    const args = v.listArguments();
    if (args.length === 1 && v.listOutputs()[0] === args[0] && this.inputShapes[args[0]!] !== undefined) {
      return this.inputShapes[args[0]!]!.slice();
    }
    let s: number[] | undefined;
    try {
      s = v.inferShape(this.only(v, this.inputShapes)).outShapes[0];
    } catch {
      s = this.shapeByRunning(v, args);
    }
    this.shapeCache.set(v, s);
    return s;
  }

  /**
   * The shape of `v` from running it once on its parameters and zero-filled inputs: shape inference
   * reads 0-d (and 0-size) shapes as unknown, as MXNet does, but the executor runs them. Undefined
   * when an input's shape is not known at all (converters that need it say so).
   */
  private shapeByRunning(v: Symbol, args: readonly string[]): number[] | undefined {
    const aux = v.listAuxiliaryStates();
    const given = [...args, ...aux];
    if (!given.some((a) => this.inputShapes[a]?.length === 0 || this.inputShapes[a]?.includes(0))) return undefined;
    if (given.some((a) => this.inputShapes[a] === undefined)) return undefined;
    return scope(() => {
      const arrays: Record<string, NDArray> = {};
      for (const a of given) {
        arrays[a] = this.params.get(a) ?? invoke('_zeros', [], { shape: this.inputShapes[a]!, dtype: this.inputTypes[a] ?? 'float32' })[0]!;
      }
      try {
        const ex = v.bind(this.ctx, Object.fromEntries(args.map((a) => [a, arrays[a]!])),
                          { auxStates: Object.fromEntries(aux.map((a) => [a, arrays[a]!])), gradReq: 'null' });
        try {
          return ex.forward({ isTrain: false })[0]!.shape;
        } finally {
          ex.dispose();
        }
      } catch {
        return undefined;
      }
    });
  }

  dtypeOf(v: Value): DType | undefined {
    if (v instanceof NDArray) return v.dtype;
    if (this.typeCache.has(v)) return this.typeCache.get(v);
    let d: DType | undefined;
    try {
      d = v.inferType(this.only(v, this.inputTypes)).outTypes[0];
    } catch {
      d = undefined;
    }
    this.typeCache.set(v, d);
    return d;
  }

  constant(values: ArrayLike<number | bigint>, shape: readonly number[], dtype: DType): NDArray {
    return ndarrayFromHost({ name: '', dtype, shape: shape.slice(), storage: toStorage(dtype, values) }, this.ctx);
  }

  tensor(t: TensorProto, what: string): NDArray {
    return ndarrayFromHost(tensorFromProto(t, what, this.external), this.ctx);
  }

  /** The graphs being walked, innermost last (a Gradient node reads the nodes of its own graph). */
  readonly graphs: GraphProto[] = [];

  /**
   * d y / d x for each of `xs` (graph values), y's gradient seeded with ones: the nodes of the current
   * graph on a path from xs to y run again, recorded by autograd, on copies of the xs. Values that do
   * not depend on the xs (the zs among them) are read as they are, constants to the gradient.
   */
  gradient(y: string, xs: readonly string[], label: string): NDArray[] {
    if (this.mode !== 'imperative') {
      throw new IsotensorError(`${label}: Gradient runs in an InferenceSession only (importModel builds no gradient graphs)`);
    }
    const g = this.graphs[this.graphs.length - 1]!;
    const fromX = new Set(xs);
    const onPath = new Set<NodeProto>();
    for (const n of g.nodes) {
      if (n.inputs.some((i) => fromX.has(i))) {
        onPath.add(n);
        for (const o of n.outputs) if (o !== '') fromX.add(o);
      }
    }
    if (!fromX.has(y)) throw new IsotensorError(`${label}: y '${y}' does not depend on xs [${xs.join(', ')}]`);
    // Of those, the ones y needs.
    const producer = new Map<string, NodeProto>();
    for (const n of onPath) for (const o of n.outputs) if (o !== '') producer.set(o, n);
    const needed = new Set<NodeProto>();
    const frontier = [y];
    while (frontier.length > 0) {
      const n = producer.get(frontier.pop()!);
      if (n === undefined || needed.has(n)) continue;
      needed.add(n);
      frontier.push(...n.inputs.filter((i) => i !== ''));
    }
    const info = (name: string): ValueInfoProto => ({ name, kind: 'tensor' });
    const sub: GraphProto = {
      name: `${g.name}/gradient of ${y}`, nodes: g.nodes.filter((n) => needed.has(n)), initializers: [],
      inputs: xs.map(info), outputs: [info(y)], valueInfo: [],
    };
    const vars = xs.map((name) => {
      const v = this.values.get(name);
      if (!(v instanceof NDArray)) throw new IsotensorError(`${label}: x '${name}' is not a tensor`);
      const c = v.copy();
      c.attachGrad();
      return c;
    });
    const out = record(() => this.subgraph(sub, vars)[0]);
    if (!(out instanceof NDArray)) throw new IsotensorError(`${label}: y '${y}' is not a tensor`);
    out.backward();
    // Copies: a gradient buffer goes with its variable, which the node's scope disposes.
    return vars.map((v) => (v.grad === null ? invoke('zeros_like', [v])[0]! : v.grad.copy()));
  }

  /** Set by walkGraph: what nested graphs (If/Loop bodies) are walked with. */
  walk: { opset: number; opts: WalkOptions } = { opset: 1, opts: {} };

  /**
   * Runs a nested graph (an If branch, a Loop body) with `inputs` bound to its inputs; names of the
   * enclosing graph stay visible inside, and names made inside do not leak out.
   */
  subgraph(g: GraphProto, inputs: readonly AnyValue[]): AnyValue[] {
    if (inputs.length !== g.inputs.length) {
      throw new IsotensorError(`onnx: subgraph '${g.name}' takes ${g.inputs.length} inputs, got ${inputs.length}`);
    }
    const saved = new Map(this.values);
    try {
      g.inputs.forEach((v, i) => this.values.set(v.name, inputs[i]!));
      for (const t of g.initializers) {
        this.values.set(t.name, t.dataType === ONNX_TYPE.STRING ? stringsFromProto(t, 'onnx subgraph initializer') : this.tensor(t, 'onnx subgraph initializer'));
      }
      walkGraph(g, this, this.walk.opset, this.walk.opts);
      return g.outputs.map((o) => {
        const v = this.values.get(o.name);
        if (v === undefined) throw new IsotensorError(`onnx: subgraph '${g.name}' output '${o.name}' is not produced by any node`);
        return v;
      });
    } finally {
      this.values.clear();
      for (const [k, v] of saved) this.values.set(k, v);
    }
  }
}

/** Options of a graph walk. */
export interface WalkOptions {
  /** Model-local functions by `domain:name`. */
  functions?: ReadonlyMap<string, FunctionProto>;
  /** Nodes whose outputs are already in the builder's values (a session's precomputed constants). */
  skip?: ReadonlySet<NodeProto>;
  /** Versions of the other domains the model imports (domainOpsets). */
  domains?: ReadonlyMap<string, number>;
}

function isDefaultDomain(d: string): boolean {
  return d === '' || d === 'ai.onnx';
}

/**
 * Converts every node of `g` in order. Values of the graph's inputs and initializers must already be
 * in `b.values`. Node outputs are added to `b.values`.
 */
export function walkGraph(g: GraphProto, b: GraphBuilder, opset: number, opts: WalkOptions = {}): void {
  b.walk = { opset, opts };
  b.graphs.push(g);
  try {
    for (const node of g.nodes) if (opts.skip?.has(node) !== true) convertNode(node, b, opset, opts);
  } finally {
    b.graphs.pop();
  }
}

function convertNode(node: NodeProto, b: GraphBuilder, opset: number, opts: WalkOptions): void {
  const fn = opts.functions?.get(`${node.domain}:${node.opType}`);
  if (fn !== undefined) {
    expandFunction(node, fn, b, opset, opts);
    return;
  }
  const label = `onnx ${node.opType}${node.name !== '' ? ` (node '${node.name}')` : ''}`;
  const domain = isDefaultDomain(node.domain) ? '' : node.domain;
  if (domain !== '' && !otherDomains().includes(domain)) {
    throw new IsotensorError(`${label}: operators of domain '${node.domain}' are not supported ` +
                             `(${['the default ONNX domain', ...otherDomains()].join(', ')})`);
  }
  // A domain the model does not import is at version 1.
  const version = domain === '' ? opset : opts.domains?.get(domain) ?? 1;
  const conv = findConverter(node.opType, version, domain);
  if (conv === undefined) {
    throw new IsotensorError(`${label}: ONNX operator ${domain === '' ? '' : `${domain}.`}${node.opType} (opset ${version}) is not supported`);
  }
  const inputs = node.inputs.map((name) => {
    if (name === '') return undefined;
    const v = b.values.get(name);
    if (v === undefined) throw new IsotensorError(`${label}: input '${name}' is not produced by any earlier node or graph input`);
    return v;
  });
  b.nodeName = node.name !== '' ? node.name : node.outputs[0] ?? node.opType;
  const c = new NodeContext(node, version, inputs, b);
  const outs = scope(() => {
    const r = conv(c);
    return Array.isArray(r) ? r : [r];
  });
  const narrowIn = NARROW_SETTERS.has(node.opType) ? undefined : inputs.find((v) => isTensor(v) && narrowOf(v) !== undefined);
  node.outputs.forEach((name, i) => {
    if (name === '') return;
    const v = outs[i];
    if (v === undefined) throw new IsotensorError(`${label}: output ${i} ('${name}') is not produced by this converter`);
    if (narrowIn !== undefined && isTensor(v)) inheritNarrow(v, narrowOf(narrowIn as Value)!, b);
    b.values.set(name, v);
  });
}

// Ops that decide their outputs' narrow types themselves. Every other op that takes a narrow value
// only moves values (Reshape, Transpose, Slice, Concat, Identity, ...), so an output of the carrier
// dtype holds the same type.
const NARROW_SETTERS = new Set(['Cast', 'CastLike', 'QuantizeLinear', 'DequantizeLinear']);

function inheritNarrow(v: Value, t: NarrowType, b: GraphBuilder): void {
  if (narrowOf(v) === undefined && b.dtypeOf(v) === t.carrier) tagNarrow(v, t);
}

// A model-local function call: its body runs in a scope of its own, where the function's formal
// inputs hold the call's values (so subgraphs in the body see the body's names), at the function's
// opset; the formal outputs become the call's outputs.
function expandFunction(call: NodeProto, fn: FunctionProto, b: GraphBuilder, opset: number, opts: WalkOptions): void {
  const prefix = `${call.name !== '' ? call.name : call.outputs[0]}/${fn.name}/`;
  const fnOpset = fn.opsetImport.find((o) => isDefaultDomain(o.domain))?.version ?? opset;
  const callAttrs = new Map(call.attributes.map((a) => [a.name, a]));
  const args = fn.inputs.map((n, i) => (call.inputs[i] ? b.values.get(call.inputs[i]!) : undefined));
  // Formal inputs the call leaves out read as omitted optional inputs.
  const omitted = new Set(fn.inputs.filter((_, i) => args[i] === undefined));
  const outer = new Map(b.values);
  const outerWalk = b.walk;
  let results: (AnyValue | undefined)[];
  try {
    b.values.clear();
    fn.inputs.forEach((n, i) => { if (args[i] !== undefined) b.values.set(n, args[i]!); });
    b.walk = { opset: fnOpset, opts };
    for (const node of fn.nodes) {
      const mapped: NodeProto = {
        ...node,
        name: prefix + (node.name !== '' ? node.name : node.outputs[0] ?? ''),
        inputs: node.inputs.map((n) => (omitted.has(n) ? '' : n)),
        attributes: node.attributes.flatMap((a) => {
          if (a.refAttrName === undefined) return [a];
          const v = callAttrs.get(a.refAttrName);
          return v === undefined ? [] : [{ ...v, name: a.name }];
        }),
      };
      convertNode(mapped, b, fnOpset, opts);
    }
    results = fn.outputs.map((n) => b.values.get(n));
  } finally {
    b.values.clear();
    for (const [k, v] of outer) b.values.set(k, v);
    b.walk = outerWalk;
  }
  call.outputs.forEach((name, i) => {
    if (name === '') return;
    const v = results[i];
    if (v === undefined) throw new IsotensorError(`onnx ${fn.name}: function output '${fn.outputs[i]}' is not produced by its body`);
    b.values.set(name, v);
  });
}

/** Loads a graph's initializers into the builder as known arrays (`decoded`: ones already read, by name). */
export function loadInitializers(g: GraphProto, b: GraphBuilder, decoded?: ReadonlyMap<string, NDArray>): void {
  for (const t of g.initializers) {
    if (t.dataType === ONNX_TYPE.STRING) {
      if (b.mode === 'symbolic') throw new IsotensorError(`onnx.importModel: initializer '${t.name}' holds strings; a Symbol graph holds numbers (use mx.onnx.InferenceSession)`);
      b.values.set(t.name, stringsFromProto(t, `onnx initializer '${t.name}'`));
      continue;
    }
    const a = decoded?.get(t.name) ?? b.tensor(t, 'onnx initializer');
    b.knownNames.set(a, t.name);
    b.values.set(t.name, a);
  }
}

/** Shapes of the graph's declared inputs with every dim fixed (others need options.inputShapes). */
export function fixedShape(shape: readonly (number | string | null)[] | undefined): number[] | undefined {
  if (shape === undefined || shape.some((d) => typeof d !== 'number' || d < 0)) return undefined;
  return shape as number[];
}
