// Missing, null and wrong-typed arguments to the public API (the type fuzz's findings): each must come back
// as an mx.IsotensorError naming the function and the argument, null options must mean "no options", and
// the library must keep computing correct values afterwards.
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

describe('afterwards', () => {
  it('the library still computes correctly', () => {
    stillWorks();
    expect(autograd.isRecording()).toBe(false);
  });
});
