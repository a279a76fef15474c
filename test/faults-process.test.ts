// Reliability: process-level faults survived. One clinic (a few thousand events
// of backlog, and live writes all along) and, per case, an empty HQ running
// `atomsync subscribe` as a real process while something goes wrong: the
// subscriber SIGKILLed ten times, Redis flushed and killed, its MariaDB
// connections killed mid-transaction, a second subscriber started by mistake.
// Afterwards HQ must hold exactly what the clinic holds (`atomsync verify`),
// with no dead letters, no conflict or superseded record (nothing applied twice
// with an effect), the same row counts, and its marker at the clinic's last event.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { DEFAULT_PAGE_SIZE } from '../shared/protocol.ts';
import { openPool, queryRows } from '../shared/db.ts';
import type { Pool } from '../shared/db.ts';
import { RESOURCE_NAMES, RESOURCES, tablesOf } from '../shared/resources.ts';
import { migrate, migrateSyncTables } from '../shared/schema/migrate.ts';
import { openLiveContext, seedNode } from '../tools/seed/index.ts';
import type { LiveContext } from '../tools/seed/index.ts';
import { MarkerStore } from '../subscriber/marker-store.ts';
import type { MarkerAdvance } from '../subscriber/marker-store.ts';
import { diverges, formatReport, verify } from '../tools/verify.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { startLiveWrites } from './helpers/live-writes.ts';
import { PrivateRedis } from './helpers/private-redis.ts';
import { atomsync, eventually, killAll, run, startPublisher } from './helpers/processes.ts';
import type { Proc } from './helpers/processes.ts';
import { announceMissingLocation, createLocationSilently } from './helpers/status-scenario.ts';
import { dropQueues } from './helpers/queues.ts';

const REDIS = process.env.ATOMSYNC_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const PATIENTS = 60; // about 3,900 events of backlog
const KILLS = 10;
const LIVE_EVERY_MS = 250; // a clinic transaction every quarter second or so: tens of events a second

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const dbName = (url: string) => new URL(url).pathname.slice(1);
const SYNCED_TABLES = [...new Set(RESOURCE_NAMES.flatMap((n) => tablesOf(RESOURCES[n]).map((t) => t.spec.table)))];

test('a marker moves only from where its reader left it, so a second subscriber cannot move it back', async () => {
  const db = await freshDatabase('fp_marker');
  try {
    await migrateSyncTables(db.pool, 'hq');
    const store = new MarkerStore(db.pool);
    const feed = 'http://127.0.0.1:1/openmrs/ws/atomfeed/all/recent';
    const at = (n: number): MarkerAdvance => ({
      lastEntryId: `tag:atomfeed.ict4h.org:e${n}`, lastPageUrl: feed.replace('recent', '1'), lastPosition: n, lastSeq: n,
      nextPageUrl: null, consumed: 1, newestChangedAt: null,
    });
    const point = (n: number) => ({ lastEntryId: `tag:atomfeed.ict4h.org:e${n}`, lastPosition: n });
    await store.recordPoll(feed, 'a poll before the first entry creates the row');
    assert.equal(await store.advance(feed, at(10), null), true, 'the first marker');
    assert.equal(await store.advance(feed, at(20), null), false, 'another reader that also started with none');
    assert.equal(await store.advance(feed, at(30), point(10)), true, 'the reader that wrote 10 moves on');
    assert.equal(await store.advance(feed, at(15), point(10)), false, 'a reader still at 10 cannot move it back');
    assert.equal((await store.get(feed))?.lastPosition, 30);
    assert.equal(await store.advance(feed, at(40), null), false);
    await db.pool.query('DELETE FROM atomsync_marker'); // an operator makes it read again from the start
    assert.equal(await store.advance(feed, at(5), point(30)), false, 'the reader notices, and starts again');
    assert.equal(await store.advance(feed, at(5), null), true);
  } finally {
    await db.drop();
  }
});

describe('faults survived: process faults during catch-up and live writes', { timeout: 900_000 }, () => {
  let clinic: TestDb;
  let ctx: LiveContext;
  let feed: string;
  /** Reads HQ's tables by qualified name from the clinic's database, so it never holds a connection to HQ's. */
  let probe: Pool;
  let privateRedis: PrivateRedis | null = null;
  const hqs: TestDb[] = [];
  const sharedQueues: string[] = [];
  const watchers = new Set<() => void>();

  before(async () => {
    clinic = await freshDatabase('fp_clinic');
    await migrate(clinic.pool, 'field-a');
    await seedNode(clinic.pool, { patients: PATIENTS, seed: 'faults-process' });
    ctx = await openLiveContext(clinic.pool, { seed: 'faults-process', stream: `live-${process.pid}-${Date.now()}` });
    const pub = await startPublisher(clinic.url, { pageSize: DEFAULT_PAGE_SIZE });
    feed = `http://hq:hq-secret@127.0.0.1:${pub.port}/openmrs/ws/atomfeed/all/recent`;
    probe = openPool(clinic.url, { connectionLimit: 8 });
  });

  after(async () => {
    for (const stop of watchers) stop();
    killAll();
    await privateRedis?.kill();
    await dropQueues(sharedQueues, REDIS);
    await probe?.end().catch(() => undefined);
    await Promise.all([clinic, ...hqs].map((d) => d?.drop()));
  });

  /**
   * An empty, migrated HQ. Migrated through a pool of its own, so hq.pool holds no connection
   * until the checks at the end: during a fault, every connection to HQ's database is the subscriber's.
   */
  async function newHq(tag: string): Promise<TestDb> {
    const hq = await freshDatabase(`fp_${tag}`);
    hqs.push(hq);
    const setup = openPool(hq.url, { connectionLimit: 2 });
    try {
      await migrate(setup, 'hq');
    } finally {
      await setup.end();
    }
    return hq;
  }

  function sharedQueue(tag: string): string {
    const q = `atomsync-test-faults-${tag}-${process.pid}-${Date.now()}`;
    sharedQueues.push(q);
    return q;
  }

  const subscribeArgs = (hq: TestDb, queue: string, redis = REDIS, extra: string[] = []) => [
    'subscribe', '--db', hq.url, '--node-id', 'hq', '--redis', redis, '--queue', queue, '--feed', feed,
    '--poll-ms', '200', '--retry-base-ms', '200', '--retry-max-ms', '1000', ...extra,
  ];

  const num = async (pool: Pool, sql: string, params: unknown[] = []) => Number((await queryRows<{ n: number }>(pool, sql, params))[0].n);
  /** Where HQ's marker stands (the `all` feed's position is the clinic's seq). */
  const hqPosition = (hq: TestDb) => num(probe, `SELECT COALESCE(MAX(last_position), 0) AS n FROM \`${dbName(hq.url)}\`.atomsync_marker`);
  const clinicSeq = () => num(probe, 'SELECT COALESCE(MAX(seq), 0) AS n FROM atomsync_event');
  const openTransactions = (hq: TestDb) =>
    num(probe, `SELECT COUNT(*) AS n FROM information_schema.INNODB_TRX t JOIN information_schema.PROCESSLIST p
      ON p.ID = t.trx_mysql_thread_id WHERE p.DB = ?`, [dbName(hq.url)]);
  const waiting = (hq: TestDb, uuid: string) =>
    num(probe, `SELECT COUNT(*) AS n FROM \`${dbName(hq.url)}\`.atomsync_inbox WHERE uuid = ? AND status = 'pending'`, [uuid]);
  const hqHas = (hq: TestDb, uuid: string) => num(probe, `SELECT COUNT(*) AS n FROM \`${dbName(hq.url)}\`.location WHERE uuid = ?`, [uuid]);

  /** Samples HQ's marker until stop(), which returns how often (and by how much at most) it moved backwards. */
  function watchMarker(hq: TestDb): { stop(): Promise<{ samples: number; backwards: number; worst: number }> } {
    let running = true;
    const seen = { samples: 0, backwards: 0, worst: 0 };
    watchers.add(() => (running = false)); // a failed test must not leave it sampling
    const loop = (async () => {
      let last = 0;
      while (running) {
        const p = await hqPosition(hq).catch(() => last);
        seen.samples++;
        if (p < last) {
          seen.backwards++;
          seen.worst = Math.max(seen.worst, last - p);
        }
        last = p;
        await sleep(20);
      }
    })();
    return {
      async stop() {
        running = false;
        await loop;
        return seen;
      },
    };
  }

  async function waitConverged(hq: TestDb, timeoutMs = 90_000): Promise<void> {
    await eventually(async () => !diverges(await verify([clinic.url], hq.url)), timeoutMs, 'HQ to converge').catch(async (err) => {
      const reports = await verify([clinic.url], hq.url);
      // The rows themselves, side by side, for the first few that differ: what a fix needs to know.
      const rows: string[] = [];
      for (const r of reports) {
        for (const u of r.examples.different.slice(0, 2)) {
          const [here, there] = await Promise.all([clinic.pool, hq.pool].map((p) => queryRows(p, `SELECT * FROM ${r.table} WHERE uuid = ?`, [u]).catch((e: Error) => e.message)));
          const state = await queryRows(hq.pool, 'SELECT * FROM atomsync_sync_state WHERE uuid = ?', [u]);
          rows.push(`${r.table} ${u}\n  clinic: ${JSON.stringify(here)}\n  hq:     ${JSON.stringify(there)}\n  hq sync state: ${JSON.stringify(state)}`);
        }
      }
      throw new Error(`${(err as Error).message}\n${formatReport(reports)}\n${rows.join('\n')}`);
    });
  }

  /** Everything the issue asks of HQ once the faults are over and the clinic has stopped writing. */
  async function assertSound(hq: TestDb): Promise<void> {
    const v = await run(['verify', '--source', clinic.url, '--target', hq.url]);
    assert.equal(v.code, 0, `verify found divergence:\n${v.out}`);
    assert.match(v.out, /OK: \d+ source rows checked/);
    const dead = await run(['failed', 'list', '--db', hq.url]);
    assert.equal(dead.code, 0, dead.out);
    assert.match(dead.out, /no dead letters/);
    const conflicts = await queryRows(hq.pool, 'SELECT resource, uuid, entry_id, winner FROM atomsync_conflict');
    assert.deepEqual(conflicts, [], 'an event applied twice (or late) left a conflict record');
    const superseded = await queryRows(hq.pool, 'SELECT resource, uuid, entry_id, incoming_version, local_version FROM atomsync_superseded');
    assert.deepEqual(superseded, [], 'an event applied twice (or late) left a superseded record');
    assert.equal(await num(hq.pool, 'SELECT COUNT(*) AS n FROM atomsync_inbox'), 0, 'nothing waits in the inbox');
    // Every write kept the clinic as its origin, even on a connection that was killed and replaced:
    // otherwise HQ's own feed would republish the clinic's changes as HQ's.
    assert.equal(await num(hq.pool, `SELECT COUNT(*) AS n FROM atomsync_outbox WHERE origin IS NULL OR origin <> 'field-a'`), 0,
      'a write at HQ lost its origin');
    const counts = async (pool: Pool) => {
      const out: Record<string, number> = {};
      for (const t of SYNCED_TABLES) out[t] = await num(pool, `SELECT COUNT(*) AS n FROM ${t}`);
      return out;
    };
    assert.deepEqual(await counts(hq.pool), await counts(clinic.pool), 'row counts at HQ equal the clinic\'s');
    await eventually(async () => (await hqPosition(hq)) === (await clinicSeq()), 20_000, "HQ's marker to reach the clinic's last event");
    const [m] = await queryRows<{ last_position: number; last_seq: number; next_page_url: string | null }>(
      hq.pool, 'SELECT last_position, last_seq, next_page_url FROM atomsync_marker',
    );
    assert.equal(Number(m.last_seq), Number(m.last_position), 'on the all feed, position and seq agree');
    // It rests on the working page: the page of its last entry, or, when the clinic's events fill
    // their last page exactly (1 run in 50), the empty page after it, polled by ETag from there.
    const seq = await clinicSeq();
    if (seq % DEFAULT_PAGE_SIZE === 0 && m.next_page_url !== null) {
      assert.match(m.next_page_url, new RegExp(`/all/${seq / DEFAULT_PAGE_SIZE + 1}$`), 'the marker rests on the working page');
    } else assert.equal(m.next_page_url, null, 'the marker rests on the working page');
  }

  /** Stops a subscriber that must have survived everything: still running, and exiting cleanly on SIGTERM. */
  async function stopSurvivor(sub: Proc, name = 'the subscriber'): Promise<void> {
    assert.equal(sub.child.exitCode, null, `${name} died:\n${sub.output()}`);
    const timer = setTimeout(() => sub.child.kill('SIGKILL'), 20_000);
    const code = await sub.stop('SIGTERM');
    clearTimeout(timer);
    assert.equal(code, 0, `${name} did not stop cleanly on SIGTERM:\n${sub.output()}`);
  }

  /**
   * After the faults and the live writes: HQ converges, passes every check, and the subscribers
   * that ran to the end stop cleanly. Returns how long each part took.
   */
  async function finish(hq: TestDb, subs: Proc[], marker: ReturnType<typeof watchMarker>): Promise<string> {
    const t0 = Date.now();
    try {
      await waitConverged(hq);
      const t1 = Date.now();
      await assertSound(hq);
      const t2 = Date.now();
      const m = await marker.stop();
      assert.equal(m.backwards, 0, `HQ's marker moved backwards ${m.backwards} times (by up to ${m.worst} events)`);
      for (const [i, s] of subs.entries()) await stopSurvivor(s, subs.length > 1 ? `subscriber ${i + 1}` : 'the subscriber');
      const logged = (re: RegExp) => subs.reduce((n, s) => n + (s.output().match(re) ?? []).length, 0);
      const why = new Map<string, number>();
      for (const s of subs) {
        for (const m of s.output().matchAll(/"msg":"event parked for retry".*?"error":"([^"]{0,80})/g)) why.set(m[1], (why.get(m[1]) ?? 0) + 1);
      }
      return `events parked for a retry: ${logged(/"msg":"event parked for retry"/g)} ${JSON.stringify(Object.fromEntries(why))}, ` +
        `feed back-offs: ${logged(/"msg":"reading the feed failed/g)}, ` +
        `marker sampled ${m.samples} times, never backwards; ` +
        `converged ${secs(t1 - t0)} after the faults, checks ${secs(t2 - t1)}`;
    } finally {
      await marker.stop();
      await Promise.all(subs.map((s) => s.stop('SIGKILL')));
    }
  }

  test('the subscriber SIGKILLed at random moments ten times in a row, restarted each time', { timeout: 240_000 }, async (t) => {
    const started = Date.now();
    const hq = await newHq('kill9');
    const marker = watchMarker(hq);
    const queue = sharedQueue('kill9');
    const live = startLiveWrites(clinic.pool, ctx, LIVE_EVERY_MS);
    const kills: Array<{ position: number; of: number; openTrx: number }> = [];
    try {
      for (let i = 0; i < KILLS; i++) {
        // Batches of 25: a catch-up reads thousands of events a second, and with batches of 200 the
        // backlog was gone after four or five restarts. Small batches keep it going through all ten,
        // and put many more commits (and open transactions) in the way of each kill.
        const sub = atomsync(subscribeArgs(hq, queue, REDIS, ['--entry-batch', '25']));
        const from = await hqPosition(hq);
        await eventually(async () => (await hqPosition(hq)) > from || sub.child.exitCode !== null, 60_000, `progress after start ${i + 1}`);
        assert.equal(sub.child.exitCode, null, sub.output());
        await sleep(Math.random() * 300);
        const [position, of, openTrx] = await Promise.all([hqPosition(hq), clinicSeq(), openTransactions(hq)]);
        await sub.stop('SIGKILL');
        kills.push({ position, of, openTrx });
      }
    } finally {
      await live.stop();
    }
    const sub = atomsync(subscribeArgs(hq, queue));
    const timing = await finish(hq, [sub], marker);
    // Live writes keep a caught-up subscriber a few dozen events behind; more than 200 is the backlog.
    const midCatchUp = kills.filter((k) => k.of - k.position > 200).length;
    t.diagnostic(`kills at marker/clinic seq: ${kills.map((k) => `${k.position}/${k.of}${k.openTrx ? '*' : ''}`).join(' ')} (* a transaction was open)`);
    t.diagnostic(`${midCatchUp}/${KILLS} kills during the catch-up, ${kills.filter((k) => k.openTrx > 0).length} with a transaction open; ` +
      `live writes ${JSON.stringify(live.counts)}; ${timing}; ${secs(Date.now() - started)} in all`);
    assert.ok(midCatchUp >= KILLS / 2, 'most kills should land during the catch-up');
  });

  test('Redis flushed and killed mid-run (a private redis-server), with events waiting for a retry', { timeout: 240_000 }, async (t) => {
    const started = Date.now();
    const redis = (privateRedis = await PrivateRedis.start());
    const hq = await newHq('redis');
    const marker = watchMarker(hq);
    const queue = `atomsync-test-faults-redis-${process.pid}`;
    // Events whose resource does not exist yet: they wait in HQ's inbox until the retry path brings them.
    const early = await announceMissingLocation(clinic.pool); // at the end of the backlog
    const live = startLiveWrites(clinic.pool, ctx, LIVE_EVERY_MS);
    const sub = atomsync(subscribeArgs(hq, queue, redis.url, ['--max-attempts', '60', '--retry-base-ms', '300', '--retry-max-ms', '2000']));
    const faults: string[] = [];
    let retryMs = 0;
    try {
      await eventually(async () => (await hqPosition(hq)) > 300, 60_000, 'catch-up to be under way');
      await redis.flushAll();
      faults.push(`FLUSHALL at ${await hqPosition(hq)}/${await clinicSeq()}`);
      const mark = await hqPosition(hq);
      await eventually(async () => (await hqPosition(hq)) > mark + 300, 60_000, 'catch-up to go on after FLUSHALL');
      await redis.kill();
      faults.push(`SIGKILL at ${await hqPosition(hq)}/${await clinicSeq()}`);
      const late = await announceMissingLocation(clinic.pool); // parked while Redis is down: its retry cannot be scheduled
      await sleep(1_500);
      await redis.restart();
      faults.push(`back at ${await hqPosition(hq)}/${await clinicSeq()}`);
      await eventually(async () => (await waiting(hq, early)) + (await waiting(hq, late)) === 2, 60_000, 'both events to wait in the inbox');
      // Their scheduled retries are lost with Redis, then the resources appear without a new event.
      await redis.flushAll();
      await createLocationSilently(clinic.pool, early, 'Late clinic (flushed)');
      await redis.kill();
      await createLocationSilently(clinic.pool, late, 'Late clinic (Redis down)');
      const appeared = Date.now();
      await sleep(1_500);
      await redis.restart();
      await eventually(async () => (await hqHas(hq, early)) + (await hqHas(hq, late)) === 2, 60_000, 'the retries after Redis came back empty');
      retryMs = Date.now() - appeared;
    } finally {
      await live.stop();
    }
    const timing = await finish(hq, [sub], marker);
    t.diagnostic(`${faults.join(', ')}; waiting events applied ${secs(retryMs)} after they became fetchable; ` +
      `${timing}; ${secs(Date.now() - started)} in all`);
  });

  test("the subscriber's MariaDB connections killed mid-transaction during catch-up", { timeout: 240_000 }, async (t) => {
    const started = Date.now();
    const hq = await newHq('killconn');
    const marker = watchMarker(hq);
    const queue = sharedQueue('killconn');
    const live = startLiveWrites(clinic.pool, ctx, LIVE_EVERY_MS);
    const sub = atomsync(subscribeArgs(hq, queue));
    const rounds: Array<{ position: number; of: number; killed: number; inTrx: number }> = [];
    try {
      await eventually(async () => (await hqPosition(hq)) > 0, 60_000, 'catch-up to be under way');
      for (let round = 0; round < 5; round++) {
        // Wait (briefly) for a transaction to be open, so the kill lands inside one. InnoDB refreshes
        // what INNODB_TRX shows only after 100 ms without a read of it, so it is polled more slowly.
        let conns: Array<{ id: number; trx: number | null }> = [];
        for (const deadline = Date.now() + 4_000; Date.now() < deadline; await sleep(120)) {
          conns = await queryRows<{ id: number; trx: number | null }>(probe,
            `SELECT p.ID AS id, t.trx_mysql_thread_id AS trx FROM information_schema.PROCESSLIST p
             LEFT JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = p.ID WHERE p.DB = ?`, [dbName(hq.url)]);
          if (conns.some((c) => c.trx !== null)) break;
        }
        // Those inside a transaction first, all at once; then the rest. One may have gone already.
        const kill = (cs: typeof conns) => Promise.all(cs.map((c) => probe.query(`KILL CONNECTION ${Number(c.id)}`).catch(() => undefined)));
        await kill(conns.filter((c) => c.trx !== null));
        await kill(conns.filter((c) => c.trx === null));
        const [position, of] = await Promise.all([hqPosition(hq), clinicSeq()]);
        rounds.push({ position, of, killed: conns.length, inTrx: conns.filter((c) => c.trx !== null).length });
        // Some work between rounds (a killed batch is applied again one event at a time, in short transactions).
        await sleep(1_200 + Math.random() * 800);
      }
    } finally {
      await live.stop();
    }
    const timing = await finish(hq, [sub], marker);
    t.diagnostic(`rounds (marker/clinic seq: connections killed, of them in a transaction): ` +
      `${rounds.map((r) => `${r.position}/${r.of}: ${r.killed}, ${r.inTrx}`).join('; ')}; ${timing}; ${secs(Date.now() - started)} in all`);
    assert.ok(rounds.some((r) => r.inTrx > 0), 'at least one connection was killed inside a transaction');
    assert.ok(rounds.some((r) => r.position < r.of), 'at least one round landed during the catch-up');
  });

  test('two subscribers started on the same database and feeds by mistake', { timeout: 240_000 }, async (t) => {
    const started = Date.now();
    const hq = await newHq('twice');
    const marker = watchMarker(hq);
    const queue = sharedQueue('twice');
    const live = startLiveWrites(clinic.pool, ctx, LIVE_EVERY_MS);
    const subs = [atomsync(subscribeArgs(hq, queue)), atomsync(subscribeArgs(hq, queue))];
    let catchUpMs = 0;
    try {
      const target = await clinicSeq();
      await eventually(async () => (await hqPosition(hq)) >= target, 90_000, 'the catch-up under both subscribers');
      catchUpMs = Date.now() - started;
      await sleep(2_000); // both follow live writes for a while
    } finally {
      await live.stop();
    }
    const timing = await finish(hq, subs, marker);
    t.diagnostic(`catch-up of the backlog with both running ${secs(catchUpMs)}; ` +
      `${timing}; ${secs(Date.now() - started)} in all`);
  });
});
