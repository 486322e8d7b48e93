// WorkerPool: data workers (worker_threads in Node, Web Workers in browsers) and the waits on their results.
// SPDX-License-Identifier: Apache-2.0
//
// Node: each worker answers on its own MessagePort and bumps a shared counter, so the calling
// thread can wait without an event loop turn (Atomics.wait + receiveMessageOnPort: plain `for...of`
// loops work) or with one (Atomics.waitAsync: `for await`). Workers are unref()ed while idle, so
// they never keep a process alive. Browsers: results arrive as messages, only `for await` can wait.
import { IsotensorError } from '../../base/error.js';
import { nodeBuiltin } from '../../base/node_builtin.js';
import type { WorkerInit, WorkerJob, WorkerResult } from './host/protocol.js';
import { WORKER_SOURCE } from './host/worker_source.generated.js';

interface NodeWorker {
  postMessage(m: unknown): void;
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
  on(ev: string, f: (x: any) => void): void;
}

interface Slot {
  post(job: WorkerJob): void;
  /** Moves every result that arrived into the pool's buffer (Node; browsers push results themselves). */
  drain(): void;
  close(): void;
  ref?(): void;
  unref?(): void;
  error: string;
}

// Deno's worker_threads cannot run the worker source as Node does; its DataLoader runs in the main thread.
function nodeWorkerThreads(): any {
  return typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined' ? null : nodeBuiltin('node:worker_threads');
}

/** Why this runtime cannot start data workers, or '' when it can. */
export function workersUnavailable(): string {
  if (nodeWorkerThreads() !== null) return '';
  if (typeof (globalThis as { Worker?: unknown }).Worker === 'function') return '';
  return 'this runtime has no worker_threads or Web Workers';
}

/** Data workers sharing one dataset description. */
export class WorkerPool {
  readonly size: number;
  /** Whether a thread can block on results (Node); else only waitAsync works. */
  readonly canWaitSync: boolean;
  private readonly slots: Slot[] = [];
  private readonly results = new Map<number, WorkerResult>();
  private readonly wanted = new Set<number>();
  private flags: Int32Array | null = null;
  private wt: any = null;
  private waiters = new Map<number, () => void>();
  private closed = false;

  constructor(size: number, init: Omit<WorkerInit, 'index' | 'port' | 'flags'>) {
    this.size = size;
    this.wt = nodeWorkerThreads();
    this.canWaitSync = this.wt !== null;
    try {
      for (let w = 0; w < size; w++) this.slots.push(this.wt !== null ? this.nodeSlot(w, init) : this.webSlot(w, init));
    } catch (e) {
      this.close();
      throw e;
    }
  }

  private nodeSlot(index: number, init: Omit<WorkerInit, 'index' | 'port' | 'flags'>): Slot {
    const wt = this.wt;
    this.flags ??= new Int32Array(new SharedArrayBuffer(4 * this.size));
    const { port1, port2 } = new wt.MessageChannel();
    const data: WorkerInit = { ...init, index, port: port2, flags: this.flags };
    const worker = new wt.Worker(WORKER_SOURCE, { eval: true, workerData: data, transferList: [port2] }) as NodeWorker;
    worker.unref();
    const slot: Slot = {
      error: '',
      post: (job) => worker.postMessage(job),
      drain: () => {
        for (;;) {
          const m = wt.receiveMessageOnPort(port1) as { message: WorkerResult } | undefined;
          if (m === undefined) return;
          this.accept(m.message);
        }
      },
      close: () => {
        port1.close();
        void worker.terminate();
      },
      ref: () => worker.ref(),
      unref: () => worker.unref(),
    };
    worker.on('error', (e: unknown) => { slot.error = e instanceof Error ? e.message : String(e); this.wakeAll(); });
    worker.on('exit', (code: number) => {
      if (!this.closed && slot.error === '') slot.error = `the worker exited with code ${code}`;
      this.wakeAll();
    });
    return slot;
  }

  private webSlot(index: number, init: Omit<WorkerInit, 'index' | 'port' | 'flags'>): Slot {
    const g = globalThis as unknown as {
      Worker: new (url: string) => { postMessage(m: unknown): void; terminate(): void; onmessage: unknown; onerror: unknown };
      URL: { createObjectURL(b: unknown): string; revokeObjectURL(u: string): void };
      Blob: new (parts: string[], o: { type: string }) => unknown;
    };
    const url = g.URL.createObjectURL(new g.Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    const worker = new g.Worker(url);
    g.URL.revokeObjectURL(url);
    const slot: Slot = {
      error: '',
      post: (job) => worker.postMessage({ type: 'job', job }),
      drain: () => {},
      close: () => worker.terminate(),
    };
    worker.onmessage = (e: { data: WorkerResult }) => this.accept(e.data);
    worker.onerror = (e: { message?: string }) => { slot.error = e.message ?? 'worker error'; this.wakeAll(); };
    worker.postMessage({ type: 'init', init: { ...init, index } });
    return slot;
  }

  private accept(r: WorkerResult): void {
    if (!this.wanted.has(r.id)) return;  // a job of an abandoned epoch
    this.results.set(r.id, r);
    const wake = this.waiters.get(r.id);
    if (wake !== undefined) wake();
  }

  private wakeAll(): void {
    for (const w of this.waiters.values()) w();
  }

  /** Sends a job to worker `w`. */
  submit(w: number, job: WorkerJob): void {
    if (this.closed) throw new IsotensorError('DataLoader: the worker pool is closed');
    this.wanted.add(job.id);
    this.slots[w]!.post(job);
  }

  /** Drops jobs nobody will wait for (their results are discarded when they arrive). */
  forget(ids: Iterable<number>): void {
    for (const id of ids) {
      this.wanted.delete(id);
      this.results.delete(id);
    }
  }

  private take(w: number, id: number): WorkerResult | undefined {
    this.slots[w]!.drain();
    const r = this.results.get(id);
    if (r !== undefined) {
      this.results.delete(id);
      this.wanted.delete(id);
      return r;
    }
    const err = this.slots[w]!.error;
    if (err !== '') return { id, ok: false, error: `data worker ${w} failed: ${err}` };
    return undefined;
  }

  private timeoutError(w: number, timeoutMs: number): IsotensorError {
    return new IsotensorError(`DataLoader: data worker ${w} timed out after ${timeoutMs / 1000} s (a slow transform? ` +
                              'raise the `timeout` option)');
  }

  /** Blocks until job `id` of worker `w` is done (Node only). */
  waitSync(w: number, id: number, timeoutMs: number): WorkerResult {
    const flags = this.flags!;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let r = this.take(w, id);
      if (r !== undefined) return r;
      const seen = Atomics.load(flags, w);
      r = this.take(w, id);
      if (r !== undefined) return r;
      const left = deadline - Date.now();
      if (left <= 0) throw this.timeoutError(w, timeoutMs);
      Atomics.wait(flags, w, seen, Math.min(left, 1000));
    }
  }

  /** Waits for job `id` of worker `w` without blocking the thread. */
  async waitAsync(w: number, id: number, timeoutMs: number): Promise<WorkerResult> {
    const deadline = Date.now() + timeoutMs;
    const slot = this.slots[w]!;
    // A pending wait must keep Node's event loop alive, an idle pool must not.
    slot.ref?.();
    try {
      for (;;) {
        let r = this.take(w, id);
        if (r !== undefined) return r;
        const left = deadline - Date.now();
        if (left <= 0) throw this.timeoutError(w, timeoutMs);
        if (this.flags !== null) {
          const seen = Atomics.load(this.flags, w);
          r = this.take(w, id);
          if (r !== undefined) return r;
          const wait = (Atomics as unknown as {
            waitAsync(a: Int32Array, i: number, v: number, t: number): { async: boolean; value: Promise<string> | string };
          }).waitAsync(this.flags, w, seen, Math.min(left, 1000));
          if (wait.async) await wait.value;
        } else {
          await new Promise<void>((resolve) => {
            const t = setTimeout(() => { this.waiters.delete(id); resolve(); }, Math.min(left, 1000));
            this.waiters.set(id, () => { clearTimeout(t); this.waiters.delete(id); resolve(); });
          });
        }
      }
    } finally {
      slot.unref?.();
    }
  }

  /** Stops the workers. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.slots) s.close();
    this.results.clear();
    this.wanted.clear();
    this.wakeAll();
  }
}
