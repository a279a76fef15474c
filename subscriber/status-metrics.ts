// /metrics in Prometheus' text exposition format (version 0.0.4), written by hand:
// a dozen series do not need a client library.
import type { StatusReport } from './status.ts';
import { QUEUE_STATES } from './status.ts';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Labels = Record<string, string>;

interface Family {
  name: string;
  type: 'counter' | 'gauge';
  help: string;
  samples: Array<{ labels?: Labels; value: number }>;
}

/** Label values escape backslash, double quote and newline, as the format requires. */
function labelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function sampleLine(name: string, labels: Labels | undefined, value: number): string {
  const l = labels && Object.keys(labels).length
    ? `{${Object.entries(labels).map(([k, v]) => `${k}="${labelValue(v)}"`).join(',')}}`
    : '';
  const v = Number.isFinite(value) ? String(Math.round(value * 1000) / 1000) : 'NaN';
  return `${name}${l} ${v}`;
}

export function renderMetrics(r: StatusReport): string {
  const perFeed = (value: (f: StatusReport['feeds'][number]) => number) => r.feeds.map((f) => ({ labels: { feed: f.feed }, value: value(f) }));
  const families: Family[] = [
    { name: 'atomsync_events_applied_total', type: 'counter', help: 'Events applied since the subscriber started.', samples: [{ value: r.stats.applied }] },
    { name: 'atomsync_events_parked_total', type: 'counter', help: 'Events parked in the inbox for a retry since the subscriber started.', samples: [{ value: r.stats.parked }] },
    { name: 'atomsync_events_dead_total', type: 'counter', help: 'Events that became dead letters since the subscriber started.', samples: [{ value: r.stats.dead }] },
    { name: 'atomsync_dependencies_applied_total', type: 'counter', help: 'Referenced resources fetched and applied before the events that needed them.', samples: [{ value: r.stats.dependencies }] },
    { name: 'atomsync_feed_lag_events', type: 'gauge', help: 'Entries seen on the feed but not consumed yet.', samples: perFeed((f) => f.lag.events) },
    { name: 'atomsync_feed_lag_seconds', type: 'gauge', help: 'Age of the oldest entry seen but not consumed yet; 0 when caught up.', samples: perFeed((f) => f.lag.seconds) },
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
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) lines.push(sampleLine(f.name, s.labels, s.value));
  }
  return lines.join('\n') + '\n';
}
