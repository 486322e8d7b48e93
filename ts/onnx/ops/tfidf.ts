// ONNX TfIdfVectorizer (opset 9) on integer token ids, as a graph of registered ops (sessions and importModel).
// SPDX-License-Identifier: Apache-2.0
import type { DType } from '../../base/dtype.js';
import { converter, type NodeContext, type Value } from '../convert.js';

/** The pool's n-grams of one length that can count: their tokens and output coordinates. */
interface GramSet { n: number; tokens: number[][]; outIdx: number[] }

function required(c: NodeContext, v: number | undefined, name: string): number {
  return v ?? c.fail(`attribute ${name} is required`);
}

/**
 * The pool split by n-gram length the way onnx's reference (and onnxruntime) reads it: ngram_counts
 * gives each length's start, ids run over the whole pool (lengths outside [min, max] use ids too), and
 * a repeated n-gram keeps its last id.
 */
function gramSets(c: NodeContext, pool: readonly number[], counts: readonly number[], indexes: readonly number[],
                  minLen: number, maxLen: number, dtype: DType): GramSet[] {
  const sets: GramSet[] = [];
  let id = 0;
  for (let i = 0; i < counts.length; i++) {
    const n = i + 1;
    const start = counts[i]!;
    const end = i + 1 < counts.length ? counts[i + 1]! : pool.length;
    if (start < 0 || end > pool.length || end < start) c.fail(`ngram_counts ${JSON.stringify(counts)} do not fit pool_int64s (${pool.length} items)`);
    const num = Math.floor((end - start) / n);
    if (n < minLen || n > maxLen) { id += num; continue; }
    const byKey = new Map<string, { tokens: number[]; out: number }>();
    for (let k = 0; k < num; k++, id++) {
      if (id >= indexes.length) c.fail(`ngram_indexes has ${indexes.length} entries, fewer than the pool's n-grams`);
      const tokens = pool.slice(start + k * n, start + (k + 1) * n);
      // An int32 input never holds a token outside int32's range: such an n-gram cannot match.
      if (dtype === 'int32' && tokens.some((t) => t < -2147483648 || t > 2147483647)) continue;
      const key = tokens.join(',');
      byKey.delete(key);
      byKey.set(key, { tokens, out: indexes[id]! });
    }
    if (byKey.size > 0) {
      const vals = [...byKey.values()];
      sets.push({ n, tokens: vals.map((v) => v.tokens), outIdx: vals.map((v) => v.out) });
    }
  }
  return sets;
}

converter('TfIdfVectorizer', (c) => {
  if (c.hasAttr('pool_strings')) {
    c.fail('attribute pool_strings (string n-grams) is not supported, only integer token ids (pool_int64s): ' +
           'map tokens to integer ids first');
  }
  const pool = c.ints('pool_int64s') ?? c.fail('attribute pool_int64s is required (pool_strings is not supported)');
  const mode = c.string('mode') ?? c.fail('attribute mode is required');
  if (mode !== 'TF' && mode !== 'IDF' && mode !== 'TFIDF') c.fail(`mode '${mode}' is not one of TF, IDF, TFIDF`);
  const minLen = required(c, c.int('min_gram_length'), 'min_gram_length');
  const maxLen = required(c, c.int('max_gram_length'), 'max_gram_length');
  const maxSkip = required(c, c.int('max_skip_count'), 'max_skip_count');
  if (maxSkip < 0) c.fail(`max_skip_count ${maxSkip} is negative`);
  if (minLen > maxLen) c.fail(`min_gram_length ${minLen} is greater than max_gram_length ${maxLen}`);
  const counts = c.ints('ngram_counts') ?? c.fail('attribute ngram_counts is required');
  const indexes = c.ints('ngram_indexes') ?? c.fail('attribute ngram_indexes is required');
  if (indexes.length === 0) c.fail('ngram_indexes is empty');
  if (indexes.some((i) => i < 0)) c.fail('ngram_indexes has a negative entry');
  const outSize = Math.max(...indexes) + 1;
  const weights = c.floats('weights', []);
  // Weights scale output coordinates (as in onnx's reference and onnxruntime), so one per coordinate.
  if (mode !== 'TF' && weights.length > 0 && weights.length < outSize) {
    c.fail(`weights has ${weights.length} entries, fewer than the output's ${outSize} coordinates`);
  }

  const x = c.input(0);
  const dtype = c.dtype(x, 'X');
  if (dtype !== 'int32' && dtype !== 'int64') c.fail(`X is ${dtype}; integer token ids (int32 or int64) are expected`);
  const shape = c.shape(x, 'X');
  if (shape.length > 2) c.fail(`X has rank ${shape.length}; expected [C] or [N, C]`);
  const rows = shape.length === 2 ? shape[0]! : 1;
  const cols = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  const outShape = shape.length === 2 ? [rows, outSize] : [outSize];

  const sets = gramSets(c, pool, counts, indexes, minLen, maxLen, dtype);
  if (rows * cols === 0 || sets.length === 0) return c.op('_zeros', [], { shape: outShape, dtype: 'float32' });
  const x2 = shape.length === 2 ? x : c.op('Reshape', [x], { shape: [1, cols] });

  // Skip distance d = skip + 1. Unigrams do not depend on d: the reference counts them once, except
  // with min_gram_length 0, where its loop never retires them and counts them for every d.
  const distances = Array.from({ length: maxSkip + 1 }, (_, i) => i + 1);
  let freq: Value | undefined; // [rows, outSize] float32 counts
  for (const set of sets) {
    const k = set.tokens.length;
    const ds = set.n === 1 ? [1] : distances;
    const repeat = set.n === 1 && minLen < 1 ? distances.length : 1;
    let hits: Value | undefined; // [rows, k]: matches of each pool n-gram over all starts and distances
    for (const d of ds) {
      const starts = cols - (set.n - 1) * d;
      if (starts <= 0) continue;
      // Candidate n-grams start at j and take j, j+d, ..., j+(n-1)d: token t of every candidate is one
      // contiguous slice; a candidate matches a pool n-gram when all its tokens are equal.
      let match: Value | undefined; // [rows, starts, k] 0/1
      for (let t = 0; t < set.n; t++) {
        const col = c.op('expand_dims', [c.op('slice_axis', [x2], { axis: 1, begin: t * d, end: t * d + starts })], { axis: 2 });
        const want = c.constant(set.tokens.map((g) => g[t]!), [1, 1, k], dtype);
        const eq = c.cast(c.op('broadcast_equal', [col, want]), 'float32');
        match = match === undefined ? eq : c.op('elemwise_mul', [match, eq]);
      }
      const found = c.op('sum', [match!], { axis: 1 });
      hits = hits === undefined ? found : c.op('elemwise_add', [hits, found]);
    }
    if (hits === undefined) continue;
    // Scatter to output coordinates; several n-grams may share one, so this is a sum (a dot).
    const scatter = new Float32Array(k * outSize);
    set.outIdx.forEach((o, i) => { scatter[i * outSize + o] = repeat; });
    const part = c.op('dot', [hits, c.constant(scatter, [k, outSize], 'float32')]);
    freq = freq === undefined ? part : c.op('elemwise_add', [freq, part]);
  }
  if (freq === undefined) return c.op('_zeros', [], { shape: outShape, dtype: 'float32' });

  let y = freq;
  if (mode === 'IDF') y = c.op('_greater_scalar', [y], { scalar: 0 });
  if (mode !== 'TF' && weights.length > 0) {
    y = c.op('broadcast_mul', [y, c.constant(weights.slice(0, outSize), [1, outSize], 'float32')]);
  }
  return shape.length === 2 ? y : c.op('Reshape', [y], { shape: outShape });
}, 9);
