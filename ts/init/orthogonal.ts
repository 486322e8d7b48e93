// The Orthogonal initializer (MXNet's mx.init.Orthogonal): a random matrix with orthonormal rows or columns, scaled.
// SPDX-License-Identifier: Apache-2.0
import { IsotensorError, optionsOf } from '../base/error.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { normal, uniform } from '../ndarray/random.js';
import { Initializer, register, type InitDesc } from './initializer.js';

/**
 * Orthonormal columns of an m x n matrix (m >= n, row-major float64) by modified Gram-Schmidt,
 * run twice for accuracy. Signs follow a QR with a positive diagonal.
 */
function orthonormalColumns(a: Float64Array, m: number, n: number): Float64Array {
  const q = Float64Array.from(a);
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < n; j++) {
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let i = 0; i < m; i++) dot += q[i * n + k]! * q[i * n + j]!;
        for (let i = 0; i < m; i++) q[i * n + j]! -= dot * q[i * n + k]!;
      }
      let norm = 0;
      for (let i = 0; i < m; i++) norm += q[i * n + j]! ** 2;
      norm = Math.sqrt(norm);
      if (norm < 1e-12) throw new IsotensorError('Orthogonal: the random matrix is rank deficient; try again');
      for (let i = 0; i < m; i++) q[i * n + j]! /= norm;
    }
  }
  return q;
}

/**
 * Orthogonal initialization (Saxe et al. 2013): the weight, seen as (shape[0], rest), gets
 * orthonormal rows (or columns when shape[0] is larger) from a uniform or normal random matrix,
 * times scale. Random numbers come from mx.random (seedable).
 * @example new mx.init.Orthogonal({ scale: 1.414, randType: 'normal' })
 */
export class Orthogonal extends Initializer {
  static readonly initName: string = 'orthogonal';
  readonly scale: number;
  readonly randType: 'uniform' | 'normal';

  constructor(opts: { scale?: number; randType?: 'uniform' | 'normal'; rand_type?: 'uniform' | 'normal' } | number = {},
              randType?: 'uniform' | 'normal') {
    const o = typeof opts === 'number' ? { scale: opts, randType } : optionsOf(opts, 'Orthogonal');
    const scale = o.scale ?? 1.414;
    const rt = o.randType ?? o.rand_type ?? 'uniform';
    if (rt !== 'uniform' && rt !== 'normal') throw new IsotensorError(`Orthogonal: unknown randType '${String(rt)}'`);
    super({ scale, rand_type: rt });
    this.scale = scale;
    this.randType = rt;
  }

  initWeight(desc: InitDesc, arr: NDArray): void {
    const shape = arr.shape;
    if (shape.length < 2) {
      throw new IsotensorError(`Orthogonal initializer cannot be applied to vector ${desc.name}. It requires at least 2D.`);
    }
    const nout = shape[0]!;
    const nin = shape.slice(1).reduce((a, d) => a * d, 1);
    const opts = { shape: [nout, nin], ctx: arr.context, dtype: 'float32' as const };
    const tmp = this.randType === 'uniform' ? uniform({ low: -1, high: 1, ...opts }) : normal({ loc: 0, scale: 1, ...opts });
    const host = Float64Array.from(tmp.dataSync() as Float32Array);
    tmp.dispose();
    const res = new Float32Array(nout * nin);
    if (nout > nin) {
      const q = orthonormalColumns(host, nout, nin);
      for (let i = 0; i < q.length; i++) res[i] = this.scale * q[i]!;
    } else {
      // Orthonormal rows: columns of the transpose.
      const t = new Float64Array(nin * nout);
      for (let i = 0; i < nout; i++) for (let j = 0; j < nin; j++) t[j * nout + i] = host[i * nin + j]!;
      const q = orthonormalColumns(t, nin, nout);
      for (let i = 0; i < nout; i++) for (let j = 0; j < nin; j++) res[i * nin + j] = this.scale * q[j * nout + i]!;
    }
    arr.set(res);
  }
}

register(['orthogonal'], (o) => new Orthogonal(o as { scale?: number; randType?: 'uniform' | 'normal' }));
