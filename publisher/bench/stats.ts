// Small numeric helpers for the publisher benchmark: latency percentiles and rates.

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Nearest-rank percentiles of durations in milliseconds. */
export function summarize(durationsMs: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(durationsMs).sort();
  const n = sorted.length;
  const at = (q: number) => (n === 0 ? 0 : sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]);
  return { count: n, p50Ms: round(at(0.5), 2), p95Ms: round(at(0.95), 2), p99Ms: round(at(0.99), 2), maxMs: round(at(1), 2) };
}

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

export const round = (v: number, digits = 0): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

export const perSecond = (count: number, ms: number): number => (ms > 0 ? round((count * 1000) / ms, 1) : 0);

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
