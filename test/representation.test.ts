// Representations built from the registry, against a hand-made OpenMRS dataset on the
// real MariaDB; plus the pure date/reference helpers the subscriber reuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRepresentation, loadRepresentations } from '../shared/representation.ts';
import { contentHash } from '../subscriber/content-hash.ts';
import { toRowTree } from '../subscriber/row-tree.ts';
import { compileRepresentation } from '../shared/representation-sql.ts';
import { REST_PATH } from '../shared/protocol.ts';
import type { Pool } from '../shared/db.ts';
import { RESOURCE_NAMES, RESOURCES } from '../shared/resources.ts';
import type { ResourceName } from '../shared/resources.ts';
import { ADMIN_USER_UUID } from '../shared/schema/openmrs-core.ts';
import { migrate } from '../shared/schema/migrate.ts';
import {
  fromRestDate,
  fromRestDatetime,
  fromRestValue,
  refUuid,
  restRef,
  toRestDatetime,
  toRestValue,
} from '../shared/rest-format.ts';
import { freshDatabase } from './helpers/db.ts';

const BASE = 'http://clinic-a.example:8080';
const U = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const OPENMRS_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/;
const CREATED = '2016-03-09 14:47:58';
const CREATED_REST = '2016-03-09T14:47:58.000+0000';

// ---- pure helpers -----------------------------------------------------------------

test('dates convert to the OpenMRS format and back', () => {
  assert.equal(toRestDatetime('2016-03-09 14:47:58'), CREATED_REST);
  assert.equal(toRestDatetime('2016-03-09 14:47:58.123456'), '2016-03-09T14:47:58.123+0000');
  assert.equal(toRestDatetime('2016-03-09 14:47:58.5'), '2016-03-09T14:47:58.500+0000');
  assert.equal(toRestDatetime('1980-05-17'), '1980-05-17T00:00:00.000+0000');
  assert.equal(toRestDatetime(new Date(Date.UTC(2016, 2, 9, 14, 47, 58, 7))), '2016-03-09T14:47:58.007+0000');
  assert.equal(toRestDatetime(null), null);
  assert.throws(() => toRestDatetime('09/03/2016'), { name: 'RestFormatError' });

  assert.equal(fromRestDatetime(CREATED_REST), CREATED);
  assert.equal(fromRestDatetime('2016-03-09T14:47:58.250+0000'), '2016-03-09 14:47:58.250');
  assert.equal(fromRestDatetime('2016-03-09T17:47:58.000+0300'), CREATED);
  assert.equal(fromRestDatetime('2016-03-09T09:17:58.000-05:30'), CREATED);
  assert.equal(fromRestDatetime('2016-03-09T14:47:58Z'), CREATED);
  assert.equal(fromRestDatetime('2016-03-09'), '2016-03-09 00:00:00');
  assert.throws(() => fromRestDatetime('yesterday'), { name: 'RestFormatError' });

  // A birthdate keeps its calendar day whatever the sender's zone.
  assert.equal(fromRestDate('1980-05-17T00:00:00.000+0300'), '1980-05-17');
});

test('typed values and references round-trip', () => {
  assert.equal(toRestValue('bool', 1), true);
  assert.equal(toRestValue('bool', 0), false);
  assert.equal(toRestValue('bool', null), null);
  assert.equal(toRestValue('number', '37.5'), 37.5);
  assert.equal(fromRestValue('bool', true), 1);
  assert.equal(fromRestValue('date', '1980-05-17T00:00:00.000+0000'), '1980-05-17');
  assert.throws(() => fromRestValue('int', 1.5), { name: 'RestFormatError' });

  const r = restRef(`${BASE}/`, 'location', U(1), 'Ward');
  assert.deepEqual(r, {
    uuid: U(1),
    display: 'Ward',
    links: [{ rel: 'self', uri: `${BASE}${REST_PATH}/location/${U(1)}`, resourceAlias: 'location' }],
  });
  assert.equal(restRef(BASE, 'location', null, null), null);
  assert.equal(refUuid(r), U(1));
  assert.equal(refUuid(U(2)), U(2));
  assert.equal(refUuid(null), null);
});

test('queries are compiled once per resource', () => {
  for (const name of RESOURCE_NAMES) {
    const def = RESOURCES[name];
    assert.equal(compileRepresentation(def), compileRepresentation(def));
  }
});

// ---- against MariaDB ----------------------------------------------------------------

/** A small clinic: two locations, four concepts, one patient with a visit, an encounter and four obs. */
async function seed(pool: Pool): Promise<void> {
  const audit = `1, '${CREATED}'`;
  const rows: Array<[string, unknown[]]> = [
    // A clerk with no username: audit references fall back to the system id.
    [`INSERT INTO person (person_id, gender, creator, date_created, uuid) VALUES (2, 'F', ${audit}, ?)`, [U(600)]],
    [`INSERT INTO users (user_id, system_id, username, person_id, creator, date_created, uuid) VALUES (2, 'clerk-7', NULL, 2, ${audit}, ?)`, [U(601)]],

    [`INSERT INTO location (location_id, name, country, creator, date_created, uuid) VALUES (1, 'District Hospital', 'Uganda', ${audit}, ?)`, [U(101)]],
    [`INSERT INTO location (location_id, name, parent_location, creator, date_created, uuid) VALUES (2, 'Ward A', 1, ${audit}, ?)`, [U(102)]],

    [`INSERT INTO concept_datatype (concept_datatype_id, name, hl7_abbreviation, creator, date_created, uuid) VALUES
       (1, 'Coded', 'CWE', ${audit}, ?), (2, 'Numeric', 'NM', ${audit}, ?), (3, 'N/A', 'ZZ', ${audit}, ?)`, [U(201), U(202), U(203)]],
    [`INSERT INTO concept_class (concept_class_id, name, description, creator, date_created, uuid) VALUES
       (1, 'Diagnosis', 'Conclusions', ${audit}, ?), (2, 'Test', NULL, ${audit}, ?), (3, 'ConvSet', NULL, ${audit}, ?)`, [U(301), U(302), U(303)]],
    // Retired, to see the retire audit.
    [`UPDATE concept_class SET retired = 1, retired_by = 2, date_retired = '2017-01-02 03:04:05', retire_reason = 'unused' WHERE concept_class_id = 2`, []],
    [`INSERT INTO concept (concept_id, datatype_id, class_id, is_set, creator, date_created, uuid) VALUES
       (1, 3, 1, 0, ${audit}, ?), (2, 1, 2, 0, ${audit}, ?), (3, 2, 2, 0, ${audit}, ?), (4, 3, 3, 1, ${audit}, ?)`, [U(401), U(402), U(403), U(404)]],
    // Concept 1: a voided name first, a French name, then the preferred English one.
    [`INSERT INTO concept_name (concept_name_id, concept_id, name, locale, locale_preferred, concept_name_type, creator, date_created, voided, voided_by, date_voided, void_reason, uuid) VALUES
       (1, 1, 'Malria', 'en', 0, NULL, ${audit}, 1, 2, '2016-03-09 15:00:00', 'typo', ?),
       (2, 1, 'Paludisme', 'fr', 0, 'FULLY_SPECIFIED', ${audit}, 0, NULL, NULL, NULL, ?),
       (3, 1, 'Malaria', 'en', 1, 'FULLY_SPECIFIED', ${audit}, 0, NULL, NULL, NULL, ?),
       (4, 2, 'Diagnosis', 'en', 1, 'FULLY_SPECIFIED', ${audit}, 0, NULL, NULL, NULL, ?),
       (5, 3, 'Temperature (C)', 'en', 1, 'FULLY_SPECIFIED', ${audit}, 0, NULL, NULL, NULL, ?),
       (6, 4, 'Vital signs', 'en', 1, 'FULLY_SPECIFIED', ${audit}, 0, NULL, NULL, NULL, ?)`, [U(4011), U(4012), U(4013), U(4021), U(4031), U(4041)]],

    [`INSERT INTO patient_identifier_type (patient_identifier_type_id, name, description, check_digit, required, location_behavior, creator, date_created, uuid) VALUES (1, 'OpenMRS ID', 'Main id', 1, 1, 'NOT_USED', ${audit}, ?)`, [U(501)]],

    [`INSERT INTO person (person_id, gender, birthdate, birthdate_estimated, cause_of_death, creator, date_created, changed_by, date_changed, uuid) VALUES (10, 'F', '1980-05-17', 1, NULL, ${audit}, 2, '2016-03-10 08:00:00', ?)`, [U(610)]],
    [`INSERT INTO patient (patient_id, creator, date_created) VALUES (10, ${audit})`, []],
    [`INSERT INTO person_name (person_name_id, person_id, preferred, given_name, family_name, creator, date_created, voided, voided_by, date_voided, void_reason, uuid) VALUES
       (1, 10, 0, 'Jane', 'Old', ${audit}, 1, 2, '2016-03-09 15:00:00', 'misspelt', ?),
       (2, 10, 1, 'Jane', 'Doe', ${audit}, 0, NULL, NULL, NULL, ?)`, [U(611), U(612)]],
    [`INSERT INTO person_address (person_address_id, person_id, preferred, address1, city_village, country, start_date, creator, date_created, uuid) VALUES (1, 10, 1, 'Plot 4', 'Kampala', 'Uganda', '2015-01-01 00:00:00', ${audit}, ?)`, [U(613)]],
    [`INSERT INTO patient_identifier (patient_identifier_id, patient_id, identifier, identifier_type, preferred, location_id, creator, date_created, uuid) VALUES (1, 10, '100-1', 1, 1, 1, ${audit}, ?)`, [U(614)]],

    [`INSERT INTO visit_type (visit_type_id, name, creator, date_created, uuid) VALUES (1, 'Outpatient', ${audit}, ?)`, [U(700)]],
    [`INSERT INTO visit (visit_id, patient_id, visit_type_id, date_started, location_id, creator, date_created, uuid) VALUES (1, 10, 1, '2016-03-09 14:00:00', 2, ${audit}, ?)`, [U(701)]],

    [`INSERT INTO encounter_type (encounter_type_id, name, creator, date_created, uuid) VALUES (1, 'Vitals', ${audit}, ?)`, [U(800)]],
    [`INSERT INTO encounter_role (encounter_role_id, name, creator, date_created, uuid) VALUES (1, 'Clinician', ${audit}, ?)`, [U(801)]],
    [`INSERT INTO provider (provider_id, name, identifier, creator, date_created, uuid) VALUES (1, 'Dr Who', 'P1', ${audit}, ?)`, [U(802)]],
    [`INSERT INTO encounter (encounter_id, encounter_type, patient_id, location_id, visit_id, encounter_datetime, creator, date_created, changed_by, date_changed, uuid) VALUES (1, 1, 10, 2, 1, '2016-03-09 15:00:00', ${audit}, 2, '2016-03-10 08:00:00', ?)`, [U(803)]],
    [`INSERT INTO encounter_provider (encounter_provider_id, encounter_id, provider_id, encounter_role_id, creator, date_created, uuid) VALUES (1, 1, 1, 1, ${audit}, ?)`, [U(804)]],

    [`INSERT INTO obs (obs_id, person_id, concept_id, encounter_id, obs_datetime, location_id, value_coded, creator, date_created, uuid) VALUES (1, 10, 2, 1, '2016-03-09 15:00:00', 2, 1, ${audit}, ?)`, [U(901)]],
    [`INSERT INTO obs (obs_id, person_id, concept_id, encounter_id, obs_datetime, location_id, value_numeric, creator, date_created, uuid) VALUES (2, 10, 3, 1, '2016-03-09 15:00:00', 2, 37.5, ${audit}, ?)`, [U(902)]],
    [`INSERT INTO obs (obs_id, person_id, concept_id, encounter_id, obs_datetime, creator, date_created, uuid) VALUES (3, 10, 4, 1, '2016-03-09 15:00:00', ${audit}, ?)`, [U(903)]],
    [`INSERT INTO obs (obs_id, person_id, concept_id, encounter_id, obs_datetime, obs_group_id, value_numeric, creator, date_created, uuid) VALUES (4, 10, 3, 1, '2016-03-09 15:00:00', 3, 36.6, ${audit}, ?)`, [U(904)]],
  ];
  for (const [sql, params] of rows) await pool.query(sql, params);
}

/** The uuid of one seeded row of each resource kind this file seeds (the newer kinds: test/clinical-record.test.ts). */
const SAMPLE = {
  location: U(102),
  conceptdatatype: U(201),
  conceptclass: U(302),
  concept: U(401),
  patientidentifiertype: U(501),
  visittype: U(700),
  encountertype: U(800),
  encounterrole: U(801),
  provider: U(802),
  patient: U(610),
  visit: U(701),
  encounter: U(803),
  obs: U(901),
  person: U(610),
} satisfies Partial<Record<ResourceName, string>>;
type Sampled = keyof typeof SAMPLE;
const SAMPLED = Object.keys(SAMPLE) as Sampled[];

const selfUri = (resource: string, uuid: string) => `${BASE}${REST_PATH}/${resource}/${uuid}`;

/** A reference with the right uuid, display and link. */
function assertRef(v: unknown, resource: string, uuid: string, display?: string): void {
  const r = v as { uuid: string; display: string; links: unknown[] };
  assert.ok(r, `expected a ${resource} reference`);
  assert.equal(r.uuid, uuid);
  if (display !== undefined) assert.equal(r.display, display);
  assert.deepEqual(r.links, [{ rel: 'self', uri: selfUri(resource, uuid), resourceAlias: resource }]);
}

function assertAudit(rep: Record<string, unknown>, lifecycle: 'voided' | 'retired', changeAudit = true): void {
  const a = rep.auditInfo as Record<string, unknown>;
  assert.ok(a, 'auditInfo present');
  assertRef(a.creator, 'user', ADMIN_USER_UUID, 'admin');
  assert.match(a.dateCreated as string, OPENMRS_DATE);
  assert.equal('dateChanged' in a, changeAudit);
  const by = lifecycle === 'voided' ? 'voidedBy' : 'retiredBy';
  assert.ok(by in a && (lifecycle === 'voided' ? 'voidReason' : 'retireReason') in a);
  assert.equal(typeof rep[lifecycle], 'boolean');
  assert.equal((a.raw as Record<string, unknown>).dateCreated, CREATED);
}

test('representations of every resource kind', async (t) => {
  const db = await freshDatabase('rep');
  t.after(() => db.drop());
  await migrate(db.pool, 'field-a');
  await seed(db.pool);
  const load = (name: Sampled, uuid: string = SAMPLE[name]) => loadRepresentation(db.pool, RESOURCES[name], uuid, BASE);

  await t.test('every kind: uuid, display, links, audit; null for an unknown uuid', async () => {
    for (const name of SAMPLED) {
      const rep = await load(name);
      assert.ok(rep, `${name} found`);
      assert.equal(rep.uuid, SAMPLE[name]);
      assert.equal(typeof rep.display, 'string');
      assert.notEqual(rep.display, '', `${name} has a display`);
      assert.deepEqual(rep.links, [{ rel: 'self', uri: selfUri(name, SAMPLE[name]), resourceAlias: name }]);
      assert.equal(rep.resourceVersion, '1.8');
      assertAudit(rep, RESOURCES[name].root.lifecycle === 'voidable' ? 'voided' : 'retired', RESOURCES[name].root.changeAudit);
      assert.equal(await load(name, U(999_999)), null, `${name}: unknown uuid`);
    }
  });

  await t.test('location references its parent', async () => {
    const rep = (await load('location'))!;
    assert.equal(rep.display, 'Ward A');
    assert.equal(rep.name, 'Ward A');
    assert.equal(rep.country, null);
    assertRef(rep.parentLocation, 'location', U(101), 'District Hospital');
    assert.equal(rep.retired, false);
    const top = (await load('location', U(101)))!;
    assert.equal(top.parentLocation, null);
  });

  await t.test('metadata: fields typed, retire audit filled', async () => {
    const dt = (await load('conceptdatatype'))!;
    assert.equal(dt.display, 'Coded');
    assert.equal(dt.hl7Abbreviation, 'CWE');
    const cls = (await load('conceptclass'))!;
    assert.equal(cls.retired, true);
    const a = cls.auditInfo as Record<string, unknown>;
    assertRef(a.retiredBy, 'user', U(601), 'clerk-7');
    assert.equal(a.dateRetired, '2017-01-02T03:04:05.000+0000');
    assert.equal(a.retireReason, 'unused');
    assert.equal(a.changedBy, null);
    const pit = (await load('patientidentifiertype'))!;
    assert.equal(pit.checkDigit, true);
    assert.equal(pit.required, true);
    assert.equal(pit.locationBehavior, 'NOT_USED');
    assert.equal((await load('visittype'))!.display, 'Outpatient');
    assert.equal((await load('encountertype'))!.display, 'Vitals');
    assert.equal((await load('encounterrole'))!.display, 'Clinician');
    assert.equal((await load('provider'))!.display, 'P1 - Dr Who');
  });

  await t.test('concept: preferred name as display, names part with the voided one', async () => {
    const rep = (await load('concept'))!;
    assert.equal(rep.display, 'Malaria');
    assert.equal(rep.set, false);
    assertRef(rep.datatype, 'conceptdatatype', U(203), 'N/A');
    assertRef(rep.conceptClass, 'conceptclass', U(301), 'Diagnosis');
    const names = rep.names as Array<Record<string, unknown>>;
    assert.deepEqual(names.map((n) => [n.uuid, n.name, n.voided]), [
      [U(4011), 'Malria', true],
      [U(4012), 'Paludisme', false],
      [U(4013), 'Malaria', false],
    ]);
    assert.equal(names[0].display, 'Malria');
    assert.equal(names[2].localePreferred, true);
    const a = names[0].auditInfo as Record<string, unknown>;
    assertRef(a.voidedBy, 'user', U(601), 'clerk-7');
    assert.equal(a.voidReason, 'typo');
    assert.equal((await load('concept', U(404)))!.set, true);
  });

  await t.test('patient: person nested with names and addresses, identifiers with refs', async () => {
    const rep = (await load('patient'))!;
    assert.equal(rep.display, '100-1 - Jane Doe');
    assert.equal(rep.allergyStatus, 'Unknown');
    assert.equal(rep.voided, false);
    const person = rep.person as Record<string, unknown>;
    assert.equal(person.uuid, U(610));
    assert.equal(person.gender, 'F');
    assert.equal(person.birthdate, '1980-05-17T00:00:00.000+0000');
    assert.equal(person.birthdateEstimated, true);
    assert.equal(person.dead, false);
    assert.equal(person.deathDate, null);
    assert.equal(person.causeOfDeath, null);
    const pa = person.auditInfo as Record<string, unknown>;
    assertRef(pa.changedBy, 'user', U(601), 'clerk-7');
    assert.equal(pa.dateChanged, '2016-03-10T08:00:00.000+0000');
    assert.deepEqual(pa.raw, { dateCreated: CREATED, dateChanged: '2016-03-10 08:00:00', dateVoided: null });

    const names = person.names as Array<Record<string, unknown>>;
    assert.equal(names.length, 2);
    assert.deepEqual([names[0].uuid, names[0].voided, names[0].display], [U(611), true, 'Jane Old']);
    assert.equal((names[0].auditInfo as Record<string, unknown>).dateVoided, '2016-03-09T15:00:00.000+0000');
    assert.deepEqual([names[1].uuid, names[1].voided, names[1].preferred, names[1].givenName, names[1].familyName, names[1].display], [
      U(612), false, true, 'Jane', 'Doe', 'Jane Doe',
    ]);
    assert.equal(names[1].middleName, null);

    const [addr] = person.addresses as Array<Record<string, unknown>>;
    assert.equal(addr.uuid, U(613));
    assert.equal(addr.cityVillage, 'Kampala');
    assert.equal(addr.startDate, '2015-01-01T00:00:00.000+0000');

    const ids = rep.identifiers as Array<Record<string, unknown>>;
    assert.equal(ids.length, 1);
    assert.equal(ids[0].identifier, '100-1');
    assert.equal(ids[0].preferred, true);
    assertRef(ids[0].identifierType, 'patientidentifiertype', U(501), 'OpenMRS ID');
    assertRef(ids[0].location, 'location', U(101), 'District Hospital');

    // A person who is not a patient is no patient.
    assert.equal(await load('patient', U(600)), null);
  });

  await t.test('visit and encounter', async () => {
    const visit = (await load('visit'))!;
    assert.equal(visit.display, 'Outpatient @ Ward A @ 09/03/2016');
    assert.equal(visit.startDatetime, '2016-03-09T14:00:00.000+0000');
    assert.equal(visit.stopDatetime, null);
    assertRef(visit.patient, 'patient', U(610), '100-1 - Jane Doe');
    assertRef(visit.visitType, 'visittype', U(700), 'Outpatient');
    assertRef(visit.location, 'location', U(102), 'Ward A');
    assert.equal(visit.indication, null);

    const enc = (await load('encounter'))!;
    assert.equal(enc.display, 'Vitals 09/03/2016');
    assert.equal(enc.encounterDatetime, '2016-03-09T15:00:00.000+0000');
    assertRef(enc.encounterType, 'encountertype', U(800), 'Vitals');
    assertRef(enc.visit, 'visit', U(701));
    assertRef((enc.auditInfo as Record<string, unknown>).changedBy, 'user', U(601), 'clerk-7');
    const [ep] = enc.encounterProviders as Array<Record<string, unknown>>;
    assert.equal(ep.uuid, U(804));
    assert.equal(ep.display, 'P1 - Dr Who : Clinician');
    assertRef(ep.provider, 'provider', U(802), 'P1 - Dr Who');
    assertRef(ep.encounterRole, 'encounterrole', U(801), 'Clinician');
  });

  await t.test('obs: coded, numeric, group and member; every value field present', async () => {
    const coded = (await load('obs'))!;
    assert.equal(coded.display, 'Diagnosis: Malaria');
    assertRef(coded.valueCoded, 'concept', U(401), 'Malaria');
    assertRef(coded.concept, 'concept', U(402), 'Diagnosis');
    assertRef(coded.person, 'patient', U(610));
    assertRef(coded.encounter, 'encounter', U(803), 'Vitals 09/03/2016');
    for (const k of ['valueNumeric', 'valueText', 'valueDatetime', 'valueModifier', 'valueComplex', 'obsGroup', 'previousVersion', 'comment']) {
      assert.ok(k in coded, `${k} present`);
      assert.equal(coded[k], null, `${k} is null`);
    }
    assert.equal(coded.status, 'FINAL');
    const a = coded.auditInfo as Record<string, unknown>;
    assert.ok(!('changedBy' in a) && !('dateChanged' in a), 'obs have no change audit');

    const num = (await load('obs', U(902)))!;
    assert.equal(num.valueNumeric, 37.5);
    assert.equal(num.valueCoded, null);
    assert.equal(num.display, 'Temperature (C): 37.5');

    const group = (await load('obs', U(903)))!;
    assert.equal(group.display, 'Vital signs');
    const member = (await load('obs', U(904)))!;
    assertRef(member.obsGroup, 'obs', U(903), 'Vital signs');
    assert.equal(member.valueNumeric, 36.6);
  });

  await t.test('v=sync: the full representation without labels and links, read into the same rows', async () => {
    // What full has that sync must not: every display and links key, at any depth.
    const unlabelled = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(unlabelled);
      if (v === null || typeof v !== 'object') return v;
      return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'display' && k !== 'links').map(([k, x]) => [k, unlabelled(x)]));
    };
    const hasLabel = (v: unknown): boolean =>
      v !== null && typeof v === 'object' && Object.entries(v).some(([k, x]) => k === 'display' || k === 'links' || hasLabel(x));
    for (const name of SAMPLED) {
      const full = (await load(name))!;
      const lean = (await loadRepresentation(db.pool, RESOURCES[name], SAMPLE[name], BASE, 'sync'))!;
      assert.ok(hasLabel(full), `${name}: full has labels`);
      assert.equal(hasLabel(lean), false, `${name}: sync has none`);
      assert.deepEqual(lean, unlabelled(full), `${name}: sync is full minus labels`);
      const leanTree = toRowTree(RESOURCES[name], lean, SAMPLE[name]);
      assert.deepEqual(leanTree, toRowTree(RESOURCES[name], full, SAMPLE[name]), `${name}: same row tree`);
      assert.equal(contentHash(leanTree), contentHash(toRowTree(RESOURCES[name], full, SAMPLE[name])));
      const listed = await loadRepresentations(db.pool, RESOURCES[name], [SAMPLE[name], U(999_999)], BASE, 'sync');
      assert.deepEqual([...listed.keys()], [SAMPLE[name]], `${name}: list leaves the unknown uuid out`);
      assert.deepEqual(listed.get(SAMPLE[name]), lean);
    }
    // No label lookups at all: the compiled SQL selects no _display and no r<i>d/u<i>d columns.
    for (const name of RESOURCE_NAMES) {
      for (const tq of compileRepresentation(RESOURCES[name], false).tables) {
        assert.doesNotMatch(tq.sql, /AS (_display|r\d+d|u\d+d)\b/, `${name}/${tq.spec.table}`);
      }
    }
  });

  await t.test('a single connection (for a consistent snapshot) gives the same representation', async () => {
    const conn = await db.pool.getConnection();
    try {
      await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
      assert.deepEqual(await loadRepresentation(conn, RESOURCES.patient, SAMPLE.patient, BASE), await load('patient'));
      await conn.query('COMMIT');
    } finally {
      conn.release();
    }
  });

  await t.test('one query per table, each finding the resource by its unique uuid index', async () => {
    for (const name of SAMPLED) {
      const { tables } = compileRepresentation(RESOURCES[name]);
      let calls = 0;
      const counting = {
        execute: (...args: Parameters<Pool['execute']>) => {
          calls++;
          return db.pool.execute(...args);
        },
      } as unknown as Pool;
      assert.ok(await loadRepresentation(counting, RESOURCES[name], SAMPLE[name], BASE));
      assert.equal(calls, tables.length, `${name}: one query per table`);

      for (const tq of tables) {
        const plan = await db.pool.query(`EXPLAIN ${tq.sql}`, [SAMPLE[name]]);
        const rows = plan[0] as Array<{ table: string; type: string; key: string | null; Extra: string | null }>;
        // No row for this resource (a concept that is not numeric): the const uuid read already found none.
        if (rows.length === 1 && /Impossible WHERE noticed after reading const tables/.test(rows[0].Extra ?? '')) continue;
        const lookup = rows.find((r) => r.table === 'ax_uuid' || (r.key ?? '').endsWith('_uuid'));
        assert.ok(lookup, `${name}/${tq.spec.table}: uuid index used\n${JSON.stringify(rows)}`);
        assert.equal(lookup.type, 'const', `${name}/${tq.spec.table}: uuid lookup is a const read`);
        assert.match(lookup.key ?? '', /_uuid$/);
      }
    }
  });
});
