// ONNX exports of MXNet's spatial ops: GridGenerator (affine, warp), BilinearSampler and SpatialTransformer on GridSample, ROIPooling on MaxRoiPool
// SPDX-License-Identifier: Apache-2.0
//
// MXNet's grids are (N, 2, H, W), x then y, normalised so -1 and 1 are the centres of the first and last
// pixel, and samples outside the image read 0: ONNX's GridSample with align_corners=1 and zeros padding,
// which takes its grid as (N, H, W, 2).
import type { DType } from '../base/dtype.js';
import { IsotensorError } from '../base/error.js';
import { ints, reshapeTo, scalarOf, type Exporter, type NodeExport } from './export_graph.js';

/** -1 + 2 i / (n - 1) for i < n, as MXNet places target pixels. */
const targetCoords = (n: number): number[] => Array.from({ length: n }, (_, i) => -1 + i * (2 / (n - 1)));

/** The affine grid (N, 2, H, W) of loc (N, 6): loc as (N, 2, 3) times the target pixels' (x, y, 1). */
function affineGrid(e: Exporter, out: string, loc: string, N: number, H: number, W: number, dt: DType, gridName: string, name?: string): void {
  const xs = targetCoords(W), ys = targetCoords(H);
  const base: number[] = [];
  for (const row of [0, 1, 2]) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) base.push(row === 0 ? xs[w]! : row === 1 ? ys[h]! : 1);
  const theta = e.fresh(`${out}_theta`);
  reshapeTo(e, loc, theta, [N, 2, 3]);
  const g = e.fresh(`${out}_grid_flat`);
  e.node('MatMul', [theta, e.constant(`${out}_base`, base, dt, [3, H * W])], [g]);
  reshapeTo(e, g, gridName, [N, 2, H, W], name);
}

/** data sampled at grid (N, 2, OH, OW). */
function sample(e: Exporter, out: string, data: string, grid: string, name: string): void {
  const g = e.fresh(`${out}_grid_nhwc`);
  e.node('Transpose', [grid], [g], [{ name: 'perm', ints: [0, 2, 3, 1] }]);
  e.node('GridSample', [data, g], [out], [
    { name: 'mode', s: 'bilinear' }, { name: 'padding_mode', s: 'zeros' }, { name: 'align_corners', i: 1 },
  ], name);
}

/** target_shape (H, W) with both sides above 1 (MXNet divides by W - 1 and H - 1). */
function targetShape(a: (k: string) => unknown, op: string): [number, number] {
  const [H, W] = ints(a('target_shape'));
  if (!(H! > 1 && W! > 1)) throw new IsotensorError(`onnx.exportModel: ${op} needs target_shape (H, W) with H, W > 1, got (${H}, ${W})`);
  return [H!, W!];
}

export const SPATIAL_EXPORTS: Readonly<Record<string, NodeExport>> = {
  GridGenerator: (e, n, ins, out, a, shapeOf, cx) => {
    const dt = cx.typeOf(ins[0]!);
    const s = shapeOf(ins[0]!);
    if (a('transform_type') === 'affine') {
      const [H, W] = targetShape(a, 'GridGenerator');
      affineGrid(e, out, ins[0]!, s[0]!, H, W, dt, out, n.name);
      return;
    }
    // warp: (flow + pixel position) / ((side - 1) / 2) - 1, x in channel 0, y in channel 1.
    const [, , H, W] = s as [number, number, number, number];
    const pix: number[] = [];
    for (const c of [0, 1]) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) pix.push(c === 0 ? w : h);
    const moved = e.fresh(`${out}_moved`);
    e.node('Add', [ins[0]!, e.constant(`${out}_pix`, pix, dt, [1, 2, H, W])], [moved]);
    const scaled = e.fresh(`${out}_scaled`);
    e.node('Div', [moved, e.constant(`${out}_half`, [(W - 1) / 2, (H - 1) / 2], dt, [1, 2, 1, 1])], [scaled]);
    e.node('Sub', [scaled, scalarOf(e, `${out}_one`, 1, dt)], [out], [], n.name);
  },
  BilinearSampler: (e, n, ins, out) => sample(e, out, ins[0]!, ins[1]!, n.name),
  // Max over each ROI's bins (rois rows are (batch index, x1, y1, x2, y2)), as ONNX's MaxRoiPool.
  ROIPooling: (e, n, ins, out, a) => e.node('MaxRoiPool', [ins[0]!, ins[1]!], [out], [
    { name: 'pooled_shape', ints: ints(a('pooled_size')) }, { name: 'spatial_scale', f: Number(a('spatial_scale')) },
  ], n.name),
  SpatialTransformer: (e, n, ins, out, a, shapeOf, cx) => {
    const [H, W] = targetShape(a, 'SpatialTransformer');
    const grid = e.fresh(`${out}_grid`);
    affineGrid(e, out, ins[1]!, shapeOf(ins[0]!)[0]!, H, W, cx.typeOf(ins[0]!), grid);
    sample(e, out, ins[0]!, grid, n.name);
  },
};
