// MariaDB connections. Dates travel as strings ('YYYY-MM-DD HH:MM:SS') and the
// session time zone is UTC, so no value is ever shifted by the process's zone.
import mysql from 'mysql2/promise';
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';

export type { Pool, PoolConnection, RowDataPacket };

export interface PoolOptions {
  /** Connections kept open at most. */
  connectionLimit?: number;
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
  return mysql.createPool({
    ...c,
    connectionLimit: opts.connectionLimit ?? DEFAULT_CONNECTION_LIMIT,
    dateStrings: true,
    timezone: 'Z',
    supportBigNumbers: true,
    charset: 'utf8mb4',
    enableKeepAlive: true,
  });
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

export async function queryRows<T = Record<string, unknown>>(
  q: Pool | PoolConnection,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const [rows] = await q.query<RowDataPacket[]>(sql, params);
  return rows as unknown as T[];
}
