// `atomsync verify --catchment` (issue 18): a child node is checked against its parent for exactly
// the parent's part that concerns the child's locations. A district is seeded; a dispensary's node
// is filled by a real `subscribe --once --catchment` through a real publisher, and is found clean.
// Then each kind of divergence is made at the child and must be reported: a missing row of a
// catchment patient, a changed row, a missing metadata row, and (at a second child that read the
// parent's whole `all` feed) patients from outside the catchment. Also on the real OpenMRS
// Reference Application schema.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { randomUUID } from 'node:crypto';
import { queryRows } from '../shared/db.ts';
import { RESOURCE_NAMES } from '../shared/resources.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { addAddressRule } from '../publisher/catchments/address-rules.ts';
import { isPatientOwned } from '../publisher/catchments/owners.ts';
import { seedNode } from '../tools/seed/index.ts';
import { fixtureSkipReason, loadFixture } from '../tools/bench/openmrs-fixture.ts';
import { belongsToPatients, catchmentPatientIds } from '../tools/verify-catchment.ts';
import { diverges, formatReport, verify } from '../tools/verify.ts';
import type { TableReport } from '../tools/verify.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { eventually, killAll, run, startPublisher } from './helpers/processes.ts';

type Pub = Awaited<ReturnType<typeof startPublisher>>;
const rows = <T>(db: TestDb, sql: string, p: unknown[] = []) => queryRows<T>(db.pool, sql, p);
const sum = (reports: TableReport[], kind: 'missing' | 'different' | 'extra' | 'outside') => reports.reduce((n, r) => n + r[kind], 0);
const table = (reports: TableReport[], name: string, resource?: string) => reports.find((r) => r.table === name && (!resource || r.resource === resource))!;

/** The patients with an identifier, a visit or an encounter at these locations, by SQL of the test's own. */
async function patientsAt(db: TestDb, locationIds: number[]): Promise<Set<string>> {
  const found = await rows<{ u: string }>(
    db,
    `SELECT pe.uuid AS u FROM person pe WHERE pe.person_id IN (
       SELECT patient_id FROM patient_identifier WHERE location_id IN (?) UNION SELECT patient_id FROM visit WHERE location_id IN (?)
       UNION SELECT patient_id FROM encounter WHERE location_id IN (?))`,
    [locationIds, locationIds, locationIds],
  );
  return new Set(found.map((r) => r.u.toLowerCase()));
}

let saved = 0;
/** Deletes rows (foreign keys unchecked, as a careless hand would) and returns how to put them back. */
async function removeRows(db: TestDb, tableName: string, where: string, params: unknown[]): Promise<() => Promise<void>> {
  const copy = `verify_test_saved_${saved++}`;
  const conn = await db.pool.getConnection();
  try {
    await conn.query('SET SESSION foreign_key_checks = 0');
    await conn.query(`CREATE TABLE ${copy} AS SELECT * FROM ${tableName} WHERE ${where}`, params);
    await conn.query(`DELETE FROM ${tableName} WHERE ${where}`, params);
  } finally {
    await conn.query('SET SESSION foreign_key_checks = 1');
    conn.release();
  }
  return async () => {
    const c = await db.pool.getConnection();
    try {
      await c.query('SET SESSION foreign_key_checks = 0');
      await c.query(`INSERT INTO ${tableName} SELECT * FROM ${copy}`);
      await c.query(`DROP TABLE ${copy}`);
    } finally {
      await c.query('SET SESSION foreign_key_checks = 1');
      c.release();
    }
  };
}

/** Fills `child` from the parent's publisher: its catchment's feed, or (without locations) the whole `all` feed. */
async function catchUp(pub: Pub, child: TestDb, node: string, user: string, locations?: string[]): Promise<void> {
  const feed = `http://${user}:${user}-secret@127.0.0.1:${pub.port}/openmrs/ws/atomfeed/all/recent`;
  const r = await run(['subscribe', '--once', '--db', child.url, '--node-id', node, '--feed', feed, ...(locations ? ['--catchment', locations.join(',')] : [])], 180_000);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /0 dead letters/);
}

const relayed = (db: TestDb) =>
  eventually(async () => Number((await rows<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM atomsync_outbox'))[0].n) === 0, 60_000, 'the relay');

test("verify's own list of patients' resources is the router's", () => {
  for (const name of RESOURCE_NAMES) assert.equal(belongsToPatients(name), isPatientOwned(name), name);
});

describe('verify --catchment: a child node against its parent', { timeout: 300_000 }, () => {
  let district: TestDb, child: TestDb, leaky: TestDb;
  let pub: Pub;
  let disp: { id: number; uuid: string };
  const check = (target: TestDb) => verify([district.url], target.url, { catchment: [disp.uuid] });

  before(async () => {
    [district, child, leaky] = await Promise.all([freshDatabase('vc_district'), freshDatabase('vc_child'), freshDatabase('vc_leaky')]);
    await migrate(district.pool, 'district');
    await migrate(child.pool, 'dispensary');
    await migrate(leaky.pool, 'leaky');
    await seedNode(district.pool, { patients: 30, seed: 'verify-catchment' });
    const [d] = await rows<{ id: number; uuid: string }>(district, `SELECT location_id AS id, uuid FROM location WHERE name LIKE '% Dispensary'`);
    disp = { id: Number(d.id), uuid: d.uuid };
    pub = await startPublisher(district.url, { users: 'all:all-secret,disp:disp-secret', extra: ['--user-rights', `disp=catchment~${d.uuid}`] });
    await relayed(district);
    await catchUp(pub, child, 'dispensary', 'disp', [disp.uuid]);
  });
  after(async () => {
    killAll();
    await Promise.all([district, child, leaky].map((d) => d?.drop()));
  });

  test('a child filled from its catchment is clean; unscoped, the same child lacks the other patients', async () => {
    const members = await patientsAt(district, [disp.id]);
    const all = await rows<{ u: string }>(district, 'SELECT pe.uuid AS u FROM patient p JOIN person pe ON pe.person_id = p.patient_id');
    assert.ok(members.size > 0 && members.size < all.length, `some patients but not all (${members.size} of ${all.length})`);
    const [{ n: ids }] = await rows<{ n: number }>(district, 'SELECT COUNT(*) AS n FROM person');
    assert.ok(Number(ids) > 0);
    assert.equal((await catchmentPatientIds(district.pool, [disp.uuid])).size, members.size, "verify's members are the test's");

    const reports = await check(child);
    assert.equal(diverges(reports), false, formatReport(reports));
    assert.equal(table(reports, 'patient', 'patient').sourceRows, members.size, 'exactly the members were checked');
    assert.ok(table(reports, 'obs').sourceRows > 0 && table(reports, 'concept').sourceRows > 0);

    const unscoped = await verify([district.url], child.url);
    assert.equal(diverges(unscoped), true);
    assert.equal(table(unscoped, 'patient', 'patient').missing, all.length - members.size, formatReport(unscoped));
    assert.equal(sum(unscoped, 'extra') + sum(unscoped, 'different'), 0, formatReport(unscoped));
  });

  test("a missing row of a catchment patient's record is reported", async () => {
    const [leaf] = await rows<{ id: number; u: string; p: string }>(
      child,
      `SELECT o.obs_id AS id, o.uuid AS u, pe.uuid AS p FROM obs o JOIN person pe ON pe.person_id = o.person_id
       WHERE NOT EXISTS (SELECT 1 FROM obs c WHERE c.obs_group_id = o.obs_id OR c.previous_version = o.obs_id) ORDER BY o.obs_id LIMIT 1`,
    );
    assert.ok((await patientsAt(district, [disp.id])).has(leaf.p.toLowerCase()), 'an obs of a catchment patient');
    const restore = await removeRows(child, 'obs', 'obs_id = ?', [leaf.id]);
    try {
      const reports = await check(child);
      assert.equal(diverges(reports), true);
      assert.equal(table(reports, 'obs').missing, 1, formatReport(reports));
      assert.deepEqual(table(reports, 'obs').examples.missing, [leaf.u.toLowerCase()]);
      assert.equal(sum(reports, 'missing'), 1, formatReport(reports));
    } finally {
      await restore();
    }
    assert.equal(diverges(await check(child)), false, 'clean again once restored');
  });

  test("a changed row of a catchment patient's record is reported", async () => {
    const [name] = await rows<{ id: number; u: string; g: string }>(
      child,
      'SELECT n.person_name_id AS id, n.uuid AS u, n.given_name AS g FROM person_name n JOIN patient p ON p.patient_id = n.person_id ORDER BY n.person_name_id LIMIT 1',
    );
    await child.pool.query('UPDATE person_name SET given_name = ? WHERE person_name_id = ?', [`${name.g}-changed`, name.id]);
    try {
      const reports = await check(child);
      assert.equal(diverges(reports), true);
      const names = reports.filter((r) => r.table === 'person_name');
      // Read as the patient's and as the person's: the same row, different in both.
      assert.ok(names.length === 2 && names.every((r) => r.different === 1 && r.examples.different[0] === name.u.toLowerCase()), formatReport(reports));
      assert.equal(sum(reports, 'missing') + sum(reports, 'extra') + sum(reports, 'outside'), 0);
    } finally {
      await child.pool.query('UPDATE person_name SET given_name = ? WHERE person_name_id = ?', [name.g, name.id]);
    }
  });

  test('a missing metadata row is reported', async () => {
    // A type no row at the child points at, so that only its own row goes.
    const [unused] = await rows<{ id: number; u: string }>(
      child,
      `SELECT relationship_type_id AS id, uuid AS u FROM relationship_type
       WHERE relationship_type_id NOT IN (SELECT relationship FROM relationship) ORDER BY relationship_type_id LIMIT 1`,
    );
    assert.ok(unused, 'a relationship type no relationship at the child has');
    const restore = await removeRows(child, 'relationship_type', 'relationship_type_id = ?', [unused.id]);
    try {
      const reports = await check(child);
      assert.equal(diverges(reports), true);
      assert.deepEqual(table(reports, 'relationship_type').examples.missing, [unused.u.toLowerCase()], formatReport(reports));
      assert.equal(sum(reports, 'missing') + sum(reports, 'different') + sum(reports, 'extra') + sum(reports, 'outside'), 1, formatReport(reports));
    } finally {
      await restore();
    }
  });

  test("a child holding patients from outside its catchment (it read the parent's whole feed) is reported, by the command too", async () => {
    await catchUp(pub, leaky, 'leaky', 'all');
    const members = await patientsAt(district, [disp.id]);
    const reports = await check(leaky);
    assert.equal(diverges(reports), true);
    const patients = table(reports, 'patient', 'patient');
    const [{ n: all }] = await rows<{ n: number }>(district, 'SELECT COUNT(*) AS n FROM patient');
    assert.equal(patients.outside, Number(all) - members.size, formatReport(reports));
    assert.ok(patients.examples.outside.every((u) => !members.has(u)));
    assert.ok(table(reports, 'visit').outside > 0 && table(reports, 'obs').outside > 0);
    assert.equal(sum(reports, 'missing') + sum(reports, 'different') + sum(reports, 'extra'), 0, formatReport(reports));

    const bad = await run(['verify', '--source', district.url, '--target', leaky.url, '--catchment', disp.uuid]);
    assert.equal(bad.code, 1, bad.out);
    assert.match(bad.out, /outside catchment/);
    assert.match(bad.out, /DIVERGED/);
    const good = await run(['verify', '--source', district.url, '--target', child.url, '--catchment', disp.uuid.toUpperCase()]);
    assert.equal(good.code, 0, good.out);
    assert.match(good.out, /OK: \d+ source rows checked/);
    const ghost = await run(['verify', '--source', district.url, '--target', child.url, '--catchment', randomUUID()]);
    assert.equal(ghost.code, 2, ghost.out);
    assert.match(ghost.out, /no source has a location with uuid/);
  });

  test('a patient in by an address the operator maps to the catchment: wanted by verify, then received, then clean', async () => {
    const members = await catchmentPatientIds(district.pool, [disp.uuid]);
    const [outsider] = await rows<{ p: number; v: string }>(
      district,
      `SELECT pa.person_id AS p, pa.city_village AS v FROM person_address pa JOIN patient pt ON pt.patient_id = pa.person_id
       WHERE pa.voided = 0 AND pa.city_village IS NOT NULL AND pa.person_id NOT IN (?) ORDER BY pa.person_id LIMIT 1`,
      [[...members]],
    );
    assert.ok(outsider, 'a patient outside the catchment with a village');
    await addAddressRule(district.pool, disp.uuid, 'city_village', ` ${outsider.v.toUpperCase()} `);
    const widened = await catchmentPatientIds(district.pool, [disp.uuid]);
    assert.ok(widened.has(Number(outsider.p)) && widened.size > members.size, 'verify counts the patients the rule brings in');
    const before = await check(child);
    assert.equal(table(before, 'patient', 'patient').missing, widened.size - members.size, formatReport(before));
    await catchUp(pub, child, 'dispensary', 'disp', [disp.uuid]);
    const after = await check(child);
    assert.equal(diverges(after), false, formatReport(after));
  });
});

describe('verify --catchment on a real OpenMRS database (the Reference Application schema)', { skip: fixtureSkipReason(), timeout: 300_000 }, () => {
  let site: TestDb, child: TestDb;
  let pub: Pub;
  before(async () => {
    [site, child] = await Promise.all([freshDatabase('vc_real_site'), freshDatabase('vc_real_child')]);
    await Promise.all([loadFixture(site.url), loadFixture(child.url)]);
    await migrate(site.pool, 'real-site', { snapshot: false });
    await migrate(child.pool, 'real-child', { snapshot: false });
    await seedNode(site.pool, { patients: 15, seed: 'verify-catchment-real' });
    pub = await startPublisher(site.url, { users: 'all:all-secret,disp:disp-secret' });
    await relayed(site);
  });
  after(async () => {
    killAll();
    await Promise.all([site, child].map((d) => d?.drop()));
  });

  test("a child on the same schema, filled from a catchment of a seeded location and one of the Reference Application's, is clean; a change is not", async () => {
    const [disp] = await rows<{ id: number; uuid: string }>(site, `SELECT location_id AS id, uuid FROM location WHERE name LIKE '% Dispensary'`);
    const [refapp] = await rows<{ id: number; uuid: string }>(site, `SELECT location_id AS id, uuid FROM location WHERE name NOT LIKE '% Dispensary' AND name NOT LIKE '% HC - %' AND name NOT LIKE '% Health Centre' AND name NOT LIKE '% District' ORDER BY location_id LIMIT 1`);
    const locations = [disp.uuid, refapp.uuid];
    await catchUp(pub, child, 'real-child', 'all', locations);
    const members = await patientsAt(site, [disp.id, refapp.id]);
    const reports = await verify([site.url], child.url, { catchment: locations });
    assert.equal(diverges(reports), false, formatReport(reports));
    assert.equal(table(reports, 'patient', 'patient').sourceRows, members.size);
    assert.ok(members.size > 0 && table(reports, 'concept').sourceRows >= 445, formatReport(reports));
    const [visit] = await rows<{ id: number; u: string }>(child, 'SELECT visit_id AS id, uuid AS u FROM visit ORDER BY visit_id LIMIT 1');
    await child.pool.query("UPDATE visit SET date_stopped = '2001-02-03 04:05:06' WHERE visit_id = ?", [visit.id]);
    const changed = await verify([site.url], child.url, { catchment: locations });
    assert.deepEqual(table(changed, 'visit').examples.different, [visit.u.toLowerCase()], formatReport(changed));
  });
});
