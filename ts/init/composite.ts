// Initializers built from others: Load (values from a dict, a default for the rest) and Mixed (by name pattern).
// SPDX-License-Identifier: Apache-2.0
import { expectArray, IsotensorError, kindOf } from '../base/error.js';
import type { NDArray } from '../ndarray/ndarray.js';
import type { InitDesc, InitializerLike } from './initializer.js';

/**
 * Initializes from a name → array dict (`arg:`/`aux:` prefixes of a .params file are dropped);
 * names not in it go to `defaultInit`.
 * @example new mx.init.Load(await mx.nd.load('model-0001.params'), new mx.init.Uniform())
 */
export class Load implements InitializerLike {
  readonly param: Map<string, NDArray>;
  readonly defaultInit: InitializerLike | null;
  readonly verbose: boolean;

  constructor(param: Record<string, NDArray> | Map<string, NDArray>, defaultInit: InitializerLike | null = null, verbose = false) {
    if (param === null || typeof param !== 'object') throw new IsotensorError(`initializer.Load: argument 'param' must be a Map or an object of NDArrays, got ${kindOf(param)}`);
    this.param = new Map();
    const entries = param instanceof Map ? [...param.entries()] : Object.entries(param);
    for (const [name, arr] of entries) {
      this.param.set(name.startsWith('arg:') || name.startsWith('aux:') ? name.slice(4) : name, arr);
    }
    this.defaultInit = defaultInit;
    this.verbose = verbose;
  }

  call(desc: InitDesc | string, arr: NDArray): void {
    const name = String(desc);
    const src = this.param.get(name);
    if (src !== undefined) {
      if (src.shape.length !== arr.shape.length || src.shape.some((d, i) => d !== arr.shape[i])) {
        throw new IsotensorError(`Parameter ${name} cannot be initialized from loading. Shape mismatch, target ` +
          `[${arr.shape.join(', ')}] vs loaded [${src.shape.join(', ')}]`);
      }
      arr.set(src);
      if (this.verbose) console.info(`Initialized ${name} by loading`);
      return;
    }
    if (this.defaultInit === null) {
      throw new IsotensorError(`Cannot Initialize ${name}. Not found in loaded param and no default Initializer is provided.`);
    }
    this.defaultInit.call(desc, arr);
    if (this.verbose) console.info(`Initialized ${name} by default`);
  }
}

/**
 * The first initializer whose regular expression matches the start of the name (Python's re.match).
 * @example new mx.init.Mixed(['bias', '.*'], [new mx.init.Zero(), new mx.init.Uniform(0.1)])
 */
export class Mixed implements InitializerLike {
  private readonly map: [RegExp, InitializerLike][];

  constructor(patterns: (string | RegExp)[], initializers: InitializerLike[]) {
    expectArray(patterns, 'initializer.Mixed', 'patterns', 'an array of strings or RegExps');
    expectArray(initializers, 'initializer.Mixed', 'initializers', 'an array of initializers');
    if (patterns.length !== initializers.length) {
      throw new IsotensorError(`Mixed: ${patterns.length} patterns for ${initializers.length} initializers`);
    }
    this.map = patterns.map((p, i) => [typeof p === 'string' ? new RegExp(`^(?:${p})`) : p, initializers[i]!]);
  }

  call(desc: InitDesc | string, arr: NDArray): void {
    const name = String(desc);
    for (const [re, init] of this.map) {
      re.lastIndex = 0;
      if (re.test(name)) {
        init.call(desc, arr);
        return;
      }
    }
    throw new IsotensorError(`Parameter name ${name} did not match any pattern. Consider adding a ".*" pattern at the end with a default Initializer.`);
  }
}


