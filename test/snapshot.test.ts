// The snapshot's promises, against the real MariaDB: a live change is never shadowed by an
// older snapshot event (a row deleted while the snapshot runs never gets a CREATED after its
// DELETED), every row is published once, and the commands that ask for it behave.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Relay } from '../publisher/relay.ts';
import { SnapshotWorker } from '../publisher/snapshot.ts';
import { queryRows } from '../shared/db.ts';
import type { Pool } from '../shared/db.ts';
import { silentLogger } from '../shared/logger.ts';
import { loadRegistry } from '../shared/registry.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { readSnapshotStates, requestSnapshot } from '../shared/schema/snapshot-state.ts';
import { seedNode } from '../tools/seed/index.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { killAll, run, startPublisher, eventually } from './helpers/processes.ts';

const count = async (pool: Pool, sql: string, params: unknown[] = []) => Number((await queryRows<{ n: number }>(pool, sql, params))[0].n);

/** A clinic whose rows have no events, as if written before atomsync: seeded, then its log emptied. */
async function clinicWithHistory(prefix: string, patients: number): Promise<TestDb> {
  const db = await freshDatabase(prefix);
  await migrate(db.pool, 'clinic', { snapshot: false });
  await seedNode(db.pool, { patients, seed: prefix });
  await db.pool.query('DELETE FROM atomsync_outbox');
  await db.pool.query('DELETE FROM atomsync_event');
  return db;
}

describe('snapshot ordering against live deletes and edits', { timeout: 300_000 }, () => {
  let db: TestDb;
  before(async () => {
    db = await clinicWithHistory('snap_order', 30);
  });
  after(async () => {
    await db?.drop();
  });

  test('a row deleted while the snapshot runs never has a snapshot event after its DELETED; every other row has exactly one', async () => {
    const history = new Set((await queryRows<{ uuid: string }>(db.pool, 'SELECT uuid FROM obs')).map((r) => r.uuid));
    const registry = await loadRegistry(db.pool);
    await requestSnapshot(db.pool, ['obs']);
    // Obs nothing points at, in random order: what the clinic deletes while the snapshot runs.
    const leaves = (
      await queryRows<{ id: number; uuid: string }>(
        db.pool,
        `SELECT o.obs_id AS id, o.uuid FROM obs o LEFT JOIN obs c ON c.obs_group_id = o.obs_id OR c.previous_version = o.obs_id
         WHERE c.obs_id IS NULL ORDER BY RAND()`,
      )
    ).slice(0, 400);
    const relay = new Relay(db.pool, silentLogger, { nodeId: 'clinic', pollMs: 5 });
    const relayRun = relay.run();
    const worker = new SnapshotWorker(db.pool, registry, silentLogger, { nodeId: 'clinic', chunkRows: 3, idleCheckMs: 0 });
    const workerRun = worker.run();
    // Delete history obs (nothing points at them) and edit others as fast as it goes, while the snapshot runs.
    const deleted: string[] = [];
    const edited = new Set<string>();
    let edits = 0;
    const running = async () => (await count(db.pool, `SELECT COUNT(*) AS n FROM atomsync_snapshot WHERE status <> 'done'`)) > 0;
    while ((await running()) && leaves.length > 0) {
      const victim = leaves.pop()!;
      // A transaction that takes a moment to commit, as an application's does: the window in which
      // a snapshot without row locks would read the row and publish it after the DELETED.
      const conn = await db.pool.getConnection();
      try {
        await conn.beginTransaction();
        await conn.query('DELETE FROM obs WHERE obs_id = ?', [victim.id]);
        await new Promise((res) => setTimeout(res, 10));
        await conn.commit();
      } finally {
        conn.release();
      }
      deleted.push(victim.uuid);
      const target = leaves[Math.floor(Math.random() * leaves.length)];
      if (target) {
        const [r] = (await db.pool.query(`UPDATE obs SET comments = CONCAT('edited ', obs_id) WHERE obs_id = ?`, [target.id])) as unknown as [{ affectedRows: number }];
        edits += r.affectedRows;
        edited.add(target.uuid);
      }
      await new Promise((res) => setTimeout(res, 2));
    }
    await workerRun;
    await eventually(async () => (await count(db.pool, 'SELECT COUNT(*) AS n FROM atomsync_outbox')) === 0, 30_000, 'the relay to drain');
    relay.stop();
    await relayRun;
    assert.ok(deleted.length >= 20, `obs deleted during the snapshot: ${deleted.length}`);
    assert.ok(edits >= 20, `obs edited during the snapshot: ${edits}`);

    const events = await queryRows<{ seq: number; uuid: string; action: string }>(db.pool, `SELECT seq, uuid, action FROM atomsync_event WHERE resource = 'obs' ORDER BY seq`);
    const byUuid = new Map<string, Array<{ seq: number; action: string }>>();
    for (const e of events) byUuid.set(e.uuid, [...(byUuid.get(e.uuid) ?? []), { seq: Number(e.seq), action: e.action }]);
    let deletedBeforeReached = 0;
    for (const u of deleted) {
      const list = byUuid.get(u) ?? [];
      const del = list.find((e) => e.action === 'DELETED');
      assert.ok(del, `obs ${u} has its DELETED event (the relay folds a CREATED that comes after it into a CREATED: shadowed)`);
      const created = list.filter((e) => e.action === 'CREATED');
      assert.ok(created.every((c) => c.seq < del.seq), `obs ${u}: a snapshot event after its DELETED (${JSON.stringify(list)})`);
      assert.ok(created.length <= 1, `obs ${u} published once at most`);
      if (created.length === 0) deletedBeforeReached++;
    }
    // Every history row still there was published by the snapshot exactly once. (An edited one has
    // events of its own too, and the relay may fold the snapshot's into an edit of the same batch:
    // one event saying "changed" either way, never none.)
    const remaining = (await queryRows<{ uuid: string }>(db.pool, 'SELECT uuid FROM obs')).map((r) => r.uuid).filter((u) => history.has(u));
    for (const u of remaining) {
      const list = byUuid.get(u) ?? [];
      const created = list.filter((e) => e.action === 'CREATED');
      if (edited.has(u)) assert.ok(list.length >= 1 && created.length <= 1, `obs ${u}: ${JSON.stringify(list)}`);
      else assert.deepEqual(list.map((e) => e.action), ['CREATED'], `obs ${u}`);
    }
    // Both kinds of race happened: rows deleted before the snapshot reached them, and after.
    assert.ok(deletedBeforeReached > 0 && deletedBeforeReached < deleted.length, `deleted before reached: ${deletedBeforeReached} of ${deleted.length}`);
    const states = await readSnapshotStates(db.pool, registry);
    assert.ok(states.every((s) => s.status === 'done'));
  });
});

describe('asking for a snapshot', { timeout: 300_000 }, () => {
  let db: TestDb;
  before(async () => {
    db = await clinicWithHistory('snap_cmd', 6);
  });
  after(async () => {
    killAll();
    await db?.drop();
  });

  test('migrate --no-snapshot asks for none; a migrated database with no rows needs none', async () => {
    assert.equal(await count(db.pool, 'SELECT COUNT(*) AS n FROM atomsync_snapshot'), 0);
    const empty = await freshDatabase('snap_empty');
    try {
      const m = await run(['migrate', '--db', empty.url, '--node-id', 'empty']);
      assert.equal(m.code, 0, m.out);
      assert.doesNotMatch(m.out, /requested a snapshot/);
      assert.equal(await count(empty.pool, 'SELECT COUNT(*) AS n FROM atomsync_snapshot'), 0);
    } finally {
      await empty.drop();
    }
  });

  test('atomsync snapshot publishes every row of a resource, prints progress, and waits until they are events', async () => {
    const r = await run(['snapshot', '--db', db.url, '--resource', 'patient', '--resource', 'visit']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /snapshot: patient 6\/6 rows \(100%\) done/);
    assert.match(r.out, /snapshot done: \d+ rows of 2 resources published/);
    assert.equal(await count(db.pool, `SELECT COUNT(*) AS n FROM atomsync_event WHERE resource = 'patient'`), 6);
    assert.equal(await count(db.pool, `SELECT COUNT(*) AS n FROM atomsync_event WHERE resource = 'visit'`), await count(db.pool, 'SELECT COUNT(*) AS n FROM visit'));
    assert.equal(await count(db.pool, `SELECT COUNT(*) AS n FROM atomsync_event WHERE resource = 'obs'`), 0, 'only what was asked for');
    assert.equal(await count(db.pool, 'SELECT COUNT(*) AS n FROM atomsync_outbox'), 0);
  });

  test('a resource that is not one is refused with the list of those that are', async () => {
    const r = await run(['snapshot', '--db', db.url, '--resource', 'patients']);
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /--resource patients is not a resource \(one of .*location, .*obs.*\)/);
  });

  test('--request-only leaves the work to the running publisher, which picks it up by itself', async () => {
    const pub = await startPublisher(db.url);
    try {
      const before = await count(db.pool, `SELECT COUNT(*) AS n FROM atomsync_event WHERE resource = 'encounter'`);
      const r = await run(['snapshot', '--db', db.url, '--resource', 'encounter', '--request-only']);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /snapshot requested for encounter; the publisher of this database publishes it/);
      const encounters = await count(db.pool, 'SELECT COUNT(*) AS n FROM encounter');
      await eventually(
        async () => (await count(db.pool, `SELECT COUNT(*) AS n FROM atomsync_event WHERE resource = 'encounter'`)) === before + encounters,
        20_000,
        'the publisher to publish the requested snapshot',
      );
    } finally {
      await pub.stop();
    }
  });
});
