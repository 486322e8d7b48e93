// The F namespaces hybridForward receives: mx.sym as is, and mx.nd with MXNet's symbol-only options (name, attr) dropped.
// SPDX-License-Identifier: Apache-2.0
import { NDArray } from '../ndarray/ndarray.js';
import * as nd from '../ndarray/nd.js';
import * as sym from '../symbol/index.js';

function isOptions(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof NDArray) &&
    Object.getPrototypeOf(v) === Object.prototype;
}

const wrapped = new Map<string | symbol, unknown>();

/**
 * mx.nd for imperative hybridForward: ops ignore `name` and `attr` (MXNet's imperative ops accept
 * and ignore them), so one hybridForward serves both namespaces.
 */
// The target is a plain object: a module namespace's properties are frozen, which a Proxy must mirror.
export const ndF: typeof nd = new Proxy({} as typeof nd, {
  get(_target, key) {
    const v = (nd as unknown as Record<string | symbol, unknown>)[key];
    if (typeof v !== 'function') return v;
    let w = wrapped.get(key);
    if (w === undefined) {
      const fn = v as (...a: unknown[]) => unknown;
      w = (...args: unknown[]): unknown => {
        const last = args[args.length - 1];
        if (isOptions(last) && ('name' in last || 'attr' in last)) {
          const { name: _n, attr: _a, ...rest } = last;
          args = [...args.slice(0, -1), rest];
        }
        return fn(...args);
      };
      wrapped.set(key, w);
    }
    return w;
  },
});

export const symF = sym;
