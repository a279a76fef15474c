// Subscriptions configured by mistake (issue 18: "also when two parents or a cycle are configured
// by mistake ... prove it harmless"): three nodes, each reading both others' `all` feeds, so every
// node has two parents and every pair and the triangle are cycles, with writers at all three.
// Why it is harmless: an entry keeps the origin of the change across hops, so a node skips its
// own changes however they come back; a state it already holds is `unchanged`, written nowhere and
// so published nowhere; a state of its own come back is never taken again; and a conflict is
// decided by a rule every node applies alike. The test shows it: all three end with the same rows
// (verify, each against the other two), and once the writers stop, publishing stops everywhere.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { queryRows } from '../shared/db.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { openLiveContext, seedNode } from '../tools/seed/index.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { startLiveWrites } from './helpers/live-writes.ts';
import { atomsync, eventually, killAll, run, startPublisher } from './helpers/processes.ts';
import type { Proc } from './helpers/processes.ts';
import { dropQueues } from './helpers/queues.ts';
import { untilPublishingStops } from './helpers/settled.ts';

const REDIS = process.env.ATOMSYNC_TEST_REDIS ?? 'redis://127.0.0.1:6379';
type Pub = Awaited<ReturnType<typeof startPublisher>>;
/** How long the writers work while every node reads the others. */
const WRITING_MS = 15_000;

describe('three nodes each reading both others (two parents, cycles)', { timeout: 600_000 }, () => {
  const nodes: TestDb[] = [];
  const pubs: Pub[] = [];
  const subs: Proc[] = [];
  const queues: string[] = [];
  const tag = `${process.pid}-${Date.now()}`;
  const names = ['mesh-a', 'mesh-b', 'mesh-c'];
  const rows = <T>(db: TestDb, sql: string, p: unknown[] = []) => queryRows<T>(db.pool, sql, p);
  const count = async (db: TestDb, sql: string) => Number((await rows<{ n: number }>(db, sql))[0].n);
  const feedOf = (pub: Pub) => `http://peer:peer-secret@127.0.0.1:${pub.port}/openmrs/ws/atomfeed/all/recent`;

  before(async () => {
    for (const [i, name] of names.entries()) {
      const db = await freshDatabase(`mesh_${i}`);
      await migrate(db.pool, name);
      await seedNode(db.pool, { patients: 6, seed: `mesh-${i}` });
      nodes.push(db);
    }
    for (const db of nodes) pubs.push(await startPublisher(db.url, { users: 'peer:peer-secret' }));
  });

  after(async () => {
    killAll();
    await dropQueues(queues, REDIS);
    await Promise.all(nodes.map((d) => d.drop()));
  });

  test('every node ends with the same rows, each change applied once, and publishing stops when the writers stop', async (t) => {
    for (const [i, db] of nodes.entries()) {
      const queue = `atomsync-test-mesh-${i}-${tag}`;
      queues.push(queue);
      const others = pubs.filter((_, j) => j !== i).flatMap((p) => ['--feed', feedOf(p)]);
      subs.push(atomsync(['subscribe', '--db', db.url, '--node-id', names[i], '--redis', REDIS, '--queue', queue, '--poll-ms', '300', ...others]));
    }
    const writers = [];
    for (const [i, db] of nodes.entries()) writers.push(startLiveWrites(db.pool, await openLiveContext(db.pool, { seed: `mesh-live-${i}`, stream: `live-${tag}` }), 400));
    await new Promise((r) => setTimeout(r, WRITING_MS));
    const counts = await Promise.all(writers.map((w) => w.stop()));
    assert.ok(counts.every((c) => c.patients + c.visits + c.edits > 0), `every node wrote: ${JSON.stringify(counts)}`);

    // Settled: the same patients everywhere, then no node publishes anything more.
    const patients = async (db: TestDb) => (await rows<{ u: string }>(db, 'SELECT uuid AS u FROM person ORDER BY uuid')).map((r) => r.u).join(',');
    await eventually(async () => {
      const [a, b, c] = await Promise.all(nodes.map(patients));
      return a === b && b === c;
    }, 180_000, 'the three nodes to hold the same people');
    await untilPublishingStops(nodes, 90_000);

    for (const [i, db] of nodes.entries()) {
      const sources = nodes.filter((_, j) => j !== i).flatMap((d) => ['--source', d.url]);
      const v = await run(['verify', ...sources, '--target', db.url], 180_000);
      // Only the report, not the per-table progress: CI shows the first lines of a failure.
      assert.equal(v.code, 0, `${names[i]} against the other two:\n${v.out.split('\n').filter((l) => !l.startsWith('checked ')).join('\n')}`);
      // Each change is applied once in effect: a node publishes another node's change when it applies
      // it, so it holds at most as many events of that origin as the origin made itself. A change
      // taken from both parents, or bounced around a cycle, would show here as more.
      for (const [j, other] of nodes.entries()) {
        if (j === i) continue;
        const made = await count(other, `SELECT COUNT(*) AS n FROM atomsync_event WHERE origin = '${names[j]}'`);
        const passedOn = await count(db, `SELECT COUNT(*) AS n FROM atomsync_event WHERE origin = '${names[j]}'`);
        t.diagnostic(`${names[i]} published ${passedOn} of the ${made} events ${names[j]} made`);
        assert.ok(passedOn <= made, `${names[i]} published ${passedOn} events of ${names[j]}, which made ${made}`);
      }
      assert.equal(await count(db, "SELECT COUNT(*) AS n FROM atomsync_inbox WHERE status = 'dead'"), 0, `${names[i]} has no dead letters`);
    }
    for (const s of subs) assert.equal(s.child.exitCode, null, `a subscriber died:\n${s.output().slice(-2000)}`);
  });
});
