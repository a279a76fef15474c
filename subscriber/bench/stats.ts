// Small numeric and text helpers for the subscriber benchmark: percentiles,
// rates, rounding and a plain-text table.

import { round } from '../../shared/bench/stats.ts';

export { round, summarize } from '../../shared/bench/stats.ts';
export type { LatencySummary } from '../../shared/bench/stats.ts';

export const perSecond = (count: number, ms: number): number => (ms > 0 ? round((count * 1000) / ms, 1) : 0);

export const seconds = (ms: number, digits = 1): number => round(ms / 1000, digits);

/** Left-aligned first column, right-aligned others. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))
    .join('\n');
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));
