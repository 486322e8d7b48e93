// The seed's NDArray tour (MXNet Python overview: Creation, Basic Operations, Load and Save,
// Automatic Parallelization) in isotensor, printing what MXNet prints. Run: node examples/ndarray-tour/index.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as mx from 'isotensor';

const { nd } = mx;
await mx.ready();
const info = mx.runtimeInfo();
console.log(`isotensor on ${info.backend}${info.wasmFlavour ? ` (${info.wasmFlavour})` : ''}, ` +
            `${info.threads} engine thread(s), ${mx.numGpus()} GPU(s)`);

const show = (code, value) => console.log(`>>> ${code}${value === undefined ? '' : `\n${value}`}`);
const section = (title) => console.log(`\n## ${title}`);
// The seed's GPU lines run on a GPU when there is one, else on the CPU (said once).
const gpu = (id = 0) => (mx.numGpus() > id ? mx.gpu(id) : mx.numGpus() > 0 ? mx.gpu(0) : mx.cpu());
if (mx.numGpus() === 0) console.log('(no GPU here: the mx.gpu() lines below run on cpu(0))');

section('Creation and Initialization');
let a = nd.empty([2, 3]);
show('a = nd.empty([2, 3])  // create a 2-by-3 matrix on cpu');
let b = nd.empty([2, 3], gpu());
show('b = nd.empty([2, 3], mx.gpu())  // create a 2-by-3 matrix on gpu 0');
let c = nd.empty([2, 3], gpu(2));
show('c = nd.empty([2, 3], mx.gpu(2))  // create a 2-by-3 matrix on gpu 2');
show('c.shape', JSON.stringify(c.shape));
show('c.context', c.context.toString());

a = nd.zeros([2, 3]);
show('a = nd.zeros([2, 3])  // create a 2-by-3 matrix filled with 0');
b = nd.ones([2, 3]);
show('b = nd.ones([2, 3])  // create a 2-by-3 matrix filled with 1');
b.set(2);
show('b.set(2)  // set all elements of b to 2 (b[:] = 2)', b);

a = nd.ones([2, 3]);
b = nd.zeros([2, 3], gpu());
a.copyto(b);
show('a.copyto(b)  // copy data from cpu to gpu', b);

a = nd.ones([2, 3]);
b = a.toArraySync();
show('b = a.toArraySync()  // a.asnumpy()', JSON.stringify(b));
show('a.toString()  // print a', a.toString());

a = nd.empty([2, 3]);
a.set(nd.random.uniform({ low: -0.1, high: 0.1, shape: a.shape }));
show('a.set(nd.random.uniform({ low: -0.1, high: 0.1, shape: a.shape }))', a);

section('Basic Operations: element-wise');
a = nd.ones([2, 3]).mul(2);
b = nd.ones([2, 3]).mul(4);
show('b = nd.ones([2, 3]).mul(4)', b);
c = a.add(b);
show('c = a.add(b)', c);
const d = a.mul(b);
show('d = a.mul(b)', d);

a = nd.ones([2, 3]).mul(2);
b = nd.ones([2, 3], gpu()).mul(3);
c = a.copyto(gpu()).mul(b);
show('c = a.copyto(mx.gpu()).mul(b)  // both on one device', c);

section('Load and Save');
const dir = mkdtempSync(join(tmpdir(), 'isotensor-tour-'));
try {
  a = nd.ones([2, 3]).mul(2);
  const data = nd.serialize([a]);
  show(`data = nd.serialize([a])  // ${data.length} bytes, MXNet's format (pickle.dumps)`);
  [b] = nd.deserialize(data);
  show('[b] = nd.deserialize(data)', b);

  a = nd.ones([2, 3]).mul(2);
  b = nd.ones([2, 3]).mul(3);
  const file = join(dir, 'mydata.bin');
  await nd.save(file, [a, b]);
  show("await nd.save('mydata.bin', [a, b])");
  c = await nd.load(file);
  show("c = await nd.load('mydata.bin'); c[0]", c[0]);
  show('c[1]', c[1]);

  await nd.save(file, { a, b });
  show("await nd.save('mydata.bin', { a, b })");
  c = await nd.load(file);
  show("c = await nd.load('mydata.bin'); c.a", c.a);
  show('c.b', c.b);
  try {
    await nd.save('s3://mybucket/mydata.bin', [a, b]);
  } catch (e) {
    show("await nd.save('s3://mybucket/mydata.bin', [a, b])", `${e.name}: ${e.message}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

section('Automatic Parallelization');
a = nd.ones([2, 3]);
b = a;
c = a.copyto(mx.cpu());
mx.engine.setTrace(true);
a.iadd(1); // a += 1
b.imul(3); // b *= 3: waits for a += 1 (b is a)
c.imul(3); // c *= 3: independent, may run beside a += 1
show('a.iadd(1); b.imul(3); c.imul(3)  // each call returns at once; the engine orders them');
mx.waitAll();
const trace = mx.engine.takeTrace();
mx.engine.setTrace(false);
show('a', a);
show('c', c);
const t0 = Math.min(...trace.map((t) => t.startUs));
console.log('engine trace (op, worker thread, start → end in µs):');
const us = (x) => (x - t0).toFixed(1);
for (const t of trace) console.log(`  ${t.op.padEnd(14)} thread ${t.thread}  ${us(t.startUs)} → ${us(t.endUs)}`);
