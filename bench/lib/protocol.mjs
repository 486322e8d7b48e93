// The one-line result protocol between bench/run.mjs and its worker processes (JS and Python).

export const RESULT_TAG = '@@BENCH-RESULT ';

/** The last result line in a worker's stdout, parsed; null if there is none. */
export function parseResult(stdout) {
  const lines = stdout.split('\n').filter((l) => l.startsWith(RESULT_TAG));
  return lines.length ? JSON.parse(lines[lines.length - 1].slice(RESULT_TAG.length)) : null;
}
