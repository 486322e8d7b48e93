// mx.onnx.InferenceSession: runs an ONNX model node by node on NDArrays (onnxruntime's session API).
// SPDX-License-Identifier: Apache-2.0
//
// Every value is known, so inputs that ONNX lets graphs compute at run time (Reshape's shape, Slice's
// starts, TopK's k) work here whatever feeds them; importModel needs them constant.
import { cpu, toContext, type Context } from '../base/context.js';
import type { DType } from '../base/dtype.js';
import { IsotensorError } from '../base/error.js';
import { keep, scope } from '../ndarray/lifetime.js';
import { NDArray } from '../ndarray/ndarray.js';
import './ops/index.js';
import { declaredInputs, GraphBuilder, loadInitializers, modelOpset, walkGraph } from './graph.js';
import { functionsOf } from './import.js';
import type { FunctionProto, GraphProto } from './onnx_proto.js';
import { loadModel, loadModelSync, type LoadedModel, type ModelSource } from './source.js';

/** Options of an InferenceSession. */
export interface SessionOptions {
  /** Where it computes (default cpu()). */
  ctx?: Context | string;
}

export class InferenceSession {
  /** Graph inputs to feed (initializers excluded). */
  readonly inputNames: string[];
  readonly outputNames: string[];
  /** Declared input dtypes and shapes. */
  readonly inputMetadata: { name: string; shape?: (number | string | null)[]; dtype?: DType }[];
  private readonly graph: GraphProto;
  private readonly opset: number;
  private readonly ctx: Context;
  private readonly functions: Map<string, FunctionProto>;
  private readonly initializers = new Map<string, NDArray>();
  private disposed = false;

  private constructor(loaded: LoadedModel, opts: SessionOptions) {
    this.graph = loaded.model.graph;
    this.opset = modelOpset(loaded.model);
    this.ctx = toContext(opts.ctx ?? cpu());
    this.functions = functionsOf(loaded.model);
    this.inputMetadata = declaredInputs(this.graph);
    this.inputNames = this.inputMetadata.map((i) => i.name);
    this.outputNames = this.graph.outputs.map((o) => o.name);
    const b = new GraphBuilder('imperative', this.ctx, {}, {}, loaded.external);
    loadInitializers(this.graph, b);
    for (const [k, v] of b.values) this.initializers.set(k, keep(v as NDArray));
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
   * overridden); returns the outputs by name (the caller disposes them).
   * @example const { y } = session.run({ x: nd.ones([1, 3, 224, 224]) });
   */
  run(feeds: Record<string, NDArray>): Record<string, NDArray> {
    if (this.disposed) throw new IsotensorError('onnx.InferenceSession.run: the session was disposed');
    for (const name of this.inputNames) {
      if (!(feeds[name] instanceof NDArray)) {
        throw new IsotensorError(`onnx.InferenceSession.run: input '${name}' needs an NDArray ` +
                                 `(inputs: ${this.inputNames.join(', ')})`);
      }
    }
    for (const name of Object.keys(feeds)) {
      if (!this.inputNames.includes(name) && !this.initializers.has(name)) {
        throw new IsotensorError(`onnx.InferenceSession.run: '${name}' is not an input of the model ` +
                                 `(inputs: ${this.inputNames.join(', ')})`);
      }
    }
    return scope(() => {
      const b = new GraphBuilder('imperative', this.ctx, {}, {});
      for (const [k, v] of this.initializers) b.values.set(k, v);
      for (const [k, v] of Object.entries(feeds)) b.values.set(k, v);
      walkGraph(this.graph, b, this.opset, { functions: this.functions });
      const out: Record<string, NDArray> = {};
      for (const o of this.outputNames) {
        const v = b.values.get(o);
        if (!(v instanceof NDArray)) throw new IsotensorError(`onnx.InferenceSession.run: output '${o}' is not produced by any node`);
        // An output that is a feed or an initializer is copied, so the caller owns what it gets.
        out[o] = this.initializers.get(o) === v || Object.values(feeds).includes(v) ? v.copy() : v;
      }
      return out;
    });
  }

  /** Frees the model's initializers. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.initializers.values()) v.dispose();
    this.initializers.clear();
  }
}
