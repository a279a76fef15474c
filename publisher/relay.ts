// The relay: the only writer of atomsync_event. It moves committed outbox rows
// into the published log and numbers them in the order it moves them.
//
// Why this never skips: outbox ids are handed out at insert time, not commit
// time, so a transaction that started first may commit last. The relay does
// not remember a high-water outbox id; it takes whatever is committed now and
// deletes what it moved. A late commit is simply picked up by a later batch and
// gets a later number, so a reader that resumes after number n never misses it.
//
// Why numbers are never assigned twice: the relay holds a MariaDB named lock
// for as long as it runs, on the same connection it writes with. If that
// connection dies, its open transaction rolls back and the lock is released
// together, so a second publisher process can take over cleanly. The primary
// key on seq is a second line of defence.
import { Pause } from './pause.ts';
import { createHash, randomUUID } from 'node:crypto';
import type { Action } from '../shared/protocol.ts';
import { queryRows } from '../shared/db.ts';
import { RESOURCES, ownRowsSql } from '../shared/resources.ts';
import type { Pool, PoolConnection } from '../shared/db.ts';
import type { Logger } from '../shared/logger.ts';

/** Named lock that makes the relay a singleton per database. */
const RELAY_LOCK = 'atomsync_relay';

export interface RelayOptions {
  nodeId: string;
  /** Outbox rows moved per transaction. */
  batchSize?: number;
  /** Pause between polls when the outbox is empty. */
  pollMs?: number;
  /** Called after each batch with the number of events published. */
  onPublished?: (count: number) => void;
  /** Called after each commit that published events, with the resources (feeds besides `all`) they went to. */
  onEvents?: (resources: readonly string[]) => void;
  /** Called with true once this relay holds the lock (it sees every event published from then on), false when it no longer does. */
  onLeading?: (leading: boolean) => void;
}

export const RELAY_DEFAULTS = { batchSize: 2000, pollMs: 50 } as const;

interface OutboxRow {
  id: number;
  resource: string;
  uuid: string;
  action: Action;
  origin: string | null;
  changed_at: string;
}

export interface Collapsed {
  resource: string;
  uuid: string;
  action: Action;
  origin: string;
  changedAt: string;
}

/**
 * Collapses repeated changes to one resource (from one origin) within a batch into one event,
 * placed where the resource first changed, so it still precedes whatever referred to it.
 * The subscriber fetches the current state, so only the action label needs care:
 * a resource created and then edited in the same batch is still reported as CREATED.
 */
export function collapseBatch(rows: OutboxRow[], nodeId: string): Collapsed[] {
  const byKey = new Map<string, Collapsed & { firstAction: Action }>();
  const out: Array<Collapsed & { firstAction: Action }> = [];
  for (const r of rows) {
    const origin = r.origin ?? nodeId;
    const key = `${r.resource}|${r.uuid}|${origin}`;
    const seen = byKey.get(key);
    if (seen) {
      seen.action = r.action;
      seen.changedAt = r.changed_at;
      continue;
    }
    const c = { resource: r.resource, uuid: r.uuid, action: r.action, origin, changedAt: r.changed_at, firstAction: r.action };
    byKey.set(key, c);
    out.push(c);
  }
  return out.map(({ firstAction, ...c }) => ({
    ...c,
    action: firstAction === 'CREATED' && c.action === 'UPDATED' ? 'CREATED' : c.action,
  }));
}

export class Relay {
  private stopped = false;
  private conn: PoolConnection | null = null;
  private readonly pause = new Pause();
  private readonly batchSize: number;
  private readonly pollMs: number;

  constructor(
    private readonly pool: Pool,
    private readonly log: Logger,
    private readonly opts: RelayOptions,
  ) {
    this.batchSize = opts.batchSize ?? RELAY_DEFAULTS.batchSize;
    this.pollMs = opts.pollMs ?? RELAY_DEFAULTS.pollMs;
  }

  /** Runs until stop(): waits for the lock, then moves batches; reconnects after a lost connection. */
  async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.runWithLock();
      } catch (err) {
        if (this.stopped) break;
        this.log.error('relay connection lost; retrying', { error: err as Error });
        await this.pause.sleep(1000);
      } finally {
        this.conn?.destroy();
        this.conn = null;
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.pause.interrupt();
  }

  private async runWithLock(): Promise<void> {
    const conn = (this.conn = await this.pool.getConnection());
    await conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
    const lock = await lockName(conn);
    let waiting = false;
    while (!this.stopped) {
      const [{ got }] = await queryRows<{ got: number | null }>(conn, 'SELECT GET_LOCK(?, 1) AS got', [lock]);
      if (Number(got) === 1) break;
      if (!waiting) this.log.info('another relay holds the lock on this database; waiting', { lock });
      waiting = true;
    }
    if (this.stopped) return;
    this.log.info('relay started', { lock });
    this.opts.onLeading?.(true);
    try {
      while (!this.stopped) {
        const moved = await this.tick(conn);
        if (moved > 0) this.opts.onPublished?.(moved);
        if (moved < this.batchSize) await this.pause.sleep(this.pollMs);
      }
    } finally {
      this.opts.onLeading?.(false);
    }
    await conn.query('SELECT RELEASE_LOCK(?)', [lock]).catch(() => undefined);
  }

  /**
   * Numbers what the outbox holds now, for a command that reads the log with no publisher running
   * (`atomsync export` at a site without a network). When a publisher's relay holds the lock, it
   * is numbering them: this waits (up to `waitMs`) until the outbox is empty instead.
   */
  async drain(waitMs = 30_000): Promise<number> {
    const conn = await this.pool.getConnection();
    try {
      await conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
      const lock = await lockName(conn);
      const [{ got }] = await queryRows<{ got: number | null }>(conn, 'SELECT GET_LOCK(?, 0) AS got', [lock]);
      if (Number(got) !== 1) {
        const until = Date.now() + waitMs;
        while (Date.now() < until) {
          const [{ n }] = await queryRows<{ n: number }>(conn, 'SELECT COUNT(*) AS n FROM atomsync_outbox');
          if (Number(n) === 0) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        return 0;
      }
      try {
        let total = 0;
        for (let n = -1; n !== 0; total += n) n = await this.tick(conn);
        return total;
      } finally {
        await conn.query('SELECT RELEASE_LOCK(?)', [lock]).catch(() => undefined);
      }
    } finally {
      conn.release();
    }
  }

  /** Moves one batch. Returns the number of outbox rows consumed. */
  async tick(conn: PoolConnection): Promise<number> {
    await conn.beginTransaction();
    try {
      const rows = await queryRows<OutboxRow>(
        conn,
        'SELECT id, resource, uuid, action, origin, changed_at FROM atomsync_outbox ORDER BY id LIMIT ?',
        [this.batchSize],
      );
      if (rows.length === 0) {
        await conn.commit();
        return 0;
      }
      const events = await dropYielded(conn, collapseBatch(rows, this.opts.nodeId));
      if (events.length === 0) {
        await conn.query('DELETE FROM atomsync_outbox WHERE id IN (?)', [rows.map((r) => r.id)]);
        await conn.commit();
        return rows.length;
      }
      const [{ maxSeq }] = await queryRows<{ maxSeq: number | null }>(conn, 'SELECT MAX(seq) AS maxSeq FROM atomsync_event');
      const resources = [...new Set(events.map((e) => e.resource))];
      const positions = new Map<string, number>();
      for (const r of resources) {
        const [{ p }] = await queryRows<{ p: number | null }>(
          conn,
          'SELECT MAX(position) AS p FROM atomsync_event WHERE resource = ?',
          [r],
        );
        positions.set(r, Number(p ?? 0));
      }
      let seq = Number(maxSeq ?? 0);
      const values: unknown[] = [];
      for (const e of events) {
        const position = positions.get(e.resource)! + 1;
        positions.set(e.resource, position);
        values.push(++seq, e.resource, position, randomUUID(), e.uuid, e.action, e.origin, e.changedAt);
      }
      const placeholders = events.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3))').join(',');
      await conn.query(
        `INSERT INTO atomsync_event (seq, resource, position, event_uuid, uuid, action, origin, changed_at, published_at) VALUES ${placeholders}`,
        values,
      );
      await conn.query('DELETE FROM atomsync_outbox WHERE id IN (?)', [rows.map((r) => r.id)]);
      await conn.commit();
      this.opts.onEvents?.(resources);
      return rows.length;
    } catch (err) {
      await conn.rollback().catch(() => undefined);
      throw err;
    }
  }

}

/**
 * Leaves out the changes of a resource that yields to another (ResourceDef.yieldsTo) when its
 * row has become a row of that other one since: a person written a moment before the patient
 * row that makes them a patient (OpenMRS writes person, names, then patient, in one
 * transaction). The patient's own event, later in the log, carries all of it; publishing the
 * person as well would only make every subscriber fetch and write the same rows twice. Also
 * left out: changes to rows the node keeps for itself (ResourceDef.localRows: a user's person).
 */
async function dropYielded<E extends { resource: string; uuid: string; action: string }>(conn: PoolConnection, events: E[]): Promise<E[]> {
  let out = events;
  for (const def of Object.values(RESOURCES)) {
    if ((!def.yieldsTo && !def.localRows) || !def.root.uuidColumn) continue;
    const uuids = out.filter((e) => e.resource === def.name && e.action !== 'DELETED').map((e) => e.uuid);
    if (uuids.length === 0) continue;
    const rows = await queryRows<{ u: string }>(
      conn,
      `SELECT r.${def.root.uuidColumn} AS u FROM ${def.root.table} r WHERE r.${def.root.uuidColumn} IN (?) AND NOT (1 = 1${ownRowsSql(def, 'r')})`,
      [uuids],
    );
    if (rows.length === 0) continue;
    const yielded = new Set(rows.map((r) => r.u.toLowerCase()));
    out = out.filter((e) => e.resource !== def.name || e.action === 'DELETED' || !yielded.has(e.uuid.toLowerCase()));
  }
  return out;
}

/** Named locks are server-wide in MariaDB, so the lock names the database (hashed to fit 64 characters). */
export async function lockName(conn: PoolConnection): Promise<string> {
  const [{ db }] = await queryRows<{ db: string }>(conn, 'SELECT DATABASE() AS db');
  return `${RELAY_LOCK}:${createHash('sha1').update(db).digest('hex').slice(0, 40)}`;
}
