// Numbers and text the benchmarks report: nearest-rank latency percentiles, rates,
// rounding, a plain-text table, and a growable list of samples.

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

export const perSecond = (count: number, ms: number): number => (ms > 0 ? round((count * 1000) / ms, 1) : 0);

export const seconds = (ms: number, digits = 1): number => round(ms / 1000, digits);

/** Milliseconds between two process.cpuUsage() readings (user + system). */
export const cpuMs = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage): number => round((b.user - a.user + b.system - a.system) / 1000);

/** Left-aligned first column, right-aligned others. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))
    .join('\n');
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/** A growable list of numbers that does not box each one. */
export class Samples {
  private buf = new Float64Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }

  values(): Float64Array {
    return this.buf.subarray(0, this.length);
  }
}
