// HQ on several processes: three `atomsync subscribe --share-feeds` processes on one HQ database
// and one Redis read three clinics' feeds, while the clinics keep writing. Each feed is a BullMQ
// job; a process reads only the feeds whose jobs it holds. Two of the processes are SIGKILLed in
// turn (and started again): their feeds must move to the survivors within seconds, no feed may be
// read by two processes at once (checked from each process's own log of what it took and handed
// back), and HQ must end with exactly what the clinics hold, markers at their last events.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { DEFAULT_PAGE_SIZE } from '../shared/protocol.ts';
import { openPool, queryRows } from '../shared/db.ts';
import type { Pool } from '../shared/db.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { openLiveContext, seedNode } from '../tools/seed/index.ts';
import { diverges, verify } from '../tools/verify.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { startLiveWrites } from './helpers/live-writes.ts';
import { atomsync, eventually, killAll, run, startPublisher } from './helpers/processes.ts';
import type { Proc } from './helpers/processes.ts';
import { dropQueues } from './helpers/queues.ts';

const REDIS = process.env.ATOMSYNC_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const CLINICS = 3;
const PATIENTS = 40;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Hold {
  proc: number;
  feed: string;
  from: number;
  to: number;
}

/** What one process's log says it held: each feed from "took a feed" to "handed a feed back" (or to its death). */
function holdsOf(proc: number, output: string, diedAt: number | null): Hold[] {
  const holds: Hold[] = [];
  const open = new Map<string, number>();
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    let rec: { t: string; msg: string; feed?: string };
    try {
      rec = JSON.parse(line);
    } catch {
      continue;
    }
    if (!rec.feed) continue;
    const t = Date.parse(rec.t);
    if (rec.msg === 'took a feed') open.set(rec.feed, t);
    if (rec.msg === 'handed a feed back' && open.has(rec.feed)) {
      holds.push({ proc, feed: rec.feed, from: open.get(rec.feed)!, to: t });
      open.delete(rec.feed);
    }
  }
  for (const [feed, from] of open) holds.push({ proc, feed, from, to: diedAt ?? Date.now() });
  return holds;
}

describe('HQ on three processes sharing the feeds through BullMQ, two of them killed', { timeout: 600_000 }, () => {
  const clinics: TestDb[] = [];
  const feeds: string[] = [];
  let hq: TestDb;
  let probe: Pool;
  const nodeId = `hq-share-${process.pid}`;
  const retryQueue = `atomsync-test-share-retry-${process.pid}-${Date.now()}`;
  const feedsQueue = `atomsync-test-share-feeds-${process.pid}-${Date.now()}`;

  before(async () => {
    for (let i = 0; i < CLINICS; i++) {
      const c = await freshDatabase(`sf_clinic${i}`);
      clinics.push(c);
      await migrate(c.pool, `clinic-${i}`);
      await seedNode(c.pool, { patients: PATIENTS, seed: `share-${i}` });
      const pub = await startPublisher(c.url, { pageSize: DEFAULT_PAGE_SIZE });
      feeds.push(`http://hq:hq-secret@127.0.0.1:${pub.port}/openmrs/ws/atomfeed/all/recent`);
    }
    hq = await freshDatabase('sf_hq');
    await migrate(hq.pool, nodeId);
    probe = openPool(hq.url, { connectionLimit: 4 });
  });

  after(async () => {
    killAll();
    await dropQueues([retryQueue, feedsQueue], REDIS);
    await probe?.end().catch(() => undefined);
    await Promise.all([hq, ...clinics].map((d) => d?.drop()));
  });

  const subscriber = () =>
    atomsync(
      ['subscribe', '--db', hq.url, '--node-id', nodeId, '--redis', REDIS, '--queue', retryQueue, '--share-feeds', '--feeds-queue', feedsQueue,
        ...feeds.flatMap((f) => ['--feed', f])],
      { ATOMSYNC_LOG_LEVEL: 'info' },
    );
  const num = async (pool: Pool, sql: string) => Number((await queryRows<{ n: number }>(pool, sql))[0].n);
  const feedsTaken = (p: Proc) => new Set(holdsOf(0, p.output(), null).filter((h) => h.to >= Date.now() - 50).map((h) => h.feed));

  test('sharing is refused with --once, without Redis, and --feeds-queue alone, each with what to do', async () => {
    const base = ['subscribe', '--db', hq.url, '--feed', feeds[0]];
    const once = await run([...base, '--share-feeds', '--once']);
    assert.equal(once.code, 2, once.out);
    assert.match(once.out, /--share-feeds is for a subscriber that keeps running; --once reads every feed itself/);
    const alone = await run([...base, '--feeds-queue', 'q']);
    assert.equal(alone.code, 2, alone.out);
    assert.match(alone.out, /--feeds-queue goes with --share-feeds/);
    const noRedis = await run([...base, '--share-feeds', '--redis', 'redis://127.0.0.1:1']);
    assert.equal(noRedis.code, 1, noRedis.out);
    assert.match(noRedis.out, /--share-feeds needs Redis, and redis:\/\/127\.0\.0\.1:1 did not answer/);
  });

  test('each feed is read by one process at a time; a killed process\'s feeds move to the others; HQ converges', async (t) => {
    const ctxs = await Promise.all(clinics.map((c, i) => openLiveContext(c.pool, { seed: `share-${i}`, stream: `live-${process.pid}-${Date.now()}` })));
    const writers = clinics.map((c, i) => startLiveWrites(c.pool, ctxs[i], 300));
    const procs: Array<{ p: Proc; diedAt: number | null }> = [0, 1, 2].map(() => ({ p: subscriber(), diedAt: null }));
    const takeovers: number[] = [];
    const rebalances: number[] = [];
    try {
      // Three feeds, three processes: each takes its share, one feed.
      await eventually(async () => {
        const gone = procs.findIndex(({ p }) => p.child.exitCode !== null);
        if (gone >= 0) throw new Error(`process ${gone} exited`);
        return procs.every(({ p }) => feedsTaken(p).size === 1);
      }, 90_000, 'every process to hold one feed').catch((err) => {
        throw new Error(`${(err as Error).message}\n${procs.map(({ p }, i) => `--- process ${i}\n${p.output().slice(-3000)}`).join('\n')}`);
      });
      for (const victim of [0, 1]) {
        await sleep(3_000); // it works for a while
        const held = [...feedsTaken(procs[victim].p)];
        assert.equal(held.length, 1, `process ${victim} holds one feed`);
        procs[victim].p.child.kill('SIGKILL');
        procs[victim].diedAt = Date.now();
        await procs[victim].p.exited;
        // Another process takes the dead one's feed: after its lock runs out and a stalled check.
        await eventually(
          async () => procs.some(({ p, diedAt }) => diedAt === null && feedsTaken(p).has(held[0])),
          60_000,
          `the feed of killed process ${victim} to move to another`,
        );
        takeovers.push(Date.now() - procs[victim].diedAt!);
        procs.push({ p: subscriber(), diedAt: null }); // started again, as an operator would
        // The newcomer gets its share: the survivor holding two hands one over.
        const restarted = Date.now();
        await eventually(
          async () => procs.filter((x) => x.diedAt === null).every(({ p }) => feedsTaken(p).size === 1),
          60_000,
          'the feeds to spread over the three processes again',
        );
        rebalances.push(Date.now() - restarted);
      }
      await sleep(3_000);
    } finally {
      await Promise.all(writers.map((w) => w.stop()));
    }
    // Everything the clinics wrote reaches HQ.
    await eventually(async () => !diverges(await verify(clinics.map((c) => c.url), hq.url)), 120_000, 'HQ to converge');
    for (const [i, c] of clinics.entries()) {
      const seq = await num(c.pool, 'SELECT COALESCE(MAX(seq), 0) AS n FROM atomsync_event');
      const key = feeds[i].replace('hq:hq-secret@', '');
      await eventually(
        async () => Number((await queryRows<{ p: number }>(probe, 'SELECT last_position AS p FROM atomsync_marker WHERE feed_url = ?', [key]))[0]?.p) === seq,
        30_000,
        `the marker of clinic ${i} to reach its last event`,
      );
    }
    const v = await run(['verify', ...clinics.flatMap((c) => ['--source', c.url]), '--target', hq.url]);
    assert.equal(v.code, 0, v.out);
    const dead = await run(['failed', 'list', '--db', hq.url]);
    assert.match(dead.out, /no dead letters/);

    // A survivor stopped with SIGTERM hands its feeds back at once: they do not wait for a lock to expire.
    const survivors = procs.filter((x) => x.diedAt === null);
    const leaving = survivors.find((x) => feedsTaken(x.p).size > 0)!;
    const handed = [...feedsTaken(leaving.p)];
    const stoppedAt = Date.now();
    assert.equal(await leaving.p.stop('SIGTERM'), 0, leaving.p.output().slice(-3000));
    leaving.diedAt = Date.now();
    await eventually(
      async () => handed.every((f) => survivors.some((x) => x.diedAt === null && feedsTaken(x.p).has(f))),
      30_000,
      'the stopped process\'s feeds to move to the others',
    );
    const gracefulMs = Date.now() - stoppedAt;
    for (const x of survivors.filter((s) => s.diedAt === null)) {
      assert.equal(await x.p.stop('SIGTERM'), 0, x.p.output().slice(-3000));
      x.diedAt = Date.now();
    }

    // No two processes held one feed at the same time, and none lost a hold it still used.
    const holds = procs.flatMap(({ p, diedAt }, i) => holdsOf(i, p.output(), diedAt));
    for (const a of holds) {
      for (const b of holds) {
        if (a.proc >= b.proc || a.feed !== b.feed) continue;
        assert.ok(a.to <= b.from || b.to <= a.from, `feed ${a.feed} held by processes ${a.proc} and ${b.proc} at once: ${JSON.stringify([a, b])}`);
      }
    }
    for (const [i, { p }] of procs.entries()) {
      assert.doesNotMatch(p.output(), /lost the hold on a feed|moved by another process/, `process ${i}`);
    }
    assert.ok(takeovers.every((ms) => ms < 30_000), `takeovers ${takeovers.join(', ')} ms`);
    t.diagnostic(`killed processes' feeds taken over after ${takeovers.map((ms) => (ms / 1000).toFixed(1)).join(' and ')} s; ` +
      `a stopped process's after ${(gracefulMs / 1000).toFixed(1)} s; a restarted process had its share after ` +
      `${rebalances.map((ms) => (ms / 1000).toFixed(1)).join(' and ')} s; ${holds.length} holds, none overlapping`);
  });
});
