// The subscriber's /metrics: its series, written in Prometheus' text format by ../shared/web/prometheus.ts.
import { renderFamilies } from '../shared/web/prometheus.ts';
import type { MetricFamily } from '../shared/web/prometheus.ts';
import type { StatusReport } from './status.ts';
import { QUEUE_STATES } from './status.ts';

export function renderMetrics(r: StatusReport): string {
  const perFeed = (value: (f: StatusReport['feeds'][number]) => number) => r.feeds.map((f) => ({ labels: { feed: f.feed }, value: value(f) }));
  const families: MetricFamily[] = [
    { name: 'atomsync_events_applied_total', type: 'counter', help: 'Events applied since the subscriber started.', samples: [{ value: r.stats.applied }] },
    { name: 'atomsync_events_parked_total', type: 'counter', help: 'Events parked in the inbox for a retry since the subscriber started.', samples: [{ value: r.stats.parked }] },
    { name: 'atomsync_events_dead_total', type: 'counter', help: 'Events that became dead letters since the subscriber started.', samples: [{ value: r.stats.dead }] },
    { name: 'atomsync_dependencies_applied_total', type: 'counter', help: 'Referenced resources fetched and applied before the events that needed them.', samples: [{ value: r.stats.dependencies }] },
    { name: 'atomsync_feed_lag_events', type: 'gauge', help: 'Entries seen on the feed but not consumed yet.', samples: perFeed((f) => f.lag.events) },
    { name: 'atomsync_feed_lag_seconds', type: 'gauge', help: 'Age of the oldest entry seen but not consumed yet; 0 when caught up.', samples: perFeed((f) => f.lag.seconds) },
    {
      name: 'atomsync_feed_read', type: 'gauge', help: 'Whether the feed has been read since the subscriber started (1) or not yet (0: its lag is unknown, not 0).',
      samples: perFeed((f) => (f.readSinceStart ? 1 : 0)),
    },
    { name: 'atomsync_feed_errors_total', type: 'counter', help: 'Failed reads of the feed since the subscriber started.', samples: perFeed((f) => f.errorsTotal) },
    {
      name: 'atomsync_inbox', type: 'gauge', help: 'Events in the inbox, by status (pending: waiting for a retry; dead: given up on).',
      samples: Object.entries(r.inbox).map(([status, value]) => ({ labels: { status }, value })),
    },
    {
      name: 'atomsync_queue_jobs', type: 'gauge', help: 'Jobs in the BullMQ retry queue, by state (absent when Redis does not answer).',
      samples: r.queue ? QUEUE_STATES.map((state) => ({ labels: { state }, value: r.queue![state] })) : [],
    },
  ];
  return renderFamilies(families);
}
