// Vitest setup file: ISOTENSOR_TEST_CONTEXT (e.g. 'gpu(0)') makes that the default context of every
// spec, so the whole suite re-runs its operator checks on that device (scripts/gpu-suite.sh).
import * as mx from 'isotensor';

const ctx = process.env.ISOTENSOR_TEST_CONTEXT;
if (ctx) mx.setDefaultContext(ctx);
