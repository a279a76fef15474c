// The snapshot: publishes rows that have no event yet, because they were written
// before atomsync's triggers existed (an OpenMRS site with years of history), or
// again on demand (after a restore). One "CREATED" outbox row per existing
// resource, resource by resource in the registry's (dependency) order, in chunks
// of root keys; the relay numbers them among the live changes like any other.
//
// Why a live change is never shadowed by an older snapshot event, and nothing is
// published twice (SPEC.md "Initial publication"):
// - A chunk is one short transaction that share-locks the chunk's root rows, reads
//   their uuids, writes their outbox rows and moves the resource's progress. An event
//   only says "this resource changed; fetch its current state", so what matters is
//   where the snapshot event lands relative to a live event for the same resource:
//   a writer that changed or deleted a row before the chunk locked it has committed
//   its outbox row before the chunk's were written (the lock waited for it), so its
//   event comes first and the snapshot's later (and a deleted row is not seen at all);
//   a writer that comes after waits for the chunk's commit, so its event comes later.
//   The relay takes committed outbox rows in id order, so that is the feed's order.
//   This is the interleaving of DBLog's watermarks, got from the database's own
//   locks instead of a window in the log.
// - The progress (after_key) commits with the outbox rows it covers: a process killed
//   mid-chunk rolls both back, and the next chunk starts after the last committed one,
//   so no row is published twice or skipped. Two workers (a publisher and
//   `atomsync snapshot`) serialise on the progress row.
// - A run covers keys up to the highest one when it began; rows written later were
//   written with the triggers in place and have events of their own.
// - The worker waits while the outbox holds more than `maxOutbox` rows, so the relay
//   interleaves live changes with the chunks instead of queueing them behind the lot.
import { Pause } from './pause.ts';
import { queryRows, retryingTransaction } from '../shared/db.ts';
import type { Pool, PoolConnection } from '../shared/db.ts';
import type { Logger } from '../shared/logger.ts';
import type { Registry } from '../shared/registry.ts';
import { ownRowsSql } from '../shared/resources.ts';
import type { ResourceDef, ResourceName } from '../shared/resources.ts';
import { readSnapshotStates } from '../shared/schema/snapshot-state.ts';
import type { SnapshotState } from '../shared/schema/snapshot-state.ts';

export interface SnapshotOptions {
  nodeId: string;
  /** Root rows per chunk (one transaction). */
  chunkRows?: number;
  /** Pause chunks while the outbox holds more rows than this (the relay is behind). */
  maxOutbox?: number;
  /** Pause between checks when waiting for the relay, or for a new request. */
  pollMs?: number;
  /** Look for new requests this often when nothing is pending (0: stop when done). */
  idleCheckMs?: number;
  /** After every chunk. */
  onProgress?: (p: SnapshotProgress) => void;
}

const NO_SUCH_TABLE = 1146;

export const SNAPSHOT_DEFAULTS = { chunkRows: 500, maxOutbox: 4000, pollMs: 50, idleCheckMs: 5000 } as const;

export interface SnapshotProgress {
  resource: ResourceName;
  rowsDone: number;
  rowsTotal: number;
  done: boolean;
}

interface ChunkResult {
  done: boolean;
  rowsDone: number;
  rowsTotal: number;
}

export class SnapshotWorker {
  private stopped = false;
  private readonly pause = new Pause();
  private readonly o: Required<Omit<SnapshotOptions, 'onProgress'>> & Pick<SnapshotOptions, 'onProgress'>;

  constructor(
    private readonly pool: Pool,
    private readonly registry: Registry,
    private readonly log: Logger,
    opts: SnapshotOptions,
  ) {
    this.o = { ...SNAPSHOT_DEFAULTS, ...opts };
  }

  /**
   * Works through every pending resource, in the registry's order; then, with an
   * idleCheckMs, keeps looking for new requests until stop(). Errors (a lost connection)
   * are logged and retried after a pause: progress is durable, nothing is repeated.
   */
  async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const worked = await this.runPending();
        if (!worked && this.o.idleCheckMs === 0) return;
        if (!worked) await this.pause.sleep(this.o.idleCheckMs);
      } catch (err) {
        if (this.stopped) return;
        if ((err as { errno?: number }).errno === NO_SUCH_TABLE) {
          // A database migrated by an atomsync older than snapshots: nothing to do until it is migrated again.
          this.log.warn('this database has no atomsync_snapshot table; run `atomsync migrate` to be able to publish existing rows');
          return;
        }
        this.log.error('snapshot chunk failed; retrying', { error: err as Error });
        await this.pause.sleep(1000);
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.pause.interrupt();
  }

  /** One pass over the pending resources; false when there was nothing to do. */
  private async runPending(): Promise<boolean> {
    const pending = (await readSnapshotStates(this.pool, this.registry)).filter((s) => s.status !== 'done');
    if (pending.length === 0) return false;
    for (const state of pending) {
      if (this.stopped) break;
      await this.runResource(state);
    }
    return true;
  }

  private async runResource(state: SnapshotState): Promise<void> {
    const def = this.registry.def(state.resource);
    if (state.status === 'pending') this.log.info('snapshot started', { resource: def.name });
    const started = Date.now();
    let last: ChunkResult | null = null;
    while (!this.stopped) {
      await this.waitForRelay();
      if (this.stopped) break;
      last = await this.chunk(def);
      this.o.onProgress?.({ resource: def.name, rowsDone: last.rowsDone, rowsTotal: last.rowsTotal, done: last.done });
      if (last.done) {
        this.log.info('snapshot of a resource done', { resource: def.name, rows: last.rowsDone, ms: Date.now() - started });
        break;
      }
    }
  }

  private async waitForRelay(): Promise<void> {
    while (!this.stopped) {
      const [{ n }] = await queryRows<{ n: number }>(this.pool, 'SELECT COUNT(*) AS n FROM atomsync_outbox');
      if (Number(n) <= this.o.maxOutbox) return;
      await this.pause.sleep(this.o.pollMs);
    }
  }

  /** One chunk, in one transaction (run again on a deadlock or lost connection: it reads its progress anew, so it repeats nothing). */
  private chunk(def: ResourceDef): Promise<ChunkResult> {
    // READ COMMITTED (retryingTransaction's level): the share locks take no gap locks, so the
    // clinic's inserts are never held up, and plain reads see what is committed now.
    return retryingTransaction(this.pool, (conn) => this.chunkInTx(conn, def), {
      attempts: 5,
      onFailure: (err, attempt) => this.log.debug('snapshot chunk transaction failed', { attempt, error: err as Error }),
    });
  }

  private async chunkInTx(conn: PoolConnection, def: ResourceDef): Promise<ChunkResult> {
    const root = def.root;
    const [state] = await queryRows<{ status: string; after_key: string; high_key: string | null; rows_total: string | null; rows_done: string }>(
      conn,
      'SELECT status, after_key, high_key, rows_total, rows_done FROM atomsync_snapshot WHERE resource = ? FOR UPDATE',
      [def.name],
    );
    if (!state || state.status === 'done') {
      const done = Number(state?.rows_done ?? 0);
      return { done: true, rowsDone: done, rowsTotal: Number(state?.rows_total ?? done) };
    }
    let highKey = state.high_key === null ? null : Number(state.high_key);
    let rowsTotal = Number(state.rows_total ?? 0);
    if (highKey === null) {
      const [m] = await queryRows<{ k: string | null; n: string }>(
        conn,
        `SELECT MAX(r.${root.key}) AS k, COUNT(*) AS n FROM ${root.table} r WHERE 1 = 1${ownRowsSql(def, 'r')}`,
      );
      highKey = Number(m.k ?? 0);
      rowsTotal = Number(m.n);
      await conn.query(`UPDATE atomsync_snapshot SET status = 'running', high_key = ?, rows_total = ?, started_at = UTC_TIMESTAMP(3) WHERE resource = ?`, [
        highKey,
        rowsTotal,
        def.name,
      ]);
    }
    const afterKey = Number(state.after_key);
    // Share locks on the chunk's root rows: a writer of one of them waits for this commit,
    // and this waits for a writer already holding one (see the top of the file).
    const keys = (
      await queryRows<{ k: string }>(
        conn,
        `SELECT ${root.key} AS k FROM ${root.table} WHERE ${root.key} > ? AND ${root.key} <= ? ORDER BY ${root.key} LIMIT ? LOCK IN SHARE MODE`,
        [afterKey, highKey, this.o.chunkRows],
      )
    ).map((r) => Number(r.k));
    const rowsDone = Number(state.rows_done);
    if (keys.length === 0) {
      await conn.query(`UPDATE atomsync_snapshot SET status = 'done', finished_at = UTC_TIMESTAMP(3) WHERE resource = ?`, [def.name]);
      return { done: true, rowsDone, rowsTotal: Math.max(rowsTotal, rowsDone) };
    }
    // The uuids of exactly the locked rows, and the origin each was synced from, if any (a
    // node that pulled a resource from another republishes it under that origin: no echo).
    const rows = await queryRows<{ u: string | null; o: string | null }>(conn, chunkSql(def), [def.name, keys]);
    const values = rows.filter((r) => r.u !== null).map((r) => [def.name, r.u, 'CREATED', r.o ?? this.o.nodeId]);
    if (values.length > 0) {
      // A plain multi-row VALUES insert: no table-wide AUTO-INC lock, unlike INSERT ... SELECT.
      await conn.query(
        `INSERT INTO atomsync_outbox (resource, uuid, action, origin, changed_at) VALUES ${values.map(() => '(?, ?, ?, ?, UTC_TIMESTAMP(3))').join(', ')}`,
        values.flat(),
      );
    }
    const lastKey = keys[keys.length - 1];
    await conn.query('UPDATE atomsync_snapshot SET after_key = ?, rows_done = rows_done + ? WHERE resource = ?', [lastKey, values.length, def.name]);
    return { done: false, rowsDone: rowsDone + values.length, rowsTotal: Math.max(rowsTotal, rowsDone + values.length) };
  }

}

/** How far a resource's snapshot run has got, in whole percent. */
export function percentDone(p: SnapshotProgress): number {
  return p.rowsTotal > 0 ? Math.floor((100 * p.rowsDone) / p.rowsTotal) : 100;
}

/** Logs snapshot progress at most every 5 s (a resource's start and end are logged by the worker). */
export function progressLogger(log: Logger, everyMs = 5000): (p: SnapshotProgress) => void {
  let lastAt = Date.now();
  return (p) => {
    if (p.done || Date.now() - lastAt < everyMs) return;
    lastAt = Date.now();
    log.info('snapshot progress', { resource: p.resource, rows: p.rowsDone, of: p.rowsTotal, percent: percentDone(p) });
  };
}

/** SQL for the uuid and synced-from origin of the root rows with the given keys, in key order. */
function chunkSql(def: ResourceDef): string {
  const root = def.root;
  let from = `${root.table} r`;
  let uuid = `r.${root.uuidColumn}`;
  if (!root.uuidColumn) {
    // patient: its uuid is its person's, which shares its key.
    const p = root.parts.find((x) => x.prop === def.uuidFromPart)!;
    from += ` JOIN ${p.spec.table} up ON up.${p.parentKeyColumn} = r.${root.key}`;
    uuid = `up.${p.spec.uuidColumn}`;
  }
  return `SELECT ${uuid} AS u, ss.origin AS o FROM ${from}
    LEFT JOIN atomsync_sync_state ss ON ss.resource = ? AND ss.uuid = ${uuid}
    WHERE r.${root.key} IN (?)${ownRowsSql(def, 'r')} ORDER BY r.${root.key}`;
}
