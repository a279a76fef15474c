// A clinic with its publisher and an HQ whose `atomsync subscribe` serves its status
// page: the setting of the status page tests (HTTP and browser).
import { Redis } from 'ioredis';
import { request } from 'undici';
import { queryRows } from '../../shared/db.ts';
import type { Pool } from '../../shared/db.ts';
import { migrate } from '../../shared/schema/migrate.ts';
import { seedNode } from '../../tools/seed/index.ts';
import type { StatusReport } from '../../subscriber/status.ts';
import { freshDatabase } from './db.ts';
import type { TestDb } from './db.ts';
import { basic } from './http.ts';
import { atomsync, killAll, startPublisher, waitForOutput } from './processes.ts';
import type { Proc } from './processes.ts';

export const REDIS = process.env.ATOMSYNC_TEST_REDIS ?? 'redis://127.0.0.1:6379';
export const ADMIN = { username: 'admin', password: 'pw' };
export const ADMIN_AUTH = basic(ADMIN.username, ADMIN.password);

export interface StatusScenario {
  clinic: TestDb;
  hq: TestDb;
  sub: Proc;
  /** The status page, e.g. http://127.0.0.1:40123/ */
  url: string;
  /** The subscriber's feed key (the recent URL without credentials). */
  feed: string;
  cleanUp(): Promise<void>;
}

/**
 * Seeds a small clinic, starts its publisher, migrates an empty HQ and starts HQ's
 * subscriber with `--http-port 0`. `--max-attempts 1`: an event whose resource is
 * missing becomes a dead letter at once.
 */
export async function startStatusScenario(name: string): Promise<StatusScenario> {
  const queue = `atomsync-test-${name}-${process.pid}-${Date.now()}`;
  const [clinic, hq] = await Promise.all([freshDatabase(`${name}_clinic`), freshDatabase(`${name}_hq`)]);
  const cleanUp = async () => {
    killAll();
    const redis = new Redis(REDIS);
    const keys = await redis.keys(`bull:${queue}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await Promise.all([clinic.drop(), hq.drop()]);
  };
  try {
    await migrate(clinic.pool, 'field-a');
    await migrate(hq.pool, 'hq');
    await seedNode(clinic.pool, { patients: 2, seed: name });
    const pub = await startPublisher(clinic.url);
    const feed = `http://127.0.0.1:${pub.port}/openmrs/ws/atomfeed/all/recent`;
    const sub = atomsync([
      'subscribe', '--db', hq.url, '--node-id', 'hq', '--redis', REDIS, '--queue', queue,
      '--feed', feed.replace('http://', 'http://hq:hq-secret@'), '--poll-ms', '200', '--max-attempts', '1',
      '--http-port', '0', '--admin-users', `${ADMIN.username}:${ADMIN.password}`,
    ]);
    const url = await waitForOutput(sub, /^status page at (http:\/\/127\.0\.0\.1:[0-9]+\/)$/m, 30_000);
    return { clinic, hq, sub, url, feed, cleanUp };
  } catch (err) {
    await cleanUp();
    throw err;
  }
}

export async function statusJson(url: string): Promise<StatusReport> {
  const res = await request(url, { headers: { authorization: ADMIN_AUTH, accept: 'application/json' } });
  if (res.statusCode !== 200) throw new Error(`status page answered ${res.statusCode}: ${await res.body.text()}`);
  return (await res.body.json()) as StatusReport;
}

/** An event for a location that does not exist: its fetch answers 404. Returns the uuid. */
export async function announceMissingLocation(pool: Pool): Promise<string> {
  const uuid = crypto.randomUUID();
  await pool.query(`INSERT INTO atomsync_outbox (resource, uuid, action) VALUES ('location', ?, 'CREATED')`, [uuid]);
  return uuid;
}

/** Makes the location exist without announcing it: its outbox row goes in the same transaction. */
export async function createLocationSilently(pool: Pool, uuid: string, name: string): Promise<void> {
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    await conn.query(`INSERT INTO location (name, creator, date_created, uuid) VALUES (?, 1, UTC_TIMESTAMP(), ?)`, [name, uuid]);
    await conn.query(`DELETE FROM atomsync_outbox WHERE uuid = ?`, [uuid]);
    await conn.commit();
  } finally {
    conn.release();
  }
}

export async function count(pool: Pool, sql: string, params: unknown[] = []): Promise<number> {
  return Number((await queryRows<{ n: number }>(pool, sql, params))[0].n);
}
