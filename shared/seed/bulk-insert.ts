// Multi-row INSERTs that hand back the generated keys. Seeding writes tens of
// thousands of rows, and one statement per row would spend its time on round
// trips, so rows go in hundreds at a time and their keys come back in one go.
import { queryRows } from '../db.ts';
import type { Pool, PoolConnection } from '../db.ts';
import type { ResultSetHeader } from 'mysql2/promise';

export type SqlValue = string | number | null;

/**
 * How the keys of a multi-row INSERT are learnt.
 * - `insertId`: InnoDB with innodb_autoinc_lock_mode 0 or 1 gives one statement's
 *   rows consecutive keys, so they are insertId, insertId + step, ...
 * - `lookup`: one SELECT by uuid after the insert; right under any lock mode
 *   (mode 2 interleaves concurrent inserts' keys).
 */
export type IdStrategy = 'insertId' | 'lookup';

export interface BulkOptions {
  idStrategy: IdStrategy;
  /** Rows per INSERT statement; 500 rows of obs are about 150 kB, far below max_allowed_packet. */
  rowsPerInsert: number;
}

export const DEFAULT_ROWS_PER_INSERT = 500;

/** Picks `insertId` when the server guarantees consecutive keys, else `lookup`. */
export async function detectIdStrategy(db: Pool | PoolConnection): Promise<IdStrategy> {
  const [v] = await queryRows<{ mode: number; step: number }>(
    db,
    'SELECT @@innodb_autoinc_lock_mode AS mode, @@auto_increment_increment AS step',
  );
  return Number(v.mode) <= 1 && Number(v.step) === 1 ? 'insertId' : 'lookup';
}

export class BulkInsertError extends Error {
  override name = 'BulkInsertError';
  constructor(
    readonly table: string,
    readonly expected: number,
    readonly got: number,
  ) {
    super(`bulk insert into ${table} wrote ${got} rows, expected ${expected}`);
  }
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Inserts through one connection (so inside its transaction) and counts the rows it wrote. */
export class BulkWriter {
  /** Rows written so far, over all tables (not counting the outbox rows triggers add). */
  rows = 0;

  constructor(
    readonly conn: PoolConnection,
    readonly opts: BulkOptions,
  ) {}

  async insert(table: string, columns: readonly string[], rows: SqlValue[][]): Promise<void> {
    for (const part of chunks(rows, this.opts.rowsPerInsert)) {
      const [res] = await this.conn.query<ResultSetHeader>(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ?`, [part]);
      if (res.affectedRows !== part.length) throw new BulkInsertError(table, part.length, res.affectedRows);
      this.rows += part.length;
    }
  }

  /** Inserts rows and returns their auto-increment keys, in row order. `columns` must include `uuid`. */
  async insertReturningIds(table: string, key: string, columns: readonly string[], rows: SqlValue[][]): Promise<number[]> {
    const uuidAt = columns.indexOf('uuid');
    if (uuidAt < 0) throw new Error(`insertReturningIds(${table}) needs a uuid column to find its rows by`);
    const ids: number[] = [];
    for (const part of chunks(rows, this.opts.rowsPerInsert)) {
      const [res] = await this.conn.query<ResultSetHeader>(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ?`, [part]);
      if (res.affectedRows !== part.length) throw new BulkInsertError(table, part.length, res.affectedRows);
      this.rows += part.length;
      if (this.opts.idStrategy === 'insertId') {
        for (let i = 0; i < part.length; i++) ids.push(res.insertId + i);
        continue;
      }
      const uuids = part.map((r) => r[uuidAt] as string);
      const found = await queryRows<{ id: number; uuid: string }>(this.conn, `SELECT ${key} AS id, uuid FROM ${table} WHERE uuid IN (?)`, [uuids]);
      const byUuid = new Map(found.map((r) => [r.uuid, Number(r.id)]));
      for (const u of uuids) {
        const id = byUuid.get(u);
        if (id === undefined) throw new BulkInsertError(table, part.length, found.length);
        ids.push(id);
      }
    }
    return ids;
  }
}
