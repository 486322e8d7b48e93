// mx.sym through the public API: the seeds' Symbol examples, naming, composition, introspection, attributes.
//
// Expected values are the seeds' printed outputs (../shared/seeds/python-overview.md "Symbolic and
// Automatic Differentiation", symbol-api-part2.txt) and MXNet 1.9's behaviour as its own tests show
// it (tests/python/unittest/test_symbol.py, test_attr.py). Names come from a fresh NameManager per
// test so the automatic counters do not depend on test order.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';
import { expectError } from '../helpers/errors';
import { fresh } from '../helpers/symbol';

const { sym } = mx;
type Sym = any; // a Symbol; kept loose so the spec does not depend on the .d.ts details

beforeAll(async () => {
  await mx.ready();
  announceBackend('symbol');
});

describe('seed: python-overview "Symbolic and Automatic Differentiation"', () => {
  it('basic composition: a two layer perceptron and its arguments', () => {
    let net: Sym = sym.Variable('data');
    net = sym.FullyConnected({ data: net, name: 'fc1', numHidden: 128 });
    net = sym.Activation({ data: net, name: 'relu1', actType: 'relu' });
    net = sym.FullyConnected({ data: net, name: 'fc2', numHidden: 64 });
    net = sym.SoftmaxOutput({ data: net, name: 'out' });
    expect(net).toBeInstanceOf(mx.Symbol);
    expect(net.listArguments()).toEqual(['data', 'fc1_weight', 'fc1_bias', 'fc2_weight', 'fc2_bias', 'out_label']);
  });

  it('naming an automatically generated argument explicitly', () => {
    let net: Sym = sym.Variable('data');
    const w = sym.Variable('myweight');
    net = sym.FullyConnected({ data: net, weight: w, name: 'fc1', numHidden: 128 });
    expect(net.listArguments()).toEqual(['data', 'myweight', 'fc1_bias']);
  });

  it('an elementwise add feeding a fully connected layer', () => {
    const lhs = sym.Variable('data1');
    const rhs = sym.Variable('data2');
    const net = sym.FullyConnected({ data: lhs.add(rhs), name: 'fc1', numHidden: 128 });
    expect(net.listArguments()).toEqual(['data1', 'data2', 'fc1_weight', 'fc1_bias']);
  });

  it('composition: net(data=net2, name=compose) replaces the argument data', () => {
    let net: Sym = sym.Variable('data');
    net = sym.FullyConnected({ data: net, name: 'fc1', numHidden: 128 });
    let net2: Sym = sym.Variable('data2');
    net2 = sym.FullyConnected({ data: net2, name: 'net2', numHidden: 128 });
    const composed = net.call({ data: net2 }, { name: 'compose' });
    // The seed's printed output (a named composition prefixes the composed graph's own names).
    expect(composed.listArguments()).toEqual(['data2', 'net2_weight', 'net2_bias', 'compose_fc1_weight', 'compose_fc1_bias']);
    expect(composed.name).toBe('compose');
    expect(composed.listOutputs()).toEqual(['compose_output']);
    // The original is untouched.
    expect(net.listArguments()).toEqual(['data', 'fc1_weight', 'fc1_bias']);
    expect(net.name).toBe('fc1');
  });

  it('argument shape inference', () => {
    let net: Sym = sym.Variable('data');
    net = sym.FullyConnected({ data: net, name: 'fc1', numHidden: 10 });
    const { argShapes, outShapes, auxShapes } = net.inferShape({ data: [100, 100] });
    const args: string[] = net.listArguments();
    expect(Object.fromEntries(args.map((a, i) => [a, argShapes[i]]))).toEqual({
      data: [100, 100], fc1_weight: [10, 100], fc1_bias: [10],
    });
    expect(outShapes).toEqual([[100, 10]]);
    expect(auxShapes).toEqual([]);
  });

  it('C = A * B is a symbol over A and B', () => {
    const A = sym.Variable('A');
    const B = sym.Variable('B');
    const C = A.mul(B);
    expect(C.listArguments()).toEqual(['A', 'B']);
    expect(C.toJSON()).toContain('"op": "elemwise_mul"');
  });
});

describe('seed: symbol-api-part2 (E = (A*B) + (C*D))', () => {
  it('symbols, their names, arguments and internals', () => {
    fresh(() => {
      const a = sym.Variable('A');
      const b = sym.Variable('B');
      const c = sym.Variable('C');
      const d = sym.Variable('D');
      a.add(b).dispose(); // the seed's session had made one sum before: e is _plus1
      const e = a.mul(b).add(c.mul(d));
      expect([a, b, c, d].map(String)).toEqual(['<Symbol A>', '<Symbol B>', '<Symbol C>', '<Symbol D>']);
      expect(String(e)).toBe('<Symbol _plus1>');
      expect(e).toBeInstanceOf(mx.Symbol);
      expect(e.listArguments()).toEqual(['A', 'B', 'C', 'D']);
      expect(e.listOutputs()).toEqual(['_plus1_output']);
      expect(e.getInternals().listOutputs()).toEqual(['A', 'B', '_mul0_output', 'C', 'D', '_mul1_output', '_plus1_output']);
    });
  });
});

describe('automatic names and name scopes', () => {
  it('counters per lower-cased op name, as MXNet numbers them', () => {
    fresh(() => {
      const x = sym.Variable('x');
      const f0 = sym.FullyConnected(x, { numHidden: 4 });
      const a0 = sym.Activation(f0, { actType: 'relu' });
      const f1 = sym.FullyConnected(a0, { numHidden: 4 });
      const a1 = sym.Activation({ data: f1, actType: 'tanh' });
      expect([f0.name, a0.name, f1.name, a1.name]).toEqual(['fullyconnected0', 'activation0', 'fullyconnected1', 'activation1']);
      expect(a1.listArguments()).toEqual(['x', 'fullyconnected0_weight', 'fullyconnected0_bias',
                                          'fullyconnected1_weight', 'fullyconnected1_bias']);
    });
  });

  it('operators on symbols use MXNet\'s ops and names', () => {
    fresh(() => {
      const x = sym.Variable('x');
      const y = sym.Variable('y');
      const cases: Array<[Sym, string, string]> = [
        [x.add(y), '_plus0', 'elemwise_add'], [x.sub(y), '_minus0', 'elemwise_sub'],
        [x.mul(y), '_mul0', 'elemwise_mul'], [x.div(y), '_div0', 'elemwise_div'],
        [x.mod(y), '_mod0', '_mod'], [x.pow(y), '_power0', '_power'],
        [x.add(2), '_plusscalar0', '_plus_scalar'], [x.sub(2), '_minusscalar0', '_minus_scalar'],
        [x.rsub(2), '_rminusscalar0', '_rminus_scalar'], [x.mul(2), '_mulscalar0', '_mul_scalar'],
        [x.div(2), '_divscalar0', '_div_scalar'], [x.rdiv(2), '_rdivscalar0', '_rdiv_scalar'],
        [x.mod(2), '_modscalar0', '_mod_scalar'], [x.rmod(2), '_rmodscalar0', '_rmod_scalar'],
        [x.pow(2), '_powerscalar0', '_power_scalar'], [x.rpow(2), '_rpower_scalar0', '_rpower_scalar'],
        [x.eq(y), '_equal0', '_equal'], [x.ne(y), '_not_equal0', '_not_equal'],
        [x.gt(y), '_greater0', '_greater'], [x.ge(y), '_greater_equal0', '_greater_equal'],
        [x.lt(y), '_lesser0', '_lesser'], [x.le(y), '_lesser_equal0', '_lesser_equal'],
        [x.eq(1), '_equal_scalar0', '_equal_scalar'], [x.lt(1), '_lesser_scalar0', '_lesser_scalar'],
        [x.abs(), 'abs0', 'abs'],
      ];
      for (const [s, name, op] of cases) {
        expect(s.name).toBe(name);
        expect(s.toJSON()).toContain(`"op": "${op}"`);
      }
      // -x is x * -1.0 (MXNet's __neg__), a second scalar multiply.
      const n = x.neg();
      expect(n.name).toBe('_mulscalar1');
      expect(n.toJSON()).toContain('"attrs": {"scalar": "-1.0"}');
      expect(x.mul(0.5).toJSON()).toContain('"scalar": "0.5"');
      expect(x.add(1e-5).toJSON()).toContain('"scalar": "1e-05"');
    });
  });

  it('the function called names the node: aliases and variadic ops', () => {
    fresh(() => {
      const a = sym.Variable('a');
      const b = sym.Variable('b');
      expect(sym._Plus(a, b).name).toBe('_plus0');
      expect(sym.elemwise_add(a, b).name).toBe('elemwise_add0');
      const cat = sym.Concat(a, b, { dim: 0 });
      expect(cat.name).toBe('concat0');
      expect(cat.listArguments()).toEqual(['a', 'b']);
      expect(cat.toJSON()).toContain('"num_args": "2"');
      const sum = sym.add_n([a, b, a]);
      expect(sum.name).toBe('add_n0');
      expect(sum.listArguments()).toEqual(['a', 'b']);
      expect(sym.ElementWiseSum(a, b).name).toBe('elementwisesum0');
      // A variadic op left without inputs gets MXNet's arg0, arg1, ... variables.
      expect(sym.Concat({ numArgs: 2, dim: 1, name: 'c' } as any).listArguments()).toEqual(['c_arg0', 'c_arg1']);
    });
  });

  it('mx.name.Prefix and nested NameManagers', () => {
    const data = sym.Variable('data');
    const net = new mx.name.Prefix('mynet_').run(() => sym.FullyConnected(data, { numHidden: 10, name: 'fc1' }));
    expect(net.listArguments()).toEqual(['data', 'mynet_fc1_weight', 'mynet_fc1_bias']);
    const names = new mx.name.Prefix('net_').run(() => {
      const f = sym.FullyConnected(data, { numHidden: 2 });
      return [f.name, sym.Activation(f, { actType: 'relu' }).name];
    });
    expect(names).toEqual(['net_fullyconnected0', 'net_activation0']);
    const m = new mx.name.NameManager();
    {
      using _s = m.enter();
      expect(mx.name.NameManager.current).toBe(m);
      expect(sym.Activation(data, { actType: 'relu' }).name).toBe('activation0');
    }
    expect(mx.name.NameManager.current).not.toBe(m);
    expect(m.get(null, 'activation')).toBe('activation1');
    expect(m.get('given', 'activation')).toBe('given');
  });
});

describe('introspection', () => {
  it('internals, get by name, and arguments of an inner output', () => {
    const data = sym.Variable('data');
    const oldfc = sym.FullyConnected({ data, name: 'fc1', numHidden: 10 });
    const net1 = sym.FullyConnected({ data: oldfc, name: 'fc2', numHidden: 100 });
    expect(net1.listArguments()).toEqual(['data', 'fc1_weight', 'fc1_bias', 'fc2_weight', 'fc2_bias']);
    const internals = net1.getInternals();
    expect(internals.name).toBeNull();
    expect(internals.listOutputs()).toEqual(['data', 'fc1_weight', 'fc1_bias', 'fc1_output', 'fc2_weight',
                                             'fc2_bias', 'fc2_output']);
    const fc1 = internals.get('fc1_output');
    expect(fc1.listArguments()).toEqual(oldfc.listArguments());
    expect(internals.at(3).name).toBe('fc1');
    expect(internals.at(-1).name).toBe('fc2');
    expect(internals.length).toBe(7);
    expectError(() => internals.get('nope'), 'nope');
    expectError(() => internals.at(7), 'out of range');
  });

  it('children, as in MXNet\'s test_symbol_children', () => {
    const data = sym.Variable('data');
    const oldfc = sym.FullyConnected({ data, name: 'fc1', numHidden: 10 });
    const net1: Sym = sym.FullyConnected({ data: oldfc, name: 'fc2', numHidden: 100 });
    expect(net1.getChildren().listOutputs()).toEqual(['fc1_output', 'fc2_weight', 'fc2_bias']);
    expect(net1.getChildren().length).toBe(3);
    expect(net1.getChildren().getChildren().listOutputs()).toEqual(['data', 'fc1_weight', 'fc1_bias']);
    expect(net1.getChildren().get('fc2_weight').listArguments()).toEqual(['fc2_weight']);
    expect(net1.getChildren().get('fc2_weight').getChildren()).toBeNull();

    const sliced: Sym = sym.SliceChannel(sym.Variable('data'), { numOutputs: 3, name: 'slice' });
    expect(sliced.listOutputs()).toEqual(['slice_output0', 'slice_output1', 'slice_output2']);
    const concat: Sym = sym.Concat(...sliced);
    expect(concat.getChildren().listOutputs()).toEqual(['slice_output0', 'slice_output1', 'slice_output2']);
    expect(sliced.getChildren().listOutputs()).toEqual(['data']);
    const a = sym.Variable('data');
    const twice: Sym = a.add(a);
    expect([...twice.getChildren()].map((c: Sym) => c.name)).toEqual(['data', 'data']);
  });

  it('groups: outputs, names and iteration', () => {
    const a = sym.Variable('a');
    const b = sym.Variable('b');
    const g = sym.Group([a, b, a.add(b)]);
    expect(g.listOutputs().slice(0, 2)).toEqual(['a', 'b']);
    expect(g.name).toBeNull();
    expect(String(sym.Group([a, b]))).toBe('<Symbol group [a, b]>');
    expect([...g].map((s: Sym) => s.listArguments())).toEqual([['a'], ['b'], ['a', 'b']]);
    expect(g.listArguments()).toEqual(['a', 'b']);
    expectError(() => sym.Group([]), 'Group');
  });

  it('auxiliary states and inputs (BatchNorm)', () => {
    const data = sym.Variable('data');
    const weight = sym.Variable('fc1_weight');
    const fc1 = sym.FullyConnected({ data, weight, name: 'fc1', numHidden: 128 });
    const fc2 = sym.BatchNorm(fc1, { name: 'batchnorm0' });
    expect(fc2.listAuxiliaryStates()).toEqual(['batchnorm0_moving_mean', 'batchnorm0_moving_var']);
    expect(fc2.listArguments()).toEqual(['data', 'fc1_weight', 'fc1_bias', 'batchnorm0_gamma', 'batchnorm0_beta']);
    expect(fc2.listInputs()).toEqual(['data', 'fc1_weight', 'fc1_bias', 'batchnorm0_gamma', 'batchnorm0_beta',
                                      'batchnorm0_moving_mean', 'batchnorm0_moving_var']);
    expect(fc2.listOutputs()).toEqual(['batchnorm0_output']);
    expect(fc2.getInternals().listOutputs().at(-1)).toBe('batchnorm0_output');
    const withStats = sym.BatchNorm(data, { name: 'bn', outputMeanVar: true });
    expect(withStats.listOutputs()).toEqual(['bn_output', 'bn_mean', 'bn_var']);
    expect(sym.BatchNorm(data).listAuxiliaryStates().length).toBe(2);
    expect(data.add(data).listAuxiliaryStates()).toEqual([]);
  });

  it('output names follow MXNet: declared names where it has them, outputN where it has none', () => {
    const a = sym.Variable('a');
    // MXNet 1.9 declares FListOutputNames for none of these.
    expect(sym._linalg_gelqf(a, { name: 'lq' }).listOutputs()).toEqual(['lq_output0', 'lq_output1']);
    expect(sym._linalg_syevd(a, { name: 'eig' }).listOutputs()).toEqual(['eig_output0', 'eig_output1']);
    expect(sym._linalg_slogdet(a, { name: 'sd' }).listOutputs()).toEqual(['sd_output0', 'sd_output1']);
    expect(sym.moments(a, { axes: [0], name: 'mom' }).listOutputs()).toEqual(['mom_output0', 'mom_output1']);
    // box_nms keeps one visible output of two, so MXNet still numbers it.
    expect(sym._contrib_box_nms(a, { name: 'nms' }).listOutputs()).toEqual(['nms_output0']);
    // Declared names (OperatorProperty::ListOutputs, FListOutputNames).
    expect(sym.CTCLoss(a, sym.Variable('l'), { name: 'ctc' }).listOutputs()).toEqual(['ctc_out']);
    expect(sym._contrib_MultiBoxTarget(a, sym.Variable('l'), sym.Variable('c'), { name: 'mt' }).listOutputs())
      .toEqual(['mt_loc_target', 'mt_loc_mask', 'mt_cls_target']);
  });

  it('optional inputs follow the params (no_bias, prelu gamma, use_length)', () => {
    const x = sym.Variable('x');
    expect(sym.FullyConnected(x, { numHidden: 2, noBias: true, name: 'f' }).listArguments()).toEqual(['x', 'f_weight']);
    expect(sym.Convolution(x, { kernel: [3, 3], numFilter: 2, name: 'c' }).listArguments())
      .toEqual(['x', 'c_weight', 'c_bias']);
    expect(sym.Deconvolution(x, { kernel: [3, 3], numFilter: 2, name: 'd' }).listArguments()).toEqual(['x', 'd_weight']);
    expect(sym.LeakyReLU(x, { actType: 'prelu', name: 'p' }).listArguments()).toEqual(['x', 'p_gamma']);
    expect(sym.LeakyReLU(x, { name: 'l' }).listArguments()).toEqual(['x']);
    expect(sym.softmax(x, { useLength: true, name: 's' }).listArguments()).toEqual(['x', 's_length']);
    expect(sym.RNN(x, { mode: 'lstm', stateSize: 4, numLayers: 1, name: 'r' }).listArguments())
      .toEqual(['x', 'r_parameters', 'r_state', 'r_state_cell']);
    // The PReLU gamma variable gets MXNet's initializer hint.
    expect(sym.LeakyReLU(x, { actType: 'prelu', name: 'p' }).attrDict()['p_gamma']?.['__init__'])
      .toBe('["Constant", {"value": 0.25}]');
  });
});

describe('composition', () => {
  it('MXNet\'s test_symbol_compose (names prefixed by the composition, as the seed shows), grouped with its argument', () => {
    fresh(() => {
      const data = sym.Variable('data');
      let net1: Sym = sym.FullyConnected({ data, name: 'fc1', numHidden: 10 });
      net1 = sym.FullyConnected({ data: net1, name: 'fc2', numHidden: 100 });
      let net2: Sym = sym.FullyConnected({ name: 'fc3', numHidden: 10 });
      expect(net2.listArguments()).toEqual(['fc3_data', 'fc3_weight', 'fc3_bias']);
      net2 = sym.Activation({ data: net2, actType: 'relu' });
      net2 = sym.FullyConnected({ data: net2, name: 'fc4', numHidden: 20 });
      const composed = net2.call({ fc3_data: net1 }, { name: 'composed' });
      expect(composed.listArguments()).toEqual(['data', 'fc1_weight', 'fc1_bias', 'fc2_weight', 'fc2_bias',
                                                'composed_fc3_weight', 'composed_fc3_bias', 'composed_fc4_weight',
                                                'composed_fc4_bias']);
      const multiOut = sym.Group([composed, net1]);
      expect(multiOut.listOutputs().length).toBe(2);
      expect(multiOut.length).toBe(2);
    });
  });

  it('replacing auto-created inputs by name, and MXNet\'s unnamed head', () => {
    const fc = sym.FullyConnected({ numHidden: 3, name: 'fc' });
    const x = sym.Variable('x');
    expect(fc.call({ fc_data: x }, { name: 'fc' }).listArguments()).toEqual(['x', 'fc_weight', 'fc_bias']);
    // As in MXNet, a composed symbol takes no positional inputs.
    expectError(() => fc.call([x]), 'FullyConnected', 'by name only');
    const net = sym.Activation({ data: sym.Variable('data'), actType: 'relu', name: 'act' });
    const anon = net.call({ data: x });
    expect(anon.listArguments()).toEqual(['x']);
    expect(anon.name).toBe(''); // MXNet renames the head to the (missing) name
    expect(anon.listOutputs()).toEqual(['output']);
  });

  it('copies are independent', () => {
    const data = sym.Variable('data');
    const net = sym.FullyConnected({ data, name: 'fc', numHidden: 2 });
    const c = net.copy();
    expect(c.toJSON()).toBe(net.toJSON());
    c.setAttr({ name: 'renamed' });
    expect(c.name).toBe('renamed');
    expect(net.name).toBe('fc');
  });

  it('bad compositions are IsotensorErrors naming the op and argument', () => {
    const x = sym.Variable('x');
    const y = sym.Variable('y');
    expectError(() => sym.FullyConnected({ data: x, numHidden: 3, foo: y } as any), 'FullyConnected', 'foo');
    expectError(() => sym.FullyConnected(x, { data: y, numHidden: 3 } as any), 'FullyConnected', 'data', 'twice');
    expectError(() => sym.FullyConnected({ data: x } as any), 'FullyConnected', 'num_hidden');
    expectError(() => sym.FullyConnected({ data: x, numHidden: 3, bogusParam: 1 } as any), 'FullyConnected', 'bogus_param');
    expectError(() => sym.Activation({ data: x, actType: 'nope' } as any), 'Activation', 'act_type');
    expectError(() => sym.Activation({ data: sym.Group([x, y]), actType: 'relu' }), 'Activation', 'data', 'group');
    expectError(() => sym.Activation(x, y, { actType: 'relu' }), 'Activation', 'at most 1');
    const net = sym.Activation({ data: x, actType: 'relu' });
    expectError(() => net.call({ nothere: y }), 'nothere', 'x');
    expectError(() => x.call({ x: y }), 'variable cannot be composed');
    expectError(() => sym.Concat(x, y, { dim: 0, data: x } as any), 'Concat', 'not both');
    expectError(() => sym.Variable('v', { foo: 1 } as any), 'foo', 'double underscores');
  });
});

describe('attributes', () => {
  it('Variable options become MXNet\'s hidden attributes', () => {
    const v = sym.Variable('w', {
      shape: [3, 4], dtype: 'float16', lrMult: 2, wdMult: 0.5, init: '["zero", {}]', attr: { mood: 'angry' },
      __extra__: 'yes',
    });
    expect(v.listAttr()).toEqual({
      __dtype__: '2', __extra__: 'yes', __init__: '["zero", {}]', __lr_mult__: '2', lr_mult: '2',
      __shape__: '(3, 4)', __wd_mult__: '0.5', wd_mult: '0.5', mood: 'angry',
    });
    expect(v.attr('mood')).toBe('angry');
    expect(v.attr('lr_mult')).toBe('2');
    expect(v.attr('__lr_mult__')).toBe('2');
    expect(v.attr('missing')).toBeNull();
    expect(sym.var('s', { shape: [7] }).attr('__shape__')).toBe('(7,)');
    expect(sym.var('i', { init: { dumps: () => '["xavier", {}]' } }).attr('__init__')).toBe('["xavier", {}]');
    expect(sym.var('r', { stype: 'row_sparse' }).attr('__storage_type__')).toBe('1');
  });

  it('attr_dict over the graph, as MXNet\'s docstring example', () => {
    const a = sym.Variable('a', { attr: { a1: 'a2' } });
    const b = sym.Variable('b', { attr: { b1: 'b2' } });
    const c = a.add(b);
    expect(c.attrDict()).toEqual({ a: { a1: 'a2' }, b: { b1: 'b2' } });
    expect(c.listAttr()).toEqual({});
    const fc = sym.FullyConnected({ data: a, numHidden: 3, name: 'fc' });
    expect(fc.listAttr()).toEqual({ num_hidden: '3' });
    // MXNet copies the op's attributes onto the variables it creates for missing inputs.
    expect(fc.attrDict()).toEqual({ a: { a1: 'a2' }, fc_weight: { num_hidden: '3' }, fc_bias: { num_hidden: '3' },
                                    fc: { num_hidden: '3' } });
  });

  it('AttrScope (MXNet\'s test_attr_basic and test_operator)', () => {
    const [data, gdata] = new mx.AttrScope({ group: '4', data: 'great' }).run(() => [
      sym.Variable('data', { attr: { dtype: 'data', group: '1', force_mirroring: 'True' }, lrMult: 1 }),
      sym.Variable('data2'),
    ]);
    expect(gdata.attr('group')).toBe('4');
    expect(data.attr('group')).toBe('1');
    expect(data.attr('lr_mult')).toBe('1');
    expect(data.attr('__lr_mult__')).toBe('1');
    expect(data.attr('force_mirroring')).toBe('True');
    expect(data.attr('__force_mirroring__')).toBe('True');
    const x = sym.Variable('x');
    const fc2 = new mx.AttrScope({ __group__: '4', __data__: 'great' }).run(() => {
      const fc1 = sym.Activation(x, { actType: 'relu' });
      return new mx.AttrScope({ __init_bias__: '0.0' }).run(() => sym.FullyConnected(fc1, { numHidden: 10, name: 'fc2' }));
    });
    expect(fc2.attr('__data__')).toBe('great');
    expect(fc2.attr('__init_bias__')).toBe('0.0');
    // ctx_group given to an op becomes __ctx_group__.
    const placed = new mx.AttrScope({ ctx_group: 'dev1' }).run(() => sym.Activation(x, { actType: 'relu' }));
    expect(placed.attr('__ctx_group__')).toBe('dev1');
    expect(placed.attr('ctx_group')).toBe('dev1');
    expect(mx.AttrScope.current.get()).toEqual({});
  });

  it('setAttr: names, hidden keys and their deprecated spellings', () => {
    const v = sym.Variable('v');
    v.setAttr({ lr_mult: '3', note: 'x' });
    expect(v.listAttr()).toEqual({ __lr_mult__: '3', lr_mult: '3', note: 'x' });
    expectError(() => v.setAttr({ weight_lr_mult: '1' }), 'weight_lr_mult', 'deprecated');
    expectError(() => v.setAttr({ n: 3 as any }), 'must be a string');
    const g = sym.Group([v, sym.Variable('w')]);
    expectError(() => g.setAttr({ a: 'b' }), 'grouped');
    expect(g.attr('a')).toBeNull();
    const fc = sym.FullyConnected({ data: v, numHidden: 2, name: 'fc' });
    expectError(() => fc.setAttr({ num_hidden: 'many' }), 'FullyConnected', 'num_hidden');
    expectError(() => sym.FullyConnected({ data: v, numHidden: 2, attr: { weight_lr_mult: '2' } }), 'weight_lr_mult');
  });
});

describe("NDArray's math methods on Symbols (MXNet's fluent Symbol methods)", () => {
  // [method, args]: each runs on an NDArray and on a Symbol bound to the same array; the values must agree.
  const calls: Array<[string, unknown[]]> = [
    ['exp', []], ['log', []], ['sqrt', []], ['square', []], ['relu', []], ['sigmoid', []], ['tanh', []],
    ['sum', []], ['sum', [1]], ['sum', [1, true]], ['sum', [[0, 2], false, true]], ['sum', [{ axis: 2, keepdims: true }]],
    ['mean', [0]], ['max', [2]], ['min', [null, true]], ['prod', [{ axis: 1 }]],
    ['argmax', [1]], ['argmin', [{ axis: 2, keepdims: true }]], ['argmax', []],
    ['norm', []], ['norm', [1]], ['norm', [2, 1, true]], ['norm', [[1, 2]]],
    ['transpose', []], ['transpose', [[1, 0, 2]]], ['transpose', [2, 0, 1]], ['transpose', [{ axes: [0, 2, 1] }]],
    ['expandDims', [1]], ['flatten', []], ['clip', [0.3, 0.7]],
    ['sort', []], ['sort', [1, false]], ['argsort', [{ axis: 0, isAscend: false }]],
    ['topk', [{ k: 2, retTyp: 'value' }]], ['topk', [{ k: 1, axis: 1 }]],
    ['flip', [[0, 2]]], ['tile', [[1, 2, 1]]], ['repeat', [2, { axis: 1 }]],
    ['reshape', [-1, 4]], ['reshape', [[0, -1]]], ['reshape', [[-1, 0], { reverse: true }]], ['reshape', [-3, -2]], ['reshape', [-4, 1, 2, -2]],
    ['maximum', [0.5]], ['minimum', [0.5]], ['greater', [0.5]], ['lesserEqual', [0.25]], ['notEqual', [0]], ['equal', [0]],
    ['astype', ['float64']],
    ['softmax', []], ['softmax', [0]], ['logSoftmax', [{ axis: 1, temperature: 2 }]], ['softmin', [2]], ['swapaxes', [0, 2]],
    ...['floor', 'ceil', 'round', 'rint', 'fix', 'trunc', 'sign', 'reciprocal', 'rsqrt', 'cbrt', 'rcbrt', 'expm1', 'log1p',
      'log2', 'log10', 'sin', 'cos', 'tan', 'arcsin', 'arccos', 'arctan', 'sinh', 'cosh', 'arcsinh', 'arctanh', 'degrees',
      'radians', 'softsign', 'erf', 'erfinv', 'gamma', 'gammaln', 'logicalNot', 'zerosLike', 'onesLike']
      .map((m): [string, unknown[]] => [m, []]),
  ];
  const values = Array.from({ length: 24 }, (_, i) => ((i * 7) % 24) / 24 + 0.01);

  // Reads are awaited: this spec also runs on a browser page's main thread, where blocking reads throw.
  const read = async (x: Sym): Promise<number[]> => Array.from((await x.data()) as ArrayLike<number>);

  it('give the values the NDArray methods give', async () => {
    const { nd } = mx;
    const a = nd.array(values, { shape: [2, 3, 4] });
    const x: Sym = sym.Variable('x');
    for (const [m, args] of calls) {
      const want = (a as Sym)[m](...args);
      const s: Sym = x[m](...args);
      const ex = s.bind(mx.cpu(), { x: a });
      const got = ex.forward()[0];
      expect(got.shape, `${m}(${JSON.stringify(args)})`).toEqual(want.shape);
      expect(got.dtype, `${m}(${JSON.stringify(args)})`).toBe(want.dtype);
      expect(await read(got), `${m}(${JSON.stringify(args)})`).toEqual(await read(want));
    }
    // Operands that are Symbols: dot and the broadcasting comparisons.
    const b = nd.array(values.slice(0, 12).reverse(), { shape: [4, 3] });
    const y: Sym = sym.Variable('y');
    const m2 = a.reshape([6, 4]);
    const ex = x.reshape(6, 4).dot(y, { transposeB: false }).maximum(y.T.sum(1, true).T).bind(mx.cpu(), { x: a, y: b });
    const want = m2.dot(b).maximum(b.T.sum(1, true).T);
    expect(await read(ex.forward()[0])).toEqual(await read(want));
    const bc = x.sum(0, true).broadcastTo([2, 3, 4]).bind(mx.cpu(), { x: a }).forward()[0];
    expect(await read(bc)).toEqual(await read(a.sum(0, true).broadcastTo([2, 3, 4])));
  });

  it('write the ops and attributes MXNet writes, with its automatic names', () => {
    fresh(() => {
      const x: Sym = sym.Variable('x');
      const s = x.reshape([0, -1]).sum(1, true).transpose().flatten().astype('float16');
      const nodes = JSON.parse(s.toJSON()).nodes.filter((n: Sym) => n.op !== 'null');
      expect(nodes.map((n: Sym) => [n.op, n.name, n.attrs])).toEqual([
        ['Reshape', 'reshape0', { shape: '(0, -1)' }],
        ['sum', 'sum0', { axis: '(1,)', keepdims: 'True' }],
        ['transpose', 'transpose0', undefined],  // MXNet writes no attrs object for an op without them
        ['Flatten', 'flatten0', undefined],
        ['Cast', 'cast0', { dtype: 'float16' }],
      ]);
      const more = JSON.parse(x.swapaxes(0, 1).floor().zerosLike().softmax(1).toJSON()).nodes.slice(1);
      expect(more.map((n: Sym) => [n.op, n.name])).toEqual([
        ['SwapAxis', 'swapaxes0'], ['floor', 'floor0'], ['zeros_like', 'zeros_like0'], ['softmax', 'softmax0']]);
      const r = JSON.parse(x.reshape([-1, 0], { reverse: true }).toJSON()).nodes[1];
      expect(r.attrs).toEqual({ reverse: 'True', shape: '(-1, 0)' });
      expect(x.topk({ k: 2, retTyp: 'both' }).listOutputs()).toEqual(['topk0_output0', 'topk0_output1']);
    });
  });

  it('refuse what the NDArray methods refuse, by name', () => {
    const x: Sym = sym.Variable('x');
    expectError(() => x.flip(0, 1), 'flip', "one 'axis' argument expected");
    expectError(() => x.sum(1, 'yes'), 'sum');
    expectError(() => x.reshape([2, 'a']), 'reshape: shape must be integers');
    expectError(() => x.reshape([2], { revers: true }), "unknown option 'revers'");
    expectError(() => x.dot(2), 'dot', "'rhs'");
    expectError(() => x.transpose(1, 'a'), 'transpose: axes given one by one must all be numbers');
    expectError(() => x.floor(1), 'floor: takes no arguments');
    expectError(() => mx.nd.ones([2]).sin(0), 'sin: takes no arguments');
    expectError(() => x.softmax(0, 1), 'softmax', "one 'axis' argument expected");
    expectError(() => x.swapaxes(0, 'a'), 'swapaxes: dim1 and dim2 must be integers');
  });

  it('a hybridForward written with them runs hybridized as it runs imperatively, gradients included', async () => {
    const { nd, gluon, autograd } = mx;
    class Net extends gluon.HybridBlock {
      fc: Sym;
      constructor() {
        super();
        this.fc = new gluon.nn.Dense(3, { inUnits: 4 });
        this.registerChild(this.fc);
      }
      override hybridForward(_F: Sym, x: Sym): Sym {
        const h = this.fc.forward(x.reshape(-1, 4)).tanh();
        return h.square().sum(1).sqrt().expandDims(1).maximum(0.1).mean();
      }
    }
    const a = nd.array(values, { shape: [2, 3, 4] });
    const run = async (hybrid: boolean): Promise<Sym[]> => {
      mx.random.seed(7);
      const net = new Net();
      net.initialize();
      if (hybrid) net.hybridize();
      const params = [...net.collectParams().values()] as Sym[];
      const y = autograd.record(() => net.forward(a));
      y.backward();
      return [await y.scalar(), ...(await Promise.all(params.map((p) => read(p.grad()))))];
    };
    const imperative = await run(false);
    const hybrid = await run(true);
    expect(hybrid[0]).toBeCloseTo(imperative[0], 6);
    for (let i = 1; i < imperative.length; i++) {
      (hybrid[i] as number[]).forEach((g, j) => expect(g).toBeCloseTo((imperative[i] as number[])[j]!, 5));
    }
  });
});

describe('lifetime', () => {
  it('dispose frees the handle; the graph lives on in other symbols', () => {
    const x = sym.Variable('x');
    const y = sym.Activation(x, { actType: 'relu', name: 'r' });
    x.dispose();
    expect(x.isDisposed).toBe(true);
    x.dispose(); // twice is fine
    expectError(() => x.listArguments(), 'disposed');
    expect(y.listArguments()).toEqual(['x']);
    {
      using z = sym.Variable('z');
      expect(z.name).toBe('z');
    }
    for (let i = 0; i < 2000; i++) sym.Variable(`t${i}`).add(1).dispose();
  });
});
