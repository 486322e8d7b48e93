// Page side of the browser suite: window.__istRun(mode, spec) runs one spec in this page or in a fresh module Worker.
import { STARTED_MARK } from './protocol.mjs';
import { runSpec, type SpecEntry, type SpecReport } from './run-spec';

function inWorker(entry: SpecEntry, timeoutMs: number): Promise<SpecReport> {
  const worker = new Worker(new URL('./worker.mjs', import.meta.url), { type: 'module' });
  return new Promise<SpecReport>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`the worker gave no report within ${timeoutMs} ms`)), timeoutMs);
    worker.onmessage = (ev: MessageEvent<{ started?: string; report?: SpecReport }>) => {
      if (ev.data.started !== undefined) return void console.debug(STARTED_MARK + ev.data.started);
      clearTimeout(timer);
      ok(ev.data.report!);
    };
    // Only errors the worker did not catch itself reach here, e.g. a module that failed to load.
    worker.onerror = (ev: ErrorEvent) => {
      clearTimeout(timer);
      fail(new Error(`worker error: ${ev.message || 'unknown'} (${ev.filename}:${ev.lineno})`));
    };
    worker.onmessageerror = () => {
      clearTimeout(timer);
      fail(new Error('the worker report could not be deserialized'));
    };
    worker.postMessage(entry);
  }).finally(() => worker.terminate());
}

async function run(mode: 'page' | 'worker', entry: SpecEntry, timeoutMs: number): Promise<SpecReport> {
  return mode === 'worker' ? inWorker(entry, timeoutMs) : runSpec(entry);
}

(globalThis as { __istRun?: typeof run }).__istRun = run;
