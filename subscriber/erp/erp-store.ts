// The two write primitives of the ERP sink: a transaction that is retried when
// it races another, and an upsert by uuid that says what it did.
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

/**
 * Writes `rec` into the row whose `keyColumn` is `key`, creating it when absent. Idempotent:
 * the same content again writes nothing ('unchanged'). With a `version` (the newest audit date
 * of the source), a row that already holds a newer version is left alone ('superseded'), so an
 * old state that arrives late cannot undo a newer one. Table and column names are ours, never input.
 */
export async function upsertRow(
  conn: PoolConnection,
  table: string,
  keyColumn: string,
  key: string,
  rec: Record<string, unknown>,
  version?: string | null,
): Promise<{ id: number; outcome: UpsertOutcome }> {
  const cols = Object.keys(rec);
  const vals = cols.map((c) => rec[c]);
  const versioned = version !== undefined;
  const [row] = await queryRows<{ id: number; same: number; newer: number | null }>(
    conn,
    `SELECT id, (${cols.map((c) => `${c} <=> ?`).join(' AND ')}) AS same, ${versioned ? 'source_version > ?' : 'NULL'} AS newer
     FROM ${table} WHERE ${keyColumn} = ? FOR UPDATE`,
    [...vals, ...(versioned ? [version] : []), key],
  );
  if (!row) {
    const all = [keyColumn, ...cols, ...(versioned ? ['source_version'] : [])];
    const [res] = await conn.query(
      `INSERT INTO ${table} (${all.join(', ')}, updated_at) VALUES (${all.map(() => '?').join(', ')}, UTC_TIMESTAMP(3))`,
      [key, ...vals, ...(versioned ? [version] : [])],
    );
    return { id: Number((res as { insertId: number }).insertId), outcome: 'applied' };
  }
  const id = Number(row.id);
  if (Number(row.newer) === 1) return { id, outcome: 'superseded' };
  if (Number(row.same) === 1) {
    // Same content at a newer version: remember the version, so a state between the two is refused too.
    if (versioned) await conn.query(`UPDATE ${table} SET source_version = ? WHERE id = ? AND NOT (source_version <=> ?)`, [version, id, version]);
    return { id, outcome: 'unchanged' };
  }
  await conn.query(
    `UPDATE ${table} SET ${cols.map((c) => `${c} = ?`).join(', ')}, updated_at = UTC_TIMESTAMP(3)${versioned ? ', source_version = ?' : ''} WHERE id = ?`,
    [...vals, ...(versioned ? [version] : []), id],
  );
  return { id, outcome: 'applied' };
}
