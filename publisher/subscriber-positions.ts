// How far each subscriber has read each feed, as seen from the pages it asks for.
// A subscriber asks to be followed by sending the x-atomsync-subscriber header (its node
// id); its position is recorded under the user it authenticated as, never under the name
// in the header, which any user could send: the header is only a label. The publisher
// keeps the highest page each user has fetched per feed, in memory for the root page and
// /metrics, and in atomsync_subscriber_position so a restart does not forget them.
//
// Writes are cheap: a poll only touches memory; dirty rows are written together by
// one multi-row upsert at most once per `writeEveryMs`, so each row at most once a second.
import { createHash } from 'node:crypto';
import { NODE_ID_PATTERN } from '../shared/protocol.ts';
import { queryRows } from '../shared/db.ts';
import type { Pool } from '../shared/db.ts';
import type { Logger } from '../shared/logger.ts';
import { dbToIso, isoToDb } from '../shared/time.ts';

export interface SubscriberPosition {
  /** The user the subscriber authenticated as: the key, one row per user and feed. */
  subscriber: string;
  /** Feed category (`all` or a resource). */
  feed: string;
  /** Highest page number fetched. */
  page: number;
  /** Position of the newest event the subscriber has been sent: the end of that page, or the feed's count on the working page. */
  position: number;
  /** Last request, ms since the epoch. */
  seenAt: number;
  /** The node id the last request named in the header; a label only (kept with the row, shown in the tree). */
  node?: string;
}

export interface SubscriberPositionsOptions {
  /** Least time between two writes of the table. */
  writeEveryMs?: number;
  /** Rows kept at most: a bound on memory, whatever names authenticated clients send. */
  maxRows?: number;
  now?: () => number;
}

export const SUBSCRIBER_POSITIONS_DEFAULTS = { writeEveryMs: 1000, maxRows: 1000 } as const;
/** atomsync_subscriber_position.subscriber is VARCHAR(64). */
const MAX_SUBSCRIBER_LENGTH = 64;

export class SubscriberPositions {
  private readonly rows = new Map<string, SubscriberPosition>();
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  /** False when the table is missing (a database migrated by an older atomsync): memory only. */
  private persist = true;
  private readonly writeEveryMs: number;
  private readonly maxRows: number;
  private readonly now: () => number;

  constructor(
    private readonly pool: Pool,
    private readonly log: Logger,
    o: SubscriberPositionsOptions = {},
  ) {
    this.writeEveryMs = o.writeEveryMs ?? SUBSCRIBER_POSITIONS_DEFAULTS.writeEveryMs;
    this.maxRows = o.maxRows ?? SUBSCRIBER_POSITIONS_DEFAULTS.maxRows;
    this.now = o.now ?? Date.now;
  }

  /** Reads what earlier runs recorded. */
  async load(): Promise<void> {
    let rows: Array<{ subscriber: string; feed: string; node: string | null; position: number; page: number; seen_at: string }>;
    try {
      rows = await queryRows(this.pool, 'SELECT subscriber, feed, node, position, page, seen_at FROM atomsync_subscriber_position');
    } catch (err) {
      if ((err as { code?: string }).code !== 'ER_NO_SUCH_TABLE') throw err;
      this.persist = false;
      this.log.warn('atomsync_subscriber_position is missing; subscriber positions are kept in memory only (run `atomsync migrate`)');
      return;
    }
    for (const r of rows.slice(0, this.maxRows)) {
      const p: SubscriberPosition = {
        subscriber: r.subscriber, feed: r.feed, page: Number(r.page), position: Number(r.position), seenAt: Date.parse(dbToIso(r.seen_at)), node: r.node ?? undefined,
      };
      this.rows.set(keyOf(p.subscriber, p.feed), p);
    }
  }

  /**
   * Notes a feed page sent to `user`, when the request named itself with a node id (`node`, the
   * header; anything else is not a subscriber polling, and is ignored). A user name longer than
   * the table's column (64 characters) is not recorded.
   */
  record(user: string, node: string | undefined, feed: string, page: number, position: number): void {
    if (!node || !NODE_ID_PATTERN.test(node) || user.length > MAX_SUBSCRIBER_LENGTH) return;
    const subscriber = user;
    const key = keyOf(subscriber, feed);
    const row = this.rows.get(key);
    if (!row && this.rows.size >= this.maxRows) return;
    const next: SubscriberPosition = {
      subscriber,
      feed,
      page: Math.max(page, row?.page ?? 0),
      position: Math.max(position, row?.position ?? 0),
      seenAt: this.now(),
      node,
    };
    this.rows.set(key, next);
    if (!this.persist) return;
    this.dirty.add(key);
    this.timer ??= setTimeout(() => void this.flush(), this.writeEveryMs).unref();
  }

  list(): SubscriberPosition[] {
    return [...this.rows.values()].sort((a, b) => a.subscriber.localeCompare(b.subscriber) || a.feed.localeCompare(b.feed));
  }

  /** Writes every dirty row now. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = [...this.dirty].map((k) => this.rows.get(k)!);
    this.dirty.clear();
    if (batch.length === 0) return this.writing;
    const write = this.writing.then(() => this.upsert(batch));
    this.writing = write.catch(() => undefined);
    return this.writing;
  }

  async stop(): Promise<void> {
    await this.flush();
  }

  private async upsert(batch: SubscriberPosition[]): Promise<void> {
    // GREATEST makes the write idempotent and order-free: a late or repeated flush, or a
    // second publisher process on the same database, can never move a subscriber backwards.
    const values = batch.flatMap((p) => [
      p.subscriber, feedKey(p.feed), p.feed, p.node ?? null, p.position, p.page, isoToDb(new Date(p.seenAt).toISOString()),
    ]);
    try {
      await this.pool.query(
        `INSERT INTO atomsync_subscriber_position (subscriber, feed_key, feed, node, position, page, seen_at) VALUES ${batch.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(',')}
         ON DUPLICATE KEY UPDATE position = GREATEST(position, VALUES(position)), page = GREATEST(page, VALUES(page)),
         seen_at = GREATEST(seen_at, VALUES(seen_at)), node = COALESCE(VALUES(node), node)`,
        values,
      );
    } catch (err) {
      // Positions are a convenience for people: losing one write must not disturb serving feeds.
      this.log.warn('could not record subscriber positions', { error: err as Error });
    }
  }
}

/** Events published in the feed that the subscriber has not been sent yet. */
export function lagOf(p: SubscriberPosition, feedCount: number): number {
  return Math.max(0, feedCount - p.position);
}

const keyOf = (subscriber: string, feed: string) => `${subscriber}\u0000${feed}`;

/** The table's key of a feed: its category's SHA-1 (a catchment's category may be 1,900 characters). */
const feedKey = (feed: string) => createHash('sha1').update(feed).digest('hex');
