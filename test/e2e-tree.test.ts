// A tree of nodes, all running continuously (issue 18): three clinics under a district, the
// district under a national node. Up: the district reads each clinic's `all` feed, national reads
// the district's. Down: the district reads national's feed as the district's catchment (the
// clinics' locations), each clinic reads the district's as its own catchment (its locations).
// Writers work at every node throughout. At the end every node holds what concerns it: national
// and the district everything of the clinics, each clinic its own patients and metadata, no other
// clinic's patients; a patient transferred to another clinic (a visit there, recorded at the
// district) has their whole record there; nothing echoes back (every event is published once by
// the node that made it, and each node's outbox holds no row it received from itself); and an
// edit of one patient made at a clinic and at national in the same second ends with the same
// version at every node, with the conflict recorded for review. Last, `verify --catchment` proves
// each child holds exactly its catchment of its parent: every metadata row, every row of its
// patients alike, no patient of another catchment (the district's own patients excepted at the
// district, which registered them).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { queryRows } from '../shared/db.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { createPatient, openLiveContext, seedNode } from '../tools/seed/index.ts';
import type { LiveContext } from '../tools/seed/index.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { startLiveWrites } from './helpers/live-writes.ts';
import { atomsync, eventually, killAll, run, startPublisher } from './helpers/processes.ts';
import { diverges, formatReport, verify } from '../tools/verify.ts';
import type { Proc } from './helpers/processes.ts';
import { untilPublishingStops } from './helpers/settled.ts';

const REDIS = process.env.ATOMSYNC_TEST_REDIS ?? 'redis://127.0.0.1:6379';
type Pub = Awaited<ReturnType<typeof startPublisher>>;
const USERS = 'up:up-secret,down:down-secret';

describe('a three-level tree running both ways', { timeout: 600_000 }, () => {
  const clinics: TestDb[] = [];
  let district: TestDb, national: TestDb;
  const pubs: Pub[] = [];
  const subs: Proc[] = [];
  const queues: string[] = [];
  /** Each clinic's root locations: the seeded site's and the live writers' (its catchment). */
  const roots: string[][] = [];
  const contexts: LiveContext[] = [];
  const tag = `${process.pid}-${Date.now()}`;

  const rows = <T>(db: TestDb, sql: string, p: unknown[] = []) => queryRows<T>(db.pool, sql, p);
  const patientUuids = async (db: TestDb) => new Set((await rows<{ u: string }>(db, 'SELECT pe.uuid AS u FROM patient p JOIN person pe ON pe.person_id = p.patient_id')).map((r) => r.u.toLowerCase()));
  const feedOf = (pub: Pub, user: string) => `http://${user}:${user}-secret@127.0.0.1:${pub.port}/openmrs/ws/atomfeed/all/recent`;
  const subscribe = (db: TestDb, node: string, feeds: string[], extra: string[] = []) => {
    const queue = `atomsync-test-tree-${node}-${tag}-${subs.length}`;
    queues.push(queue);
    const p = atomsync(['subscribe', '--db', db.url, '--node-id', node, '--redis', REDIS, '--queue', queue, '--poll-ms', '300',
      ...feeds.flatMap((f) => ['--feed', f]), ...extra]);
    subs.push(p);
    return p;
  };

  before(async () => {
    for (let i = 0; i < 3; i++) clinics.push(await freshDatabase(`tree_c${i}`));
    [district, national] = [await freshDatabase('tree_district'), await freshDatabase('tree_national')];
    for (const [i, c] of clinics.entries()) {
      await migrate(c.pool, `clinic-${i}`);
      await seedNode(c.pool, { patients: 8, seed: `tree-${i}` });
      // The live writers register patients at a site of their own, a second root: both are the clinic's.
      contexts.push(await openLiveContext(c.pool, { seed: `tree-live-${i}`, stream: `live-${tag}` }));
      roots.push((await rows<{ u: string }>(c, 'SELECT uuid AS u FROM location WHERE parent_location IS NULL ORDER BY location_id')).map((r) => r.u));
    }
    await migrate(district.pool, 'district');
    await migrate(national.pool, 'national');
    for (const [i, db] of [district, national].entries()) contexts.push(await openLiveContext(db.pool, { seed: `tree-live-${i + 3}`, stream: `live-${tag}` }));
    for (const db of [...clinics, district, national]) pubs.push(await startPublisher(db.url, { users: USERS }));
  });

  after(async () => {
    killAll();
    const redis = new Redis(REDIS);
    for (const q of queues) {
      const keys = await redis.keys(`bull:${q}:*`);
      if (keys.length) await redis.del(...keys);
    }
    redis.disconnect();
    await Promise.all([...clinics, district, national].map((d) => d?.drop()));
  });

  test('every node ends with what concerns it, transfers bring whole records, nothing echoes, one winner everywhere', async () => {
    const [pubDistrict, pubNational] = [pubs[3], pubs[4]];
    // Up.
    subscribe(district, 'district', pubs.slice(0, 3).map((p) => feedOf(p, 'up')));
    subscribe(national, 'national', [feedOf(pubDistrict, 'up')]);
    // Down: each level reads the one above as its catchment, once the one above has its locations
    // (a catchment of locations the parent does not have yet is a 404, retried with backoff).
    const hasLocations = async (db: TestDb, uuids: string[]) =>
      Number((await rows<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM location WHERE uuid IN (?)', [uuids]))[0].n) === uuids.length;
    await eventually(async () => (await hasLocations(district, roots.flat())) && hasLocations(national, roots.flat()), 60_000, "the clinics' locations to reach the district and national");
    subscribe(district, 'district', [feedOf(pubNational, 'down')], ['--catchment', roots.flat().join(',')]);
    for (const [i, c] of clinics.entries()) subscribe(c, `clinic-${i}`, [feedOf(pubDistrict, 'down')], ['--catchment', roots[i].join(',')]);

    // Writers at every node; the district registers one patient at its own site at least (in none
    // of the clinics' catchments: verify must let it keep them).
    await createPatient(district.pool, contexts[3]);
    const writers = [...clinics, district, national].map((db, i) => startLiveWrites(db.pool, contexts[i], 700));
    const clinicPatients = async () => new Set([...(await Promise.all(clinics.map(patientUuids)))].flatMap((s) => [...s]));
    try {
      // Everything of the clinics reaches national through the district.
      await eventually(async () => {
        const want = await clinicPatients();
        const have = await patientUuids(national);
        return [...want].every((u) => have.has(u));
      }, 180_000, "the clinics' patients to reach national");
    } finally {
      await Promise.all(writers.map((w) => w.stop()));
    }

    // A transfer: clinic 0's patient gets a visit at clinic 1's location, recorded at the district.
    const [moving] = await rows<{ id: number; u: string }>(
      clinics[0], 'SELECT p.patient_id AS id, pe.uuid AS u FROM patient p JOIN person pe ON pe.person_id = p.patient_id ORDER BY p.patient_id LIMIT 1',
    );
    const [atDistrict] = await rows<{ id: number }>(district, 'SELECT person_id AS id FROM person WHERE uuid = ?', [moving.u]);
    const [c1] = await rows<{ id: number }>(district, 'SELECT location_id AS id FROM location WHERE uuid = ?', [roots[1][0]]);
    const [vt] = await rows<{ id: number }>(district, 'SELECT visit_type_id AS id FROM visit_type LIMIT 1');
    await district.pool.query(
      'INSERT INTO visit (patient_id, visit_type_id, date_started, location_id, creator, date_created, uuid) VALUES (?, ?, NOW(), ?, 1, NOW(), ?)',
      [atDistrict.id, vt.id, c1.id, randomUUID()],
    );

    // A conflict: one patient of clinic 2 renamed at clinic 2 and at national in the same second.
    const [victim] = await rows<{ u: string }>(clinics[2], 'SELECT pe.uuid AS u FROM patient p JOIN person pe ON pe.person_id = p.patient_id ORDER BY p.patient_id LIMIT 1');
    const rename = (db: TestDb, name: string) =>
      db.pool.query(
        `UPDATE person_name n JOIN person pe ON pe.person_id = n.person_id SET n.given_name = ?, n.date_changed = '2036-01-01 10:00:00', n.changed_by = 1
         WHERE pe.uuid = ? AND n.preferred = 1`,
        [name, victim.u],
      );
    await Promise.all([rename(clinics[2], 'Renamed-at-clinic'), rename(national, 'Renamed-at-national')]);

    const givenAt = async (db: TestDb) =>
      (await rows<{ g: string }>(db, 'SELECT n.given_name AS g FROM person_name n JOIN person pe ON pe.person_id = n.person_id WHERE pe.uuid = ? AND n.preferred = 1', [victim.u]))[0]?.g;
    const everyNode = [...clinics, district, national];
    await eventually(async () => {
      const names = await Promise.all([clinics[2], district, national].map(givenAt));
      return names[0] !== undefined && names.every((n) => n === names[0]) && names[0].startsWith('Renamed-at-');
    }, 120_000, 'the renamed patient to agree at clinic 2, the district and national').catch(async (err) => {
      const detail = await Promise.all([clinics[2], district, national].map(async (db) => ({
        name: await givenAt(db),
        state: await rows(db, "SELECT hash, version, origin FROM atomsync_sync_state WHERE resource = 'patient' AND uuid = ?", [victim.u]),
        conflicts: await rows(db, 'SELECT winner, feed_url FROM atomsync_conflict WHERE uuid = ?', [victim.u]),
        superseded: await rows(db, 'SELECT feed_url, incoming_version, local_version FROM atomsync_superseded WHERE uuid = ?', [victim.u]),
      })));
      throw new Error(`${(err as Error).message}\n${JSON.stringify(detail, null, 1)}`);
    });
    // The transferred patient's whole record at clinic 1.
    await eventually(async () => {
      const [{ n }] = await rows<{ n: number }>(clinics[1], 'SELECT COUNT(*) AS n FROM person WHERE uuid = ?', [moving.u]);
      return Number(n) === 1;
    }, 120_000, 'the transferred patient to reach clinic 1');
    for (const [table, column] of [['visit', 'patient_id'], ['encounter', 'patient_id'], ['obs', 'person_id']]) {
      const at = async (db: TestDb) =>
        new Set((await rows<{ u: string }>(db, `SELECT x.uuid AS u FROM ${table} x JOIN person pe ON pe.person_id = x.${column} WHERE pe.uuid = ?`, [moving.u])).map((r) => r.u));
      await eventually(async () => {
        const [home, there] = [await at(clinics[0]), await at(clinics[1])];
        return home.size > 0 && [...home].every((u) => there.has(u));
      }, 60_000, `the transferred patient's ${table} rows at clinic 1`);
    }

    // Each clinic: its own patients and the one transferred to it, no other clinic's.
    const own = await Promise.all(clinics.map(async (c, i) => {
      const [{ id }] = await rows<{ id: number }>(c, 'SELECT location_id AS id FROM location WHERE uuid = ?', [roots[i][0]]);
      return id;
    }));
    for (const [i, c] of clinics.entries()) {
      const others = new Set<string>();
      for (const [j, d] of clinics.entries()) if (j !== i) for (const u of await patientUuids(d)) others.add(u);
      const here = await patientUuids(c);
      // The transferred patient is at clinics 0 and 1 both, as they should be.
      const strangers = [...here].filter((u) => others.has(u) && u !== moving.u.toLowerCase());
      assert.deepEqual(strangers, [], `clinic ${i} holds no other clinic's patients (location ${own[i]})`);
    }
    // Nor the patients registered at the district's or national's own sites: they concern no clinic.
    const upperOwn = new Set<string>();
    for (const db of [district, national]) {
      for (const r of await rows<{ u: string }>(db, `SELECT pe.uuid AS u FROM patient p JOIN person pe ON pe.person_id = p.patient_id
          WHERE NOT EXISTS (SELECT 1 FROM atomsync_sync_state s WHERE s.resource = 'patient' AND s.uuid = pe.uuid)`)) upperOwn.add(r.u.toLowerCase());
    }
    assert.ok(upperOwn.size > 0, 'the district and national registered patients of their own');
    for (const [i, c] of clinics.entries()) {
      const theirs = [...(await patientUuids(c))].filter((u) => upperOwn.has(u));
      assert.deepEqual(theirs, [], `clinic ${i} holds none of the district's or national's own patients`);
    }
    // The clinic and national agree on the winner, and the loser is kept where the two met.
    const winner = await givenAt(national);
    for (const db of everyNode.filter((d) => d !== clinics[0] && d !== clinics[1])) assert.equal(await givenAt(db), winner);
    const conflicts = await Promise.all(everyNode.map(async (db) => Number((await rows<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM atomsync_conflict WHERE uuid = ?', [victim.u]))[0].n)));
    assert.ok(conflicts.some((n) => n > 0), `the conflict is recorded for review (${conflicts.join(', ')})`);
    // No echo, no ping-pong: once the writers have stopped and the tree has settled, no node
    // publishes anything more (a change bounced between nodes would be published again and again).
    await untilPublishingStops(everyNode, 60_000);
    for (const s of subs) assert.equal(s.child.exitCode, null, `a subscriber died:\n${s.output().slice(-2000)}`);

    // Each child against its parent, scoped to its catchment.
    for (const [i, c] of clinics.entries()) {
      const reports = await verify([district.url], c.url, { catchment: roots[i] });
      assert.equal(diverges(reports), false, `clinic ${i} holds exactly its catchment of the district:\n${formatReport(reports)}`);
      const patients = reports.find((r) => r.resource === 'patient' && r.table === 'patient')!;
      assert.equal(patients.sourceRows, (await patientUuids(c)).size, `clinic ${i}: every patient it holds was checked`);
    }
    const districtOwn = await rows<{ n: number }>(district, `SELECT COUNT(*) AS n FROM patient p JOIN person pe ON pe.person_id = p.patient_id
      WHERE NOT EXISTS (SELECT 1 FROM atomsync_sync_state s WHERE s.resource = 'patient' AND s.uuid = pe.uuid)`);
    const upper = await verify([national.url], district.url, { catchment: roots.flat() });
    assert.equal(diverges(upper), false, `the district holds exactly its catchment of national:\n${formatReport(upper)}`);
    const kept = upper.find((r) => r.resource === 'patient' && r.table === 'patient')!;
    assert.ok(Number(districtOwn[0].n) > 0, 'the district registered patients of its own');
    assert.equal(kept.allowed, Number(districtOwn[0].n), "the district's own patients, outside its catchment, are its own to keep");
    const cli = await run(['verify', '--source', district.url, '--target', clinics[1].url, '--catchment', roots[1].join(',')]);
    assert.equal(cli.code, 0, cli.out);
  });
});
