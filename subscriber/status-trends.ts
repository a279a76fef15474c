// The status page's "Last hour" section: for each feed, how far behind it was (entries
// and seconds) and how fast it was consumed, and the events applied per minute over all
// feeds. Pure: drawn from the history's samples plus the report itself as the latest point.
import { html } from '../shared/web/html.ts';
import type { Html } from '../shared/web/html.ts';
import { sparkline } from './sparkline.ts';
import type { SparkPoint } from './sparkline.ts';
import { duration, lagText, num, shortFeed, unreadLabel } from './status-format.ts';
import { feedSample } from './status-history.ts';
import type { FeedSample, HistoryView } from './status-history.ts';
import type { FeedReport, StatusReport } from './status.ts';

/**
 * Events per minute between each two samples of a running count, placed at the later one.
 * A count that goes down (a marker reset, a restart) gives 0 for that step, not a negative rate.
 */
export function perMinute(samples: ReadonlyArray<{ at: number; count: number }>): SparkPoint[] {
  const out: SparkPoint[] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    if (b.at <= a.at) continue;
    out.push({ at: b.at, value: (Math.max(0, b.count - a.count) * 60_000) / (b.at - a.at) });
  }
  return out;
}

/** The samples, with the report's own moment after them: the chart ends at what the page says. */
function withLatest<T extends { at: number }>(samples: readonly T[], latest: T): T[] {
  const last = samples[samples.length - 1];
  return last && last.at >= latest.at ? [...samples] : [...samples, latest];
}

/** A chart with its reading now above it, and its time span and its top value below: the scale changes with the data. */
function chart(title: string, reading: string, points: SparkPoint[], now: number, spanMs: number, label: string): Html {
  const values = points.map((p) => p.value).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const peak = values.length ? `peak ${num(Math.round(Math.max(...values)))}` : 'no data yet';
  return html`<figure class="trend"><figcaption><span>${title}</span> <strong>${reading}</strong></figcaption>${sparkline(points, { now, spanMs, label })}<div class="axis"><span>${duration(spanMs / 1000)} ago</span><span>${peak}</span><span>now</span></div></figure>`;
}

function lastRate(points: SparkPoint[]): string {
  const v = points[points.length - 1]?.value;
  return typeof v === 'number' ? num(Math.round(v)) : '–';
}

function feedTrends(f: FeedReport, samples: FeedSample[], now: number, spanMs: number): Html {
  const name = shortFeed(f.feed);
  const never = !f.readSinceStart;
  const unread = unreadLabel(f);
  const rates = perMinute(samples.map((s) => ({ at: s.at, count: s.consumed })));
  return html`<div class="card trends-feed">
<h3><span class="nowrap" title="${f.feed}">${name}</span>${never ? html` <span class="pill idle">${unread}</span>` : ''}</h3>
<div class="charts">
${chart('Behind, entries', never ? unread : num(f.lag.events), samples.map((s) => ({ at: s.at, value: s.lagEvents })), now, spanMs, `${name}: entries behind, last hour`)}
${chart('Behind, time', lagText(f), samples.map((s) => ({ at: s.at, value: s.lagSeconds })), now, spanMs, `${name}: seconds behind, last hour`)}
${chart('Consumed per minute', lastRate(rates), rates, now, spanMs, `${name}: entries consumed per minute, last hour`)}
</div></div>`;
}

/** The section, or '' when there is no history to draw from (a page rendered outside the server). */
export function trendsSection(r: StatusReport, h: HistoryView | undefined): Html | '' {
  if (!h) return '';
  const now = Date.parse(r.generatedAt);
  const node = withLatest(h.node, { at: now, applied: r.stats.applied });
  const applied = perMinute(node.map((s) => ({ at: s.at, count: s.applied })));
  const feeds = r.feeds.map((f) => feedTrends(f, withLatest(h.feeds[f.feed] ?? [], feedSample(f, now)), now, h.windowMs));
  return html`<h2 id="last-hour">Last hour</h2>
<section class="trends" aria-label="Lag and throughput over the last hour">
<div class="card trends-feed"><h3>All feeds</h3><div class="charts">
${chart('Applied per minute', lastRate(applied), applied, now, h.windowMs, 'events applied per minute over all feeds, last hour')}
</div></div>
${feeds}
</section>`;
}
