// End to end with real processes: two clinics (each its own database and
// `atomsync publish`), HQ running `atomsync subscribe`, all against the real
// MariaDB and Redis. Every scenario ends with `atomsync verify` finding no divergence.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { queryRows } from '../shared/db.ts';
import type { Pool } from '../shared/db.ts';
import { RESOURCE_NAMES } from '../shared/resources.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { createPatient, createVisitWithEncounter, editPatientName, openLiveContext, seedNode, voidEncounter } from '../tools/seed/index.ts';
import type { LiveContext } from '../tools/seed/index.ts';
import { diverges, formatReport, verify } from '../tools/verify.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { atomsync, eventually, killAll, run, startPublisher } from './helpers/processes.ts';
import type { Proc } from './helpers/processes.ts';

const REDIS = process.env.ATOMSYNC_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const CATEGORIES: readonly string[] = RESOURCE_NAMES;

type Pub = Awaited<ReturnType<typeof startPublisher>>;

describe('sync end to end: two clinics and HQ', { timeout: 600_000 }, () => {
  let a: TestDb, b: TestDb, hq: TestDb;
  let pubA: Pub, pubB: Pub;
  let ctxA: LiveContext, ctxB: LiveContext;
  const queue = `atomsync-test-${process.pid}-${Date.now()}`;
  const feedOf = (pub: Pub, category = 'all', who = 'hq:hq-secret') => `http://${who}@127.0.0.1:${pub.port}/openmrs/ws/atomfeed/${category}/recent`;
  const hqArgs = (extra: string[] = []) => [
    'subscribe', '--db', hq.url, '--node-id', 'hq', '--redis', REDIS, '--queue', queue,
    '--feed', feedOf(pubA), '--feed', feedOf(pubB), '--poll-ms', '200', '--retry-base-ms', '200', '--retry-max-ms', '1000', ...extra,
  ];

  /** `atomsync verify` must exit 0: every row of A and B is at HQ, identical, and nothing else. */
  async function assertConverged(target = hq.url) {
    const r = await run(['verify', '--source', a.url, '--source', b.url, '--target', target]);
    assert.equal(r.code, 0, `verify found divergence:\n${r.out}`);
    assert.match(r.out, /OK: \d+ source rows checked/);
  }

  async function waitConverged(timeoutMs = 60_000) {
    await eventually(async () => !diverges(await verify([a.url, b.url], hq.url)), timeoutMs, 'HQ to converge').catch(async (err) => {
      throw new Error(`${(err as Error).message}\n${formatReport(await verify([a.url, b.url], hq.url))}`);
    });
  }

  const count = async (pool: Pool, sql: string, params: unknown[] = []) => Number((await queryRows<{ n: number }>(pool, sql, params))[0].n);

  before(async () => {
    [a, b, hq] = await Promise.all([freshDatabase('e2e_a'), freshDatabase('e2e_b'), freshDatabase('e2e_hq')]);
    await migrate(a.pool, 'field-a');
    await migrate(b.pool, 'field-b');
    await migrate(hq.pool, 'hq');
    await seedNode(a.pool, { patients: 12, seed: 'e2e' });
    await seedNode(b.pool, { patients: 8, seed: 'e2e' });
    ctxA = await openLiveContext(a.pool, { seed: 'e2e', stream: `live-${Date.now()}` });
    ctxB = await openLiveContext(b.pool, { seed: 'e2e', stream: `live-${Date.now()}` });
    [pubA, pubB] = await Promise.all([startPublisher(a.url), startPublisher(b.url)]);
  });

  after(async () => {
    killAll();
    const redis = new Redis(REDIS);
    const keys = await redis.keys(`bull:${queue}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await Promise.all([a, b, hq].map((d) => d?.drop()));
  });

  test('catch-up from empty with --once', async () => {
    const r = await run(hqArgs(['--once']));
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /caught up: \d+ applied, 0 waiting for a retry, 0 dead letters/);
    await assertConverged();
    // HQ records what it applied with the clinic as origin, so its own feed will not echo it back.
    assert.equal(await count(hq.pool, `SELECT COUNT(*) AS n FROM atomsync_outbox WHERE origin IS NULL OR origin = 'hq'`), 0);
    assert.ok((await count(hq.pool, `SELECT COUNT(*) AS n FROM atomsync_outbox WHERE origin = 'field-a'`)) > 0);
  });

  test('running again applies nothing and changes nothing', async () => {
    const before = await count(hq.pool, 'SELECT COUNT(*) AS n FROM atomsync_outbox');
    const r = await run(hqArgs(['--once']));
    assert.match(r.out, /caught up: 0 applied/);
    assert.equal(await count(hq.pool, 'SELECT COUNT(*) AS n FROM atomsync_outbox'), before, 'no write at all');
    await assertConverged();
  });

  describe('with the subscriber running', () => {
    let sub: Proc;
    before(() => {
      sub = atomsync(hqArgs());
    });
    after(async () => {
      await sub.stop();
    });

    test('live changes, updates and voids reach HQ', async () => {
      const p = await createPatient(a.pool, ctxA);
      const v = await createVisitWithEncounter(a.pool, ctxA, p.patientId);
      assert.equal(await editPatientName(a.pool, ctxA, p.patientId), true);
      const pb = await createPatient(b.pool, ctxB);
      const vb = await createVisitWithEncounter(b.pool, ctxB, pb.patientId);
      assert.equal((await voidEncounter(b.pool, ctxB, vb.encounterId)).voided, true);
      await waitConverged();
      const [enc] = await queryRows<{ voided: number }>(
        hq.pool, 'SELECT e.voided FROM encounter e WHERE e.uuid = (SELECT uuid FROM encounter WHERE encounter_id = ? LIMIT 1)', [0],
      ).catch(() => [{ voided: 0 }]);
      void enc;
      const [voided] = await queryRows<{ uuid: string }>(b.pool, 'SELECT uuid FROM encounter WHERE encounter_id = ?', [vb.encounterId]);
      assert.equal(await count(hq.pool, 'SELECT COUNT(*) AS n FROM encounter WHERE uuid = ? AND voided = 1', [voided.uuid]), 1);
      assert.equal(await count(hq.pool, `SELECT COUNT(*) AS n FROM obs o JOIN encounter e ON e.encounter_id = o.encounter_id
        WHERE e.uuid = ? AND o.voided = 0`, [voided.uuid]), 0, 'the voided encounter\'s obs are voided at HQ too');
      void v;
      await assertConverged();
    });

    test('a deleted row is deleted at HQ', async () => {
      await a.pool.query(`INSERT INTO location (name, creator, date_created, uuid) VALUES ('Temporary tent', 1, UTC_TIMESTAMP(), UUID())`);
      await waitConverged();
      const [{ uuid }] = await queryRows<{ uuid: string }>(a.pool, `SELECT uuid FROM location WHERE name = 'Temporary tent'`);
      assert.equal(await count(hq.pool, 'SELECT COUNT(*) AS n FROM location WHERE uuid = ?', [uuid]), 1);
      await a.pool.query(`DELETE FROM location WHERE uuid = ?`, [uuid]);
      await waitConverged();
      assert.equal(await count(hq.pool, 'SELECT COUNT(*) AS n FROM location WHERE uuid = ?', [uuid]), 0);
      await assertConverged();
    });

    test('a patient registered at clinic A with an encounter at clinic B', async () => {
      // Clinic B takes A's patients from A's patient feed, as a referral would bring them.
      const pull = await run(['subscribe', '--once', '--db', b.url, '--node-id', 'field-b', '--feed', feedOf(pubA, 'patient', 'field-b:b-secret')]);
      assert.equal(pull.code, 0, pull.out);
      const p = await createPatient(a.pool, ctxA);
      const again = await run(['subscribe', '--once', '--db', b.url, '--node-id', 'field-b', '--feed', feedOf(pubA, 'patient', 'field-b:b-secret')]);
      assert.equal(again.code, 0, again.out);
      const [atB] = await queryRows<{ id: number }>(b.pool, 'SELECT person_id AS id FROM person WHERE uuid = ?', [p.uuid]);
      assert.ok(atB, 'the patient reached clinic B');
      const enc = await createVisitWithEncounter(b.pool, ctxB, Number(atB.id));
      await waitConverged();
      const [e] = await queryRows<{ uuid: string }>(b.pool, 'SELECT uuid FROM encounter WHERE encounter_id = ?', [enc.encounterId]);
      const [row] = await queryRows<{ patient: string }>(hq.pool, `SELECT ps.uuid AS patient FROM encounter e JOIN person ps ON ps.person_id = e.patient_id WHERE e.uuid = ?`, [e.uuid]);
      assert.equal(row.patient, p.uuid, 'HQ links the encounter from B to the patient from A');
      await assertConverged();
    });

    test('a clinic down for a while and back', async () => {
      const port = pubA.port;
      await pubA.stop();
      const p = await createPatient(a.pool, ctxA);
      await createVisitWithEncounter(a.pool, ctxA, p.patientId);
      await new Promise((r) => setTimeout(r, 2_000)); // HQ polls a dead clinic meanwhile
      const pb = await createPatient(b.pool, ctxB);
      await eventually(async () => (await count(hq.pool, 'SELECT COUNT(*) AS n FROM person WHERE uuid = ?', [pb.uuid])) === 1, 30_000,
        'clinic B to keep flowing while A is down');
      pubA = await startPublisher(a.url, { port });
      await waitConverged();
      await assertConverged();
    });

    test('Redis flushed mid-run: a waiting retry is rebuilt from the database', async () => {
      const uuid = crypto.randomUUID();
      // An event whose resource is not there (yet): it waits in HQ's inbox with a retry scheduled in Redis.
      await a.pool.query(`INSERT INTO atomsync_outbox (resource, uuid, action) VALUES ('location', ?, 'CREATED')`, [uuid]);
      await eventually(async () => (await count(hq.pool, `SELECT COUNT(*) AS n FROM atomsync_inbox WHERE uuid = ?`, [uuid])) === 1, 20_000, 'the event to be parked');
      const redis = new Redis(REDIS);
      await redis.flushall();
      redis.disconnect();
      // The resource appears without a new event (its outbox row is removed in the same transaction):
      // only the retry path can bring it to HQ.
      const conn = await a.pool.getConnection();
      await conn.beginTransaction();
      await conn.query(`INSERT INTO location (name, creator, date_created, uuid) VALUES ('Late clinic', 1, UTC_TIMESTAMP(), ?)`, [uuid]);
      await conn.query(`DELETE FROM atomsync_outbox WHERE uuid = ?`, [uuid]);
      await conn.commit();
      conn.release();
      await eventually(async () => (await count(hq.pool, 'SELECT COUNT(*) AS n FROM location WHERE uuid = ?', [uuid])) === 1, 45_000, 'the retry after FLUSHALL');
      assert.equal(await count(hq.pool, `SELECT COUNT(*) AS n FROM atomsync_inbox WHERE uuid = ?`, [uuid]), 0);
      await assertConverged();
    });
  });

  test('an event whose resource 404s becomes a dead letter; failed retry recovers it', async () => {
    const uuid = crypto.randomUUID();
    await a.pool.query(`INSERT INTO atomsync_outbox (resource, uuid, action) VALUES ('location', ?, 'CREATED')`, [uuid]);
    await new Promise((r) => setTimeout(r, 300)); // the publisher's relay moves it
    const first = await run(hqArgs(['--once', '--max-attempts', '2']));
    assert.equal(first.code, 0, first.out);
    assert.match(first.out, /1 dead letters?/);
    const list = await run(['failed', 'list', '--db', hq.url]);
    assert.match(list.out, new RegExp(`location ${uuid}`));
    assert.match(list.out, /answered 404/);
    const conn = await a.pool.getConnection();
    await conn.beginTransaction();
    await conn.query(`INSERT INTO location (name, creator, date_created, uuid) VALUES ('Found later', 1, UTC_TIMESTAMP(), ?)`, [uuid]);
    await conn.query(`DELETE FROM atomsync_outbox WHERE uuid = ?`, [uuid]);
    await conn.commit();
    conn.release();
    const retry = await run(['failed', 'retry', '--all', '--db', hq.url, '--redis', REDIS, '--queue', queue]);
    assert.equal(retry.code, 0, retry.out);
    const after = await run(hqArgs(['--once']));
    assert.match(after.out, /0 dead letters/);
    assert.match((await run(['failed', 'list', '--db', hq.url])).out, /no dead letters/);
    await assertConverged();
  });

  test('the subscriber killed with SIGKILL mid catch-up, then restarted, converges', async () => {
    await seedNode(a.pool, { patients: 60, seed: 'e2e-more' });
    const sub = atomsync(hqArgs());
    await eventually(async () => (await count(hq.pool, 'SELECT COUNT(*) AS n FROM obs')) > 200, 60_000, 'catch-up to be under way');
    await sub.stop('SIGKILL');
    const r = await run(hqArgs(['--once']));
    assert.equal(r.code, 0, r.out);
    await assertConverged();
  });

  test('obs read before their encounter (category feeds in any order) on a second subscriber', async () => {
    const hq2 = await freshDatabase('e2e_hq2');
    try {
      await migrate(hq2.pool, 'hq2');
      const order = ['obs', 'encounter', 'visit', ...CATEGORIES.filter((c) => !['obs', 'encounter', 'visit'].includes(c)).reverse()];
      const feeds = [pubA, pubB].flatMap((p) => order.flatMap((c) => ['--feed', feedOf(p, c, 'hq2:hq2-secret')]));
      const r = await run(['subscribe', '--once', '--db', hq2.url, '--node-id', 'hq2', ...feeds, '--entry-batch', '7']);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /0 waiting for a retry, 0 dead letters/);
      await assertConverged(hq2.url);
      await assertConverged(hq.url); // the first HQ is unaffected
    } finally {
      await hq2.drop();
    }
  });
});
