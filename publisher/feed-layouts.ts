// Every feed's page layout as the database records it, and the re-page that changes it.
//
// The page size is recorded (atomsync_meta page_size) by the first publisher to start on a
// database. Complete pages are served as immutable, and subscribers' markers and caches hold
// their URLs, so a later start that asks for another size is refused (PageSizeChangedError)
// unless it asks to re-page. A re-page keeps every page that is complete, and applies the new
// size from the working page on (paging.ts, repage()): it writes each feed's segments
// (atomsync_page_segment), the new size and a new layout version (atomsync_meta page_layout) in
// one transaction, holding the relay's named lock so no event is published in between. A feed
// without segment rows is paged by the recorded size from page 1.
//
// Publishers that are already running (a --no-relay replica, a relay waiting for the lock) learn
// of a re-page from the layout version, which every feed head is read with in the same statement
// (EventStore.head): a count published after a re-page never meets the layout from before it.
import { ALL_CATEGORY, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../shared/protocol.ts';
import { queryRows } from '../shared/db.ts';
import type { Pool, PoolConnection, Queryable } from '../shared/db.ts';
import type { Logger } from '../shared/logger.ts';
import { checkLayout, isUniform, repage, sameLayout, uniformLayout } from './paging.ts';
import type { Layout, Segment } from './paging.ts';
import { lockName } from './relay.ts';

/** atomsync_meta names: the size new pages get, and a number bumped by every re-page. */
export const PAGE_SIZE_META = 'page_size';
export const PAGE_LAYOUT_META = 'page_layout';

export interface FeedLayoutsOptions {
  /** Asked for with --page-size; absent: the recorded size (DEFAULT_PAGE_SIZE on a first start). */
  pageSize?: number;
  /** Re-page to `pageSize` when it differs from the recorded size (--repage). */
  repage?: boolean;
  /** How long a re-page waits for the relay's lock before giving up (seconds). */
  lockWaitS?: number;
}

export const FEED_LAYOUTS_DEFAULTS = { lockWaitS: 5 } as const;

/** A start asked for a page size other than the recorded one, without --repage. */
export class PageSizeChangedError extends Error {
  override name = 'PageSizeChangedError';
  constructor(
    readonly recorded: number,
    readonly requested: number,
  ) {
    super(
      `this database's feeds are paged ${recorded} events a page (recorded at its first start), and --page-size asks for ${requested}.\n` +
        'Complete archive pages are promised never to change: they are served as immutable (cached for a year), and ' +
        "subscribers' markers and caches hold their URLs. Another size would change what every archive URL holds, and " +
        'atomfeed clients would stall ("Last Read entry not found").\n' +
        `To go on, start with --page-size ${recorded} (or without --page-size). To change the size, re-page explicitly with ` +
        `--page-size ${requested} --repage: pages complete now keep their ${recorded} events, new pages hold ${requested}.`,
    );
  }
}

/** A re-page could not take the relay's lock: another publisher's relay is running on this database. */
export class RepageLockedError extends Error {
  override name = 'RepageLockedError';
  constructor(readonly lock: string, readonly waitedS: number) {
    super(
      `cannot re-page: another process has held this database's relay lock for ${waitedS} s (an \`atomsync publish\` ` +
        'with its relay running): a re-page must see no event published while it runs. Stop that publisher, then start this one again.',
    );
  }
}

interface Snapshot {
  pageSize: number;
  version: number;
  /** Feeds that have segment rows; every other feed is uniformLayout(pageSize). */
  layouts: Map<string, Layout>;
}

/** What a re-page did to one feed: where its new size starts. */
export interface FeedRepaged {
  feed: string;
  fromPage: number;
  fromPosition: number;
  size: number;
}

export class FeedLayouts {
  private reloading: Promise<void> | null = null;

  private constructor(
    private snap: Snapshot,
    private readonly reload?: () => Promise<Snapshot>,
  ) {}

  /** Uniform pages of `pageSize`, never reloaded: for an app built without a database record (tests, benchmarks). */
  static fixed(pageSize: number): FeedLayouts {
    return new FeedLayouts({ pageSize, version: 0, layouts: new Map() });
  }

  /**
   * Records the page size on a first start, refuses another size without `repage`, re-pages
   * with it, and loads the layouts. `repaged` lists the feeds a re-page changed.
   */
  static async open(pool: Pool, log: Logger, o: FeedLayoutsOptions = {}): Promise<{ layouts: FeedLayouts; repaged: FeedRepaged[] }> {
    await pool.query('INSERT IGNORE INTO atomsync_meta (name, value) VALUES (?, ?)', [PAGE_SIZE_META, String(o.pageSize ?? DEFAULT_PAGE_SIZE)]);
    let snap = await readSnapshot(pool);
    let repaged: FeedRepaged[] = [];
    if (o.pageSize !== undefined && o.pageSize !== snap.pageSize) {
      if (!o.repage) throw new PageSizeChangedError(snap.pageSize, o.pageSize);
      repaged = await repageFeeds(pool, o.pageSize, o.lockWaitS ?? FEED_LAYOUTS_DEFAULTS.lockWaitS);
      snap = await readSnapshot(pool);
      log.info('feeds re-paged: complete pages keep their size, new pages hold the new size', { pageSize: snap.pageSize, feeds: repaged });
    } else if (o.repage) {
      log.info('--repage: the feeds are already paged at this size; nothing to do', { pageSize: snap.pageSize });
    }
    return { layouts: new FeedLayouts(snap, () => readSnapshot(pool)), repaged };
  }

  /** The size new pages get (the recorded page size). */
  get pageSize(): number {
    return this.snap.pageSize;
  }

  get version(): number {
    return this.snap.version;
  }

  /** The feed's layout as last loaded. */
  layout(feed: string): Layout {
    return this.snap.layouts.get(feed) ?? uniformLayout(this.snap.pageSize);
  }

  /** Loads the layouts again when `version` (read with a feed's head) is newer than the loaded one. */
  async atLeast(version: number): Promise<void> {
    // Twice at most: a reload already under way may have read the version before this one.
    for (let i = 0; i < 2 && this.reload && version > this.snap.version; i++) {
      this.reloading ??= this.reload()
        .then((s) => {
          if (s.version > this.snap.version) this.snap = s;
        })
        .finally(() => (this.reloading = null));
      await this.reloading;
    }
  }
}

/** The recorded size, the layout version and every feed's segments, read in one snapshot. */
async function readSnapshot(pool: Pool): Promise<Snapshot> {
  const conn = await pool.getConnection();
  try {
    await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
    const snap = await readLayouts(conn);
    await conn.commit();
    return snap;
  } finally {
    conn.release();
  }
}

async function readLayouts(db: Queryable): Promise<Snapshot> {
  const meta = new Map(
    (await queryRows<{ name: string; value: string }>(db, 'SELECT name, value FROM atomsync_meta WHERE name IN (?, ?)', [PAGE_SIZE_META, PAGE_LAYOUT_META])).map(
      (r) => [r.name, r.value],
    ),
  );
  const pageSize = Number(meta.get(PAGE_SIZE_META));
  if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new Error(`atomsync_meta ${PAGE_SIZE_META} is ${JSON.stringify(meta.get(PAGE_SIZE_META) ?? null)}, not a page size from 1 to ${MAX_PAGE_SIZE}`);
  }
  const version = Number(meta.get(PAGE_LAYOUT_META) ?? 0);
  const layouts = new Map<string, Layout>();
  // Before the first re-page there are no segments (and a database migrated by an older atomsync has no table for them).
  if (version === 0) return { pageSize, version, layouts };
  const rows = await queryRows<{ feed: string; from_page: number; from_position: number; page_size: number }>(
    db,
    'SELECT feed, from_page, from_position, page_size FROM atomsync_page_segment ORDER BY feed, from_page',
  );
  for (const r of rows) {
    const segments = (layouts.get(r.feed) ?? []) as Segment[];
    segments.push({ fromPage: Number(r.from_page), fromPosition: Number(r.from_position), size: Number(r.page_size) });
    layouts.set(r.feed, segments);
  }
  for (const [feed, layout] of layouts) checkLayout(layout, `atomsync_page_segment of feed ${feed}`);
  return { pageSize, version, layouts };
}

/** The event count of every feed that has events: `all` (the highest seq) and each resource (its highest position). */
async function feedCounts(db: Queryable): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const [{ n }] = await queryRows<{ n: number | null }>(db, 'SELECT MAX(seq) AS n FROM atomsync_event');
  if (n !== null) counts.set(ALL_CATEGORY, Number(n));
  const rows = await queryRows<{ resource: string; n: number }>(db, 'SELECT resource, MAX(position) AS n FROM atomsync_event GROUP BY resource');
  for (const r of rows) counts.set(r.resource, Number(r.n));
  return counts;
}

/**
 * Re-pages every feed to `size` in one transaction, holding the relay's lock so that no event
 * is published while the counts are read and the segments written. Returns the feeds it changed.
 */
async function repageFeeds(pool: Pool, size: number, lockWaitS: number): Promise<FeedRepaged[]> {
  const conn = await pool.getConnection();
  let lock: string | null = null;
  try {
    const name = await lockName(conn);
    const [{ got }] = await queryRows<{ got: number | null }>(conn, 'SELECT GET_LOCK(?, ?) AS got', [name, lockWaitS]);
    if (Number(got) !== 1) throw new RepageLockedError(name, lockWaitS);
    lock = name;
    await conn.beginTransaction();
    try {
      const changed = await writeSegments(conn, size);
      await conn.commit();
      return changed;
    } catch (err) {
      await conn.rollback().catch(() => undefined);
      if ((err as { code?: string }).code === 'ER_NO_SUCH_TABLE') {
        throw new Error(`cannot re-page: ${(err as Error).message}; run \`atomsync migrate\` first (it adds the table)`);
      }
      throw err;
    }
  } finally {
    if (lock) await conn.query('SELECT RELEASE_LOCK(?)', [lock]).catch(() => undefined);
    conn.release();
  }
}

async function writeSegments(conn: PoolConnection, size: number): Promise<FeedRepaged[]> {
  // Read again under the lock: another process may have re-paged since this one looked.
  const snap = await readLayouts(conn);
  if (snap.pageSize === size) return [];
  const changed: FeedRepaged[] = [];
  for (const [feed, count] of await feedCounts(conn)) {
    const stored = snap.layouts.get(feed) ?? [];
    const before = stored.length > 0 ? stored : uniformLayout(snap.pageSize);
    const after = repage(before, count, size);
    if (sameLayout(after, before)) continue;
    const newest = after[after.length - 1]!;
    changed.push({ feed, fromPage: newest.fromPage, fromPosition: newest.fromPosition, size: newest.size });
    // A feed paged `size` from page 1 needs no rows: it follows the recorded size.
    const rows = isUniform(after, size) ? [] : after;
    if (sameLayout(rows, stored)) continue;
    await conn.query('DELETE FROM atomsync_page_segment WHERE feed = ?', [feed]);
    if (rows.length > 0) {
      await conn.query('INSERT INTO atomsync_page_segment (feed, from_page, from_position, page_size) VALUES ?', [
        rows.map((s) => [feed, s.fromPage, s.fromPosition, s.size]),
      ]);
    }
  }
  await conn.query('UPDATE atomsync_meta SET value = ? WHERE name = ?', [String(size), PAGE_SIZE_META]);
  await conn.query('INSERT INTO atomsync_meta (name, value) VALUES (?, ?) ON DUPLICATE KEY UPDATE value = VALUES(value)', [
    PAGE_LAYOUT_META,
    String(snap.version + 1),
  ]);
  return changed;
}
