// gluon.nn wrappers of functions and parallel branches: Lambda, HybridLambda (MXNet's nn) and Concurrent, HybridConcurrent (MXNet's contrib.nn).
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError, optionsOf } from '../../base/error.js';
import * as ndNs from '../../ndarray/nd.js';
import * as symNs from '../../symbol/index.js';
import { Block, HybridBlock, type BlockOptions, type F, type Tensor } from '../block.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => any;

function fnName(f: AnyFn): string {
  return f.name === '' ? '<lambda>' : f.name;
}

/**
 * Wraps a function of NDArrays (or the name of an `mx.nd` function) as a Block.
 * @example new gluon.nn.Lambda((x) => x.mul(2)); new gluon.nn.Lambda('tanh')
 */
export class Lambda extends Block {
  private readonly fn: AnyFn;
  readonly funcName: string;

  constructor(fn: AnyFn | string, opts: BlockOptions = {}) {
    super(opts);
    if (typeof fn === 'string') {
      const f = (ndNs as unknown as Record<string, unknown>)[fn];
      if (typeof f !== 'function') throw new IsotensorError(`Lambda: function name '${fn}' is not found in mx.nd`);
      this.fn = f as AnyFn;
      this.funcName = fn;
    } else if (typeof fn === 'function') {
      this.fn = fn;
      this.funcName = fnName(fn);
    } else {
      throw new IsotensorError(`Lambda: unrecognized function ${String(fn)} of type ${typeof fn}`);
    }
  }

  override forward(...args: Tensor[]): Tensor {
    return this.fn(...args);
  }

  override toString(): string {
    return `${this.className}(${this.funcName})`;
  }
}

/**
 * Wraps `fn(F, x, ...args)` (or the name of an op both `mx.nd` and `mx.sym` have) as a HybridBlock.
 * @example new gluon.nn.HybridLambda((F, x) => F.LeakyReLU(x, { slope: 0.1 })); new gluon.nn.HybridLambda('tanh')
 */
export class HybridLambda extends HybridBlock {
  private readonly fn: AnyFn;
  readonly funcName: string;

  constructor(fn: AnyFn | string, opts: BlockOptions = {}) {
    super(opts);
    if (typeof fn === 'string') {
      const inNd = typeof (ndNs as unknown as Record<string, unknown>)[fn] === 'function';
      const inSym = typeof (symNs as unknown as Record<string, unknown>)[fn] === 'function';
      if (!inNd || !inSym) throw new IsotensorError(`HybridLambda: function name '${fn}' is not found in mx.sym/mx.nd`);
      this.fn = (Fns: F, ...args: Tensor[]): Tensor => Fns[fn](...args);
      this.funcName = fn;
    } else if (typeof fn === 'function') {
      this.fn = fn;
      this.funcName = fnName(fn);
    } else {
      throw new IsotensorError(`HybridLambda: unrecognized function ${String(fn)} of type ${typeof fn}`);
    }
  }

  override hybridForward(F: F, x: Tensor, ...rest: Tensor[]): Tensor {
    rest.pop();  // this block's (empty) parameters
    return this.fn(F, x, ...rest);
  }

  override toString(): string {
    return `${this.className}(${this.funcName})`;
  }
}

/** Options of Concurrent and HybridConcurrent. */
export interface ConcurrentOptions extends BlockOptions {
  /** Axis the branch outputs are concatenated along (default -1). */
  axis?: number;
}

function axisOf(v: number | ConcurrentOptions | undefined, opts: ConcurrentOptions): [number, ConcurrentOptions] {
  if (typeof v === 'number') return [v, opts];
  const o = v ?? opts;
  return [o.axis ?? -1, o];
}

/**
 * Runs every child on the same input and concatenates the outputs along `axis` (MXNet's contrib.nn.Concurrent).
 * @example const c = new gluon.nn.Concurrent(1); c.add(new gluon.nn.Dense(3), new gluon.nn.Dense(2));
 */
export class Concurrent extends Block {
  readonly axis: number;

  constructor(axis?: number | ConcurrentOptions, opts: ConcurrentOptions = {}) {
    opts = optionsOf(opts, 'Concurrent');
    const [a, o] = axisOf(axis, opts);
    super(o);
    this.axis = a;
  }

  /** Appends branches. */
  add(...blocks: Block[]): this {
    for (const b of blocks) this.registerChild(b);
    return this;
  }

  override forward(x: Tensor): Tensor {
    const outs = [...this.children.values()].map((b) => b.forward(x));
    return ndNs.concat(...outs, { dim: this.axis });
  }
}

/** Concurrent for HybridBlocks: hybridize() runs every branch and the concatenation as one graph. */
export class HybridConcurrent extends HybridBlock {
  readonly axis: number;

  constructor(axis?: number | ConcurrentOptions, opts: ConcurrentOptions = {}) {
    opts = optionsOf(opts, 'HybridConcurrent');
    const [a, o] = axisOf(axis, opts);
    super(o);
    this.axis = a;
  }

  /** Appends branches (HybridBlocks). */
  add(...blocks: Block[]): this {
    for (const b of blocks) {
      if (!(b instanceof HybridBlock)) {
        throw new IsotensorError(`${this.name}: children of a HybridConcurrent must be HybridBlocks, got ${b.className}`);
      }
      this.registerChild(b);
    }
    this.clearCache();
    return this;
  }

  override hybridForward(F: F, x: Tensor, _p: unknown): Tensor {
    const outs = [...this.children.values()].map((b) => b.forward(x));
    return F.concat(...outs, { dim: this.axis });
  }
}
