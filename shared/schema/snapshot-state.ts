// The snapshot's durable state (table atomsync_snapshot): which resources are to be
// published from their existing rows, and how far that has got. `migrate` requests a
// snapshot of a database that already holds rows, `atomsync snapshot` requests one on
// demand, and the publisher's snapshot worker (publisher/snapshot.ts) works through it.
import { queryRows } from '../db.ts';
import type { Queryable } from '../db.ts';
import type { Registry } from '../registry.ts';
import { ownRowsSql } from '../resources.ts';
import type { ResourceName } from '../resources.ts';

export type SnapshotStatus = 'pending' | 'running' | 'done';

export interface SnapshotState {
  resource: ResourceName;
  status: SnapshotStatus;
  /** Rows with a root key up to here have been published. */
  afterKey: number;
  /** The table's highest key when this run began (rows above it were written with triggers in place); null before it began. */
  highKey: number | null;
  /** Rows the run set out to publish (counted when it began); null before it began. */
  rowsTotal: number | null;
  rowsDone: number;
  requestedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

interface Row {
  resource: ResourceName;
  status: SnapshotStatus;
  after_key: number | string;
  high_key: number | string | null;
  rows_total: number | string | null;
  rows_done: number | string;
  requested_at: string;
  started_at: string | null;
  finished_at: string | null;
}

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

/** Every resource's snapshot state, in the registry's order (resources never snapshotted are absent). */
export async function readSnapshotStates(db: Queryable, registry: Registry): Promise<SnapshotState[]> {
  const rows = await queryRows<Row>(db, 'SELECT * FROM atomsync_snapshot');
  const byName = new Map(rows.map((r) => [r.resource, r]));
  return registry.names
    .filter((n) => byName.has(n))
    .map((n) => {
      const r = byName.get(n)!;
      return {
        resource: n,
        status: r.status,
        afterKey: Number(r.after_key),
        highKey: num(r.high_key),
        rowsTotal: num(r.rows_total),
        rowsDone: Number(r.rows_done),
        requestedAt: r.requested_at,
        startedAt: r.started_at,
        finishedAt: r.finished_at,
      };
    });
}

/**
 * Asks for these resources to be published (again) from their existing rows, from the first
 * row. A run in progress for one of them starts over at its next chunk.
 */
export async function requestSnapshot(db: Queryable, resources: readonly ResourceName[]): Promise<void> {
  if (resources.length === 0) return;
  await db.query(
    `INSERT INTO atomsync_snapshot (resource, status, after_key, high_key, rows_total, rows_done, requested_at)
     VALUES ? ON DUPLICATE KEY UPDATE status = 'pending', after_key = 0, high_key = NULL, rows_total = NULL, rows_done = 0,
       requested_at = VALUES(requested_at), started_at = NULL, finished_at = NULL`,
    [resources.map((r) => [r, 'pending', 0, null, null, 0, new Date().toISOString().slice(0, 23).replace('T', ' ')])],
  );
}

/** The resources whose root table holds at least one row: what a first snapshot has to publish. */
export async function resourcesWithRows(db: Queryable, registry: Registry): Promise<ResourceName[]> {
  const out: ResourceName[] = [];
  for (const name of registry.names) {
    const def = registry.def(name);
    // Rows the resource publishes itself: not a patient's person, not a user account's (ownRowsSql).
    const rows = await queryRows(db, `SELECT 1 AS x FROM ${def.root.table} r WHERE 1 = 1${ownRowsSql(def, 'r')} LIMIT 1`);
    if (rows.length > 0) out.push(name);
  }
  return out;
}
