// DataLoader: mini-batches from a dataset, on the calling thread or in data workers (MXNet's gluon.data.DataLoader).
// SPDX-License-Identifier: Apache-2.0
//
// Batches: the batch sampler picks indices on the calling thread; items are read, transformed and
// stacked either there or (numWorkers > 0, a dataset that describes itself as host data) in
// workers that return typed arrays. Random transforms draw from a generator seeded per batch from
// one mx.random draw per epoch, so workers and the calling thread give the same batches.
// Lifetime: the loader owns the arrays it yields; each batch is disposed when the loop asks for the
// next one or the epoch ends (unless `mx.keep`-ed, or `autoDispose: false`), which keeps memory
// flat in loops that never dispose.
import { IsotensorError, optionsOf } from '../../base/error.js';
import { NDArray } from '../../ndarray/ndarray.js';
import { randint } from '../../ndarray/random.js';
import { closeScope, openScope, type Tracked } from '../../ndarray/tracking.js';
import { defaultBatchify, hostBatchToNd, hostSamplesToNd } from './batchify.js';
import { Dataset, SimpleDataset } from './dataset.js';
import { NotTransferable } from './describe.js';
import { batchifyHost, type BatchHint, type HostBatch } from './host/batchify_host.js';
import { buildHostDataset, type DatasetDesc, type HostDataset } from './host/dataset_desc.js';
import type { WorkerJob, WorkerResult } from './host/protocol.js';
import { activeBatchRng, HostRng, withBatchRng } from './host/rng.js';
import type { TransformDesc } from './host/transform_desc.js';
import { BatchSampler, checkLastBatch, RandomSampler, SequentialSampler, type LastBatch } from './sampler.js';
import { WorkerPool, workersUnavailable } from './worker_pool.js';

/** Options of DataLoader (MXNet's keyword arguments, camelCased). */
export interface DataLoaderOptions {
  /** Samples per batch (required unless `batchSampler`). */
  batchSize?: number;
  /** Visit samples in a new random order each epoch (mx.random: `mx.random.seed` makes it repeatable). */
  shuffle?: boolean;
  /** The order of samples (instead of shuffle): a Sampler, or any iterable of indices with a length. */
  sampler?: Iterable<number> & { length: number };
  /** The last, smaller batch: 'keep' (default), 'discard', or 'rollover' into the next epoch. */
  lastBatch?: LastBatch;
  /** Gives whole batches of indices (instead of batchSize/shuffle/sampler/lastBatch). */
  batchSampler?: Iterable<number[]> & { length: number };
  /** Merges a list of samples into a batch (default: MXNet's default_batchify_fn). */
  batchify?: (samples: any[]) => any;
  /** Data workers (worker_threads / Web Workers), which read a copy of the dataset taken when they start; 0 loads on the calling thread. */
  numWorkers?: number;
  /** Batches requested ahead from workers (default 2 × numWorkers). */
  prefetch?: number;
  /** Accepted for MXNet compatibility: workers are threads either way. */
  threadPool?: boolean;
  /** Accepted for MXNet compatibility (no pinned host memory here). */
  pinMemory?: boolean;
  pinDeviceId?: number;
  /** Seconds to wait for one batch from a worker (default 120). */
  timeout?: number;
  /** Dispose each batch when the loop moves on (default true); `mx.keep(batch)` keeps one. */
  autoDispose?: boolean;
}

let jobIds = 0;

// A loader nobody references any more stops its workers (MXNet's DataLoader.__del__).
const pools = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry<WorkerPool>((pool) => pool.close())
  : null;

function collectArrays(v: unknown, into: Set<Tracked>, seen = new Set<unknown>()): void {
  if (v instanceof NDArray) {
    into.add(v);
    return;
  }
  if (v === null || typeof v !== 'object' || seen.has(v)) return;
  seen.add(v);
  if (Array.isArray(v)) for (const x of v) collectArrays(x, into, seen);
  else if (v instanceof Map) for (const x of v.values()) collectArrays(x, into, seen);
  else if (Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) collectArrays(x, into, seen);
}

/** Runs fn in a scope: its temporaries are freed; returns the result and the arrays it created that survive. */
function owned<T>(fn: () => T): { value: T; created: Tracked[] } {
  const s = openScope();
  let value: T;
  try {
    value = fn();
  } catch (e) {
    closeScope(s, new Set());
    throw e;
  }
  const survivors = new Set<Tracked>();
  collectArrays(value, survivors);
  const created = s.filter((x) => survivors.has(x));
  closeScope(s, survivors);
  return { value, created };
}

/** Disposes arrays unless kept (mx.keep) or already gone: a scope that owns them, closed at once. */
function release(arrays: Tracked[]): void {
  if (arrays.length === 0) return;
  const s = openScope();
  s.push(...arrays);
  closeScope(s, new Set());
}

function drawSeed(): number {
  const r = randint({ low: 0, high: 2147483647, shape: [1], dtype: 'int32' });
  try {
    return r.asScalar();
  } finally {
    r.dispose();
  }
}

function hasUserFunction(d: DatasetDesc | TransformDesc): boolean {
  if ('t' in d) return d.t === 'fn' || (d.t === 'compose' && d.list.some(hasUserFunction));
  switch (d.k) {
    case 'array': return d.cols.some((c) => c.k === 'dataset' && hasUserFunction(c.d));
    case 'sampled': return hasUserFunction(d.base);
    default: return hasUserFunction(d.base) || hasUserFunction(d.fn);
  }
}

interface Pending {
  id: number;
  worker: number;
  indices: number[];
  batch: number;
}

/**
 * Loads mini-batches from a dataset. Iterate it with `for...of` or `for await` (each pass is one
 * epoch); a batch is what `batchify` returns, by default `[data, label]` NDArrays for
 * `[data, label]` samples.
 * @example
 * ```ts
 * const loader = new gluon.data.DataLoader(new gluon.data.ArrayDataset(x, y), { batchSize: 128, shuffle: true, numWorkers: 2 });
 * for (const [data, label] of loader) { ... }
 * ```
 */
export class DataLoader implements Iterable<any>, AsyncIterable<any> {
  readonly dataset: Dataset;
  readonly batchSampler: Iterable<number[]> & { length: number };
  readonly numWorkers: number;
  readonly prefetch: number;
  readonly timeout: number;
  readonly autoDispose: boolean;
  private readonly batchify: ((samples: any[]) => any) | null;
  private readonly hint: BatchHint;
  private pool: WorkerPool | null = null;
  /** The dataset rebuilt on the host when only library transforms run (undefined: not decided yet). */
  private hostDataset: HostDataset | null | undefined = undefined;
  /** Why batches load on the calling thread although numWorkers > 0 ('' while workers are fine). */
  private noWorkers = '';
  private warned = false;

  constructor(dataset: Dataset | unknown, batchSize?: number | DataLoaderOptions, opts: DataLoaderOptions = {}) {
    opts = optionsOf(opts, 'DataLoader');
    const o: DataLoaderOptions = typeof batchSize === 'number' ? { ...opts, batchSize } : { ...(batchSize ?? {}), ...opts };
    this.dataset = dataset instanceof Dataset ? dataset : new SimpleDataset(dataset);
    if (o.batchSampler === undefined) {
      if (o.batchSize === undefined) throw new IsotensorError('DataLoader: batchSize must be specified unless batchSampler is specified');
      let sampler = o.sampler;
      if (sampler === undefined) {
        sampler = o.shuffle ? new RandomSampler(this.dataset.length) : new SequentialSampler(this.dataset.length);
      } else if (o.shuffle) {
        throw new IsotensorError('DataLoader: shuffle must not be specified if sampler is specified');
      }
      this.batchSampler = new BatchSampler(sampler, o.batchSize, checkLastBatch(o.lastBatch ?? 'keep', 'DataLoader'));
    } else {
      if (o.batchSize !== undefined || o.shuffle || o.sampler !== undefined || o.lastBatch !== undefined) {
        throw new IsotensorError('DataLoader: batchSize, shuffle, sampler and lastBatch must not be specified if batchSampler is specified');
      }
      this.batchSampler = o.batchSampler;
    }
    const nw = o.numWorkers ?? 0;
    if (!Number.isInteger(nw)) throw new IsotensorError(`DataLoader: numWorkers must be an integer, got ${nw}`);
    this.numWorkers = Math.max(0, nw);
    this.prefetch = Math.max(0, Math.trunc(o.prefetch ?? 2 * this.numWorkers));
    const timeout = o.timeout ?? 120;
    if (!(timeout > 0)) throw new IsotensorError(`DataLoader: timeout must be positive, given ${timeout}`);
    this.timeout = timeout;
    this.autoDispose = o.autoDispose ?? true;
    this.batchify = o.batchify ?? null;
    this.hint = this.dataset._hint();
  }

  /** Batches per epoch. */
  get length(): number {
    return this.batchSampler.length;
  }

  /** Whether batches currently load in workers (false before the first epoch, or after a fallback). */
  get usingWorkers(): boolean {
    return this.pool !== null;
  }

  /** Stops the data workers (a later epoch starts new ones). */
  close(): void {
    if (this.pool === null) return;
    pools?.unregister(this);
    this.pool.close();
    this.pool = null;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private notice(reason: string): void {
    if (this.warned) return;
    this.warned = true;
    console.warn(`isotensor DataLoader: numWorkers=${this.numWorkers}, but ${reason}; loading batches on the calling thread`);
  }

  /** The worker pool for an epoch, or null (with a one-time notice saying why). */
  private workers(sync: boolean): WorkerPool | null {
    if (this.numWorkers === 0) return null;
    if (this.noWorkers !== '') {
      this.notice(this.noWorkers);
      return null;
    }
    if (this.pool === null) {
      const why = workersUnavailable();
      if (why !== '') {
        this.noWorkers = why;
        this.notice(why);
        return null;
      }
      let desc;
      try {
        desc = this.dataset._describe();
      } catch (e) {
        if (!(e instanceof NotTransferable)) throw e;
        this.noWorkers = `the dataset cannot go to workers (${e.reason})`;
        this.notice(this.noWorkers);
        return null;
      }
      try {
        this.pool = new WorkerPool(this.numWorkers, { dataset: desc, hint: this.hint });
      } catch (e) {
        this.noWorkers = `workers could not start (${e instanceof Error ? e.message : String(e)})`;
        this.notice(this.noWorkers);
        return null;
      }
      pools?.register(this, this.pool, this);
    }
    if (sync && !this.pool.canWaitSync) {
      this.notice('this thread cannot block on workers (use `for await`)');
      return null;
    }
    return this.pool;
  }

  /**
   * The dataset as host data when every transform in it is a library transform: batches are then
   * built by the workers' code on this thread too (one copy into the backend per batch instead of
   * NDArrays per sample and transform). User functions expect NDArrays, so they keep the item path.
   */
  private hostPipeline(): HostDataset | null {
    if (this.hostDataset !== undefined) return this.hostDataset;
    this.hostDataset = null;
    if (this.batchify !== null || !this.dataset._hasTransform()) return null;
    try {
      const desc = this.dataset._describe();
      if (!hasUserFunction(desc)) this.hostDataset = buildHostDataset(desc, () => activeBatchRng() ?? new HostRng(0));
    } catch (e) {
      if (!(e instanceof NotTransferable)) throw e;
    }
    return this.hostDataset;
  }

  /** @internal Builds batch `batch` (indices `indices`) on the calling thread. */
  _buildHere(indices: number[], seed: number | null, batch: number): { value: any; created: Tracked[] } {
    return owned(() => withBatchRng(seed, batch, () => {
      if (this.batchify === null) {
        const fast = this.dataset._fastBatch(indices);
        if (fast !== undefined) return fast;
        const host = this.hostPipeline();
        if (host !== null) return hostBatchToNd(batchifyHost(indices.map((i) => host.at(i)), this.hint));
      }
      const samples = indices.map((i) => this.dataset.at(i));
      return this.batchify === null ? defaultBatchify(samples, this.hint) : this.batchify(samples);
    }));
  }

  /** @internal A worker's host result as NDArrays. */
  _fromWorker(value: unknown): { value: any; created: Tracked[] } {
    return owned(() => (this.batchify === null
      ? hostBatchToNd(value as HostBatch)
      : this.batchify((value as unknown[]).map(hostSamplesToNd))));
  }

  /** @internal */
  _epochParts(sync: boolean): {
    batches: Iterator<number[]>; seed: number | null; pool: WorkerPool | null;
  } {
    const pool = this.workers(sync);
    // The calling thread's host copy is taken again each epoch, so it sees changes to the arrays
    // between epochs as reading them item by item would (workers keep the copy they started with).
    this.hostDataset = undefined;
    const seed = this.dataset._hasTransform() ? drawSeed() : null;
    return { batches: this.batchSampler[Symbol.iterator](), seed, pool };
  }

  /** @internal */
  _job(pool: WorkerPool, indices: number[], seed: number | null, batch: number): Pending {
    const id = ++jobIds;
    const worker = batch % pool.size;
    const job: WorkerJob = { id, indices, seed, batch, mode: this.batchify === null ? 'batch' : 'samples' };
    pool.submit(worker, job);
    return { id, worker, indices, batch };
  }

  /** @internal A worker failed: warn once and load on the calling thread from now on. */
  _workerFailed(error: string): void {
    this.noWorkers = `a data worker failed (${error})`;
    this.notice(this.noWorkers);
    this.close();
  }

  [Symbol.iterator](): Iterator<any> {
    const e = new Epoch(this, true);
    return {
      next: () => e.nextSync(),
      return: (v?: any) => e.stop(v),
    };
  }

  [Symbol.asyncIterator](): AsyncIterator<any> {
    const e = new Epoch(this, false);
    return {
      next: () => e.nextAsync(),
      return: async (v?: any) => e.stop(v),
    };
  }
}

/** One pass over the batch sampler. */
class Epoch {
  private readonly batches: Iterator<number[]>;
  private readonly seed: number | null;
  private pool: WorkerPool | null;
  private readonly pending: Pending[] = [];
  /** Batches taken from the sampler that the calling thread must build (after a worker failure). */
  private readonly here: Array<{ indices: number[]; batch: number }> = [];
  private count = 0;
  private exhausted = false;
  private done = false;
  private last: Tracked[] = [];

  constructor(private readonly loader: DataLoader, sync: boolean) {
    const parts = loader._epochParts(sync);
    this.batches = parts.batches;
    this.seed = parts.seed;
    this.pool = parts.pool;
  }

  private nextIndices(): { indices: number[]; batch: number } | null {
    if (this.exhausted) return null;
    const r = this.batches.next();
    if (r.done) {
      this.exhausted = true;
      return null;
    }
    return { indices: [...r.value], batch: this.count++ };
  }

  private releaseLast(): void {
    if (this.loader.autoDispose) release(this.last);
    this.last = [];
  }

  private fill(): void {
    const pool = this.pool!;
    while (this.pending.length < this.loader.prefetch + 1) {
      const b = this.nextIndices();
      if (b === null) return;
      this.pending.push(this.loader._job(pool, b.indices, this.seed, b.batch));
    }
  }

  private finish(): IteratorResult<any> {
    this.releaseLast();
    this.done = true;
    return { done: true, value: undefined };
  }

  private yieldBatch(r: { value: any; created: Tracked[] }): IteratorResult<any> {
    this.last = r.created;
    return { done: false, value: r.value };
  }

  /** After a worker failure: the pending batches (already sampled) are built here, in order. */
  private fallBack(error: string): void {
    this.loader._workerFailed(error);
    for (const p of this.pending) this.here.push({ indices: p.indices, batch: p.batch });
    this.pending.length = 0;
    this.pool = null;
  }

  private nextHere(): IteratorResult<any> {
    const b = this.here.shift() ?? this.nextIndices();
    if (b === null) return this.finish();
    return this.yieldBatch(this.loader._buildHere(b.indices, this.seed, b.batch));
  }

  /** The start of a step: the next batch a worker owes (prefetch topped up), or the step's result when none does. */
  private nextPending(): { pool: WorkerPool; p: Pending } | IteratorResult<any> {
    if (this.done) return { done: true, value: undefined };
    this.releaseLast();
    if (this.pool === null) return this.nextHere();
    this.fill();
    const p = this.pending.shift();
    return p === undefined ? this.finish() : { pool: this.pool, p };
  }

  /** The end of a step: the worker's batch, or (it failed) that batch built here after falling back. */
  private settle(p: Pending, r: WorkerResult): IteratorResult<any> {
    if (!r.ok) {
      this.here.push({ indices: p.indices, batch: p.batch });
      this.fallBack(r.error);
      return this.nextHere();
    }
    return this.yieldBatch(this.loader._fromWorker(r.value));
  }

  nextSync(): IteratorResult<any> {
    const next = this.nextPending();
    if (!('pool' in next)) return next;
    return this.settle(next.p, next.pool.waitSync(next.p.worker, next.p.id, this.loader.timeout * 1000));
  }

  async nextAsync(): Promise<IteratorResult<any>> {
    const next = this.nextPending();
    if (!('pool' in next)) return next;
    return this.settle(next.p, await next.pool.waitAsync(next.p.worker, next.p.id, this.loader.timeout * 1000));
  }

  /** The loop ended early (break/return/throw): forget prefetched batches; the current one stays the caller's. */
  stop(value?: any): IteratorResult<any> {
    if (!this.done) {
      this.done = true;
      this.pool?.forget(this.pending.map((p) => p.id));
      this.pending.length = 0;
      this.last = [];
    }
    return { done: true, value };
  }
}
