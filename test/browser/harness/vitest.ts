// In-browser stand-in for the 'vitest' module: describe/it/hooks collect one spec file's tests, runFile() runs them.
import { expect, startTest } from './expect';

export { expect };

type Fn = () => unknown;
type Hook = { fn: Fn; timeout: number };
interface Test { kind: 'test'; name: string; fn: Fn; timeout: number; skip: boolean }
interface Suite {
  kind: 'suite'; name: string; skip: boolean; children: Array<Suite | Test>;
  beforeAll: Hook[]; afterAll: Hook[]; beforeEach: Hook[]; afterEach: Hook[];
}
export interface TestResult { name: string; state: 'pass' | 'fail' | 'skip'; error?: string; ms: number }

const DEFAULT_TIMEOUT_MS = 60_000;  // as vitest.config.ts

const newSuite = (name: string, skip = false): Suite =>
  ({ kind: 'suite', name, skip, children: [], beforeAll: [], afterAll: [], beforeEach: [], afterEach: [] });
let root = newSuite('');
let current = root;
let onTestStart: (name: string) => void = () => {};

// ---- collection API ----

// vitest accepts (name, fn, timeout) and (name, options, fn).
function parseArgs(a: unknown, b: unknown): { fn: Fn | undefined; timeout: number } {
  const fn = (typeof a === 'function' ? a : typeof b === 'function' ? b : undefined) as Fn | undefined;
  const opts = typeof a === 'object' && a !== null ? a : typeof b === 'object' && b !== null ? b : {};
  const timeout = typeof b === 'number' ? b : typeof a === 'number' ? a : (opts as { timeout?: number }).timeout;
  return { fn, timeout: timeout ?? DEFAULT_TIMEOUT_MS };
}

function addTest(name: string, a: unknown, b: unknown, skip: boolean): void {
  const { fn, timeout } = parseArgs(a, b);
  current.children.push({ kind: 'test', name: String(name), fn: fn ?? (() => {}), timeout, skip: skip || !fn });
}

function addSuite(name: string, a: unknown, b: unknown, skip: boolean): void {
  const { fn } = parseArgs(a, b);
  const suite = newSuite(String(name), skip);
  current.children.push(suite);
  const parent = current;
  current = suite;
  try {
    const r = fn?.() as { then?: unknown } | undefined;
    if (typeof r?.then === 'function') throw new Error(`describe('${name}'): async describe callbacks are not supported in the browser harness`);
  } finally {
    current = parent;
  }
}

// vitest's title formatting for .each: printf-style %s %d %i %f %j %o %# %%, and $name for object cases.
function title(template: string, args: unknown[], index: number): string {
  let i = 0;
  let out = template.replace(/%[sdifjo#%]/g, (m) => {
    if (m === '%%') return '%';
    if (m === '%#') return String(index);
    const v = args[i++];
    if (m === '%d' || m === '%i') return String(m === '%i' ? Math.trunc(Number(v)) : Number(v));
    if (m === '%f') return String(Number(v));
    if (m === '%j' || m === '%o') return JSON.stringify(v);
    return typeof v === 'string' ? v : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
  });
  const obj = args.length === 1 && typeof args[0] === 'object' && args[0] !== null && !Array.isArray(args[0]) ? args[0] : null;
  if (obj) out = out.replace(/\$([A-Za-z_][\w.]*)/g, (m, key: string) => (key in obj ? String((obj as any)[key]) : m));
  return out;
}

function each(register: (name: string, a: unknown, b: unknown) => void) {
  return (cases: readonly unknown[]) => (template: string, a: unknown, b: unknown) => {
    cases.forEach((c, index) => {
      const args = Array.isArray(c) ? c : [c];
      const { fn, timeout } = parseArgs(a, b);
      register(title(template, args, index), fn ? () => fn.apply(null, args as []) : undefined, timeout);
    });
  };
}

function api(register: (name: string, a: unknown, b: unknown, skip: boolean) => void) {
  const f = (name: string, a?: unknown, b?: unknown) => register(name, a, b, false);
  f.skip = (name: string, a?: unknown, b?: unknown) => register(name, a, b, true);
  f.skipIf = (cond: unknown) => (name: string, a?: unknown, b?: unknown) => register(name, a, b, Boolean(cond));
  f.runIf = (cond: unknown) => (name: string, a?: unknown, b?: unknown) => register(name, a, b, !cond);
  f.each = each((name, a, b) => register(name, a, b, false));
  return f;
}

export const it = api(addTest);
export const test = it;
export const describe = api(addSuite);
export const suite = describe;

const hook = (key: 'beforeAll' | 'afterAll' | 'beforeEach' | 'afterEach') =>
  (fn: Fn, timeout = DEFAULT_TIMEOUT_MS) => void current[key].push({ fn, timeout });
export const beforeAll = hook('beforeAll');
export const afterAll = hook('afterAll');
export const beforeEach = hook('beforeEach');
export const afterEach = hook('afterEach');

// ---- running ----

const clip = (text: string, n = 400): string => (text.length > n ? `${text.slice(0, n)}… (${text.length} chars)` : text);

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : ArrayBuffer.isView(x) ? Array.from(x as any) : x)) ?? String(v);
  } catch {
    return String(v);
  }
}

/** A thrown value as text: name and message, the asserted values of a failed expect, and the first spec frames. */
export function describeError(e: unknown): string {
  if (!(e instanceof Error)) return `thrown non-Error: ${String(e)}`;
  const lines = [`${e.name}: ${e.message}`];
  const a = e as Error & { actual?: unknown; expected?: unknown; showDiff?: boolean };
  if (a.showDiff !== false && ('actual' in a || 'expected' in a) && a.actual !== undefined) {
    lines.push(`  actual:   ${clip(show(a.actual))}`, `  expected: ${clip(show(a.expected))}`);
  }
  const frames = (e.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l) && !/harness\/|@vitest|chai|<anonymous>/.test(l));
  return [...lines, ...frames.slice(0, 3)].join('\n');
}

async function withTimeout(fn: Fn, ms: number, what: string): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise((_ok, fail) => {
    timer = setTimeout(() => fail(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([Promise.resolve().then(fn), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const hasTests = (s: Suite): boolean => s.children.some((c) => (c.kind === 'test' ? !c.skip : !c.skip && hasTests(c)));

async function runSuite(s: Suite, path: string[], each: { before: Hook[]; after: Hook[] }, file: string,
                        out: TestResult[], brokenBy: string | null, skippedBy: boolean): Promise<void> {
  const skipped = skippedBy || s.skip;
  const names = s.name ? [...path, s.name] : path;
  const label = names.join(' > ');
  const teardowns: Fn[] = [];
  let broken = brokenBy;
  if (!skipped && broken === null && hasTests(s)) {
    for (const h of s.beforeAll) {
      try {
        const r = await withTimeout(h.fn, h.timeout, `beforeAll of '${label || file}'`);
        if (typeof r === 'function') teardowns.push(r as Fn);
      } catch (e) {
        broken = `beforeAll of '${label || file}' failed: ${describeError(e)}`;
        break;
      }
    }
  }
  const inner = { before: [...each.before, ...s.beforeEach], after: [...s.afterEach, ...each.after] };
  for (const c of s.children) {
    if (c.kind === 'suite') {
      await runSuite(c, names, inner, file, out, broken, skipped);
      continue;
    }
    const name = [...names, c.name].join(' > ');
    if (skipped || c.skip) {
      out.push({ name, state: 'skip', ms: 0 });
      continue;
    }
    if (broken !== null) {
      out.push({ name, state: 'fail', error: broken, ms: 0 });
      continue;
    }
    out.push(await runTest(c, name, inner, file));
  }
  if (!skipped && hasTests(s) && brokenBy === null) {
    for (const fn of [...teardowns, ...s.afterAll.map((h) => h.fn)]) {
      try {
        await withTimeout(fn, DEFAULT_TIMEOUT_MS, `afterAll of '${label || file}'`);
      } catch (e) {
        out.push({ name: `${label || file} (afterAll)`, state: 'fail', error: describeError(e), ms: 0 });
      }
    }
  }
}
async function runTest(t: Test, name: string, each: { before: Hook[]; after: Hook[] }, file: string): Promise<TestResult> {
  const t0 = performance.now();
  onTestStart(name);
  startTest(file, name);
  let error: unknown = null;
  const cleanups: Fn[] = [];
  try {
    for (const h of each.before) {
      const r = await withTimeout(h.fn, h.timeout, 'beforeEach');
      if (typeof r === 'function') cleanups.unshift(r as Fn);
    }
    await withTimeout(t.fn, t.timeout, 'test');
  } catch (e) {
    error = e;
  }
  for (const fn of [...cleanups, ...each.after.map((h) => h.fn)]) {
    try {
      await withTimeout(fn, DEFAULT_TIMEOUT_MS, 'afterEach');
    } catch (e) {
      error ??= e;
    }
  }
  const ms = Math.round(performance.now() - t0);
  return error === null ? { name, state: 'pass', ms } : { name, state: 'fail', error: describeError(error), ms };
}

/**
 * Collects the tests of one spec file (load() imports it, which runs its describe/it calls and top-level awaits),
 * then runs them in order, calling started(name) as each begins. A file that fails to load is one failed test.
 */
export async function runFile(file: string, load: () => Promise<unknown>,
                              started: (name: string) => void = () => {}): Promise<TestResult[]> {
  root = newSuite('');
  current = root;
  onTestStart = started;
  try {
    await load();
  } catch (e) {
    return [{ name: `${file} (loading the spec)`, state: 'fail', error: describeError(e), ms: 0 }];
  }
  const out: TestResult[] = [];
  await runSuite(root, [], { before: [], after: [] }, file, out, null, false);
  if (out.length === 0) out.push({ name: `${file} (collecting)`, state: 'fail', error: 'the spec registered no tests', ms: 0 });
  return out;
}
