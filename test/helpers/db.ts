// Each test gets its own database on the real MariaDB, dropped afterwards.
import { randomBytes } from 'node:crypto';
import { dropDatabase, ensureDatabase, openPool } from '../../shared/db.ts';
import type { Pool } from '../../shared/db.ts';

export const DB_SERVER = process.env.ATOMSYNC_TEST_DB ?? 'mysql://root@127.0.0.1:3306';

export interface TestDb {
  url: string;
  pool: Pool;
  drop(): Promise<void>;
}

export async function freshDatabase(prefix = 't'): Promise<TestDb> {
  const name = `as_${prefix}_${randomBytes(4).toString('hex')}`.replace(/[^A-Za-z0-9_]/g, '_');
  const url = `${DB_SERVER}/${name}`;
  await ensureDatabase(url);
  const pool = openPool(url, { connectionLimit: 20 });
  return {
    url,
    pool,
    async drop() {
      await pool.end().catch(() => undefined);
      await dropDatabase(url);
    },
  };
}
