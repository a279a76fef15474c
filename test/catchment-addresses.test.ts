// Addresses the operator maps to locations (issue 18): a patient with a non-voided address whose
// field matches a rule of a location (trimmed, any case) is in every catchment that covers the
// location, and enters it with their whole record: when an event of theirs is routed, or, for
// patients who match a rule added later, at the router's next pass, once. A rule removed makes
// nobody leave. Checked on a seeded clinic and on the OpenMRS Reference Application schema,
// against the tables, and through the real CLI.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { randomUUID } from 'node:crypto';
import { queryRows } from '../shared/db.ts';
import type { Pool } from '../shared/db.ts';
import { silentLogger } from '../shared/logger.ts';
import { loadRegistry } from '../shared/registry.ts';
import type { Registry } from '../shared/registry.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { recordOf } from '../publisher/catchments/owners.ts';
import { CatchmentRouter, ensureCatchment } from '../publisher/catchments/router.ts';
import { addAddressRule, removeAddressRule } from '../publisher/catchments/address-rules.ts';
import { seedNode } from '../tools/seed/index.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { drainOutbox } from './helpers/relay.ts';
import { UsageError, parseCommand } from '../shared/cli/args.ts';
import type { Args } from '../shared/cli/args.ts';
import { catchmentsCommand } from '../publisher/catchments/catchments-command.ts';
import { fixtureSkipReason, loadFixture } from '../tools/bench/openmrs-fixture.ts';

/**
 * `atomsync catchments ...` in this process, its exit code as bin/main.ts gives it (a usage error
 * 2, any other error 1). In-process so that the test does not depend on every other command's
 * sources loading.
 */
async function catchmentsCli(argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l), env: {}, stopSignal: new Promise<string>(() => undefined) };
  try {
    const args = parseCommand(catchmentsCommand, argv, {});
    assert.notEqual(args, 'help');
    const code = await catchmentsCommand.run(args as Args, io);
    return { code, out: lines.join('\n') };
  } catch (err) {
    lines.push((err as Error).message);
    return { code: err instanceof UsageError ? 2 : 1, out: lines.join('\n') };
  }
}

/** Reads a node's catchment state, independently of the router. */
function inspect(pool: Pool, registry: () => Registry) {
  const rows = <T>(sql: string, p: unknown[] = []) => queryRows<T>(pool, sql, p);
  const self = {
    rows,
    log: (id: number) => rows<{ position: number; seq: number; resource: string; uuid: string }>(
      'SELECT ce.position, ce.seq, e.resource, e.uuid FROM atomsync_catchment_event ce JOIN atomsync_event e ON e.seq = ce.seq WHERE ce.catchment_id = ? ORDER BY ce.position',
      [id],
    ),
    members: async (id: number) => new Set((await rows<{ p: number }>('SELECT patient_id AS p FROM atomsync_catchment_patient WHERE catchment_id = ?', [id])).map((r) => Number(r.p))),
    /** Patients with an identifier, a visit or an encounter at one of these locations. */
    seenAt: async (ids: number[]) =>
      new Set((await rows<{ p: number }>(
        `SELECT patient_id AS p FROM patient_identifier WHERE location_id IN (?) UNION SELECT patient_id FROM visit WHERE location_id IN (?)
         UNION SELECT patient_id FROM encounter WHERE location_id IN (?)`,
        [ids, ids, ids],
      )).map((r) => Number(r.p))),
    /** The patients with a non-voided address seen nowhere among these locations, lowest ids first. */
    outsiders: async (ids: number[]) => {
      const seen = await self.seenAt(ids);
      const all = await rows<{ p: number }>('SELECT DISTINCT p.patient_id AS p FROM patient p JOIN person_address pa ON pa.person_id = p.patient_id AND pa.voided = 0 ORDER BY p.patient_id');
      return all.map((r) => Number(r.p)).filter((p) => !seen.has(p));
    },
    /** The log is gap-free from 1 and names no event twice. */
    assertWellFormed: async (id: number) => {
      const log = await self.log(id);
      assert.deepEqual(log.map((e) => Number(e.position)), log.map((_, i) => i + 1), 'positions are gap-free from 1');
      assert.equal(new Set(log.map((e) => Number(e.seq))).size, log.length, 'no event twice');
      const [c] = await rows<{ positions: number }>('SELECT positions FROM atomsync_catchment WHERE id = ?', [id]);
      assert.equal(Number(c.positions), log.length);
    },
    /** The newest event of every resource of the patient's record (relationships aside) is in the log; returns how many. */
    assertWholeRecord: async (id: number, patientId: number) => {
      const inLog = new Set((await self.log(id)).map((e) => Number(e.seq)));
      let checked = 0;
      for (const r of await recordOf(pool, registry(), patientId)) {
        if (r.resource === 'relationship') continue; // in only when both patients are: catchments.test.ts
        const [{ s }] = await rows<{ s: number | null }>('SELECT MAX(seq) AS s FROM atomsync_event WHERE resource = ? AND uuid = ?', [r.resource, r.uuid]);
        if (s === null) continue; // a patient's person is published as the patient
        assert.ok(inLog.has(Number(s)), `patient ${patientId}: its ${r.resource} ${r.uuid} is in the log`);
        checked++;
      }
      assert.ok(checked >= 3, `patient ${patientId} has a record (${checked} resources)`);
      return checked;
    },
    /** No resource of the patient's record is in the log. */
    assertNothingOf: async (id: number, patientId: number) => {
      const logged = new Set((await self.log(id)).map((e) => `${e.resource}/${e.uuid.toLowerCase()}`));
      for (const r of await recordOf(pool, registry(), patientId)) {
        if (r.resource === 'person' || r.resource === 'relationship') continue; // relatives may be shared with members
        assert.ok(!logged.has(`${r.resource}/${r.uuid.toLowerCase()}`), `patient ${patientId}: ${r.resource} is not in the log`);
      }
    },
    addAddress: (patientId: number, field: string, value: string, voided = false) =>
      pool.query(
        `INSERT INTO person_address (person_id, preferred, ${field}, creator, date_created, voided, voided_by, date_voided, uuid)
         VALUES (?, 0, ?, 1, NOW(), ?, ?, ?, ?)`,
        [patientId, value, voided ? 1 : 0, voided ? 1 : null, voided ? new Date() : null, randomUUID()],
      ),
  };
  return self;
}

describe('catchments: addresses the operator maps to locations', { timeout: 300_000 }, () => {
  let clinic: TestDb;
  let registry: Registry;
  let router: CatchmentRouter;
  const loc: Record<string, { id: number; uuid: string }> = {};
  let db: ReturnType<typeof inspect>;
  const relay = () => drainOutbox(clinic.pool, 'clinic');

  before(async () => {
    clinic = await freshDatabase('catch_addr');
    await migrate(clinic.pool, 'clinic');
    await seedNode(clinic.pool, { patients: 40, seed: 'catchment-addresses' });
    await relay();
    registry = await loadRegistry(clinic.pool);
    db = inspect(clinic.pool, () => registry);
    // One patient a transaction when a rule brings several in: the sweep's batches are exercised.
    router = new CatchmentRouter(clinic.pool, registry, silentLogger, { chunkEvents: 300, sweepPatients: 1 });
    for (const r of await db.rows<{ id: number; uuid: string; name: string }>('SELECT location_id AS id, uuid, name FROM location')) {
      if (r.name.endsWith(' Dispensary')) loc.dispensary = { id: Number(r.id), uuid: r.uuid };
      if (r.name.endsWith(' HC - Maternal and Child Health')) loc.mch = { id: Number(r.id), uuid: r.uuid };
    }
    assert.ok(loc.dispensary && loc.mch, JSON.stringify(loc));
  });
  after(async () => clinic?.drop());

  test('an address mapped to a location below the catchment brings a patient in with their whole record, once; others stay out', async () => {
    // An outreach post below the ward, where nobody was seen: the rule names it, the catchment its ward.
    const outreach = randomUUID();
    await clinic.pool.query(`INSERT INTO location (name, parent_location, creator, date_created, uuid) VALUES ('MCH Outreach Post', ?, 1, NOW(), ?)`, [loc.mch.id, outreach]);
    const [{ id: outreachId }] = await db.rows<{ id: number }>('SELECT location_id AS id FROM location WHERE uuid = ?', [outreach]);
    const wardIds = [loc.mch.id, Number(outreachId)];
    const [mapped, unrelated, voided] = await db.outsiders([...wardIds, loc.dispensary.id]);
    assert.ok(voided !== undefined, 'three patients seen neither at the ward nor at the dispensary');
    // The patient's address differs from the rule in case and spaces.
    await addAddressRule(clinic.pool, outreach, 'county_district', 'Nyakach East T1');
    await db.addAddress(mapped, 'county_district', '  nyakach EAST t1 ');
    await db.addAddress(unrelated, 'county_district', 'Nyakach West T1');
    await db.addAddress(voided, 'county_district', 'Nyakach East T1', true);
    await relay();

    const ward = await ensureCatchment(clinic.pool, [loc.mch.uuid]);
    const disp = await ensureCatchment(clinic.pool, [loc.dispensary.uuid]);
    await router.routeAll();
    const expected = await db.seenAt(wardIds);
    assert.ok(expected.size > 0 && !expected.has(mapped));
    expected.add(mapped);
    assert.deepEqual(await db.members(ward.id), expected, "the ward's patients and the one whose address is mapped to the post below it");
    assert.deepEqual(await db.members(disp.id), await db.seenAt([loc.dispensary.id]), 'the post is not under the dispensary');
    await db.assertWholeRecord(ward.id, mapped);
    await db.assertNothingOf(ward.id, unrelated);
    await db.assertNothingOf(ward.id, voided);
    await db.assertWellFormed(ward.id);

    // Routed again: nothing new. A new event of theirs comes once, and their record is not repeated.
    assert.equal(await router.routeAll(), 0);
    const before = (await db.log(ward.id)).length;
    await clinic.pool.query('UPDATE person SET birthdate_estimated = 1 - birthdate_estimated, date_changed = NOW(), changed_by = 1 WHERE person_id = ?', [mapped]);
    await relay();
    assert.equal(await router.route(ward.id), 1, 'only the new event');
    assert.equal((await db.log(ward.id)).length, before + 1);
    await db.assertWellFormed(ward.id);
  });

  test('a rule added after patients exist brings the matching ones in, with their whole records, once', async () => {
    const disp = await ensureCatchment(clinic.pool, [loc.dispensary.uuid]);
    await router.route(disp.id);
    const members = await db.members(disp.id);
    const [a, b, c] = (await db.outsiders([loc.dispensary.id])).filter((p) => !members.has(p));
    assert.ok(c !== undefined, 'three patients outside the dispensary');
    await db.addAddress(a, 'city_village', 'Ahero Sweep');
    await db.addAddress(b, 'city_village', ' AHERO SWEEP');
    await db.addAddress(c, 'city_village', 'Ahero');
    await relay();
    assert.equal(await router.route(disp.id), 0, 'no rule yet: their changes are not the dispensary\'s');
    const before = await db.log(disp.id);

    const { added } = await addAddressRule(clinic.pool, loc.dispensary.uuid, 'city_village', 'ahero sweep ');
    assert.ok(added);
    const appended = await router.route(disp.id);
    assert.ok(appended > 0);
    const after = await db.log(disp.id);
    assert.deepEqual(after.slice(0, before.length), before, 'what the log held is unchanged');
    assert.deepEqual(await db.members(disp.id), new Set([...members, a, b]), 'the two who match, not the third');
    const [{ s: newest }] = await db.rows<{ s: number }>('SELECT MAX(seq) AS s FROM atomsync_event');
    const entered = await db.rows<{ p: number; s: number }>('SELECT patient_id AS p, entered_seq AS s FROM atomsync_catchment_patient WHERE catchment_id = ? AND patient_id IN (?)', [disp.id, [a, b]]);
    assert.deepEqual(entered.map((r) => Number(r.s)), [Number(newest), Number(newest)], 'they enter where routing stood');
    await db.assertWholeRecord(disp.id, a);
    await db.assertWholeRecord(disp.id, b);
    await db.assertNothingOf(disp.id, c);
    await db.assertWellFormed(disp.id);
    // Once: the next passes append nothing, and the same rule added again is the same rule.
    assert.equal(await router.route(disp.id), 0);
    assert.equal((await addAddressRule(clinic.pool, loc.dispensary.uuid, 'City_Village', 'AHERO SWEEP')).added, false);
    assert.equal(await router.route(disp.id), 0);
    // A catchment made now, of a location above the dispensary, is routed from seq 1: a and b are in it too.
    const [district] = await db.rows<{ uuid: string }>('SELECT p.uuid FROM location l JOIN location p ON p.location_id = l.parent_location WHERE l.location_id = ?', [loc.dispensary.id]);
    assert.ok(district, 'the dispensary has a parent location');
    const wide = await ensureCatchment(clinic.pool, [district.uuid]);
    await router.route(wide.id);
    const wideMembers = await db.members(wide.id);
    assert.ok(wideMembers.has(a) && wideMembers.has(b));
    await db.assertWholeRecord(wide.id, a);
    await db.assertWellFormed(wide.id);
  });

  test('an address edited to a mapped value brings the patient in; a rule removed makes nobody leave', async () => {
    const disp = await ensureCatchment(clinic.pool, [loc.dispensary.uuid]);
    await router.route(disp.id);
    const members = await db.members(disp.id);
    const [edited, late] = (await db.outsiders([loc.dispensary.id])).filter((p) => !members.has(p));
    assert.ok(late !== undefined, 'two more patients outside the dispensary');
    // Their own address row, edited as OpenMRS edits one: the event is the patient's.
    const [row] = await db.rows<{ id: number }>('SELECT person_address_id AS id FROM person_address WHERE person_id = ? AND voided = 0 ORDER BY person_address_id LIMIT 1', [edited]);
    await clinic.pool.query('UPDATE person_address SET city_village = ?, date_changed = NOW(), changed_by = 1 WHERE person_address_id = ?', ['Ahero Sweep', row.id]);
    await relay();
    const [event] = await db.rows<{ seq: number; resource: string }>('SELECT seq, resource FROM atomsync_event ORDER BY seq DESC LIMIT 1');
    assert.equal(event.resource, 'patient', 'an address edit is an event of the patient');
    const before = await db.log(disp.id);
    assert.ok((await router.route(disp.id)) > 1);
    const added = (await db.log(disp.id)).slice(before.length);
    assert.equal(Number(added[added.length - 1].seq), Number(event.seq), 'the edit that brought them in comes last');
    assert.ok((await db.members(disp.id)).has(edited));
    await db.assertWholeRecord(disp.id, edited);
    await db.assertWellFormed(disp.id);

    // The rule removed: nobody leaves, nothing is appended, and members' events still come.
    const everyone = await db.members(disp.id);
    const logBefore = await db.log(disp.id);
    assert.ok(await removeAddressRule(clinic.pool, loc.dispensary.uuid, 'city_village', 'Ahero Sweep'));
    assert.equal(await removeAddressRule(clinic.pool, loc.dispensary.uuid, 'city_village', 'Ahero Sweep'), null, 'gone');
    assert.equal(await router.route(disp.id), 0);
    assert.deepEqual(await db.members(disp.id), everyone);
    assert.deepEqual(await db.log(disp.id), logBefore);
    await clinic.pool.query('UPDATE person SET birthdate_estimated = 1 - birthdate_estimated, date_changed = NOW(), changed_by = 1 WHERE person_id = ?', [edited]);
    // And a patient who now takes that address does not enter.
    await db.addAddress(late, 'city_village', 'Ahero Sweep');
    await relay();
    assert.equal(await router.route(disp.id), 1, "the member's change, and not the newcomer's");
    assert.ok(!(await db.members(disp.id)).has(late));
  });

  test('atomsync catchments address: add, list, remove, and clear errors', async () => {
    const cli = (...args: string[]) => catchmentsCli(['address', ...args, '--db', clinic.url]);
    const ghost = randomUUID();
    let r = await cli('add', '--location', ghost, '--field', 'county_district', '--value', 'Kisumu');
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, new RegExp(`no location with uuid ${ghost}`));
    r = await cli('add', '--location', loc.dispensary.uuid, '--field', 'favourite_colour', '--value', 'Kisumu');
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /"favourite_colour" is not an address field a rule may name: one of country, state_province, county_district/);
    // atomsync's own person_address has no address7 (OpenMRS's has): refused, naming what there is.
    r = await cli('add', '--location', loc.dispensary.uuid, '--field', 'address7', '--value', 'Kisumu');
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /person_address has no column address7; a rule may name country, .*address2/);
    r = await cli('add', '--location', loc.dispensary.uuid, '--field', 'county_district');
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /needs --value/);
    r = await cli('add', '--location', loc.dispensary.uuid, '--field', 'county_district', '--value', '   ');
    assert.equal(r.code, 2, r.out);
    r = await cli('drop');
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /expected "address add", "address list" or "address remove"/);

    r = await cli('add', '--location', loc.dispensary.uuid.toUpperCase(), '--field', 'COUNTY_DISTRICT', '--value', ' Kisumu ');
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, new RegExp(`#\\d+ added: county_district = "Kisumu" -> location ${loc.dispensary.uuid}`));
    r = await cli('list');
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /address rules?:/);
    assert.match(r.out, new RegExp(`county_district = "Kisumu" -> location ${loc.dispensary.uuid} \\(.* Dispensary\\)`));
    assert.ok(!r.out.includes('Ahero Sweep'), 'the removed rule is not listed');
    r = await cli('remove', '--location', loc.dispensary.uuid, '--field', 'county_district', '--value', 'kisumu');
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /removed: .*stay in their catchments/);
    r = await cli('remove', '--location', loc.dispensary.uuid, '--field', 'county_district', '--value', 'kisumu');
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /no such rule/);
  });
});

test('migrate gives a node made before address rules their tables, and nothing the next time', async () => {
  const node = await freshDatabase('catch_addr_old');
  try {
    await migrate(node.pool, 'old-node');
    await node.pool.query('DROP TABLE atomsync_catchment_address, atomsync_catchment_address_swept');
    const r = await migrate(node.pool, 'old-node');
    assert.deepEqual(r.changes.sort(), ['created table atomsync_catchment_address', 'created table atomsync_catchment_address_swept']);
    assert.deepEqual((await migrate(node.pool, 'old-node')).changes, []);
  } finally {
    await node.drop();
  }
});

describe('address rules on a real OpenMRS database (the Reference Application schema)', { skip: fixtureSkipReason(), timeout: 300_000 }, () => {
  let site: TestDb;
  let registry: Registry;
  let db: ReturnType<typeof inspect>;
  before(async () => {
    site = await freshDatabase('catch_addr_real');
    await loadFixture(site.url);
    await migrate(site.pool, 'real-site', { snapshot: false });
    await seedNode(site.pool, { patients: 15, seed: 'catchment-addresses-real' });
    await drainOutbox(site.pool, 'real-site');
    registry = await loadRegistry(site.pool);
    db = inspect(site.pool, () => registry);
  });
  after(async () => site?.drop());

  test("OpenMRS's address7 maps patients to one of its own locations, by event and by a rule added later", async () => {
    const router = new CatchmentRouter(site.pool, registry, silentLogger);
    // A location of the Reference Application itself: no patient was seen there.
    const [refapp] = await db.rows<{ id: number; uuid: string }>(
      `SELECT location_id AS id, uuid FROM location WHERE name NOT LIKE '% Dispensary' AND name NOT LIKE '% HC - %' AND name NOT LIKE '% Health Centre' AND name NOT LIKE '% District' ORDER BY location_id LIMIT 1`,
    );
    assert.equal((await db.seenAt([refapp.id])).size, 0);
    const [first, second, other] = await db.outsiders([refapp.id]);
    assert.ok(other !== undefined);
    // The rule through the CLI: address7 is a column of OpenMRS's person_address.
    const r = await catchmentsCli(['address', 'add', '--db', site.url, '--location', refapp.uuid, '--field', 'address7', '--value', 'Sub-location 7']);
    assert.equal(r.code, 0, r.out);
    await db.addAddress(first, 'address7', 'SUB-LOCATION 7');
    await db.addAddress(other, 'address7', 'Sub-location 8');
    await drainOutbox(site.pool, 'real-site');
    const c = await ensureCatchment(site.pool, [refapp.uuid]);
    await router.route(c.id);
    assert.deepEqual(await db.members(c.id), new Set([first]));
    await db.assertWholeRecord(c.id, first);
    await db.assertNothingOf(c.id, other);

    // A second rule, added after: the matching patient enters at the next pass, once.
    await db.addAddress(second, 'county_district', 'Kisumu Real');
    await drainOutbox(site.pool, 'real-site');
    assert.equal(await router.route(c.id), 0);
    await addAddressRule(site.pool, refapp.uuid, 'county_district', 'kisumu real');
    assert.ok((await router.route(c.id)) > 0);
    assert.deepEqual(await db.members(c.id), new Set([first, second]));
    await db.assertWholeRecord(c.id, second);
    assert.equal(await router.route(c.id), 0);
    await db.assertWellFormed(c.id);
    // Every concept event is in the log: metadata is everyone's.
    const [{ n: concepts }] = await db.rows<{ n: number }>(`SELECT COUNT(*) AS n FROM atomsync_event WHERE resource = 'concept'`);
    const [{ n: logged }] = await db.rows<{ n: number }>(
      `SELECT COUNT(*) AS n FROM atomsync_catchment_event ce JOIN atomsync_event e ON e.seq = ce.seq WHERE ce.catchment_id = ? AND e.resource = 'concept'`,
      [c.id],
    );
    assert.ok(Number(concepts) > 0);
    assert.equal(Number(logged), Number(concepts));
  });
});
