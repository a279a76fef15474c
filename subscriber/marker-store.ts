// Durable markers: where each feed was read up to. A marker only moves after
// every entry before it is applied or recorded in the inbox, in this database,
// and only from where its reader left it, so two readers never undo each
// other's progress (see advance).
import { queryRows } from '../shared/db.ts';
import type { Pool, Queryable } from '../shared/db.ts';
import { dbToIso, isoToDb } from '../shared/time.ts';

export interface Marker {
  feedUrl: string;
  lastEntryId: string | null;
  /** Canonical URL (via) of the page holding the last entry consumed. */
  lastPageUrl: string | null;
  lastPosition: number;
  lastSeq: number | null;
  /** Set when the last page consumed was complete: reading resumes there. */
  nextPageUrl: string | null;
  eventsSeen: number;
}

/**
 * The entry id of a marker set by `atomsync clone` at the position its copy was taken at: no
 * entry of the feed has it, and reading resumes by position from the first page.
 */
export const COPY_ENTRY_PREFIX = 'copy@';

export interface MarkerAdvance {
  lastEntryId: string;
  lastPageUrl: string;
  lastPosition: number | null;
  lastSeq: number | null;
  nextPageUrl: string | null;
  consumed: number;
  newestChangedAt: string | null;
}

/** What a reader last read or wrote as its marker: the one it may move from. */
export interface MarkerPoint {
  lastEntryId: string | null;
  lastPosition: number;
}

/** A marker with the feed's health, for the status page. Times are ISO 8601 (UTC) or null. */
export interface MarkerReport extends Marker {
  lastPollAt: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
}

interface MarkerRow {
  feed_url: string;
  last_entry_id: string | null;
  last_page_url: string | null;
  last_position: number;
  last_seq: number | null;
  next_page_url: string | null;
  events_seen: number;
}

export class MarkerStore {
  constructor(private readonly pool: Pool) {}

  async get(feedUrl: string): Promise<Marker | null> {
    const rows = await queryRows<MarkerRow>(
      this.pool,
      'SELECT feed_url, last_entry_id, last_page_url, last_position, last_seq, next_page_url, events_seen FROM atomsync_marker WHERE feed_url = ?',
      [feedUrl],
    );
    return rows.length === 0 ? null : toMarker(rows[0]);
  }

  /** Markers of these feeds with their poll times and last error; feeds never polled are absent. */
  async report(feedUrls: string[]): Promise<Map<string, MarkerReport>> {
    if (feedUrls.length === 0) return new Map();
    const rows = await queryRows<MarkerRow & { last_poll_at: string | null; last_success_at: string | null; last_error: string | null; last_error_at: string | null }>(
      this.pool,
      `SELECT feed_url, last_entry_id, last_page_url, last_position, last_seq, next_page_url, events_seen,
         last_poll_at, last_success_at, last_error, last_error_at FROM atomsync_marker WHERE feed_url IN (?)`,
      [feedUrls],
    );
    const iso = (t: string | null) => (t ? dbToIso(t) : null);
    return new Map(
      rows.map((r) => [
        r.feed_url,
        {
          ...toMarker(r),
          lastPollAt: iso(r.last_poll_at),
          lastSuccessAt: iso(r.last_success_at),
          lastError: r.last_error,
          lastErrorAt: iso(r.last_error_at),
        },
      ]),
    );
  }

  /**
   * Moves the marker to `a`, but only from `from`: the marker as this reader last read or wrote it
   * (null: none yet). Returns false, writing nothing, when it no longer stands there because another
   * process moved it (a second subscriber started on this database by mistake). Writing anyway
   * would move it back over the other's progress, and every event since would be read again.
   * `q` is a transaction's connection when the marker moves together with the batch it covers.
   */
  async advance(feedUrl: string, a: MarkerAdvance, from: MarkerPoint | null, q: Queryable = this.pool): Promise<boolean> {
    const update = async () => {
      const [res] = await q.query(
        `UPDATE atomsync_marker SET last_entry_id = ?, last_page_url = ?, last_position = ?, last_seq = COALESCE(?, last_seq),
           next_page_url = ?, events_seen = events_seen + ?, newest_changed_at = COALESCE(?, newest_changed_at),
           last_poll_at = UTC_TIMESTAMP(3), last_success_at = UTC_TIMESTAMP(3), last_error = NULL
         WHERE feed_url = ? AND last_entry_id <=> ? AND last_position = ?`,
        [a.lastEntryId, a.lastPageUrl, a.lastPosition ?? 0, a.lastSeq, a.nextPageUrl, a.consumed,
          a.newestChangedAt ? isoToDb(a.newestChangedAt) : null, feedUrl, from?.lastEntryId ?? null, from?.lastPosition ?? 0],
      );
      return (res as { affectedRows: number }).affectedRows === 1; // matched rows: the pool sets CLIENT_FOUND_ROWS
    };
    if (await update()) return true;
    if (from?.lastEntryId) return false;
    // A first marker: its row may not exist yet (a poll creates it empty, as this does).
    await q.query('INSERT IGNORE INTO atomsync_marker (feed_url) VALUES (?)', [feedUrl]);
    return update();
  }

  /** A poll that found nothing new still shows the feed is alive. */
  async recordPoll(feedUrl: string, error: string | null): Promise<void> {
    const sql = error
      ? `INSERT INTO atomsync_marker (feed_url, last_poll_at, last_error, last_error_at) VALUES (?, UTC_TIMESTAMP(3), ?, UTC_TIMESTAMP(3))
         ON DUPLICATE KEY UPDATE last_poll_at = VALUES(last_poll_at), last_error = VALUES(last_error), last_error_at = VALUES(last_error_at)`
      : `INSERT INTO atomsync_marker (feed_url, last_poll_at, last_success_at) VALUES (?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))
         ON DUPLICATE KEY UPDATE last_poll_at = VALUES(last_poll_at), last_success_at = VALUES(last_success_at), last_error = NULL`;
    await this.pool.query(sql, error ? [feedUrl, error.slice(0, 2000)] : [feedUrl]);
  }
}

function toMarker(r: MarkerRow): Marker {
  return {
    feedUrl: r.feed_url,
    lastEntryId: r.last_entry_id,
    lastPageUrl: r.last_page_url,
    lastPosition: Number(r.last_position),
    lastSeq: r.last_seq == null ? null : Number(r.last_seq),
    nextPageUrl: r.next_page_url,
    eventsSeen: Number(r.events_seen),
  };
}
