// The browser suite in one place: which spec files run, in which of the four configurations, with what outcome expected.

/**
 * Unit specs (test/unit) that run unchanged in browsers. Their fixtures are fetched over HTTP (see build.mjs).
 * Left out: specs that spawn processes or write files (engine, memory-plan, demo, module, kvstore, symbol-json,
 * seed-ndarray, save-load — its bytes half runs as specs/save-load-bytes.test.ts), and Gluon/training specs.
 */
export const unitSpecs = [
  'test/unit/creation.test.ts',
  'test/unit/elemwise.test.ts',
  'test/unit/reduce.test.ts',
  'test/unit/matrix.test.ts',
  'test/unit/ndarray.test.ts',
  'test/unit/autograd.test.ts',
  'test/unit/symbol.test.ts',
  'test/unit/infer-shape.test.ts',
  'test/unit/executor.test.ts',
  'test/unit/bad-input.test.ts',
  'test/unit/bad-input-generated.test.ts',
];

/**
 * The unit specs that also run on a cross-origin-isolated page's main thread. The others read results with
 * dataSync()/asScalar()/toArraySync(), which by design throw there (threads flavour: the main thread must not
 * block); specs/blocking.test.ts checks exactly that, and the workers run those specs instead.
 */
export const mainThreadUnitSpecs = ['test/unit/symbol.test.ts', 'test/unit/infer-shape.test.ts'];

/** Browser-only specs (test/browser/specs): they run in every configuration. */
export const browserSpecs = [
  'test/browser/specs/runtime.test.ts',
  'test/browser/specs/blocking.test.ts',
  'test/browser/specs/errors.test.ts',
  'test/browser/specs/save-load-bytes.test.ts',
];

/** isolated: served with COOP/COEP. flavour: what mx.ready() must pick by itself there. */
export const configurations = [
  { name: 'isolated page', isolated: true, mode: 'page', flavour: 'threads' },
  { name: 'isolated worker', isolated: true, mode: 'worker', flavour: 'threads' },
  { name: 'plain page', isolated: false, mode: 'page', flavour: 'single' },
  { name: 'plain worker', isolated: false, mode: 'worker', flavour: 'single' },
];

/** The spec files a configuration runs. */
export function specsFor(config) {
  const mainThreadThreads = config.mode === 'page' && config.flavour === 'threads';
  const unit = mainThreadThreads ? unitSpecs.filter((s) => mainThreadUnitSpecs.includes(s)) : unitSpecs;
  return [...browserSpecs, ...unit];
}

/** Every spec file of some configuration (what build.mjs bundles). */
export const allSpecs = [...browserSpecs, ...unitSpecs];
