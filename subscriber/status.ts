// What the status page, its JSON and /metrics show: one snapshot of a running
// subscriber, gathered from its readers (lag), the marker table (polls, errors),
// the inbox (waiting and dead events) and the retry queue.
import type { PipelineStats } from './outcomes.ts';
import type { FeedLag } from './feed-lag.ts';
import type { Inbox, InboxStatus } from './inbox.ts';
import type { MarkerStore } from './marker-store.ts';
import type { RetryQueue } from './retry-queue.ts';
import { dbToIso } from '../shared/time.ts';

export const QUEUE_STATES = ['waiting', 'delayed', 'active', 'failed'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

/** Dead letters listed at most on one page (the count is always exact). */
export const DEAD_LETTERS_SHOWN = 500;

/** What the subscriber knows of one feed in memory. */
export interface FeedHealth {
  feed: string;
  caughtUp: boolean;
  consecutiveErrors: number;
  /** Failed passes since the process started. */
  errorsTotal: number;
  lastError: string | null;
  /** With --share-feeds: another process of this database holds the feed now. */
  readElsewhere?: boolean;
}

export interface FeedReport extends FeedHealth {
  marker: { lastEntryId: string | null; lastPageUrl: string | null; position: number; nextPageUrl: string | null; eventsSeen: number } | null;
  lag: FeedLag;
  /**
   * Whether this process has read the feed: fetched a page of it, or finished a pass.
   * Until then `lag` says nothing (its zeros are not "caught up"): the page says "never read".
   */
  readSinceStart: boolean;
  /** ISO 8601 times from the marker table, null when never. */
  lastPollAt: string | null;
  lastSuccessAt: string | null;
  lastErrorAt: string | null;
}

export interface DeadLetter {
  id: number;
  resource: string;
  uuid: string;
  action: string;
  feed: string;
  entryId: string;
  attempts: number;
  lastError: string | null;
  /** When the event was first parked (ISO 8601). */
  since: string;
}

export interface StatusReport {
  nodeId: string;
  startedAt: string;
  generatedAt: string;
  feeds: FeedReport[];
  stats: PipelineStats;
  inbox: Record<InboxStatus, number>;
  /** Job counts of the retry queue; null without a queue, or when Redis does not answer. */
  queue: Record<QueueState, number> | null;
  deadLetters: DeadLetter[];
}

export interface StatusParts {
  nodeId: string;
  startedAt: number;
  feeds: Array<{ health: FeedHealth; lag: (now: number) => FeedLag }>;
  markers: MarkerStore;
  inbox: Inbox;
  queue: RetryQueue | null;
  stats: PipelineStats;
}

export async function collectStatus(p: StatusParts, now = Date.now()): Promise<StatusReport> {
  const [markers, inbox, dead, queue] = await Promise.all([
    p.markers.report(p.feeds.map((f) => f.health.feed)),
    p.inbox.counts(),
    p.inbox.list('dead', DEAD_LETTERS_SHOWN),
    p.queue ? p.queue.counts() : Promise.resolve(null),
  ]);
  const feeds = p.feeds.map(({ health, lag: lagAt }): FeedReport => {
    const m = markers.get(health.feed);
    const lag = lagAt(now);
    return {
      ...health,
      lastError: health.lastError ?? m?.lastError ?? null,
      marker: m?.lastEntryId
        ? { lastEntryId: m.lastEntryId, lastPageUrl: m.lastPageUrl, position: m.lastPosition, nextPageUrl: m.nextPageUrl, eventsSeen: m.eventsSeen }
        : null,
      lag,
      // A feed without sync:position (or an empty one) sets no newestAt: its finished pass counts.
      readSinceStart: lag.newestAt !== null || health.caughtUp,
      lastPollAt: m?.lastPollAt ?? null,
      lastSuccessAt: m?.lastSuccessAt ?? null,
      lastErrorAt: m?.lastErrorAt ?? null,
    };
  });
  return {
    nodeId: p.nodeId,
    startedAt: new Date(p.startedAt).toISOString(),
    generatedAt: new Date(now).toISOString(),
    feeds,
    stats: { ...p.stats },
    inbox,
    queue: queue && QUEUE_STATES.every((s) => typeof queue[s] === 'number')
      ? Object.fromEntries(QUEUE_STATES.map((s) => [s, queue[s]])) as Record<QueueState, number>
      : null,
    deadLetters: dead.map((r) => ({
      id: r.id,
      resource: r.resource,
      uuid: r.uuid,
      action: r.action,
      feed: r.feedUrl,
      entryId: r.entryId,
      attempts: r.attempts,
      lastError: r.lastError,
      since: dbToIso(r.firstSeenAt),
    })),
  };
}
