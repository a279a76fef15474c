// MariaDB connections. Dates travel as strings ('YYYY-MM-DD HH:MM:SS') and the
// session time zone is UTC, so no value is ever shifted by the process's zone.
import mysql from 'mysql2/promise';
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { DEFAULT_SERVER_FULL_WAIT_MS, waitWhenServerFull } from './db-patience.ts';

export type { Pool, PoolConnection, RowDataPacket };

/** Where a statement can run: the pool (autocommit), or a connection inside a transaction. */
export type Queryable = Pool | PoolConnection;

export interface PoolOptions {
  /** Connections kept open at most. */
  connectionLimit?: number;
  /** Idle connections kept at most; more are closed within a second (default: connectionLimit). */
  maxIdle?: number;
  /** An idle connection is closed after this long (with maxIdle below connectionLimit; default 60 s). */
  idleTimeoutMs?: number;
  /** How long a caller waits when the server refuses a connection (db-patience.ts); 0 fails at once. */
  serverFullWaitMs?: number;
}

export const DEFAULT_CONNECTION_LIMIT = 10;

/** Parses `mysql://user:pass@host:port/db` and says clearly what is wrong with a bad one. */
export function parseDbUrl(url: string): { host: string; port: number; user: string; password: string; database: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`not a database URL: expected mysql://user[:password]@host[:port]/database`);
  }
  if (u.protocol !== 'mysql:' && u.protocol !== 'mariadb:') {
    throw new Error(`database URL must start with mysql:// (got ${u.protocol}//)`);
  }
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]{1,64}$/.test(database)) {
    throw new Error(`database URL must name a database of letters, digits and _ (got "${database}")`);
  }
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username || 'root'),
    password: decodeURIComponent(u.password),
    database,
  };
}

export function openPool(url: string, opts: PoolOptions = {}): Pool {
  const c = parseDbUrl(url);
  const pool = mysql.createPool({
    ...c,
    connectionLimit: opts.connectionLimit ?? DEFAULT_CONNECTION_LIMIT,
    ...(opts.maxIdle !== undefined ? { maxIdle: opts.maxIdle } : {}),
    ...(opts.idleTimeoutMs !== undefined ? { idleTimeout: opts.idleTimeoutMs } : {}),
    dateStrings: true,
    timezone: 'Z',
    supportBigNumbers: true,
    charset: 'utf8mb4',
    enableKeepAlive: true,
  });
  const waitMs = opts.serverFullWaitMs ?? DEFAULT_SERVER_FULL_WAIT_MS;
  if (waitMs > 0) waitWhenServerFull(pool, waitMs);
  return pool;
}

/** Creates the database named in the URL when it does not exist yet. */
export async function ensureDatabase(url: string): Promise<void> {
  const { database, ...server } = parseDbUrl(url);
  const conn = await mysql.createConnection({ ...server });
  try {
    await conn.query(`CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4`);
  } finally {
    await conn.end();
  }
}

/** Drops the database named in the URL (tests and the demo only). */
export async function dropDatabase(url: string): Promise<void> {
  const { database, ...server } = parseDbUrl(url);
  const conn = await mysql.createConnection({ ...server });
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${database}\``);
  } finally {
    await conn.end();
  }
}

/** Runs `fn` in a transaction on one pooled connection; rolls back on any error. */
export async function inTransaction<T>(pool: Pool, fn: (conn: PoolConnection) => Promise<T>): Promise<T> {
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    const out = await fn(conn);
    await conn.commit();
    return out;
  } catch (err) {
    await conn.rollback().catch(() => undefined);
    throw err;
  } finally {
    conn.release();
  }
}

/** Deadlock, lock wait timeout: the transaction lost a race and rolled back. */
const RACE_ERRNOS = new Set([1213, 1205]);
/** The connection went away (killed, server gone or restarting, lost during a query): the transaction rolled back with it. */
const LOST_ERRNOS = new Set([1927, 2006, 2013, 1053]);
const LOST_CODES = new Set(['PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'EPIPE']);

/** The connection this error came from is gone (or unusable): it must not go back to the pool. */
export function isLostConnectionError(err: unknown): boolean {
  const e = err as { errno?: number; code?: string; fatal?: boolean } | null;
  if (LOST_ERRNOS.has(e?.errno ?? 0) || LOST_CODES.has(e?.code ?? '')) return true;
  // mysql2 marks every error that closed the connection `fatal`, including its refusal of
  // commands on a connection a fatal error already closed.
  return e?.fatal === true;
}

/** Worth running the whole transaction again: a deadlock, a lock wait timeout or a lost connection. */
export function isTransientDbError(err: unknown): boolean {
  return RACE_ERRNOS.has((err as { errno?: number } | null)?.errno ?? 0) || isLostConnectionError(err);
}

export interface RetryingTransactionOptions {
  /** Attempts in all (default 5). */
  attempts?: number;
  /** Which errors run the transaction again (default isTransientDbError). */
  retryable?: (err: unknown) => boolean;
  /** Session settings for this transaction, run on the connection before it begins. */
  before?: (conn: PoolConnection) => Promise<void>;
  /** Runs once the attempt is over, whatever happened; false means the connection must not be reused. */
  after?: (conn: PoolConnection) => Promise<boolean>;
  /** Called when an attempt failed and rolled back (before any next attempt). */
  onFailure?: (err: unknown, attempt: number) => void;
}

/**
 * One transaction at READ COMMITTED (a locking read of a uuid that is not there yet takes no gap
 * lock, so concurrent inserts of different rows into one table do not deadlock), run again on a
 * fresh connection when it lost a race or its connection. Running it again is safe for writers
 * whose every write is an upsert by uuid, even when the loss came after COMMIT reached the server:
 * the second run finds its rows there. A connection that was lost is destroyed, never pooled again.
 */
export async function retryingTransaction<T>(pool: Pool, fn: (conn: PoolConnection) => Promise<T>, o: RetryingTransactionOptions = {}): Promise<T> {
  const attempts = o.attempts ?? 5;
  const retryable = o.retryable ?? isTransientDbError;
  for (let i = 1; ; i++) {
    const conn = await pool.getConnection();
    let reusable = true;
    try {
      await o.before?.(conn);
      await conn.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
      await conn.beginTransaction();
      const out = await fn(conn);
      await conn.commit();
      return out;
    } catch (err) {
      if (isLostConnectionError(err)) reusable = false;
      else await conn.rollback().catch(() => (reusable = false));
      o.onFailure?.(err, i);
      if (!retryable(err) || i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, Math.random() * 20 * i));
    } finally {
      if (reusable && o.after) reusable = await o.after(conn).catch(() => false);
      if (reusable) conn.release();
      else conn.destroy();
    }
  }
}

export async function queryRows<T = Record<string, unknown>>(
  q: Queryable,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const [rows] = await q.query<RowDataPacket[]>(sql, params);
  return rows as unknown as T[];
}
