// mx.onnx.importModel: an ONNX model as a Symbol with its parameters (MXNet's onnx.import_model).
// SPDX-License-Identifier: Apache-2.0
import { cpu, toContext, type Context } from '../base/context.js';
import type { DType } from '../base/dtype.js';
import { IsotensorError } from '../base/error.js';
import { NDArray } from '../ndarray/ndarray.js';
import { Group, Symbol, Variable } from '../symbol/symbol.js';
import { narrowType, tagNarrow } from './narrow.js';
import './ops/index.js';
import {
  declaredInputs, domainOpsets, fixedShape, GraphBuilder, loadInitializers, modelOpset, tensorsIn, walkGraph,
} from './graph.js';
import { isTensor, kindOf, type AnyValue } from './convert.js';
import type { FunctionProto, ModelProto, NodeProto } from './onnx_proto.js';
import { loadModel, loadModelSync, type LoadedModel, type ModelSource } from './source.js';

/** Options of importModel. */
export interface ImportOptions {
  /** Shapes of graph inputs whose declared shape has symbolic dims (a batch size 'N', say). */
  inputShapes?: Record<string, readonly number[]>;
  /** Where the parameters are created (default cpu()). */
  ctx?: Context | string;
}

/** What importModel returns: the graph and its parameters, as MXNet's import_model. */
export interface ImportedModel {
  sym: Symbol;
  argParams: Record<string, NDArray>;
  auxParams: Record<string, NDArray>;
  /** The graph inputs to feed (not parameters), with declared shapes and dtypes. */
  inputs: { name: string; shape: (number | string | null)[] | undefined; dtype: DType | undefined }[];
  /** ONNX output names, in the order of sym.listOutputs(). */
  outputNames: string[];
  /** The model's default-domain opset. */
  opset: number;
}

export function functionsOf(m: ModelProto): Map<string, FunctionProto> {
  return new Map(m.functions.map((f) => [`${f.domain}:${f.name}`, f]));
}

/**
 * Values a session already holds: its initializers and the outputs of the nodes it computed once from
 * them (`computed`, which an import then skips). They are used as they are and never disposed here.
 */
export interface KnownValues {
  values: ReadonlyMap<string, AnyValue>;
  computed: ReadonlySet<NodeProto>;
}

/** importModel of a loaded model, on the `known` values a session holds, if any. */
export function importLoaded({ model, external }: LoadedModel, opts: ImportOptions, known?: KnownValues): ImportedModel {
  const g = model.graph;
  const opset = modelOpset(model);
  const inputs = declaredInputs(g);
  for (const i of inputs) {
    if (i.elementType === 'string') {
      throw new IsotensorError(`onnx.importModel: graph input '${i.name}' holds strings; a Symbol graph holds numbers ` +
                               '(use mx.onnx.InferenceSession to feed it)');
    }
    if (i.kind !== 'tensor') {
      throw new IsotensorError(`onnx.importModel: graph input '${i.name}' is ${i.kind === 'sequence' ? 'a sequence' : 'an optional'}; ` +
                               'a Symbol graph takes tensors only (use mx.onnx.InferenceSession to feed it)');
    }
  }
  const shapes: Record<string, number[]> = {};
  const types: Record<string, DType> = {};
  for (const i of inputs) {
    const given = opts.inputShapes?.[i.name];
    const s = given !== undefined ? given.slice() : fixedShape(i.shape);
    if (s !== undefined) shapes[i.name] = s;
    if (i.dtype !== undefined) types[i.name] = i.dtype;
  }
  for (const k of Object.keys(opts.inputShapes ?? {})) {
    if (!inputs.some((i) => i.name === k)) {
      throw new IsotensorError(`onnx.importModel: inputShapes names '${k}', which is not a graph input ` +
                               `(inputs: ${inputs.map((i) => i.name).join(', ')})`);
    }
  }
  const b = new GraphBuilder('symbolic', toContext(opts.ctx ?? cpu()), shapes, types, external);
  const borrowed = new Set<NDArray>();
  for (const v of known?.values.values() ?? []) for (const a of tensorsIn(v)) if (a instanceof NDArray) borrowed.add(a);
  loadInitializers(g, b, known?.values as ReadonlyMap<string, NDArray> | undefined);
  for (const [k, v] of known?.values ?? []) {
    if (b.values.has(k)) continue;
    b.values.set(k, v);
    if (v instanceof NDArray) b.knownNames.set(v, k);
  }
  for (const i of inputs) {
    const narrow = narrowType(i.elementType ?? '');
    const v = Variable(i.name);
    b.values.set(i.name, narrow !== undefined ? tagNarrow(v, narrow) : v);
  }
  walkGraph(g, b, opset, { functions: functionsOf(model), domains: domainOpsets(model), skip: known?.computed });
  const outs = g.outputs.map((o) => {
    const v = b.values.get(o.name);
    if (v === undefined) throw new IsotensorError(`onnx.importModel: graph output '${o.name}' is not produced by any node`);
    if (!isTensor(v)) {
      throw new IsotensorError(`onnx.importModel: graph output '${o.name}' is ${kindOf(v)}; a Symbol's outputs are tensors ` +
                               '(use mx.onnx.InferenceSession for sequence and optional outputs)');
    }
    // A constant output still needs a graph node: a Variable holding its value.
    return v instanceof Symbol ? v : b.knownOutput(v, o.name);
  });
  const sym = outs.length === 1 ? outs[0]! : Group(outs);
  const aux = new Set(sym.listAuxiliaryStates());
  const used = new Set(sym.listArguments());
  const argParams: Record<string, NDArray> = {};
  const auxParams: Record<string, NDArray> = {};
  for (const [name, a] of b.params) {
    if (aux.has(name)) auxParams[name] = a;
    else if (used.has(name)) argParams[name] = a;
    else if (!borrowed.has(a)) a.dispose();
  }
  // Known values that are not parameters (initializers folded away or never read, folded results) go.
  const kept = new Set<NDArray>([...Object.values(argParams), ...Object.values(auxParams)]);
  for (const v of [...b.values.values()].flatMap(tensorsIn)) {
    if (v instanceof Symbol) continue;
    if (!kept.has(v) && !v.isDisposed && !borrowed.has(v)) v.dispose();
  }
  return {
    sym, argParams, auxParams, opset,
    inputs: inputs.map((i) => ({ name: i.name, shape: i.shape, dtype: i.dtype })),
    outputNames: g.outputs.map((o) => o.name),
  };
}

/**
 * Imports an ONNX model as a Symbol graph and its parameters (MXNet's
 * `mx.contrib.onnx.import_model`). Known subgraphs (shape computations over initializers and
 * Constants) are folded; the rest maps onto registered ops.
 * @example
 * ```ts
 * const { sym, argParams, auxParams } = await mx.onnx.importModel('resnet18.onnx');
 * const mod = new mx.mod.Module(sym, { dataNames: ['data'], labelNames: [] });
 * ```
 */
export async function importModel(src: ModelSource, opts: ImportOptions = {}): Promise<ImportedModel> {
  return importLoaded(await loadModel(src, 'onnx.importModel'), opts);
}

/** importModel that blocks (a Node path, or the model's bytes anywhere). */
export function importModelSync(src: ModelSource, opts: ImportOptions = {}): ImportedModel {
  return importLoaded(loadModelSync(src, 'onnx.importModelSync'), opts);
}

/** What getModelMetadata returns (MXNet's get_model_metadata). */
export interface ModelMetadata {
  inputTensorData: [string, (number | string | null)[]][];
  outputTensorData: [string, (number | string | null)[]][];
  opset: number;
  producerName: string;
  producerVersion: string;
}

function metadataOf({ model }: LoadedModel): ModelMetadata {
  const inits = new Set(model.graph.initializers.map((t) => t.name));
  return {
    inputTensorData: model.graph.inputs.filter((v) => !inits.has(v.name)).map((v) => [v.name, v.tensor?.shape ?? []]),
    outputTensorData: model.graph.outputs.map((v) => [v.name, v.tensor?.shape ?? []]),
    opset: modelOpset(model),
    producerName: model.producerName,
    producerVersion: model.producerVersion,
  };
}

/** The model's inputs and outputs with their declared shapes (MXNet's onnx.get_model_metadata). */
export async function getModelMetadata(src: ModelSource): Promise<ModelMetadata> {
  return metadataOf(await loadModel(src, 'onnx.getModelMetadata'));
}

/** getModelMetadata that blocks. */
export function getModelMetadataSync(src: ModelSource): ModelMetadata {
  return metadataOf(loadModelSync(src, 'onnx.getModelMetadataSync'));
}

