// Messages between a DataLoader and its data workers.
// SPDX-License-Identifier: Apache-2.0
import type { BatchHint, HostBatch } from './batchify_host.js';
import type { DatasetDesc } from './dataset_desc.js';

/** What a worker starts with. */
export interface WorkerInit {
  dataset: DatasetDesc;
  hint: BatchHint;
  /** Node: the port results go to and the shared counters a waiting thread sleeps on. */
  port?: unknown;
  flags?: Int32Array;
  index: number;
}

/** One batch to build: items `indices`, random transforms seeded by (seed, batch). */
export interface WorkerJob {
  id: number;
  indices: number[];
  seed: number | null;
  batch: number;
  /** 'batch': stack with the default batchify; 'samples': return the items (a user batchify runs on the caller). */
  mode: 'batch' | 'samples';
}

/** A worker's answer. */
export type WorkerResult =
  | { id: number; ok: true; value: HostBatch | unknown[] }
  | { id: number; ok: false; error: string };
