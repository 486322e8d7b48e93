// Module: a Symbol bound for training and inference with its parameters and optimizer (MXNet's mx.mod.Module).
// SPDX-License-Identifier: Apache-2.0
import { Context, cpu, currentContext, toContext } from '../base/context.js';
import { booleanOption, IsotensorError, optionsOf, positionalOptions } from '../base/error.js';
import { nodeFs } from '../base/node_builtin.js';
import { consoleLogger, warn, type Logger } from '../callback/logger.js';
import { InitDesc, isInitializerLike, type InitializerLike } from '../init/initializer.js';
import { Uniform } from '../init/initializers.js';
import type { DataBatch } from '../io/data_batch.js';
import { DataDesc, type DataDescLike } from '../io/data_desc.js';
import type { EvalMetric } from '../metric/base.js';
import { loadCheckpoint, paramsFileName } from '../model/checkpoint.js';
import { zeros } from '../ndarray/creation.js';
import { load as loadArrays, save as saveArrays } from '../ndarray/io.js';
import { keep } from '../ndarray/lifetime.js';
import type { GradReq, NDArray } from '../ndarray/ndarray.js';
import { create as createOptimizer, Optimizer, type OptimizerOptions } from '../optimizer/optimizer.js';
import '../optimizer/index.js';
import { Updater } from '../optimizer/updater.js';
import type { Executor } from '../symbol/executor.js';
import type { Symbol as MxSymbol } from '../symbol/symbol.js';
import { BaseModule, type InitOptimizerOptions, type InitParamsOptions } from './base_module.js';
import { ExecutorGroup } from './executor_group.js';

/** Options of the Module constructor (MXNet's keyword arguments). */
export interface ModuleOptions {
  /** Input names (default ['data']); each must be an argument of the symbol. */
  dataNames?: string[] | null;
  /** Label names (default ['softmax_label']); a name the symbol lacks only warns. */
  labelNames?: string[] | null;
  /** Where messages go (default the console). */
  logger?: Logger;
  /** One context or a list (data parallelism over the batch); default the current context. */
  context?: Context | string | (Context | string)[];
  /** Share of the batch per context (default equal). */
  workLoadList?: number[] | null;
  /** Parameters that are not trained (no gradient). */
  fixedParamNames?: string[] | null;
  /** States: inputs kept across batches (set with setStates). */
  stateNames?: string[] | null;
}

/** Options of bind. */
export interface BindOptions {
  /** Allocate gradients and run backward (default true). */
  forTraining?: boolean;
  /** Also compute gradients of the data inputs (getInputGrads). */
  inputsNeedGrad?: boolean;
  /** Bind again even if bound. */
  forceRebind?: boolean;
  /** 'write' (default), 'add' or 'null'; or per argument. */
  gradReq?: GradReq | Record<string, GradReq> | GradReq[];
  /** Not supported (MXNet's BucketingModule sharing). */
  sharedModule?: null;
}

function checkInputNames(symbol: MxSymbol, names: string[], typename: string, fatal: boolean, logger: Logger): void {
  const args = symbol.listArguments();
  for (const name of names) {
    if (args.includes(name)) continue;
    const candidates = args.filter((a) => !a.endsWith('_weight') && !a.endsWith('_bias') && !a.endsWith('_gamma') && !a.endsWith('_beta'));
    const msg = `You created Module with Module(..., ${typename}Names=${JSON.stringify(names)}) but input with name '${name}' ` +
      `is not found in symbol.listArguments(). Did you mean one of:\n\t${candidates.join('\n\t')}`;
    if (fatal) throw new IsotensorError(msg);
    warn(logger, msg);
  }
}

function checkNamesMatch(names: string[], shapes: DataDesc[], what: string, fatal: boolean, logger: Logger): void {
  const actual = shapes.map((d) => d.name);
  if ([...names].sort().join('\0') !== [...actual].sort().join('\0')) {
    const msg = `Data provided by ${what}Shapes don't match names specified by ${what}Names ` +
      `([${shapes.map(String).join(', ')}] vs. ${JSON.stringify(names)})`;
    if (fatal) throw new IsotensorError(msg);
    warn(logger, msg);
  }
}

function parseDataDesc(dataNames: string[], labelNames: string[], dataShapes: readonly DataDescLike[],
                       labelShapes: readonly DataDescLike[] | null | undefined, logger: Logger): [DataDesc[], DataDesc[] | null] {
  if (!Array.isArray(dataShapes)) throw new IsotensorError('Module.bind: dataShapes must be a list of DataDesc or [name, shape] pairs');
  const d = dataShapes.map((x) => DataDesc.from(x));
  checkNamesMatch(dataNames, d, 'data', true, logger);
  if (labelShapes === null || labelShapes === undefined) {
    checkNamesMatch(labelNames, [], 'label', false, logger);
    return [d, null];
  }
  const l = labelShapes.map((x) => DataDesc.from(x));
  checkNamesMatch(labelNames, l, 'label', false, logger);
  return [d, l];
}

function toContexts(c: ModuleOptions['context']): Context[] {
  if (c === undefined || c === null) return [currentContext()];
  const list = Array.isArray(c) ? c : [c];
  if (list.length === 0) throw new IsotensorError('Module: context must name at least one device');
  return list.map((x) => (x instanceof Context ? x : toContext(x)));
}

function fsPromises(): typeof import('node:fs/promises') {
  return nodeFs('Module: saving and loading files').promises;
}

/**
 * MXNet's Module: binds a Symbol to contexts for given input shapes, owns its parameters
 * (`getParams`/`setParams`, checkpoints) and optimizer, and runs the training loop (`fit`),
 * scoring and prediction.
 * @example
 * ```ts
 * const mod = new mx.mod.Module(net, { context: mx.cpu() });
 * await mod.fit(trainIter, { evalData: valIter, optimizer: 'sgd', optimizerParams: { learningRate: 0.1 }, numEpoch: 10 });
 * const probs = mod.predict(testIter);
 * ```
 */
export class Module extends BaseModule {
  private readonly _symbol: MxSymbol;
  private readonly _context: Context[];
  private readonly _workLoadList: number[];
  private readonly _paramNames: string[];
  private readonly _fixedParamNames: string[];
  private readonly _auxNames: string[];
  private readonly _dataNames: string[];
  private readonly _labelNames: string[];
  private readonly _stateNames: string[];
  private readonly _outputNames: string[];
  private _argParams: Record<string, NDArray> | null = null;
  private _auxParams: Record<string, NDArray> | null = null;
  private _paramsDirty = false;
  private _optimizer: Optimizer | null = null;
  private _updater: Updater | null = null;
  private _preloadOptStates: Uint8Array | null = null;
  private _gradReq: BindOptions['gradReq'] = 'write';
  private _execGroup: ExecutorGroup | null = null;
  private _dataShapes: DataDesc[] | null = null;
  private _labelShapes: DataDesc[] | null = null;
  /** The label descriptions given at bind (names, dtypes, layouts survive later re-shapes). */
  private _bindLabelShapes: DataDesc[] | null = null;

  constructor(symbol: MxSymbol, opts: ModuleOptions = {}) {
    opts = optionsOf(opts, 'Module');
    super(opts.logger ?? consoleLogger);
    if (symbol === null || typeof symbol !== 'object' || typeof symbol.listArguments !== 'function') {
      throw new IsotensorError('Module: symbol must be a Symbol');
    }
    this._context = toContexts(opts.context);
    this._workLoadList = opts.workLoadList ?? this._context.map(() => 1);
    if (this._workLoadList.length !== this._context.length) {
      throw new IsotensorError(`Module: workLoadList has ${this._workLoadList.length} entries for ${this._context.length} contexts`);
    }
    this._symbol = symbol;
    const dataNames = opts.dataNames === undefined ? ['data'] : [...(opts.dataNames ?? [])];
    const labelNames = opts.labelNames === undefined ? ['softmax_label'] : [...(opts.labelNames ?? [])];
    const stateNames = [...(opts.stateNames ?? [])];
    const fixed = [...(opts.fixedParamNames ?? [])];
    checkInputNames(symbol, dataNames, 'data', true, this.logger);
    checkInputNames(symbol, labelNames, 'label', false, this.logger);
    checkInputNames(symbol, stateNames, 'state', true, this.logger);
    checkInputNames(symbol, fixed, 'fixedParam', true, this.logger);
    const inputs = new Set([...dataNames, ...labelNames, ...stateNames]);
    this._paramNames = symbol.listArguments().filter((a) => !inputs.has(a));
    this._fixedParamNames = fixed;
    this._auxNames = symbol.listAuxiliaryStates();
    this._dataNames = dataNames;
    this._labelNames = labelNames;
    this._stateNames = stateNames;
    this._outputNames = symbol.listOutputs();
  }

  /**
   * A module from `prefix-symbol.json` and `prefix-%04d.params` (parameters set; bind before use),
   * optionally with the optimizer states saved by saveCheckpoint.
   * @example const mod = await mx.mod.Module.load('model/mlp', 10, false, { context: mx.cpu() })
   */
  static async load(prefix: string, epoch: number, loadOptimizerStates = false, opts: ModuleOptions = {}): Promise<Module> {
    const { symbol, argParams, auxParams } = await loadCheckpoint(prefix, epoch);
    const mod = new Module(symbol, opts);
    mod._argParams = keep(argParams);
    mod._auxParams = keep(auxParams);
    mod.paramsInitialized = true;
    if (loadOptimizerStates) {
      // Read now (file access is asynchronous); initOptimizer applies them.
      const fs = fsPromises();
      mod._preloadOptStates = new Uint8Array(await fs.readFile(`${prefix}-${String(epoch).padStart(4, '0')}.states`));
    }
    return mod;
  }

  /**
   * Writes `prefix-symbol.json`, `prefix-%04d.params` and, if asked, `prefix-%04d.states`.
   * @example await mod.saveCheckpoint('model/mlp', 10)
   */
  async saveCheckpoint(prefix: string, epoch: number, saveOptimizerStates = false): Promise<void> {
    await this._symbol.save(`${prefix}-symbol.json`);
    const name = paramsFileName(prefix, epoch);
    await this.saveParams(name);
    this.logger.info(`Saved checkpoint to "${name}"`);
    if (saveOptimizerStates) {
      const s = `${prefix}-${String(epoch).padStart(4, '0')}.states`;
      await this.saveOptimizerStates(s);
      this.logger.info(`Saved optimizer state to "${s}"`);
    }
  }

  get symbol(): MxSymbol { return this._symbol; }
  get dataNames(): string[] { return this._dataNames; }
  get labelNames(): string[] { return this._labelNames; }
  get outputNames(): string[] { return this._outputNames; }
  /** The contexts the module runs on. */
  get context(): Context[] { return this._context; }

  private needBound(what: string): ExecutorGroup {
    if (!this.binded || this._execGroup === null) throw new IsotensorError(`Module.${what}: call bind() first`);
    return this._execGroup;
  }

  get dataShapes(): DataDesc[] { this.needBound('dataShapes'); return this._dataShapes!; }
  get labelShapes(): DataDesc[] | null { this.needBound('labelShapes'); return this._labelShapes; }
  get outputShapes(): [string, number[]][] { return this.needBound('outputShapes').getOutputShapes(); }

  /** `[argParams, auxParams]`: CPU copies of the parameters (synced from the devices when stale). */
  getParams(): [Record<string, NDArray>, Record<string, NDArray>] {
    if (!this.paramsInitialized) throw new IsotensorError('Module.getParams: parameters are not initialized');
    if (this._paramsDirty) this.syncParamsFromDevices();
    return [this._argParams!, this._auxParams!];
  }

  /**
   * Initializes parameters: from argParams/auxParams where given, else by the initializer (default
   * mx.init.Uniform(0.01)), in sorted name order; then copies them to the devices.
   */
  initParams(options: InitParamsOptions | InitializerLike | null = {}, ...rest: unknown[]): void {
    // MXNet's positional init_params(initializer, arg_params, aux_params, allow_missing, force_init, allow_extra).
    const opts = positionalOptions<InitParamsOptions>('Module.initParams', [
      ['initializer', 'object'], ['argParams', 'object'], ['auxParams', 'object'], ['allowMissing', 'boolean'],
      ['forceInit', 'boolean'], ['allowExtra', 'boolean']], [options, ...rest], isInitializerLike);
    if (this.paramsInitialized && !(opts.forceInit ?? false)) {
      warn(this.logger, 'Parameters already initialized and forceInit=false. initParams call ignored.');
      return;
    }
    const group = this.needBound('initParams');
    const initializer = opts.initializer === undefined ? new Uniform(0.01) : opts.initializer;
    const allowMissing = opts.allowMissing ?? false;
    const impl = (desc: InitDesc, arr: NDArray, cache: Record<string, NDArray> | null | undefined) => {
      if (cache !== null && cache !== undefined) {
        const src = cache[desc.name];
        if (src !== undefined) {
          if (src !== arr) {
            if (src.shape.length !== arr.shape.length || src.shape.some((d, i) => d !== arr.shape[i])) {
              throw new IsotensorError(`Module.initParams: '${desc.name}' has shape [${src.shape.join(', ')}] but the module ` +
                `expects [${arr.shape.join(', ')}]`);
            }
            arr.set(src);
          }
          return;
        }
        if (!allowMissing) throw new IsotensorError(`${desc.name} is not presented`);
        if (initializer !== null) initializer.call(desc, arr);
        return;
      }
      if (initializer === null) throw new IsotensorError(`Module.initParams: no initializer and no value for '${desc.name}'`);
      initializer.call(desc, arr);
    };
    const attrs = this._symbol.attrDict();
    const sorted = (d: Record<string, NDArray>) => Object.entries(d).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [name, arr] of sorted(this._argParams!)) impl(new InitDesc(name, attrs[name] ?? null), arr, opts.argParams);
    for (const [name, arr] of sorted(this._auxParams!)) impl(new InitDesc(name, attrs[name] ?? null), arr, opts.auxParams);
    this.paramsInitialized = true;
    this._paramsDirty = false;
    group.setParams(this._argParams!, this._auxParams!, opts.allowExtra ?? false);
  }

  /** Sets parameters from dicts (all must be present unless allowMissing). */
  setParams(argParams: Record<string, NDArray>, auxParams: Record<string, NDArray>,
            opts: { allowMissing?: boolean; forceInit?: boolean; allowExtra?: boolean } = {}): void {
    const forceInit = opts.forceInit ?? true;
    if (!(opts.allowMissing ?? false)) {
      this.initParams({ initializer: null, argParams, auxParams, allowMissing: false, forceInit, allowExtra: opts.allowExtra });
      return;
    }
    if (this.paramsInitialized && !forceInit) {
      warn(this.logger, 'Parameters already initialized and forceInit=false. setParams call ignored.');
      return;
    }
    this.needBound('setParams').setParams(argParams, auxParams, opts.allowExtra ?? false);
    this._paramsDirty = true;
    this.paramsInitialized = true;
  }

  /**
   * Binds executors for the given input shapes (`[name, shape]` pairs or DataDescs, usually an
   * iterator's provideData/provideLabel).
   * @example mod.bind([['data', [32, 64]]], [['softmax_label', [32]]])
   */
  bind(dataShapes: readonly DataDescLike[], labelShapes: readonly DataDescLike[] | null = null,
       options: BindOptions | boolean = {}, ...rest: unknown[]): void {
    // MXNet's positional bind(data_shapes, label_shapes, for_training, inputs_need_grad, force_rebind, shared_module, grad_req).
    const opts = positionalOptions<BindOptions>('Module.bind', [
      ['forTraining', 'boolean'], ['inputsNeedGrad', 'boolean'], ['forceRebind', 'boolean'], ['sharedModule', 'any'],
      ['gradReq', 'any']], [options, ...rest]);
    if (opts.forceRebind) this.resetBind();
    if (this.binded) {
      warn(this.logger, 'Already bound, ignoring bind()');
      return;
    }
    if (opts.sharedModule) throw new IsotensorError('Module.bind: sharedModule is not supported');
    this.forTraining = opts.forTraining ?? true;
    this.inputsNeedGrad = opts.inputsNeedGrad ?? false;
    this._gradReq = opts.gradReq ?? 'write';
    if (!this.forTraining && this.inputsNeedGrad) throw new IsotensorError('Module.bind: inputsNeedGrad needs forTraining');
    [this._dataShapes, this._labelShapes] = parseDataDesc(this._dataNames, this._labelNames, dataShapes, labelShapes, this.logger);
    this._bindLabelShapes = this._labelShapes;
    this._execGroup = new ExecutorGroup(this._symbol, this._context, this._workLoadList, this._dataShapes, this._labelShapes,
      this._paramNames, {
        fixedParamNames: this._fixedParamNames, stateNames: this._stateNames, gradReq: this._gradReq,
        forTraining: this.forTraining, inputsNeedGrad: this.inputsNeedGrad,
      });
    if (this.paramsInitialized) {
      // Re-binding: the parameters carry over.
      this._execGroup.setParams(this._argParams!, this._auxParams!);
    } else {
      const g = this._execGroup;
      this._argParams = {};
      this._paramNames.forEach((n, i) => {
        const w = g.paramArrays[i]![0]!;
        this._argParams![n] = keep(zeros(w.shape, { ctx: cpu(), dtype: w.dtype }));
      });
      this._auxParams = {};
      this._auxNames.forEach((n, i) => {
        const a = g.auxArrays[i]![0]!;
        this._auxParams![n] = keep(zeros(a.shape, { ctx: cpu(), dtype: a.dtype }));
      });
    }
    this.binded = true;
  }

  private resetBind(): void {
    this.binded = false;
    this._execGroup?.dispose();
    this._execGroup = null;
    this._dataShapes = null;
    this._labelShapes = null;
    this._bindLabelShapes = null;
  }

  /** New input shapes for the bound executors (parameters are kept). */
  reshape(dataShapes: readonly DataDescLike[], labelShapes: readonly DataDescLike[] | null = null): void {
    const g = this.needBound('reshape');
    [this._dataShapes, this._labelShapes] = parseDataDesc(this._dataNames, this._labelNames, dataShapes, labelShapes, this.logger);
    g.reshape(this._dataShapes, this._labelShapes);
  }

  /**
   * Creates the optimizer: a name for mx.optimizer.create with optimizerParams (rescaleGrad
   * defaults to 1 / batch size; the symbol and parameter names give per-parameter lr/wd rules),
   * or an Optimizer.
   * @example mod.initOptimizer({ optimizer: 'adam', optimizerParams: { learningRate: 1e-3 } })
   */
  initOptimizer(options: InitOptimizerOptions | string | null = {}, ...rest: unknown[]): void {
    // MXNet's positional init_optimizer(kvstore, optimizer, optimizer_params, force_init).
    const opts = positionalOptions<InitOptimizerOptions>('Module.initOptimizer', [
      ['kvstore', 'string'], ['optimizer', 'any'], ['optimizerParams', 'object'], ['forceInit', 'boolean']],
      [options, ...rest], (v) => v instanceof Optimizer);
    if (!this.binded || !this.paramsInitialized) throw new IsotensorError('Module.initOptimizer: call bind() and initParams() first');
    if (this.optimizerInitialized && !(opts.forceInit ?? false)) {
      warn(this.logger, 'optimizer already initialized, ignoring...');
      return;
    }
    const kv = opts.kvstore === undefined ? 'local' : opts.kvstore;
    if (kv !== null && kv !== 'local' && kv !== 'device') {
      throw new IsotensorError(`Module.initOptimizer: kvstore '${String(kv)}' is not supported here (use 'local')`);
    }
    if (this._paramsDirty) this.syncParamsFromDevices();
    const g = this._execGroup!;
    const rescaleGrad = 1 / g.batchSize;
    const n = this._context.length;
    const idx2name: Record<number, string> = {};
    for (let k = 0; k < n; k++) g.paramNames.forEach((name, i) => { idx2name[i * n + k] = name; });
    const optimizer = opts.optimizer ?? 'sgd';
    let opt: Optimizer;
    if (typeof optimizer === 'string') {
      const params: Record<string, unknown> = Array.isArray(opts.optimizerParams)
        ? Object.fromEntries(opts.optimizerParams) : { ...(opts.optimizerParams ?? { learningRate: 0.01 }) };
      if (!('rescaleGrad' in params) && !('rescale_grad' in params)) params.rescaleGrad = rescaleGrad;
      opt = createOptimizer(optimizer, { ...(params as OptimizerOptions), sym: this._symbol, paramIdx2Name: idx2name });
    } else if (optimizer instanceof Optimizer) {
      opt = optimizer;
      if (opt.rescaleGrad !== rescaleGrad) {
        warn(this.logger, `Optimizer created manually outside Module but rescaleGrad is not normalized to 1.0/batch_size ` +
          `(${opt.rescaleGrad} vs. ${rescaleGrad}). Is this intended?`);
      }
      if (opt.idx2name.size === 0) for (const [i, name] of Object.entries(idx2name)) opt.idx2name.set(Number(i), name);
    } else {
      throw new IsotensorError('Module.initOptimizer: optimizer must be a name or an mx.optimizer.Optimizer');
    }
    this._optimizer = opt;
    this._updater = new Updater(opt);
    this.optimizerInitialized = true;
    if (this._preloadOptStates !== null) {
      this._updater.setStates(this._preloadOptStates);
      this._preloadOptStates = null;
    }
  }

  /** The optimizer (after initOptimizer). */
  get optimizer(): Optimizer | null {
    return this._optimizer;
  }

  /** Uses another module's optimizer and states. */
  borrowOptimizer(shared: Module): void {
    if (!shared.optimizerInitialized) throw new IsotensorError('Module.borrowOptimizer: the other module has no optimizer');
    this._optimizer = shared._optimizer;
    this._updater = shared._updater;
    this.optimizerInitialized = true;
  }

  /**
   * Loads the batch into the executors and runs forward (training mode by default when bound for
   * training). A batch of another shape re-shapes the executors first. A boolean is `isTrain`, as
   * MXNet's positional `forward(data_batch, is_train)`.
   */
  forward(batch: DataBatch, opts: { isTrain?: boolean } | boolean = {}): void {
    const isTrain = typeof opts === 'boolean' ? opts
      : booleanOption(optionsOf(opts, 'Module.forward').isTrain, 'Module.forward', 'isTrain');
    if (!this.binded || !this.paramsInitialized) throw new IsotensorError('Module.forward: call bind() and initParams() first');
    const g = this._execGroup!;
    if (!batch || !Array.isArray(batch.data)) throw new IsotensorError('Module.forward: expected a DataBatch');
    const cur = this._dataShapes!.map((d) => d.shape);
    const next = batch.data.map((a) => a.shape);
    const same = cur.length === next.length && cur.every((s, i) => s.length === next[i]!.length && s.every((d, k) => d === next[i]![k]));
    if (!same) {
      const newD = batch.provideData && batch.provideData.length > 0
        ? batch.provideData
        : this._dataShapes!.map((d, i) => new DataDesc(d.name, next[i] ?? d.shape, d.dtype, d.layout));
      // Labels keep the names bound first; without labels in the batch (prediction) their batch
      // axis follows the data's, so the executors stay consistent (MXNet fails here instead).
      const base = this._bindLabelShapes;
      let newL: DataDesc[] | null = null;
      if (batch.provideLabel && batch.provideLabel.length > 0) {
        newL = batch.provideLabel;
      } else if (base !== null && batch.label && batch.label.length > 0) {
        newL = base.map((d, i) => new DataDesc(d.name, batch.label![i]?.shape ?? d.shape, d.dtype, d.layout));
      } else if (base !== null) {
        const d0 = newD[0]!;
        const bs = d0.shape[Math.max(0, DataDesc.getBatchAxis(d0.layout))]!;
        newL = base.map((d) => {
          const s = [...d.shape];
          const ax = DataDesc.getBatchAxis(d.layout);
          if (ax >= 0 && ax < s.length) s[ax] = bs;
          return new DataDesc(d.name, s, d.dtype, d.layout);
        });
      }
      this.reshape(newD, newL);
    }
    g.forward(batch, isTrain);
  }

  /** Back-propagates (outGrads: head gradients for outputs that are not losses). */
  backward(outGrads: NDArray[] | null = null): void {
    if (!this.binded || !this.paramsInitialized) throw new IsotensorError('Module.backward: call bind() and initParams() first');
    this._execGroup!.backward(outGrads);
  }

  /**
   * Applies the optimizer to every trained parameter. With several devices the gradients are
   * summed first (what kvstore 'local' does), then each device's copy is updated.
   */
  update(): void {
    if (!this.binded || !this.paramsInitialized || !this.optimizerInitialized) {
      throw new IsotensorError('Module.update: call bind(), initParams() and initOptimizer() first');
    }
    this._paramsDirty = true;
    const g = this._execGroup!;
    const n = this._context.length;
    const perDevice: { idx: number[]; w: NDArray[]; g: NDArray[] }[] = this._context.map(() => ({ idx: [], w: [], g: [] }));
    g.paramArrays.forEach((ws, i) => {
      const gs = g.gradArrays[i];
      if (gs === undefined || gs[0] === null || gs[0] === undefined) return;
      if (n > 1) sumGradients(gs as NDArray[]);
      ws.forEach((w, k) => {
        perDevice[k]!.idx.push(i * n + k);
        perDevice[k]!.w.push(w);
        perDevice[k]!.g.push(gs[k]!);
      });
    });
    for (const d of perDevice) if (d.idx.length > 0) this._updater!.call(d.idx, d.g, d.w);
  }

  /** The outputs of the last forward, merged over devices. */
  getOutputs(mergeMultiContext = true): NDArray[] {
    if (!this.binded || !this.paramsInitialized) throw new IsotensorError('Module.getOutputs: call bind() and initParams() first');
    return this._execGroup!.getOutputs(mergeMultiContext) as NDArray[];
  }

  protected metricOutputs(): NDArray[] {
    return this._execGroup === null ? [] : this._execGroup.execs.flatMap((e) => e.outputs);
  }

  /** Gradients of the data inputs (bind with inputsNeedGrad). */
  getInputGrads(mergeMultiContext = true): NDArray[] {
    if (!this.binded || !this.paramsInitialized) throw new IsotensorError('Module.getInputGrads: call bind() and initParams() first');
    return this._execGroup!.getInputGrads(mergeMultiContext) as NDArray[];
  }

  /** State arrays [state][device]. */
  getStates(): NDArray[][] {
    return this.needBound('getStates').stateArrays;
  }

  /** Sets states from arrays ([state] or [state][device]) or one value. */
  setStates(states: NDArray[] | NDArray[][] | null = null, value: number | null = null): void {
    const arrays = this.needBound('setStates').stateArrays;
    if (states !== null) {
      if (value !== null) throw new IsotensorError('Module.setStates: give states or value, not both');
      arrays.forEach((devs, i) => devs.forEach((dst, k) => {
        const s = states[i];
        dst.set(Array.isArray(s) ? s[k]! : s!);
      }));
    } else {
      if (value === null) throw new IsotensorError('Module.setStates: give states or value');
      for (const devs of arrays) for (const dst of devs) dst.set(value);
    }
  }

  /** Feeds the last outputs and the labels to a metric. */
  updateMetric(metric: EvalMetric, labels: NDArray[], preSliced = false): void {
    this.needBound('updateMetric').updateMetric(metric, labels, preSliced);
  }

  private syncParamsFromDevices(): void {
    this._execGroup!.getParams(this._argParams!, this._auxParams!);
    this._paramsDirty = false;
  }

  /** Saves parameters as MXNet does (`arg:`/`aux:` keys). */
  async saveParams(fname: string): Promise<void> {
    const [arg, aux] = this.getParams();
    const d: Record<string, NDArray> = {};
    for (const [k, v] of Object.entries(arg)) d[`arg:${k}`] = v;
    for (const [k, v] of Object.entries(aux)) d[`aux:${k}`] = v;
    await saveArrays(fname, d);
  }

  /** Loads parameters saved by saveParams (or MXNet). */
  async loadParams(fname: string): Promise<void> {
    const saved = await loadArrays(fname);
    if (Array.isArray(saved)) throw new IsotensorError(`Invalid param file ${fname}`);
    const arg: Record<string, NDArray> = {}, aux: Record<string, NDArray> = {};
    for (const [k, v] of Object.entries(saved)) {
      const i = k.indexOf(':');
      const tp = k.slice(0, i), name = k.slice(i + 1);
      if (i > 0 && tp === 'arg') arg[name] = v;
      else if (i > 0 && tp === 'aux') aux[name] = v;
      else throw new IsotensorError(`Invalid param file ${fname}`);
    }
    this.setParams(arg, aux);
  }

  /** Writes the optimizer states (mx.optimizer.Updater.getStates bytes). */
  async saveOptimizerStates(fname: string): Promise<void> {
    if (!this.optimizerInitialized) throw new IsotensorError('Module.saveOptimizerStates: call initOptimizer() first');
    const fs = fsPromises();
    await fs.writeFile(fname, this._updater!.getStates());
  }

  /** Reads optimizer states written by saveOptimizerStates. */
  async loadOptimizerStates(fname: string): Promise<void> {
    if (!this.optimizerInitialized) throw new IsotensorError('Module.loadOptimizerStates: call initOptimizer() first');
    const fs = fsPromises();
    this._updater!.setStates(new Uint8Array(await fs.readFile(fname)));
  }

  /** Installs a monitor on the executors. */
  installMonitor(mon: { install(exe: Executor): void }): void {
    this.needBound('installMonitor').installMonitor(mon);
  }

  /** Frees the executors and parameter arrays. */
  dispose(): void {
    this.resetBind();
    for (const a of Object.values(this._argParams ?? {})) a.dispose();
    for (const a of Object.values(this._auxParams ?? {})) a.dispose();
    this._argParams = null;
    this._auxParams = null;
    this.paramsInitialized = false;
  }
}

/** Sums a gradient over devices and writes the sum back to each (kvstore 'local' pushpull). */
function sumGradients(gs: NDArray[]): void {
  const ctx0 = gs[0]!.context;
  let acc = gs[0]!.copy();
  for (const g of gs.slice(1)) {
    const c = g.context.equals(ctx0) ? g : g.copyto(ctx0);
    const s = acc.add(c);
    acc.dispose();
    if (c !== g) c.dispose();
    acc = s;
  }
  for (const g of gs) g.set(acc);
  acc.dispose();
}
