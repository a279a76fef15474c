// The inbox: events that could not be applied when read. It is the source of
// truth for retries (Redis only schedules them), so flushing Redis loses nothing.
// One row per resource: a newer event for a resource with a row joins that row,
// so it can never overtake the older one.
import { queryRows } from '../shared/db.ts';
import type { Pool, Queryable } from '../shared/db.ts';
import type { Action } from '../shared/protocol.ts';

export type InboxStatus = 'pending' | 'dead';

export interface InboxEvent {
  resource: string;
  uuid: string;
  feedUrl: string;
  entryId: string;
  contentPath: string;
  action: Action;
  origin: string;
  position: number | null;
}

export interface InboxRow extends InboxEvent {
  id: number;
  status: InboxStatus;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  firstSeenAt: string;
}

const COLS = `id, resource, uuid, feed_url AS feedUrl, entry_id AS entryId, content_path AS contentPath, action, origin, position,
  status, attempts, next_attempt_at AS nextAttemptAt, last_error AS lastError, first_seen_at AS firstSeenAt`;

function norm(r: InboxRow): InboxRow {
  return { ...r, id: Number(r.id), attempts: Number(r.attempts), position: r.position == null ? null : Number(r.position) };
}

export class Inbox {
  constructor(private readonly pool: Pool) {}

  /**
   * Records an event that failed. `dead` parks it for a person; otherwise it waits `delayMs`.
   * If the resource already has a row, this event takes its place in that row.
   */
  async park(ev: InboxEvent, error: string, o: { dead: boolean; delayMs: number }): Promise<number> {
    await this.pool.query(
      `INSERT INTO atomsync_inbox (resource, uuid, feed_url, entry_id, content_path, action, origin, position, status, attempts,
         next_attempt_at, last_error)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND, ?)
       ON DUPLICATE KEY UPDATE feed_url = VALUES(feed_url), entry_id = VALUES(entry_id), content_path = VALUES(content_path),
         action = VALUES(action), origin = VALUES(origin), position = VALUES(position), last_error = VALUES(last_error)`,
      [ev.resource, ev.uuid, ev.feedUrl, ev.entryId, ev.contentPath, ev.action, ev.origin, ev.position, o.dead ? 'dead' : 'pending',
        Math.round(o.delayMs * 1000), error.slice(0, 4000)],
    );
    const [row] = await queryRows<{ id: number }>(this.pool, 'SELECT id FROM atomsync_inbox WHERE resource = ? AND uuid = ?', [ev.resource, ev.uuid]);
    return Number(row.id);
  }

  /**
   * When the resource already waits in the inbox, the new event joins it instead of being applied
   * out of order. A dead row is revived by the newer event: it may be the fix. Returns the row id, or null.
   */
  async join(ev: InboxEvent): Promise<number | null> {
    const [res] = await this.pool.query(
      `UPDATE atomsync_inbox SET feed_url = ?, entry_id = ?, content_path = ?, action = ?, origin = ?, position = ?,
         attempts = IF(status = 'dead', 0, attempts), status = 'pending',
         next_attempt_at = IF(status = 'dead', UTC_TIMESTAMP(3), next_attempt_at)
       WHERE resource = ? AND uuid = ?`,
      [ev.feedUrl, ev.entryId, ev.contentPath, ev.action, ev.origin, ev.position, ev.resource, ev.uuid],
    );
    if ((res as { affectedRows: number }).affectedRows === 0) return null;
    const [row] = await queryRows<{ id: number }>(this.pool, 'SELECT id FROM atomsync_inbox WHERE resource = ? AND uuid = ?', [ev.resource, ev.uuid]);
    return row ? Number(row.id) : null;
  }

  /** Which of these resources have a row waiting (as "resource/uuid" keys). */
  async waiting(keys: Array<{ resource: string; uuid: string }>): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const rows = await queryRows<{ resource: string; uuid: string }>(
      this.pool,
      'SELECT resource, uuid FROM atomsync_inbox WHERE (resource, uuid) IN (?)',
      [keys.map((k) => [k.resource, k.uuid])],
    );
    return new Set(rows.map((r) => `${r.resource}/${r.uuid}`));
  }

  /**
   * Removes rows made obsolete by events just applied: the same resource, from the same feed,
   * at an earlier position. Applying fetched the resource's current state, which covers them.
   * (Needed because the next batch is prepared while the previous one commits: an older event
   * of that batch can be parked after a newer one was applied.) `q`: the batch's transaction, when it runs in it.
   */
  async settleOlder(applied: Array<{ resource: string; uuid: string; feedUrl: string; position: number | null }>, q: Queryable = this.pool): Promise<number> {
    const rows = applied.filter((a) => a.position !== null);
    if (rows.length === 0) return 0;
    const [res] = await q.query(
      `DELETE i FROM atomsync_inbox i JOIN (${rows.map(() => 'SELECT ? AS r, ? AS u, ? AS f, ? AS p').join(' UNION ALL ')}) x
         ON i.resource = x.r AND i.uuid = x.u AND i.feed_url = x.f AND i.position < x.p`,
      rows.flatMap((a) => [a.resource, a.uuid, a.feedUrl, a.position]),
    );
    return (res as { affectedRows: number }).affectedRows;
  }

  async get(id: number): Promise<InboxRow | null> {
    const rows = await queryRows<InboxRow>(this.pool, `SELECT ${COLS} FROM atomsync_inbox WHERE id = ?`, [id]);
    return rows.length ? norm(rows[0]) : null;
  }

  /** Removes the row once applied, unless a newer event joined it meanwhile (then it is due again now). */
  async succeed(row: InboxRow): Promise<boolean> {
    const [res] = await this.pool.query('DELETE FROM atomsync_inbox WHERE id = ? AND entry_id = ?', [row.id, row.entryId]);
    if ((res as { affectedRows: number }).affectedRows === 1) return true;
    await this.pool.query(`UPDATE atomsync_inbox SET next_attempt_at = UTC_TIMESTAMP(3) WHERE id = ?`, [row.id]);
    return false;
  }

  /** Counts a failed attempt; past maxAttempts (or for a permanent error) the row becomes a dead letter. */
  async fail(row: InboxRow, error: string, o: { permanent: boolean; maxAttempts: number; delayMs: number }): Promise<InboxStatus> {
    const dead = o.permanent || row.attempts + 1 >= o.maxAttempts;
    await this.pool.query(
      `UPDATE atomsync_inbox SET attempts = attempts + 1, status = ?, last_error = ?,
         next_attempt_at = UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND WHERE id = ? AND status = 'pending'`,
      [dead ? 'dead' : 'pending', error.slice(0, 4000), Math.round(o.delayMs * 1000), row.id],
    );
    return dead ? 'dead' : 'pending';
  }

  /** Pending rows whose time has come (or, with graceMs, that are overdue by that much: their job was lost). */
  async due(limit: number, graceMs = 0): Promise<InboxRow[]> {
    const rows = await queryRows<InboxRow>(
      this.pool,
      `SELECT ${COLS} FROM atomsync_inbox WHERE status = 'pending' AND next_attempt_at <= UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND
       ORDER BY next_attempt_at LIMIT ?`,
      [Math.round(graceMs * 1000), limit],
    );
    return rows.map(norm);
  }

  async list(status: InboxStatus, limit = 1000): Promise<InboxRow[]> {
    const rows = await queryRows<InboxRow>(this.pool, `SELECT ${COLS} FROM atomsync_inbox WHERE status = ? ORDER BY id LIMIT ?`, [status, limit]);
    return rows.map(norm);
  }

  /** Puts dead letters back in line for an immediate attempt. Returns the ids revived. */
  async retry(ids: number[] | 'all'): Promise<number[]> {
    const where = ids === 'all' ? `status = 'dead'` : `status = 'dead' AND id IN (?)`;
    const found = await queryRows<{ id: number }>(this.pool, `SELECT id FROM atomsync_inbox WHERE ${where}`, ids === 'all' ? [] : [ids]);
    if (found.length === 0) return [];
    const revived = found.map((r) => Number(r.id));
    await this.pool.query(
      `UPDATE atomsync_inbox SET status = 'pending', attempts = 0, next_attempt_at = UTC_TIMESTAMP(3) WHERE status = 'dead' AND id IN (?)`,
      [revived],
    );
    return revived;
  }

  async counts(): Promise<Record<InboxStatus, number>> {
    const rows = await queryRows<{ status: InboxStatus; n: number }>(this.pool, 'SELECT status, COUNT(*) AS n FROM atomsync_inbox GROUP BY status');
    const out: Record<InboxStatus, number> = { pending: 0, dead: 0 };
    for (const r of rows) out[r.status] = Number(r.n);
    return out;
  }
}
