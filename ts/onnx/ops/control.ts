// ONNX control flow: If, Loop and Scan run their nested graphs with the conditions known (a session, or
// conditions computed from constants when importing), so an imported Loop is unrolled. If outputs and
// Loop-carried values may be sequences or optionals, as may Identity's input.
// SPDX-License-Identifier: Apache-2.0
import { converter, isTensor, kindOf, numbersOf, type AnyValue, type NodeContext, type Value } from '../convert.js';
import type { GraphProto } from '../onnx_proto.js';

/** A body output that must be a tensor (a condition, a scan output, a Scan state). */
function tensorOf(c: NodeContext, v: AnyValue, what: string): Value {
  if (!isTensor(v)) c.fail(`${what} is ${kindOf(v)}, expected a tensor`);
  return v;
}

// Identity-14 takes sequences, Identity-16 optionals too: they pass through as they are.
converter('Identity', (c) => c.value(0), 14);

function knownScalar(c: NodeContext, v: Value, what: string): number {
  if (!c.isKnown(v)) c.fail(`${what} must be known (a constant, or a session); isotensor graphs have no data-dependent control flow`);
  const n = numbersOf(v);
  if (n.length !== 1) c.fail(`${what} must hold one value, got shape (${v.shape.join(', ')})`);
  return n[0]!;
}

converter('If', (c) => {
  const cond = knownScalar(c, c.input(0), 'the condition');
  const name = cond !== 0 ? 'then_branch' : 'else_branch';
  const branch = c.graph(name) ?? c.fail(`attribute ${name} is required`);
  return c.subgraph(branch, []);
});

converter('Loop', (c) => {
  const body = c.graph('body') ?? c.fail('attribute body is required');
  const maxTrips = c.has(0) ? knownScalar(c, c.input(0), 'the trip count M') : Infinity;
  let cond = c.has(1) ? knownScalar(c, c.input(1), 'the condition') !== 0 : true;
  if (maxTrips === Infinity && !c.has(1)) c.fail('a loop with neither a trip count nor a condition never ends');
  let carried: AnyValue[] = [];
  for (let i = 2; i < c.numInputs; i++) carried.push(c.value(i));
  const nCarried = carried.length;
  const scans: Value[][] = [];
  for (let it = 0; it < maxTrips && cond; it++) {
    if (it >= 1_000_000) c.fail('more than a million iterations; is the condition ever false?');
    const outs = c.subgraph(body, [c.constant([BigInt(it)], [], 'int64'), c.constant([1], [], 'bool'), ...carried]);
    if (outs.length < 1 + nCarried) c.fail(`the body returns ${outs.length} values, fewer than 1 + ${nCarried} loop-carried`);
    cond = knownScalar(c, tensorOf(c, outs[0]!, "the body's condition output"), "the body's condition output") !== 0;
    carried = outs.slice(1, 1 + nCarried);
    outs.slice(1 + nCarried).forEach((v, k) => (scans[k] ??= []).push(tensorOf(c, v, `scan output ${k}`)));
  }
  const nScan = body.outputs.length - 1 - nCarried;
  const stacked: Value[] = [];
  for (let k = 0; k < nScan; k++) {
    const vs = scans[k];
    if (vs === undefined || vs.length === 0) {
      // No iteration ran: an empty scan output (0 rows of the body's declared element type).
      stacked.push(c.constant([], [0], 'float32'));
    } else {
      stacked.push(c.op('stack', vs, { axis: 0, num_args: vs.length }));
    }
  }
  return [...carried, ...stacked];
});

/** Entry i of v along `axis`, that axis dropped (a Scan slice). */
function entry(c: NodeContext, v: Value, axis: number, i: number): Value {
  const s = c.shape(v);
  const row = c.op('slice_axis', [v], { axis, begin: i, end: i + 1 });
  return c.op('Reshape', [row], { shape: s.filter((_, k) => k !== axis) });
}

/** Per-input options of one Scan run (axes already normalised). */
interface ScanSpec {
  inAxes: number[];
  inReverse: boolean[];
  /** ONNX axes of the scan outputs, normalised once each output's rank is seen. */
  outAxes: number[];
  outReverse: boolean[];
}

/**
 * One scan: runs the body once per position along the scan inputs' axes, threading the states
 * through, and stacks each scan output along its axis. Returns final states then scan outputs.
 */
function scan(c: NodeContext, body: GraphProto, states: Value[], xs: Value[], spec: ScanSpec): Value[] {
  const lens = xs.map((x, i) => c.shape(x, `scan input ${i}`)[spec.inAxes[i]!]!);
  const T = lens[0]!;
  if (lens.some((n) => n !== T)) c.fail(`the scan inputs have different lengths along their scan axes (${lens.join(', ')})`);
  const nState = states.length;
  const nOut = body.outputs.length - nState;
  if (nOut < 0) c.fail(`the body returns ${body.outputs.length} values, fewer than its ${nState} states`);
  if (T === 0 && nOut > 0) c.fail('a scan of length 0 has no iteration to give its scan outputs a shape');
  const per: Value[][] = Array.from({ length: nOut }, () => []);
  for (let t = 0; t < T; t++) {
    const slices = xs.map((x, i) => entry(c, x, spec.inAxes[i]!, spec.inReverse[i] ? T - 1 - t : t));
    const outs = c.subgraph(body, [...states, ...slices]);
    states = outs.slice(0, nState).map((v, k) => tensorOf(c, v, `state ${k}`));
    outs.slice(nState).forEach((v, k) => per[k]!.push(tensorOf(c, v, `scan output ${k}`)));
  }
  const stacked = per.map((vs, k) => {
    if (spec.outReverse[k]) vs.reverse();
    const axis = c.axis(spec.outAxes[k] ?? 0, c.rank(vs[0]!, `scan output ${k}`) + 1, `scan_output_axes[${k}]`);
    return c.op('stack', vs, { axis, num_args: vs.length });
  });
  return [...states, ...stacked];
}

function scanGraph(c: NodeContext): { body: GraphProto; nScan: number } {
  const body = c.graph('body') ?? c.fail('attribute body is required');
  const nScan = c.int('num_scan_inputs') ?? c.fail('attribute num_scan_inputs is required');
  if (nScan < 1) c.fail(`num_scan_inputs must be positive, got ${nScan}`);
  return { body, nScan };
}

/** Directions attribute as reverse flags (0 forward, 1 reverse), `n` long. */
function directions(c: NodeContext, name: string, n: number): boolean[] {
  const d = c.ints(name, []);
  if (d.length > n) c.fail(`${name} has ${d.length} entries for ${n} values`);
  return Array.from({ length: n }, (_, i) => {
    const v = d[i] ?? 0;
    if (v !== 0 && v !== 1) c.fail(`${name}[${i}] must be 0 (forward) or 1 (reverse), got ${v}`);
    return v === 1;
  });
}

// Opset 8: input 0 is the optional sequence_lens, and every state and scan input has a leading
// batch axis that the body does not see; scan inputs are scanned along axis 1.
converter('Scan', (c) => {
  const { body, nScan } = scanGraph(c);
  const rest: Value[] = [];
  for (let i = 1; i < c.numInputs; i++) rest.push(c.input(i));
  const nState = rest.length - nScan;
  if (nState < 0) c.fail(`num_scan_inputs is ${nScan}, but the node has ${rest.length} state and scan inputs`);
  const states = rest.slice(0, nState);
  const xs = rest.slice(nState);
  const B = c.shape(rest[0]!)[0];
  if (B === undefined || B < 1) c.fail('opset-8 Scan inputs need a non-empty leading batch axis');
  if (rest.some((v) => c.shape(v)[0] !== B)) c.fail('the states and scan inputs have different batch sizes');
  if (c.has(0)) {
    const T = c.shape(xs[0]!)[1];
    const lens = c.knownInts(0, 'sequence_lens');
    if (lens.some((n) => n !== T)) c.fail(`sequence_lens (${lens.join(', ')}) must all equal the scan length ${T}; varying lengths are not supported`);
  }
  const nOut = body.outputs.length - nState;
  const spec: ScanSpec = {
    inAxes: xs.map(() => 0),
    inReverse: directions(c, 'directions', nScan),
    outAxes: Array.from({ length: Math.max(nOut, 0) }, () => 0),
    outReverse: Array.from({ length: Math.max(nOut, 0) }, () => false),
  };
  const perBatch: Value[][] = [];
  for (let b = 0; b < B; b++) {
    perBatch.push(scan(c, body, states.map((v) => entry(c, v, 0, b)), xs.map((v) => entry(c, v, 0, b)), spec));
  }
  return perBatch[0]!.map((_, k) => c.op('stack', perBatch.map((o) => o[k]!), { axis: 0, num_args: B }));
}, 8);

converter('Scan', (c) => {
  const { body, nScan } = scanGraph(c);
  const all = c.inputsFrom(0);
  const nState = all.length - nScan;
  if (nState < 0) c.fail(`num_scan_inputs is ${nScan}, but the node has ${all.length} inputs`);
  const xs = all.slice(nState);
  const nOut = body.outputs.length - nState;
  const axes = (name: string, n: number): number[] => {
    const a = c.ints(name, []);
    if (a.length > n) c.fail(`${name} has ${a.length} entries for ${n} values`);
    return Array.from({ length: n }, (_, i) => a[i] ?? 0);
  };
  const spec: ScanSpec = {
    inAxes: axes('scan_input_axes', nScan).map((a, i) => c.axis(a, c.rank(xs[i]!, `scan input ${i}`), `scan_input_axes[${i}]`)),
    inReverse: directions(c, 'scan_input_directions', nScan),
    outAxes: axes('scan_output_axes', Math.max(nOut, 0)),
    outReverse: directions(c, 'scan_output_directions', Math.max(nOut, 0)),
  };
  return scan(c, body, all.slice(0, nState), xs, spec);
}, 9);
