// mx.onnx.InferenceSession: runs an ONNX model node by node on NDArrays (onnxruntime's session API).
// SPDX-License-Identifier: Apache-2.0
//
// Every value is known, so inputs that ONNX lets graphs compute at run time (Reshape's shape, Slice's
// starts, TopK's k) work here whatever feeds them; importModel needs them constant. Sequence inputs and
// outputs are NDArray[], optional ones an NDArray, an NDArray[] or null (empty).
import { cpu, toContext, type Context } from '../base/context.js';
import { IsotensorError } from '../base/error.js';
import { invoke } from '../ndarray/invoke.js';
import { keep, scope } from '../ndarray/lifetime.js';
import { NDArray } from '../ndarray/ndarray.js';
import './ops/index.js';
import { isOptional, isSequence, optionalValue, sequenceValue, type AnyValue, type SequenceValue } from './convert.js';
import { declaredInputs, declaredOutputs, domainOpsets, GraphBuilder, loadInitializers, modelOpset, tensorsIn, walkGraph, type DeclaredInput } from './graph.js';
import { functionsOf } from './import.js';
import type { FunctionProto, GraphProto, NodeProto } from './onnx_proto.js';
import { narrowOf, narrowType, tagNarrow } from './narrow.js';
import { isStrings, StringTensor } from './strings.js';
import { loadModel, loadModelSync, type LoadedModel, type ModelSource } from './source.js';
import { sameOutputs, StaticPlan } from './static_plan.js';
import { ONNX_TYPE } from './onnx_proto.js';
import type { OnnxValue } from './tensor_io.js';

// Nodes whose outputs differ from run to run even with the same inputs: never precomputed.
const RANDOM_OPS = new Set(['Dropout', 'RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Bernoulli', 'Multinomial']);

/** Options of an InferenceSession. */
export interface SessionOptions {
  /** Where it computes (default cpu()). */
  ctx?: Context | string;
  /**
   * Run a static graph as one bound Symbol executor per set of input shapes (default true): fused
   * Conv+BatchNorm and element-wise groups, planned memory. Checked against the node-by-node run the
   * first time; graphs it cannot import (shapes computed at run time, strings, sequences) run node by node.
   */
  staticGraph?: boolean;
}

// Executors kept per session (one per set of input shapes): the oldest goes past this.
const MAX_PLANS = 8;

/** The feeds as plain NDArrays by name, or undefined when one is a sequence, optional or strings. */
function tensorFeeds(fed: Map<string, AnyValue>): Map<string, NDArray> | undefined {
  const out = new Map<string, NDArray>();
  for (const [k, v] of fed) {
    if (!(v instanceof NDArray)) return undefined;
    out.set(k, v);
  }
  return out;
}

export class InferenceSession {
  /** Graph inputs to feed (initializers excluded). */
  readonly inputNames: string[];
  readonly outputNames: string[];
  /** Declared input kinds, dtypes and shapes (a sequence's or optional's tensor type). */
  readonly inputMetadata: DeclaredInput[];
  /** Declared output kinds: 'tensor', 'sequence' or 'optional' ('unknown' when undeclared). */
  /** Each output's kind ('tensor', 'sequence', ...) and, where the graph declares them, element type and shape. */
  readonly outputMetadata: { name: string; kind: string; shape?: (number | string | null)[]; elementType?: string }[];
  private readonly graph: GraphProto;
  private readonly loaded: LoadedModel;
  /** Bound executors by input shapes and dtypes; null where the graph must run node by node. */
  private readonly plans = new Map<string, StaticPlan | null>();
  private readonly plannable: boolean;
  private readonly opset: number;
  private readonly ctx: Context;
  private readonly functions: Map<string, FunctionProto>;
  private readonly domains: Map<string, number>;
  private readonly initializers = new Map<string, NDArray>();
  private readonly stringInitializers = new Map<string, StringTensor>();
  /** Outputs of the nodes that compute only from initializers, computed once (precompute()). */
  private readonly constants = new Map<string, AnyValue>();
  private readonly constantNodes = new Set<NodeProto>();
  /** Arrays the session owns (initializers, constants): an output that is one of them is copied. */
  private readonly owned = new Set<NDArray>();
  private disposed = false;

  private constructor(loaded: LoadedModel, opts: SessionOptions) {
    this.graph = loaded.model.graph;
    this.loaded = loaded;
    this.opset = modelOpset(loaded.model);
    this.ctx = toContext(opts.ctx ?? cpu());
    this.functions = functionsOf(loaded.model);
    this.domains = domainOpsets(loaded.model);
    this.inputMetadata = declaredInputs(this.graph);
    this.inputNames = this.inputMetadata.map((i) => i.name);
    this.outputNames = this.graph.outputs.map((o) => o.name);
    this.outputMetadata = declaredOutputs(this.graph);
    const b = new GraphBuilder('imperative', this.ctx, {}, {}, loaded.external);
    loadInitializers(this.graph, b);
    for (const [k, v] of b.values) {
      if (isStrings(v)) this.stringInitializers.set(k, v);
      else this.initializers.set(k, keep(v as NDArray));
    }
    for (const v of this.initializers.values()) this.owned.add(v);
    this.precompute();
    // The fast path takes plain numeric tensors in and out (narrow and string types keep their tags by node).
    const plain = (t: number | undefined): boolean => t !== undefined && t !== 0 && t !== ONNX_TYPE.STRING && narrowType(t) === undefined;
    this.plannable = opts.staticGraph !== false && this.stringInitializers.size === 0 &&
      this.graph.inputs.every((v) => v.kind === 'tensor' && plain(v.tensor?.elemType)) &&
      this.graph.outputs.every((v) => v.kind === 'tensor' && plain(v.tensor?.elemType));
  }

  /**
   * Runs, once, the nodes whose inputs are all initializers or outputs of such nodes (Constants, shape
   * arithmetic, a light model's ConstantOfShape weights): they give the same values every run. Random
   * nodes and nodes with subgraphs are left to run(); if any of these nodes fails, all are (so the
   * error surfaces where it did, in run()).
   */
  private precompute(): void {
    const known = new Set([...this.initializers.keys(), ...this.stringInitializers.keys()]);
    const nodes: NodeProto[] = [];
    for (const node of this.graph.nodes) {
      const fixed = (node.domain === '' || node.domain === 'ai.onnx') && !RANDOM_OPS.has(node.opType) &&
        !this.functions.has(`${node.domain}:${node.opType}`) && !node.attributes.some((a) => a.g !== undefined || a.graphs.length > 0) &&
        node.inputs.every((n) => n === '' || known.has(n));
      if (!fixed) continue;
      nodes.push(node);
      for (const o of node.outputs) if (o !== '') known.add(o);
    }
    if (nodes.length === 0) return;
    let values: Map<string, AnyValue>;
    try {
      values = scope(() => {
        const b = new GraphBuilder('imperative', this.ctx, {}, {});
        for (const [k, v] of this.initializers) b.values.set(k, v);
        for (const [k, v] of this.stringInitializers) b.values.set(k, v);
        walkGraph({ ...this.graph, nodes }, b, this.opset, { functions: this.functions, domains: this.domains });
        const out = new Map<string, AnyValue>();
        for (const node of nodes) for (const o of node.outputs) if (o !== '') out.set(o, b.values.get(o)!);
        return out;
      });
    } catch {
      return;
    }
    for (const [k, v] of values) {
      this.constants.set(k, keep(v));
      for (const a of tensorsIn(v)) if (a instanceof NDArray) this.owned.add(a);
    }
    for (const node of nodes) this.constantNodes.add(node);
  }

  /** A session over a model file (path or URL) or its bytes. */
  static async create(src: ModelSource, opts: SessionOptions = {}): Promise<InferenceSession> {
    return new InferenceSession(await loadModel(src, 'onnx.InferenceSession.create'), opts);
  }

  /** create() that blocks (a Node path, or bytes). */
  static createSync(src: ModelSource, opts: SessionOptions = {}): InferenceSession {
    return new InferenceSession(loadModelSync(src, 'onnx.InferenceSession.createSync'), opts);
  }

  /**
   * Runs the model. `feeds` maps input names to arrays (an initializer listed as an input may be
   * overridden): an NDArray for a tensor, an NDArray[] for a sequence, an NDArray, NDArray[] or null
   * for an optional. Returns the outputs by name, sequences as NDArray[] and empty optionals as null
   * (the caller disposes them); `T` narrows the result type when every output is of one kind.
   * @example const { y } = session.run({ x: nd.ones([1, 3, 224, 224]) });
   */
  run<T extends OnnxValue = NDArray>(feeds: Record<string, OnnxValue>): Record<string, T> {
    if (this.disposed) throw new IsotensorError('onnx.InferenceSession.run: the session was disposed');
    const fed = new Map<string, AnyValue>();
    const made: NDArray[] = [];
    for (const decl of this.inputMetadata) fed.set(decl.name, this.feedValue(decl, feeds[decl.name], made));
    for (const name of Object.keys(feeds)) {
      if (!this.inputNames.includes(name) && !this.initializers.has(name)) {
        throw new IsotensorError(`onnx.InferenceSession.run: '${name}' is not an input of the model ` +
                                 `(inputs: ${this.inputNames.join(', ')})`);
      }
      if (!fed.has(name)) {
        const v = feeds[name];
        if (!(v instanceof NDArray)) throw new IsotensorError(`onnx.InferenceSession.run: initializer '${name}' can only be overridden by an NDArray`);
        fed.set(name, v);
      }
    }
    // Overriding an initializer makes the precomputed constants stale: then every node runs.
    const useConstants = ![...fed.keys()].some((k) => this.initializers.has(k));
    // The caller's arrays: an output that is one of them is copied (node by node only).
    const given = (): Set<NDArray> => new Set<NDArray>(Object.values(feeds).flatMap((v) => (v === null ? [] : Array.isArray(v) ? v : [v]))
      .filter((x): x is NDArray => x instanceof NDArray));
    const tensors = this.plannable && useConstants ? tensorFeeds(fed) : undefined;
    if (tensors !== undefined) {
      const key = [...tensors].map(([k, v]) => `${k}:${v.dtype}:${v.shape.join('x')}`).join('|');
      const plan = this.plans.get(key);
      if (plan === undefined) return this.firstStaticRun(key, tensors, () => this.runNodes<T>(fed, given(), useConstants)) as Record<string, T>;
      if (plan !== null) return plan.run(tensors) as Record<string, T>;
    }
    const out = this.runNodes<T>(fed, given(), useConstants);
    // Feeds the session made (plain values rounded onto a narrow type's grid) are freed unless handed out.
    const handed = new Set(Object.values(out).flatMap((v) => (v instanceof NDArray ? [v] : Array.isArray(v) ? v : [])));
    for (const a of made) if (!handed.has(a)) a.dispose();
    return out;
  }

  /**
   * Builds the executor for a new set of input shapes and checks it against a node-by-node run of the
   * same feeds: when both agree (shapes, dtypes, values to fusion rounding) the executor's results are
   * returned and it serves these shapes from now on; otherwise these shapes run node by node.
   */
  private firstStaticRun(key: string, tensors: Map<string, NDArray>, nodes: () => Record<string, OnnxValue>): Record<string, OnnxValue> {
    let plan: StaticPlan;
    try {
      plan = StaticPlan.build(this.loaded, tensors, this.ctx, {
        values: new Map<string, AnyValue>([...this.initializers, ...this.constants]), computed: this.constantNodes,
      });
    } catch {
      this.remember(key, null);
      return nodes();
    }
    const viaNodes = nodes();
    let viaPlan: Record<string, NDArray> | undefined;
    try {
      viaPlan = plan.run(tensors);
    } catch {
      viaPlan = undefined;
    }
    if (viaPlan !== undefined && sameOutputs(viaPlan, viaNodes as Record<string, NDArray>)) {
      this.remember(key, plan);
      for (const v of Object.values(viaNodes)) (v as NDArray).dispose();
      return viaPlan;
    }
    plan.dispose();
    for (const v of Object.values(viaPlan ?? {})) v.dispose();
    this.remember(key, null);
    return viaNodes;
  }

  /**
   * The input shapes this session runs through a bound executor so far (one entry per set, e.g.
   * 'input:float32:1x3x224x224'); shapes it runs node by node are not listed.
   */
  staticShapes(): string[] {
    return [...this.plans].filter(([, p]) => p !== null).map(([k]) => k);
  }

  private remember(key: string, plan: StaticPlan | null): void {
    if (this.plans.size >= MAX_PLANS) {
      const [oldest, p] = this.plans.entries().next().value as [string, StaticPlan | null];
      p?.dispose();
      this.plans.delete(oldest);
    }
    this.plans.set(key, plan);
  }

  // The graph node by node on NDArrays (every kind of value; initializers overridable).
  private runNodes<T extends OnnxValue>(fed: Map<string, AnyValue>, given: Set<NDArray>, useConstants: boolean): Record<string, T> {
    return scope(() => {
      const b = new GraphBuilder('imperative', this.ctx, {}, {});
      for (const [k, v] of this.initializers) b.values.set(k, v);
      for (const [k, v] of this.stringInitializers) b.values.set(k, v);
      if (useConstants) for (const [k, v] of this.constants) b.values.set(k, v);
      for (const [k, v] of fed) b.values.set(k, v);
      walkGraph(this.graph, b, this.opset, {
        functions: this.functions, domains: this.domains, skip: useConstants ? this.constantNodes : undefined,
      });
      // An output that is a feed or an initializer (or appears twice) is copied, so the caller owns what it gets.
      const handed = new Set<NDArray>();
      const own = (a: AnyValue, o: string): NDArray => {
        if (!(a instanceof NDArray)) throw new IsotensorError(`onnx.InferenceSession.run: output '${o}' holds a graph value`);
        const narrow = narrowOf(a);
        const mine = this.owned.has(a) || given.has(a) || handed.has(a) ? a.copy() : a;
        if (narrow !== undefined) tagNarrow(mine, narrow);
        handed.add(mine);
        return mine;
      };
      const out: Record<string, OnnxValue> = {};
      for (const o of this.outputNames) {
        const v = b.values.get(o);
        if (v === undefined) throw new IsotensorError(`onnx.InferenceSession.run: output '${o}' is not produced by any node`);
        const inner = isOptional(v) ? v.value : v;
        // String tensors are immutable host values: handed out as they are.
        out[o] = inner === null ? null : isStrings(inner) ? inner : isSequence(inner) ? inner.items.map((x) => own(x, o)) : own(inner, o);
      }
      return out as Record<string, T>;
    });
  }

  // A feed as a graph value of its input's declared kind.
  private feedValue(decl: DeclaredInput, v: OnnxValue | undefined, made: NDArray[]): AnyValue {
    const what = `onnx.InferenceSession.run: input '${decl.name}'`;
    const seq = (xs: NDArray[]): SequenceValue => {
      if (!xs.every((x) => x instanceof NDArray)) throw new IsotensorError(`${what} is a sequence: it needs an array of NDArrays`);
      const dtype = decl.dtype ?? xs[0]?.dtype;
      const odd = xs.find((x) => dtype !== undefined && x.dtype !== dtype);
      if (odd !== undefined) throw new IsotensorError(`${what} is a sequence of ${dtype}, got an item of ${odd.dtype}`);
      return sequenceValue(xs, dtype);
    };
    if (decl.kind === 'sequence') {
      if (!Array.isArray(v)) throw new IsotensorError(`${what} is a sequence: it needs an array of NDArrays (inputs: ${this.inputNames.join(', ')})`);
      return seq(v);
    }
    if (decl.kind === 'optional') {
      if (v === undefined) throw new IsotensorError(`${what} is an optional: it needs an NDArray, an NDArray[] or null (empty)`);
      if (v === null) return optionalValue(null);
      if (Array.isArray(v)) {
        if (decl.elemKind === 'tensor') throw new IsotensorError(`${what} is an optional tensor, got an array`);
        return optionalValue(seq(v));
      }
      if (!(v instanceof NDArray)) throw new IsotensorError(`${what} is an optional: it needs an NDArray, an NDArray[] or null (empty)`);
      if (decl.elemKind === 'sequence') throw new IsotensorError(`${what} is an optional sequence, got an NDArray`);
      return optionalValue(v);
    }
    if (decl.elementType === 'string') {
      if (isStrings(v)) return v;
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return new StringTensor(v as unknown as string[]);
      throw new IsotensorError(`${what} holds strings: it needs an mx.onnx.StringTensor or an array of strings`);
    }
    if (!(v instanceof NDArray)) {
      throw new IsotensorError(`onnx.InferenceSession.run: input '${decl.name}' needs an NDArray ` +
                               `(inputs: ${this.inputNames.join(', ')})`);
    }
    const narrow = narrowType(decl.elementType ?? '');
    if (narrow === undefined || narrowOf(v) === narrow) return v;
    // A narrow input given as plain values (float32 for float8/float4, any for int4/int2) is rounded
    // onto the type's grid, as storing it in that type would.
    if (v.dtype !== narrow.carrier && narrow.carrier === 'float32') {
      throw new IsotensorError(`${what} is ${narrow.name}: it needs its values as float32 (got ${v.dtype})`);
    }
    const rounded = scope(() => {
      const f = v.dtype === 'float32' || v.dtype === 'float64' ? v : v.astype('float64');
      return invoke('round_to_format', [f], { format: narrow.name })[0]!.astype(narrow.carrier);
    });
    made.push(rounded);
    return tagNarrow(rounded, narrow);
  }

  /** Frees the model's initializers and bound executors. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of this.plans.values()) p?.dispose();
    this.plans.clear();
    for (const v of this.owned) if (!v.isDisposed) v.dispose();
    this.owned.clear();
    this.initializers.clear();
    this.constants.clear();
    this.constantNodes.clear();
  }
}
