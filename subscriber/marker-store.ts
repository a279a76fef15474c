// Durable markers: where each feed was read up to. A marker only moves after
// every entry before it is applied or recorded in the inbox, in this database.
import { queryRows } from '../shared/db.ts';
import type { Pool } from '../shared/db.ts';
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

export interface MarkerAdvance {
  lastEntryId: string;
  lastPageUrl: string;
  lastPosition: number | null;
  lastSeq: number | null;
  nextPageUrl: string | null;
  consumed: number;
  newestChangedAt: string | null;
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

  async advance(feedUrl: string, a: MarkerAdvance): Promise<void> {
    await this.pool.query(
      `INSERT INTO atomsync_marker (feed_url, last_entry_id, last_page_url, last_position, last_seq, next_page_url, events_seen,
         newest_changed_at, last_poll_at, last_success_at, last_error)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), NULL)
       ON DUPLICATE KEY UPDATE last_entry_id = VALUES(last_entry_id), last_page_url = VALUES(last_page_url),
         last_position = COALESCE(VALUES(last_position), last_position), last_seq = COALESCE(VALUES(last_seq), last_seq),
         next_page_url = VALUES(next_page_url), events_seen = events_seen + VALUES(events_seen),
         newest_changed_at = COALESCE(VALUES(newest_changed_at), newest_changed_at),
         last_poll_at = VALUES(last_poll_at), last_success_at = VALUES(last_success_at), last_error = NULL`,
      [
        feedUrl,
        a.lastEntryId,
        a.lastPageUrl,
        a.lastPosition ?? 0,
        a.lastSeq,
        a.nextPageUrl,
        a.consumed,
        a.newestChangedAt ? isoToDb(a.newestChangedAt) : null,
      ],
    );
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
