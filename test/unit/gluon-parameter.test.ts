// gluon.Parameter / Constant / ParameterDict: shapes and deferred initialization, initializer precedence (mx.init,
// Orthogonal), gradReq, multi-context data and gradients, errors, save/load with MXNet's rules.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { here } from '../helpers/backend';
import { gluonSpec, host } from '../helpers/gluon-spec';

const { nd, gluon, autograd } = mx;
type Arr = any;
const dir = gluonSpec('gluon-parameter', 'ist-gluon-param-');

describe('Parameter', () => {
  it('initializes data and a zero gradient; backward writes the gradient', () => {
    const p = new gluon.Parameter('w', { shape: [2, 3], init: new mx.init.One() });
    expect(p.isInitialized).toBe(false);
    p.initialize();
    expect(p.data().shape).toEqual([2, 3]);
    expect(host(p.data())).toEqual([1, 1, 1, 1, 1, 1]);
    expect(host(p.grad())).toEqual([0, 0, 0, 0, 0, 0]);
    autograd.record(() => p.data().mul(3).sum()).backward();
    expect(host(p.grad())).toEqual([3, 3, 3, 3, 3, 3]);
    p.zeroGrad();
    expect(host(p.grad())).toEqual([0, 0, 0, 0, 0, 0]);
    expect(p.listCtx().map(String)).toEqual([here()]);
    expect(String(p)).toBe('Parameter w (shape=(2, 3), dtype=float32)');
  });

  it("gradReq 'add' accumulates, 'null' drops the gradient and detaches", () => {
    const p = new gluon.Parameter('a', { shape: [2], gradReq: 'add', init: new mx.init.One() });
    p.initialize();
    for (let i = 0; i < 3; i++) autograd.record(() => p.data().mul(2).sum()).backward();
    expect(host(p.grad())).toEqual([6, 6]);
    p.gradReq = 'null';
    expect(() => p.grad()).toThrow(/gradReq is 'null'/);
    p.gradReq = 'write';
    autograd.record(() => p.data().mul(5).sum()).backward();
    expect(host(p.grad())).toEqual([5, 5]);
    const c = new gluon.Parameter('c', { shape: [2], differentiable: false });
    expect(c.gradReq).toBe('null');
    expect(() => new gluon.Parameter('bad', { gradReq: 'sometimes' as any })).toThrow(mx.IsotensorError);
  });

  it('lives on several contexts: data, gradient lists, ctx errors', () => {
    const p = new gluon.Parameter('m', { shape: [3], init: new mx.init.Constant(2) });
    p.initialize({ ctx: [mx.cpu(0), mx.cpu(1)] });
    expect(p.listData().map((a: Arr) => String(a.context))).toEqual(['cpu(0)', 'cpu(1)']);
    expect(p.listGrad().length).toBe(2);
    expect(host(p.data(mx.cpu(1)))).toEqual([2, 2, 2]);
    expect(() => p.data(mx.cpu(2))).toThrow("Parameter 'm' was not initialized on context cpu(2)");
    p.setData(nd.array([1, 2, 3]));
    expect(host(p.data(mx.cpu(0)))).toEqual([1, 2, 3]);
    expect(host(p.data(mx.cpu(1)))).toEqual([1, 2, 3]);
    p.resetCtx(mx.cpu(3));
    expect(p.listCtx().map(String)).toEqual(['cpu(3)']);
    expect(host(p.data())).toEqual([1, 2, 3]);
  });

  it('defers initialization until the shape is known; errors before', () => {
    const p = new gluon.Parameter('d_weight', { shape: [4, 0], allowDeferredInit: true });
    expect(() => p.data()).toThrow(/has not been initialized/);
    expect(() => new gluon.Parameter('n', { shape: [4, 0] }).initialize()).toThrow(/unknown shape \(4, 0\)/);
    p.initialize({ init: new mx.init.Constant(0.5) });
    expect(p.isDeferred).toBe(true);
    expect(() => p.data()).toThrow(gluon.DeferredInitializationError);
    expect(() => p.data()).toThrow(/initialization was deferred/);
    expect(() => { p.shape = [5, 3]; }).toThrow('expected shape (4, 0) is incompatible with given shape (5, 3)');
    p.shape = [4, 3];
    p.finishDeferredInit();
    expect(p.data().shape).toEqual([4, 3]);
    expect(host(p.data())).toEqual(new Array(12).fill(0.5));
    const q = new gluon.Parameter('q', { shape: [2] });
    expect(() => q.data()).toThrow(/Parameter 'q' has not been initialized/);
    expect(() => q.data()).toThrow(mx.IsotensorError);
  });

  it("a parameter's own init wins over the initialize() default; defaults are Uniform(0.07)", () => {
    const w = new gluon.Parameter('x_weight', { shape: [50, 40] });
    w.initialize();
    const v = host(w.data());
    expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(0.07);
    expect(Math.max(...v.map(Math.abs))).toBeGreaterThan(0.05);
    const b = new gluon.Parameter('x_bias', { shape: [3], init: 'zeros' });
    b.initialize({ init: new mx.init.One() });   // MXNet: init given to initialize() is used only without own init
    expect(host(b.data())).toEqual([0, 0, 0]);
    const c = new gluon.Parameter('x_other', { shape: [3] });
    c.initialize({ defaultInit: new mx.init.Constant(7) });
    expect(host(c.data())).toEqual([7, 7, 7]);
    // A name-rule-free initializer applies its weight rule to any name (MXNet passes it as __init__).
    const g = new gluon.Parameter('x_gamma', { shape: [2] });
    g.initialize({ defaultInit: new mx.init.Constant(3) });
    expect(host(g.data())).toEqual([3, 3]);
    expect(() => w.initialize()).not.toThrow();   // already initialized: warns, keeps data
    w.initialize({ forceReinit: true, defaultInit: new mx.init.Zero() });
    expect(host(w.data()).every((x) => x === 0)).toBe(true);
  });

  it('Orthogonal gives orthonormal rows (or columns) times scale', () => {
    for (const [shape, randType] of [[[4, 9], 'uniform'], [[9, 4], 'normal'], [[3, 2, 2, 2], 'uniform']] as const) {
      const p = new gluon.Parameter('o_weight', { shape: [...shape], init: new mx.init.Orthogonal({ scale: 2, randType }) });
      p.initialize();
      const rows = shape[0];
      const cols = shape.slice(1).reduce((a, d) => a * d, 1);
      const w = host(p.data());
      const [n, m, get] = rows <= cols
        ? [rows, cols, (i: number, k: number) => w[i * cols + k]!]
        : [cols, rows, (i: number, k: number) => w[k * cols + i]!];
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let dot = 0;
          for (let k = 0; k < m; k++) dot += get(i, k) * get(j, k);
          expect(dot).toBeCloseTo(i === j ? 4 : 0, 4);
        }
      }
    }
    expect(new mx.init.Orthogonal().dumps()).toBe('["orthogonal", {"scale": 1.414, "rand_type": "uniform"}]');
    expect(mx.init.create('orthogonal')).toBeInstanceOf(mx.init.Orthogonal);
  });

  it('casts, and var() carries shape, dtype and multipliers', () => {
    const p = new gluon.Parameter('v_weight', { shape: [2, 0], lrMult: 2, wdMult: 0.5, dtype: 'float16' });
    const v = p.var();
    expect(v.name).toBe('v_weight');
    expect(v.attr('__shape__')).toBe('(2, 0)');
    expect(v.attr('__lr_mult__')).toBe('2.0');
    expect(v.attr('__storage_type__')).toBe('0');
    expect(v.attr('__wd_mult__')).toBe('0.5');
    expect(v.attr('__dtype__')).toBe('2');
    const q = new gluon.Parameter('c_weight', { shape: [3], init: new mx.init.One() });
    q.initialize();
    q.cast('float64');
    expect(q.data().dtype).toBe('float64');
    expect(q.grad().dtype).toBe('float64');
    expect(host(q.data())).toEqual([1, 1, 1]);
  });

  it('Constant holds a value with no gradient', () => {
    const c = new gluon.Constant('const0', nd.array([[1, 2], [3, 4]]));
    c.initialize();
    expect(c.gradReq).toBe('null');
    expect(host(c.data())).toEqual([1, 2, 3, 4]);
    expect(() => c.grad()).toThrow(mx.IsotensorError);
  });
});

describe('ParameterDict', () => {
  it('creates prefixed parameters once, merges unknown dims, rejects conflicts', () => {
    const pd = new gluon.ParameterDict('blk0_');
    const w = pd.get('weight', { shape: [3, 0] });
    expect(w.name).toBe('blk0_weight');
    expect(pd.get('weight', { shape: [3, 5] })).toBe(w);
    expect(w.shape).toEqual([3, 5]);
    expect(() => pd.get('weight', { shape: [4, 5] })).toThrow(/incompatible/);
    expect(() => pd.get('weight', { gradReq: 'add' })).toThrow(/does not match with stored for attribute 'gradReq'/);
    const c = pd.getConstant('c', [1, 2]);
    expect(pd.getConstant('c')).toBe(c);
    expect([...pd.keys()]).toEqual(['blk0_weight', 'blk0_c']);
    expect(pd.item('blk0_c')).toBe(c);
    expect(() => pd.item('nope')).toThrow(/no parameter 'nope'/);
    // shared dict: names resolve through it
    const shared = new gluon.ParameterDict('blk0_', pd);
    expect(shared.get('weight')).toBe(w);
    const other = new gluon.ParameterDict('blk0_');
    other.get('weight');
    expect(() => other.update(pd)).toThrow(/different Parameters with the same name 'blk0_weight'/);
  });

  it('initialize takes an initializer or its name alone, as MXNet\'s positional init', () => {
    mx.scope(() => {
      const values = (net: mx.gluon.Block): number[] =>
        [...net.collectParams().values()].flatMap((p) => Array.from(p.data().dataSync()));
      const a = new gluon.nn.Dense(3, { inUnits: 2 });
      a.initialize(new mx.init.One());  // was read as options without init: Uniform's values
      expect(values(a)).toEqual([...Array(6).fill(1), 0, 0, 0]);  // the bias keeps its own 'zeros'
      const b = new gluon.nn.Dense(3, { inUnits: 2 });
      b.initialize('zeros');
      expect(values(b)).toEqual(Array(9).fill(0));
      const c = new gluon.nn.Dense(3, { inUnits: 2 });
      c.collectParams().initialize(new mx.init.Constant(2));
      expect(values(c)).toEqual([...Array(6).fill(2), 0, 0, 0]);
      const p = new gluon.Parameter('w', { shape: [2] });
      p.initialize(new mx.init.Constant(5));
      expect(Array.from(p.data().dataSync())).toEqual([5, 5]);
      expect(() => new gluon.nn.Dense(3, { inUnits: 2 }).initialize(5 as never)).toThrow(/Block.initialize: options must be an object, got number/);
    });
  });

  it('select matches at the start like re.match', () => {
    const pd = new gluon.ParameterDict('net_');
    for (const n of ['dense0_weight', 'dense0_bias', 'conv0_weight']) pd.get(n, { shape: [1] });
    expect([...pd.select('.*weight').keys()]).toEqual(['net_dense0_weight', 'net_conv0_weight']);
    expect([...pd.select('weight').keys()]).toEqual([]);
    expect([...pd.select('net_dense0_.*|net_conv').keys()]).toEqual(['net_dense0_weight', 'net_dense0_bias', 'net_conv0_weight']);
    expect([...pd.select(/bias$/).keys()]).toEqual(['net_dense0_bias']);
  });

  it('save/load round trip with missing/extra/mismatch errors and options', () => {
    const pd = new gluon.ParameterDict('m_');
    pd.get('a', { shape: [2], init: new mx.init.Constant(1) });
    pd.get('b', { shape: [3], init: new mx.init.Constant(2) });
    pd.initialize({ ctx: [mx.cpu(0), mx.cpu(1)] });
    pd.item('m_a').data(mx.cpu(1)).set(3);   // save writes the mean over contexts: 2
    const f = join(dir, 'pd.params');
    pd.save(f);
    expect(Object.keys(nd.loadSync(f)).sort()).toEqual(['m_a', 'm_b']);
    const q = new gluon.ParameterDict('m_');
    q.get('a', { shape: [2] });
    q.get('b', { shape: [3] });
    q.load(f, mx.cpu());
    expect(host(q.item('m_a').data())).toEqual([2, 2]);
    expect(host(q.item('m_b').data())).toEqual([2, 2, 2]);

    const more = new gluon.ParameterDict('m_');
    more.get('a', { shape: [2] });
    more.get('b', { shape: [3] });
    more.get('c', { shape: [1] });
    expect(() => more.load(f)).toThrow(/Parameter 'm_c' is missing in file .*pd\.params/);
    more.load(f, null, { allowMissing: true });
    expect(more.item('m_c').isInitialized).toBe(false);

    const fewer = new gluon.ParameterDict('m_');
    fewer.get('a', { shape: [2] });
    expect(() => fewer.load(f)).toThrow(/Parameter 'm_b' loaded from file .* is not present in ParameterDict/);
    fewer.load(f, null, { ignoreExtra: true });
    expect(host(fewer.item('m_a').data())).toEqual([2, 2]);

    const wrong = new gluon.ParameterDict('m_');
    wrong.get('a', { shape: [5] });
    wrong.get('b', { shape: [3] });
    expect(() => wrong.load(f)).toThrow("Failed loading Parameter 'm_a' from saved params: shape incompatible expected (5,) vs saved (2,)");

    // stripPrefix / restorePrefix
    pd.save(join(dir, 'strip.params'), 'm_');
    expect(Object.keys(nd.loadSync(join(dir, 'strip.params'))).sort()).toEqual(['a', 'b']);
    const r = new gluon.ParameterDict('m_');
    r.get('a', { shape: [2] });
    r.get('b', { shape: [3] });
    r.load(join(dir, 'strip.params'), null, { restorePrefix: 'm_' });
    expect(host(r.item('m_b').data())).toEqual([2, 2, 2]);
    expect(() => pd.save(join(dir, 'x.params'), 'zz_')).toThrow(/prefix 'zz_' is to be stripped/);
  });

  it("strips Module checkpoints' arg:/aux: prefixes", () => {
    const f = join(dir, 'ckpt.params');
    nd.saveSync(f, { 'arg:fc_weight': nd.ones([2, 2]), 'aux:bn_moving_mean': nd.zeros([2]) });
    const pd = new gluon.ParameterDict('');
    pd.get('fc_weight');
    pd.get('bn_moving_mean', { gradReq: 'null' });
    pd.load(f);
    expect(pd.item('fc_weight').shape).toEqual([2, 2]);
    expect(host(pd.item('bn_moving_mean').data())).toEqual([0, 0]);
  });

  it('initialize, zeroGrad and setattr apply to all', () => {
    const pd = new gluon.ParameterDict('z_');
    pd.get('weight', { shape: [2, 2] });
    pd.get('bias', { shape: [2], init: 'zeros' });
    pd.initialize({ init: new mx.init.One() });
    expect(host(pd.item('z_weight').data())).toEqual([1, 1, 1, 1]);
    expect(host(pd.item('z_bias').data())).toEqual([0, 0]);
    pd.setattr('lrMult', 0.1);
    expect(pd.item('z_bias').lrMult).toBe(0.1);
    pd.setattr('gradReq', 'null');
    expect(pd.item('z_weight').gradReq).toBe('null');
  });
});
