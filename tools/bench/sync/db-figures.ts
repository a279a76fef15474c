// The few figures the benchmark reads from the databases: how far the clinic's
// relay and HQ's subscriber have come, and how many rows the synced tables hold.
import { queryRows } from '../../../shared/db.ts';
import type { Pool } from '../../../shared/db.ts';
import { syncedTables } from '../../../shared/resources.ts';

/** Every table atomsync syncs (clinical, their owned rows, and metadata), from the registry. */
export const SYNCED_TABLES: readonly string[] = [...new Set(syncedTables())];

/** Rows per synced table, and their sum. */
export async function countTables(pool: Pool, tables: readonly string[] = SYNCED_TABLES): Promise<{ total: number; perTable: Record<string, number> }> {
  const perTable: Record<string, number> = {};
  const rows = await queryRows<{ t: string; n: number }>(pool, tables.map((t) => `SELECT '${t}' AS t, COUNT(*) AS n FROM \`${t}\``).join(' UNION ALL '));
  for (const r of rows) perTable[r.t] = Number(r.n);
  return { total: Object.values(perTable).reduce((a, b) => a + b, 0), perTable };
}

/** The clinic's newest event number (events are numbered 1..n without gaps). */
export async function eventCount(clinic: Pool): Promise<number> {
  const [r] = await queryRows<{ n: number | null }>(clinic, 'SELECT MAX(seq) AS n FROM atomsync_event');
  return Number(r?.n ?? 0);
}

/** Changes recorded by the triggers and not yet numbered by the relay. */
export async function outboxDepth(clinic: Pool): Promise<number> {
  const [r] = await queryRows<{ n: number }>(clinic, 'SELECT COUNT(*) AS n FROM atomsync_outbox');
  return Number(r.n);
}

export interface HqProgress {
  /** Feed position HQ has consumed (applied or parked), 0 before its first page. */
  position: number;
  /** Events waiting in the inbox for a retry. */
  pending: number;
  dead: number;
}

export async function hqProgress(hq: Pool): Promise<HqProgress> {
  const [m] = await queryRows<{ p: number | null }>(hq, 'SELECT MAX(last_position) AS p FROM atomsync_marker');
  const inbox = await queryRows<{ status: string; n: number }>(hq, 'SELECT status, COUNT(*) AS n FROM atomsync_inbox GROUP BY status');
  const of = (s: string) => Number(inbox.find((r) => r.status === s)?.n ?? 0);
  return { position: Number(m?.p ?? 0), pending: of('pending'), dead: of('dead') };
}

/**
 * When HQ applied its first resource, as a local Date.now() value, or null if
 * nothing is applied yet. The age is computed by MariaDB against its own clock,
 * so neither the clock nor the time zone of this process matters.
 */
export async function firstAppliedAt(hq: Pool): Promise<number | null> {
  const asked = Date.now();
  const [r] = await queryRows<{ us: number | null }>(hq, 'SELECT TIMESTAMPDIFF(MICROSECOND, MIN(synced_at), NOW(3)) AS us FROM atomsync_sync_state');
  const answered = Date.now();
  if (r?.us === null || r?.us === undefined) return null;
  return (asked + answered) / 2 - Number(r.us) / 1000;
}

export async function conflictCount(hq: Pool): Promise<number> {
  const [r] = await queryRows<{ n: number }>(hq, 'SELECT COUNT(*) AS n FROM atomsync_conflict');
  return Number(r.n);
}

export async function serverVersion(pool: Pool): Promise<string> {
  const [r] = await queryRows<{ v: string }>(pool, 'SELECT VERSION() AS v');
  return r.v;
}
