// Prints, as JSON, what each case of specs/error-cases.mjs gives in Node (the bundle vitest tests), for errors.test.ts.
import * as mx from '../../dist/index.mjs';
import { errorCases, outcome } from './specs/error-cases.mjs';

await mx.ready();
const out = { runtime: mx.runtimeInfo().backend, cases: {} };
for (const c of errorCases) out.cases[c.name] = await outcome(mx, c);
process.stdout.write(JSON.stringify(out));
