// Per-op profile of a workload's isotensor case: each public op call is waited for and timed.
//
//   node bench/profile-ops.mjs [--case W5a] [--backend native|wasm] [--reps 10]
//
// The workload runs through a copy of `mx` whose `nd` functions are wrapped: every call first
// waits for all pending work, then is timed until its result exists (mx.waitAll), so the times add
// up to about one call and name where it goes. Convolutions are keyed by geometry. Prints ms per
// call of the case, the calls per case, and the share of the summed time. ISOTENSOR_NUM_THREADS
// sets the threads as for the bench columns.
import { load } from './peers/isotensor.mjs';
import { loadWorkloads, selectCases } from './lib/workloads.mjs';
import { parseArgs } from './lib/args.mjs';

const args = { case: 'W5a', backend: 'native', reps: '10', ...parseArgs(process.argv.slice(2)) };
const [c] = selectCases(await loadWorkloads(), args.case);
if (!c || !c.workload.impl.isotensor) throw new Error(`no isotensor case ${args.case}`);
const { lib } = await load({ backend: args.backend, flavour: 'threads' });
const mx0 = lib.mx;
const nd = { ...mx0.nd };
const mx = { ...mx0, nd };
const times = new Map();
let profiling = false;
for (const [name, f] of Object.entries(mx0.nd)) {
  // The layer ops (capitalised, as MXNet names them) and the element-wise ones the workloads call.
  const timed = /^[A-Z]/.test(name) || ['relu', 'elemwise_add', 'dot', 'sigmoid', 'tanh', 'softmax'].includes(name);
  if (typeof f !== 'function' || !timed) continue;
  nd[name] = (...a) => {
    if (!profiling) return f(...a);
    mx0.waitAll();
    const t0 = performance.now();
    const r = f(...a);
    mx0.waitAll();
    const dt = performance.now() - t0;
    let key = name;
    const o = a.at(-1);  // the options object comes last
    if (name === 'Convolution' && o?.kernel) {
      key += ` ${o.kernel.join('x')}/${(o.stride ?? [1])[0]} ${a[0].shape.slice(1).join('x')} -> ${o.numFilter}`;
    }
    const e = times.get(key) ?? { n: 0, t: 0 };
    e.n++;
    e.t += dt;
    times.set(key, e);
    return r;
  };
}
const run = await c.workload.impl.isotensor({ mx, ctx: lib.ctx }, c.params);
for (let i = 0; i < 3; i++) run.call();
const reps = Number(args.reps);
let t0 = performance.now();
for (let i = 0; i < reps; i++) run.call();
const whole = (performance.now() - t0) / reps;
profiling = true;
for (let i = 0; i < reps; i++) run.call();
profiling = false;
await run.dispose?.();
const rows = [...times].map(([k, e]) => [k, e.t / reps, e.n / reps]).sort((a, b) => b[1] - a[1]);
const total = rows.reduce((s, r) => s + r[1], 0);
console.log(`${c.id} on ${args.backend}: ${whole.toFixed(2)} ms per call unprofiled, ${total.toFixed(2)} ms summed over the ops`);
console.log('| op | calls | ms | share |\n| :-- | --: | --: | --: |');
for (const [k, t, n] of rows) console.log(`| ${k} | ${n} | ${t.toFixed(3)} | ${(100 * t / total).toFixed(1)} % |`);
