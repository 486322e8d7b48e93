// The workerd cold-start worker: on its first request it initialises isotensor (the Workers build of
// isotensor/infer) and answers relu(a + b) on 16 floats (bench/cold-start.mjs times spawn -> first answer).
import * as mx from 'isotensor/infer';
import { a, b } from './cold_start_case.mjs';

export default {
  async fetch() {
    await mx.ready();
    const y = mx.nd.relu(mx.nd.array(a).add(mx.nd.array(b)));
    return Response.json(Array.from(await y.data()));
  },
};
