// Catchments at the publisher (issue 18, first part): the node's events routed into the log of a
// child's catchment. Checked on a seeded clinic (a district with a health centre and its wards, and
// a dispensary) against what its tables say, independently of the router: the log holds every
// metadata event, the whole record of each patient with an identifier, visit or encounter at one
// of the catchment's locations (or below them), nothing of any other patient, in gap-free
// positions; a patient who enters later brings their whole record; the log only ever grows.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createHash, randomUUID } from 'node:crypto';
import { queryRows } from '../shared/db.ts';
import { silentLogger } from '../shared/logger.ts';
import { loadRegistry } from '../shared/registry.ts';
import type { Registry } from '../shared/registry.ts';
import { RESOURCES } from '../shared/resources.ts';
import type { ResourceName } from '../shared/resources.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { isPatientOwned, ownersOf, recordOf } from '../publisher/catchments/owners.ts';
import { CatchmentRouter, UnknownLocationError, ensureCatchment } from '../publisher/catchments/router.ts';
import { seedNode } from '../tools/seed/index.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { drainOutbox } from './helpers/relay.ts';
import { fixtureSkipReason, loadFixture } from '../tools/bench/openmrs-fixture.ts';

test('--user-rights confines a reader to catchments: in their one canonical form, alone, no other feed', async () => {
  const { mayReadCatchment, mayReadFeed, parseUserRights } = await import('../publisher/rights.ts');
  const a = 'AAAA1111-0000-4000-8000-000000000001';
  const b = 'bbbb2222-0000-4000-8000-000000000002';
  const t = parseUserRights([`disp=catchment~${a}~${b}`], ['disp', 'hq']);
  const r = t.get('disp')!;
  assert.deepEqual([...r.catchments!], [`catchment~${a.toLowerCase()}~${b}`]);
  assert.equal(mayReadCatchment(r, `catchment~${a.toLowerCase()}~${b}`), true);
  assert.equal(mayReadCatchment(r, `catchment~${b}`), false, 'another catchment');
  assert.equal(mayReadFeed(r, 'all'), false);
  assert.equal(mayReadFeed(r, 'patient'), false);
  assert.equal(r.admin, false);
  assert.throws(() => parseUserRights([`disp=catchment~${a},patient`], ['disp']), /a catchment and other rights/);
  assert.throws(() => parseUserRights(['disp=catchment~'], ['disp']), /is not a catchment/);
  assert.throws(() => parseUserRights(['disp=catchment~a_b'], ['disp']), /is not a catchment/);
});

describe('catchments: routing a node\'s events into a child\'s log', { timeout: 300_000 }, () => {
  let clinic: TestDb;
  let registry: Registry;
  let router: CatchmentRouter;
  const loc: Record<string, { id: number; uuid: string }> = {};

  const rows = <T>(sql: string, params: unknown[] = []) => queryRows<T>(clinic.pool, sql, params);
  /** Relays the outbox into numbered events, as the publisher does. */
  const relay = () => drainOutbox(clinic.pool, 'clinic');
  const logOf = async (id: number) =>
    rows<{ position: number; seq: number; resource: ResourceName; uuid: string }>(
      'SELECT ce.position, ce.seq, e.resource, e.uuid FROM atomsync_catchment_event ce JOIN atomsync_event e ON e.seq = ce.seq WHERE ce.catchment_id = ? ORDER BY ce.position',
      [id],
    );
  /** Patients with an identifier, a visit or an encounter at one of these location ids, by SQL of its own. */
  const patientsAt = async (ids: number[]) =>
    new Set(
      (
        await rows<{ p: number }>(
          `SELECT patient_id AS p FROM patient_identifier WHERE location_id IN (?) UNION SELECT patient_id FROM visit WHERE location_id IN (?)
           UNION SELECT patient_id FROM encounter WHERE location_id IN (?)`,
          [ids, ids, ids],
        )
      ).map((r) => Number(r.p)),
    );

  before(async () => {
    clinic = await freshDatabase('catchments');
    await migrate(clinic.pool, 'clinic');
    await seedNode(clinic.pool, { patients: 40, seed: 'catchments' });
    await relay();
    registry = await loadRegistry(clinic.pool);
    router = new CatchmentRouter(clinic.pool, registry, silentLogger, { chunkEvents: 300 });
    for (const r of await rows<{ id: number; uuid: string; name: string; parent: number | null }>(
      'SELECT location_id AS id, uuid, name, parent_location AS parent FROM location',
    )) {
      if (r.name.endsWith(' Dispensary')) loc.dispensary = { id: Number(r.id), uuid: r.uuid };
      if (r.name.endsWith(' Health Centre')) loc.healthCentre = { id: Number(r.id), uuid: r.uuid };
      if (r.name.endsWith(' HC - Outpatient Department')) loc.opd = { id: Number(r.id), uuid: r.uuid };
    }
    assert.ok(loc.dispensary && loc.healthCentre && loc.opd, JSON.stringify(loc));
  });

  after(async () => clinic?.drop());

  test('a catchment is a set of this node\'s locations; an unknown one is refused by name', async () => {
    const ghost = randomUUID();
    await assert.rejects(ensureCatchment(clinic.pool, [loc.dispensary.uuid, ghost]), (err: Error) => err instanceof UnknownLocationError && err.message.includes(ghost));
    const a = await ensureCatchment(clinic.pool, [loc.dispensary.uuid]);
    const b = await ensureCatchment(clinic.pool, [` ${loc.dispensary.uuid.toUpperCase()} `]);
    assert.equal(a.id, b.id, 'the same set is the same catchment');
  });

  test('the log holds every metadata event and exactly the whole records of the patients seen at its locations', async () => {
    const c = await ensureCatchment(clinic.pool, [loc.dispensary.uuid]);
    const appended = await router.route(c.id);
    const log = await logOf(c.id);
    assert.equal(appended, log.length);
    assert.deepEqual(log.map((e) => Number(e.position)), log.map((_, i) => i + 1), 'positions are gap-free from 1');
    assert.equal(new Set(log.map((e) => e.seq)).size, log.length, 'no event twice');
    const [{ s: maxSeq }] = await rows<{ s: number }>('SELECT MAX(seq) AS s FROM atomsync_event');
    const [state] = await rows<{ routed_seq: number; positions: number }>('SELECT routed_seq, positions FROM atomsync_catchment WHERE id = ?', [c.id]);
    assert.equal(Number(state.routed_seq), Number(maxSeq));
    assert.equal(Number(state.positions), log.length);

    const inLog = new Set(log.map((e) => Number(e.seq)));
    const metadata = await rows<{ seq: number; resource: ResourceName }>('SELECT seq, resource FROM atomsync_event');
    const everyone = metadata.filter((e) => !isPatientOwned(e.resource));
    assert.ok(everyone.length > 0);
    for (const e of everyone) assert.ok(inLog.has(Number(e.seq)), `metadata event ${e.seq} (${e.resource}) is in the log`);

    const members = await patientsAt([loc.dispensary.id]);
    const all = new Set((await rows<{ p: number }>('SELECT patient_id AS p FROM patient')).map((r) => Number(r.p)));
    assert.ok(members.size > 0 && members.size < all.size, `some patients but not all were seen at the dispensary (${members.size} of ${all.size})`);
    // Each member's whole record: the newest event of every resource of it.
    const newestOf = async (resource: string, uuid: string) =>
      Number((await rows<{ s: number }>('SELECT MAX(seq) AS s FROM atomsync_event WHERE resource = ? AND uuid = ?', [resource, uuid]))[0].s);
    let checked = 0;
    for (const p of members) {
      const record = await recordOf(clinic.pool, registry, p);
      assert.ok(record.some((r) => r.resource === 'visit'), 'a record with visits');
      for (const r of record) {
        const newest = await newestOf(r.resource, r.uuid);
        if (!newest) continue; // a patient's person is published as the patient (person yields to patient)
        if (r.resource === 'relationship') {
          // Only with a patient who is here too: the child could not apply it without the other person.
          const owners = (await ownersOf(clinic.pool, registry, 'relationship', [r.uuid])).get(r.uuid.toLowerCase());
          if (Array.isArray(owners) && owners.some((o) => !members.has(o))) {
            assert.ok(!inLog.has(newest), `patient ${p}: relationship ${r.uuid} with a patient not in the catchment is not in the log`);
            continue;
          }
        }
        assert.ok(inLog.has(newest), `patient ${p}: ${r.resource} ${r.uuid} is in the log`);
        checked++;
      }
    }
    assert.ok(checked > members.size * 5, `the members' records were checked (${checked} resources)`);
    // Nothing of anyone else.
    const outsiders = [...all].filter((p) => !members.has(p));
    const logged = new Set(log.map((e) => `${e.resource}/${e.uuid.toLowerCase()}`));
    for (const p of outsiders) {
      for (const r of await recordOf(clinic.pool, registry, p)) {
        // A relationship with a member, and the people in it, belong to the member's record too.
        const owners = (await ownersOf(clinic.pool, registry, r.resource, [r.uuid])).get(r.uuid.toLowerCase());
        if (owners === 'everyone' || owners?.some((o) => members.has(o))) continue;
        assert.ok(!logged.has(`${r.resource}/${r.uuid.toLowerCase()}`), `patient ${p} (not seen at the dispensary): ${r.resource} is not in the log`);
      }
    }
    assert.equal(Number((await rows<{ n: number }>('SELECT COUNT(*) AS n FROM atomsync_catchment_patient WHERE catchment_id = ?', [c.id]))[0].n), members.size);
  });

  test('a patient who enters later brings their whole record, after what the log held, which never changes', async () => {
    const c = await ensureCatchment(clinic.pool, [loc.dispensary.uuid]);
    await router.route(c.id);
    const before = await logOf(c.id);
    const members = await patientsAt([loc.dispensary.id]);
    const [newcomer] = (await rows<{ p: number }>('SELECT patient_id AS p FROM patient ORDER BY patient_id')).map((r) => Number(r.p)).filter((p) => !members.has(p));
    assert.ok(newcomer, 'a patient not yet seen at the dispensary');
    // Their first visit at the dispensary, as OpenMRS writes one (the trigger records the event).
    const [vt] = await rows<{ id: number }>('SELECT visit_type_id AS id FROM visit_type LIMIT 1');
    const visitUuid = randomUUID();
    await clinic.pool.query(
      'INSERT INTO visit (patient_id, visit_type_id, date_started, location_id, creator, date_created, uuid) VALUES (?, ?, NOW(), ?, 1, NOW(), ?)',
      [newcomer, vt.id, loc.dispensary.id, visitUuid],
    );
    await relay();
    await router.route(c.id);
    const after = await logOf(c.id);
    assert.deepEqual(after.slice(0, before.length), before, 'what the log held is unchanged: its pages stay immutable');
    const added = after.slice(before.length);
    assert.equal(added[added.length - 1].uuid, visitUuid, 'the visit that brought them in comes last');
    const record = await recordOf(clinic.pool, registry, newcomer);
    const addedKeys = new Set(added.map((e) => `${e.resource}/${e.uuid.toLowerCase()}`));
    const published = new Set((await rows<{ k: string }>("SELECT DISTINCT CONCAT(resource, '/', LOWER(uuid)) AS k FROM atomsync_event")).map((r) => r.k));
    const expected = record.map((r) => `${r.resource}/${r.uuid.toLowerCase()}`).filter((k) => published.has(k));
    assert.ok(expected.length > 3, `the newcomer has a record (${expected.join(' ')})`);
    for (const k of expected) assert.ok(addedKeys.has(k), `the newcomer's ${k} came with them`);
    // Oldest first: the record arrives in the order it was written.
    const seqs = added.slice(0, -1).map((e) => Number(e.seq));
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
  });

  test('a relative registered before the relationship is sent to no child, then comes with it; a provider goes to all', async () => {
    const c = await ensureCatchment(clinic.pool, [loc.dispensary.uuid]);
    await router.route(c.id);
    const logged = async () => new Set((await logOf(c.id)).map((e) => `${e.resource}/${e.uuid.toLowerCase()}`));
    // A relative, as OpenMRS writes a person who is no patient; and a provider's person.
    const person = async (family: string) => {
      const u = randomUUID();
      const [res] = await clinic.pool.query("INSERT INTO person (gender, creator, date_created, uuid) VALUES ('F', 1, NOW(), ?)", [u]);
      const id = (res as { insertId: number }).insertId;
      await clinic.pool.query(
        "INSERT INTO person_name (person_id, preferred, given_name, family_name, creator, date_created, uuid) VALUES (?, 1, 'Test', ?, 1, NOW(), ?)",
        [id, family, randomUUID()],
      );
      return { id, uuid: u };
    };
    const relative = await person('Relative');
    const staff = await person('Staff');
    await clinic.pool.query('INSERT INTO provider (person_id, identifier, creator, date_created, uuid) VALUES (?, ?, 1, NOW(), ?)', [staff.id, `P-${staff.id}`, randomUUID()]);
    await relay();
    await router.route(c.id);
    assert.ok(!(await logged()).has(`person/${relative.uuid}`), 'a person tied to no patient goes to no child');
    assert.ok((await logged()).has(`person/${staff.uuid}`), "a provider's person goes to every child");
    // Now the relationship to a member of the catchment: the relative comes with it, before it.
    const [member] = [...(await patientsAt([loc.dispensary.id]))];
    const [type] = await rows<{ id: number }>('SELECT relationship_type_id AS id FROM relationship_type LIMIT 1');
    const rel = randomUUID();
    await clinic.pool.query('INSERT INTO relationship (person_a, relationship, person_b, creator, date_created, uuid) VALUES (?, ?, ?, 1, NOW(), ?)', [relative.id, type.id, member, rel]);
    await relay();
    await router.route(c.id);
    const log = await logOf(c.id);
    const at = (resource: string, uuid: string) => log.findIndex((e) => e.resource === resource && e.uuid.toLowerCase() === uuid);
    assert.ok(at('person', relative.uuid) >= 0, 'the relative comes with the relationship');
    assert.ok(at('person', relative.uuid) < at('relationship', rel), 'before it');
    // And to no other catchment, where the patient is not.
    const other = await ensureCatchment(clinic.pool, [loc.opd.uuid]);
    await router.route(other.id);
    const members = await patientsAt([loc.opd.id]);
    if (!members.has(member)) assert.ok(!(await logOf(other.id)).some((e) => e.uuid.toLowerCase() === relative.uuid), 'not to a catchment the patient is not in');
  });

  test('a catchment made later, of a parent location, is routed from the start and covers the locations below it', async () => {
    const hc = await ensureCatchment(clinic.pool, [loc.healthCentre.uuid]);
    const opd = await ensureCatchment(clinic.pool, [loc.opd.uuid]);
    await router.routeAll();
    const patientsOf = async (id: number) => new Set((await rows<{ p: number }>('SELECT patient_id AS p FROM atomsync_catchment_patient WHERE catchment_id = ?', [id])).map((r) => Number(r.p)));
    const [hcMembers, opdMembers] = [await patientsOf(hc.id), await patientsOf(opd.id)];
    const wardIds = (await rows<{ id: number }>('SELECT location_id AS id FROM location WHERE parent_location = ?', [loc.healthCentre.id])).map((r) => Number(r.id));
    assert.deepEqual(hcMembers, await patientsAt([loc.healthCentre.id, ...wardIds]), 'the health centre and its wards');
    assert.deepEqual(opdMembers, await patientsAt([loc.opd.id]), 'the ward alone: not its parent');
    for (const p of opdMembers) assert.ok(hcMembers.has(p), 'a ward\'s patients are in its health centre\'s catchment');
    // Routing again with nothing new appends nothing.
    assert.equal(await router.routeAll(), 0);
    assert.ok(Object.keys(RESOURCES).length > 0);
  });
});

describe('catchments on a real OpenMRS database (the Reference Application schema)', { skip: fixtureSkipReason(), timeout: 300_000 }, () => {
  let site: TestDb;
  before(async () => {
    site = await freshDatabase('catchments_real');
    await loadFixture(site.url);
    await migrate(site.pool, 'real-site', { snapshot: false });
    await seedNode(site.pool, { patients: 15, seed: 'catchments-real' });
    await drainOutbox(site.pool, 'real-site');
  });
  after(async () => site?.drop());

  test("a catchment of one of the site's own locations and one of the seeded clinic's: the right patients, and its metadata", async () => {
    const registry = await loadRegistry(site.pool);
    const router = new CatchmentRouter(site.pool, registry, silentLogger);
    const rows = <T>(sql: string, p: unknown[] = []) => queryRows<T>(site.pool, sql, p);
    const [disp] = await rows<{ id: number; uuid: string }>(`SELECT location_id AS id, uuid FROM location WHERE name LIKE '% Dispensary'`);
    // A location of the Reference Application itself (its demo data is not loaded: no patients there).
    const [refapp] = await rows<{ id: number; uuid: string }>(`SELECT location_id AS id, uuid FROM location WHERE name NOT LIKE '% Dispensary' AND name NOT LIKE '% HC - %' AND name NOT LIKE '% Health Centre' AND name NOT LIKE '% District' ORDER BY location_id LIMIT 1`);
    assert.ok(disp && refapp, 'both kinds of location');
    const c = await ensureCatchment(site.pool, [disp.uuid, refapp.uuid]);
    assert.ok((await router.route(c.id)) > 0);
    const members = new Set((await rows<{ p: number }>('SELECT patient_id AS p FROM atomsync_catchment_patient WHERE catchment_id = ?', [c.id])).map((r) => Number(r.p)));
    const ids = [disp.id, refapp.id];
    const expected = new Set(
      (await rows<{ p: number }>(
        `SELECT patient_id AS p FROM patient_identifier WHERE location_id IN (?) UNION SELECT patient_id FROM visit WHERE location_id IN (?)
         UNION SELECT patient_id FROM encounter WHERE location_id IN (?)`, [ids, ids, ids],
      )).map((r) => Number(r.p)),
    );
    assert.ok(expected.size > 0);
    assert.deepEqual(members, expected);
    // Every concept event (CIEL uuids, 32 or 36 characters) is in the log: metadata is everyone's.
    const [{ n: concepts }] = await rows<{ n: number }>(`SELECT COUNT(*) AS n FROM atomsync_event WHERE resource = 'concept'`);
    const [{ n: logged }] = await rows<{ n: number }>(
      `SELECT COUNT(*) AS n FROM atomsync_catchment_event ce JOIN atomsync_event e ON e.seq = ce.seq WHERE ce.catchment_id = ? AND e.resource = 'concept'`, [c.id],
    );
    assert.ok(Number(concepts) > 0);
    assert.equal(Number(logged), Number(concepts));
  });
});

test('migrate gives a node made by an older atomsync the index and columns added since', async () => {
  const db = await freshDatabase('late_schema');
  try {
    await migrate(db.pool, 'old-node');
    // As an older atomsync left them.
    await db.pool.query('ALTER TABLE atomsync_event DROP KEY atomsync_event_resource_uuid');
    await db.pool.query('ALTER TABLE atomsync_conflict DROP COLUMN resolved_at, DROP COLUMN resolution');
    await db.pool.query('DROP TABLE atomsync_subscriber_position');
    await db.pool.query(`CREATE TABLE atomsync_subscriber_position (subscriber VARCHAR(64) NOT NULL, feed VARCHAR(64) NOT NULL, position BIGINT NOT NULL,
      page INT NOT NULL, seen_at DATETIME(3) NOT NULL, PRIMARY KEY (subscriber, feed)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
    await db.pool.query("INSERT INTO atomsync_subscriber_position VALUES ('hq', 'all', 120, 3, '2026-12-01 10:00:00.000')");
    const r = await migrate(db.pool, 'old-node');
    // Positions keep what they held, and take a catchment's long category now.
    const [kept] = await queryRows<{ feed_key: string; feed: string; position: number }>(db.pool, 'SELECT feed_key, feed, position FROM atomsync_subscriber_position');
    assert.deepEqual({ ...kept, position: Number(kept.position) }, { feed_key: createHash('sha1').update('all').digest('hex'), feed: 'all', position: 120 });
    assert.ok(r.changes.includes('added column atomsync_subscriber_position.feed_key'), r.changes.join('; '));
    const long = `catchment~${Array.from({ length: 50 }, (_, i) => `${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`).join('~')}`;
    await db.pool.query("INSERT INTO atomsync_subscriber_position (subscriber, feed_key, feed, position, page, seen_at) VALUES ('district', SHA1(?), ?, 1, 1, UTC_TIMESTAMP(3))", [long, long]);
    assert.ok(r.changes.includes('added index atomsync_event_resource_uuid'), r.changes.join('; '));
    assert.ok(r.changes.includes('added column atomsync_conflict.resolved_at') && r.changes.includes('added column atomsync_conflict.resolution'), r.changes.join('; '));
    assert.deepEqual((await migrate(db.pool, 'old-node')).changes, [], 'and nothing the next time');
  } finally {
    await db.drop();
  }
});
