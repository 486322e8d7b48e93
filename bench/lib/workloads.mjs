// Finds the workload files (bench/workloads/w*.mjs) and picks cases; a new workload is one more file there.

import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = fileURLToPath(new URL('../workloads/', import.meta.url));

/** All workload modules, ordered by number (W1, W2, ..., W10). */
export async function loadWorkloads() {
  const files = readdirSync(dir).filter((f) => /^w\d+.*\.mjs$/.test(f));
  const mods = await Promise.all(files.map((f) => import(pathToFileURL(dir + f).href)));
  const num = (m) => Number(m.id.slice(1));
  return mods.sort((a, b) => num(a) - num(b));
}

/**
 * Cases selected by `--only` (comma list of workload ids like W1 or case ids like W1b; empty = all),
 * each with its workload module attached.
 */
export function selectCases(workloads, only) {
  const wanted = only ? only.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean) : [];
  const out = [];
  for (const w of workloads) {
    for (const c of w.cases) {
      if (!wanted.length || wanted.includes(w.id.toUpperCase()) || wanted.includes(c.id.toUpperCase())) {
        out.push({ ...c, workload: w });
      }
    }
  }
  return out;
}
