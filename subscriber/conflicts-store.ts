// The conflicts a node recorded (atomsync_conflict), read and settled: what `atomsync conflicts`
// (conflicts-command.ts) and the status page (conflicts-routes.ts) both do. A conflict is a
// resource changed here and at another node since they last agreed; every node kept the same
// version by the rule of conflict-rule.ts, and the other is kept here. Settling one: keeping the
// version kept changes nothing; keeping the other writes it here as this node's own change,
// dated now, which the node publishes and which wins wherever it arrives.
//
// Nothing here logs a version: they hold patients' data.
import type { Pool } from '../shared/db.ts';
import { queryRows } from '../shared/db.ts';
import { silentLogger } from '../shared/logger.ts';
import { isResourceName } from '../shared/resources.ts';
import type { ResourceName } from '../shared/resources.ts';
import { dbToIso } from '../shared/time.ts';
import { MysqlSink } from './mysql/mysql-sink.ts';

export type Keep = 'kept' | 'other';

export interface Conflict {
  id: number;
  resource: string;
  uuid: string;
  feedUrl: string;
  entryId: string;
  /** Whose version every node kept: this node's (`local`) or the incoming one (`remote`). */
  winner: 'local' | 'remote';
  /** ISO 8601. */
  detectedAt: string;
  resolvedAt: string | null;
  resolution: Keep | null;
  /** The version kept by the rule, and the other one (representations as JSON). */
  kept: unknown;
  other: unknown;
}

export interface ConflictCounts {
  open: number;
  total: number;
}

interface Row {
  id: number;
  resource: string;
  uuid: string;
  feed_url: string;
  entry_id: string;
  winner: string;
  local_version: string;
  remote_version: string;
  detected_at: string;
  resolved_at: string | null;
  resolution: string | null;
}

const COLUMNS = 'id, resource, uuid, feed_url, entry_id, winner, local_version, remote_version, detected_at, resolved_at, resolution';

function toConflict(r: Row): Conflict {
  const [local, remote] = [JSON.parse(r.local_version) as unknown, JSON.parse(r.remote_version) as unknown];
  const winner = r.winner === 'local' ? 'local' : 'remote';
  return {
    id: Number(r.id),
    resource: r.resource,
    uuid: r.uuid,
    feedUrl: r.feed_url,
    entryId: r.entry_id,
    winner,
    detectedAt: dbToIso(r.detected_at),
    resolvedAt: r.resolved_at ? dbToIso(r.resolved_at) : null,
    resolution: r.resolution === 'kept' || r.resolution === 'other' ? r.resolution : null,
    kept: winner === 'local' ? local : remote,
    other: winner === 'local' ? remote : local,
  };
}

/** Conflicts by id (`oldest-first`, as the CLI lists them) or the open ones first, newest first (`open-first`). */
export async function listConflicts(pool: Pool, o: { order: 'oldest-first' | 'open-first'; limit?: number }): Promise<Conflict[]> {
  const order = o.order === 'open-first' ? 'resolved_at IS NOT NULL, id DESC' : 'id';
  const limit = o.limit === undefined ? '' : `LIMIT ${Math.max(0, Math.floor(o.limit))}`;
  return (await queryRows<Row>(pool, `SELECT ${COLUMNS} FROM atomsync_conflict ORDER BY ${order} ${limit}`)).map(toConflict);
}

export async function readConflict(pool: Pool, id: number): Promise<Conflict | null> {
  const [row] = await queryRows<Row>(pool, `SELECT ${COLUMNS} FROM atomsync_conflict WHERE id = ?`, [id]);
  return row ? toConflict(row) : null;
}

export async function countConflicts(pool: Pool): Promise<ConflictCounts> {
  const [row] = await queryRows<{ open: number | null; total: number }>(
    pool,
    'SELECT SUM(resolved_at IS NULL) AS open, COUNT(*) AS total FROM atomsync_conflict',
  );
  return { open: Number(row?.open ?? 0), total: Number(row?.total ?? 0) };
}

export class UnknownResourceError extends Error {
  override readonly name = 'UnknownResourceError';
  constructor(readonly conflictId: number, readonly resource: string) {
    super(`#${conflictId} names ${resource}, which this version of atomsync does not know`);
  }
}

/**
 * Settles a conflict. `already` when it was settled before (nothing done). Keeping the other
 * version claims the conflict first, so two admins pressing at once write it once; if the write
 * fails the claim is given back and the conflict stays open.
 */
export async function resolveConflict(pool: Pool, c: Conflict, keep: Keep, userId: number): Promise<'resolved' | 'already'> {
  if (c.resolvedAt) return 'already';
  if (keep === 'other' && !isResourceName(c.resource)) throw new UnknownResourceError(c.id, c.resource);
  const [claim] = await pool.query('UPDATE atomsync_conflict SET resolved_at = UTC_TIMESTAMP(3), resolution = ? WHERE id = ? AND resolved_at IS NULL', [keep, c.id]);
  if ((claim as { affectedRows: number }).affectedRows === 0) return 'already';
  if (keep === 'kept') return 'resolved';
  try {
    const sink = await MysqlSink.create(pool, silentLogger, { fallbackUserId: userId });
    await sink.writeLocalChange(c.resource as ResourceName, c.uuid, c.other as Record<string, unknown>, userId);
  } catch (err) {
    await pool.query('UPDATE atomsync_conflict SET resolved_at = NULL, resolution = NULL WHERE id = ?', [c.id]).catch(() => undefined);
    throw err;
  }
  return 'resolved';
}
