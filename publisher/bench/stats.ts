// Small numeric helpers for the publisher benchmark: latency percentiles and rates.

import { summarize as summarizeTo } from '../../shared/bench/stats.ts';
import type { LatencySummary } from '../../shared/bench/stats.ts';

export type { LatencySummary };

/** Percentiles to two decimals (the publisher's requests are fast). */
export const summarize = (durationsMs: ArrayLike<number>): LatencySummary => summarizeTo(durationsMs, 2);

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
