// DataParallelExecutorGroup: one executor per context, each on its slice of the batch (MXNet's module/executor_group.py).
// SPDX-License-Identifier: Apache-2.0
import type { Context } from '../base/context.js';
import { cpu } from '../base/context.js';
import type { DType } from '../base/dtype.js';
import { IsotensorError } from '../base/error.js';
import { DataDesc } from '../io/data_desc.js';
import type { DataBatch } from '../io/data_batch.js';
import type { EvalMetric } from '../metric/base.js';
import type { NDArray } from '../ndarray/ndarray.js';
import type { GradReq } from '../ndarray/ndarray.js';
import { Concat, slice_axis } from '../ops/ndarray.generated.js';
import type { Executor } from '../symbol/executor.js';
import { simpleBind } from '../symbol/executor.js';
import type { Symbol } from '../symbol/symbol.js';

/** Half-open [start, stop) range of the batch axis. */
export interface Slice {
  start: number;
  stop: number;
}

/** Splits a batch over devices in proportion to their workload (MXNet's _split_input_slice). */
export function splitInputSlice(batchSize: number, workLoadList: readonly number[]): Slice[] {
  const total = workLoadList.reduce((a, b) => a + b, 0);
  // Python's round(): halves go to the even neighbour.
  const pyRound = (x: number) => {
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  };
  const nums = workLoadList.map((w) => pyRound((w * batchSize) / total));
  const sum = nums.reduce((a, b) => a + b, 0);
  if (sum < batchSize) nums[nums.length - 1]! += batchSize - sum;
  const slices: Slice[] = [];
  let end = 0;
  for (const n of nums) {
    const begin = Math.min(end, batchSize);
    end = Math.min(begin + n, batchSize);
    if (begin >= end) throw new IsotensorError(`Too many slices: a batch of ${batchSize} cannot be split over ${workLoadList.length} devices`);
    slices.push({ start: begin, stop: end });
  }
  return slices;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** Rows `s` of `a` along `axis` (a view on axis 0, a copy otherwise). */
function sliceAlong(a: NDArray, axis: number, s: Slice): NDArray {
  if (axis === 0) return a.slice(s.start, s.stop);
  return slice_axis(a, { axis, begin: s.start, end: s.stop }) as NDArray;
}

/** Copies src (whole, or rows `s` along `axis`) into dst, converting the dtype if needed. */
function load(src: NDArray, dst: NDArray, axis: number, s: Slice | null, what: string): void {
  const crop = s !== null && axis >= 0 && (s.start !== 0 || s.stop !== src.shape[axis]);
  const part = crop ? sliceAlong(src, axis, s!) : src;
  try {
    if (!sameShape(part.shape, dst.shape)) {
      throw new IsotensorError(`Module: ${what} of shape [${part.shape.join(', ')}] does not fit the bound [${dst.shape.join(', ')}]`);
    }
    dst.set(part);
  } finally {
    if (part !== src) part.dispose();
  }
}

/** Options of the executor group. */
export interface ExecutorGroupOptions {
  fixedParamNames: string[];
  stateNames: string[];
  gradReq: GradReq | Record<string, GradReq> | GradReq[];
  forTraining: boolean;
  inputsNeedGrad: boolean;
}

/** Executors over the contexts, their arrays grouped by parameter, and batch loading/merging. */
export class ExecutorGroup {
  readonly symbol: Symbol;
  readonly contexts: Context[];
  readonly workload: number[];
  readonly paramNames: string[];
  readonly argNames: string[];
  readonly auxNames: string[];
  readonly outputNames: string[];
  readonly forTraining: boolean;
  readonly inputsNeedGrad: boolean;
  readonly gradReq: Record<string, GradReq>;
  readonly stateNames: string[];
  batchSize = 0;
  slices: Slice[] = [];
  execs: Executor[] = [];
  private defaultExecs: Executor[] | null = null;
  dataShapes: DataDesc[] = [];
  /** The label descriptions as given (the metric sees all of them, by these names). */
  labelShapes: DataDesc[] | null = null;
  /** The labels the symbol takes, with their position in the batch's label list. */
  private boundLabels: { desc: DataDesc; src: number }[] = [];
  dataLayouts: number[] = [];
  labelLayouts: number[] = [];
  readonly outputLayouts: number[];
  /** [param][device] arrays. */
  paramArrays: NDArray[][] = [];
  gradArrays: (NDArray | null)[][] = [];
  auxArrays: NDArray[][] = [];

  constructor(symbol: Symbol, contexts: Context[], workload: number[], dataShapes: DataDesc[], labelShapes: DataDesc[] | null,
              paramNames: string[], opts: ExecutorGroupOptions) {
    this.symbol = symbol;
    this.contexts = contexts;
    this.workload = workload;
    this.paramNames = paramNames;
    this.argNames = symbol.listArguments();
    this.auxNames = symbol.listAuxiliaryStates();
    this.outputNames = symbol.listOutputs();
    this.forTraining = opts.forTraining;
    this.inputsNeedGrad = opts.inputsNeedGrad;
    this.stateNames = opts.stateNames;
    const dataNames = dataShapes.map((d) => d.name);
    const req = opts.forTraining ? opts.gradReq : 'null';
    this.gradReq = {};
    if (typeof req === 'string') {
      for (const k of this.argNames) {
        if (paramNames.includes(k)) this.gradReq[k] = opts.fixedParamNames.includes(k) ? 'null' : req;
        else if (dataNames.includes(k)) this.gradReq[k] = this.inputsNeedGrad ? req : 'null';
        else this.gradReq[k] = 'null';
      }
    } else if (Array.isArray(req)) {
      if (req.length !== this.argNames.length) {
        throw new IsotensorError(`Module: gradReq has ${req.length} entries for ${this.argNames.length} arguments`);
      }
      this.argNames.forEach((k, i) => { this.gradReq[k] = req[i]!; });
    } else {
      for (const k of this.argNames) {
        if (paramNames.includes(k)) this.gradReq[k] = opts.fixedParamNames.includes(k) ? 'null' : 'write';
        else if (dataNames.includes(k)) this.gradReq[k] = this.inputsNeedGrad ? 'write' : 'null';
        else this.gradReq[k] = 'null';
      }
      Object.assign(this.gradReq, req);
    }
    // The batch axis of each output, from its __layout__ attribute (axis 0 without one).
    this.outputLayouts = this.outputNames.map((_, i) => DataDesc.getBatchAxis(symbol.at(i).attr('__layout__')));
    this.bindExec(dataShapes, labelShapes, false);
  }

  private decideSlices(shapes: DataDesc[]): number[] {
    if (shapes.length === 0) throw new IsotensorError('Module: no data shapes to bind');
    return shapes.map((d) => {
      const axis = DataDesc.getBatchAxis(d.layout);
      if (axis === -1) return axis;
      const bs = d.shape[axis]!;
      if (this.batchSize !== 0) {
        if (bs !== this.batchSize) {
          throw new IsotensorError(`all data must have the same batch size: batch_size = ${this.batchSize}, but ${d.name} has shape [${d.shape.join(', ')}]`);
        }
      } else {
        this.batchSize = bs;
        this.slices = splitInputSlice(bs, this.workload);
      }
      return axis;
    });
  }

  private slicedShapes(shapes: DataDesc[], i: number, layouts: number[]): DataDesc[] {
    return shapes.map((d, k) => {
      const s = [...d.shape];
      if (layouts[k]! >= 0) s[layouts[k]!] = this.slices[i]!.stop - this.slices[i]!.start;
      return new DataDesc(d.name, s, d.dtype, d.layout);
    });
  }

  /** Binds (or, with reshape, re-shapes from the first executors) one executor per context. */
  bindExec(dataShapes: DataDesc[], labelShapes: DataDesc[] | null, reshape: boolean): void {
    this.batchSize = 0;
    this.dataLayouts = this.decideSlices(dataShapes);
    // Labels the symbol does not take (e.g. a network without a loss) are not bound, only sliced for metrics.
    const bound = (labelShapes ?? []).map((desc, src) => ({ desc, src })).filter((b) => this.argNames.includes(b.desc.name));
    const boundNames = new Set(bound.map((b) => b.desc.name));
    if (labelShapes !== null && labelShapes.length > 0) this.labelLayouts = this.decideSlices(labelShapes);
    else this.labelLayouts = [];
    const typeDict: Record<string, DType> = {};
    const attrs = this.symbol.attrDict();
    for (const d of dataShapes) {
      // A __dtype__ attribute on the variable wins over the iterator's dtype, as in MXNet.
      const flag = attrs[d.name]?.__dtype__;
      if (flag === undefined || flag === '-1') typeDict[d.name] = d.dtype;
    }
    const next: Executor[] = [];
    try {
      for (let i = 0; i < this.contexts.length; i++) {
        const shapes: Record<string, number[]> = {};
        for (const d of this.slicedShapes(dataShapes, i, this.dataLayouts)) shapes[d.name] = d.shape;
        for (const d of this.slicedShapes(labelShapes ?? [], i, this.labelLayouts)) if (boundNames.has(d.name)) shapes[d.name] = d.shape;
        if (reshape) {
          next.push(this.defaultExecs![i]!.reshape(shapes, { allowUpSizing: true }));
        } else {
          next.push(simpleBind(this.symbol, this.contexts[i]!, shapes, { gradReq: this.gradReq, typeDict }));
        }
      }
    } catch (e) {
      for (const x of next) x.dispose();
      throw e;
    }
    if (reshape) {
      for (const x of this.execs) if (!this.defaultExecs!.includes(x)) x.dispose();
    }
    this.execs = next;
    this.dataShapes = dataShapes;
    this.labelShapes = labelShapes;
    this.boundLabels = bound;
    this.collectArrays();
  }

  private collectArrays(): void {
    const idx = (n: string) => this.argNames.indexOf(n);
    this.paramArrays = this.paramNames.map((n) => this.execs.map((e) => e.argArrays[idx(n)]!));
    this.gradArrays = this.forTraining ? this.paramNames.map((n) => this.execs.map((e) => e.gradArrays[idx(n)] ?? null)) : [];
    this.auxArrays = this.auxNames.map((_, i) => this.execs.map((e) => e.auxArrays[i]!));
  }

  /** New input shapes: executors re-shaped from the first ones (their parameters are shared). */
  reshape(dataShapes: DataDesc[], labelShapes: DataDesc[] | null): void {
    const eq = (a: DataDesc[] | null, b: DataDesc[] | null) =>
      a === b || (a !== null && b !== null && a.length === b.length && a.every((d, i) => d.equals(b[i]!)));
    if (eq(dataShapes, this.dataShapes) && eq(labelShapes, this.labelShapes)) return;
    if (this.defaultExecs === null) this.defaultExecs = [...this.execs];
    this.bindExec(dataShapes, labelShapes, true);
  }

  /** Copies parameters (and aux states) into every executor. */
  setParams(argParams: Record<string, NDArray>, auxParams: Record<string, NDArray> | null, allowExtra = false): void {
    for (const e of this.execs) e.copyParamsFrom(argParams, auxParams, allowExtra);
  }

  /** Averages each parameter over the devices into the given (CPU) arrays. */
  getParams(argParams: Record<string, NDArray>, auxParams: Record<string, NDArray>): void {
    const avg = (block: NDArray[], dst: NDArray) => {
      if (block.length === 1) {
        dst.set(block[0]!);
        return;
      }
      let acc = block[0]!.copyto(cpu());
      for (const w of block.slice(1)) {
        const c = w.copyto(cpu());
        const s = acc.add(c);
        acc.dispose(); c.dispose();
        acc = s;
      }
      const m = acc.div(block.length);
      acc.dispose();
      dst.set(m);
      m.dispose();
    };
    this.paramNames.forEach((n, i) => avg(this.paramArrays[i]!, argParams[n]!));
    this.auxNames.forEach((n, i) => avg(this.auxArrays[i]!, auxParams[n]!));
  }

  /** Loads a batch's data (and labels, when bound and given) and runs forward on every device. */
  forward(batch: DataBatch, isTrain: boolean | undefined): void {
    const train = isTrain ?? this.forTraining;
    this.dataShapes.forEach((d, k) => {
      const src = batch.data[k];
      if (src === undefined) throw new IsotensorError(`Module.forward: the batch has no data for '${d.name}' (input ${k})`);
      this.execs.forEach((e, i) => load(src, e.argDict[d.name]!, this.dataLayouts[k]!, this.slices[i]!, `data '${d.name}'`));
    });
    if (batch.label && batch.label.length > 0) {
      for (const { desc, src: k } of this.boundLabels) {
        const src = batch.label[k];
        if (src === undefined) continue;
        this.execs.forEach((e, i) => load(src, e.argDict[desc.name]!, this.labelLayouts[k]!, this.slices[i]!, `label '${desc.name}'`));
      }
    }
    for (const e of this.execs) e.forward({ isTrain: train });
  }

  /** Back-propagation on every device (outGrads sliced like the outputs). */
  backward(outGrads: NDArray[] | null): void {
    if (!this.forTraining) throw new IsotensorError('Module.backward: re-bind with forTraining=true to run backward');
    this.execs.forEach((e, i) => {
      const s = this.slices[i]!;
      const owned: NDArray[] = [];
      const grads = (outGrads ?? []).map((g, k) => {
        const axis = this.outputLayouts[k] ?? 0;
        let part = axis >= 0 && this.execs.length > 1 ? sliceAlong(g, axis, s) : g;
        if (!part.context.equals(e.ctx)) {
          const moved = part.copyto(e.ctx);
          if (part !== g) part.dispose();
          part = moved;
        }
        if (part !== g) owned.push(part);
        return part;
      });
      e.backward(grads.length > 0 ? grads : null);
      for (const a of owned) a.dispose();
    });
  }

  /** Outputs per output name: merged along the batch axis over devices, or [output][device]. */
  getOutputs(merge = true): NDArray[] | NDArray[][] {
    const per = this.outputNames.map((_, k) => this.execs.map((e) => e.outputs[k]!));
    return merge ? mergeMultiContext(per, this.outputLayouts) : per;
  }

  /** Gradients of the data inputs (inputsNeedGrad). */
  getInputGrads(merge = true): NDArray[] | NDArray[][] {
    if (!this.inputsNeedGrad) throw new IsotensorError('Module.getInputGrads: bind with inputsNeedGrad=true first');
    const per = this.dataShapes.map((d) => this.execs.map((e) => e.gradDict[d.name]!));
    return merge ? mergeMultiContext(per, this.dataLayouts) : per;
  }

  /** State arrays [state][device]. */
  get stateArrays(): NDArray[][] {
    return this.stateNames.map((n) => this.execs.map((e) => e.argDict[n]!));
  }

  /** Output shapes with the full batch size. */
  getOutputShapes(): [string, number[]][] {
    return this.outputNames.map((n, k) => {
      const s = [...this.execs[0]!.outputs[k]!.shape];
      const axis = this.outputLayouts[k]!;
      if (axis >= 0) s[axis] = this.batchSize;
      return [n, s];
    });
  }

  /** Feeds each device's outputs and its slice of the labels to the metric. */
  updateMetric(metric: EvalMetric, labels: NDArray[] | NDArray[][], preSliced: boolean): void {
    this.execs.forEach((e, i) => {
      let slice: NDArray[];
      const owned: NDArray[] = [];
      if (preSliced) {
        slice = (labels as NDArray[][])[i]!;
      } else {
        slice = (labels as NDArray[]).map((l, k) => {
          const axis = this.labelLayouts[k] ?? 0;
          if (this.execs.length === 1 || axis < 0) return l;
          const p = sliceAlong(l, axis, this.slices[i]!);
          owned.push(p);
          return p;
        });
      }
      const labelMap = new Map<string, NDArray>();
      const names = (this.labelShapes ?? []).map((d) => d.name);
      slice.forEach((l, k) => labelMap.set(names[k] ?? `_label${k}`, l));
      const predMap = new Map<string, NDArray>(this.outputNames.map((n, k) => [n, e.outputs[k]!]));
      metric.updateDict(labelMap, predMap);
      for (const a of owned) a.dispose();
    });
  }

  /** Installs a monitor (anything with install(executor)) on every executor. */
  installMonitor(mon: { install(exe: Executor): void }): void {
    for (const e of this.execs) mon.install(e);
  }

  dispose(): void {
    const all = new Set([...this.execs, ...(this.defaultExecs ?? [])]);
    for (const e of all) e.dispose();
    this.execs = [];
    this.defaultExecs = null;
  }
}

/** Concatenates per-device arrays along each output's batch axis (the first array when there is one device or no batch axis). */
export function mergeMultiContext(outputs: NDArray[][], axes: number[]): NDArray[] {
  return outputs.map((tensors, k) => {
    const axis = axes[k] ?? 0;
    if (tensors.length === 1 || axis < 0) return tensors[0]!;
    const ctx0 = tensors[0]!.context;
    const moved = tensors.map((t) => (t.context.equals(ctx0) ? t : t.copyto(ctx0)));
    const r = Concat(moved, { dim: axis }) as NDArray;
    moved.forEach((m, i) => { if (m !== tensors[i]) m.dispose(); });
    return r;
  });
}
