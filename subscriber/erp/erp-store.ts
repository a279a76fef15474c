// The write primitives of the ERP sink: a transaction that is retried when it
// races another, and upserts by uuid, many rows at once, that say what they did.
import { isTransientDbError, queryRows, retryingTransaction } from '../../shared/db.ts';
import type { Pool, PoolConnection } from '../../shared/db.ts';

/** A duplicate key: two transactions inserted the same new uuid at once. On the next attempt the row exists and the careful path takes over. */
const DUPLICATE_KEY = 1062;

/**
 * One transaction on one connection (shared/db.ts retryingTransaction), run again when it lost a
 * race (deadlock, lock wait, duplicate key) or its connection.
 */
export function erpTransaction<T>(pool: Pool, fn: (conn: PoolConnection) => Promise<T>, attempts = 5): Promise<T> {
  return retryingTransaction(pool, fn, {
    attempts,
    retryable: (err) => isTransientDbError(err) || (err as { errno?: number } | null)?.errno === DUPLICATE_KEY,
  });
}

export type UpsertOutcome = 'applied' | 'unchanged' | 'superseded';

/** One row to upsert: its uuid key and columns (the same columns for every row of a call); its version when versioned. */
export interface UpsertInput {
  key: string;
  rec: Record<string, unknown>;
  version?: string | null;
}

interface Existing {
  id: number;
  same: boolean;
  newer: boolean;
}

/**
 * Writes each `rec` into the row whose `keyColumn` is its key, creating it when absent: one
 * locking read, one INSERT for the new rows, one for the changed. Idempotent: the same content
 * again writes nothing ('unchanged'). `versioned` (the column source_version holds the newest
 * audit date of the source): a row that already holds a newer version is left alone
 * ('superseded'), so an old state that arrives late cannot undo a newer one. Keys must be
 * distinct within a call. Table and column names are ours, never input.
 */
export async function upsertRows(
  conn: PoolConnection,
  table: string,
  keyColumn: string,
  rows: UpsertInput[],
  versioned: boolean,
): Promise<UpsertOutcome[]> {
  if (rows.length === 0) return [];
  if (new Set(rows.map((r) => r.key.toLowerCase())).size !== rows.length) throw new Error(`upsertRows(${table}): a key twice in one call`);
  const cols = Object.keys(rows[0].rec);
  const existing = await readExisting(conn, table, keyColumn, cols, rows, versioned);
  const fresh: UpsertInput[] = [];
  const changed: Array<UpsertInput & { id: number }> = [];
  const outcomes = rows.map((r): UpsertOutcome => {
    const e = existing.get(r.key.toLowerCase());
    if (!e) return fresh.push(r), 'applied';
    if (e.newer) return 'superseded';
    if (!e.same) return changed.push({ ...r, id: e.id }), 'applied';
    return 'unchanged';
  });
  const all = [keyColumn, ...cols, ...(versioned ? ['source_version'] : [])];
  const values = (r: UpsertInput) => [r.key, ...cols.map((c) => r.rec[c]), ...(versioned ? [r.version ?? null] : [])];
  const tuples = (n: number, width: number) => Array.from({ length: n }, () => `(${'?, '.repeat(width)}UTC_TIMESTAMP(3))`).join(', ');
  if (fresh.length > 0) {
    // A plain INSERT: a row another transaction has just added is a duplicate key, and the retry takes the careful path.
    await conn.query(`INSERT INTO ${table} (${all.join(', ')}, updated_at) VALUES ${tuples(fresh.length, all.length)}`, fresh.flatMap(values));
  }
  if (changed.length > 0) {
    // By id, on rows the read above locked: every one is a duplicate, so this only updates.
    await conn.query(
      `INSERT INTO ${table} (id, ${all.join(', ')}, updated_at) VALUES ${tuples(changed.length, all.length + 1)}
       ON DUPLICATE KEY UPDATE ${[...all.slice(1), 'updated_at'].map((c) => `${c} = VALUES(${c})`).join(', ')}`,
      changed.flatMap((r) => [r.id, ...values(r)]),
    );
  }
  // Same content at a newer version: remember the version, so a state between the two is refused too.
  const bumps = versioned ? rows.filter((_, i) => outcomes[i] === 'unchanged') : [];
  for (const r of bumps) {
    await conn.query(`UPDATE ${table} SET source_version = ? WHERE ${keyColumn} = ? AND NOT (source_version <=> ?)`, [r.version ?? null, r.key, r.version ?? null]);
  }
  return outcomes;
}

/**
 * The rows that exist, locked, and for each whether it holds the incoming content already and a
 * newer version. The comparisons are made by the database, against the incoming values as
 * literals (one CASE branch per key), so they follow the columns' types and collations.
 */
async function readExisting(
  conn: PoolConnection,
  table: string,
  keyColumn: string,
  cols: string[],
  rows: UpsertInput[],
  versioned: boolean,
): Promise<Map<string, Existing>> {
  const same = `(${cols.map((c) => `${c} <=> ?`).join(' AND ')})`;
  const caseOf = (expr: string) => `CASE ${keyColumn} ${rows.map(() => `WHEN ? THEN ${expr}`).join(' ')} END`;
  const params = [
    ...rows.flatMap((r) => [r.key, ...cols.map((c) => r.rec[c])]),
    ...(versioned ? rows.flatMap((r) => [r.key, r.version ?? null]) : []),
    rows.map((r) => r.key),
  ];
  const found = await queryRows<{ id: number; k: string; same: number; newer: number | null }>(
    conn,
    `SELECT id, ${keyColumn} AS k, ${caseOf(same)} AS same, ${versioned ? caseOf('source_version > ?') : 'NULL'} AS newer
     FROM ${table} WHERE ${keyColumn} IN (?) FOR UPDATE`,
    params,
  );
  return new Map(found.map((f) => [f.k.toLowerCase(), { id: Number(f.id), same: Number(f.same) === 1, newer: Number(f.newer) === 1 }]));
}

/** Deletes the rows whose `keyColumn` is one of `keys`; answers the keys (lower case) of those that were there. */
export async function deleteRows(conn: PoolConnection, table: string, keyColumn: string, keys: string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const held = await queryRows<{ u: string }>(conn, `SELECT ${keyColumn} AS u FROM ${table} WHERE ${keyColumn} IN (?) FOR UPDATE`, [keys]);
  if (held.length > 0) await conn.query(`DELETE FROM ${table} WHERE ${keyColumn} IN (?)`, [held.map((h) => h.u)]);
  return new Set(held.map((h) => h.u.toLowerCase()));
}
