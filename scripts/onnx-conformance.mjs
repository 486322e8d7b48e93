#!/usr/bin/env node
// Runs ONNX backend conformance cases (model.onnx + test_data_set_*/{input,output}_*.pb) through mx.onnx.
//
//   node scripts/onnx-conformance.mjs <cases-dir> [--mode session|import|both] [--filter RE] [--verbose] [--json out.json]
//
// Generate the cases with test/fixtures/onnx/gen_onnx_node_cases.py (onnx's own node tests). A case
// passes when every output has the reference dtype and shape and its values match as onnx's backend
// runner checks them (rtol 1e-3, atol 1e-7 for floats; exact otherwise). Prints one line per failing
// case with the reason, then the counts.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as mx from '../dist/index.mjs';
import { compareValue } from './onnx-compare.mjs';

const args = process.argv.slice(2);
const dir = args.find((a, i) => !a.startsWith('--') && !['--mode', '--filter', '--json'].includes(args[i - 1]));
const opt = (k, d) => (args.includes(k) ? args[args.indexOf(k) + 1] : d);
const mode = opt('--mode', 'session');
const filter = new RegExp(opt('--filter', '.'));
const verbose = args.includes('--verbose');
const jsonOut = opt('--json', null);
const results = {};
if (!dir) {
  console.error('usage: onnx-conformance.mjs <cases-dir> [--mode session|import|both] [--filter RE]');
  process.exit(2);
}
await mx.ready();

const flat = (vs) => vs.flatMap((v) => (v === null || v === undefined ? [] : Array.isArray(v) ? v : [v]));

function runCase(caseDir, how) {
  const model = join(caseDir, 'model.onnx');
  const sets = readdirSync(caseDir).filter((d) => d.startsWith('test_data_set_')).sort();
  // Value files of sequence/optional inputs and outputs are SequenceProto/OptionalProto: the model says which.
  const kinds = mx.onnx.InferenceSession.createSync(model);
  const inKinds = kinds.inputMetadata.map((i) => i.kind);
  const outKinds = kinds.outputMetadata.map((o) => (o.kind === 'sequence' || o.kind === 'optional' ? o.kind : 'tensor'));
  kinds.dispose();
  let run;
  if (how === 'session') {
    const s = mx.onnx.InferenceSession.createSync(model);
    run = (feeds) => s.run(feeds);
    run.names = s.inputNames;
    run.outs = s.outputNames;
    run.dispose = () => s.dispose();
  }
  try {
    for (const set of sets) {
      const d = join(caseDir, set);
      const files = readdirSync(d);
      const ins = files.filter((f) => /^input_\d+\.pb$/.test(f)).sort((a, b) => parseInt(a.slice(6)) - parseInt(b.slice(6)));
      const outs = files.filter((f) => /^output_\d+\.pb$/.test(f)).sort((a, b) => parseInt(a.slice(7)) - parseInt(b.slice(7)));
      const inputs = ins.map((f, i) => mx.onnx.readValueSync(join(d, f), { kind: inKinds[i] ?? 'tensor' }));
      const refs = outs.map((f, i) => mx.onnx.readValueSync(join(d, f), { kind: outKinds[i] ?? 'tensor' }));
      let got;
      if (how === 'session') {
        const feeds = {};
        run.names.forEach((n, i) => { feeds[n] = inputs[i]; });
        const r = run(feeds);
        got = run.outs.map((n) => r[n]);
      } else {
        const meta = mx.onnx.getModelMetadataSync(model);
        const shapes = {};
        meta.inputTensorData.forEach(([n], i) => { if (inputs[i] instanceof mx.nd.NDArray) shapes[n] = inputs[i].shape; });
        const imp = mx.onnx.importModelSync(model, { inputShapes: shapes });
        const args = { ...imp.argParams };
        meta.inputTensorData.forEach(([n], i) => { args[n] = inputs[i]; });
        const used = imp.sym.listArguments();
        const bound = {};
        for (const n of used) bound[n] = args[n];
        const ex = imp.sym.bind(mx.cpu(), bound, { auxStates: imp.auxParams, gradReq: 'null' });
        ex.forward({ isTrain: false });
        got = ex.outputs.map((o) => o.copy());
        ex.dispose?.();
      }
      for (let i = 0; i < refs.length; i++) {
        if (got[i] === undefined) return `missing output ${i}`;
        // Imported graphs hand back plain carrier arrays: element types are compared for sessions.
        const err = compareValue(`output ${i}`, got[i], refs[i], 1e-3, 1e-7, how === 'session' ? mx.onnx.elementType : undefined);
        if (err !== null) return `${set} ${err}`;
      }
      for (const a of flat([...inputs, ...refs, ...got])) a.dispose?.();
    }
    return null;
  } finally {
    run?.dispose();
  }
}

const cases = readdirSync(dir).filter((d) => filter.test(d) && existsSync(join(dir, d, 'model.onnx'))).sort();
const modes = mode === 'both' ? ['session', 'import'] : [mode];
for (const how of modes) {
  let pass = 0;
  let fail = 0;
  const reasons = new Map();
  for (const c of cases) {
    let err;
    try {
      err = runCase(join(dir, c), how);
    } catch (e) {
      err = e.message;
    }
    (results[c] ??= {})[how] = err === null;
    if (err === null) {
      pass++;
      if (verbose) console.log(`ok   ${c}`);
    } else {
      fail++;
      console.log(`FAIL ${c}: ${err.split('\n')[0].slice(0, 200)}`);
      const key = / not supported/.test(err) ? 'unsupported' : 'wrong';
      reasons.set(key, (reasons.get(key) ?? 0) + 1);
    }
  }
  console.log(`[${how}] ${pass} passed, ${fail} failed (${[...reasons].map(([k, v]) => `${k} ${v}`).join(', ')})`);
}
if (jsonOut !== null) (await import('node:fs')).writeFileSync(jsonOut, JSON.stringify(results, null, 1));
