// Options every model-zoo network takes (classes, name prefix, pretrained weights) and their checks.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError } from '../../../base/error.js';
import type { BlockOptions } from '../../block.js';
import type { PretrainedOptions } from '../model_store.js';

/** Options of the model functions (`resnet18_v1(opts)`, `getModel(name, opts)`). */
export interface ModelOptions extends BlockOptions, PretrainedOptions {
  /** Number of output classes (default 1000). */
  classes?: number;
}

/** Only the Block's own options: the model-specific keys stay out of the Block constructor. */
export function blockOptions(opts: BlockOptions): BlockOptions {
  const out: BlockOptions = {};
  if (opts.prefix !== undefined) out.prefix = opts.prefix;
  if (opts.params !== undefined) out.params = opts.params;
  return out;
}

/** opts.classes, checked (default 1000). */
export function classesOf(opts: { classes?: number }, model: string): number {
  const c = opts.classes ?? 1000;
  if (!Number.isInteger(c) || c <= 0) throw new IsotensorError(`${model}: classes must be a positive integer, got ${String(c)}`);
  return c;
}
