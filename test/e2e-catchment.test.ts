// End to end, real processes (issue 18): a district node publishes, and a dispensary's node
// subscribes with `--catchment <the dispensary's location>`. The child must end with every
// piece of metadata and exactly the patients seen at the dispensary, each with their whole
// record; a patient whose first visit there comes later arrives with all of their record.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { randomUUID } from 'node:crypto';
import { queryRows } from '../shared/db.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { seedNode } from '../tools/seed/index.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { basic, get } from './helpers/http.ts';
import { eventually, killAll, run, startPublisher } from './helpers/processes.ts';

type Pub = Awaited<ReturnType<typeof startPublisher>>;

describe('a child node reads only its catchment of its parent', { timeout: 300_000 }, () => {
  let district: TestDb, child: TestDb;
  let pub: Pub;
  let dispensary: { id: number; uuid: string };
  const feed = () => `http://disp:disp-secret@127.0.0.1:${pub.port}/openmrs/ws/atomfeed/all/recent`;
  const subscribe = () => run(['subscribe', '--once', '--db', child.url, '--node-id', 'dispensary', '--feed', feed(), '--catchment', dispensary.uuid], 180_000);
  const uuids = async (db: TestDb, sql: string, params: unknown[] = []) => new Set((await queryRows<{ u: string }>(db.pool, sql, params)).map((r) => r.u.toLowerCase()));
  const patientsSql = 'SELECT pe.uuid AS u FROM patient p JOIN person pe ON pe.person_id = p.patient_id';
  const seenAt = (locationId: number) =>
    uuids(
      district,
      `SELECT pe.uuid AS u FROM person pe WHERE pe.person_id IN (
         SELECT patient_id FROM patient_identifier WHERE location_id = ? UNION SELECT patient_id FROM visit WHERE location_id = ?
         UNION SELECT patient_id FROM encounter WHERE location_id = ?)`,
      [locationId, locationId, locationId],
    );

  before(async () => {
    [district, child] = await Promise.all([freshDatabase('catch_district'), freshDatabase('catch_child')]);
    await migrate(district.pool, 'district');
    await migrate(child.pool, 'dispensary');
    await seedNode(district.pool, { patients: 30, seed: 'catchment-e2e' });
    const [d] = await queryRows<{ id: number; uuid: string }>(district.pool, `SELECT location_id AS id, uuid FROM location WHERE name LIKE '% Dispensary'`);
    dispensary = { id: Number(d.id), uuid: d.uuid };
    // The dispensary's node signs in as a reader confined to its catchment.
    pub = await startPublisher(district.url, { users: 'hq:hq-secret,disp:disp-secret', extra: ['--user-rights', `disp=catchment~${d.uuid.toUpperCase()}`] });
    // The seeded history numbered first: a `--once` catch-up reads what is published when it runs.
    await eventually(async () => Number((await queryRows<{ n: number }>(district.pool, 'SELECT COUNT(*) AS n FROM atomsync_outbox'))[0].n) === 0, 60_000, 'the relay');
  });
  after(async () => {
    killAll();
    await Promise.all([district, child].map((d) => d?.drop()));
  });

  test('the child holds every metadata row and exactly the patients seen at its location, with their records', async () => {
    const r = await subscribe();
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /0 dead letters/);
    const expected = await seenAt(dispensary.id);
    const all = await uuids(district, patientsSql);
    assert.ok(expected.size > 0 && expected.size < all.size, `some patients but not all (${expected.size} of ${all.size})`);
    assert.deepEqual(await uuids(child, patientsSql), expected, 'exactly the dispensary\'s patients');
    for (const table of ['location', 'concept', 'encounter_type', 'visit_type', 'provider']) {
      assert.deepEqual(await uuids(child, `SELECT uuid AS u FROM ${table}`), await uuids(district, `SELECT uuid AS u FROM ${table}`), `every ${table}`);
    }
    // Their whole records: every visit, encounter and obs of those patients, and nothing else.
    for (const [table, column] of [['visit', 'patient_id'], ['encounter', 'patient_id'], ['obs', 'person_id']]) {
      const theirs = await uuids(
        district,
        `SELECT x.uuid AS u FROM ${table} x JOIN person pe ON pe.person_id = x.${column} WHERE pe.uuid IN (?)`,
        [[...expected]],
      );
      assert.ok(theirs.size > 0, table);
      assert.deepEqual(await uuids(child, `SELECT uuid AS u FROM ${table}`), theirs, `the ${table} rows of the dispensary's patients, and no other`);
    }
    // The parent knows how far the child has read its catchment (the root page's tree draws it).
    await eventually(async () => {
      const rows = await queryRows<{ subscriber: string; feed: string; node: string; position: number }>(district.pool, 'SELECT subscriber, feed, node, position FROM atomsync_subscriber_position');
      return rows.some((r) => r.subscriber === 'disp' && r.node === 'dispensary' && r.feed === `catchment~${dispensary.uuid.toLowerCase()}` && Number(r.position) > 0);
    }, 10_000, "the child's position in its catchment to be recorded at the parent");
  });

  test('a patient whose first visit at the dispensary comes later arrives with their whole record', async () => {
    const before = await seenAt(dispensary.id);
    const [newcomer] = await queryRows<{ id: number; u: string }>(
      district.pool,
      `SELECT p.patient_id AS id, pe.uuid AS u FROM patient p JOIN person pe ON pe.person_id = p.patient_id WHERE pe.uuid NOT IN (?) ORDER BY p.patient_id LIMIT 1`,
      [[...before]],
    );
    const [vt] = await queryRows<{ id: number }>(district.pool, 'SELECT visit_type_id AS id FROM visit_type LIMIT 1');
    await district.pool.query(
      'INSERT INTO visit (patient_id, visit_type_id, date_started, location_id, creator, date_created, uuid) VALUES (?, ?, NOW(), ?, 1, NOW(), ?)',
      [newcomer.id, vt.id, dispensary.id, randomUUID()],
    );
    await eventually(async () => Number((await queryRows<{ n: number }>(district.pool, 'SELECT COUNT(*) AS n FROM atomsync_outbox'))[0].n) === 0, 60_000, 'the relay');
    const r = await subscribe();
    assert.equal(r.code, 0, `${r.out}\n--- publisher:\n${pub.output().slice(-3000)}`);
    assert.ok((await uuids(child, patientsSql)).has(newcomer.u.toLowerCase()), 'the newcomer is at the child');
    for (const [table, column] of [['visit', 'patient_id'], ['encounter', 'patient_id'], ['obs', 'person_id']]) {
      const atDistrict = await uuids(district, `SELECT uuid AS u FROM ${table} WHERE ${column} = ?`, [newcomer.id]);
      const atChild = await uuids(child, `SELECT x.uuid AS u FROM ${table} x JOIN person pe ON pe.person_id = x.${column} WHERE pe.uuid = ?`, [newcomer.u]);
      assert.deepEqual(atChild, atDistrict, `the newcomer's ${table} rows, also those from before (at other locations)`);
    }
  });

  test('a reader confined to the catchment reads its feed and its resources, and nothing else', async () => {
    const base = `http://127.0.0.1:${pub.port}/openmrs`;
    const disp = { authorization: basic('disp', 'disp-secret') };
    const own = await get(`${base}/ws/atomfeed/catchment~${dispensary.uuid}/recent`, disp);
    assert.equal(own.status, 200, own.body);
    for (const other of ['all', 'patient', `catchment~${randomUUID()}`]) {
      const r = await get(`${base}/ws/atomfeed/${other}/recent`, disp);
      assert.equal(r.status, 403, `${other}: ${r.body}`);
    }
    const members = await seenAt(dispensary.id);
    const [outsider] = [...(await uuids(district, patientsSql))].filter((u) => !members.has(u));
    const [member] = [...members];
    assert.equal((await get(`${base}/ws/rest/v1/patient/${member}?v=full`, disp)).status, 200, 'a patient of the catchment');
    const away = await get(`${base}/ws/rest/v1/patient/${outsider}?v=full`, disp);
    assert.equal(away.status, 404, `a patient of no concern to the catchment is as unknown: ${away.body}`);
    const list = await get(`${base}/ws/rest/v1/patient?v=full&uuids=${member},${outsider}`, disp);
    assert.deepEqual(JSON.parse(list.body).results.map((r: { uuid: string }) => r.uuid.toLowerCase()), [member], 'a list holds only the catchment\'s');
    const [concept] = await uuids(district, 'SELECT uuid AS u FROM concept LIMIT 1');
    assert.equal((await get(`${base}/ws/rest/v1/concept/${concept}?v=full`, disp)).status, 200, 'metadata is everyone\'s');
    // A complete page is sent as the other feeds' are: immutable, a strong ETag of its own per coding.
    const page1 = `${base}/ws/atomfeed/catchment~${dispensary.uuid}/1`;
    const plain = await get(page1, disp);
    const gz = await get(page1, { ...disp, 'accept-encoding': 'gzip' });
    assert.equal(plain.status, 200);
    assert.match(plain.headers['cache-control'], /immutable/);
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.notEqual(gz.headers.etag, plain.headers.etag, 'each coding has its own ETag');
    assert.equal((await get(page1, { ...disp, 'if-none-match': plain.headers.etag })).status, 304);
    // The reader of everything still reads any catchment.
    assert.equal((await get(`${base}/ws/atomfeed/catchment~${dispensary.uuid}/recent`, { authorization: basic('hq', 'hq-secret') })).status, 200);
  });

  test("a long poll of the catchment's recent is held through others' changes and answered by one of its own", async () => {
    const url = `http://127.0.0.1:${pub.port}/openmrs/ws/atomfeed/catchment~${dispensary.uuid}/recent`;
    const disp = { authorization: basic('disp', 'disp-secret') };
    const now = await get(url, disp);
    assert.equal(now.status, 200);
    const started = Date.now();
    const held = get(url, { ...disp, 'if-none-match': now.headers.etag, 'x-atomsync-wait': '20' });
    let answered = false;
    void held.then(() => (answered = true));
    // A change of no concern to the catchment: a patient never seen at the dispensary gets a new name.
    const members = await seenAt(dispensary.id);
    const [outsider] = await queryRows<{ id: number }>(
      district.pool,
      'SELECT p.patient_id AS id FROM patient p JOIN person pe ON pe.person_id = p.patient_id WHERE pe.uuid NOT IN (?) LIMIT 1',
      [[...members]],
    );
    await district.pool.query(`UPDATE person_name SET given_name = CONCAT(given_name, 'x'), date_changed = NOW(), changed_by = 1 WHERE person_id = ?`, [outsider.id]);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(answered, false, 'still held after a change elsewhere');
    // One of its own: a member's new visit.
    const [member] = await queryRows<{ id: number }>(
      district.pool, 'SELECT p.patient_id AS id FROM patient p JOIN person pe ON pe.person_id = p.patient_id WHERE pe.uuid IN (?) LIMIT 1', [[...members]],
    );
    const [vt] = await queryRows<{ id: number }>(district.pool, 'SELECT visit_type_id AS id FROM visit_type LIMIT 1');
    const visit = randomUUID();
    const changedAt = Date.now();
    await district.pool.query(
      'INSERT INTO visit (patient_id, visit_type_id, date_started, location_id, creator, date_created, uuid) VALUES (?, ?, NOW(), ?, 1, NOW(), ?)',
      [member.id, vt.id, dispensary.id, visit],
    );
    const r = await held;
    assert.equal(r.status, 200, r.body);
    assert.equal(r.headers['x-atomsync-wait'], '20', 'the publisher held it');
    assert.ok(r.body.includes(visit), 'the answer has the new visit');
    assert.ok(Date.now() - changedAt < 5_000, `answered ${Date.now() - changedAt} ms after the visit (held ${Date.now() - started} ms in all)`);
  });

  test('a catchment of a location the parent does not have, a reader without the right, a malformed catchment: each a clear error', async () => {
    const ghost = randomUUID();
    const base = `http://127.0.0.1:${pub.port}/openmrs/ws/atomfeed`;
    const unknown = await get(`${base}/catchment~${ghost}/recent`, { authorization: basic('hq', 'hq-secret') });
    assert.equal(unknown.status, 404, unknown.body);
    assert.match(unknown.body, new RegExp(`no location with uuid ${ghost}`));
    const bad = await get(`${base}/catchment~not_a_uuid!/recent`, { authorization: basic('hq', 'hq-secret') });
    assert.equal(bad.status, 400, bad.body);
    const r = await run(['subscribe', '--once', '--db', child.url, '--feed', feed(), '--catchment', 'a,b c']);
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /--catchment: location uuids separated by commas/);
    const notAll = await run(['subscribe', '--once', '--db', child.url, '--feed', feed().replace('/all/', '/patient/'), '--catchment', dispensary.uuid]);
    assert.equal(notAll.code, 2, notAll.out);
    assert.match(notAll.out, /--catchment reads a parent's all feed/);
  });
});
