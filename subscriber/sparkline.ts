// A small line chart as inline SVG, rendered on the server: no script and no external
// asset, so it works under the admin pages' Content-Security-Policy (default-src 'none')
// and on a clinic's offline network. Colours come from classes in ./style.ts (never
// style attributes, which that policy refuses), so dark mode follows the stylesheet.
import { html, raw } from '../shared/web/html.ts';
import type { Html } from '../shared/web/html.ts';

/** One value at one time; null is a gap (nothing known then), drawn as a break in the line. */
export interface SparkPoint {
  /** ms since the epoch */
  at: number;
  value: number | null;
}

export interface SparklineOptions {
  /** The right edge of the chart, ms since the epoch: the chart ends at this moment. */
  now: number;
  /** How much time the chart spans, in ms, back from `now`. */
  spanMs: number;
  /** What the chart shows, for screen readers and as its tooltip. */
  label: string;
  /** Size in SVG units; CSS scales the chart to its box. */
  width?: number;
  height?: number;
}

export const SPARKLINE_DEFAULTS = { width: 240, height: 48 } as const;

/** Coordinates to 0.1 unit: enough for a chart this size, and short markup. */
const r1 = (n: number) => Math.round(n * 10) / 10;

/**
 * The points inside [now - spanMs, now] as an SVG line over a filled area. The vertical
 * scale starts at 0 and ends at the largest value shown (at least 1, so a flat 0 lies on
 * the baseline rather than in the middle). Pure: the same points give the same markup.
 */
export function sparkline(points: readonly SparkPoint[], o: SparklineOptions): Html {
  const width = o.width ?? SPARKLINE_DEFAULTS.width;
  const height = o.height ?? SPARKLINE_DEFAULTS.height;
  const from = o.now - o.spanMs;
  const shown = points.filter((p) => p.at >= from && p.at <= o.now);
  const max = Math.max(1, ...shown.map((p) => (p.value !== null && Number.isFinite(p.value) ? p.value : 0)));
  const pad = 2;
  const x = (at: number) => r1(((at - from) / o.spanMs) * width);
  const y = (v: number) => r1(height - pad - (Math.max(0, v) / max) * (height - 2 * pad));
  const runs = segments(shown);
  const xy = runs.map((run) => flatten(run.map((p) => [x(p.at), y(p.value)] as const)));
  const line = xy.map((run) => run.map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${px} ${py}`).join('')).join('');
  const area = xy.filter((run) => run.length > 1)
    .map((run) => `M${run[0]![0]} ${height}${run.map(([px, py]) => `L${px} ${py}`).join('')}L${run[run.length - 1]![0]} ${height}Z`).join('');
  // A point with no neighbour draws no line: it shows as a dot, and so does the latest value.
  const dots = runs.filter((run) => run.length === 1).map((run) => run[0]!);
  const tail = runs[runs.length - 1];
  const lastKnown = Number.isFinite(shown[shown.length - 1]?.value ?? NaN);
  if (tail && tail.length > 1 && lastKnown) dots.push(tail[tail.length - 1]!);
  return html`<svg class="spark" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" preserveAspectRatio="none" role="img" aria-label="${o.label}" focusable="false"><title>${o.label}</title>${raw(
    `<line class="base" x1="0" y1="${height - 0.5}" x2="${width}" y2="${height - 0.5}"/>` +
    (area ? `<path class="area" d="${area}"/>` : '') +
    (line ? `<path class="line" d="${line}"/>` : '') +
    // A dot is a line of no length with round caps: it stays round when the chart is stretched.
    (dots.length ? `<path class="dot" d="${dots.map((p) => `M${x(p.at)} ${y(p.value)}h0`).join('')}"/>` : ''),
  )}</svg>`;
}

type Run = Array<{ at: number; value: number }>;

/**
 * Leaves out each point between two at the same height: it draws nothing the line through
 * its neighbours does not. An idle feed's hour (240 samples of 0) becomes two points.
 */
function flatten(points: ReadonlyArray<readonly [number, number]>): Array<readonly [number, number]> {
  return points.filter((p, i) => i === 0 || i === points.length - 1 || !(points[i - 1]![1] === p[1] && points[i + 1]![1] === p[1]));
}

/** Splits the points at every gap (null or not a finite number): each run is drawn as one line. */
function segments(points: readonly SparkPoint[]): Run[] {
  const runs: Run[] = [];
  let run: Run = [];
  for (const p of points) {
    if (p.value === null || !Number.isFinite(p.value)) {
      if (run.length) runs.push(run);
      run = [];
    } else run.push({ at: p.at, value: p.value });
  }
  if (run.length) runs.push(run);
  return runs;
}
