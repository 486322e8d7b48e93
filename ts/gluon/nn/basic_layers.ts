// gluon.nn basics (MXNet's gluon/nn/basic_layers.py): Sequential, HybridSequential, Dense, Dropout, Flatten, Activation.
// SPDX-License-Identifier: Apache-2.0
import type { DType } from '../../base/dtype.js';
import { expectString, IsotensorError, optionsOf, show } from '../../base/error.js';
import { Block, HybridBlock, hybridizeArgs, type BlockOptions, type F, type Tensor } from '../block.js';
import type { CachedOpOptions } from '../cached_op.js';
import type { InitSpec, Parameter } from '../parameter.js';

/** Runs children in order; a child returning a list passes the rest on as extra inputs (MXNet's rule). */
function runChildren(children: Iterable<Block>, x: Tensor, args: Tensor[]): Tensor {
  for (const b of children) {
    x = b.forward(x, ...args);
    args = [];
    if (Array.isArray(x)) {
      args = x.slice(1);
      x = x[0];
    }
  }
  return args.length > 0 ? [x, ...args] : x;
}

/**
 * Stacks blocks (MXNet's nn.Sequential).
 * @example
 * ```ts
 * const net = new gluon.nn.Sequential();
 * net.nameScope(() => net.add(new gluon.nn.Dense(20, { activation: 'relu' }), new gluon.nn.Dense(10)));
 * ```
 */
export class Sequential extends Block {
  constructor(opts: BlockOptions = {}) {
    super(opts);
  }

  /** Appends blocks. */
  add(...blocks: Block[]): this {
    for (const b of blocks) this.registerChild(b);
    return this;
  }

  override forward(x: Tensor, ...args: Tensor[]): Tensor {
    return runChildren(this.children.values(), x, args);
  }

  /** The i-th block (negative counts from the end). */
  at(i: number): Block {
    const list = [...this.children.values()];
    const b = list[i < 0 ? list.length + i : i];
    if (b === undefined) throw new IsotensorError(`${this.name}: index ${i} out of range (${list.length} blocks)`);
    return b;
  }

  get length(): number {
    return this.children.size;
  }

  override hybridize(active: boolean | CachedOpOptions = true, opts: CachedOpOptions = {}): void {
    [active, opts] = hybridizeArgs(active, opts, 'Sequential.hybridize');
    const kids = [...this.children.values()];
    if (active && kids.length > 0 && kids.every((c) => c instanceof HybridBlock)) {
      console.warn(`All children of this Sequential layer '${this.prefix}' are HybridBlocks. Consider using ` +
                   'HybridSequential for the best performance.');
    }
    super.hybridize(active, opts);
  }
}

/**
 * Stacks HybridBlocks; hybridize() runs the whole stack as one cached graph (MXNet's nn.HybridSequential).
 * @example
 * ```ts
 * const net = new gluon.nn.HybridSequential();
 * net.nameScope(() => net.add(new gluon.nn.Dense(64, { activation: 'relu' }), new gluon.nn.Dense(10)));
 * net.initialize(); net.hybridize();
 * ```
 */
export class HybridSequential extends HybridBlock {
  constructor(opts: BlockOptions = {}) {
    super(opts);
  }

  /** Appends blocks. */
  add(...blocks: Block[]): this {
    for (const b of blocks) {
      if (!(b instanceof HybridBlock)) {
        throw new IsotensorError(`${this.name}: children of a HybridSequential must be HybridBlocks, got ${b.className}`);
      }
      this.registerChild(b);
    }
    this.clearCache();
    return this;
  }

  override hybridForward(_F: F, x: Tensor, ...rest: Tensor[]): Tensor {
    rest.pop();  // this block's own (empty) parameters
    return runChildren(this.children.values(), x, rest);
  }

  /** The i-th block (negative counts from the end). */
  at(i: number): HybridBlock {
    const list = [...this.children.values()];
    const b = list[i < 0 ? list.length + i : i];
    if (b === undefined) throw new IsotensorError(`${this.name}: index ${i} out of range (${list.length} blocks)`);
    return b as HybridBlock;
  }

  get length(): number {
    return this.children.size;
  }
}

/** Options of Dense. */
export interface DenseOptions extends BlockOptions {
  /** Activation applied to the output ('relu', 'sigmoid', 'tanh', 'softrelu', 'softsign'). */
  activation?: 'relu' | 'sigmoid' | 'tanh' | 'softrelu' | 'softsign' | null;
  useBias?: boolean;
  /** Collapse all but the first axis of the input (default true). */
  flatten?: boolean;
  dtype?: DType | string;
  weightInitializer?: InitSpec | null;
  biasInitializer?: InitSpec | null;
  /** Input size; 0 (default) infers it at the first forward. */
  inUnits?: number;
}

/**
 * Fully connected layer: out = act(x . weight^T + bias); weight (units, inUnits), bias (units).
 * @example
 * ```ts
 * const d = new gluon.nn.Dense(10); d.initialize();
 * d.forward(nd.ones([2, 5])).shape // [2, 10]; d.weight.shape is now [10, 5]
 * ```
 */
export class Dense extends HybridBlock {
  readonly units: number;
  readonly flatten: boolean;
  weight: Parameter;
  bias: Parameter | null;
  act: Activation | null;

  constructor(units: number, opts: DenseOptions = {}) {
    opts = optionsOf(opts, 'Dense');
    super(opts);
    if (!Number.isInteger(units) || units <= 0) {
      throw new IsotensorError(`Dense: units must be a positive integer, got ${String(units)}`);
    }
    this.units = units;
    this.flatten = opts.flatten ?? true;
    const inUnits = opts.inUnits ?? 0;
    const dtype = opts.dtype ?? 'float32';
    [this.weight, this.bias, this.act] = this.nameScope(() => [
      this.params.get('weight', { shape: [units, inUnits], init: opts.weightInitializer ?? null, dtype,
                                  allowDeferredInit: true }),
      (opts.useBias ?? true)
        ? this.params.get('bias', { shape: [units], init: opts.biasInitializer ?? 'zeros', dtype, allowDeferredInit: true })
        : null,
      opts.activation ? new Activation(opts.activation, { prefix: `${opts.activation}_` }) : null,
    ] as const);
  }

  override hybridForward(F: F, x: Tensor, p: { weight: Tensor; bias?: Tensor | null }): Tensor {
    const out = F.FullyConnected(x, p.weight, p.bias ?? null, { noBias: p.bias === undefined || p.bias === null,
                                                               numHidden: this.units, flatten: this.flatten, name: 'fwd' });
    return this.act !== null ? this.act.forward(out) : out;
  }

  override toString(): string {
    const s = this.weight.shape ?? [this.units, 0];
    return `${this.className}(${s[1] ? s[1] : 'None'} -> ${s[0]}, ${this.act !== null ? this.act.toString() : 'linear'})`;
  }
}

/**
 * An activation function as a layer ('relu', 'sigmoid', 'tanh', 'softrelu', 'softsign'); its
 * automatic prefix is the activation's name (`relu0_`), as in MXNet.
 */
export class Activation extends HybridBlock {
  readonly actType: string;

  constructor(activation: 'relu' | 'sigmoid' | 'tanh' | 'softrelu' | 'softsign', opts: BlockOptions = {}) {
    opts = optionsOf(opts, 'Activation');
    expectString(activation, 'Activation', 'activation');
    super({ ...opts, aliasHint: activation } as BlockOptions);
    this.actType = activation;
  }

  override hybridForward(F: F, x: Tensor, _p: unknown): Tensor {
    return F.Activation(x, { actType: this.actType, name: 'fwd' });
  }

  override toString(): string {
    return `${this.className}(${this.actType})`;
  }
}

/** Options of Dropout. */
export interface DropoutOptions extends BlockOptions {
  /** Axes along which the same mask is shared (variational dropout). */
  axes?: readonly number[];
}

/**
 * Zeroes inputs with probability rate during training (autograd.record / trainMode) and scales
 * the rest by 1 / (1 - rate); the identity at inference.
 */
export class Dropout extends HybridBlock {
  readonly rate: number;
  readonly axes: readonly number[];

  constructor(rate: number, opts: DropoutOptions = {}) {
    opts = optionsOf(opts, 'Dropout');
    super(opts);
    if (!(typeof rate === 'number' && rate >= 0 && rate < 1)) throw new IsotensorError(`Dropout: argument 'rate' must be in [0, 1), got ${show(rate)}`);
    this.rate = rate;
    this.axes = opts.axes ?? [];
  }

  override hybridForward(F: F, x: Tensor, _p: unknown): Tensor {
    if (this.rate > 0) return F.Dropout(x, { p: this.rate, axes: this.axes, name: 'fwd', cudnnOff: false });
    return F._copy(x);
  }

  override toString(): string {
    return `${this.className}(p = ${this.rate}, axes=(${this.axes.join(', ')}))`;
  }
}

/** Flattens the input to (batch, rest). */
export class Flatten extends HybridBlock {
  constructor(opts: BlockOptions = {}) {
    super(opts);
  }

  override hybridForward(F: F, x: Tensor, _p: unknown): Tensor {
    return F.Flatten(x);
  }

  override toString(): string {
    return this.className;
  }
}
