// The text table of Block.summary (MXNet's layout: layer, output shape, parameter count, totals).
// SPDX-License-Identifier: Apache-2.0

/** One line of the table. */
export interface SummaryRow {
  layer: string;
  shape: string;
  params: number;
  trainable: number;
  shared: number;
}

function right(s: string, w: number): string {
  return s.length >= w ? s : ' '.repeat(w - s.length) + s;
}

/** MXNet's `'{:>20}  {:>42} {:>15}'` table with its totals. */
export function formatSummary(rows: readonly SummaryRow[]): string {
  const line = (a: string, b: string, c: string): string => `${right(a, 20)}  ${right(b, 42)} ${right(c, 15)}`;
  const out = ['-'.repeat(80), line('Layer (type)', 'Output Shape', 'Param #'), '='.repeat(80)];
  let total = 0;
  let trainable = 0;
  let shared = 0;
  for (const r of rows) {
    out.push(line(r.layer, r.shape, String(r.params)));
    total += r.params;
    trainable += r.trainable;
    shared += r.shared;
  }
  out.push('='.repeat(80));
  out.push('Parameters in forward computation graph, duplicate included');
  out.push(`   Total params: ${total}`);
  out.push(`   Trainable params: ${trainable}`);
  out.push(`   Non-trainable params: ${total - trainable}`);
  out.push(`Shared params in forward computation graph: ${shared}`);
  out.push(`Unique parameters in model: ${total - shared}`);
  out.push('-'.repeat(80));
  return out.join('\n');
}
