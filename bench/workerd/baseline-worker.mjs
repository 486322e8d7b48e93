// The workerd baseline: the same answer with no library, so workerd's own start-up can be told apart.
import { a, b } from './cold_start_case.mjs';

export default {
  fetch() {
    return Response.json(Array.from(a, (v, i) => Math.max(0, v + b[i])));
  },
};
