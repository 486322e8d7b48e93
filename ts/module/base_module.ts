// BaseModule: the high-level loops of MXNet's module API (fit, score, predict, iterPredict) over an abstract module.
// SPDX-License-Identifier: Apache-2.0
import { runCallbacks, type BatchEndCallback, type BatchEndParam, type EpochEndCallback } from '../callback/batch_end.js';
import { consoleLogger, pyFixed, type Logger } from '../callback/logger.js';
import { ProgressBar } from '../callback/progress_bar.js';
import { IsotensorError, positionalOptions } from '../base/error.js';
import { Uniform } from '../init/initializers.js';
import type { InitializerLike } from '../init/initializer.js';
import { DataBatch } from '../io/data_batch.js';
import type { DataDesc, DataDescLike } from '../io/data_desc.js';
import { create as createMetric, EvalMetric, type MetricSpec } from '../metric/base.js';
import { withHostValues } from '../metric/host.js';
import '../metric/metric.js';
import { Concat } from '../ops/ndarray.generated.js';
import { NDArray } from '../ndarray/ndarray.js';
import type { Optimizer, OptimizerOptions } from '../optimizer/optimizer.js';
import type { Symbol as MxSymbol } from '../symbol/symbol.js';

/** What the loops need of a data iterator (mx.io.DataIter satisfies it). */
export interface DataIterLike extends Iterable<DataBatch> {
  readonly provideData: DataDesc[];
  readonly provideLabel: DataDesc[];
  reset(): void;
  readonly batchSize?: number;
}

/** Options of initParams. */
export interface InitParamsOptions {
  /** Fills parameters not given in argParams/auxParams (default mx.init.Uniform(0.01)); null: leave them. */
  initializer?: InitializerLike | null;
  argParams?: Record<string, NDArray> | null;
  auxParams?: Record<string, NDArray> | null;
  /** Parameters missing from argParams/auxParams are initialized instead of raising. */
  allowMissing?: boolean;
  /** Initialize again even if already initialized. */
  forceInit?: boolean;
  /** argParams/auxParams may hold names the module does not have. */
  allowExtra?: boolean;
}

/** Options of initOptimizer. */
export interface InitOptimizerOptions {
  /** Only 'local' (or null) is supported here: gradients are summed over devices in the process. */
  kvstore?: string | null;
  /** A name for mx.optimizer.create (default 'sgd') or an Optimizer. */
  optimizer?: string | Optimizer;
  /** Options of the optimizer (default { learningRate: 0.01 }); rescaleGrad defaults to 1 / batch size. */
  optimizerParams?: OptimizerOptions | [string, unknown][];
  forceInit?: boolean;
}

/** Options of fit (MXNet's keyword arguments, camelCased). */
export interface FitOptions extends InitOptimizerOptions {
  /** Number of epochs to run (required). */
  numEpoch: number;
  /** Scored after every epoch. */
  evalData?: DataIterLike | null;
  /** Training metric (default 'acc'). */
  evalMetric?: MetricSpec;
  /** Validation metric (default: evalMetric). */
  validationMetric?: MetricSpec | null;
  epochEndCallback?: EpochEndCallback<MxSymbol, Record<string, NDArray>> | EpochEndCallback<MxSymbol, Record<string, NDArray>>[] | null;
  batchEndCallback?: BatchEndCallback | BatchEndCallback[] | null;
  evalEndCallback?: BatchEndCallback | BatchEndCallback[] | null;
  evalBatchEndCallback?: BatchEndCallback | BatchEndCallback[] | null;
  initializer?: InitializerLike | null;
  argParams?: Record<string, NDArray> | null;
  auxParams?: Record<string, NDArray> | null;
  allowMissing?: boolean;
  forceRebind?: boolean;
  forceInit?: boolean;
  /** First epoch number (resuming). */
  beginEpoch?: number;
  /** Installed on the executors (anything with install(executor), tic(), tocPrint()). */
  monitor?: { install(exe: unknown): void; tic(): void; tocPrint(): void } | null;
  /** Show a progress bar with samples/sec per epoch (default true; a live bar on a terminal, one line per epoch in logs). */
  progress?: boolean | ProgressBar;
}

/** Options of score. */
export interface ScoreOptions {
  /** Stop after this many batches. */
  numBatch?: number | null;
  batchEndCallback?: BatchEndCallback | BatchEndCallback[] | null;
  scoreEndCallback?: BatchEndCallback | BatchEndCallback[] | null;
  /** Reset the iterator first (default true). */
  reset?: boolean;
  /** Epoch number reported to the callbacks. */
  epoch?: number;
}

/** Options of predict. */
export interface PredictOptions {
  numBatch?: number | null;
  /** Concatenate the batches per output (default true). */
  mergeBatches?: boolean;
  reset?: boolean;
  /** Return a list even for a single output. */
  alwaysOutputList?: boolean;
}

const now = () => performance.now() / 1000;

/**
 * The module protocol and its loops. Subclasses (Module) provide bind/initParams/initOptimizer/
 * forward/backward/update/getOutputs/updateMetric/getParams/setParams.
 */
export abstract class BaseModule {
  logger: Logger;
  binded = false;
  forTraining = false;
  inputsNeedGrad = false;
  paramsInitialized = false;
  optimizerInitialized = false;

  constructor(logger: Logger = consoleLogger) {
    this.logger = logger;
  }

  abstract get symbol(): MxSymbol;
  abstract get dataNames(): string[];
  abstract get outputNames(): string[];
  abstract get dataShapes(): DataDesc[];
  abstract get labelShapes(): DataDesc[] | null;
  abstract get outputShapes(): [string, number[]][];
  abstract bind(dataShapes: readonly DataDescLike[], labelShapes?: readonly DataDescLike[] | null, opts?: object): void;
  abstract initParams(opts?: InitParamsOptions): void;
  abstract setParams(argParams: Record<string, NDArray>, auxParams: Record<string, NDArray>, opts?: { allowMissing?: boolean; forceInit?: boolean; allowExtra?: boolean }): void;
  abstract getParams(): [Record<string, NDArray>, Record<string, NDArray>];
  abstract initOptimizer(opts?: InitOptimizerOptions): void;
  abstract forward(batch: DataBatch, opts?: { isTrain?: boolean } | boolean): void;
  abstract backward(outGrads?: NDArray[] | null): void;
  abstract update(): void;
  abstract getOutputs(mergeMultiContext?: boolean): NDArray[];
  abstract updateMetric(metric: EvalMetric, labels: NDArray[], preSliced?: boolean): void;
  abstract installMonitor(mon: { install(exe: unknown): void }): void;

  /** The arrays updateMetric reads as predictions (per device, unmerged). */
  protected metricOutputs(): NDArray[] {
    return this.getOutputs();
  }

  /** Switches buckets/shapes for the next batch (a no-op here; BucketingModule-style modules override it). */
  prepare(_batch: DataBatch): void {}

  /** forward (training mode) then backward. */
  forwardBackward(batch: DataBatch): void {
    this.forward(batch, { isTrain: true });
    this.backward();
  }

  private ready(what: string): void {
    if (!this.binded || !this.paramsInitialized) throw new IsotensorError(`Module.${what}: call bind() and initParams() first`);
  }

  /**
   * Runs `evalData` through the module (inference mode) and returns the metric's `[[name, value]]`.
   * Padded examples are scored too, as in MXNet.
   * @example const [[name, acc]] = await mod.score(valIter, 'acc')
   */
  async score(evalData: DataIterLike, evalMetric: MetricSpec, options: ScoreOptions | number | null = {},
              ...rest: unknown[]): Promise<[string, number][]> {
    // MXNet's positional score(eval_data, eval_metric, num_batch, batch_end_callback, score_end_callback, reset, epoch).
    const opts = positionalOptions<ScoreOptions>('Module.score', [
      ['numBatch', 'number'], ['batchEndCallback', 'any'], ['scoreEndCallback', 'any'], ['reset', 'boolean'],
      ['epoch', 'number']], [options, ...rest]);
    this.ready('score');
    if (opts.reset ?? true) evalData.reset();
    const metric = evalMetric instanceof EvalMetric ? evalMetric : createMetric(evalMetric);
    metric.reset();
    let n = 0;
    for (const batch of evalData) {
      if (opts.numBatch !== undefined && opts.numBatch !== null && n === opts.numBatch) break;
      this.prepare(batch);
      this.forward(batch, { isTrain: false });
      const labels = batch.label ?? [];
      await withHostValues([...this.metricOutputs(), ...labels], () => this.updateMetric(metric, labels));
      await runCallbacks(opts.batchEndCallback, { epoch: opts.epoch ?? 0, nbatch: n, evalMetric: metric, locals: { module: this, batch }, logger: this.logger });
      n++;
    }
    await runCallbacks(opts.scoreEndCallback, { epoch: opts.epoch ?? 0, nbatch: n, evalMetric: metric, locals: { module: this }, logger: this.logger });
    return metric.getNameValue();
  }

  /**
   * Yields `[outputs, nbatch, batch]` per batch, outputs without the padded examples (views of the
   * module's output arrays: read them before the next step).
   */
  *iterPredict(evalData: DataIterLike, options: { numBatch?: number | null; reset?: boolean } | number | null = {},
               ...rest: unknown[]): Generator<[NDArray[], number, DataBatch]> {
    // MXNet's positional iter_predict(eval_data, num_batch, reset).
    const opts = positionalOptions<{ numBatch?: number | null; reset?: boolean }>('Module.iterPredict', [
      ['numBatch', 'number'], ['reset', 'boolean']], [options, ...rest]);
    this.ready('iterPredict');
    if (opts.reset ?? true) evalData.reset();
    let n = 0;
    for (const batch of evalData) {
      if (opts.numBatch !== undefined && opts.numBatch !== null && n === opts.numBatch) break;
      this.prepare(batch);
      this.forward(batch, { isTrain: false });
      const pad = batch.pad ?? 0;
      yield [this.getOutputs().map((o) => o.slice(0, o.shape[0]! - pad)), n, batch];
      n++;
    }
  }

  /**
   * Predictions for `evalData`: per output the batches concatenated with the padded examples
   * removed (one NDArray for a single output, else a list). An NDArray runs as one batch.
   * @example const probs = mod.predict(testIter) // NDArray [numExamples, numClasses]
   */
  predict(evalData: DataIterLike | NDArray, options: PredictOptions | number | null = {},
          ...rest: unknown[]): NDArray | NDArray[] | NDArray[][] {
    // MXNet's positional predict(eval_data, num_batch, merge_batches, reset, always_output_list).
    const opts = positionalOptions<PredictOptions>('Module.predict', [
      ['numBatch', 'number'], ['mergeBatches', 'boolean'], ['reset', 'boolean'], ['alwaysOutputList', 'boolean']],
      [options, ...rest]);
    this.ready('predict');
    if (evalData instanceof NDArray) {
      this.forward(new DataBatch([evalData]), { isTrain: false });
      return this.getOutputs()[0]!.copy();
    }
    if (evalData === null || typeof evalData !== 'object' || typeof (evalData as DataIterLike).reset !== 'function') {
      throw new IsotensorError('Module.predict: evalData must be an NDArray or a DataIter');
    }
    if (opts.reset ?? true) evalData.reset();
    const outputList: NDArray[][] = [];
    let n = 0;
    for (const batch of evalData) {
      if (opts.numBatch !== undefined && opts.numBatch !== null && n === opts.numBatch) break;
      this.prepare(batch);
      this.forward(batch, { isTrain: false });
      const pad = batch.pad ?? 0;
      outputList.push(this.getOutputs().map((o) => {
        const v = o.slice(0, o.shape[0]! - pad);
        const c = v.copy();
        v.dispose();
        return c;
      }));
      n++;
    }
    if (outputList.length === 0) return [];
    if (!(opts.mergeBatches ?? true)) return outputList;
    const numOutputs = outputList[0]!.length;
    if (outputList.some((o) => o.length !== numOutputs)) {
      throw new IsotensorError('Cannot merge batches, as num of outputs is not the same in mini-batches. Maybe bucketing is used?');
    }
    const merged = Array.from({ length: numOutputs }, (_, i) => {
      const parts = outputList.map((o) => o[i]!);
      if (parts.length === 1) return parts[0]!;
      const r = Concat(parts, { dim: 0 }) as NDArray;
      for (const p of parts) p.dispose();
      return r;
    });
    return numOutputs === 1 && !opts.alwaysOutputList ? merged[0]! : merged;
  }

  /**
   * Trains: binds to the iterator's shapes, initializes parameters and optimizer, then per epoch
   * runs forward/backward/update on every batch, updates the metric, calls the callbacks, logs
   * `Epoch[n] Train-<metric>=...`, `Time cost=...` and, with evalData, `Validation-<metric>=...`.
   * @example
   * ```ts
   * await mod.fit(trainIter, { evalData: valIter, optimizer: 'sgd', optimizerParams: { learningRate: 0.1 },
   *                           numEpoch: 10, batchEndCallback: new mx.callback.Speedometer(32, 20) });
   * ```
   */
  async fit(trainData: DataIterLike, opts: FitOptions): Promise<void> {
    if (opts === undefined || opts.numEpoch === undefined || opts.numEpoch === null) {
      throw new IsotensorError('Module.fit: please specify number of epochs (numEpoch)');
    }
    this.bind(trainData.provideData, trainData.provideLabel, { forTraining: true, forceRebind: opts.forceRebind ?? false });
    if (opts.monitor) this.installMonitor(opts.monitor);
    this.initParams({
      initializer: opts.initializer === undefined ? new Uniform(0.01) : opts.initializer,
      argParams: opts.argParams ?? null, auxParams: opts.auxParams ?? null,
      allowMissing: opts.allowMissing ?? false, forceInit: opts.forceInit ?? false,
    });
    this.initOptimizer({ kvstore: opts.kvstore, optimizer: opts.optimizer, optimizerParams: opts.optimizerParams });
    const validationMetric = opts.validationMetric ?? opts.evalMetric ?? 'acc';
    const evalMetric = createMetric(opts.evalMetric ?? 'acc');
    const bar = opts.progress instanceof ProgressBar ? opts.progress : (opts.progress ?? true) ? new ProgressBar(null, this.logger === consoleLogger ? {} : { logger: this.logger }) : null;
    let numBatches: number | null = estimateBatches(trainData);
    const batchSize = this.dataShapes[0]?.shape[0] ?? null;

    for (let epoch = opts.beginEpoch ?? 0; epoch < opts.numEpoch; epoch++) {
      const tic = now();
      evalMetric.reset();
      let nbatch = 0;
      const it = trainData[Symbol.iterator]();
      let next = it.next();
      if (next.done) throw new IsotensorError('Module.fit: the training data gave no batch (call reset(), or check the batch size)');
      let nameValues: [string, number][] = [];
      while (!next.done) {
        const batch = next.value;
        opts.monitor?.tic();
        this.forwardBackward(batch);
        this.update();
        // The outputs are read without blocking (the event loop keeps running meanwhile).
        const labels = batch.label ?? [];
        await withHostValues([...this.metricOutputs(), ...labels], () => this.updateMetric(evalMetric, labels));
        next = it.next();
        if (!next.done) this.prepare(next.value);
        opts.monitor?.tocPrint();
        if (next.done) nameValues = evalMetric.getGlobalNameValue();
        const param: BatchEndParam = {
          epoch, nbatch, evalMetric, logger: this.logger,
          locals: { module: this, batch, tic, batchSize, numBatches },
        };
        if (bar !== null) bar.call(param);
        await runCallbacks(opts.batchEndCallback, param);
        nbatch++;
      }
      bar?.finish();
      numBatches = nbatch;
      for (const [name, val] of nameValues) this.logger.info(`Epoch[${epoch}] Train-${name}=${pyFixed(val)}`);
      this.logger.info(`Epoch[${epoch}] Time cost=${pyFixed(now() - tic, 3)}`);
      // Sync aux states (and parameters) over devices.
      const [argParams, auxParams] = this.getParams();
      this.setParams(argParams, auxParams);
      await runCallbacks(opts.epochEndCallback, epoch, this.symbol, argParams, auxParams);
      if (opts.evalData) {
        const res = await this.score(opts.evalData, validationMetric, {
          scoreEndCallback: opts.evalEndCallback, batchEndCallback: opts.evalBatchEndCallback, epoch,
        });
        for (const [name, val] of res) this.logger.info(`Epoch[${epoch}] Validation-${name}=${pyFixed(val)}`);
      }
      trainData.reset();
    }
  }
}

/** Batches per epoch when the iterator says (NDArrayIter: from its size, batch and last-batch rule). */
function estimateBatches(it: DataIterLike): number | null {
  const x = it as { numData?: number; batchSize?: number; lastBatchHandle?: string };
  if (typeof x.numData !== 'number' || typeof x.batchSize !== 'number' || x.batchSize <= 0) return null;
  return x.lastBatchHandle === 'pad' ? Math.ceil(x.numData / x.batchSize) : Math.floor(x.numData / x.batchSize);
}
