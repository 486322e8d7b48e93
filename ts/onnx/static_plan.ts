// A session's fast path: the whole graph imported as one Symbol and bound once per set of input shapes,
// so a static model runs through the executor (per-channel Mul/Add folded into the BatchNorm before them,
// fused Conv(+BatchNorm)(+Add)(+Relu) and element-wise groups, planned memory) instead of node by node.
// SPDX-License-Identifier: Apache-2.0
import type { Context } from '../base/context.js';
import { invoke } from '../ndarray/invoke.js';
import { keep } from '../ndarray/lifetime.js';
import { NDArray } from '../ndarray/ndarray.js';
import type { Executor } from '../symbol/executor.js';
import { foldChannelAffine } from './fold_channel_affine.js';
import { tensorsIn } from './graph.js';
import { importLoaded, type KnownValues } from './import.js';
import type { LoadedModel } from './source.js';

export class StaticPlan {
  private constructor(private readonly ex: Executor, private readonly owned: NDArray[],
                      private readonly inputs: string[], readonly outputNames: string[]) {}

  /**
   * The model imported for these feeds' shapes and bound, on the session's `known` values; throws where
   * importModel does (a shape, axes or a condition that the graph computes from its inputs at run time).
   */
  static build(loaded: LoadedModel, feeds: ReadonlyMap<string, NDArray>, ctx: Context, known: KnownValues): StaticPlan {
    const inputShapes = Object.fromEntries([...feeds].map(([k, v]) => [k, v.shape]));
    // The session's initializers and once-computed constants serve as the parameters (not held twice).
    const imp = importLoaded(loaded, { inputShapes, ctx }, known);
    const shared = new Set([...known.values.values()].flatMap(tensorsIn));
    const owned = [...Object.values(imp.argParams), ...Object.values(imp.auxParams)].filter((a) => !shared.has(a));
    let sym = imp.sym;
    try {
      const folded = foldChannelAffine(sym, imp.argParams, inputShapes, ctx);
      if (folded) {
        owned.push(...Object.values(folded.created));
        sym.dispose();
        sym = folded.sym;
      }
      const used = new Set(sym.listArguments());
      const args: Record<string, NDArray> = {};
      for (const [k, v] of Object.entries({ ...imp.argParams, ...folded?.created })) if (used.has(k)) args[k] = v;
      const inputs: string[] = [];
      for (const [k, v] of feeds) {
        if (!used.has(k)) continue;
        // Bound buffers of the feed's shape and dtype; each run copies the feed in.
        const a = invoke('_zeros', [], { shape: v.shape, dtype: v.dtype, ctx: ctx.toString() })[0]!;
        owned.push(a);
        args[k] = a;
        inputs.push(k);
      }
      const ex = sym.bind(ctx, args, { auxStates: imp.auxParams, gradReq: 'null' });
      for (const a of owned) keep(a);
      return new StaticPlan(ex, owned, inputs, imp.outputNames);
    } catch (e) {
      for (const a of owned) if (!a.isDisposed) a.dispose();
      throw e;
    }
  }

  /** The outputs by name, as new arrays the caller owns. */
  run(feeds: ReadonlyMap<string, NDArray>): Record<string, NDArray> {
    const args: Record<string, NDArray | boolean> = { isTrain: false };
    for (const k of this.inputs) args[k] = feeds.get(k)!;
    const outs = this.ex.forward(args);
    const result: Record<string, NDArray> = {};
    this.outputNames.forEach((n, i) => { result[n] = outs[i]!.copy(); });
    return result;
  }

  dispose(): void {
    this.ex.dispose();
    for (const a of this.owned) if (!a.isDisposed) a.dispose();
  }
}

/**
 * Whether two runs' outputs agree: same shapes and dtypes, integers equal, floats within what fusing
 * Conv+BatchNorm or reordering sums changes (1e-3 relative, plus 1e-4 of the output's largest value).
 */
export function sameOutputs(a: Record<string, NDArray>, b: Record<string, NDArray>): boolean {
  for (const k of Object.keys(b)) {
    const x = a[k];
    const y = b[k];
    if (!(x instanceof NDArray) || !(y instanceof NDArray)) return false;
    if (x.dtype !== y.dtype || x.shape.join() !== y.shape.join()) return false;
    const u = x.dataSync() as ArrayLike<number | bigint>;
    const v = y.dataSync() as ArrayLike<number | bigint>;
    const float = y.dtype.includes('float');
    let scale = 0;
    if (float) for (let i = 0; i < v.length; i++) scale = Math.max(scale, Math.abs(Number(v[i])));
    for (let i = 0; i < v.length; i++) {
      const p = Number(u[i]);
      const q = Number(v[i]);
      if (p === q || (Number.isNaN(p) && Number.isNaN(q))) continue;
      if (!float || !(Math.abs(p - q) <= 1e-3 * Math.abs(q) + 1e-4 * scale)) return false;
    }
  }
  return true;
}
