// mx.operator: the registry as data (every op's inputs, params, gradient) and a generic invoke.
// SPDX-License-Identifier: Apache-2.0
import type { Backend } from '../backend/backend.js';
import { backend } from '../backend/runtime.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { invoke as invokeOp, type Attrs } from '../ndarray/invoke.js';

export interface OperatorParam {
  name: string;
  /** 'int' | 'long' | 'float' | 'double' | 'boolean' | 'string' | 'Shape(tuple)' | ... */
  type: string;
  default: string | null;
  required: boolean;
  doc: string;
}

export interface OperatorInfo {
  name: string;
  aliases: string[];
  doc: string;
  /** Fixed inputs, in order. */
  inputs: string[];
  /** Variadic inputs: their name and the param counting them. */
  variadic: { input: string; count: string } | null;
  /** Inputs MXNet lists only for some params (FullyConnected's bias unless noBias), in order. */
  optionalInputs: string[];
  outputs: string[];
  params: OperatorParam[];
  /** Creation ops take ctx/dtype instead of inputs. */
  creation: boolean;
  random: boolean;
  /** Has a registered gradient (autograd and Symbol backward can differentiate it). */
  differentiable: boolean;
  /** Devices with their own kernel, e.g. ['cpu', 'gpu']. */
  devices: string[];
  /**
   * How the op runs on a GPU: 'kernel' (a CUDA kernel), 'staged' (its CPU kernel, with the data
   * copied through host memory), or 'none' (this build has no CUDA: the WASM backend, or an
   * addon built without nvcc).
   */
  gpuPath: 'kernel' | 'staged' | 'none';
  /** Its GPU kernel is device-generic code that the CPU test runs check too (ISOTENSOR_GPU_KERNELS_ON_CPU). */
  gpuKernelOnCpu: boolean;
}

const cache = new WeakMap<Backend, OperatorInfo[]>();

/**
 * Every registered operator of the active backend (aliases listed on their op).
 * @example mx.operator.listOperators().filter((o) => o.differentiable).length
 */
export function listOperators(): OperatorInfo[] {
  const b = backend();
  let list = cache.get(b);
  if (list === undefined) {
    list = (JSON.parse(b.opListJSON()) as Array<OperatorInfo & { variadic?: OperatorInfo['variadic'] }>)
      .map((o) => ({ ...o, variadic: o.variadic ?? null }));
    cache.set(b, list);
  }
  return list.map((o) => ({ ...o }));
}

/** One operator's description by name or alias, or null. */
export function getOperator(name: string): OperatorInfo | null {
  return listOperators().find((o) => o.name === name || o.aliases.includes(name)) ?? null;
}

/**
 * Runs any registered operator by name with MXNet's attribute names (snake_case, or camelCase),
 * returning all visible outputs. `out` receives results in place.
 * @example mx.operator.invoke('broadcast_add', [a, b])[0]
 */
export function invoke(name: string, inputs: readonly NDArray[], params: Attrs | null = null,
                       out: NDArray | readonly NDArray[] | null = null): NDArray[] {
  return invokeOp(name, inputs, params, out);
}

/**
 * How often each operator ran since start-up, per dtype of its first input (ops that never ran
 * are absent). Ops run inside backward() count too.
 * @example mx.operator.callCounts()['Convolution'] // { float32: 12 }
 */
export function callCounts(): Record<string, Record<string, number>> {
  return JSON.parse(backend().opCallCountsJSON()) as Record<string, Record<string, number>>;
}
