// Numbers both benchmarks report: nearest-rank latency percentiles and rounding.

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

export const round = (v: number, digits = 0): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

/** Nearest-rank percentiles of durations in milliseconds, rounded to `digits`. */
export function summarize(durationsMs: ArrayLike<number>, digits = 1): LatencySummary {
  const sorted = Float64Array.from(durationsMs).sort();
  const n = sorted.length;
  const at = (q: number) => (n === 0 ? 0 : sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]);
  return { count: n, p50Ms: round(at(0.5), digits), p95Ms: round(at(0.95), digits), p99Ms: round(at(0.99), digits), maxMs: round(at(1), digits) };
}
