// The rows a node's place in the tree is drawn from (tree-model.ts), read from its own database:
// the feeds its subscribers read (atomsync_marker) and the readers of its feeds
// (atomsync_subscriber_position). Both admin UIs read them; a table a database migrated by an
// older atomsync lacks reads as empty.
import { ALL_CATEGORY } from '../protocol.ts';
import { queryRows } from '../db.ts';
import type { Pool } from '../db.ts';
import { dbToIso } from '../time.ts';
import { isCatchmentFeed } from './tree-model.ts';
import type { MarkerRow, ReaderRow } from './tree-model.ts';

/** Rows shown at most per kind: the picture is for a glance, the tables below it list every feed. */
export const TREE_ROWS_MAX = 200;

const iso = (v: string | null) => (v ? dbToIso(v) : null);

async function orEmpty<T>(read: Promise<T[]>): Promise<T[]> {
  try {
    return await read;
  } catch (err) {
    if ((err as { errno?: number }).errno === 1146) return []; // no such table: `atomsync migrate` adds it
    throw err;
  }
}

/** Every feed this node's subscribers read, from the marker table. */
export async function readMarkerRows(pool: Pool): Promise<MarkerRow[]> {
  const rows = await orEmpty(
    queryRows<{ feed_url: string; last_success_at: string | null; last_poll_at: string | null; last_error: string | null; last_error_at: string | null; newest_changed_at: string | null }>(
      pool,
      `SELECT feed_url, last_success_at, last_poll_at, last_error, last_error_at, newest_changed_at FROM atomsync_marker ORDER BY feed_url LIMIT ${TREE_ROWS_MAX}`,
    ),
  );
  return rows.map((r) => ({
    feedUrl: r.feed_url,
    lastSuccessAt: iso(r.last_success_at),
    lastPollAt: iso(r.last_poll_at),
    lastError: r.last_error,
    lastErrorAt: iso(r.last_error_at),
    newestChangedAt: iso(r.newest_changed_at),
  }));
}

/**
 * The readers of this node's feeds as its publisher recorded them, with the node id each named
 * (a label; older rows have none). Behind is known for `all` and resource feeds; a catchment's
 * newest position is the publisher's to know.
 */
export async function readReaderRows(pool: Pool): Promise<ReaderRow[]> {
  const rows = await orEmpty(
    queryRows<{ subscriber: string; feed: string; node: string | null; position: number; seen_at: string }>(
      pool,
      `SELECT subscriber, feed, node, position, seen_at FROM atomsync_subscriber_position ORDER BY subscriber, feed LIMIT ${TREE_ROWS_MAX}`,
    ),
  );
  const counts = await feedCounts(pool, [...new Set(rows.map((r) => r.feed).filter((f) => !isCatchmentFeed(f)))]);
  return rows.map((r) => ({
    user: r.subscriber,
    node: r.node ?? null,
    feed: r.feed,
    position: Number(r.position),
    feedCount: counts.get(r.feed) ?? null,
    seenAt: dbToIso(r.seen_at),
  }));
}

/** Newest position of each feed: the newest seq for `all`, a resource's newest position otherwise. */
async function feedCounts(pool: Pool, feeds: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const feed of feeds) {
    const [row] = await orEmpty(
      feed === ALL_CATEGORY
        ? queryRows<{ n: number | null }>(pool, 'SELECT MAX(seq) AS n FROM atomsync_event')
        : queryRows<{ n: number | null }>(pool, 'SELECT MAX(position) AS n FROM atomsync_event WHERE resource = ?', [feed]),
    );
    out.set(feed, Number(row?.n ?? 0));
  }
  return out;
}
