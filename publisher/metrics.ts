// The publisher's numbers for Prometheus: counters kept in memory while serving, and the
// series /metrics shows, written in the text format by ../shared/web/prometheus.ts.
import type { SnapshotState } from '../shared/schema/snapshot-state.ts';
import { renderFamilies } from '../shared/web/prometheus.ts';
import type { MetricFamily } from '../shared/web/prometheus.ts';

export type PageKind = 'archive' | 'recent' | 'html';

/** What the process counts as it goes; reset when it restarts, as Prometheus counters may be. */
export class PublisherCounters {
  relayEvents = 0;
  readonly pages: Record<PageKind, number> = { archive: 0, recent: 0, html: 0 };
  readonly requests = new Map<number, number>();
  /** Archive pages rendered: when asked for, or ahead of a reader (see render-ahead.ts). */
  readonly rendered = { asked: 0, ahead: 0 };

  pageServed(kind: PageKind): void {
    this.pages[kind]++;
  }

  archiveRendered(how: 'asked' | 'ahead'): void {
    this.rendered[how]++;
  }

  request(status: number): void {
    this.requests.set(status, (this.requests.get(status) ?? 0) + 1);
  }

  relayPublished(count: number): void {
    this.relayEvents += count;
  }
}

/** Everything one scrape shows: the counters plus what is read from the database for it. */
export interface MetricsSnapshot {
  counters: PublisherCounters;
  /** Events per feed category (the feed's newest position). */
  published: Array<{ category: string; count: number }>;
  outboxDepth: number;
  lags: Array<{ subscriber: string; feed: string; events: number }>;
  /** The snapshot's progress per resource (publishing the rows that predate atomsync); empty when none was ever asked for. */
  snapshot?: SnapshotState[];
  /** Bytes the archive page cache holds, every coding counted (page-cache.ts). */
  pageCacheBytes?: number;
  /** Long-polled `recent` requests held now (new-events.ts). */
  longPollsHeld?: number;
}

export function renderMetrics(s: MetricsSnapshot): string {
  return renderFamilies([...counterFamilies(s), ...gaugeFamilies(s), ...snapshotFamilies(s.snapshot ?? [])]);
}

/** What this process has done since it started, and what the feeds hold. */
function counterFamilies(s: MetricsSnapshot): MetricFamily[] {
  return [
    {
      name: 'atomsync_events_published_total',
      type: 'counter',
      help: 'Events published in each feed (its newest position); the "all" feed holds every event.',
      samples: s.published.map((p) => ({ labels: { category: p.category }, value: p.count })),
    },
    {
      name: 'atomsync_relay_events_total',
      type: 'counter',
      help: 'Outbox rows the relay of this process has moved into the event log.',
      samples: [{ value: s.counters.relayEvents }],
    },
    {
      name: 'atomsync_pages_served_total',
      type: 'counter',
      help: 'Feed pages answered (200 or 304): Atom archives, Atom working pages, and HTML pages.',
      samples: (Object.keys(s.counters.pages) as PageKind[]).map((kind) => ({ labels: { kind }, value: s.counters.pages[kind] })),
    },
    {
      name: 'atomsync_archive_pages_rendered_total',
      type: 'counter',
      help: 'Complete (archive) Atom pages rendered into the page cache: when a reader asked, or ahead of a reader that follows next-archive.',
      samples: (['asked', 'ahead'] as const).map((how) => ({ labels: { how }, value: s.counters.rendered[how] })),
    },
    {
      name: 'atomsync_http_requests_total',
      type: 'counter',
      help: 'HTTP responses by status code.',
      samples: [...s.counters.requests.entries()].sort(([a], [b]) => a - b).map(([status, n]) => ({ labels: { status }, value: n })),
    },
  ];
}

/** How things stand now: the outbox, the cache, held polls and each subscriber's lag. */
function gaugeFamilies(s: MetricsSnapshot): MetricFamily[] {
  return [
    { name: 'atomsync_outbox_depth', type: 'gauge', help: 'Changes committed but not yet published by the relay.', samples: [{ value: s.outboxDepth }] },
    {
      name: 'atomsync_page_cache_bytes',
      type: 'gauge',
      help: 'Bytes of complete pages the archive cache holds, identity, gzip and brotli codings together.',
      samples: [{ value: s.pageCacheBytes ?? 0 }],
    },
    { name: 'atomsync_long_polls_held', type: 'gauge', help: 'Long-polled recent requests waiting for a new event.', samples: [{ value: s.longPollsHeld ?? 0 }] },
    {
      name: 'atomsync_subscriber_lag_events',
      type: 'gauge',
      help: 'Events in a feed that a subscriber has not been sent yet, from the highest page it fetched.',
      samples: s.lags.map((l) => ({ labels: { subscriber: l.subscriber, feed: l.feed }, value: l.events })),
    },
  ];
}

/** The snapshot's progress per resource. */
function snapshotFamilies(snap: SnapshotState[]): MetricFamily[] {
  return [
    {
      name: 'atomsync_snapshot_rows',
      type: 'gauge',
      help: 'Existing rows the current (or last) snapshot run of each resource publishes, counted when it began (0 before).',
      samples: snap.map((x) => ({ labels: { resource: x.resource }, value: x.rowsTotal ?? 0 })),
    },
    {
      name: 'atomsync_snapshot_rows_published',
      type: 'gauge',
      help: 'Rows of each resource the snapshot run has published so far.',
      samples: snap.map((x) => ({ labels: { resource: x.resource }, value: x.rowsDone })),
    },
    {
      name: 'atomsync_snapshot_pending_resources',
      type: 'gauge',
      help: 'Resources whose snapshot is requested or under way.',
      samples: [{ value: snap.filter((x) => x.status !== 'done').length }],
    },
  ];
}
