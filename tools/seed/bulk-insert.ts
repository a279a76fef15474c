// Multi-row INSERTs that hand back the generated keys. Seeding writes tens of
// thousands of rows, and one statement per row would spend its time on round
// trips, so rows go in hundreds at a time and their keys come back in one go.
import { queryRows } from '../../shared/db.ts';
import type { Pool, PoolConnection } from '../../shared/db.ts';
import type { ResultSetHeader } from 'mysql2/promise';
import { SchemaShape } from './schema-shape.ts';

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
  /** The tables and columns the database has; rows for a table it lacks are skipped. Default: everything. */
  shape?: SchemaShape;
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
  /** Rows written so far, by table. */
  readonly byTable = new Map<string, number>();
  readonly shape: SchemaShape;

  constructor(
    readonly conn: PoolConnection,
    readonly opts: BulkOptions,
  ) {
    this.shape = opts.shape ?? SchemaShape.everything();
  }

  /** Whether the database has this table (rows for one it lacks are skipped). */
  has(table: string): boolean {
    return this.shape.has(table);
  }

  private count(table: string, n: number): void {
    this.rows += n;
    this.byTable.set(table, (this.byTable.get(table) ?? 0) + n);
  }

  /** The statement and rows for the columns the table has; null when it has no such table. */
  private shaped(table: string, columns: readonly string[], rows: SqlValue[][]): { sql: string; rows: SqlValue[][] } | null {
    const plan = this.shape.plan(table, columns);
    if (!plan) return null;
    const all = plan.from.length === columns.length;
    return {
      sql: `INSERT INTO ${table} (${plan.names.join(', ')}) VALUES ?`,
      rows: all ? rows : rows.map((r) => plan.from.map((i) => r[i])),
    };
  }

  async insert(table: string, columns: readonly string[], rows: SqlValue[][]): Promise<void> {
    const shaped = this.shaped(table, columns, rows);
    if (!shaped) return;
    for (const part of chunks(shaped.rows, this.opts.rowsPerInsert)) {
      const [res] = await this.conn.query<ResultSetHeader>(shaped.sql, [part]);
      if (res.affectedRows !== part.length) throw new BulkInsertError(table, part.length, res.affectedRows);
      this.count(table, part.length);
    }
  }

  /**
   * Inserts rows and returns their auto-increment keys, in row order (none when the
   * database has no such table). `columns` must include `uuid`.
   */
  async insertReturningIds(table: string, key: string, columns: readonly string[], rows: SqlValue[][]): Promise<number[]> {
    const uuidAt = columns.indexOf('uuid');
    if (uuidAt < 0) throw new Error(`insertReturningIds(${table}) needs a uuid column to find its rows by`);
    const shaped = this.shaped(table, columns, rows);
    if (!shaped) return [];
    const ids: number[] = [];
    for (const [n, part] of chunks(shaped.rows, this.opts.rowsPerInsert).entries()) {
      const [res] = await this.conn.query<ResultSetHeader>(shaped.sql, [part]);
      if (res.affectedRows !== part.length) throw new BulkInsertError(table, part.length, res.affectedRows);
      this.count(table, part.length);
      if (this.opts.idStrategy === 'insertId') {
        for (let i = 0; i < part.length; i++) ids.push(res.insertId + i);
        continue;
      }
      const uuids = rows.slice(n * this.opts.rowsPerInsert, n * this.opts.rowsPerInsert + part.length).map((r) => r[uuidAt] as string);
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
