// Reads the published log for the feed. Every page is an indexed range query on
// (resource, position) or on seq; nothing is counted or offset, so a page's
// content depends only on the positions its number stands for (paging.ts).
import { ALL_CATEGORY, catchmentLocations } from '../shared/protocol.ts';
import type { Action } from '../shared/protocol.ts';
import { queryRows } from '../shared/db.ts';
import type { Pool } from '../shared/db.ts';
import type { FeedEvent } from '../shared/feed-types.ts';
import { dbToIso } from '../shared/time.ts';
import { catchmentKey } from './catchments/router.ts';
import { PAGE_LAYOUT_META } from './feed-layouts.ts';

interface EventRow {
  seq: number;
  position: number;
  event_uuid: string;
  resource: string;
  uuid: string;
  action: Action;
  origin: string;
  changed_at: string;
  published_at: string;
}

export interface FeedHead {
  /** Highest position in the feed (its event count, since positions have no gaps). */
  count: number;
  /** When the newest event was published, if any. */
  newestPublishedAt: string | null;
  /**
   * The page layout version (atomsync_meta page_layout, 0 before any re-page), read in the same
   * statement as the count: a count that includes events published after a re-page always comes
   * with that re-page's version, so it is never paged by the layout from before it.
   */
  layoutVersion: number;
}

export class EventStore {
  constructor(private readonly pool: Pool) {}

  async head(category: string): Promise<FeedHead> {
    const version = '(SELECT value FROM atomsync_meta WHERE name = ?) AS v';
    const rows =
      category === ALL_CATEGORY
        ? await queryRows<{ n: number; t: string; v: string | null }>(
            this.pool,
            `SELECT seq AS n, published_at AS t, ${version} FROM atomsync_event ORDER BY seq DESC LIMIT 1`,
            [PAGE_LAYOUT_META],
          )
        : await queryRows<{ n: number; t: string; v: string | null }>(
            this.pool,
            `SELECT position AS n, published_at AS t, ${version} FROM atomsync_event WHERE resource = ? ORDER BY position DESC LIMIT 1`,
            [PAGE_LAYOUT_META, category],
          );
    if (rows.length === 0) {
      // No event: page 1 is the working page under any layout, so the version may come from a later read.
      const meta = await queryRows<{ v: string }>(this.pool, 'SELECT value AS v FROM atomsync_meta WHERE name = ?', [PAGE_LAYOUT_META]);
      return { count: 0, newestPublishedAt: null, layoutVersion: Number(meta[0]?.v ?? 0) };
    }
    return { count: Number(rows[0].n), newestPublishedAt: dbToIso(rows[0].t), layoutVersion: Number(rows[0].v ?? 0) };
  }

  /** Events with positions first..last of a feed, oldest first. */
  async range(category: string, first: number, last: number): Promise<FeedEvent[]> {
    const locations = catchmentLocations(category);
    if (locations) return this.catchmentRange(locations, first, last);
    const cols = 'seq, position, event_uuid, resource, uuid, action, origin, changed_at, published_at';
    const rows =
      category === ALL_CATEGORY
        ? await queryRows<EventRow>(this.pool, `SELECT ${cols} FROM atomsync_event WHERE seq BETWEEN ? AND ? ORDER BY seq`, [
            first,
            last,
          ])
        : await queryRows<EventRow>(
            this.pool,
            `SELECT ${cols} FROM atomsync_event WHERE resource = ? AND position BETWEEN ? AND ? ORDER BY position`,
            [category, first, last],
          );
    return rows.map((r) => feedEventOf(r, category === ALL_CATEGORY ? Number(r.seq) : Number(r.position)));
  }

  /** A catchment's entries first..last (publisher/catchments/router.ts): its own positions, each naming an event. */
  private async catchmentRange(locations: string[], first: number, last: number): Promise<FeedEvent[]> {
    const rows = await queryRows<EventRow>(
      this.pool,
      `SELECT ce.position, e.seq, e.event_uuid, e.resource, e.uuid, e.action, e.origin, e.changed_at, e.published_at
       FROM atomsync_catchment c JOIN atomsync_catchment_event ce ON ce.catchment_id = c.id JOIN atomsync_event e ON e.seq = ce.seq
       WHERE c.locations_key = ? AND ce.position BETWEEN ? AND ? ORDER BY ce.position`,
      [catchmentKey(locations), first, last],
    );
    return rows.map((r) => feedEventOf(r, Number(r.position)));
  }
}

function feedEventOf(r: EventRow, position: number): FeedEvent {
  return {
    seq: Number(r.seq),
    position,
    eventUuid: r.event_uuid,
    resource: r.resource,
    uuid: r.uuid,
    action: r.action,
    origin: r.origin,
    changedAt: dbToIso(r.changed_at),
    publishedAt: dbToIso(r.published_at),
  };
}
