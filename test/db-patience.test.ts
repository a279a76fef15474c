// A pool on a server that refuses connections (shared/db-patience.ts), against the real MariaDB:
// a per-user connection limit stands in for a server whose max_connections many pools share.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mysql from 'mysql2/promise';
import { openPool, parseDbUrl } from '../shared/db.ts';
import type { Pool } from '../shared/db.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';

describe('a pool whose server refuses connections', () => {
  const user = `as_patient_${process.pid}`;
  const hosts = ['%', 'localhost', '127.0.0.1'];
  let db: TestDb;
  let url: string;
  const pools: Pool[] = [];
  const open = (serverFullWaitMs: number) => {
    const p = openPool(url, { connectionLimit: 10, serverFullWaitMs });
    pools.push(p);
    return p;
  };
  const limitUser = async (n: number) => {
    for (const h of hosts) await db.pool.query(`ALTER USER '${user}'@'${h}' WITH MAX_USER_CONNECTIONS ${n}`);
  };
  const burst = (pool: Pool, n: number) => Promise.allSettled(Array.from({ length: n }, (_, i) => pool.query('SELECT SLEEP(0.02), ? AS i', [i])));

  before(async () => {
    db = await freshDatabase('patience');
    const name = db.url.slice(db.url.lastIndexOf('/') + 1);
    for (const h of hosts) {
      await db.pool.query(`CREATE OR REPLACE USER '${user}'@'${h}' IDENTIFIED BY 'pw'`);
      await db.pool.query(`GRANT ALL ON \`${name}\`.* TO '${user}'@'${h}'`);
    }
    url = db.url.replace('://root@', `://${user}:pw@`);
    await limitUser(3);
  });
  after(async () => {
    await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
    for (const h of hosts) await db.pool.query(`DROP USER IF EXISTS '${user}'@'${h}'`);
    await db.drop();
  });

  test('a burst wider than the server allows is served by the connections it gives, none failing', async () => {
    const pool = open(10_000);
    const res = await burst(pool, 40);
    await pool.end();
    const failed = res.filter((r) => r.status === 'rejected');
    assert.equal(failed.length, 0, `failed: ${(failed[0] as PromiseRejectedResult | undefined)?.reason}`);
  });

  test('without patience the same burst fails (what the pool guards against)', async () => {
    const pool = open(0);
    const res = await burst(pool, 40);
    await pool.end();
    const failed = res.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    assert.ok(failed.length > 0, 'some queries were refused');
    assert.match(String(failed[0].reason), /max_user_connections/);
  });

  test('with no connection to be had, a query fails with the server\'s error once the wait is over, and works again after', async () => {
    const { host, port, database } = parseDbUrl(url);
    const held: mysql.Connection[] = [];
    try {
      for (let i = 0; i < 3; i++) held.push(await mysql.createConnection({ host, port, database, user, password: 'pw' }));
      const pool = open(600);
      const started = Date.now();
      await assert.rejects(pool.query('SELECT 1'), /max_user_connections/);
      const waited = Date.now() - started;
      assert.ok(waited >= 550 && waited < 5_000, `waited ${waited} ms`);
      await held.pop()!.end();
      const [rows] = await pool.query('SELECT 1 AS one');
      assert.deepEqual(rows, [{ one: 1 }]);
    } finally {
      await Promise.all(held.map((c) => c.end().catch(() => undefined)));
    }
  });
});
