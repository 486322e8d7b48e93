// Every registered operator fed malformed input (wrong input count, mismatched and 0-d shapes,
// bad and unknown params): each call either works or raises an IsotensorError that names the op
// and the argument, never crashes or hangs, and the library keeps working after it.
import { beforeAll, describe, expect, it } from 'vitest';
import * as mx from 'isotensor';
import { announceBackend } from '../helpers/backend';

const { nd } = mx;
type Arr = any;

beforeAll(async () => {
  await mx.ready();
  announceBackend('bad-input-generated');
});

// Ops whose job is not to take tensors in the usual way.
const SKIP = new Set(['_copyto', '_CustomFunction', '_CustomFunctionBackward']);
const CONTROL_FLOW = new Set(['_foreach', '_while_loop', '_cond']);

/** Runs one malformed call; returns the error message ('' when the call was accepted). */
function attempt(op: mx.operator.OperatorInfo, inputs: Arr[], params: Record<string, unknown>): string {
  try {
    const outs = mx.scope(() => {
      const r = mx.operator.invoke(op.name, inputs, params as never);
      // Kernel-time errors surface at the next read.
      for (const o of r) o.dataSync();
      return null;
    });
    void outs;
    return '';
  } catch (e) {
    expect(e, `${op.name} threw a non-IsotensorError: ${String(e)}`).toBeInstanceOf(mx.IsotensorError);
    const msg = (e as Error).message;
    const names = [op.name, ...op.aliases];
    expect(names.some((n) => msg.includes(n)), `${op.name}: message does not name the op: ${msg}`).toBe(true);
    expect(msg, `${op.name}: message does not name an argument`).toMatch(/argument '|inputs|input \d/);
    return msg;
  }
}

function stillWorks(): void {
  const s = nd.elemwise_add(nd.array([1, 2]), nd.array([3, 4]));
  expect(Array.from(s.dataSync() as Float32Array)).toEqual([4, 6]);
}

const ops = (): mx.operator.OperatorInfo[] => mx.operator.listOperators().filter((o) => !SKIP.has(o.name));

describe('every registered op rejects malformed input cleanly', () => {
  it('has the registry to test', () => {
    expect(ops().length).toBeGreaterThan(150);
  });

  // One test per op keeps failures readable; the list comes from the registry at run time.
  it('every op', () => {
    const failures: string[] = [];
    for (const op of ops()) {
      try {
        checkOp(op);
      } catch (e) {
        failures.push(`${op.name}: ${(e as Error).message.split('\n')[0]}`);
      }
      stillWorks();
    }
    expect(failures, failures.join('\n')).toEqual([]);
  });
});

function checkOp(op: mx.operator.OperatorInfo): void {
  const n = op.inputs.length + (op.variadic ? 2 : 0);
  const good = (): Arr[] => Array.from({ length: n }, () => nd.ones([2, 3]));
  const required: Record<string, unknown> = {};
  // Plausible values for required params so the malformed part is the one under test.
  for (const p of op.params) {
    if (!p.required || (op.variadic && p.name === op.variadic.count)) continue;
    const firstChoice = /^\{'([^']*)'/.exec(p.type)?.[1];  // enumerated: "{'bilinear', 'nearest'}"
    required[p.name] = firstChoice !== undefined ? firstChoice : /shape|tuple/i.test(p.type) ? '(2,3)'
      // Control flow's num_args counts its subgraphs too (_cond's is at least 3).
      : /int|long/.test(p.type) ? (p.name === 'num_args' && CONTROL_FLOW.has(op.name) ? 3 : 2)
      : /float|double/.test(p.type) ? 1 : 'a';
  }

  mx.scope(() => {
    if (!op.creation) {
      // One input too many, and none at all.
      const extra = Array.from({ length: n + 1 }, () => nd.ones([2, 3]));
      if (!op.variadic) {
        const msg = attempt(op, extra, required);
        expect(msg, `${op.name} accepted ${n + 1} inputs`).not.toBe('');
      }
      if (n > 0) attempt(op, [], required);
      // Mismatched ranks and shapes, and 0-d inputs.
      const shapes = [[2, 3], [4, 5, 6], [7], [1, 1, 1, 1]];
      attempt(op, Array.from({ length: n }, (_, i) => nd.ones(shapes[i % shapes.length]!)), required);
      attempt(op, Array.from({ length: n }, () => nd.array(3)), required);
      attempt(op, Array.from({ length: n }, () => nd.zeros([0, 3])), required);
      attempt(op, Array.from({ length: n }, () => nd.ones([2, 3], { dtype: 'int32' })), required);
    }
    // Each param: an unparsable value, and a negative one.
    for (const p of op.params) {
      if (p.name === 'ctx' || p.name === 'dtype') continue;
      const isString = p.type === 'string';
      const msg = attempt(op, good(), { ...required, [p.name]: 'bogus value' });
      if (!isString) {
        expect(msg, `${op.name} accepted ${p.name}='bogus value'`).not.toBe('');
        expect(msg).toContain(p.name);
      }
      if (/int|long|float|double/.test(p.type)) attempt(op, good(), { ...required, [p.name]: -7 });
    }
    // An unknown param is rejected, naming it.
    const msg = attempt(op, good(), { ...required, no_such_param: 1 });
    expect(msg, `${op.name} accepted an unknown param`).toContain('no_such_param');
  });
}
