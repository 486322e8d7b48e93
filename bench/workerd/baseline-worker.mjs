// The workerd baseline: the same answer with no library, so workerd's own start-up can be told apart.
export default {
  fetch() {
    return Response.json(Array.from({ length: 16 }, (_, i) => Math.max(0, i - 8 + 0.5)));
  },
};
