// The seed generator against a real MariaDB: ratios, determinism, idempotent
// metadata and the live-activity actions. Each test seeds its own databases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { queryRows } from '../shared/db.ts';
import type { Pool } from '../shared/db.ts';
import { migrate } from '../shared/schema/migrate.ts';
import {
  IDENTIFIER_TYPES,
  OBS_PER_ENCOUNTER,
  createPatient,
  createVisitWithEncounter,
  editPatientName,
  ensureMetadata,
  isValidOpenmrsId,
  openLiveContext,
  openmrsId,
  pickEncounterId,
  pickPatientId,
  advanceProgramState,
  Rng,
  seedNode,
  voidEncounter,
} from '../tools/seed/index.ts';
import { fixtureSkipReason, loadFixture } from '../tools/bench/openmrs-fixture.ts';
import { planPatient } from '../tools/seed/plan-patient.ts';
import { uuidSequence } from '../tools/seed/uuid.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';

const CLINICAL_TABLES = [
  'location',
  'provider',
  'person',
  'person_name',
  'person_address',
  'patient',
  'patient_identifier',
  'visit',
  'encounter',
  'encounter_provider',
  'obs',
];
const METADATA_TABLES = [
  'concept_datatype',
  'concept_class',
  'concept',
  'concept_name',
  'patient_identifier_type',
  'visit_type',
  'encounter_type',
  'encounter_role',
];

async function count(pool: Pool, sql: string, params: unknown[] = []): Promise<number> {
  const [row] = await queryRows<{ n: number }>(pool, sql, params);
  return Number(row.n);
}

async function migrated(nodeId: string, cleanup: TestDb[]): Promise<TestDb> {
  const db = await freshDatabase('seed');
  cleanup.push(db);
  await migrate(db.pool, nodeId);
  return db;
}

async function dropAll(dbs: TestDb[]): Promise<void> {
  await Promise.all(dbs.map((d) => d.drop()));
}

/**
 * Every row of the clinical tables, minus the admin person migrate writes with
 * the current time. Obs keys depend on how rows were batched, so obs refer to
 * their group and previous version by uuid instead.
 */
async function clinicalDump(pool: Pool): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of CLINICAL_TABLES.filter((x) => x !== 'obs')) {
    const where = t === 'person' ? 'WHERE person_id <> 1' : '';
    const key = t === 'patient' ? 'patient_id' : 'uuid';
    out[t] = await queryRows(pool, `SELECT * FROM ${t} ${where} ORDER BY ${key}`);
  }
  const obs = await queryRows<Record<string, unknown>>(
    pool,
    `SELECT o.*, g.uuid AS group_uuid, pv.uuid AS previous_uuid, ord.uuid AS order_uuid FROM obs o
     LEFT JOIN obs g ON g.obs_id = o.obs_group_id LEFT JOIN obs pv ON pv.obs_id = o.previous_version
     LEFT JOIN orders ord ON ord.order_id = o.order_id ORDER BY o.uuid`,
  );
  out.obs = obs.map(({ obs_id: _id, obs_group_id: _group, previous_version: _previous, order_id: _order, ...rest }) => rest);
  // The rest of the record, by uuid: their integer keys, like obs's, depend on how rows were batched.
  for (const [t, sql] of Object.entries(RECORD_DUMP)) out[t] = await queryRows(pool, sql);
  return out;
}

const RECORD_DUMP: Record<string, string> = {
  orders: `SELECT o.uuid, o.order_number, o.order_action, p.uuid AS previous, e.uuid AS encounter, o.concept_id, o.orderer, o.date_activated,
             o.auto_expire_date, o.date_stopped, o.urgency, o.voided, d.drug_inventory_id, d.dose, d.quantity, t.specimen_source
           FROM orders o LEFT JOIN orders p ON p.order_id = o.previous_order_id JOIN encounter e ON e.encounter_id = o.encounter_id
           LEFT JOIN drug_order d ON d.order_id = o.order_id LEFT JOIN test_order t ON t.order_id = o.order_id ORDER BY o.uuid`,
  patient_state: `SELECT s.uuid, pp.uuid AS enrolment, pp.patient_id, pp.date_enrolled, pp.date_completed, s.state, s.start_date, s.end_date
                  FROM patient_state s JOIN patient_program pp ON pp.patient_program_id = s.patient_program_id ORDER BY s.uuid`,
  conditions: `SELECT c.uuid, c.patient_id, c.condition_coded, c.clinical_status, c.verification_status, c.onset_date, c.end_date, c.voided,
                 p.uuid AS previous, e.uuid AS encounter FROM conditions c LEFT JOIN conditions p ON p.condition_id = c.previous_version
                 LEFT JOIN encounter e ON e.encounter_id = c.encounter_id ORDER BY c.uuid`,
  encounter_diagnosis: `SELECT d.uuid, e.uuid AS encounter, d.diagnosis_coded, d.certainty, d.\`rank\`, c.uuid AS cond FROM encounter_diagnosis d
                        JOIN encounter e ON e.encounter_id = d.encounter_id LEFT JOIN conditions c ON c.condition_id = d.condition_id ORDER BY d.uuid`,
  relationship: `SELECT r.uuid, a.uuid AS a, b.uuid AS b, r.relationship, r.start_date, r.end_date FROM relationship r
                 JOIN person a ON a.person_id = r.person_a JOIN person b ON b.person_id = r.person_b ORDER BY r.uuid`,
  person_attribute: 'SELECT a.uuid, p.uuid AS person, a.person_attribute_type_id, a.value, a.voided FROM person_attribute a JOIN person p ON p.person_id = a.person_id ORDER BY a.uuid',
  allergy: `SELECT a.uuid, a.patient_id, a.coded_allergen, a.severity_concept_id, a.allergen_type, GROUP_CONCAT(r.reaction_concept_id ORDER BY r.uuid) AS reactions
            FROM allergy a LEFT JOIN allergy_reaction r ON r.allergy_id = a.allergy_id GROUP BY a.allergy_id ORDER BY a.uuid`,
  visit_attribute: 'SELECT a.uuid, v.uuid AS visit, a.attribute_type_id, a.value_reference FROM visit_attribute a JOIN visit v ON v.visit_id = a.visit_id ORDER BY a.uuid',
};

async function uuidsOf(pool: Pool, tables: string[]): Promise<Set<string>> {
  const all = new Set<string>();
  for (const t of tables) {
    const where = t === 'person' ? 'WHERE person_id <> 1' : '';
    for (const r of await queryRows<{ uuid: string }>(pool, `SELECT uuid FROM ${t} ${where}`)) all.add(r.uuid);
  }
  return all;
}

test('seedNode writes patients, visits, encounters and obs in the required ratios', async (t) => {
  const dbs: TestDb[] = [];
  t.after(() => dropAll(dbs));
  const { pool } = await migrated('clinic-ratios', dbs);
  const progress: Array<[number, number]> = [];
  const report = await seedNode(pool, { patients: 40, seed: 'ratios', patientsPerBatch: 15, onProgress: (d, n) => progress.push([d, n]) });

  assert.equal(report.patients, 40);
  assert.deepEqual(progress, [[15, 40], [30, 40], [40, 40]]);
  assert.equal(await count(pool, 'SELECT COUNT(*) AS n FROM patient'), 40);
  assert.ok(report.rows > 40 * 30, `expected many rows, got ${report.rows}`);

  const encounters = await count(pool, 'SELECT COUNT(*) AS n FROM encounter');
  assert.ok(encounters / 40 >= 2 && encounters / 40 <= 4, `encounters per patient ${encounters / 40}`);
  assert.ok((await count(pool, 'SELECT COUNT(*) AS n FROM visit')) > 40);

  const perEncounter = await queryRows<{ lo: number; hi: number; none: number }>(
    pool,
    `SELECT MIN(n) AS lo, MAX(n) AS hi, (SELECT COUNT(*) FROM encounter e WHERE NOT EXISTS (SELECT 1 FROM obs o WHERE o.encounter_id = e.encounter_id)) AS none
     FROM (SELECT COUNT(*) AS n FROM obs GROUP BY encounter_id) x`,
  );
  assert.equal(Number(perEncounter[0].none), 0, 'every encounter has obs');
  assert.ok(Number(perEncounter[0].lo) >= OBS_PER_ENCOUNTER.min, `min obs per encounter ${perEncounter[0].lo}`);
  assert.ok(Number(perEncounter[0].hi) <= OBS_PER_ENCOUNTER.max, `max obs per encounter ${perEncounter[0].hi}`);

  // Obs groups: members point at a parent whose concept is a set, in the same encounter.
  assert.ok((await count(pool, 'SELECT COUNT(*) AS n FROM obs WHERE obs_group_id IS NOT NULL')) > 0);
  assert.equal(
    await count(
      pool,
      `SELECT COUNT(*) AS n FROM obs m JOIN obs g ON g.obs_id = m.obs_group_id JOIN concept c ON c.concept_id = g.concept_id
       WHERE c.is_set = 0 OR g.encounter_id <> m.encounter_id OR g.person_id <> m.person_id`,
    ),
    0,
  );
  for (const col of ['value_coded', 'value_numeric', 'value_text', 'value_datetime']) {
    assert.ok((await count(pool, `SELECT COUNT(*) AS n FROM obs WHERE ${col} IS NOT NULL`)) > 0, `obs with ${col}`);
  }
  // Corrections point at the voided obs they replace, of the same concept.
  assert.equal(
    await count(pool, 'SELECT COUNT(*) AS n FROM obs n JOIN obs o ON o.obs_id = n.previous_version WHERE o.voided = 0 OR o.concept_id <> n.concept_id'),
    0,
  );

  assert.equal(await count(pool, 'SELECT COUNT(*) AS n FROM encounter e WHERE NOT EXISTS (SELECT 1 FROM encounter_provider p WHERE p.encounter_id = e.encounter_id)'), 0);
  const providers = await count(pool, 'SELECT COUNT(*) AS n FROM provider');
  assert.ok(providers >= 3 && providers <= 10, `providers ${providers}`);
  assert.equal(await count(pool, 'SELECT COUNT(*) AS n FROM location WHERE parent_location IS NULL'), 1);
  assert.ok((await count(pool, 'SELECT COUNT(*) AS n FROM location WHERE parent_location IS NOT NULL')) >= 3);

  const ids = await queryRows<{ identifier: string }>(
    pool,
    'SELECT pi.identifier FROM patient_identifier pi JOIN patient_identifier_type t ON t.patient_identifier_type_id = pi.identifier_type WHERE t.uuid = ?',
    [IDENTIFIER_TYPES.openmrsId.uuid],
  );
  assert.equal(ids.length, 40);
  for (const { identifier } of ids) assert.ok(isValidOpenmrsId(identifier), 'OpenMRS ID has a valid check digit');

  // Updates and voids exist, so the feeds carry more than CREATED.
  assert.ok((await count(pool, 'SELECT COUNT(*) AS n FROM visit WHERE changed_by = 1 AND date_changed IS NOT NULL')) > 0);
  assert.ok((await count(pool, 'SELECT COUNT(*) AS n FROM obs WHERE voided = 1 AND voided_by = 1 AND void_reason IS NOT NULL')) > 0);
  const dates = await queryRows<{ lo: string; hi: string }>(pool, 'SELECT MIN(encounter_datetime) AS lo, MAX(encounter_datetime) AS hi FROM encounter');
  assert.match(dates[0].lo, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  assert.ok(new Date(`${dates[0].hi}Z`).getTime() - new Date(`${dates[0].lo}Z`).getTime() < 2.1 * 365 * 86_400_000);
  assert.ok((await count(pool, `SELECT COUNT(*) AS n FROM atomsync_outbox WHERE resource = 'obs'`)) > 0, 'triggers fired');
});

test('the same seed and node id give identical data; another node id gives other clinical uuids and the same metadata', async (t) => {
  const dbs: TestDb[] = [];
  t.after(() => dropAll(dbs));
  const a = await migrated('clinic-x', dbs);
  const b = await migrated('clinic-x', dbs);
  const c = await migrated('clinic-y', dbs);
  for (const db of [a, c]) await seedNode(db.pool, { patients: 12, seed: 7, patientsPerBatch: 5 });
  // Another batch size and the other way of learning keys change nothing.
  await seedNode(b.pool, { patients: 12, seed: 7, patientsPerBatch: 12, idStrategy: 'lookup', rowsPerInsert: 7 });

  assert.deepEqual(await clinicalDump(b.pool), await clinicalDump(a.pool));

  const clinicalX = await uuidsOf(a.pool, CLINICAL_TABLES.filter((x) => x !== 'patient'));
  const clinicalY = await uuidsOf(c.pool, CLINICAL_TABLES.filter((x) => x !== 'patient'));
  assert.ok(clinicalX.size > 500);
  assert.equal([...clinicalY].filter((u) => clinicalX.has(u)).length, 0, 'no clinical uuid shared between nodes');
  assert.deepEqual(await uuidsOf(c.pool, METADATA_TABLES), await uuidsOf(a.pool, METADATA_TABLES));
});

test('ensureMetadata and seedNode are idempotent', async (t) => {
  const dbs: TestDb[] = [];
  t.after(() => dropAll(dbs));
  const { pool } = await migrated('clinic-idem', dbs);
  const first = await ensureMetadata(pool);
  assert.ok(first.inserted > 50);
  const before = await uuidsOf(pool, METADATA_TABLES);
  assert.deepEqual(await ensureMetadata(pool), { inserted: 0 });
  assert.equal((await uuidsOf(pool, METADATA_TABLES)).size, before.size);

  await seedNode(pool, { patients: 6, seed: 'again' });
  const rows = await count(pool, 'SELECT COUNT(*) AS n FROM obs');
  const second = await seedNode(pool, { patients: 6, seed: 'again' });
  assert.equal(second.patients, 0);
  assert.equal(second.skippedPatients, 6);
  assert.equal(await count(pool, 'SELECT COUNT(*) AS n FROM obs'), rows);
  assert.equal((await uuidsOf(pool, METADATA_TABLES)).size, before.size);
});

test('live actions register, record, edit and void in single transactions', async (t) => {
  const dbs: TestDb[] = [];
  t.after(() => dropAll(dbs));
  const { pool } = await migrated('clinic-live', dbs);
  await seedNode(pool, { patients: 3, seed: 'live' });
  const now = new Date('2026-11-20T10:00:00Z');
  const ctx = await openLiveContext(pool, { seed: 'live', stream: 'test-run', now: () => now });
  // The live context finds the site the seed made rather than making another.
  assert.equal(await count(pool, 'SELECT COUNT(*) AS n FROM location WHERE parent_location IS NULL'), 1);

  const { patientId, uuid } = await createPatient(pool, ctx);
  assert.equal(await count(pool, 'SELECT COUNT(*) AS n FROM person WHERE person_id = ? AND uuid = ?', [patientId, uuid]), 1);
  const [idRow] = await queryRows<{ identifier: string }>(pool, 'SELECT identifier FROM patient_identifier WHERE patient_id = ? AND preferred = 1', [patientId]);
  assert.equal(idRow.identifier, openmrsId(ctx.idPrefix, patientId));

  const visit = await createVisitWithEncounter(pool, ctx, patientId);
  assert.ok(visit.obs >= OBS_PER_ENCOUNTER.min && visit.obs <= OBS_PER_ENCOUNTER.max);
  assert.equal(await count(pool, 'SELECT COUNT(*) AS n FROM obs WHERE encounter_id = ?', [visit.encounterId]), visit.obs);
  assert.equal(await count(pool, 'SELECT COUNT(*) AS n FROM encounter WHERE encounter_id = ? AND visit_id = ?', [visit.encounterId, visit.visitId]), 1);
  const [latest] = await queryRows<{ hi: string }>(pool, 'SELECT GREATEST(MAX(date_created), MAX(obs_datetime)) AS hi FROM obs WHERE encounter_id = ?', [visit.encounterId]);
  assert.ok(latest.hi <= '2026-11-20 10:00:00', 'nothing dated after now');

  assert.equal(await editPatientName(pool, ctx, patientId), true);
  assert.equal(await count(pool, `SELECT COUNT(*) AS n FROM person_name WHERE person_id = ? AND date_changed = '2026-11-20 10:00:00'`, [patientId]), 1);

  const res = await voidEncounter(pool, ctx, visit.encounterId);
  assert.deepEqual(res, { voided: true, obs: visit.obs });
  assert.equal(await count(pool, 'SELECT COUNT(*) AS n FROM obs WHERE encounter_id = ? AND voided = 0', [visit.encounterId]), 0);
  const [encUuid] = await queryRows<{ uuid: string }>(pool, 'SELECT uuid FROM encounter WHERE encounter_id = ?', [visit.encounterId]);
  assert.equal(await count(pool, `SELECT COUNT(*) AS n FROM atomsync_outbox WHERE resource = 'encounter' AND action = 'VOIDED' AND uuid = ?`, [encUuid.uuid]), 1);
  assert.deepEqual(await voidEncounter(pool, ctx, visit.encounterId), { voided: false, obs: 0 });

  const picked = await pickEncounterId(pool, new Rng('pick'));
  assert.ok(picked !== null && picked !== visit.encounterId);
});

test('the whole clinical record: orders, programs, attributes, relationships, diagnoses, conditions, allergies, in a clinic\'s proportions', async (t) => {
  const dbs: TestDb[] = [];
  t.after(() => dropAll(dbs));
  const { pool } = await migrated('clinic-record', dbs);
  const report = await seedNode(pool, { patients: 150, seed: 'record' });
  const n = (sql: string, params: unknown[] = []) => count(pool, sql, params);

  // The report counts every kind, as the tables do.
  for (const table of ['orders', 'drug_order', 'test_order', 'patient_program', 'patient_state', 'person_attribute', 'relationship', 'conditions', 'encounter_diagnosis', 'allergy', 'allergy_reaction', 'visit_attribute']) {
    const rows = await n(`SELECT COUNT(*) AS n FROM ${table}`);
    assert.ok(rows > 0, `${table} has rows`);
    assert.equal(report.kinds[table], rows, `report.kinds.${table}`);
  }
  assert.equal(Object.values(report.kinds).reduce((s, x) => s + x, 0), report.rows);

  // Orders: a drug or test row per order of that type, unique numbers, an orderer, in the patient's encounter.
  assert.equal(await n('SELECT COUNT(*) - COUNT(DISTINCT order_number) AS n FROM orders'), 0, 'order numbers are unique');
  assert.equal(await n(`SELECT COUNT(*) AS n FROM orders o JOIN order_type t ON t.order_type_id = o.order_type_id
    WHERE (t.java_class_name = 'org.openmrs.DrugOrder') <> EXISTS (SELECT 1 FROM drug_order d WHERE d.order_id = o.order_id)
       OR (t.java_class_name = 'org.openmrs.TestOrder') <> EXISTS (SELECT 1 FROM test_order x WHERE x.order_id = o.order_id)`), 0);
  assert.equal(await n('SELECT COUNT(*) AS n FROM orders o JOIN encounter e ON e.encounter_id = o.encounter_id WHERE e.patient_id <> o.patient_id OR o.voided <> e.voided'), 0);
  const perPatient = (await n('SELECT COUNT(*) AS n FROM orders')) / 150;
  assert.ok(perPatient > 1 && perPatient < 10, `orders per patient ${perPatient}`);
  // Revised and discontinued the OpenMRS way: a new order points at the old one, stopped a moment before.
  for (const action of ['REVISE', 'DISCONTINUE']) {
    assert.ok((await n('SELECT COUNT(*) AS n FROM orders WHERE order_action = ?', [action])) > 0, `${action} orders`);
  }
  assert.equal(await n(`SELECT COUNT(*) AS n FROM orders o LEFT JOIN orders p ON p.order_id = o.previous_order_id
    WHERE (o.order_action = 'NEW') <> (o.previous_order_id IS NULL)
       OR (p.order_id IS NOT NULL AND (p.date_stopped <> o.date_activated - INTERVAL 1 SECOND OR p.patient_id <> o.patient_id OR p.concept_id <> o.concept_id))`), 0);
  // Lab results point at the test order they answer.
  assert.ok((await n('SELECT COUNT(*) AS n FROM obs WHERE order_id IS NOT NULL')) > 0);
  assert.equal(await n(`SELECT COUNT(*) AS n FROM obs b JOIN orders o ON o.order_id = b.order_id
    WHERE o.patient_id <> b.person_id OR NOT EXISTS (SELECT 1 FROM test_order t WHERE t.order_id = o.order_id)`), 0);

  // Programs: states follow each other without overlap, the last one open unless the enrolment ended in a terminal state.
  assert.ok((await n('SELECT COUNT(*) AS n FROM patient_state s JOIN program_workflow_state w ON w.program_workflow_state_id = s.state WHERE s.end_date IS NOT NULL')) > 0);
  assert.equal(await n(`SELECT COUNT(*) AS n FROM patient_program pp WHERE
    (SELECT COUNT(*) FROM patient_state s WHERE s.patient_program_id = pp.patient_program_id AND s.end_date IS NULL) <> 1`), 0, 'one open state per enrolment');
  assert.equal(await n(`SELECT COUNT(*) AS n FROM patient_state a JOIN patient_state b ON b.patient_program_id = a.patient_program_id AND b.start_date = a.end_date
    WHERE a.end_date IS NOT NULL HAVING COUNT(*) <> (SELECT COUNT(*) FROM patient_state WHERE end_date IS NOT NULL)`).catch(() => 0), 0);
  assert.equal(await n(`SELECT COUNT(*) AS n FROM patient_program pp JOIN patient_state s ON s.patient_program_id = pp.patient_program_id AND s.end_date IS NULL
    JOIN program_workflow_state w ON w.program_workflow_state_id = s.state WHERE (pp.date_completed IS NOT NULL) <> (w.terminal = 1)`), 0);

  // Attributes: a Location attribute holds a location_id, a Concept attribute a concept_id, as OpenMRS stores them.
  assert.equal(await n(`SELECT COUNT(*) AS n FROM person_attribute a JOIN person_attribute_type t ON t.person_attribute_type_id = a.person_attribute_type_id
    WHERE (t.format = 'org.openmrs.Location' AND NOT EXISTS (SELECT 1 FROM location l WHERE l.location_id = CAST(a.value AS UNSIGNED)))
       OR (t.format = 'org.openmrs.Concept' AND NOT EXISTS (SELECT 1 FROM concept c WHERE c.concept_id = CAST(a.value AS UNSIGNED)))`), 0);
  for (const format of ['java.lang.String', 'org.openmrs.Location', 'org.openmrs.Concept']) {
    assert.ok((await n('SELECT COUNT(*) AS n FROM person_attribute a JOIN person_attribute_type t ON t.person_attribute_type_id = a.person_attribute_type_id WHERE t.format = ?', [format])) > 0, format);
  }
  // Relationships: to persons who are not patients (with a name), and between patients (a mother and her child).
  assert.ok((await n(`SELECT COUNT(*) AS n FROM relationship r JOIN person p ON p.person_id = r.person_a
    WHERE NOT EXISTS (SELECT 1 FROM patient x WHERE x.patient_id = p.person_id) AND EXISTS (SELECT 1 FROM person_name m WHERE m.person_id = p.person_id)`)) > 0);
  assert.ok((await n(`SELECT COUNT(*) AS n FROM relationship r JOIN relationship_type t ON t.relationship_type_id = r.relationship
    JOIN patient a ON a.patient_id = r.person_a JOIN patient b ON b.patient_id = r.person_b WHERE t.a_is_to_b = 'Parent'`)) > 0);

  // Diagnoses, conditions, allergies.
  assert.equal(await n(`SELECT COUNT(*) AS n FROM encounter_diagnosis WHERE certainty NOT IN ('CONFIRMED', 'PROVISIONAL') OR \`rank\` NOT IN (1, 2)`), 0);
  assert.ok((await n('SELECT COUNT(*) AS n FROM encounter_diagnosis WHERE condition_id IS NOT NULL')) > 0);
  const statuses = await queryRows<{ s: string }>(pool, 'SELECT DISTINCT clinical_status AS s FROM conditions ORDER BY s');
  assert.deepEqual(statuses.map((r) => r.s), ['ACTIVE', 'HISTORY_OF', 'INACTIVE']);
  assert.ok((await n('SELECT COUNT(*) AS n FROM conditions WHERE previous_version IS NOT NULL')) > 0);
  assert.equal(await n('SELECT COUNT(*) AS n FROM conditions c JOIN conditions p ON p.condition_id = c.previous_version WHERE p.voided = 0'), 0);
  assert.equal(await n('SELECT COUNT(*) AS n FROM allergy a WHERE NOT EXISTS (SELECT 1 FROM allergy_reaction r WHERE r.allergy_id = a.allergy_id)'), 0);
  assert.equal(await n(`SELECT COUNT(*) AS n FROM allergy a JOIN patient p ON p.patient_id = a.patient_id WHERE p.allergy_status <> 'See list'`), 0);

  // The dictionary's details and the site's tags.
  assert.ok((await n('SELECT COUNT(*) AS n FROM concept_answer')) > 30);
  assert.ok((await n('SELECT COUNT(*) AS n FROM concept_set')) > 15);
  assert.equal(await n(`SELECT COUNT(*) AS n FROM concept_numeric WHERE units IS NULL`), 0);
  assert.equal(await n(`SELECT COUNT(*) AS n FROM concept c JOIN concept_datatype d ON d.concept_datatype_id = c.datatype_id
    WHERE d.name = 'Numeric' AND NOT EXISTS (SELECT 1 FROM concept_numeric x WHERE x.concept_id = c.concept_id)`), 0);
  assert.ok((await n('SELECT COUNT(*) AS n FROM location_tag_map')) >= 7);
  assert.ok((await n('SELECT COUNT(*) AS n FROM location_attribute')) >= 4);
});

test('live actions also write orders with a visit, and move program enrolments to their next state', async (t) => {
  const dbs: TestDb[] = [];
  t.after(() => dropAll(dbs));
  const { pool } = await migrated('clinic-live-record', dbs);
  await seedNode(pool, { patients: 80, seed: 'live-record' });
  const now = new Date('2026-11-20T10:00:00Z');
  const ctx = await openLiveContext(pool, { seed: 'live-record', stream: 'test-run', now: () => now });

  let orders = 0;
  for (let i = 0; i < 12 && orders === 0; i++) {
    const patientId = await pickPatientId(pool, ctx.rng);
    const visit = await createVisitWithEncounter(pool, ctx, patientId as number);
    orders += visit.orders;
    assert.equal(await count(pool, 'SELECT COUNT(*) AS n FROM orders WHERE encounter_id = ?', [visit.encounterId]), visit.orders);
  }
  assert.ok(orders > 0, 'some live visit wrote an order');
  assert.equal(await count(pool, 'SELECT COUNT(*) - COUNT(DISTINCT order_number) AS n FROM orders'), 0);

  const change = await advanceProgramState(pool, ctx);
  assert.ok(change, 'an open enrolment moved');
  const states = await queryRows<{ start_date: string; end_date: string | null; date_changed: string | null }>(
    pool,
    'SELECT start_date, end_date, date_changed FROM patient_state WHERE patient_program_id = ? ORDER BY start_date, patient_state_id',
    [change.patientProgramId],
  );
  const [prev, last] = states.slice(-2);
  assert.equal(prev.end_date, '2026-11-20');
  assert.equal(prev.date_changed, '2026-11-20 10:00:00');
  assert.deepEqual([last.start_date, last.end_date], ['2026-11-20', null]);
  const [pp] = await queryRows<{ done: string | null }>(pool, 'SELECT date_completed AS done FROM patient_program WHERE patient_program_id = ?', [change.patientProgramId]);
  assert.equal(pp.done !== null, change.completed);
});

test('on a real OpenMRS 2.1 database the seed writes what its schema holds and skips what it lacks', { skip: fixtureSkipReason() }, async (t) => {
  const db = await freshDatabase('seed_real');
  t.after(() => db.drop());
  await loadFixture(db.url);
  const n = (sql: string) => count(db.pool, sql);
  const before = { types: await n('SELECT COUNT(*) AS n FROM order_type'), tags: await n('SELECT COUNT(*) AS n FROM location_tag') };
  // Before atomsync adopts it: no node id in the database yet.
  const report = await seedNode(db.pool, { patients: 30, seed: 'real-21', nodeId: 'site-21' });
  assert.equal(report.patients, 30);
  // No encounter_diagnosis before OpenMRS 2.2: skipped, not an error.
  assert.equal(report.kinds.encounter_diagnosis, undefined);
  assert.ok(report.kinds.orders > 0 && report.kinds.patient_state > 0 && report.kinds.allergy > 0);
  // The core's order types and the Reference Application's tags are found by uuid, not added again.
  assert.deepEqual({ types: await n('SELECT COUNT(*) AS n FROM order_type'), tags: await n('SELECT COUNT(*) AS n FROM location_tag') }, before);
  // 2.1's conditions table is emrapi's: status, concept_id, previous_condition_id.
  assert.ok((await n(`SELECT COUNT(*) AS n FROM conditions WHERE status = 'ACTIVE' AND concept_id IS NOT NULL`)) > 0);
  assert.equal(await n('SELECT COUNT(*) AS n FROM conditions c JOIN conditions p ON p.condition_id = c.previous_condition_id WHERE p.voided = 0'), 0);
  // concept_numeric.precise became allow_decimal in 2.2: written under its 2.1 name.
  assert.ok((await n('SELECT COUNT(*) AS n FROM concept_numeric WHERE precise = 1')) > 0);
  assert.ok((await n('SELECT COUNT(*) AS n FROM obs WHERE order_id IS NOT NULL')) > 0);
  // Seeding again adds nothing.
  const again = await seedNode(db.pool, { patients: 30, seed: 'real-21', nodeId: 'site-21' });
  assert.equal(again.rows, 0);
});

test("a live registration is an active patient, also when the history's plan would void it as a duplicate", async (t) => {
  const dbs: TestDb[] = [];
  t.after(() => dropAll(dbs));
  const { pool } = await migrated('clinic-live-dup', dbs);
  await seedNode(pool, { patients: 1, seed: 'live' });
  const now = new Date('2026-11-20T10:00:00Z');
  const probe = await openLiveContext(pool, { seed: 'live', stream: 'probe', now: () => now });
  // A stream whose first registration the history's plan voids as a duplicate (1 in 200), drawn as createPatient draws it.
  let stream = '';
  for (let s = 0; s < 20_000 && !stream; s++) {
    const draw = { rng: Rng.from(probe.seed, probe.nodeId, 'live', `dup-${s}`), uuid: uuidSequence(probe.seed, probe.nodeId, 'live', `dup-${s}`) };
    const registeredAt = new Date(now.getTime() - draw.rng.int(1, 15) * 60_000);
    if (planPatient({ meta: probe.meta, site: probe.site, endAt: now }, draw, registeredAt).audit.voided) stream = `dup-${s}`;
  }
  assert.ok(stream, 'a stream whose plan voids the patient');
  const ctx = await openLiveContext(pool, { seed: 'live', stream, now: () => now });
  const { patientId } = await createPatient(pool, ctx);
  assert.equal(await count(pool, 'SELECT COUNT(*) AS n FROM person WHERE person_id = ? AND voided = 0', [patientId]), 1, 'the person is not voided');
  assert.ok((await count(pool, 'SELECT COUNT(*) AS n FROM person_name WHERE person_id = ? AND voided = 0', [patientId])) >= 1, 'nor all of its names');
  await createVisitWithEncounter(pool, ctx, patientId); // threw "does not exist or is voided" before
  assert.equal(await editPatientName(pool, ctx, patientId), true);
});
