// Symbol JSON and checkpoints: MXNet 1.9's exact bytes, older MXNet files, corrupt input, mx.model.
//
// The fixtures come from test/fixtures/symbol/gen_symbol_json.py, which writes MXNet 1.9's layout
// from the format's rules (dmlc JSONWriter + nnvm SaveJSON) independently of the C++ writer, and
// hand-made files in the older layouts (0.8 "param"/"attr" keys and 2-element inputs, NNVM "attr").
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';
import { expectError } from '../helpers/errors';
import { fresh } from '../helpers/symbol';

const { sym, nd } = mx;
type Sym = any; // a Symbol; kept loose so the spec does not depend on the .d.ts details
const FIXTURES = fileURLToPath(new URL('../fixtures/symbol/', import.meta.url));
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const tmp = mkdtempSync(join(tmpdir(), 'ist-symbol-'));

beforeAll(async () => {
  await mx.ready();
  announceBackend('symbol-json');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// The fixture graphs built with the sym API, as a Python user would with mx.sym.
const builders: Record<string, () => Sym> = {
  'mlp-symbol.json': () => {
    let net: Sym = sym.Variable('data');
    net = sym.FullyConnected({ data: net, name: 'fc1', numHidden: 128 });
    net = sym.Activation({ data: net, name: 'relu1', actType: 'relu' });
    net = sym.FullyConnected({ data: net, name: 'fc2', numHidden: 64 });
    return sym.SoftmaxOutput({ data: net, name: 'out' });
  },
  'lenet-bn-symbol.json': () => {
    const data = sym.Variable('data');
    const conv = sym.Convolution({ data, name: 'conv1', kernel: [3, 3], numFilter: 8, pad: [1, 1] });
    const bn = sym.BatchNorm({ data: conv, name: 'bn1', fixGamma: false, eps: 1e-5 });
    const act = sym.Activation({ data: bn, name: 'relu1', actType: 'relu' });
    const pool = sym.Pooling({ data: act, name: 'pool1', kernel: [2, 2], poolType: 'max', stride: [2, 2] });
    const flat = sym.Flatten({ data: pool });
    const fc = sym.FullyConnected({ data: flat, name: 'fc1', numHidden: 10 });
    return sym.SoftmaxOutput({ data: fc, name: 'softmax', normalization: 'batch' });
  },
  'concat11-symbol.json': () => {
    const xs = Array.from({ length: 11 }, (_, i) => sym.Variable(`x${i}`));
    const cat = sym.Concat(...xs, { dim: 1 });
    return sym.Group([cat, cat.add(1)]);
  },
  'hidden-attrs-symbol.json': () => {
    const data = sym.Variable('data', { shape: [2, 3], dtype: 'float32' });
    const w = sym.Variable('w', { init: '["normal", {"sigma": 0.01}]', lrMult: 2, wdMult: 0.5,
                                  attr: { mood: 'an\tgry "cat"' } });
    return new mx.AttrScope({ ctx_group: 'dev1' }).run(() =>
      sym.FullyConnected({ data, weight: w, numHidden: 4, noBias: true, name: 'fc' }));
  },
};

describe('MXNet 1.9 JSON, byte for byte', () => {
  for (const [file, build] of Object.entries(builders)) {
    it(`${file}: the sym API writes the fixture's bytes`, () => {
      const s = fresh(build);
      expect(s.toJSON()).toBe(fixture(file));
    });
    it(`${file}: load then save is the identity`, () => {
      const text = fixture(file);
      const s = sym.fromJSON(text);
      expect(s.toJSON()).toBe(text);
      expect(sym.fromJSON(s.toJSON()).toJSON()).toBe(text);
    });
  }

  it('layout details: one-key maps inline, >10-item arrays broken, aux entries at version 1, pooling workspace', () => {
    const lenet = fixture('lenet-bn-symbol.json');
    expect(lenet).toContain('"attrs": {"act_type": "relu"}, \n');
    expect(lenet).toContain('"inputs": [[3, 0, 0], [4, 0, 0], [5, 0, 0], [6, 0, 1], [7, 0, 1]]');
    expect(lenet.endsWith('"attrs": {"mxnet_version": ["int", 10901]}\n}')).toBe(true);
    const parsed = JSON.parse(lenet);
    const pool = parsed.nodes.findIndex((n: any) => n.name === 'pool1');
    const bn = parsed.nodes.findIndex((n: any) => n.name === 'bn1');
    expect(parsed.node_row_ptr[bn + 1] - parsed.node_row_ptr[bn]).toBe(3);
    expect(parsed.node_row_ptr[pool + 1] - parsed.node_row_ptr[pool]).toBe(2);
    expect(fixture('concat11-symbol.json')).toContain('"inputs": [\n        [0, 0, 0], \n');
  });

  it('what JSON holds, read back with JSON.parse', () => {
    const s = fresh(builders['mlp-symbol.json']!);
    const j = JSON.parse(s.toJSON());
    expect(j.nodes.map((n: any) => n.name)).toEqual(['data', 'fc1_weight', 'fc1_bias', 'fc1', 'relu1', 'fc2_weight',
                                                     'fc2_bias', 'fc2', 'out_label', 'out']);
    expect(j.arg_nodes).toEqual([0, 1, 2, 5, 6, 8]);
    expect(j.heads).toEqual([[9, 0, 0]]);
    expect(j.attrs).toEqual({ mxnet_version: ['int', 10901] });
  });

  it('every registered op with default params survives a JSON round trip', () => {
    const handWritten = new Set(['Symbol', 'Variable', 'var', 'Group', 'fromJSON', 'loadJSON', 'load', 'loadSync']);
    let checked = 0;
    for (const name of Object.keys(sym)) {
      const f = (sym as any)[name];
      if (typeof f !== 'function' || handWritten.has(name)) continue;
      let s: Sym;
      try {
        s = fresh(() => f({ name: 'n' }));
      } catch (e) {
        expect(e).toBeInstanceOf(mx.IsotensorError); // required params: covered by the cases below
        continue;
      }
      const text = s.toJSON();
      const back = sym.fromJSON(text);
      expect(back.toJSON()).toBe(text);
      expect(back.listArguments()).toEqual(s.listArguments());
      expect(back.listAuxiliaryStates()).toEqual(s.listAuxiliaryStates());
      expect(back.listOutputs()).toEqual(s.listOutputs());
      s.dispose();
      back.dispose();
      checked++;
    }
    expect(checked).toBeGreaterThan(150);
  });

  it('ops with required params round-trip too', () => {
    const x = sym.Variable('x');
    const cases: Sym[] = fresh(() => [
      sym.Convolution(x, { kernel: [3, 3], numFilter: 4, stride: [2, 2], noBias: true }),
      sym.Deconvolution(x, { kernel: [2, 2], numFilter: 4 }),
      sym.Pooling(x, { kernel: [2, 2], poolType: 'avg' }),
      sym.Pooling(x, { globalPool: true, poolType: 'max' }),
      sym.Reshape(x, { shape: [0, -1] }),
      sym.transpose(x, { axes: [1, 0] }),
      sym.SliceChannel(x, { numOutputs: 2 }),
      sym.RNN(x, { mode: 'gru', stateSize: 3, numLayers: 2, stateOutputs: true }),
      sym.Embedding(x, { inputDim: 10, outputDim: 4 }),
      sym.slice(x, { begin: [0, null], end: [1, null] }),
      sym.clip(x, { aMin: -1, aMax: 1 }),
      sym.Dropout(x, { p: 0.25 }),
      sym.LayerNorm(x, { outputMeanVar: true }),
      sym.Cast(x, { dtype: 'float16' }),
    ]);
    for (const s of cases) {
      const text = s.toJSON();
      expect(sym.fromJSON(text).toJSON()).toBe(text);
    }
    // Pooling counts its hidden workspace output only for max pooling with a kernel.
    const rows = (s: Sym): number[] => JSON.parse(s.toJSON()).node_row_ptr;
    expect(rows(cases[2])).toEqual([0, 1, 2]);
    expect(rows(cases[3])).toEqual([0, 1, 2]);
    expect(rows(cases[7]).at(-1)! - rows(cases[7]).at(-2)!).toBe(2);
    expect(cases[7].listOutputs()).toEqual(['rnn0_output', 'rnn0_state_output']);
    expect(cases[6].listOutputs()).toEqual(['slicechannel0_output0', 'slicechannel0_output1']);
    expect(cases[4].toJSON()).toContain('"attrs": {"shape": "(0, -1)"}');
    expect(cases[9].toJSON()).toContain('"begin": "(0, None)"');
    expect(cases[13].toJSON()).toContain('"attrs": {"dtype": "float16"}');
  });

  it('save and load files (Node)', async () => {
    const s = fresh(builders['lenet-bn-symbol.json']!);
    const path = join(tmp, 'net-symbol.json');
    await s.save(path);
    expect(readFileSync(path, 'utf8')).toBe(fixture('lenet-bn-symbol.json'));
    expect((await sym.load(path)).toJSON()).toBe(s.toJSON());
    s.saveSync(join(tmp, 'sync-symbol.json'));
    expect(sym.loadSync(join(tmp, 'sync-symbol.json')).listAuxiliaryStates()).toEqual(['bn1_moving_mean', 'bn1_moving_var']);
    expect(sym.loadJSON(s.toJSON()).listArguments()).toEqual(s.listArguments());
  });
});

describe('older MXNet files', () => {
  it('0.8: param/attr keys, 2-element inputs, missing aux inputs, bare hidden keys', () => {
    const s = sym.fromJSON(fixture('legacy-0.8-symbol.json'));
    expect(s.listArguments()).toEqual(['data', 'fc1_weight', 'fc1_bias', 'bn_gamma', 'bn_beta', 'softmax_label']);
    expect(s.listAuxiliaryStates()).toEqual(['bn_moving_mean', 'bn_moving_var']);
    expect(s.listOutputs()).toEqual(['softmax_output']);
    const attrs = s.attrDict();
    expect(attrs['data']).toEqual({ __ctx_group__: 'stage1', ctx_group: 'stage1', __lr_mult__: '0.2', lr_mult: '0.2' });
    // "weight_lr_mult" on the op moves onto its weight variable (MXNet's UpgradeJSON_FixParsing).
    expect(attrs['fc1_weight']?.['__lr_mult__']).toBe('1.2');
    expect(attrs['fc1']).toEqual({ __ctx_group__: 'stage1', ctx_group: 'stage1', no_bias: 'False', num_hidden: '16' });
    // The aux variables MXNet 0.8 did not store are created with the op's attributes and initializers.
    expect(attrs['bn_moving_mean']).toEqual({ __init__: '["zero", {}]', eps: '0.001', fix_gamma: 'True', momentum: '0.9' });
    expect(attrs['bn_moving_var']?.['__init__']).toBe('["one", {}]');
    const again = s.toJSON();
    expect(again).toContain('"mxnet_version": ["int", 10901]');
    expect(again).toContain('[3, 0, 0], [4, 0, 0], [5, 0, 0], [6, 0, 1], [7, 0, 1]]');
    expect(sym.fromJSON(again).toJSON()).toBe(again);
    const { argShapes, outShapes, auxShapes } = s.inferShape({ data: [4, 10] });
    expect(argShapes).toEqual([[4, 10], [16, 10], [16], [16], [16], [4]]);
    expect(outShapes).toEqual([[4, 16]]);
    expect(auxShapes).toEqual([[16], [16]]);
  });

  it('NNVM 0.9-1.1: "attr" maps and version stamps', () => {
    const s = sym.fromJSON(fixture('legacy-nnvm-attr-symbol.json'));
    expect(s.listArguments()).toEqual(['data', 'conv_weight', 'conv_gamma']);
    expect(s.attrDict()['argmax0']).toEqual({ axis: '1' });
    const j = JSON.parse(s.toJSON());
    expect(j.nodes[2].attrs).toEqual({ kernel: '(3, 3)', no_bias: 'True', num_filter: '4' });
    expect(j.attrs.mxnet_version).toEqual(['int', 10901]);
  });

  it('a file without a version predates 0.9.5: argmax axis=-1 is dropped; 2-element heads', () => {
    const text = JSON.stringify({
      nodes: [{ op: 'null', name: 'x', inputs: [] }, { op: 'argmax', name: 'am', param: { axis: '-1' }, inputs: [[0, 0]] }],
      arg_nodes: [0], heads: [[1, 0]],
    });
    const s = sym.fromJSON(text);
    expect(s.listAttr()).toEqual({});
    expect(JSON.parse(s.toJSON()).heads).toEqual([[1, 0, 0]]);
  });

  it('hidden attributes of a current file stay as written', () => {
    const s = sym.fromJSON(fixture('hidden-attrs-symbol.json'));
    expect(s.attrDict()['w']).toEqual({ __init__: '["normal", {"sigma": 0.01}]', __lr_mult__: '2', lr_mult: '2',
                                         __wd_mult__: '0.5', wd_mult: '0.5', mood: 'an\tgry "cat"' });
    expect(s.attr('ctx_group')).toBe('dev1');
    expect(s.listArguments()).toEqual(['data', 'w']);
  });
});

describe('bad JSON is an IsotensorError naming what is wrong', () => {
  const node = (op: string, name: string, inputs: number[][] = [], extra: object = {}): object =>
    ({ op, name, inputs, ...extra });
  const graph = (nodes: object[], heads: number[][], argNodes: number[] = [0]): string =>
    JSON.stringify({ nodes, arg_nodes: argNodes, heads, attrs: { mxnet_version: ['int', 10901] } });

  it('unknown operator', () => {
    expectError(() => sym.fromJSON(graph([node('null', 'x'), node('NoSuchOp', 'bad', [[0, 0, 0]])], [[1, 0, 0]])),
              'NoSuchOp', 'bad');
  });
  it('malformed or truncated JSON', () => {
    expectError(() => sym.fromJSON('{"nodes": [{"op": "null", "name": "x", "inputs": []}'), 'malformed JSON');
    expectError(() => sym.fromJSON(''), 'malformed JSON');
    expectError(() => sym.fromJSON('[1, 2]'), 'nodes');
    expectError(() => sym.fromJSON('{"nodes": [], "arg_nodes": []}'), 'heads');
    expectError(() => sym.fromJSON(fixture('mlp-symbol.json').slice(0, 500)), 'malformed JSON');
    expectError(() => sym.fromJSON('{"nodes": [], "arg_nodes": [], "heads": [], "extra": 1}'), 'extra');
  });
  it('cycles and forward references', () => {
    expectError(() => sym.fromJSON(graph([node('null', 'x'), node('relu', 'a', [[2, 0, 0]]), node('relu', 'b', [[1, 0, 0]])],
                                       [[2, 0, 0]])), 'topological', "'a'");
    expectError(() => sym.fromJSON(graph([node('null', 'x'), node('relu', 'self', [[1, 0, 0]])], [[1, 0, 0]])), "'self'");
  });
  it('wrong inputs, outputs and params', () => {
    expectError(() => sym.fromJSON(graph([node('null', 'x'), node('FullyConnected', 'fc', [[0, 0, 0]], { attrs: { num_hidden: '2' } })],
                                       [[1, 0, 0]])), 'FullyConnected', "'fc'", 'data, weight, bias');
    expectError(() => sym.fromJSON(graph([node('null', 'x'), node('relu', 'r', [[0, 1, 0]])], [[1, 0, 0]])), "'r'", 'output 1');
    expectError(() => sym.fromJSON(graph([node('null', 'x'), node('relu', 'r', [[0, 0, 0]])], [[1, 3, 0]])), 'heads[0]', 'output 3');
    expectError(() => sym.fromJSON(graph([node('null', 'x'), node('Activation', 'act', [[0, 0, 0]], { attrs: { act_type: 'nope' } })],
                                       [[1, 0, 0]])), 'Activation', 'act_type', "'act'");
    expectError(() => sym.fromJSON(graph([node('null', 'x'), node('Activation', 'act', [[0, 0, 0]], { attrs: { act_type: 1 } })],
                                       [[1, 0, 0]])), 'act_type', 'strings');
    expectError(() => sym.fromJSON(graph([node('null', 'x'), node('relu', 'r', [[0, 0, 0]])], [[1, 0, 0]], [1])),
              'arg_nodes', 'not a variable');
    expectError(() => sym.fromJSON(graph([node('null', 'x'), node('relu', 'r', [[0]])], [[1, 0, 0]])), 'inputs[0]');
    expectError(() => sym.fromJSON(graph([node('null', 'x', [], { colour: 'red' })], [[0, 0, 0]])), 'colour');
    expectError(() => sym.fromJSON(graph([node('null', 'x', [[0, 0, 0]])], [[0, 0, 0]])), 'x');
  });
});

describe('mx.model checkpoints', () => {
  it('saveCheckpoint / loadCheckpoint write MXNet\'s files and read them back', async () => {
    const net = fresh(builders['lenet-bn-symbol.json']!);
    const argParams = { conv1_weight: nd.ones([8, 1, 3, 3]), conv1_bias: nd.zeros([8]), fc1_weight: nd.full([10, 4], 0.5) };
    const auxParams = { bn1_moving_mean: nd.zeros([8]), bn1_moving_var: nd.ones([8]) };
    const prefix = join(tmp, 'lenet');
    await mx.model.saveCheckpoint(prefix, 3, net, argParams, auxParams);
    expect(existsSync(`${prefix}-symbol.json`)).toBe(true);
    expect(existsSync(`${prefix}-0003.params`)).toBe(true);
    expect(readFileSync(`${prefix}-symbol.json`, 'utf8')).toBe(fixture('lenet-bn-symbol.json'));
    const raw = nd.loadSync(`${prefix}-0003.params`) as Record<string, any>;
    expect(Object.keys(raw)).toEqual(['arg:conv1_weight', 'arg:conv1_bias', 'arg:fc1_weight', 'aux:bn1_moving_mean',
                                      'aux:bn1_moving_var']);
    const { symbol, argParams: a, auxParams: x } = await mx.model.loadCheckpoint(prefix, 3);
    expect(symbol.toJSON()).toBe(net.toJSON());
    expect(Object.keys(a)).toEqual(Object.keys(argParams));
    expect(Object.keys(x)).toEqual(Object.keys(auxParams));
    expect(Array.from(a['fc1_weight']!.dataSync() as Float32Array)).toEqual(new Array(40).fill(0.5));
    expect(a['conv1_weight']!.shape).toEqual([8, 1, 3, 3]);
    expect(Array.from(x['bn1_moving_var']!.dataSync() as Float32Array)).toEqual(new Array(8).fill(1));

    mx.model.saveCheckpointSync(prefix, 12, null, { w: nd.ones([2]) }, {});
    expect(existsSync(`${prefix}-0012.params`)).toBe(true);
    const sync = mx.model.loadCheckpointSync(prefix, 12);
    expect(sync.symbol.listArguments()).toEqual(net.listArguments());
    expect(Object.keys(sync.argParams)).toEqual(['w']);
    expect(sync.auxParams).toEqual({});
  });

  it('bad checkpoints', async () => {
    expectError(() => mx.model.paramsFileName('p', -1), 'epoch');
    expect(mx.model.paramsFileName('p', 7)).toBe('p-0007.params');
    writeFileSync(join(tmp, 'bad-symbol.json'), '{"nodes": [');
    nd.saveSync(join(tmp, 'bad-0000.params'), { 'arg:w': nd.ones([1]) });
    await expect(mx.model.loadCheckpoint(join(tmp, 'bad'), 0)).rejects.toThrow(/malformed JSON/);
    nd.saveSync(join(tmp, 'nokeys-0000.params'), { w: nd.ones([1]) });
    await expect(mx.model.loadParams(join(tmp, 'nokeys'), 0)).rejects.toThrow(/arg:/);
  });
});
