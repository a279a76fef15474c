// The publisher's numbers for Prometheus: counters kept in memory while serving, and
// the text exposition format (version 0.0.4) written by hand, as a pure function.
import type { SnapshotState } from '../shared/schema/snapshot-state.ts';

export type PageKind = 'archive' | 'recent' | 'html';

/** What the process counts as it goes; reset when it restarts, as Prometheus counters may be. */
export class PublisherCounters {
  relayEvents = 0;
  readonly pages: Record<PageKind, number> = { archive: 0, recent: 0, html: 0 };
  readonly requests = new Map<number, number>();
  /** Archive pages rendered: when asked for, or ahead of a reader (see feed-routes renderAhead). */
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
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Labels = Record<string, string | number>;

export function renderMetrics(s: MetricsSnapshot): string {
  const out: string[] = [];
  const family = (name: string, type: 'counter' | 'gauge', help: string, samples: Array<[Labels, number]>) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) out.push(`${name}${labelText(labels)} ${formatValue(value)}`);
  };
  family(
    'atomsync_events_published_total',
    'counter',
    'Events published in each feed (its newest position); the "all" feed holds every event.',
    s.published.map((p) => [{ category: p.category }, p.count]),
  );
  family('atomsync_relay_events_total', 'counter', 'Outbox rows the relay of this process has moved into the event log.', [
    [{}, s.counters.relayEvents],
  ]);
  family(
    'atomsync_pages_served_total',
    'counter',
    'Feed pages answered (200 or 304): Atom archives, Atom working pages, and HTML pages.',
    (Object.keys(s.counters.pages) as PageKind[]).map((kind) => [{ kind }, s.counters.pages[kind]]),
  );
  family(
    'atomsync_archive_pages_rendered_total',
    'counter',
    'Complete (archive) Atom pages rendered into the page cache: when a reader asked, or ahead of a reader that follows next-archive.',
    (['asked', 'ahead'] as const).map((how) => [{ how }, s.counters.rendered[how]]),
  );
  family(
    'atomsync_http_requests_total',
    'counter',
    'HTTP responses by status code.',
    [...s.counters.requests.entries()].sort(([a], [b]) => a - b).map(([status, n]) => [{ status }, n]),
  );
  family('atomsync_outbox_depth', 'gauge', 'Changes committed but not yet published by the relay.', [[{}, s.outboxDepth]]);
  family(
    'atomsync_subscriber_lag_events',
    'gauge',
    'Events in a feed that a subscriber has not been sent yet, from the highest page it fetched.',
    s.lags.map((l) => [{ subscriber: l.subscriber, feed: l.feed }, l.events]),
  );
  const snap = s.snapshot ?? [];
  family(
    'atomsync_snapshot_rows',
    'gauge',
    'Existing rows the current (or last) snapshot run of each resource publishes, counted when it began (0 before).',
    snap.map((x) => [{ resource: x.resource }, x.rowsTotal ?? 0]),
  );
  family(
    'atomsync_snapshot_rows_published',
    'gauge',
    'Rows of each resource the snapshot run has published so far.',
    snap.map((x) => [{ resource: x.resource }, x.rowsDone]),
  );
  family('atomsync_snapshot_pending_resources', 'gauge', 'Resources whose snapshot is requested or under way.', [
    [{}, snap.filter((x) => x.status !== 'done').length],
  ]);
  return out.join('\n') + '\n';
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(String(v))}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/** The exposition format escapes backslash, double quote and line feed in label values. */
function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return String(v);
}
