// End to end, real processes: HQ republishes what it received and a clinic pulls
// it back down without echo; a publisher re-paged under a subscriber's marker.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { queryRows } from '../shared/db.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { createPatient, openLiveContext, seedNode } from '../tools/seed/index.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { killAll, run, startPublisher } from './helpers/processes.ts';

type Pub = Awaited<ReturnType<typeof startPublisher>>;

describe('topologies', { timeout: 300_000 }, () => {
  let a: TestDb, b: TestDb, hq: TestDb;
  let pubA: Pub, pubB: Pub, pubHq: Pub;
  const feed = (p: Pub, who = 'hq:hq-secret', category = 'all') => `http://${who}@127.0.0.1:${p.port}/openmrs/ws/atomfeed/${category}/recent`;
  const count = async (db: TestDb, sql: string, params: unknown[] = []) => Number((await queryRows<{ n: number }>(db.pool, sql, params))[0].n);

  before(async () => {
    [a, b, hq] = await Promise.all([freshDatabase('topo_a'), freshDatabase('topo_b'), freshDatabase('topo_hq')]);
    await migrate(a.pool, 'field-a');
    await migrate(b.pool, 'field-b');
    await migrate(hq.pool, 'hq');
    await seedNode(a.pool, { patients: 6, seed: 'topo' });
    await seedNode(b.pool, { patients: 6, seed: 'topo' });
    [pubA, pubB, pubHq] = await Promise.all([startPublisher(a.url), startPublisher(b.url), startPublisher(hq.url, { users: 'field-a:x' })]);
    const r = await run(['subscribe', '--once', '--db', hq.url, '--node-id', 'hq', '--feed', feed(pubA), '--feed', feed(pubB)]);
    assert.equal(r.code, 0, r.out);
  });
  after(async () => {
    killAll();
    await Promise.all([a, b, hq].map((d) => d?.drop()));
  });

  test("HQ's feed republishes with the clinics' origins; clinic A pulls B's data and none of its own back", async () => {
    await new Promise((r) => setTimeout(r, 500)); // HQ's relay publishes what HQ applied
    const [{ n: fromA }] = await queryRows<{ n: number }>(hq.pool, `SELECT COUNT(*) AS n FROM atomsync_event WHERE origin = 'field-a'`);
    assert.ok(Number(fromA) > 0, "HQ's events carry field-a as origin");
    assert.equal(await count(hq, `SELECT COUNT(*) AS n FROM atomsync_event WHERE origin = 'hq'`), 0);
    const writesBefore = await count(a, `SELECT COUNT(*) AS n FROM atomsync_event WHERE origin = 'field-a'`);
    const r = await run(['subscribe', '--once', '--db', a.url, '--node-id', 'field-a', '--feed', feed(pubHq, 'field-a:x')], 120_000);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /0 dead letters/);
    // Nothing that came from A was written at A again; B's rows arrived, recorded with B as origin.
    await new Promise((r2) => setTimeout(r2, 500));
    assert.equal(await count(a, `SELECT COUNT(*) AS n FROM atomsync_event WHERE origin = 'field-a'`), writesBefore);
    assert.ok((await count(a, `SELECT COUNT(*) AS n FROM atomsync_event WHERE origin = 'field-b'`)) > 0);
    const v = await run(['verify', '--source', a.url, '--source', b.url, '--target', a.url]);
    assert.equal(v.code, 0, `clinic A now holds A's and B's data exactly:\n${v.out}`);
  });

  test('a publisher re-paged under the marker: the subscriber resumes by position and says so', async () => {
    const port = pubA.port;
    await pubA.stop();
    // atomsync records its page size and refuses another one (test/repage.test.ts); an atomfeed
    // server, or an atomsync from before that, changes it silently. Forget the record to be one.
    await a.pool.query(`DELETE FROM atomsync_meta WHERE name = 'page_size'`);
    pubA = await startPublisher(a.url, { port, pageSize: 7, users: 'hq:hq-secret,field-a:x' });
    const ctx = await openLiveContext(a.pool, { seed: 'topo', stream: `repage-${Date.now()}` });
    for (let i = 0; i < 3; i++) await createPatient(a.pool, ctx);
    const r = await run(['subscribe', '--once', '--db', hq.url, '--node-id', 'hq', '--feed', feed(pubA), '--feed', feed(pubB)], 120_000);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /resuming by position/);
    const v = await run(['verify', '--source', a.url, '--source', b.url, '--target', hq.url]);
    assert.equal(v.code, 0, v.out);
  });
});

describe('hostile references', { timeout: 120_000 }, () => {
  let a: TestDb, hq: TestDb;
  let pubA: Pub;
  after(async () => {
    killAll();
    await Promise.all([a, hq].map((d) => d?.drop()));
  });

  test('a reference cycle through columns that may be NULL arrives whole, in two passes, and the rest still flows', async () => {
    [a, hq] = await Promise.all([freshDatabase('cyc_a'), freshDatabase('cyc_hq')]);
    await migrate(a.pool, 'field-a');
    await migrate(hq.pool, 'hq');
    const [one, two] = [crypto.randomUUID(), crypto.randomUUID()];
    await a.pool.query(`INSERT INTO location (name, creator, date_created, uuid) VALUES ('one', 1, UTC_TIMESTAMP(), ?), ('two', 1, UTC_TIMESTAMP(), ?)`, [one, two]);
    await a.pool.query(`UPDATE location l JOIN location p ON p.uuid = ? SET l.parent_location = p.location_id WHERE l.uuid = ?`, [two, one]);
    await a.pool.query(`UPDATE location l JOIN location p ON p.uuid = ? SET l.parent_location = p.location_id WHERE l.uuid = ?`, [one, two]);
    await a.pool.query(`INSERT INTO location (name, creator, date_created, uuid) VALUES ('fine', 1, UTC_TIMESTAMP(), UUID())`);
    pubA = await startPublisher(a.url);
    const r = await run(['subscribe', '--once', '--db', hq.url, '--node-id', 'hq', '--feed', `http://hq:hq-secret@127.0.0.1:${pubA.port}/openmrs/ws/atomfeed/all/recent`]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /0 waiting for a retry, 0 dead letters/);
    // One is the other's parent and the other's parent is the one, at HQ as at the clinic.
    const parents = await queryRows<{ u: string; p: string }>(hq.pool,
      'SELECT l.uuid AS u, p.uuid AS p FROM location l JOIN location p ON p.location_id = l.parent_location ORDER BY l.name');
    assert.deepEqual(parents.map((x) => [x.u, x.p]), [[one, two], [two, one]]);
    assert.equal(Number((await queryRows<{ n: number }>(hq.pool, `SELECT COUNT(*) AS n FROM location WHERE name = 'fine'`))[0].n), 1);
    const v = await run(['verify', '--source', a.url, '--target', hq.url]);
    assert.equal(v.code, 0, v.out);
  });
});
