// ONNX ai.onnx.ml operators on tensors: Binarizer, ArrayFeatureExtractor, Scaler, Normalizer, Imputer, linear models, tree ensembles.
// SPDX-License-Identifier: Apache-2.0
//
// Operators on strings and maps (ZipMap, string labels, ...) are not supported: isotensor has no
// string tensors. Tree ensembles are evaluated with ops, one tree level per step, so they run in
// sessions and in imported Symbol graphs alike (see forestLeaves).
import type { DType } from '../../base/dtype.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import { converter, numbersOf, type NodeContext, type Value } from '../convert.js';

const ML = 'ai.onnx.ml';

const isFloat = (d: DType): boolean => d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16';

/** The largest finite value of a float dtype (the fill of MIN/MAX aggregation, numpy's finfo.max). */
function floatMax(d: DType): number {
  return d === 'float64' ? Number.MAX_VALUE : d === 'float16' ? 65504 : 3.4028234663852886e38;
}

/** x as a float matrix: float64 stays, other types become float32; rank 1 is one row. */
function floatMatrix(c: NodeContext, x: Value, compute?: DType): Value {
  const rank = c.rank(x, 'X');
  if (rank !== 1 && rank !== 2) c.fail(`X must be of shape [N, F] or [F], got rank ${rank}`);
  const xf = c.cast(x, compute ?? (c.dtype(x, 'X') === 'float64' ? 'float64' : 'float32'));
  return rank === 1 ? c.op('Reshape', [xf], { shape: [1, -1] }) : xf;
}

/** The number of features (columns) of a matrix. */
function featureCount(c: NodeContext, x: Value): number {
  const s = c.shape(x, 'X');
  return s[s.length - 1]!;
}

/** A per-feature attribute of length 1 or F as a [1, F] constant (or [1, 1]). */
function perFeature(c: NodeContext, values: number[], f: number | undefined, name: string, dtype: DType): NDArray {
  if (values.length !== 1 && f !== undefined && values.length !== f) {
    c.fail(`${name} has ${values.length} values; it must have 1 or one per feature (${f})`);
  }
  return c.constant(values, [1, values.length], dtype);
}

/* ---- score transforms (linear models, tree ensembles) ---- */

const POST_TRANSFORMS = ['NONE', 'SOFTMAX', 'LOGISTIC', 'SOFTMAX_ZERO', 'PROBIT'] as const;
type PostTransform = typeof POST_TRANSFORMS[number];

/** The post_transform attribute: a string (legacy operators) or its index (TreeEnsemble). */
function postTransformOf(c: NodeContext, asInt: boolean): PostTransform {
  if (asInt) {
    const i = c.int('post_transform', 0);
    return POST_TRANSFORMS[i] ?? c.fail(`post_transform ${i} is not one of 0..4 (${POST_TRANSFORMS.join(', ')})`);
  }
  const s = c.string('post_transform', 'NONE');
  if (!(POST_TRANSFORMS as readonly string[]).includes(s)) c.fail(`post_transform '${s}' is not one of ${POST_TRANSFORMS.join(', ')}`);
  return s as PostTransform;
}

/** Scores [N, E] transformed row by row as onnx's ml reference does. */
function postTransform(c: NodeContext, s: Value, t: PostTransform): Value {
  switch (t) {
    case 'NONE': return s;
    case 'LOGISTIC': return c.op('sigmoid', [s]);
    case 'SOFTMAX': return c.op('softmax', [s], { axis: 1 });
    case 'SOFTMAX_ZERO': {
      // Softmax that keeps (near-)zero scores near zero: they are scaled by exp(-max), not exponentiated;
      // a row summing to 0 becomes 0.5 everywhere.
      const vmax = c.op('max', [s], { axis: 1, keepdims: true });
      const nonZero = c.op('_greater_scalar', [c.op('abs', [s])], { scalar: 1e-7 });
      const e = c.op('where', [nonZero, c.op('exp', [c.op('broadcast_sub', [s, vmax])]),
                               c.op('broadcast_mul', [s, c.op('exp', [c.op('negative', [vmax])])])]);
      const sum = c.op('sum', [e], { axis: 1, keepdims: true });
      const zeroSum = c.op('_equal_scalar', [sum], { scalar: 0 });
      const ratio = c.op('broadcast_div', [e, c.op('broadcast_add', [sum, zeroSum])]);
      return c.op('where', [c.op('broadcast_like', [zeroSum, e]), c.op('_plus_scalar', [c.op('zeros_like', [e])], { scalar: 0.5 }), ratio]);
    }
    case 'PROBIT': return probit(c, s);
  }
}

/**
 * sqrt(2) * erfinv(2p - 1) with the closed-form erfinv approximation (a = 0.147) onnx's reference and
 * onnxruntime use, so scores match theirs rather than the exact inverse.
 */
function probit(c: NodeContext, p: Value): Value {
  const a = 0.147;
  const x = c.op('_minus_scalar', [c.op('_mul_scalar', [p], { scalar: 2 })], { scalar: 1 });
  const y = c.op('broadcast_mul', [c.op('_rminus_scalar', [x], { scalar: 1 }), c.op('_plus_scalar', [x], { scalar: 1 })]);
  const logY = c.op('log', [y]);
  const v = c.op('_plus_scalar', [c.op('_mul_scalar', [logY], { scalar: 0.5 })], { scalar: 2 / (Math.PI * a) });
  const v2 = c.op('_div_scalar', [logY], { scalar: a });
  const v3 = c.op('broadcast_add', [c.op('negative', [v]), c.op('sqrt', [c.op('broadcast_sub', [c.op('square', [v]), v2])])]);
  // sign: -1 below 0, else 1
  const sign = c.op('_rminus_scalar', [c.op('_mul_scalar', [c.op('_lesser_scalar', [x], { scalar: 0 })], { scalar: 2 })], { scalar: 1 });
  const erfinv = c.op('broadcast_mul', [sign, c.op('sqrt', [v3])]);
  // The approximation is 0 where (1 - x)(1 + x) is 0 (its log would give NaN).
  const at0 = c.op('_equal_scalar', [y], { scalar: 0 });
  return c.op('_mul_scalar', [c.op('where', [at0, c.op('zeros_like', [y]), erfinv])], { scalar: 1.41421356 });
}

/* ---- simple transforms ---- */

converter('Binarizer', (c) => {
  const x = c.input(0);
  const y = c.op('_greater_scalar', [x], { scalar: c.float('threshold', 0) });
  return c.cast(y, c.dtype(x, 'X'));
}, 1, ML);

converter('ArrayFeatureExtractor', (c) => {
  const x = c.input(0);
  const idx = c.input(1);
  const rank = c.rank(x, 'X');
  if (c.isKnown(idx)) {
    const n = c.shapeIfKnown(x)?.[rank - 1];
    for (const i of numbersOf(idx)) {
      if (i < 0 || (n !== undefined && i >= n)) c.fail(`index ${i} is out of range for the last axis of X${n !== undefined ? ` (size ${n})` : ''}`);
    }
  }
  // The indices apply to the last axis, flattened; a vector X gives one row (onnxruntime's shape).
  const y = c.op('take', [x, c.op('Reshape', [idx], { shape: [-1] })], { axis: rank - 1, mode: 'raise' });
  return rank === 1 ? c.op('Reshape', [y], { shape: [1, -1] }) : y;
}, 1, ML);

converter('Scaler', (c) => {
  const x = c.input(0);
  const f = featureCount(c, x);
  const offset = perFeature(c, c.floats('offset', [0]), f, 'offset', 'float64');
  const scale = perFeature(c, c.floats('scale', [1]), f, 'scale', 'float64');
  // Computed in float64 as onnx's reference does with its float64 attributes; the output is float.
  const y = c.op('broadcast_mul', [c.op('broadcast_sub', [c.cast(x, 'float64'), offset]), scale]);
  return c.cast(c.rank(x) === 1 ? c.op('Reshape', [y], { shape: [-1] }) : y, 'float32');
}, 1, ML);

converter('Normalizer', (c) => {
  const x = c.input(0);
  const norm = c.string('norm', 'MAX');
  const dt = c.dtype(x, 'X');
  const xf = floatMatrix(c, x, dt === 'float32' || dt === 'float16' ? 'float32' : 'float64');
  let div: Value;
  if (norm === 'MAX') div = c.op('max', [c.op('abs', [xf])], { axis: 1, keepdims: true });
  else if (norm === 'L1') div = c.op('sum', [c.op('abs', [xf])], { axis: 1, keepdims: true });
  else if (norm === 'L2') div = c.op('sqrt', [c.op('sum', [c.op('square', [xf])], { axis: 1, keepdims: true })]);
  else return c.fail(`norm '${norm}' is not one of MAX, L1, L2`);
  // A zero row stays zero: the divisor is at least 1e-30.
  const y = c.op('broadcast_div', [xf, c.op('_maximum_scalar', [div], { scalar: 1e-30 })]);
  return c.cast(c.rank(x) === 1 ? c.op('Reshape', [y], { shape: [-1] }) : y, 'float32');
}, 1, ML);

converter('Imputer', (c) => {
  const x = c.input(0);
  const dt = c.dtype(x, 'X');
  const floats = c.floats('imputed_value_floats', []);
  const ints = c.ints('imputed_value_int64s', []);
  const float = isFloat(dt);
  if (float ? floats.length === 0 : ints.length === 0) {
    c.fail(`X is ${dt}: imputed_value_${float ? 'floats' : 'int64s'} must be given`);
  }
  const rank = c.rank(x, 'X');
  const f = c.shapeIfKnown(x)?.[rank - 1];
  const values = perFeature(c, float ? floats : ints, f, float ? 'imputed_value_floats' : 'imputed_value_int64s', dt);
  const replaced = float ? c.float('replaced_value_float', 0) : c.int('replaced_value_int64', 0);
  const hit = Number.isNaN(replaced) ? c.cast(c.op('isnan', [x]), dt) : c.op('_equal_scalar', [x], { scalar: replaced });
  const shaped = rank === 1 ? c.op('Reshape', [values], { shape: [-1] }) : values;
  return c.op('where', [hit, c.op('broadcast_like', [shaped, x]), x]);
}, 1, ML);

/* ---- linear models ---- */

/** x [N, F] . coefficients ([E, F] row-major) + intercepts: scores [N, E] in x's float type. */
function linearScores(c: NodeContext, x: Value, coefficients: number[], intercepts: number[], what: string): { scores: Value; e: number } {
  const f = featureCount(c, x);
  if (coefficients.length === 0 || coefficients.length % f !== 0) {
    c.fail(`${coefficients.length} coefficients do not make whole rows of ${f} features (one per ${what})`);
  }
  const e = coefficients.length / f;
  const dt = c.dtype(x);
  let s = c.op('dot', [x, c.constant(coefficients, [e, f], dt)], { transpose_b: true });
  if (intercepts.length > 0) {
    if (intercepts.length !== e && intercepts.length !== 1) c.fail(`${intercepts.length} intercepts for ${e} ${what}s`);
    s = c.op('broadcast_add', [s, c.constant(intercepts, [1, intercepts.length], dt)]);
  }
  return { scores: s, e };
}

converter('LinearRegressor', (c) => {
  const x = floatMatrix(c, c.input(0));
  const targets = c.int('targets', 1);
  const { scores, e } = linearScores(c, x, c.floats('coefficients', []), c.floats('intercepts', []), 'target');
  if (e !== targets) c.fail(`coefficients give ${e} targets, targets is ${targets}`);
  return c.cast(postTransform(c, scores, postTransformOf(c, false)), 'float32');
}, 1, ML);

/** Integer class labels, or a clear error for string ones. */
function intLabels(c: NodeContext, name: string, stringName: string): number[] | undefined {
  if (c.hasAttr(stringName)) c.fail(`${stringName}: string class labels are not supported (isotensor has no string tensors); use ${name}`);
  return c.ints(name);
}

/** Labels: classLabels[argmax(scores)], or the argmax itself without labels; int64 [N]. */
function argmaxLabels(c: NodeContext, scores: Value, classLabels: number[] | undefined): Value {
  const best = c.op('argmax', [scores], { axis: 1 });
  if (classLabels === undefined) return c.cast(best, 'int64');
  return c.op('take', [c.constant(classLabels, [classLabels.length], 'int64'), c.cast(best, 'int32')], { axis: 0, mode: 'clip' });
}

converter('LinearClassifier', (c) => {
  const x = floatMatrix(c, c.input(0));
  const labels = intLabels(c, 'classlabels_ints', 'classlabels_strings');
  const post = postTransformOf(c, false);
  let { scores, e } = linearScores(c, x, c.floats('coefficients', []), c.floats('intercepts', []), 'class');
  if (labels !== undefined && e !== labels.length && !(e === 1 && labels.length <= 2)) {
    c.fail(`coefficients give ${e} classes, classlabels_ints has ${labels.length}`);
  }
  // One score for two classes: the scores become [-s, s].
  if (e === 1 && labels?.length === 2) {
    scores = c.op('Concat', [c.op('negative', [scores]), scores], { dim: 1, num_args: 2 });
    e = 2;
  }
  const z = c.cast(postTransform(c, scores, post), 'float32');
  if (e > 1) return [argmaxLabels(c, z, labels), z];
  // One class: the positive label where the score reaches the threshold, else 0.
  const hit = c.op('_greater_equal_scalar', [z], { scalar: post === 'NONE' ? 0 : 0.5 });
  const y = c.op('Reshape', [c.op('_mul_scalar', [hit], { scalar: labels?.[0] ?? 1 })], { shape: [-1] });
  return [c.cast(y, 'int64'), z];
}, 1, ML);

/* ---- tree ensembles ---- */

// Branch rules, numbered as TreeEnsemble's nodes_modes.
const MODES = ['BRANCH_LEQ', 'BRANCH_LT', 'BRANCH_GTE', 'BRANCH_GT', 'BRANCH_EQ', 'BRANCH_NEQ', 'BRANCH_MEMBER'] as const;
const MEMBER = 6;
const COMPARE_OPS = ['broadcast_lesser_equal', 'broadcast_lesser', 'broadcast_greater_equal', 'broadcast_greater', 'broadcast_equal', 'broadcast_not_equal'];

/**
 * A forest in one table of slots: interior nodes, then leaves. Each slot has a feature, threshold and
 * rule, and the slots to go to when its test is true or false; a leaf goes to itself, so extra steps
 * past a leaf keep it. `leafValues` gives each slot's contribution to every target ([slots, targets],
 * rows of interior slots unused).
 */
interface Forest {
  feature: number[]; threshold: number[]; mode: number[]; missingTrue: number[];
  trueNext: number[]; falseNext: number[];
  /** BRANCH_MEMBER sets: slot, member value. */
  members: { slot: number; value: number }[];
  roots: number[];
  leafValues: number[];
  targets: number;
  /** NaN follows missingTrue (legacy operators), rather than making the comparison (TreeEnsemble). */
  nanOverrides: boolean;
}

/** The most interior steps from a root to a leaf over all trees (cycles are an error). */
function forestDepth(c: NodeContext, f: Forest): number {
  const memo = new Map<number, number>();
  const onPath = new Set<number>();
  const depth = (s: number): number => {
    if (f.trueNext[s] === s && f.falseNext[s] === s) return 0;
    const known = memo.get(s);
    if (known !== undefined) return known;
    if (onPath.has(s)) c.fail('the tree structure has a cycle');
    onPath.add(s);
    const d = 1 + Math.max(depth(f.trueNext[s]!), depth(f.falseNext[s]!));
    onPath.delete(s);
    memo.set(s, d);
    return d;
  };
  return Math.max(1, ...f.roots.map(depth));
}

/**
 * Per-tree leaf contributions [N, trees, targets] for x [N, F]. Every node's test is computed for all
 * rows at once ([N, slots]); then each step moves every (row, tree) cursor to its true or false child,
 * as many steps as the deepest tree has levels.
 */
function forestLeaves(c: NodeContext, x: Value, f: Forest): Value {
  const dt = c.dtype(x);
  const slots = f.feature.length;
  const nFeatures = c.shapeIfKnown(x)?.[1] ?? Infinity;
  const badFeature = f.feature.find((i) => i < 0 || i >= nFeatures);
  if (badFeature !== undefined) c.fail(`a node tests feature ${badFeature}, but X has ${nFeatures} features`);
  const row = (v: number[], d: DType = dt) => c.constant(v, [1, v.length], d);
  const xs = c.op('take', [x, c.constant(f.feature, [slots], 'int32')], { axis: 1, mode: 'clip' });
  const modes = [...new Set(f.mode)];
  let test: Value | undefined;
  for (const m of modes) {
    let t: Value;
    if (m === MEMBER && f.members.length === 0) {
      t = c.op('zeros_like', [xs]); // empty sets: never true
    } else if (m === MEMBER) {
      // x in set: any member equal. Member hits are counted per member node ([members, member nodes]
      // incidence), then spread to the slots, non-member slots reading an appended zero column.
      const k = f.members.length;
      const memberSlots = [...new Set(f.members.map((e) => e.slot))];
      const column = new Map(memberSlots.map((sl, j) => [sl, j]));
      const xm = c.op('take', [x, c.constant(f.members.map((e) => f.feature[e.slot]!), [k], 'int32')], { axis: 1, mode: 'clip' });
      const eq = c.op('broadcast_equal', [xm, row(f.members.map((e) => e.value))]);
      const incidence = new Array<number>(k * memberSlots.length).fill(0);
      f.members.forEach((e, i) => { incidence[i * memberSlots.length + column.get(e.slot)!] = 1; });
      const hits = c.op('_greater_scalar', [c.op('dot', [eq, c.constant(incidence, [k, memberSlots.length], dt)])], { scalar: 0 });
      const zero = c.op('slice_axis', [c.op('zeros_like', [xs])], { axis: 1, begin: 0, end: 1 });
      const padded = c.op('Concat', [hits, zero], { dim: 1, num_args: 2 });
      const spread = Array.from({ length: slots }, (_, sl) => column.get(sl) ?? memberSlots.length);
      t = c.op('take', [padded, c.constant(spread, [slots], 'int32')], { axis: 1, mode: 'clip' });
    } else {
      t = c.op(COMPARE_OPS[m]!, [xs, row(f.threshold)]);
    }
    if (modes.length > 1) t = c.op('broadcast_mul', [t, row(f.mode.map((mm) => (mm === m ? 1 : 0)))]);
    test = test === undefined ? t : c.op('broadcast_add', [test, t]);
  }
  let goesTrue = test!;
  const anyMissingTrue = f.missingTrue.some((v) => v !== 0);
  if (f.nanOverrides || anyMissingTrue) {
    const nan = c.cast(c.op('isnan', [xs]), dt);
    const nanTrue = c.op('broadcast_mul', [nan, row(f.missingTrue)]);
    goesTrue = f.nanOverrides
      ? c.op('broadcast_add', [c.op('broadcast_mul', [goesTrue, c.op('_rminus_scalar', [nan], { scalar: 1 })]), nanTrue])
      : c.op('broadcast_maximum', [goesTrue, nanTrue]);
  }
  // Cursors are float32 slot numbers (exact below 2^24).
  if (slots >= 2 ** 24) c.fail(`the forest has ${slots} nodes and leaves; at most 2^24 are supported`);
  const step = f.trueNext.map((t, i) => t - f.falseNext[i]!);
  const falseNext = c.constant(f.falseNext, [slots], 'float32');
  const stepTable = c.constant(step, [slots], 'float32');
  const trees = f.roots.length;
  // First step from the (constant) roots, then from each cursor.
  const atRoots = c.cast(c.op('take', [goesTrue, c.constant(f.roots, [trees], 'int32')], { axis: 1, mode: 'clip' }), 'float32');
  let cur = c.op('broadcast_add', [c.constant(f.roots.map((r) => f.falseNext[r]!), [1, trees], 'float32'),
                                   c.op('broadcast_mul', [atRoots, c.constant(f.roots.map((r) => step[r]!), [1, trees], 'float32')])]);
  const depth = forestDepth(c, f);
  for (let d = 1; d < depth; d++) {
    const idx = c.cast(cur, 'int32');
    const g = c.cast(c.op('_take_along_axis', [goesTrue, idx], { axis: 1 }), 'float32');
    cur = c.op('broadcast_add', [c.op('take', [falseNext, idx], { axis: 0, mode: 'clip' }),
                                 c.op('broadcast_mul', [g, c.op('take', [stepTable, idx], { axis: 0, mode: 'clip' })])]);
  }
  const table = c.constant(f.leafValues, [slots, f.targets], dt);
  return c.op('take', [table, c.cast(cur, 'int32')], { axis: 0, mode: 'clip' });
}

type Aggregate = 'AVERAGE' | 'SUM' | 'MIN' | 'MAX';

/** Leaf values [N, trees, targets] combined over the trees: [N, targets]. */
function aggregate(c: NodeContext, leaves: Value, agg: Aggregate, trees: number): Value {
  if (agg === 'MIN') return c.op('min', [leaves], { axis: 1 });
  if (agg === 'MAX') return c.op('max', [leaves], { axis: 1 });
  const s = c.op('sum', [leaves], { axis: 1 });
  return agg === 'AVERAGE' ? c.op('_div_scalar', [s], { scalar: trees }) : s;
}

/** A leaf value table [slots, targets]: 0 (SUM, AVERAGE) or the type's extreme (MIN, MAX) where no vote lands. */
function leafTable(slots: number, targets: number, agg: Aggregate, dt: DType): number[] {
  const fill = agg === 'MIN' ? floatMax(dt) : agg === 'MAX' ? -floatMax(dt) : 0;
  return new Array<number>(slots * targets).fill(fill);
}

/** Adds one vote to a leaf's value for a target, combined as the aggregate does. */
function vote(table: number[], at: number, w: number, agg: Aggregate, fresh: Set<number>): void {
  if (agg === 'SUM' || agg === 'AVERAGE') table[at] = table[at]! + w;
  else if (!fresh.has(at)) { table[at] = w; fresh.add(at); }
  else table[at] = agg === 'MIN' ? Math.min(table[at]!, w) : Math.max(table[at]!, w);
}

/** The dtype tests are made in: float64 for float64 input or float64 thresholds, else float32. */
function computeType(c: NodeContext, x: Value, thresholdsDouble: boolean): DType {
  return c.dtype(x, 'X') === 'float64' || thresholdsDouble ? 'float64' : 'float32';
}

/** A tensor attribute's values, checked for length. */
function tensorValues(c: NodeContext, name: string, n?: number): number[] | undefined {
  const t = c.tensorAttr(name);
  if (t === undefined) return undefined;
  const v = numbersOf(t);
  if (n !== undefined && v.length !== n) c.fail(`${name} has ${v.length} values, expected ${n}`);
  return v;
}

/**
 * Int attribute `name`, one value per tree node (`n`, the length of `countName`); required unless a
 * default fill is given.
 */
function nodeInts(c: NodeContext, name: string, n: number, countName: string, fill?: number): number[] {
  const v = c.ints(name) ?? (fill !== undefined ? new Array<number>(n).fill(fill) : c.fail(`${name} is required`));
  if (v.length !== n) c.fail(`${name} has ${v.length} values, ${countName} ${n}`);
  return v;
}

converter('TreeEnsemble', (c) => {
  const featureIds = c.ints('nodes_featureids') ?? c.fail('nodes_featureids is required');
  const m = featureIds.length;
  const need = (name: string, fill?: number): number[] => nodeInts(c, name, m, 'nodes_featureids', fill);
  const trueIds = need('nodes_truenodeids');
  const falseIds = need('nodes_falsenodeids');
  const trueLeaf = need('nodes_trueleafs');
  const falseLeaf = need('nodes_falseleafs');
  const modes = tensorValues(c, 'nodes_modes', m) ?? c.fail('nodes_modes is required');
  // Decoded once: its dtype picks the compute type below.
  const splitsT = c.tensorAttr('nodes_splits') ?? c.fail('nodes_splits is required');
  const splits = numbersOf(splitsT);
  if (splits.length !== m) c.fail(`nodes_splits has ${splits.length} values, expected ${m}`);
  const missing = need('nodes_missing_value_tracks_true', 0);
  const leafTargets = c.ints('leaf_targetids') ?? c.fail('leaf_targetids is required');
  const leafWeights = tensorValues(c, 'leaf_weights', leafTargets.length) ?? c.fail('leaf_weights is required');
  const roots = c.ints('tree_roots') ?? c.fail('tree_roots is required');
  const nTargets = c.int('n_targets') ?? Math.max(0, ...leafTargets) + 1;
  const aggCode = c.int('aggregate_function', 1);
  const agg = (['AVERAGE', 'SUM', 'MIN', 'MAX'] as const)[aggCode] ?? c.fail(`aggregate_function ${aggCode} is not one of 0..3 (AVERAGE, SUM, MIN, MAX)`);
  const post = postTransformOf(c, true);

  const xIn = c.input(0);
  const outType = c.dtype(xIn, 'X');
  if (!isFloat(outType)) c.fail(`X is ${outType}; TreeEnsemble takes float16, float32 or float64`);
  const dt = computeType(c, xIn, splitsT.dtype === 'float64');
  const x = floatMatrix(c, xIn, dt);

  // A one-leaf tree (a node whose branches both name the leaf) needs no special case: either branch reaches it.
  const l = leafTargets.length;
  const slots = m + l;
  const child = (id: number, leaf: number, what: string): number => {
    const limit = leaf !== 0 ? l : m;
    if (id < 0 || id >= limit) c.fail(`${what} ${id} is out of range (${leaf !== 0 ? 'leaves' : 'nodes'}: ${limit})`);
    return leaf !== 0 ? m + id : id;
  };
  const f: Forest = {
    feature: [...featureIds, ...new Array<number>(l).fill(0)],
    threshold: [...splits.map((v) => (Number.isNaN(v) ? 0 : v)), ...new Array<number>(l).fill(0)],
    mode: [...modes, ...new Array<number>(l).fill(modes[0] ?? 0)],
    missingTrue: [...missing, ...new Array<number>(l).fill(0)],
    trueNext: [...trueIds.map((id, i) => child(id, trueLeaf[i]!, 'nodes_truenodeids')), ...Array.from({ length: l }, (_, j) => m + j)],
    falseNext: [...falseIds.map((id, i) => child(id, falseLeaf[i]!, 'nodes_falsenodeids')), ...Array.from({ length: l }, (_, j) => m + j)],
    members: [], roots, targets: nTargets, nanOverrides: false,
    leafValues: leafTable(slots, nTargets, agg, outType),
  };
  for (const md of modes) if (!(md >= 0 && md <= MEMBER)) c.fail(`nodes_modes value ${md} is not one of 0..6 (${MODES.join(', ')})`);
  for (const r of roots) if (r < 0 || r >= m) c.fail(`tree_roots entry ${r} is out of range (nodes: ${m})`);
  // Members: one NaN-terminated run per BRANCH_MEMBER node, in node order.
  const memberNodes = modes.flatMap((md, i) => (md === MEMBER ? [i] : []));
  if (memberNodes.length > 0) {
    const values = tensorValues(c, 'membership_values') ?? c.fail('membership_values is required with BRANCH_MEMBER nodes');
    // The last set's NaN may be left out.
    const sets = values.filter(Number.isNaN).length + (values.length > 0 && !Number.isNaN(values[values.length - 1]!) ? 1 : 0);
    if (sets !== memberNodes.length) c.fail(`membership_values has ${sets} sets for ${memberNodes.length} BRANCH_MEMBER nodes`);
    let node = 0;
    for (const v of values) {
      if (Number.isNaN(v)) node++;
      else f.members.push({ slot: memberNodes[node]!, value: v });
    }
  }
  const fresh = new Set<number>();
  leafTargets.forEach((t, j) => {
    if (t < 0 || t >= nTargets) c.fail(`leaf_targetids entry ${t} is out of range (n_targets ${nTargets})`);
    vote(f.leafValues, (m + j) * nTargets + t, leafWeights[j]!, agg, fresh);
  });
  const y = aggregate(c, forestLeaves(c, x, f), agg, roots.length);
  return c.cast(postTransform(c, y, post), outType);
}, 5, ML);

/** The legacy (TreeEnsembleRegressor/Classifier) node attributes as a Forest without leaf values. */
interface LegacyForest { forest: Forest; slotOf: Map<string, number>; leafSlot: Set<number>; trees: number }

function legacyForest(c: NodeContext): LegacyForest {
  const treeIds = c.ints('nodes_treeids') ?? c.fail('nodes_treeids is required');
  const n = treeIds.length;
  const need = (name: string, fill?: number): number[] => nodeInts(c, name, n, 'nodes_treeids', fill);
  const nodeIds = need('nodes_nodeids');
  const featureIds = need('nodes_featureids');
  const trueIds = need('nodes_truenodeids');
  const falseIds = need('nodes_falsenodeids');
  const modeNames = c.strings('nodes_modes') ?? c.fail('nodes_modes is required');
  if (modeNames.length !== n) c.fail(`nodes_modes has ${modeNames.length} values, nodes_treeids ${n}`);
  const values = c.hasAttr('nodes_values_as_tensor') ? tensorValues(c, 'nodes_values_as_tensor', n)! : c.floats('nodes_values', new Array<number>(n).fill(0));
  if (values.length !== n) c.fail(`nodes_values has ${values.length} values, nodes_treeids ${n}`);
  const missing = need('nodes_missing_value_tracks_true', 0);

  const key = (t: number, id: number): string => `${t}:${id}`;
  const slotOf = new Map<string, number>();
  treeIds.forEach((t, i) => {
    if (slotOf.has(key(t, nodeIds[i]!))) c.fail(`node ${nodeIds[i]} of tree ${t} appears twice`);
    slotOf.set(key(t, nodeIds[i]!), i);
  });
  const leafSlot = new Set<number>();
  const mode = modeNames.map((s, i) => {
    if (s === 'LEAF') { leafSlot.add(i); return -1; }
    const md = MODES.indexOf(s as typeof MODES[number]);
    if (md < 0 || md === MEMBER) c.fail(`nodes_modes value '${s}' is not one of ${[...MODES.slice(0, MEMBER), 'LEAF'].join(', ')}`);
    return md;
  });
  // Leaves never test: they take an interior node's rule, so that no rule is computed for them alone.
  const leafMode = Math.max(0, mode.find((md) => md >= 0) ?? 0);
  for (const i of leafSlot) mode[i] = leafMode;
  const next = (ids: number[], what: string): number[] => ids.map((id, i) => {
    if (leafSlot.has(i)) return i;
    return slotOf.get(key(treeIds[i]!, id)) ?? c.fail(`${what}: node ${id} of tree ${treeIds[i]} does not exist`);
  });
  // Each tree's root is its first node.
  const roots = new Map<number, number>();
  treeIds.forEach((t, i) => { if (!roots.has(t)) roots.set(t, i); });
  const f: Forest = {
    feature: featureIds.map((v, i) => (leafSlot.has(i) ? 0 : v)), threshold: values, mode, missingTrue: missing,
    trueNext: next(trueIds, 'nodes_truenodeids'), falseNext: next(falseIds, 'nodes_falsenodeids'),
    members: [], roots: [...roots.keys()].sort((a, b) => a - b).map((t) => roots.get(t)!),
    leafValues: [], targets: 0, nanOverrides: true,
  };
  return { forest: f, slotOf, leafSlot, trees: roots.size };
}

/** Votes (tree id, node id, target, weight) into the forest's leaf value table. */
function legacyVotes(c: NodeContext, lf: LegacyForest, prefix: 'target' | 'class', targets: number, agg: Aggregate, dt: DType): void {
  const treeIds = c.ints(`${prefix}_treeids`) ?? [];
  const nodeIds = c.ints(`${prefix}_nodeids`) ?? [];
  const ids = c.ints(`${prefix}_ids`) ?? [];
  const weights = c.hasAttr(`${prefix}_weights_as_tensor`) ? tensorValues(c, `${prefix}_weights_as_tensor`)! : c.floats(`${prefix}_weights`, []);
  if (nodeIds.length !== treeIds.length || ids.length !== treeIds.length || weights.length !== treeIds.length) {
    c.fail(`${prefix}_treeids, ${prefix}_nodeids, ${prefix}_ids and ${prefix}_weights must have the same length`);
  }
  const f = lf.forest;
  f.targets = targets;
  f.leafValues = leafTable(f.feature.length, targets, agg, dt);
  const fresh = new Set<number>();
  treeIds.forEach((t, i) => {
    const slot = lf.slotOf.get(`${t}:${nodeIds[i]}`) ?? c.fail(`${prefix}_nodeids: node ${nodeIds[i]} of tree ${t} does not exist`);
    const id = ids[i]!;
    if (id < 0 || id >= targets) c.fail(`${prefix}_ids entry ${id} is out of range (${targets} ${prefix === 'target' ? 'targets' : 'classes'})`);
    // Votes on interior nodes are never reached.
    if (lf.leafSlot.has(slot)) vote(f.leafValues, slot * targets + id, weights[i]!, agg, fresh);
  });
}

/** base_values (or base_values_as_tensor): length 0, 1 or `targets`. */
function baseValues(c: NodeContext, targets: number): number[] {
  const v = c.hasAttr('base_values_as_tensor') ? tensorValues(c, 'base_values_as_tensor')! : c.floats('base_values', []);
  if (v.length > 1 && v.length !== targets) c.fail(`base_values has ${v.length} values for ${targets} targets`);
  return v;
}

converter('TreeEnsembleRegressor', (c) => {
  const xIn = c.input(0);
  const dt = computeType(c, xIn, c.hasAttr('nodes_values_as_tensor'));
  const x = floatMatrix(c, xIn, dt);
  const lf = legacyForest(c);
  const aggName = c.string('aggregate_function', 'SUM');
  if (!['AVERAGE', 'SUM', 'MIN', 'MAX'].includes(aggName)) c.fail(`aggregate_function '${aggName}' is not one of AVERAGE, SUM, MIN, MAX`);
  const agg = aggName as Aggregate;
  const targets = c.int('n_targets') ?? Math.max(0, ...(c.ints('target_ids') ?? [])) + 1;
  legacyVotes(c, lf, 'target', targets, agg, dt);
  let y = aggregate(c, forestLeaves(c, x, lf.forest), agg, lf.trees);
  const base = baseValues(c, targets);
  if (base.length > 0) y = c.op('broadcast_add', [y, c.constant(base, [1, base.length], dt)]);
  return c.cast(postTransform(c, y, postTransformOf(c, false)), 'float32');
}, 1, ML);

converter('TreeEnsembleClassifier', (c) => {
  const labels = intLabels(c, 'classlabels_int64s', 'classlabels_strings') ?? c.fail('classlabels_int64s is required');
  const post = postTransformOf(c, false);
  const xIn = c.input(0);
  const dt = computeType(c, xIn, c.hasAttr('nodes_values_as_tensor'));
  const x = floatMatrix(c, xIn, dt);
  const lf = legacyForest(c);
  const classes = labels.length;
  // Class scores are float, as onnx's reference keeps them, whatever X's type.
  legacyVotes(c, lf, 'class', classes, 'SUM', 'float32');
  let z = aggregate(c, c.cast(forestLeaves(c, x, lf.forest), 'float32'), 'SUM', lf.trees);
  const base = baseValues(c, classes);
  if (base.length > 0) z = c.op('broadcast_add', [z, c.constant(base, [1, base.length], 'float32')]);
  // One class voted for (binary): column 1 takes column 0's score and column 0 its complement
  // (1 - s for NONE and PROBIT, else -s).
  const binary = new Set(c.ints('class_ids') ?? []).size === 1;
  if (classes === 1 && !binary) c.fail('classlabels_int64s has one label, but the votes name several classes');
  if (binary) {
    const s = c.op('slice_axis', [z], { axis: 1, begin: 0, end: 1 });
    const other = post === 'NONE' || post === 'PROBIT' ? c.op('_rminus_scalar', [s], { scalar: 1 }) : c.op('negative', [s]);
    const parts = [other, s];
    if (classes > 2) parts.push(c.op('slice_axis', [z], { axis: 1, begin: 2, end: classes }));
    z = c.op('Concat', parts, { dim: 1, num_args: parts.length });
  }
  z = postTransform(c, z, post);
  if (classes === 1) {
    // One label: it must be 1, the positive class (column 1); the other class is 0.
    if (labels[0] !== 1) c.fail(`classlabels_int64s [${labels[0]}]: a single class label must be 1`);
    return [c.cast(c.op('argmax', [z], { axis: 1 }), 'int64'), z];
  }
  return [argmaxLabels(c, z, labels), z];
}, 1, ML);
