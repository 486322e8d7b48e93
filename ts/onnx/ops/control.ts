// ONNX control flow: If and Loop run their nested graphs with the conditions known (a session, or
// conditions computed from constants when importing), so an imported Loop is unrolled.
// SPDX-License-Identifier: Apache-2.0
import { converter, numbersOf, type NodeContext, type Value } from '../convert.js';

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
  let carried: Value[] = [];
  for (let i = 2; i < c.numInputs; i++) carried.push(c.input(i));
  const nCarried = carried.length;
  const scans: Value[][] = [];
  for (let it = 0; it < maxTrips && cond; it++) {
    if (it >= 1_000_000) c.fail('more than a million iterations; is the condition ever false?');
    const outs = c.subgraph(body, [c.constant([BigInt(it)], [], 'int64'), c.constant([1], [], 'bool'), ...carried]);
    if (outs.length < 1 + nCarried) c.fail(`the body returns ${outs.length} values, fewer than 1 + ${nCarried} loop-carried`);
    cond = knownScalar(c, outs[0]!, "the body's condition output") !== 0;
    carried = outs.slice(1, 1 + nCarried);
    outs.slice(1 + nCarried).forEach((v, k) => (scans[k] ??= []).push(v));
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
