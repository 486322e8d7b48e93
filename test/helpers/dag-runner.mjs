// Runs N randomised op DAGs through isotensor and prints one hex digest per DAG (used by engine.test.ts).
// Usage: ISOTENSOR_ENGINE=naive|threaded node test/helpers/dag-runner.mjs <count> <seed>
import { createHash } from 'node:crypto';
import * as mx from '../../dist/index.mjs';

const count = Number(process.argv[2] ?? 1000);
let state = Number(process.argv[3] ?? 1) >>> 0;
// xorshift32: the DAGs must be the same in every process.
function rand(n) {
  state ^= state << 13; state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5; state >>>= 0;
  return state % n;
}

await mx.ready();
const { nd } = mx;
const digests = [];
for (let d = 0; d < count; ++d) {
  mx.scope(() => {
    const slots = [];
    for (let i = 0; i < 6; ++i) {
      const v = Array.from({ length: 12 }, () => rand(7) - 3);
      slots.push(nd.array(v).reshape([3, 4]));
    }
    for (let step = 0; step < 12; ++step) {
      const a = slots[rand(slots.length)];
      const b = slots[rand(slots.length)];
      const dst = rand(slots.length);
      switch (rand(9)) {
        case 0: slots[dst] = a.add(b); break;
        case 1: slots[dst] = a.mul(b).sub(a); break;
        case 2: slots[dst] = nd.maximum(a, b.mul(2)); break;
        case 3: a.iadd(b); break;                       // in place: write after read of b
        case 4: a.imul(rand(3) - 1); break;             // in place scalar
        case 5: slots[dst] = a.sum({ axis: 1, keepdims: true }).add(b); break;
        case 6: a.slice(0, 2).set(b.slice(1, 3)); break; // write through a view
        case 7: slots[dst] = a.transpose().dot(b).slice(0, 3).reshape([3, 4]).mul(0.5); break;
        default: slots[dst] = a.copy(); b.isub(1); break; // read a, then write b
      }
    }
    const h = createHash('sha1');
    for (const s of slots) h.update(Buffer.from(s.dataSync().buffer));
    digests.push(h.digest('hex').slice(0, 16));
  });
}
mx.waitAll();
process.stdout.write(JSON.stringify({ engine: mx.runtimeInfo().engine, digests }));
