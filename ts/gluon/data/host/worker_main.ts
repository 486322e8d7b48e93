// The data worker: rebuilds the dataset from its description, builds batches on the host, sends them back.
// SPDX-License-Identifier: Apache-2.0
//
// Bundled on its own into worker_source.generated.ts (scripts/gen-data-worker.mjs) and started from
// that text, so a worker never loads isotensor's backend: it reads host data, runs transforms and
// returns typed arrays (transferred, not copied).
import { nodeBuiltin } from '../../../base/node_builtin.js';
import { batchBuffers, batchifyHost, type BatchHint, type HostBatch } from './batchify_host.js';
import { buildHostDataset, type HostDataset } from './dataset_desc.js';
import { isHostTensor } from './host_tensor.js';
import type { WorkerInit, WorkerJob, WorkerResult } from './protocol.js';
import { activeBatchRng, HostRng, withBatchRng } from './rng.js';

interface Port {
  postMessage(m: unknown, transfer?: ArrayBuffer[]): void;
}

let dataset: HostDataset | null = null;
let hint: BatchHint = null;
let initError = '';

function init(msg: WorkerInit): void {
  hint = msg.hint;
  try {
    dataset = buildHostDataset(msg.dataset, () => activeBatchRng() ?? new HostRng(0));
  } catch (e) {
    initError = e instanceof Error ? e.message : String(e);
  }
}

function sampleBuffers(v: unknown, into: ArrayBuffer[]): void {
  if (isHostTensor(v)) {
    // Rows of the shared dataset are views: copy them out so nothing shared is transferred.
    if (v.data.buffer instanceof ArrayBuffer && !into.includes(v.data.buffer)) into.push(v.data.buffer);
  } else if (Array.isArray(v)) {
    for (const x of v) sampleBuffers(x, into);
  }
}

function ownSamples(v: unknown): unknown {
  if (isHostTensor(v)) return { ...v, data: v.data.slice() };
  if (Array.isArray(v)) return v.map(ownSamples);
  return v;
}

function run(job: WorkerJob): { result: WorkerResult; transfer: ArrayBuffer[] } {
  try {
    if (dataset === null) throw new Error(initError || 'the worker has no dataset');
    const ds = dataset;
    return withBatchRng(job.seed, job.batch, () => {
      const samples = job.indices.map((i) => ds.at(i));
      if (job.mode === 'batch') {
        const value: HostBatch = batchifyHost(samples, hint);
        return { result: { id: job.id, ok: true, value }, transfer: batchBuffers(value) };
      }
      const value = samples.map(ownSamples) as unknown[];
      const transfer: ArrayBuffer[] = [];
      sampleBuffers(value, transfer);
      return { result: { id: job.id, ok: true, value }, transfer };
    });
  } catch (e) {
    return { result: { id: job.id, ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }, transfer: [] };
  }
}

function nodeWorkerThreads(): any {
  return nodeBuiltin('node:worker_threads');
}

function start(): void {
  const wt = nodeWorkerThreads();
  if (wt !== null && !wt.isMainThread) {
    // Node: results go to a dedicated port that the waiting thread can read synchronously
    // (receiveMessageOnPort), and a shared counter wakes it (Atomics.wait / waitAsync).
    const data = wt.workerData as WorkerInit;
    init(data);
    const port = data.port as Port;
    const flags = data.flags!;
    wt.parentPort.on('message', (job: WorkerJob) => {
      const { result, transfer } = run(job);
      port.postMessage(result, transfer);
      Atomics.add(flags, data.index, 1);
      Atomics.notify(flags, data.index);
    });
    return;
  }
  // A Web Worker: the first message is the init, then jobs; results go back on the worker itself.
  const self = globalThis as unknown as Port & { onmessage: ((e: { data: unknown }) => void) | null };
  self.onmessage = (e) => {
    const m = e.data as { type: 'init'; init: WorkerInit } | { type: 'job'; job: WorkerJob };
    if (m.type === 'init') {
      init(m.init);
      return;
    }
    const { result, transfer } = run(m.job);
    self.postMessage(result, transfer);
  };
}

start();
