// The row operations a patient merge is made of, on one connection inside the merge's
// transaction: move rows to the kept patient, copy a row, void rows. Every write is a plain
// UPDATE or INSERT, so atomsync's triggers publish each one as an ordinary change; an UPDATE
// that OpenMRS would audit sets changed_by and date_changed, so the merged state is the newer
// one everywhere (subscriber/conflict-rule.ts). Columns a database lacks (an older OpenMRS) are
// left out, and a table it lacks is skipped.
import { randomUUID } from 'node:crypto';
import type { ResultSetHeader } from 'mysql2/promise';
import { queryRows } from '../../shared/db.ts';
import type { PoolConnection } from '../../shared/db.ts';

export interface MergeSide {
  personId: number;
  uuid: string;
}

/** What one merge works on: both patients, who merges, when, and this database's columns. */
export interface MergeContext {
  conn: PoolConnection;
  keep: MergeSide;
  drop: MergeSide;
  userId: number;
  now: Date;
  /** Columns of each table this database has, in their order. */
  columns: Map<string, string[]>;
}

export const MERGE_TABLES = [
  'person', 'patient', 'visit', 'encounter', 'orders', 'encounter_diagnosis', 'obs', 'patient_program', 'conditions', 'allergy',
  'relationship', 'patient_identifier', 'person_name', 'person_address', 'person_attribute', 'person_merge_log',
] as const;

export async function readColumns(conn: PoolConnection): Promise<Map<string, string[]>> {
  const rows = await queryRows<{ t: string; c: string }>(
    conn,
    `SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS
     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?) ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    [[...MERGE_TABLES]],
  );
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.t, [...(out.get(r.t) ?? []), r.c]);
  return out;
}

export function has(ctx: MergeContext, table: string, column?: string): boolean {
  const cols = ctx.columns.get(table);
  return cols !== undefined && (column === undefined || cols.includes(column));
}

/** `, changed_by = ?, date_changed = ?` where the table has them (OpenMRS's save audits the change), with its values. */
function changedSet(ctx: MergeContext, table: string): { sql: string; params: unknown[] } {
  return has(ctx, table, 'date_changed') ? { sql: ', changed_by = ?, date_changed = ?', params: [ctx.userId, ctx.now] } : { sql: '', params: [] };
}

/**
 * Points the dropped patient's rows of `table` at the kept one (`column` holds the person id),
 * as OpenMRS's save of the moved object does; returns the uuids moved. `where` narrows (say,
 * not voided). Idempotent within the merge: a second call finds nothing left to move.
 */
export async function moveRows(ctx: MergeContext, table: string, column: string, where = ''): Promise<string[]> {
  if (!has(ctx, table)) return [];
  const cond = `${column} = ?${where ? ` AND ${where}` : ''}`;
  const rows = await queryRows<{ uuid: string }>(ctx.conn, `SELECT uuid FROM ${table} WHERE ${cond} FOR UPDATE`, [ctx.drop.personId]);
  if (rows.length === 0) return [];
  const changed = changedSet(ctx, table);
  await ctx.conn.query(`UPDATE ${table} SET ${column} = ?${changed.sql} WHERE ${cond}`, [ctx.keep.personId, ...changed.params, ctx.drop.personId]);
  return rows.map((r) => r.uuid);
}

/** A value or an SQL expression over the source row, for one column of a copy. */
export type CopyValue = { sql: string } | string | number | Date | null;

/**
 * Inserts a copy of one row (a new uuid, created now by the merging user, not voided, never
 * changed), with `overrides` for the columns that differ; returns the new row's key and uuid.
 */
export async function copyRow(ctx: MergeContext, table: string, key: string, id: number, overrides: Record<string, CopyValue>): Promise<{ id: number; uuid: string }> {
  const uuid = randomUUID();
  const fresh: Record<string, CopyValue> = {
    creator: ctx.userId, date_created: ctx.now, changed_by: null, date_changed: null,
    voided: 0, voided_by: null, date_voided: null, void_reason: null, uuid, ...overrides,
  };
  const cols = ctx.columns.get(table)!.filter((c) => c !== key);
  const params: unknown[] = [];
  const exprs = cols.map((c) => {
    if (!(c in fresh)) return c;
    const v = fresh[c];
    if (v !== null && typeof v === 'object' && 'sql' in v) return v.sql;
    params.push(v);
    return '?';
  });
  const [res] = await ctx.conn.query<ResultSetHeader>(
    `INSERT INTO ${table} (${cols.join(', ')}) SELECT ${exprs.join(', ')} FROM ${table} WHERE ${key} = ?`,
    [...params, id],
  );
  return { id: res.insertId, uuid };
}

/** Voids rows not voided yet, as OpenMRS's void handler does (voided_by, date_voided, void_reason); returns how many. */
export async function voidRows(ctx: MergeContext, table: string, where: string, params: unknown[], reason: string): Promise<number> {
  if (!has(ctx, table) || !has(ctx, table, 'voided')) return 0;
  const [res] = await ctx.conn.query<ResultSetHeader>(
    `UPDATE ${table} SET voided = 1, voided_by = ?, date_voided = ?, void_reason = ? WHERE voided = 0 AND ${where}`,
    [ctx.userId, ctx.now, reason, ...params],
  );
  return res.affectedRows;
}

/** The columns of a table that hold what a row says (not its key, owner, audit, lifecycle or uuid), to compare two rows' content. */
export function contentColumns(ctx: MergeContext, table: string, key: string, owner: string): string[] {
  const skip = new Set([key, owner, 'preferred', 'creator', 'date_created', 'changed_by', 'date_changed', 'voided', 'voided_by', 'date_voided', 'void_reason', 'uuid']);
  return (ctx.columns.get(table) ?? []).filter((c) => !skip.has(c));
}

/** Two rows' content as one comparable string. */
export function contentKey(row: Record<string, unknown>, cols: readonly string[]): string {
  return JSON.stringify(cols.map((c) => (row[c] instanceof Date ? (row[c] as Date).toISOString() : (row[c] ?? null))));
}
