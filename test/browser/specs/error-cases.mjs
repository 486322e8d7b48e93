// Error cases whose messages must read the same in browsers as in Node: node-reference.mjs records Node's text,
// specs/errors.test.ts compares. Each names what its message must mention (op, argument, shapes).

export const errorCases = [
  {
    name: 'nd.dot of mismatched shapes',
    mentions: ['dot', "argument 'rhs'", '(2,3)', '(4,5)'],
    run: (mx) => mx.nd.dot(mx.nd.ones([2, 3]), mx.nd.ones([4, 5])),
  },
  {
    name: 'nd.add of shapes that do not broadcast',
    mentions: ['broadcast_add', "argument 'rhs'", '(2,3)', '(4,5)'],
    run: (mx) => mx.nd.add(mx.nd.ones([2, 3]), mx.nd.ones([4, 5])),
  },
  {
    name: 'nd.FullyConnected with a weight of the wrong shape',
    mentions: ['FullyConnected', "argument 'weight'", '(4,3)', '(4,5)'],
    run: (mx) => mx.nd.FullyConnected(mx.nd.ones([2, 3]), mx.nd.ones([4, 5]), mx.nd.ones([4]), { numHidden: 4 }),
  },
  {
    name: 'nd.sum over an axis out of range',
    mentions: ['sum', "argument 'axis'", '5', '(2,3)'],
    run: (mx) => mx.nd.sum(mx.nd.ones([2, 3]), { axis: 5 }),
  },
  {
    name: 'x.reshape to a different size',
    mentions: ['reshape', "argument 'shape'", '(2,3)', '(4,)'],
    run: (mx) => mx.nd.ones([2, 3]).reshape([4]),
  },
  {
    name: 'nd.array of ragged nested arrays',
    mentions: ['nd.array', 'ragged'],
    run: (mx) => mx.nd.array([[1, 2], [3]]),
  },
  {
    name: 'Symbol inferShape with a conflicting weight shape',
    mentions: ['FullyConnected', "argument 'weight'", "node 'fc'", '(4,4)'],
    run: (mx) => mx.sym.FullyConnected(mx.sym.Variable('data'), { numHidden: 3, name: 'fc' })
      .inferShape({ data: [2, 5], fc_weight: [4, 4] }),
  },
  {
    name: 'await nd.load of bytes that are not an NDArray file',
    mentions: [],
    run: (mx) => mx.nd.load(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])),
  },
];

/** What running a case gives: { threw, isotensorError, message }. Awaits cases that return a promise. */
export async function outcome(mx, c) {
  try {
    await c.run(mx);
    return { threw: false, isotensorError: false, message: '' };
  } catch (e) {
    return { threw: true, isotensorError: e instanceof mx.IsotensorError, message: String(e?.message ?? e) };
  }
}
