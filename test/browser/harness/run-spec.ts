// Runs one bundled spec file in this realm (a page or a Worker) and reports its results and the runtime it ran on.
import * as mx from 'isotensor';
import { prefetch } from './fixtures';
import { STARTED_MARK } from './protocol.mjs';
import { describeError, runFile, type TestResult } from './vitest';

/** One spec of build/browser-test/manifest.json. */
export interface SpecEntry { name: string; bundle: string; fixtures: string[] }

export interface SpecEnv {
  where: 'page' | 'worker';
  crossOriginIsolated: boolean;
  backend: string | null;
  wasmFlavour: string | null;
  threads: number | null;
  /** Every runtimeInfo() string field whose key mentions a reason (why not threads, ...). */
  reasons: Record<string, string>;
  /** Set when mx.ready() itself failed. */
  readyError?: string;
}

export interface SpecReport { spec: string; env: SpecEnv; results: TestResult[] }

async function environment(): Promise<SpecEnv> {
  const env: SpecEnv = {
    where: typeof (globalThis as { document?: unknown }).document === 'undefined' ? 'worker' : 'page',
    crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
    backend: null, wasmFlavour: null, threads: null, reasons: {},
  };
  try {
    await mx.ready();  // no options: the flavour is whatever the library picks here
    const info = mx.runtimeInfo() as unknown as Record<string, unknown>;
    env.backend = String(info.backend);
    env.wasmFlavour = (info.wasmFlavour as string | null) ?? null;
    env.threads = typeof info.threads === 'number' ? info.threads : null;
    for (const [k, v] of Object.entries(info)) if (/reason/i.test(k) && typeof v === 'string' && v) env.reasons[k] = v;
  } catch (e) {
    env.readyError = describeError(e);
  }
  return env;
}

/**
 * Runs the spec; never throws (a failure to load or an uncaught error becomes a failed result). started(name) is
 * told each test as it begins (default: a STARTED_MARK console line).
 */
export async function runSpec(entry: SpecEntry,
                              started = (name: string) => console.debug(STARTED_MARK + name)): Promise<SpecReport> {
  const stray: string[] = [];
  const onRejection = (ev: PromiseRejectionEvent) => {
    stray.push(`unhandled rejection: ${describeError(ev.reason)}`);
    ev.preventDefault();
  };
  const onError = (ev: ErrorEvent) => {
    stray.push(`uncaught error: ${ev.error ? describeError(ev.error) : ev.message}`);
    ev.preventDefault();
  };
  self.addEventListener('unhandledrejection', onRejection);
  self.addEventListener('error', onError);
  try {
    const results = await runFile(entry.name, async () => {
      await prefetch(entry.fixtures);
      await import(entry.bundle);
    }, started);
    // Uncaught errors and unhandled rejections while the spec ran fail it, as in vitest.
    for (const s of stray) results.push({ name: `${entry.name} (${s.split(':')[0]})`, state: 'fail', error: s, ms: 0 });
    return { spec: entry.name, env: await environment(), results };
  } finally {
    self.removeEventListener('unhandledrejection', onRejection);
    self.removeEventListener('error', onError);
  }
}
