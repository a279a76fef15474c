// What a subscriber is given, its defaults, and when a feed's next pass starts.
import type { Logger } from '../shared/logger.ts';
import type { Pool } from '../shared/db.ts';
import { LONG_POLL_DEFAULT_S } from '../shared/protocol.ts';
import type { RetryPolicy } from './backoff.ts';
import type { EntrySource } from './entry-source.ts';
import type { LocalSource } from './pipeline.ts';
import type { FeedAddressOptions } from './feed-address.ts';
import type { FeedSharingOptions } from './feed-jobs.ts';
import type { PassResult } from './feed-reader.ts';
import type { HttpClientOptions } from './http-client.ts';
import type { Sink } from './sink.ts';

export interface SubscriberOptions {
  dbUrl: string;
  /** Omit to run without a retry queue (once mode): parked events wait in the inbox. */
  redisUrl?: string;
  /** Must match the node id of the database. */
  nodeId?: string;
  feeds: string[];
  /** Bundles to apply (atomsync import): read by the same stages as the feeds. */
  local?: LocalSource[];
  feedOptions?: FeedAddressOptions;
  /** Time between polls of a caught-up feed whose publisher does not hold a poll open (long polling). */
  pollMs?: number;
  /** Seconds a caught-up feed's publisher is asked to hold a poll until something new (0: never ask). */
  longPollS?: number;
  /** Longest wait after a feed error (the wait doubles from pollMs up to this). */
  maxFeedBackoffMs?: number;
  /** Entries applied together as one batch, in one transaction (per feed). */
  entryBatch?: number;
  /** Resource GETs in flight at once (all feeds together). */
  fetchConcurrency?: number;
  retry?: Partial<RetryPolicy>;
  queueName?: string;
  retryConcurrency?: number;
  /**
   * Share the feeds with the other processes of this database through Redis (needs redisUrl):
   * each feed is read by one process at a time, and a dead process's feeds move to the others.
   */
  shareFeeds?: Partial<Omit<FeedSharingOptions, 'redisUrl'>>;
  http?: HttpClientOptions;
  dbConnections?: number;
  /** Local user (users.user_id) that stands in for audit users this database does not have. */
  auditUserId?: number;
  /**
   * Looks for duplicate patients among those each batch writes (subscriber/duplicates/watcher.ts),
   * with the MySQL sink only. Off by default: it made a 60,000-event catch-up 30-40 % slower.
   */
  detectDuplicates?: boolean;
  /** Builds the sink; HQ's MySQL mirror by default. */
  sink?: (pool: Pool, log: Logger) => Promise<Sink>;
  /** Serve the status page on this port (0: any free port); no status page when absent. */
  httpPort?: number;
  /** Address of the status page; default 127.0.0.1. */
  httpHost?: string;
  /** Admins allowed on the status page (username -> password); required with httpPort. */
  adminUsers?: Map<string, string>;
}

export const SUBSCRIBER_DEFAULTS = {
  pollMs: 1_000,
  longPollS: LONG_POLL_DEFAULT_S,
  maxFeedBackoffMs: 60_000,
  entryBatch: 400,
  fetchConcurrency: 32,
  dbConnections: 24,
} as const;

/**
 * When a feed's next pass starts: at once when it is not caught up, when the publisher held the
 * last poll open (it did the waiting), or when it just read something and the next poll can be
 * held open; else after pollMs.
 */
export function nextPassInMs(r: PassResult, source: EntrySource, pollMs: number, waitS: number): number {
  if (!r.caughtUp || source.waitedForNews) return 0;
  if (waitS > 0 && r.pages > 0 && source.canWaitForNews) return 0;
  return pollMs;
}
