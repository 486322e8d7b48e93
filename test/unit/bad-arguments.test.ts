// Missing, null and wrong-typed arguments to the public API (the type fuzz's findings): each must come back
// as an mx.IsotensorError naming the function and the argument, null options must mean "no options", and
// the library must keep computing correct values afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { expectError } from '../helpers/errors';

const { nd, sym, gluon, autograd } = mx;
const { nn } = gluon;
beforeAll(() => mx.ready());

// What a JS caller can pass where the types say otherwise.
const any = (v: unknown): any => v;  // eslint-disable-line @typescript-eslint/no-explicit-any
const S = Symbol('s');

function stillWorks(): void {
  mx.scope(() => {
    const a = nd.array([[1, 2, 3], [4, 5, 6]]);
    expect(nd.dot(a, nd.array([[1, 0], [0, 1], [1, 1]])).toArraySync()).toEqual([[4, 5], [10, 11]]);
    expect(Array.from(a.sum(1).dataSync())).toEqual([6, 15]);
    const net = new nn.Dense(2, { inUnits: 3, useBias: false });
    net.initialize({ init: new mx.initializer.One() });
    expect(net.forward(a).toArraySync()).toEqual([[6, 6], [15, 15]]);
    mx.waitAll();
  });
}

describe('missing required arguments', () => {
  it('layers, losses and samplers name the missing argument', () => {
    expectError(() => new nn.Conv2D(20, any(undefined)), 'Conv2D', /'kernelSize'/, /2 non-negative/);
    expectError(() => new nn.Pooling(2, any(undefined), 'max', false), 'Pooling', /'dims'/);
    expectError(() => new gluon.rnn.RNNLayer(10, any(undefined)), 'RNNLayer', /'cfg'/, /mode/);
    expectError(() => new gluon.data.FilterSampler(any(undefined), any(undefined)), 'FilterSampler', /'fn'/, /function/);
    expectError(() => gluon.data.defaultBatchify(any(undefined)), /'samples'/, /got undefined/);
    expectError(() => gluon.loss.applyWeighting(nd, any(undefined), null), 'applyWeighting', /'loss'/);
    expectError(() => any(gluon.loss.reshapeLike)(), 'reshapeLike', /'F'/, /op namespace/);
  });

  it('utilities and image transforms', () => {
    const x = nd.ones([4, 3]);
    expectError(() => gluon.utils.splitAndLoad(x, any(undefined)), 'splitAndLoad', /'ctxList'/, /got undefined/);
    expectError(() => gluon.utils.clipGlobalNorm([x], any(undefined)), 'clipGlobalNorm', /'maxNorm'/);
    expectError(() => gluon.utils.clipGlobalNorm(any(undefined), 1), 'clipGlobalNorm', /'arrays'/);
    const img = nd.zeros([4, 6, 3], { dtype: 'uint8' });
    expectError(() => mx.image.centerCrop(img, any(undefined)), 'centerCrop', /'size'/, /\(W, H\)/);
    expectError(() => mx.image.scaleDown(any(undefined), [2, 2]), 'scaleDown', /'srcSize'/);
    expectError(() => mx.image.colorNormalize(any(undefined), 1), 'colorNormalize', /'src'/);
    expectError(() => mx.image.imreadSync(any(undefined)), 'imreadSync', /'path'/, /got undefined/);
    expectError(() => mx.onnx.readTensorSync(any(undefined)), 'readTensorSync', /'path'/);
    expectError(() => mx.onnx.writeTensor(any(undefined)), 'writeTensor', /'x'/);
    expectError(() => mx.onnx.elementType(any(null)), 'elementType', /'x'/, /got null/);
  });

  it('callbacks: the mode and the default context are left as they were', () => {
    const training = autograd.isTraining();
    expectError(() => autograd.trainMode(any(5)), 'autograd.trainMode', /'fn'/, /got number/);
    expectError(() => autograd.predictMode(any(nd.ones([1]))), 'autograd.predictMode', /'fn'/);
    expect(autograd.isTraining()).toBe(training);
    const ctx = mx.currentContext();
    expectError(() => mx.withContext(mx.cpu(), any(undefined)), 'withContext', /'fn'/, /got undefined/);
    expectError(() => mx.withContext(any('cpu'), () => 1), 'withContext', /'ctx'/);
    expect(mx.currentContext().equals(ctx)).toBe(true);
  });

  it('symbols: paths, attributes and inputs', () => {
    const s = sym.Variable('data');
    expectError(() => sym.loadSync(any(undefined)), 'sym.loadSync', /'path'/, /got undefined/);
    expectError(() => s.saveSync(any(undefined)), 'Symbol.saveSync', /'path'/);
    expectError(() => s.setAttr(any(undefined)), 'Symbol.setAttr', /'attrs'/);
    expectError(() => s.call(any(undefined)), 'Symbol.call', /'inputs'/);
    return expect(s.save(any(null))).rejects.toThrow(/Symbol.save: argument 'path'/);
  });

  it('registries', () => {
    expectError(() => mx.metric.register(any(undefined), any(undefined)), 'metric.register', /'names'/);
    expectError(() => mx.initializer.register(['x'], any(undefined)), 'initializer.register', /'factory'/);
    expectError(() => mx.optimizer.register(any(undefined)), 'optimizer.register', /'klass'/);
    expectError(() => new mx.initializer.Load(any(undefined)), 'Load', /'param'/);
    expectError(() => new mx.initializer.Mixed(any(undefined), any(undefined)), 'Mixed', /'patterns'/);
    expectError(() => mx.metric.np(any(undefined)), 'metric.np', /'feval'/);
  });
});

describe('null as the options object means no options', () => {
  it('blocks, losses and cells', () => {
    const d = new nn.Dense(3, any(null));
    expect(d).toBeInstanceOf(nn.Dense);
    expect(d.units ?? 3).toBe(3);
    d.initialize();
    expect(d.forward(nd.ones([2, 4])).shape).toEqual([2, 3]);
    for (const make of [() => new nn.Flatten(any(null)), () => new nn.BatchNorm(any(null)), () => new nn.HybridSequential(any(null)),
      () => new nn.MaxPool1D(any(null)), () => new nn.Conv2D(4, 3, any(null)), () => new gluon.loss.L2Loss(any(null)),
      () => new gluon.loss.SoftmaxCrossEntropyLoss(any(null)), () => new gluon.rnn.LSTMCell(4, any(null)),
      () => new gluon.rnn.GRUCell(4, any(null)), () => new gluon.rnn.LSTM(4, any(null))]) {
      expect(make()).toBeInstanceOf(gluon.Block);
    }
    const loss = new gluon.loss.L1Loss(any(null));
    expect(Array.from(loss.forward(nd.array([[1, 2]]), nd.array([[0, 0]])).dataSync())).toEqual([1.5]);
  });

  it('metrics, initializers, optimizers and functions with options', () => {
    const acc = new mx.metric.Accuracy(any(null));
    acc.update([nd.array([1, 0])], [nd.array([[0.2, 0.8], [0.9, 0.1]])]);
    expect(acc.get()).toEqual(['accuracy', 1]);
    expect(new mx.metric.F1(any(null)).name).toBe('f1');
    expect(new mx.metric.CompositeEvalMetric(any(null)).metrics).toEqual([]);
    expect(new mx.initializer.Xavier(any(null))).toBeInstanceOf(mx.initializer.Initializer);
    expect(new mx.initializer.Uniform(any(null)).scale).toBe(0.07);
    expect(new mx.optimizer.SGD(any(null))).toBeInstanceOf(mx.optimizer.Optimizer);
    expect(new mx.optimizer.Adam(any(null)).learningRate).toBeCloseTo(0.001);
    expect(sym.Variable('data').printSummary(null, any(null))).toContain('Total params: 0');
  });

  it('anything else as options is refused by name', () => {
    expectError(() => new nn.Dense(3, any(5)), 'Dense', /options must be an object/, /got number/);
    expectError(() => new mx.metric.Accuracy(any('x')), 'Accuracy', /options/, /got string/);
    expectError(() => new mx.optimizer.SGD(any([1])), 'SGD', /options/, /got array/);
  });
});

describe('wrong types', () => {
  it('Symbols and BigInts reach the message, not a TypeError', () => {
    const x = nd.ones([4, 3]);
    expectError(() => gluon.utils.splitData(x, any(S)), 'splitData', /'numSlice'/, /Symbol\(s\)/);
    expectError(() => new gluon.data.SequentialSampler(any(S)), 'SequentialSampler', /'length'/, /Symbol\(s\)/);
    expectError(() => new gluon.data.BatchSampler(new gluon.data.SequentialSampler(4), any(S)), 'BatchSampler', /batchSize must/, /Symbol\(s\)/);
    expectError(() => new gluon.data.IntervalSampler(4, any(S)), 'IntervalSampler', /interval Symbol\(s\) must/);
    expectError(() => new nn.Dropout(any(S)), 'Dropout', /'rate'/);
    expectError(() => new nn.Activation(any(S)), 'Activation', /'activation'/, /got symbol/);
    expectError(() => new nn.Pooling(2, 2, 'max', false, { strides: any(2n) }), 'Pooling', /'strides'/);
    expectError(() => mx.image.imresize(nd.zeros([4, 4, 3]), any(S), 2), 'imresize', /\bw must/, /Symbol\(s\)/);
    expectError(() => mx.optimizer.create(any(S)), 'optimizer.create', /'name'/, /got symbol/);
    expectError(() => mx.onnx.writeTensor(x, any(S)), 'writeTensor', /'name'/);
    expectError(() => sym.loadSync(any(2n)), 'sym.loadSync', /'path'/, /got bigint/);
    const s = sym.Variable('data');
    expectError(() => s.at(any(S)), 'Symbol.at', /'i'/);
    expectError(() => s.get(any(S)), 'Symbol.get', /'name'/);
  });

  it('numbers where arrays or bytes go', () => {
    expectError(() => new nn.Pooling(1, any(7), 'max', false), 'Pooling', /'dims'/, /7/);
    expectError(() => new nn.Pooling(1, any(-1), 'max', false), 'Pooling', /'dims'/);
    expectError(() => new nn.MaxPool2D(any(true)), 'MaxPool2D', /'poolSize'/);
    expectError(() => new nn.ReflectionPad2D(any(() => 1)), 'ReflectionPad2D', /'padding'/);
    expectError(() => mx.image.imdecode(any(1e12)), 'imdecode', /'buf'/, /got number/);
    expectError(() => mx.image.imdecode(any(-1)), 'imdecode', /'buf'/);
    expectError(() => mx.image.imageFormat(any(undefined)), 'imageFormat', /'bytes'/);
  });
});

describe('Executor.forward and backward', () => {
  it('a boolean is isTrain, as MXNet\'s positional forward(is_train); other non-objects are refused', () => {
    mx.scope(() => {
      const net = sym.Dropout(sym.var('data'), { p: 0.5 });
      const ex = net.simpleBind(mx.cpu(), { data: [4, 256] });
      nd.ones([4, 256]).copyto(ex.argDict['data']!);
      const zeros = (o: mx.NDArray): number => Array.from(o.dataSync()).filter((v) => v === 0).length;
      // Training drops about half of the 1,024 ones; inference passes them through.
      for (const train of [ex.forward(true)[0]!, ex.forward({ isTrain: true })[0]!]) {
        const z = zeros(train);
        expect(z).toBeGreaterThan(400);
        expect(z).toBeLessThan(624);
      }
      expect(zeros(ex.forward(false)[0]!)).toBe(0);
      expect(zeros(ex.forward()[0]!)).toBe(0);
      expect(zeros(ex.forward(any(null))[0]!)).toBe(0);
      expectError(() => ex.forward(any(1)), 'Executor.forward', /options must be an object, got number/);
      expectError(() => ex.forward(any('train')), 'Executor.forward', /got string/);
      expectError(() => ex.forward({ isTrain: any(1) }), 'Executor.forward', /'isTrain' must be a boolean, got number/);
      ex.forward(true);
      expectError(() => ex.backward(any(5)), 'Executor.backward', /'outGrads'/, /got number/);
      expectError(() => ex.backward(any([5])), 'Executor.backward', /'outGrads'/);
      expectError(() => ex.backward(null, any(true)), 'Executor.backward', /options must be an object, got boolean/);
      expectError(() => ex.backward(null, { isTrain: any('yes') }), 'Executor.backward', /'isTrain' must be a boolean/);
      ex.backward(nd.ones([4, 256]));
      const g = ex.gradDict['data']!.dataSync();
      const y = ex.outputs[0]!.dataSync();
      // d data = the mask: 0 where dropped, 1 / (1 - p) = 2 where kept, the same elements as the output.
      for (let i = 0; i < g.length; i++) expect(g[i]).toBe(y[i] === 0 ? 0 : 2);
    });
  });
});

describe('MXNet\'s positional arguments where an options object goes', () => {
  const silent = { info: () => {}, warn: () => {} };
  const A = (x: mx.NDArray): unknown => x.toArraySync();

  it('autograd.record/pause take a boolean trainMode, as MXNet\'s record(train_mode)', () => {
    let mode: boolean | null = null;
    autograd.record(() => { mode = autograd.isTraining(); }, any(false));  // was read as options: training
    expect(mode).toBe(false);
    autograd.pause(() => { mode = autograd.isTraining(); }, any(true));    // was read as options: predicting
    expect(mode).toBe(true);
    const scope = autograd.record(any(false));
    mode = autograd.isTraining();
    scope.exit();
    expect(mode).toBe(false);
    autograd.record(() => { mode = autograd.isTraining(); }, { trainMode: false });
    expect(mode).toBe(false);
    expectError(() => autograd.record(() => 0, any(1)), 'autograd.record', /options must be an object, got number/);
    expectError(() => autograd.record(() => 0, { trainMode: any('no') }), 'autograd.record', /'trainMode' must be a boolean/);
  });

  it('backward and autograd.grad take MXNet\'s positional retain_graph, create_graph and head gradients', () => {
    mx.scope(() => {
      const x = nd.array([1, 2]);
      x.attachGrad();
      const y = autograd.record(() => x.mul(x));
      y.backward(null, any(true));   // retainGraph: the graph was freed, so the second backward failed
      y.backward();
      expect(A(x.grad!)).toEqual([2, 4]);
      const z = autograd.record(() => x.mul(3));
      autograd.backward(z, null, any(true));
      autograd.backward(z, null, any(true), any(true));
      expect(A(x.grad!)).toEqual([3, 3]);
      const w = autograd.record(() => x.mul(x));
      // head gradients third, as MXNet's grad(heads, variables, head_grads): they were dropped (ones)
      expect(A(autograd.grad(w, [x], nd.array([10, 10]))[0]!)).toEqual([20, 40]);
      const v = autograd.record(() => x.mul(x));
      expect(A(autograd.grad(v, [x], null, any(true), any(true))[0]!)).toEqual([2, 4]);
      expectError(() => y.backward(null, any(1)), 'NDArray.backward', /options must be an object, got number/);
      expectError(() => autograd.backward(z, null, { retainGraph: any('yes') }), 'autograd.backward', /'retainGraph' must be a boolean/);
      expectError(() => autograd.grad(v, [x], { createGraph: true }, any(true)), 'autograd.grad', /follow positional headGrads/);
    });
  });

  it('reductions, sort, dot and transpose take MXNet\'s positional flags instead of dropping them', () => {
    mx.scope(() => {
      const a = nd.array([[1, 2, 3], [4, 5, 6]]);
      expect(a.sum(1, true).shape).toEqual([2, 1]);  // keepdims was dropped: [2]
      expect(nd.sum(a, 1, true).shape).toEqual([2, 1]);
      expect(A(a.sum(1, false, true))).toEqual([5, 7, 9]);  // exclude: every axis but 1
      expect(a.max(0, true).shape).toEqual([1, 3]);
      expect(a.mean(null as never, true).shape).toEqual([1, 1]);
      expect(a.argmax(1, true).shape).toEqual([2, 1]);
      expect(nd.argmin(a, 0, true).shape).toEqual([1, 3]);
      expect(A(nd.array([3, 1, 2]).sort(0, false))).toEqual([3, 2, 1]);  // isAscend was dropped
      expect(A(nd.sort(nd.array([3, 1, 2]), -1, false))).toEqual([3, 2, 1]);
      expect(A(nd.array([3, 1, 2]).argsort(0, false))).toEqual([0, 2, 1]);
      const m = nd.array([[1, 2], [3, 4]]);
      expect(A(nd.dot(m, nd.eye(2), any(true)))).toEqual([[1, 3], [2, 4]]);  // transposeA was dropped
      expect(A(m.dot(nd.eye(2), false, true))).toEqual([[1, 2], [3, 4]]);
      expect(A(nd.eye(2).dot(m, false, true))).toEqual([[1, 3], [2, 4]]);
      expect(nd.zeros([1, 2, 3]).transpose(0, 2, 1).shape).toEqual([1, 3, 2]);  // was reversed: [3, 2, 1]
      expect(nd.transpose(nd.zeros([1, 2, 3]), 1, 0, 2).shape).toEqual([2, 1, 3]);
      expect(m.astype('float32', any(false))).toBe(m);
      expectError(() => a.sum(1, any('yes')), 'sum', /'keepdims' must be a boolean, got string/);
      expectError(() => a.sum({ axis: 1 }, any(true)), 'sum', /follow a positional axis/);
      expectError(() => nd.array([3, 1]).sort(0, any(1)), 'sort', /'isAscend' must be a boolean/);
      expectError(() => m.dot(m, any(1)), 'dot', /'transposeA' must be a boolean, got number/);
      // Several axes or reps go as one list; a second argument was dropped (flip(0, 1) flipped axis 0 alone).
      expect(A(m.flip([0, 1]))).toEqual([[4, 3], [2, 1]]);
      expectError(() => m.flip(0, any(1)), 'flip', /one 'axis' argument expected/);
      expectError(() => nd.flip(m, 0, any(1)), 'flip', /one 'axis' argument expected/);
      expectError(() => nd.ones([1, 1, 3]).squeeze(0, any(1)), 'squeeze', /one 'axis' argument/);
      expectError(() => nd.ones([2]).tile(2, any(2)), 'tile', /one 'reps' argument/);
      expectError(() => nd.ones([2]).expandDims(0, any(1)), 'expandDims', /one 'axis' argument/);
    });
  });

  it('gluon.Trainer takes a positional kvstore and refuses non-object optimizerParams', () => {
    const net = new nn.Dense(2, { inUnits: 3 });
    net.initialize();
    const store = mx.kv.create('local');
    const t = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.5 }, any(store));
    expect((t as any)._kvOpt.kvstore).toBe(store);  // a store was read as options without kvstore: 'device'
    const u = new gluon.Trainer(net.collectParams(), 'sgd', null, any('local'));
    expect((u as any)._kvOpt.kvstore).toBe('local');
    expect(new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.5 }).learningRate).toBe(0.5);
    // A bare learning rate was spread into nothing: SGD silently ran at 0.01.
    expectError(() => new gluon.Trainer(net.collectParams(), 'sgd', any(0.5)), 'Trainer', /optimizerParams must be an object/, /got number/);
  });

  it('hybridize takes its options alone, and refuses a non-boolean active or non-object options', () => {
    mx.scope(() => {
      const net = new nn.HybridSequential();
      net.add(new nn.Dense(2, { inUnits: 3 }));
      net.initialize();
      net.hybridize(any({ staticAlloc: true, staticShape: true }));
      expect(net.isHybridized).toBe(true);  // was the options object itself
      expect((net as any)._opts).toEqual({ staticAlloc: true, staticShape: true });  // were dropped
      expect(net.forward(nd.ones([1, 3])).shape).toEqual([1, 2]);
      net.hybridize(false);
      expect(net.isHybridized).toBe(false);
      expectError(() => net.hybridize(true, any(true)), 'hybridize', /options must be an object, got boolean/);
      expectError(() => net.hybridize(any('yes')), 'hybridize', /'active' must be a boolean/);
    });
  });

  it('loadParameters and ParameterDict.load take MXNet\'s positional ctx and allowMissing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'iso-positional-'));
    try {
      const file = join(dir, 'w.params');
      const src = new nn.Dense(2, { inUnits: 3, useBias: false, prefix: 'd_' });
      src.initialize(new mx.init.One());
      src.saveParameters(file);
      const dst = new nn.Dense(2, { inUnits: 3, prefix: 'd_' });
      dst.initialize(new mx.init.Zero());
      // allowMissing third, as MXNet's load_parameters(filename, ctx, allow_missing): was dropped, so the missing bias raised
      dst.loadParameters(file, any(mx.cpu()), any(true));
      expect(A(dst.weight.data())).toEqual([[1, 1, 1], [1, 1, 1]]);
      dst.loadParameters(file, any(null), any(true));
      expectError(() => dst.loadParameters(file, any(mx.cpu())), /'d_bias' is missing/);
      expectError(() => dst.loadParameters(file, any(mx.cpu()), any('yes')), 'loadParameters', /'allowMissing' must be a boolean/);
      const full = join(dir, 'full.params');
      src.collectParams().save(full);
      dst.collectParams().load(full, mx.cpu(), any(true));
      expectError(() => dst.collectParams().load(full, mx.cpu(), any(1)), 'ParameterDict.load', /'allowMissing' must be a boolean/);
      // SymbolBlock.imports(symbol_file, input_names, param_file, ctx, allow_missing): was spread into nothing
      const hy = new nn.HybridSequential();
      hy.add(new nn.Dense(2, { inUnits: 3, useBias: false }));
      hy.initialize(new mx.init.One());
      hy.forward(nd.ones([1, 3]));
      hy.hybridize();
      hy.forward(nd.ones([1, 3]));
      const [symFile, paramFile] = hy.export(join(dir, 'net'));
      const arrays = nd.loadSync(paramFile) as Record<string, mx.NDArray>;
      const one = Object.keys(arrays)[0]!;
      nd.saveSync(join(dir, 'empty.params'), { unrelated: arrays[one]! });
      const imported = gluon.SymbolBlock.imports(symFile, ['data'], join(dir, 'empty.params'), mx.cpu(), any(true), any(true));
      expect([...imported.collectParams().keys()].length).toBe(1);  // the missing weight is allowed, the extra name ignored
      expectError(() => gluon.SymbolBlock.imports(symFile, ['data'], join(dir, 'empty.params'), mx.cpu()), /missing/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Symbol.bind takes positional argsGrad and gradReq, simpleBind a gradReq string', () => {
    mx.scope(() => {
      const y = sym.var('x').mul(2);
      const g = nd.ones([2]);
      const ex = y.bind(mx.cpu(), { x: nd.ones([2]) }, any({ x: g }), any('add'));
      ex.forward(true);
      ex.backward(nd.ones([2]));
      expect(A(g)).toEqual([3, 3]);  // argsGrad was dropped: g stayed [1, 1]
      const h = nd.zeros([2]);
      const ex2 = y.bind(mx.cpu(), [nd.ones([2])], any([h]));
      ex2.forward(true);
      ex2.backward(nd.ones([2]));
      expect(A(h)).toEqual([2, 2]);
      expect(Object.keys(y.simpleBind(mx.cpu(), { x: [2] }, any('null')).gradDict)).toEqual([]);  // was 'write'
      expect(Object.keys(y.simpleBind(mx.cpu(), { x: [2] }).gradDict)).toEqual(['x']);
      expectError(() => y.bind(mx.cpu(), { x: nd.ones([2]) }, any(5)), 'Symbol.bind', /'argsGrad' must be an object, got number/);
      expectError(() => y.simpleBind(mx.cpu(), { x: [2] }, any(1)), 'Symbol.simpleBind', /options must be an object, got number/);
    });
  });

  it('KVStore.pushPull takes a positional out, push a positional priority', () => {
    mx.scope(() => {
      const store = mx.kv.create('local');
      store.init(7, nd.zeros([2]));
      const out = nd.zeros([2]);
      store.pushPull(7, nd.ones([2]), any(out));  // out was dropped: it stayed zeros
      expect(A(out)).toEqual([1, 1]);
      store.pushPull(7, nd.full([2], 2), any(out), any(-1));
      expect(A(out)).toEqual([2, 2]);
      store.push(7, nd.full([2], 3), any(-1));
      store.pull(7, any(out), any(-1));
      expect(A(out)).toEqual([3, 3]);
      expectError(() => store.push(7, nd.ones([2]), any('high')), 'KVStore.push', /options must be an object, got string/);
      expectError(() => store.pull(7, { out }, any(1)), 'KVStore.pull', /positional priority follows a positional out/);
    });
  });

  it('lr schedulers take MXNet\'s positional factor, base_lr, pwr and final_lr', () => {
    const { FactorScheduler, MultiFactorScheduler, PolyScheduler, CosineScheduler } = mx.lr_scheduler;
    const f = new FactorScheduler(2, any(0.5), any(1e-8), any(1));  // factor was dropped: 1
    expect([f.factor, f.baseLr, f.call(3)]).toEqual([0.5, 1, 0.5]);
    const m = new MultiFactorScheduler([2], any(0.1), any(1));
    expect([m.factor, m.call(3)]).toEqual([0.1, 0.1]);
    const p = new PolyScheduler(10, any(0.1), any(1));  // baseLr was dropped: 0.01
    expect([p.baseLr, p.power]).toEqual([0.1, 1]);
    expect(p.call(5)).toBeCloseTo(0.05);
    const c = new CosineScheduler(10, any(0.1), any(0.02));
    expect([c.baseLr, c.finalLr]).toEqual([0.1, 0.02]);
    expect(new FactorScheduler(2, { factor: 0.5 }).factor).toBe(0.5);
    expectError(() => new FactorScheduler(2, any('half')), 'FactorScheduler', /'factor' must be a number, got string/);
    expectError(() => new PolyScheduler(10, any(0.1), any(1), any(0), any(0), any(0), any('linear'), any(1)), 'PolyScheduler', /at most/);
  });

  it('Module.initParams/bind/initOptimizer/score/predict take MXNet\'s positional arguments', async () => {
    const data = sym.var('data');
    const net = sym.SoftmaxOutput(sym.FullyConnected({ data, numHidden: 2, name: 'fc' }), { name: 'softmax' });
    const mod = new mx.mod.Module(net, { logger: silent });
    mod.bind([['data', [2, 3]]], [['softmax_label', [2]]], any(false));  // forTraining was dropped: true
    expect(mod.forTraining).toBe(false);
    mod.initParams(any(new mx.init.Constant(0.5)));  // was read as options without initializer: Uniform(0.01)
    expect(Array.from(mod.getParams()[0]['fc_weight']!.dataSync())).toEqual(Array(6).fill(0.5));
    const train = new mx.mod.Module(net, { logger: silent });
    train.bind([['data', [2, 3]]], [['softmax_label', [2]]]);
    train.initParams();
    train.initOptimizer(any('local'), any('adam'), any({ learningRate: 0.5 }));  // was SGD at 0.01
    expect((train as any)._optimizer.constructor.name).toBe('Adam');
    expect((train as any)._optimizer.learningRate).toBe(0.5);
    const iter = (): mx.io.NDArrayIter => new mx.io.NDArrayIter(nd.ones([8, 3]), nd.zeros([8]), { batchSize: 2 });
    expect((mod.predict(iter(), any(1)) as mx.NDArray).shape).toEqual([2, 2]);  // numBatch was dropped: [8, 2]
    expect((mod.predict(iter(), any(2), any(false)) as mx.NDArray[][]).length).toBe(2);
    let batches = 0;
    await mod.score(iter(), 'acc', any(1), any(() => { batches++; }));
    expect(batches).toBe(1);  // numBatch was dropped: 4
    expect([...mod.iterPredict(iter(), any(3))].length).toBe(3);
    expectError(() => mod.predict(iter(), any('all')), 'Module.predict', /'numBatch' must be a number, got string/);
    expectError(() => train.initOptimizer(any(new mx.optimizer.SGD())), 'Module.initOptimizer', /'kvstore' must be a string/);
  });
});

describe('creation functions with MXNet\'s positional arguments', () => {
  it('nd.arange, sym.Variable and metric.create', () => {
    mx.scope(() => {
      const r = nd.arange(0, 3, 1, any(1), any(null), any(mx.cpu()), any('float64'));  // was a TypeError
      expect(r.dtype).toBe('float64');
      expect(Array.from(r.dataSync())).toEqual([0, 1, 2]);
      expect(Array.from(nd.arange(0, 2, null, any(2)).dataSync())).toEqual([0, 0, 1, 1]);
      expect(Array.from(nd.arange(3, null, 1, { dtype: 'int32' }).dataSync())).toEqual([0, 1, 2]);
      expectError(() => nd.arange(0, 3, 1, any('x')), 'nd.arange', /'repeat' must be a number, got string/);
      expectError(() => nd.arange(0, 3, 1, null, any(true)), 'nd.arange', /inferRange/);
      const v = sym.Variable('v', any(null), any([2, 3]));  // was a TypeError
      expect(v.attr('__shape__')).toBe('(2, 3)');
      expect(sym.Variable('w', { shape: [4] }).attr('__shape__')).toBe('(4,)');
      expectError(() => sym.Variable('u', any(null), any([2]), any('fast')), 'Variable', /'lrMult' must be a number/);
      expectError(() => mx.metric.create('top_k_accuracy', any(3)), 'metric.create', /options must be an object, got number/);
      expect(mx.metric.create('top_k_accuracy', { topK: 3 }).name).toBe('top_k_accuracy_3');
    });
  });
});

describe('afterwards', () => {
  it('the library still computes correctly', () => {
    stillWorks();
    expect(autograd.isRecording()).toBe(false);
  });
});
