// Context: where an array lives (cpu(n) or gpu(n)), and the current default context stack.
// SPDX-License-Identifier: Apache-2.0
import { expectFunction, IsotensorError, kindOf } from './error.js';

/** Device kinds, as in MXNet. */
export type DeviceType = 'cpu' | 'gpu' | 'cpu_pinned';

const TYPE_IDS: Readonly<Record<DeviceType, number>> = { cpu: 1, gpu: 2, cpu_pinned: 3 };
const TYPE_NAMES: Readonly<Record<number, DeviceType>> = { 1: 'cpu', 2: 'gpu', 3: 'cpu_pinned' };

/**
 * A device: `cpu(0)`, `gpu(2)`. Immutable; compare with `equals`.
 *
 * @example
 * ```ts
 * const ctx = new mx.Context('gpu', 1);
 * ctx.toString(); // 'gpu(1)'
 * ```
 */
export class Context {
  readonly deviceType: DeviceType;
  readonly deviceId: number;

  constructor(deviceType: DeviceType | Context | string, deviceId = 0) {
    if (deviceType instanceof Context) {
      this.deviceType = deviceType.deviceType;
      this.deviceId = deviceType.deviceId;
      return;
    }
    const m = typeof deviceType === 'string' ? /^(cpu|gpu|cpu_pinned)(?:\((\d+)\))?$/.exec(deviceType) : null;
    if (m === null) throw new IsotensorError(`invalid device type '${String(deviceType)}' (expected 'cpu' or 'gpu')`);
    if (!Number.isInteger(deviceId) || deviceId < 0) throw new IsotensorError(`invalid device id ${String(deviceId)}`);
    this.deviceType = m[1] as DeviceType;
    this.deviceId = m[2] !== undefined ? Number(m[2]) : deviceId;
  }

  /** MXNet's numeric device type: 1 cpu, 2 gpu, 3 cpu_pinned. */
  get deviceTypeId(): number {
    return TYPE_IDS[this.deviceType];
  }

  /** @example mx.gpu(2).toString() // 'gpu(2)' */
  toString(): string {
    return `${this.deviceType}(${this.deviceId})`;
  }

  /** Same device type and id. @example mx.cpu().equals(mx.cpu(0)) // true */
  equals(other: Context): boolean {
    return other.deviceType === this.deviceType && other.deviceId === this.deviceId;
  }

  /** @internal The Context of MXNet's numeric device type and id. */
  static fromIds(devType: number, devId: number): Context {
    const name = TYPE_NAMES[devType];
    if (name === undefined) throw new IsotensorError(`unknown device type id ${devType}`);
    return name === 'cpu' ? cpu(devId) : name === 'gpu' ? gpu(devId) : new Context(name, devId);
  }
}

const cpus: Context[] = [];
const gpus: Context[] = [];

/**
 * The CPU context.
 * @example mx.nd.zeros([2, 3], { ctx: mx.cpu() })
 */
export function cpu(deviceId = 0): Context {
  return (cpus[deviceId] ??= new Context('cpu', deviceId));
}

/**
 * The context of GPU `deviceId`. Creating arrays on it needs the native addon built with CUDA
 * and a visible device; otherwise that allocation throws an IsotensorError saying which is missing.
 * @example mx.nd.ones([2, 3], { ctx: mx.gpu(0) })
 */
export function gpu(deviceId = 0): Context {
  return (gpus[deviceId] ??= new Context('gpu', deviceId));
}

const stack: Context[] = [];
let baseContext: Context | undefined;

/** The default context of new arrays: `cpu(0)` unless inside `withContext`. @example mx.currentContext() // cpu(0) */
export function currentContext(): Context {
  return stack.length > 0 ? stack[stack.length - 1]! : (baseContext ?? cpu(0));
}

/**
 * Sets the context used outside every `withContext` (MXNet's `mx.Context.default_ctx = ...`);
 * returns the previous one. The device is checked when the first array is made on it.
 * @example mx.setDefaultContext(mx.gpu(0)); nd.ones([2]).context // gpu(0)
 */
export function setDefaultContext(ctx: Context | string): Context {
  const prev = baseContext ?? cpu(0);
  baseContext = toContext(ctx);
  return prev;
}

/**
 * Runs `fn` with `ctx` as the default context (MXNet's `with mx.gpu(0):`). When `fn` returns a
 * Promise the context stays current until it settles, so keep such async blocks sequential.
 * @example mx.withContext(mx.gpu(0), () => nd.ones([2, 3])) // on gpu(0)
 */
export function withContext<T>(ctx: Context, fn: () => T): T {
  // Checked before the push, so a bad call leaves the default context as it was.
  if (!(ctx instanceof Context)) throw new IsotensorError(`withContext: argument 'ctx' must be a Context, got ${kindOf(ctx)}`);
  expectFunction(fn, 'withContext', 'fn');
  stack.push(ctx);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    stack.pop();
    throw e;
  }
  if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
    const pop = (): void => {
      const i = stack.lastIndexOf(ctx);
      if (i >= 0) stack.splice(i, 1);
    };
    (result as unknown as Promise<unknown>).then(pop, pop);
    return result;
  }
  stack.pop();
  return result;
}

/** Accepts a Context or its string form ('cpu(0)', 'gpu'). */
export function toContext(c: Context | string | undefined | null): Context {
  if (c === undefined || c === null) return currentContext();
  if (c instanceof Context) return c;
  const ctx = new Context(c);
  return ctx.deviceType === 'cpu' ? cpu(ctx.deviceId) : ctx.deviceType === 'gpu' ? gpu(ctx.deviceId) : ctx;
}
