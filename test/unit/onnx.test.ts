// mx.onnx: ONNX's own node conformance cases (a committed selection, run node by node and as imported
// Symbol graphs), models exported by PyTorch checked against onnxruntime, and exportModel checked by
// onnxruntime (test/fixtures/onnx: gen_onnx_node_cases.py, gen_onnx_models.py, gen_export.mjs + check_export.py).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { expectLike, readSet, runCase } from '../helpers/onnx-cases';
import { announceBackend } from '../helpers/backend';
import { exportNet, exportParams, INPUT_SHAPE } from '../fixtures/onnx/export_net.mjs';
import { EXPORT_OP_CASES, feedsFor } from '../fixtures/onnx/export_ops_cases.mjs';

type Arr = any;
const FIX = join(__dirname, '../fixtures/onnx');

beforeAll(async () => {
  await mx.ready();
  announceBackend('onnx');
});



interface Manifest { cases: { name: string; import: boolean }[] }
const manifest: Manifest = JSON.parse(readFileSync(join(FIX, 'node/manifest.json'), 'utf8'));

describe('onnx node conformance cases', () => {
  it('has the committed selection', () => {
    expect(manifest.cases.length).toBeGreaterThan(300);
    for (const c of manifest.cases) expect(existsSync(join(FIX, 'node', c.name, 'model.onnx')), c.name).toBe(true);
  });

  for (const c of manifest.cases) it(c.name, () => runCase(join(FIX, 'node', c.name), c.import));
});


describe('onnx backend data: models PyTorch exported (pytorch-converted, pytorch-operator)', () => {
  const cases = readdirSync(join(FIX, 'pytorch')).sort();
  it('has the committed cases', () => expect(cases.length).toBeGreaterThan(100));
  for (const c of cases) it(c, () => runCase(join(FIX, 'pytorch', c), true));
});

describe('onnx backend data: light models (every weight a ConstantOfShape)', () => {
  const models = readdirSync(join(FIX, 'light')).filter((f) => f.endsWith('.onnx')).sort();
  it('has the nine models', () => expect(models.length).toBe(9));
  for (const f of models) {
    it(f, () => {
      mx.scope(() => {
        const path = join(FIX, 'light', f);
        const ref = mx.onnx.readTensorSync(join(FIX, 'light', f.replace('.onnx', '_output_0.pb')));
        const meta = mx.onnx.getModelMetadataSync(path);
        const [name, dims] = meta.inputTensorData[0]!;
        // onnx's runner feeds arange(n) / n (float64, then float32), unknown dims as 1.
        const shape = dims.map((d) => (typeof d === 'number' ? d : 1));
        const n = shape.reduce((a, b) => a * b, 1);
        const x = mx.nd.array(Float32Array.from({ length: n }, (_, i) => i / n), { shape });
        const s = mx.onnx.InferenceSession.createSync(path);
        expectLike(s.run({ [name]: x })[s.outputNames[0]!], ref, 'session output');
        s.dispose();
        const imp = mx.onnx.importModelSync(path);
        const ex = imp.sym.bind(mx.cpu(), { ...imp.argParams, [name]: x }, { auxStates: imp.auxParams, gradReq: 'null' });
        ex.forward({ isTrain: false });
        expectLike(ex.outputs[0], ref, 'import output');
        ex.dispose();
      });
    });
  }
});

describe('models exported by PyTorch (reference: onnxruntime)', () => {
  for (const name of ['small_cnn', 'tiny_mlp', 'tiny_lstm']) {
    it(`${name}: InferenceSession and importModel match onnxruntime`, async () => {
      const ref = JSON.parse(readFileSync(join(FIX, 'models', `${name}.json`), 'utf8'));
      const x = mx.nd.array(new Float32Array(ref.input.data), { shape: ref.input.shape });
      const session = await mx.onnx.InferenceSession.create(join(FIX, 'models', `${name}.onnx`));
      const y = session.run({ input: x }).output!;
      expect(y.shape).toEqual(ref.output.shape);
      const want = new Float32Array(ref.output.data);
      const close = (got: Float32Array) => got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-4 + 1e-3 * Math.abs(want[i]!)));
      close(y.dataSync() as Float32Array);

      const imp = await mx.onnx.importModel(join(FIX, 'models', `${name}.onnx`), { inputShapes: { input: ref.input.shape } });
      expect(imp.outputNames).toEqual(['output']);
      const mod = new mx.mod.Module(imp.sym, { dataNames: ['input'], labelNames: [] });
      mod.bind([['input', ref.input.shape]], null, { forTraining: false });
      mod.setParams(imp.argParams, imp.auxParams);
      mod.forward(new mx.io.DataBatch({ data: [x] }), { isTrain: false });
      expect(mod.getOutputs()[0]!.shape).toEqual(ref.output.shape);
      close(mod.getOutputs()[0]!.dataSync() as Float32Array);
      session.dispose();
    });
  }

  it('a node computing only from an initializer runs once per session, and a fed initializer still takes effect', () => {
    const s = mx.onnx.InferenceSession.createSync(join(FIX, 'models', 'const_subgraph.onnx'));
    expect(s.inputNames).toEqual(['X']);
    const x = mx.nd.array([10, 20, 30]);
    for (let i = 0; i < 2; i++) expect(Array.from(s.run({ X: x }).Y!.dataSync())).toEqual([9, 18, 27]);
    expect(Array.from(s.run({ X: x, W: mx.nd.array([0, 5, 0]) }).Y!.dataSync())).toEqual([10, 15, 30]);
    expect(Array.from(s.run({ X: x }).Y!.dataSync())).toEqual([9, 18, 27]);
    s.dispose();
  });

  it('a model-local function holding an If runs at its own opset, its branches seeing its names', () => {
    // gen_onnx_function_model.py: ReferenceEvaluator gives [3, 12] for c = true and [-3, -12] for false.
    const s = mx.onnx.InferenceSession.createSync(join(FIX, 'models', 'function_if.onnx'));
    const x = mx.nd.array([[0, 1, 2], [3, 4, 5]]);
    expect(Array.from(s.run({ x, c: mx.nd.array(1, { dtype: 'bool' }) }).y!.dataSync())).toEqual([3, 12]);
    expect(Array.from(s.run({ x, c: mx.nd.array(0, { dtype: 'bool' }) }).y!.dataSync())).toEqual([-3, -12]);
    s.dispose();
  });

  it('small_cnn has a symbolic batch dim: importModel takes the batch size from inputShapes', () => {
    const ref = JSON.parse(readFileSync(join(FIX, 'models', 'small_cnn.json'), 'utf8'));
    const meta = mx.onnx.getModelMetadataSync(join(FIX, 'models', 'small_cnn.onnx'));
    expect(meta.inputTensorData).toEqual([['input', ['N', 3, 16, 16]]]);
    expect(() => mx.onnx.importModelSync(join(FIX, 'models', 'small_cnn.onnx'))).toThrow(/inputShapes/);
    // One image of the batch through a batch-1 graph gives that image's row of the reference.
    const one = mx.nd.array(new Float32Array(ref.input.data.slice(0, 3 * 16 * 16)), { shape: [1, 3, 16, 16] });
    const imp = mx.onnx.importModelSync(join(FIX, 'models', 'small_cnn.onnx'), { inputShapes: { input: [1, 3, 16, 16] } });
    const ex = imp.sym.bind(mx.cpu(), { ...imp.argParams, input: one }, { auxStates: imp.auxParams, gradReq: 'null' });
    ex.forward();
    const got = ex.outputs[0].dataSync();
    for (let i = 0; i < 10; i++) expect(got[i]).toBeCloseTo(ref.output.data[i], 4);
  });
});

describe('InferenceSession runs static graphs through a bound executor', () => {
  const node = (name: string) => join(FIX, 'node', name, 'model.onnx');

  it('a static model: one executor per set of input shapes, results as node by node', () => {
    const path = join(FIX, 'light', 'light_squeezenet.onnx');
    const meta = mx.onnx.getModelMetadataSync(path);
    const [name, dims] = meta.inputTensorData[0]!;
    const shape = dims.map((d: number | string) => (typeof d === 'number' ? d : 1));
    const x = mx.nd.random.uniform({ low: 0, high: 1, shape });
    const fast = mx.onnx.InferenceSession.createSync(path);
    const slow = mx.onnx.InferenceSession.createSync(path, { staticGraph: false });
    for (let i = 0; i < 3; i++) {
      const a = fast.run({ [name]: x })[fast.outputNames[0]!]!;
      const b = slow.run({ [name]: x })[slow.outputNames[0]!]!;
      expectLike(a, b, `run ${i}`);
      a.dispose();
      b.dispose();
    }
    expect(fast.staticShapes()).toEqual([`${name}:float32:${shape.join('x')}`]);
    expect(slow.staticShapes()).toEqual([]);
    fast.dispose();
    slow.dispose();
  });

  it('folds constant per-channel Mul/Add after BatchNormalization into it, and nothing else', () => {
    // test/fixtures/onnx/fold/gen_fold_model.py: two BatchNorm + Mul + Add chains fold; a per-column Mul and
    // a BatchNorm read twice do not. Expected values from onnxruntime.
    const ref = JSON.parse(readFileSync(join(FIX, 'fold', 'bn_affine.json'), 'utf8'));
    const s = mx.onnx.InferenceSession.createSync(join(FIX, 'fold', 'bn_affine.onnx'));
    const x = mx.nd.array(ref.input.data, { shape: ref.input.shape });
    for (let k = 0; k < 2; k++) {
      if (k === 1) mx.engine.setTrace(true);
      const out = s.run({ X: x });
      mx.waitAll();
      const trace = k === 1 ? mx.engine.takeTrace() : [];
      if (k === 1) {
        mx.engine.setTrace(false);
        const count = (op: string) => trace.filter((e: { op: string }) => e.op === op).length;
        // Left: bn3's per-column Mul, and bn4's Mul (its BatchNorm output is also read by the Add).
        expect(count('broadcast_mul')).toBe(2);
        expect(count('broadcast_add')).toBe(1);
      }
      for (const [name, want] of Object.entries<any>(ref.outputs)) {
        const got = out[name] as Arr;
        expect(got.shape, name).toEqual(want.shape);
        const g = got.dataSync() as Float32Array;
        want.data.forEach((v: number, i: number) => expect(Math.abs(g[i]! - v), `${name}[${i}]`).toBeLessThan(1e-5 + 1e-5 * Math.abs(v)));
        got.dispose();
      }
    }
    expect(s.staticShapes()).toEqual(['X:float32:1x4x5x5']);
    x.dispose();
    s.dispose();
  });

  it('graphs it cannot import, or whose import differs, run node by node', () => {
    // Output shape from the data (NonZero), and a 0-d output an imported graph gives as (1).
    for (const c of ['test_nonzero_example', 'test_dynamicquantizelinear_expanded']) {
      const dir = join(FIX, 'node', c);
      const s = mx.onnx.InferenceSession.createSync(node(c));
      for (let k = 0; k < 2; k++) {
        mx.scope(() => {
          const { inputs, refs } = readSet(join(dir, 'test_data_set_0'));
          const out = s.run<any>(Object.fromEntries(s.inputNames.map((n, i) => [n, inputs[i]])));
          refs.forEach((r: any, i: number) => expectLike(out[s.outputNames[i]!], r, `${c} output ${i}`));
        });
      }
      expect(s.staticShapes(), c).toEqual([]);
      s.dispose();
    }
  });

  it('keeps memory flat over many runs', () => {
    const path = join(FIX, 'light', 'light_squeezenet.onnx');
    const meta = mx.onnx.getModelMetadataSync(path);
    const [name, dims] = meta.inputTensorData[0]!;
    const x = mx.nd.zeros(dims.map((d: number | string) => (typeof d === 'number' ? d : 1)));
    const s = mx.onnx.InferenceSession.createSync(path);
    const run = () => { for (const v of Object.values(s.run({ [name]: x }))) (v as any).dispose(); };
    run();
    run();
    const before = mx.memoryInfo().liveArrays;
    for (let i = 0; i < 20; i++) run();
    expect(mx.memoryInfo().liveArrays).toBe(before);
    s.dispose();
  });
});

describe('exportModel', () => {
  it('writes a model onnxruntime ran to the committed reference, and isotensor reads it back', () => {
    const net = exportNet(mx);
    const { params, input } = exportParams(mx, net);
    const bytes = mx.onnx.exportModel(net, params, { inputShapes: { data: INPUT_SHAPE } });
    // Deterministic: the same bytes onnxruntime checked when the fixture was made.
    expect(Buffer.from(bytes).equals(readFileSync(join(FIX, 'export/net.onnx')))).toBe(true);
    const ref = JSON.parse(readFileSync(join(FIX, 'export/reference.json'), 'utf8'));
    expect(ref.ops).toContain('BatchNormalization');
    // The exporting network's own forward matches onnxruntime's run of the file...
    const aux = new Set(net.listAuxiliaryStates());
    const args: Record<string, Arr> = { data: input, softmax_label: mx.nd.zeros([2]) };
    const auxStates: Record<string, Arr> = {};
    for (const [k, v] of Object.entries(params)) (aux.has(k) ? auxStates : args)[k] = v;
    const ex = net.bind(mx.cpu(), args, { auxStates, gradReq: 'null' });
    ex.forward({ isTrain: false });
    const mine = ex.outputs[0].dataSync();
    ref.data.forEach((v: number, i: number) => expect(Math.abs(mine[i] - v)).toBeLessThan(1e-5));
    // ...and so does importing the exported file.
    const s = mx.onnx.InferenceSession.createSync(bytes);
    expect(s.inputNames).toEqual(['data']);
    const back = s.run({ data: input })[s.outputNames[0]!]!.dataSync();
    ref.data.forEach((v: number, i: number) => expect(Math.abs(back[i] - v)).toBeLessThan(1e-5));
  });

  it('a hybridized model-zoo network exported from its symbol and .params reads back to the same output', () => {
    // (onnxruntime ran these exports to the same values too: docs/ONNX.md.)
    for (const name of ['resnet18_v1', 'mobilenetv2_0.25']) {
      mx.scope(() => {
        const net = mx.gluon.model_zoo.vision.getModel(name, { classes: 10 });
        net.initialize({ init: new mx.init.Xavier() });
        net.hybridize();
        const x = mx.nd.array(Float32Array.from({ length: 3 * 32 * 32 }, (_, i) => Math.sin(i)), { shape: [1, 3, 32, 32] });
        const want = net.forward(x).dataSync();
        const dir = mkdtempSync(join(tmpdir(), 'onnx-zoo-'));
        const [symFile, paramFile] = net.export(join(dir, name));
        const s = mx.sym.loadSync(symFile);
        const p: Record<string, Arr> = mx.nd.loadSync(paramFile);
        rmSync(dir, { recursive: true });
        const bytes = mx.onnx.exportModel(s, p, { inputShapes: { data: [1, 3, 32, 32] } });
        const session = mx.onnx.InferenceSession.createSync(bytes);
        const got = session.run({ data: x })[session.outputNames[0]!]!.dataSync();
        want.forEach((v: number, i: number) => expect(Math.abs(got[i] - v)).toBeLessThan(1e-5 + 1e-4 * Math.abs(v)));
        session.dispose();
      });
    }
  });

  it('exports a Gluon block directly, and from the file paths net.export wrote (MXNet\'s export_model forms)', () => {
    mx.scope(() => {
      const net = new mx.gluon.nn.HybridSequential();
      net.add(new mx.gluon.nn.Dense(5, { activation: 'relu', inUnits: 4 }), new mx.gluon.nn.BatchNorm({ inChannels: 5 }), new mx.gluon.nn.Dense(2, { inUnits: 5 }));
      net.initialize();
      net.hybridize();
      const x = mx.nd.array(Float32Array.from({ length: 12 }, (_, i) => Math.cos(i)), { shape: [3, 4] });
      const want = Array.from(net.forward(x).dataSync() as Float32Array);
      const dir = mkdtempSync(join(tmpdir(), 'onnx-block-'));
      try {
        const [symFile, paramFile] = net.export(join(dir, 'mlp'));
        const onnxFile = join(dir, 'mlp.onnx');
        const fromFiles = mx.onnx.exportModel(symFile, paramFile, { inputShapes: { data: [3, 4] }, path: onnxFile });
        expect(Buffer.from(fromFiles).equals(readFileSync(onnxFile))).toBe(true);
        for (const bytes of [fromFiles, mx.onnx.exportModel(net, null, { inputShapes: { data: [3, 4] } })]) {
          const s = mx.onnx.InferenceSession.createSync(bytes);
          const got = Array.from(s.run<Arr>({ data: x })[s.outputNames[0]!]!.dataSync() as Float32Array);
          got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-5 * (1 + Math.abs(v))));
          s.dispose();
        }
        expect(() => mx.onnx.exportModel(net, { w: x }, { inputShapes: { data: [3, 4] } })).toThrow(/block exports its own parameters/);
      } finally {
        rmSync(dir, { recursive: true });
      }
    });
  });

  it('a hybridized gluon.rnn.LSTM + GRU network exports its fused RNN ops and reads back to the same output', () => {
    // (onnxruntime ran this export to the same values: the RNN cases of export/ops_reference.json cover the op.)
    mx.scope(() => {
      const net = new mx.gluon.nn.HybridSequential();
      net.add(new mx.gluon.rnn.LSTM(6, { numLayers: 2, bidirectional: true, inputSize: 4 }));
      net.add(new mx.gluon.rnn.GRU(5, { inputSize: 12 }));
      net.add(new mx.gluon.nn.Dense(3, { flatten: false }));
      net.initialize();
      net.hybridize();
      const x = mx.nd.array(Float32Array.from({ length: 5 * 2 * 4 }, (_, i) => Math.sin(i)), { shape: [5, 2, 4] });
      const want = net.forward(x).dataSync();
      const dir = mkdtempSync(join(tmpdir(), 'onnx-rnn-'));
      const [symFile, paramFile] = net.export(join(dir, 'rnn'));
      const s = mx.sym.loadSync(symFile);
      const p: Record<string, Arr> = mx.nd.loadSync(paramFile);
      rmSync(dir, { recursive: true });
      const session = mx.onnx.InferenceSession.createSync(mx.onnx.exportModel(s, p, { inputShapes: { data: [5, 2, 4] } }));
      const got = session.run({ data: x })[session.outputNames[0]!]!.dataSync();
      expect(got.length).toBe(want.length);
      want.forEach((v: number, i: number) => expect(Math.abs(got[i] - v)).toBeLessThan(1e-6 + 1e-5 * Math.abs(v)));
      session.dispose();
    });
  });

  it('exports shape, indexing, comparison and normalisation ops as onnxruntime runs them', () => {
    // export/ops_reference.json: onnxruntime's outputs for these graphs as exported (check_export_ops.py).
    const ref = JSON.parse(readFileSync(join(FIX, 'export/ops_reference.json'), 'utf8'));
    expect(Object.keys(ref).sort()).toEqual(Object.keys(EXPORT_OP_CASES).sort());
    for (const [name, c] of Object.entries(EXPORT_OP_CASES) as [string, any][]) {
      mx.scope(() => {
        const s = mx.onnx.InferenceSession.createSync(mx.onnx.exportModel(c.build(mx), {}, { inputShapes: c.inputs, inputTypes: c.types }));
        // Feeds for the model's inputs only (a loss head's label is not one).
        const feeds = feedsFor(mx, c);
        const r = s.run<Arr>(Object.fromEntries(s.inputNames.map((k) => [k, feeds[k]])));
        expect(s.outputNames.length, name).toBe(ref[name].outputs.length);
        s.outputNames.forEach((o, i) => {
          const want = ref[name].outputs[i];
          expect([r[o]!.shape, r[o]!.dtype], `${name} ${o}`).toEqual([want.shape, want.dtype]);
          const got = Array.from(r[o]!.dataSync() as ArrayLike<number>, Number);
          want.data.map(Number).forEach((w: number, k: number) => {
            if (c.exact) expect(got[k], `${name} ${o}[${k}]`).toBe(w);
            else if (!Object.is(got[k], w)) expect(Math.abs(got[k]! - w), `${name} ${o}[${k}]: ${got[k]} vs ${w}`).toBeLessThan(1e-5 + 1e-5 * Math.abs(w));
          });
        });
        s.dispose();
      });
    }
  });

  it("declares each output's dtype from type inference (an int32 Cast head, a float64 input's head)", () => {
    mx.scope(() => {
      const x = mx.sym.Variable('x');
      const g = mx.sym.Group([mx.sym.Cast(mx.sym.relu(x), { dtype: 'int32' }), mx.sym.exp(x)]);
      const f32 = mx.onnx.InferenceSession.createSync(mx.onnx.exportModel(g, {}, { inputShapes: { x: [2, 3] } }));
      expect(f32.outputMetadata.map((o) => o.elementType)).toEqual(['int32', 'float']);
      expect(f32.outputMetadata.map((o) => o.shape)).toEqual([[2, 3], [2, 3]]);
      const xs = mx.nd.array([[-1, 0.5, 2], [3, -4, 0.25]]);
      const r = f32.run<Arr>({ x: xs });
      expect(r[f32.outputNames[0]!]!.dtype).toBe('int32');
      expect(Array.from(r[f32.outputNames[0]!]!.dataSync() as Int32Array)).toEqual([0, 0, 2, 3, 0, 0]);
      f32.dispose();
      const f64 = mx.onnx.InferenceSession.createSync(
        mx.onnx.exportModel(mx.sym.exp(x), {}, { inputShapes: { x: [2] }, inputTypes: { x: 'float64' } }));
      expect(f64.outputMetadata[0]!.elementType).toBe('double');
      f64.dispose();
    });
  });

  it('computes ops without an ONNX form at export time when their inputs are parameters, never random ones', () => {
    mx.scope(() => {
      const x = mx.sym.Variable('x'), w = mx.sym.Variable('w');
      // erfinv and _linalg_inverse have no ONNX export; on the parameter alone they fold to constants.
      const y = mx.sym.Group([mx.sym.broadcast_add(x, mx.sym.sum(mx.sym.erfinv(w), { axis: 0 })), mx.sym.dot(x, mx.sym._linalg_inverse(mx.sym.reshape(w, { shape: [3, 3] })))]);
      const wv = mx.nd.array([0.1, -0.5, 0.3, 0.9, 0.2, -0.7, 0.05, 0.6, -0.2]).reshape([3, 3]);
      const xv = mx.nd.array([1, 2, 3, -1, 0.5, 4]).reshape([2, 3]);
      const want = mx.sym.Group([y]).bind(mx.cpu(), { x: xv, w: wv }, { gradReq: 'null' }).forward().map((o: Arr) => Array.from(o.dataSync() as Float32Array));
      const s = mx.onnx.InferenceSession.createSync(mx.onnx.exportModel(y, { w: wv }, { inputShapes: { x: [2, 3] } }));
      expect(s.inputNames).toEqual(['x']);
      const r = s.run<Arr>({ x: xv });
      s.outputNames.forEach((o, i) => {
        Array.from(r[o]!.dataSync() as Float32Array).forEach((v, k) => expect(Math.abs(v - want[i]![k]!)).toBeLessThan(1e-5 * (1 + Math.abs(v))));
      });
      s.dispose();
      // A data-dependent input, or a sampler, cannot be folded.
      expect(() => mx.onnx.exportModel(mx.sym.erfinv(x), {}, { inputShapes: { x: [2] } })).toThrow(/erfinv.*no ONNX export/);
      expect(() => mx.onnx.exportModel(mx.sym.broadcast_add(x, mx.sym._random_exponential({ shape: [2] })), {}, { inputShapes: { x: [2] } }))
        .toThrow(/_random_exponential.*no ONNX export/);
    });
  });

  it('names what it cannot export', () => {
    const x = mx.sym.Variable('x');
    const y = mx.sym.gammaln(x);
    expect(() => mx.onnx.exportModel(y, {}, { inputShapes: { x: [3, 4] } })).toThrow(/gammaln.*no ONNX export/);
    expect(() => mx.onnx.exportModel(mx.sym.topk(x, { retTyp: 'mask', axis: null }), {}, { inputShapes: { x: [3, 4] } })).not.toThrow();
    const nhwc = mx.sym.Pooling(x, { kernel: [2, 2], poolType: 'max', layout: 'NHWC' });
    expect(() => mx.onnx.exportModel(nhwc, {}, { inputShapes: { x: [1, 4, 4, 3] } })).toThrow(/Pooling.*layout NHWC has no ONNX form/);
    expect(() => mx.onnx.exportModel(mx.sym.relu(x), {}, { inputShapes: {} })).toThrow(/'x' is neither a parameter nor in inputShapes/);
  });
});

describe('bad input', () => {
  it('rejects bytes that are not a model, unsupported ops and missing feeds, then keeps working', () => {
    expect(() => mx.onnx.InferenceSession.createSync(new Uint8Array([0x0a, 0xff]))).toThrow(mx.IsotensorError);
    expect(() => mx.onnx.InferenceSession.createSync(new Uint8Array([1, 2, 3]))).toThrow(/onnx/);
    const dir = join(FIX, 'node', manifest.cases[0]!.name);
    const s = mx.onnx.InferenceSession.createSync(join(dir, 'model.onnx'));
    expect(() => s.run({})).toThrow(/needs an NDArray/);
    expect(() => s.run({ nope: mx.nd.ones([1]) } as Arr)).toThrow(mx.IsotensorError);
    // A Symbol-graph import of an input the graph needs as a constant says so.
    expect(mx.nd.ones([2]).add(1).dataSync()).toEqual(new Float32Array([2, 2]));
    s.dispose();
  });

  it('a graph input used as a shape must be constant for importModel; a session takes it at run time', () => {
    const dir = join(FIX, 'node', 'test_reshape_reordered_all_dims');
    expect(() => mx.onnx.importModelSync(join(dir, 'model.onnx'), { inputShapes: { data: [2, 3, 4], shape: [3] } }))
      .toThrow(/onnx Reshape.*input 1 \(shape, 'shape'\) must be known when the graph is built/);
    expect(mx.contrib.onnx.importModelSync).toBe(mx.onnx.importModelSync);
  });

  it('a session run in a loop keeps memory flat', () => {
    const dir = join(FIX, 'node', manifest.cases.find((c) => c.name.startsWith('test_conv_with_strides'))?.name ?? manifest.cases[0]!.name);
    const s = mx.onnx.InferenceSession.createSync(join(dir, 'model.onnx'));
    const { inputs } = readSet(join(dir, 'test_data_set_0'));
    const feeds: Record<string, Arr> = {};
    s.inputNames.forEach((n, i) => { feeds[n] = inputs[i]; });
    const step = () => { for (const v of Object.values(s.run(feeds))) v.dispose(); };
    for (let i = 0; i < 20; i++) step();
    mx.waitAll();
    const before = mx.memoryInfo().liveBytes;
    for (let i = 0; i < 300; i++) step();
    mx.waitAll();
    expect(mx.memoryInfo().liveBytes).toBe(before);
    s.dispose();
  });

  it('a tensor file round-trips through readTensor', () => {
    const dir = join(FIX, 'node', manifest.cases[0]!.name, 'test_data_set_0');
    const t = mx.onnx.readTensorSync(join(dir, 'input_0.pb'));
    expect(t.size).toBeGreaterThan(0);
    expect(() => mx.onnx.readTensorSync(new Uint8Array([0x08]))).toThrow(/TensorProto/);
  });

  it('readValue reads SequenceProto and OptionalProto files', () => {
    // TensorProto { dims: [2], data_type: FLOAT, float_data: [1, 2] }, hand-encoded.
    const floats = new Uint8Array(new Float32Array([1, 2]).buffer);
    const tensor = [0x08, 0x02, 0x10, 0x01, 0x22, 0x08, ...floats];
    const msg = (field: number, body: number[]) => [(field << 3) | 2, body.length, ...body];
    // SequenceProto { name: 's', elem_type: TENSOR, tensor_values: [t, t] }
    const seq = new Uint8Array([...msg(1, [0x73]), 0x10, 0x01, ...msg(3, tensor), ...msg(3, tensor)]);
    const xs = mx.onnx.readValueSync(seq, { kind: 'sequence' }) as Arr[];
    expect(xs.length).toBe(2);
    expect(Array.from(xs[1].dataSync())).toEqual([1, 2]);
    // OptionalProto { elem_type: TENSOR, tensor_value: t }, and an empty one.
    const opt = mx.onnx.readValueSync(new Uint8Array([0x10, 0x01, ...msg(3, tensor)]), { kind: 'optional' }) as Arr;
    expect(opt.shape).toEqual([2]);
    expect(mx.onnx.readValueSync(new Uint8Array([0x10, 0x01]), { kind: 'optional' })).toBeNull();
    for (const a of [...xs, opt]) a.dispose();
  });
});
