// Small numeric and text helpers for the subscriber benchmark: percentiles,
// rates, rounding and a plain-text table.

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Nearest-rank percentiles of durations in milliseconds. */
export function summarize(durationsMs: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(durationsMs).sort();
  const n = sorted.length;
  const at = (q: number) => (n === 0 ? 0 : sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]);
  return { count: n, p50Ms: round(at(0.5), 1), p95Ms: round(at(0.95), 1), p99Ms: round(at(0.99), 1), maxMs: round(at(1), 1) };
}

export const round = (v: number, digits = 0): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

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
