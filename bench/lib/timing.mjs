// Wall-clock measurement shared by every JS peer: warm-up calls, then timed calls, median reported.

/** Median of a non-empty numeric array. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Times `call` (sync or async; it must return only once its result is computed).
 * Runs `warmup` untimed calls, then `reps` timed ones, stopping early once `budgetMs` of timed
 * work has passed and at least `minReps` calls were timed (so a slow column cannot stall the run).
 * @returns {{median: number, min: number, max: number, mean: number, n: number}} milliseconds per call
 */
export async function measure(call, { warmup = 2, reps = 10, minReps = 3, budgetMs = 20000 } = {}) {
  for (let i = 0; i < warmup; i++) await call();
  const times = [];
  let spent = 0;
  while (times.length < reps && (times.length < minReps || spent < budgetMs)) {
    const t0 = performance.now();
    await call();
    const dt = performance.now() - t0;
    times.push(dt);
    spent += dt;
  }
  return {
    median: median(times),
    min: Math.min(...times),
    max: Math.max(...times),
    mean: times.reduce((a, b) => a + b, 0) / times.length,
    n: times.length,
  };
}

/** Fewer repetitions for `--quick`: one warm-up, a third of the reps (at least 2). */
export function quickOptions(opts, quick) {
  if (!quick) return opts;
  return { ...opts, warmup: 1, reps: Math.max(2, Math.ceil((opts.reps ?? 10) / 3)), minReps: 2,
    budgetMs: Math.min(opts.budgetMs ?? 20000, 5000) };
}
