// ONNX sequence and optional operators: Sequence*, ConcatFromSequence, SplitToSequence, SequenceMap, Optional*.
// SPDX-License-Identifier: Apache-2.0
//
// A sequence is a list of tensor Values known when the graph is built (its length always, its items
// when they are arrays), so these ops only rearrange the list; the tensor work (Concat, slices) goes
// through registered ops like any other converter's.
import type { DType } from '../../base/dtype.js';
import {
  converter, isOptional, isSequence, isTensor, kindOf, numbersOf, optionalValue, sequenceValue,
  type NodeContext, type SequenceValue, type Value,
} from '../convert.js';
import { dtypeOfOnnx } from '../tensor.js';
import { isStrings } from '../strings.js';

/** Sequence item dtypes must agree (ONNX sequences are homogeneous). */
function checkItem(c: NodeContext, seq: SequenceValue, t: Value, what: string): void {
  const d = c.dtypeIfKnown(t);
  if (seq.elemType !== undefined && d !== undefined && d !== seq.elemType) {
    c.fail(`${what} is ${d}, but the sequence holds ${seq.elemType}`);
  }
}

/** The element dtype of a new sequence: `given`, or the first item's. */
function elemTypeOf(c: NodeContext, items: readonly Value[], given?: DType): DType | undefined {
  return given ?? (items.length > 0 ? c.dtypeIfKnown(items[0]!) : undefined);
}

/** A known scalar position input, normalised into [0, n] (`end` inclusive) or [0, n). */
function position(c: NodeContext, i: number, n: number, endOk: boolean): number {
  const p = c.knownInts(i, 'position');
  if (p.length !== 1) c.fail(`position must be a scalar, got ${p.length} values`);
  const hi = endOk ? n : n - 1;
  const v = p[0]!;
  if (v < -n || v > hi) c.fail(`position ${v} is out of range for a sequence of ${n} (allowed ${-n}..${hi})`);
  return v < 0 ? v + n : v;
}

converter('SequenceEmpty', (c) => {
  const dtype = dtypeOfOnnx(c.int('dtype', 1), `${c.label}: dtype`);
  return sequenceValue([], dtype);
});

converter('SequenceConstruct', (c) => {
  const items = c.inputsFrom(0);
  if (items.length === 0) c.fail('needs at least one input');
  const seq = sequenceValue(items, elemTypeOf(c, items));
  items.forEach((t, k) => checkItem(c, seq, t, `input ${k}`));
  return seq;
});

converter('SequenceAt', (c) => {
  const seq = c.sequence(0);
  return seq.items[position(c, 1, seq.items.length, false)]!;
});

converter('SequenceInsert', (c) => {
  const seq = c.sequence(0);
  const t = c.input(1);
  checkItem(c, seq, t, 'the inserted tensor');
  const n = seq.items.length;
  const at = c.has(2) ? position(c, 2, n, true) : n;
  const items = seq.items.slice();
  items.splice(at, 0, t);
  return sequenceValue(items, seq.elemType ?? c.dtypeIfKnown(t));
});

converter('SequenceErase', (c) => {
  const seq = c.sequence(0);
  const n = seq.items.length;
  if (n === 0) c.fail('cannot erase from an empty sequence');
  const at = c.has(1) ? position(c, 1, n, false) : n - 1;
  const items = seq.items.slice();
  items.splice(at, 1);
  return sequenceValue(items, seq.elemType);
});

converter('SequenceLength', (c) => c.constant([BigInt(c.sequence(0).items.length)], [], 'int64'));

converter('ConcatFromSequence', (c) => {
  const seq = c.sequence(0);
  if (seq.items.length === 0) c.fail('cannot concatenate an empty sequence');
  if (c.int('new_axis', 0) === 0) return c.convertAs('Concat', seq.items)[0]!;
  // new_axis=1 stacks: the axis may also be one past the last (rank + 1 positions).
  const r = c.rank(seq.items[0]!, 'the first item');
  const axis = c.axis(c.int('axis') ?? c.fail('attribute axis is required'), r + 1);
  return c.op('stack', seq.items, { axis, num_args: seq.items.length });
});

converter('SplitToSequence', (c) => {
  const x = c.input(0);
  const shape = c.shape(x);
  const axis = c.axis(c.int('axis', 0), shape.length);
  const len = shape[axis]!;
  let sizes: number[];
  let squeeze = false;
  if (!c.has(1)) {
    sizes = Array.from({ length: len }, () => 1);
    squeeze = c.int('keepdims', 1) === 0;
  } else {
    const split = c.known(1, 'split');
    const s = numbersOf(split);
    if (split.ndim === 0) {
      if (s[0]! <= 0) c.fail(`split must be positive, got ${s[0]}`);
      sizes = [];
      for (let at = 0; at < len; at += s[0]!) sizes.push(Math.min(s[0]!, len - at));
    } else {
      if (s.reduce((a, b) => a + b, 0) !== len) c.fail(`split (${s.join(', ')}) does not sum to the axis length ${len}`);
      sizes = s;
    }
  }
  const items: Value[] = [];
  let at = 0;
  for (const n of sizes) {
    const part = c.op('slice_axis', [x], { axis, begin: at, end: at + n });
    items.push(squeeze ? c.op('Reshape', [part], { shape: shape.filter((_, k) => k !== axis) }) : part);
    at += n;
  }
  return sequenceValue(items, c.dtypeIfKnown(x));
});

converter('SequenceMap', (c) => {
  const body = c.graph('body') ?? c.fail('attribute body is required');
  const first = c.sequence(0);
  const n = first.items.length;
  const extra: (Value | SequenceValue)[] = [];
  for (let i = 1; i < c.numInputs; i++) {
    const v = c.value(i);
    if (isOptional(v) || isStrings(v)) return c.fail(`input ${i} is ${kindOf(v)}; SequenceMap takes sequences and tensors`);
    if (isSequence(v) && v.items.length !== n) c.fail(`input ${i} holds ${v.items.length} items, input 0 holds ${n}`);
    extra.push(v);
  }
  const outs: Value[][] = body.outputs.map(() => []);
  for (let i = 0; i < n; i++) {
    const args = [first.items[i]!, ...extra.map((v) => (isSequence(v) ? v.items[i]! : v))];
    c.subgraph(body, args).forEach((v, k) => {
      if (isTensor(v)) outs[k]!.push(v);
      else c.fail(`body output ${k} is ${kindOf(v)}, expected a tensor`);
    });
  }
  // With no items, the body's declared output types type the empty sequences.
  return outs.map((items, k) => {
    const t = body.outputs[k]!.tensor?.elemType;
    return sequenceValue(items, elemTypeOf(c, items, t !== undefined && t !== 0 && items.length === 0
      ? dtypeOfOnnx(t, `${c.label}: body output ${k}`) : undefined));
  });
});

converter('Optional', (c) => {
  if (!c.has(0)) return optionalValue(null);
  const v = c.value(0);
  if (isOptional(v) || isStrings(v)) return c.fail(`input 0 is ${kindOf(v)}; an optional holds a tensor or a sequence`);
  return optionalValue(v);
});

// Opset 18 also takes a tensor or sequence (always present) or no input at all (empty).
converter('OptionalHasElement', (c) => {
  const v = c.has(0) ? c.value(0) : undefined;
  const has = v === undefined ? false : isOptional(v) ? v.value !== null : true;
  return c.constant([has ? 1 : 0], [], 'bool');
});

converter('OptionalGetElement', (c) => {
  const v = c.value(0);
  if (!isOptional(v)) return v;
  if (v.value === null) return c.fail(`input 0 ('${c.node.inputs[0]}') is an empty optional`);
  return v.value;
});
