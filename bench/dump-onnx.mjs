// Writes every selected case's ONNX graph to a folder, so bench/python/check_models.py can validate
// the hand-encoded protobufs with the `onnx` package:  node bench/dump-onnx.mjs /tmp/bench-onnx [W1,W6]

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeModel } from './lib/onnx.mjs';
import { loadWorkloads, selectCases } from './lib/workloads.mjs';

const [dir = 'bench/results/onnx', only = ''] = process.argv.slice(2);
mkdirSync(dir, { recursive: true });
for (const c of selectCases(await loadWorkloads(), only)) {
  if (!c.workload.onnxGraph) continue;
  const file = path.join(dir, `${c.id}.onnx`);
  writeFileSync(file, encodeModel(c.workload.onnxGraph(c.params)));
  console.log(file);
}
