// DataDesc: the name, shape, dtype and layout of one input of a data iterator (MXNet's mx.io.DataDesc).
// SPDX-License-Identifier: Apache-2.0
import { normalizeDType, type DType } from '../base/dtype.js';
import { IsotensorError } from '../base/error.js';

/** A `[name, shape]` pair, the short form MXNet accepts wherever a DataDesc is expected. */
export type DataShape = readonly [string, readonly number[]];

/**
 * Describes one array an iterator provides: `name`, `shape` (batch included), `dtype` and `layout`
 * (where 'N' marks the batch axis; default 'NCHW', i.e. axis 0).
 * @example new mx.io.DataDesc('data', [32, 64]).toString() // 'DataDesc[data,(32, 64),float32,NCHW]'
 */
export class DataDesc {
  readonly name: string;
  readonly shape: number[];
  readonly dtype: DType;
  readonly layout: string;

  constructor(name: string, shape: readonly number[], dtype: DType | string = 'float32', layout = 'NCHW') {
    if (typeof name !== 'string') throw new IsotensorError(`DataDesc: name must be a string, got ${typeof name}`);
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new IsotensorError(`DataDesc '${name}': shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    this.name = name;
    this.shape = [...shape];
    this.dtype = normalizeDType(dtype, 'DataDesc');
    this.layout = layout;
  }

  /** The batch axis of a layout: the position of 'N' (-1 when there is none; 0 for no layout). */
  static getBatchAxis(layout: string | null | undefined): number {
    if (layout === null || layout === undefined) return 0;
    return layout.indexOf('N');
  }

  /** DataDescs from `[name, shape]` pairs and optional `[name, dtype]` pairs (MXNet's get_list). */
  static getList(shapes: readonly DataShape[], types?: readonly (readonly [string, DType | string])[] | null): DataDesc[] {
    const typeOf = new Map(types ?? []);
    return shapes.map(([n, s]) => new DataDesc(n, s, typeOf.get(n) ?? 'float32'));
  }

  /** A DataDesc from a DataDesc, a `[name, shape]` pair or `{ name, shape, dtype?, layout? }`. */
  static from(x: DataDescLike): DataDesc {
    if (x instanceof DataDesc) return x;
    if (Array.isArray(x)) return new DataDesc(x[0] as string, x[1] as number[]);
    const o = x as { name: string; shape: readonly number[]; dtype?: DType | string; layout?: string };
    if (o !== null && typeof o === 'object' && typeof o.name === 'string') {
      return new DataDesc(o.name, o.shape, o.dtype, o.layout);
    }
    throw new IsotensorError(`expected a DataDesc, a [name, shape] pair or { name, shape }, got ${JSON.stringify(x)}`);
  }

  /** MXNet's repr: `DataDesc[name,(d0, d1),dtype,layout]`. */
  toString(): string {
    const s = this.shape.length === 1 ? `(${this.shape[0]},)` : `(${this.shape.join(', ')})`;
    return `DataDesc[${this.name},${s},${this.dtype},${this.layout}]`;
  }

  /** Same name, shape, dtype and layout. */
  equals(o: DataDesc): boolean {
    return o.name === this.name && o.dtype === this.dtype && o.layout === this.layout &&
      o.shape.length === this.shape.length && o.shape.every((d, i) => d === this.shape[i]);
  }
}

/** Anything DataDesc.from accepts. */
export type DataDescLike = DataDesc | DataShape | { name: string; shape: readonly number[]; dtype?: DType | string; layout?: string };
