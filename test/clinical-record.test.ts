// The whole clinical record end to end (issue 15): orders with their drug and test
// details and their revision chains, program enrolments with state changes, person
// attributes whose values are locations or concepts, relationships to persons who are not
// patients, diagnoses, conditions, allergies with reactions, concept answers, sets and
// numeric ranges, visit and location attributes and tags. Written with plain SQL as
// OpenMRS writes them, read by a real HQ subscriber from category feeds in the worst order
// (every resource before what it refers to), then voided, deleted and changed; `verify`
// must find HQ identical every time, and values that are keys (a health centre's
// location_id) must name HQ's own row for the same uuid.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { queryRows } from '../shared/db.ts';
import type { Pool } from '../shared/db.ts';
import { RESOURCE_NAMES } from '../shared/resources.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { createPatient, openLiveContext, seedNode } from '../tools/seed/index.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { basic, get } from './helpers/http.ts';
import { eventually, killAll, run, startPublisher } from './helpers/processes.ts';

type Pub = Awaited<ReturnType<typeof startPublisher>>;

const count = async (pool: Pool, sql: string, params: unknown[] = []) => Number((await queryRows<{ n: number }>(pool, sql, params))[0].n);
const one = async <T>(pool: Pool, sql: string, params: unknown[] = []) => (await queryRows<T & Record<string, unknown>>(pool, sql, params))[0];
const AUDIT = `1, '2026-11-30 10:00:00'`;

/** The uuids of what writeRecord wrote, to look for at HQ. */
const U = {
  drugOrder: randomUUID(),
  revision: randomUUID(),
  testOrder: randomUUID(),
  enrolment: randomUUID(),
  caregiver: randomUUID(),
  caregiverOf: randomUUID(),
  healthCentre: randomUUID(),
  allergy: randomUUID(),
  reaction: randomUUID(),
  diagnosis: randomUUID(),
  condition: randomUUID(),
  resultObs: randomUUID(),
  codedName: randomUUID(),
  tag: randomUUID(),
};

/** One row of every new kind, written the way OpenMRS writes them, on top of a seeded clinic. */
async function writeRecord(pool: Pool): Promise<void> {
  const q = (sql: string, params: unknown[] = []) => pool.query(sql, params);
  const id = async (sql: string, params: unknown[] = []) => Number(Object.values((await queryRows(pool, sql, params))[0])[0]);
  const enc = await one<{ encounter_id: number; patient_id: number; location_id: number; visit_id: number }>(
    pool,
    'SELECT encounter_id, patient_id, location_id, visit_id FROM encounter WHERE voided = 0 AND visit_id IS NOT NULL ORDER BY encounter_id LIMIT 1',
  );
  const provider = await id('SELECT provider_id FROM provider ORDER BY provider_id LIMIT 1');
  const concept = (n: number) => id('SELECT concept_id FROM concept ORDER BY concept_id LIMIT 1 OFFSET ?', [n]);
  const numeric = await id(`SELECT c.concept_id FROM concept c JOIN concept_datatype d ON d.concept_datatype_id = c.datatype_id WHERE d.name = 'Numeric' LIMIT 1`);
  const [c1, c2, c3] = [await concept(1), await concept(2), await concept(3)];
  const otherLocation = await id('SELECT location_id FROM location WHERE location_id <> ? ORDER BY location_id LIMIT 1', [enc.location_id]);

  // Metadata of our own, with fresh uuids, so the test does not depend on the seed's.
  await q(`INSERT INTO order_type (name, java_class_name, creator, date_created, uuid) VALUES ('Rec drug order', 'org.openmrs.DrugOrder', ${AUDIT}, ?), ('Rec test order', 'org.openmrs.TestOrder', ${AUDIT}, ?)`, [randomUUID(), randomUUID()]);
  const drugType = await id(`SELECT order_type_id FROM order_type WHERE name = 'Rec drug order'`);
  const testType = await id(`SELECT order_type_id FROM order_type WHERE name = 'Rec test order'`);
  await q(`INSERT INTO care_setting (name, care_setting_type, creator, date_created, uuid) VALUES ('Rec outpatient', 'OUTPATIENT', ${AUDIT}, ?)`, [randomUUID()]);
  const care = await id(`SELECT care_setting_id FROM care_setting WHERE name = 'Rec outpatient'`);
  await q(`INSERT INTO drug (concept_id, name, combination, dosage_form, creator, date_created, uuid, strength) VALUES (?, 'Rec paracetamol 500mg', 0, ?, ${AUDIT}, ?, '500mg')`, [c1, c2, randomUUID()]);
  const drug = await id(`SELECT drug_id FROM drug WHERE name = 'Rec paracetamol 500mg'`);
  await q(`INSERT INTO order_frequency (concept_id, frequency_per_day, creator, date_created, uuid) VALUES (?, 3, ${AUDIT}, ?)`, [c3, randomUUID()]);
  const freq = await id('SELECT order_frequency_id FROM order_frequency WHERE concept_id = ?', [c3]);

  // A drug order, revised (a new order pointing at it, the old one stopped), and a test order.
  const insertOrder = async (uuid: string, type: number, conceptId: number, action: string, number: string, previous: number | null) => {
    await q(
      `INSERT INTO orders (order_type_id, concept_id, orderer, encounter_id, date_activated, creator, date_created, voided, patient_id, uuid,
         urgency, order_number, previous_order_id, order_action, care_setting)
       VALUES (?, ?, ?, ?, '2026-11-30 10:00:00', ${AUDIT}, 0, ?, ?, 'ROUTINE', ?, ?, ?, ?)`,
      [type, conceptId, provider, enc.encounter_id, enc.patient_id, uuid, number, previous, action, care],
    );
    return id('SELECT order_id FROM orders WHERE uuid = ?', [uuid]);
  };
  const first = await insertOrder(U.drugOrder, drugType, c1, 'NEW', 'REC-1', null);
  await q(`INSERT INTO drug_order (order_id, drug_inventory_id, dose, dose_units, frequency, quantity, quantity_units, dosing_type, dispense_as_written, route)
           VALUES (?, ?, 500, ?, ?, 30, ?, 'org.openmrs.SimpleDosingInstructions', 0, ?)`, [first, drug, c2, freq, c2, c3]);
  const second = await insertOrder(U.revision, drugType, c1, 'REVISE', 'REC-2', first);
  await q(`INSERT INTO drug_order (order_id, drug_inventory_id, dose, dose_units, frequency, quantity, quantity_units, dosing_type, dispense_as_written)
           VALUES (?, ?, 1000, ?, ?, 60, ?, 'org.openmrs.SimpleDosingInstructions', 1)`, [second, drug, c2, freq, c2]);
  await q(`UPDATE orders SET date_stopped = '2026-11-30 10:00:00' WHERE order_id = ?`, [first]);
  const lab = await insertOrder(U.testOrder, testType, numeric, 'NEW', 'REC-3', null);
  await q(`INSERT INTO test_order (order_id, specimen_source, laterality, clinical_history) VALUES (?, ?, 'LEFT', 'fever for 3 days')`, [lab, c2]);
  // Its result: an obs that names its order and, as a drug answer, the drug.
  await q(
    `INSERT INTO obs (person_id, concept_id, encounter_id, order_id, obs_datetime, location_id, value_numeric, value_drug, creator, date_created, uuid)
     VALUES (?, ?, ?, ?, '2026-11-30 11:00:00', ?, 7.25, ?, ${AUDIT}, ?)`,
    [enc.patient_id, numeric, enc.encounter_id, lab, enc.location_id, drug, U.resultObs],
  );

  // A coded answer recorded under one particular name of its concept (a synonym), as the obs form does.
  const name = await one<{ id: number; cid: number }>(pool, 'SELECT concept_name_id AS id, concept_id AS cid FROM concept_name WHERE voided = 0 ORDER BY concept_name_id DESC LIMIT 1');
  await q(
    `INSERT INTO obs (person_id, concept_id, encounter_id, obs_datetime, location_id, value_coded, value_coded_name_id, creator, date_created, uuid)
     VALUES (?, ?, ?, '2026-11-30 11:00:00', ?, ?, ?, ${AUDIT}, ?)`,
    [enc.patient_id, c1, enc.encounter_id, enc.location_id, name.cid, name.id, U.codedName],
  );

  // A program with a workflow and two states; an enrolment that moved from one state to the other.
  await q(`INSERT INTO program (concept_id, name, creator, date_created, retired, uuid) VALUES (?, 'Rec HIV care', ${AUDIT}, 0, ?)`, [c1, randomUUID()]);
  const program = await id(`SELECT program_id FROM program WHERE name = 'Rec HIV care'`);
  await q(`INSERT INTO program_workflow (program_id, concept_id, creator, date_created, retired, uuid) VALUES (?, ?, ${AUDIT}, 0, ?)`, [program, c2, randomUUID()]);
  const workflow = await id('SELECT program_workflow_id FROM program_workflow WHERE program_id = ?', [program]);
  for (const [c, initial] of [[c2, 1], [c3, 0]]) {
    await q(`INSERT INTO program_workflow_state (program_workflow_id, concept_id, initial, terminal, creator, date_created, retired, uuid) VALUES (?, ?, ?, 0, ${AUDIT}, 0, ?)`,
      [workflow, c, initial, randomUUID()]);
  }
  const states = (await queryRows<{ id: number }>(pool, 'SELECT program_workflow_state_id AS id FROM program_workflow_state WHERE program_workflow_id = ? ORDER BY 1', [workflow])).map((r) => r.id);
  await q(`INSERT INTO patient_program (patient_id, program_id, date_enrolled, location_id, creator, date_created, uuid) VALUES (?, ?, '2026-01-05', ?, ${AUDIT}, ?)`,
    [enc.patient_id, program, enc.location_id, U.enrolment]);
  const enrolment = await id('SELECT patient_program_id FROM patient_program WHERE uuid = ?', [U.enrolment]);
  await q(`INSERT INTO patient_state (patient_program_id, state, start_date, end_date, creator, date_created, uuid) VALUES (?, ?, '2026-01-05', '2026-06-01', ${AUDIT}, ?), (?, ?, '2026-06-01', NULL, ${AUDIT}, ?)`,
    [enrolment, states[0], randomUUID(), enrolment, states[1], randomUUID()]);

  // Person attributes: text, a location's key (as OpenMRS stores org.openmrs.Location), a concept's key.
  const attrType = async (name: string, format: string) => {
    await q(`INSERT INTO person_attribute_type (name, format, searchable, creator, date_created, retired, uuid) VALUES (?, ?, 0, ${AUDIT}, 0, ?)`, [name, format, randomUUID()]);
    return id('SELECT person_attribute_type_id FROM person_attribute_type WHERE name = ?', [name]);
  };
  const phone = await attrType('Rec telephone', 'java.lang.String');
  const centre = await attrType('Rec health centre', 'org.openmrs.Location');
  const civil = await attrType('Rec civil status', 'org.openmrs.Concept');
  await q(`INSERT INTO person_attribute (person_id, value, person_attribute_type_id, creator, date_created, voided, uuid) VALUES
    (?, '+254 700 000 001', ?, ${AUDIT}, 0, ?), (?, ?, ?, ${AUDIT}, 0, ?), (?, ?, ?, ${AUDIT}, 0, ?)`,
    [enc.patient_id, phone, randomUUID(), enc.patient_id, String(otherLocation), centre, U.healthCentre, enc.patient_id, String(c3), civil, randomUUID()]);

  // A caregiver who is not a patient, and the relationship to the patient.
  await q(`INSERT INTO person (gender, birthdate, creator, date_created, uuid) VALUES ('F', '1980-02-03', ${AUDIT}, ?)`, [U.caregiver]);
  const caregiver = await id('SELECT person_id FROM person WHERE uuid = ?', [U.caregiver]);
  await q(`INSERT INTO person_name (preferred, person_id, given_name, family_name, creator, date_created, voided, uuid) VALUES (1, ?, 'Achieng', 'Otieno', ${AUDIT}, 0, ?)`,
    [caregiver, randomUUID()]);
  await q(`INSERT INTO relationship_type (a_is_to_b, b_is_to_a, preferred, weight, creator, date_created, retired, uuid) VALUES ('Caregiver', 'Patient', 0, 0, ${AUDIT}, 0, ?)`, [randomUUID()]);
  const relType = await id(`SELECT relationship_type_id FROM relationship_type WHERE a_is_to_b = 'Caregiver' ORDER BY 1 DESC LIMIT 1`);
  await q(`INSERT INTO relationship (person_a, relationship, person_b, start_date, creator, date_created, voided, uuid) VALUES (?, ?, ?, '2026-01-01', ${AUDIT}, 0, ?)`,
    [caregiver, relType, enc.patient_id, U.caregiverOf]);

  // A diagnosis, a condition, an allergy with two reactions.
  await q(`INSERT INTO conditions (patient_id, condition_coded, clinical_status, verification_status, onset_date, creator, date_created, voided, uuid, encounter_id)
           VALUES (?, ?, 'ACTIVE', 'CONFIRMED', '2026-11-01', ${AUDIT}, 0, ?, ?)`, [enc.patient_id, c2, U.condition, enc.encounter_id]);
  const condition = await id('SELECT condition_id FROM conditions WHERE uuid = ?', [U.condition]);
  await q(`INSERT INTO encounter_diagnosis (diagnosis_coded, encounter_id, patient_id, condition_id, certainty, \`rank\`, uuid, creator, date_created, voided)
           VALUES (?, ?, ?, ?, 'CONFIRMED', 1, ?, ${AUDIT}, 0)`, [c2, enc.encounter_id, enc.patient_id, condition, U.diagnosis]);
  await q('UPDATE encounter_diagnosis SET diagnosis_coded_name = (SELECT MIN(concept_name_id) FROM concept_name WHERE concept_id = ?) WHERE uuid = ?', [c2, U.diagnosis]);
  await q(`INSERT INTO allergy (patient_id, severity_concept_id, coded_allergen, allergen_type, comments, creator, date_created, voided, uuid)
           VALUES (?, ?, ?, 'DRUG', 'rash within hours', ${AUDIT}, 0, ?)`, [enc.patient_id, c3, c1, U.allergy]);
  const allergy = await id('SELECT allergy_id FROM allergy WHERE uuid = ?', [U.allergy]);
  await q(`INSERT INTO allergy_reaction (allergy_id, reaction_concept_id, uuid) VALUES (?, ?, ?), (?, ?, ?)`, [allergy, c2, U.reaction, allergy, c3, randomUUID()]);

  // Visit and location attributes, a location tag, a coded question with answers, a set, numeric ranges.
  await q(`INSERT INTO visit_attribute_type (name, datatype, min_occurs, creator, date_created, retired, uuid) VALUES ('Rec payment', 'org.openmrs.customdatatype.datatype.FreeTextDatatype', 0, ${AUDIT}, 0, ?)`, [randomUUID()]);
  await q(`INSERT INTO visit_attribute (visit_id, attribute_type_id, value_reference, uuid, creator, date_created, voided)
           SELECT ?, visit_attribute_type_id, 'insured', ?, ${AUDIT}, 0 FROM visit_attribute_type WHERE name = 'Rec payment'`, [enc.visit_id, randomUUID()]);
  await q(`INSERT INTO location_attribute_type (name, datatype, min_occurs, creator, date_created, retired, uuid) VALUES ('Rec facility code', 'org.openmrs.customdatatype.datatype.FreeTextDatatype', 0, ${AUDIT}, 0, ?)`, [randomUUID()]);
  await q(`INSERT INTO location_attribute (location_id, attribute_type_id, value_reference, uuid, creator, date_created, voided)
           SELECT ?, location_attribute_type_id, 'MFL-12345', ?, ${AUDIT}, 0 FROM location_attribute_type WHERE name = 'Rec facility code'`, [enc.location_id, randomUUID()]);
  await q(`INSERT INTO location_tag (name, creator, date_created, retired, uuid) VALUES ('Rec login location', ${AUDIT}, 0, ?)`, [U.tag]);
  await q(`INSERT INTO location_tag_map (location_id, location_tag_id) SELECT ?, location_tag_id FROM location_tag WHERE uuid = ?`, [enc.location_id, U.tag]);
  await q(`INSERT INTO concept_answer (concept_id, answer_concept, creator, date_created, sort_weight, uuid) VALUES (?, ?, ${AUDIT}, 1, ?), (?, NULL, ${AUDIT}, 2, ?)`,
    [c1, c2, randomUUID(), c1, randomUUID()]);
  await q(`UPDATE concept_answer SET answer_drug = ? WHERE answer_concept IS NULL AND concept_id = ?`, [drug, c1]);
  await q(`INSERT INTO concept_set (concept_id, concept_set, sort_weight, creator, date_created, uuid) VALUES (?, ?, 1, ${AUDIT}, ?)`, [c3, c1, randomUUID()]);
  await q(`INSERT INTO concept_numeric (concept_id, hi_normal, low_normal, units, allow_decimal) VALUES (?, 8.3, 3.9, 'mmol/L', 1)
           ON DUPLICATE KEY UPDATE hi_normal = 8.3, low_normal = 3.9, units = 'mmol/L'`, [numeric]);
}

describe('the whole clinical record: every new kind, before what it refers to, voided and deleted', { timeout: 600_000 }, () => {
  let clinic: TestDb, hq: TestDb;
  let pub: Pub;
  const feedOf = (category: string) => `http://hq:hq-secret@127.0.0.1:${pub.port}/openmrs/ws/atomfeed/${category}/recent`;

  async function assertConverged() {
    const v = await run(['verify', '--source', clinic.url, '--target', hq.url]);
    assert.equal(v.code, 0, `verify found divergence:\n${v.out}`);
    assert.match(v.out, /OK: \d+ source rows checked/);
    return v.out;
  }

  async function drainOutbox() {
    await eventually(async () => (await count(clinic.pool, 'SELECT COUNT(*) AS n FROM atomsync_outbox')) === 0, 30_000, 'the relay to drain the outbox');
  }

  before(async () => {
    [clinic, hq] = await Promise.all([freshDatabase('rec_clinic'), freshDatabase('rec_hq')]);
    await migrate(clinic.pool, 'clinic');
    await migrate(hq.pool, 'hq');
    await seedNode(clinic.pool, { patients: 6, seed: 'rec' });
    await writeRecord(clinic.pool);
    // HQ numbers its locations from 1000: the clinic's location keys are not HQ's.
    await hq.pool.query('ALTER TABLE location AUTO_INCREMENT = 1000');
    pub = await startPublisher(clinic.url);
    await drainOutbox();
  });

  after(async () => {
    killAll();
    await Promise.all([clinic, hq].map((d) => d?.drop()));
  });

  test('read from category feeds dependents first, every resource arrives before what it refers to; HQ ends identical', async () => {
    const dependentsFirst = ['order', 'programenrollment', 'patientdiagnoses', 'condition', 'allergy', 'relationship', 'obs', 'encounter', 'visit', 'patient', 'person', 'provider'];
    const order = [...dependentsFirst, ...RESOURCE_NAMES.filter((r) => !dependentsFirst.includes(r)).reverse()];
    const r = await run(['subscribe', '--once', '--db', hq.url, '--node-id', 'hq', ...order.flatMap((c) => ['--feed', feedOf(c)]), '--entry-batch', '5']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /caught up: \d+ applied, 0 waiting for a retry, 0 dead letters/);
    const report = await assertConverged();
    for (const table of ['orders', 'drug_order', 'test_order', 'patient_program', 'patient_state', 'person_attribute', 'relationship', 'encounter_diagnosis',
      'conditions', 'allergy', 'allergy_reaction', 'concept_answer', 'concept_set', 'concept_numeric', 'visit_attribute', 'location_attribute', 'location_tag_map']) {
      assert.match(report, new RegExp(`\\s${table}\\s+[1-9]\\d*\\s+[1-9]\\d*\\s+0\\s+0\\s+0`), `${table} was compared and holds rows`);
    }
  });

  test('what HQ holds: the revision chain, subclass rows, a health centre as HQ\'s own key, a caregiver who is not a patient', async () => {
    const rev = await one<{ prev: string; dose: number; qty: number }>(hq.pool,
      `SELECT p.uuid AS prev, d.dose, d.quantity AS qty FROM orders o JOIN orders p ON p.order_id = o.previous_order_id JOIN drug_order d ON d.order_id = o.order_id WHERE o.uuid = ?`, [U.revision]);
    assert.deepEqual([rev.prev, rev.dose, rev.qty], [U.drugOrder, 1000, 60]);
    assert.equal(await count(hq.pool, 'SELECT COUNT(*) AS n FROM test_order t JOIN orders o USING (order_id) WHERE o.uuid = ? AND t.laterality = ?', [U.testOrder, 'LEFT']), 1);
    // The attribute holds HQ's key of the location the clinic's key named.
    const sameUuid = async (db: TestDb) => (await one<{ u: string }>(db.pool, 'SELECT l.uuid AS u FROM person_attribute a JOIN location l ON l.location_id = a.value WHERE a.uuid = ?', [U.healthCentre])).u;
    assert.equal(await sameUuid(hq), await sameUuid(clinic));
    const keys = await Promise.all([clinic, hq].map(async (db) => (await one<{ v: string }>(db.pool, 'SELECT value AS v FROM person_attribute WHERE uuid = ?', [U.healthCentre])).v));
    assert.notEqual(keys[0], keys[1], 'HQ numbers its locations differently, so the value was translated');
    assert.equal(await count(hq.pool, 'SELECT COUNT(*) AS n FROM person p LEFT JOIN patient x ON x.patient_id = p.person_id WHERE p.uuid = ? AND x.patient_id IS NULL', [U.caregiver]), 1);
    assert.equal(await count(hq.pool, 'SELECT COUNT(*) AS n FROM person_name n JOIN person p USING (person_id) WHERE p.uuid = ?', [U.caregiver]), 1);
    // A concept name chosen for a coded answer or a diagnosis names HQ's row of that name.
    const nameOf = async (db: TestDb, sql: string, uuid: string) => (await one<{ u: string | null }>(db.pool, sql, [uuid])).u;
    for (const [sql, uuid] of [
      ['SELECT n.uuid AS u FROM obs o JOIN concept_name n ON n.concept_name_id = o.value_coded_name_id WHERE o.uuid = ?', U.codedName],
      ['SELECT n.uuid AS u FROM encounter_diagnosis d JOIN concept_name n ON n.concept_name_id = d.diagnosis_coded_name WHERE d.uuid = ?', U.diagnosis],
    ] as const) {
      const there = await nameOf(clinic, sql, uuid);
      assert.ok(there);
      assert.equal(await nameOf(hq, sql, uuid), there);
    }
  });

  test('served as OpenMRS shows them: an order with its type and dose, an enrolment with its states', async () => {
    const auth = { authorization: basic('hq', 'hq-secret') };
    const order = JSON.parse((await get(`http://127.0.0.1:${pub.port}/openmrs/ws/rest/v1/order/${U.revision}?v=full`, auth)).body);
    assert.equal(order.type, 'drugorder');
    assert.equal(order.dose, 1000);
    assert.equal(order.previousOrder.uuid, U.drugOrder);
    const lab = JSON.parse((await get(`http://127.0.0.1:${pub.port}/openmrs/ws/rest/v1/order/${U.testOrder}?v=full`, auth)).body);
    assert.equal(lab.type, 'testorder');
    assert.equal('dose' in lab, false);
    const enrolment = JSON.parse((await get(`http://127.0.0.1:${pub.port}/openmrs/ws/rest/v1/programenrollment/${U.enrolment}?v=sync`, auth)).body);
    assert.equal(enrolment.states.length, 2);
  });

  test('a new patient is published as a patient only; a person who is not a patient as a person', async () => {
    const ctx = await openLiveContext(clinic.pool, { seed: 'rec', stream: `rec-${Date.now()}` });
    const { uuid } = await createPatient(clinic.pool, ctx);
    await drainOutbox();
    assert.ok((await count(clinic.pool, `SELECT COUNT(*) AS n FROM atomsync_event WHERE resource = 'patient' AND uuid = ?`, [uuid])) >= 1);
    assert.equal(await count(clinic.pool, `SELECT COUNT(*) AS n FROM atomsync_event WHERE resource = 'person' AND uuid = ?`, [uuid]), 0);
    assert.ok((await count(clinic.pool, `SELECT COUNT(*) AS n FROM atomsync_event WHERE resource = 'person' AND uuid = ?`, [U.caregiver])) >= 1);
  });

  test('voids, deletes and changes at the clinic reach HQ', async () => {
    const c = clinic.pool;
    await c.query(`UPDATE orders SET voided = 1, voided_by = 1, date_voided = UTC_TIMESTAMP(), void_reason = 'entered in error' WHERE uuid = ?`, [U.testOrder]);
    await c.query(`UPDATE patient_state s JOIN patient_program p USING (patient_program_id) SET s.voided = 1, s.voided_by = 1, s.date_voided = UTC_TIMESTAMP(),
      s.date_changed = UTC_TIMESTAMP() WHERE p.uuid = ? AND s.end_date IS NULL`, [U.enrolment]);
    await c.query('DELETE FROM allergy_reaction WHERE uuid = ?', [U.reaction]);
    await c.query('DELETE FROM relationship WHERE uuid = ?', [U.caregiverOf]);
    await c.query('DELETE m FROM location_tag_map m JOIN location_tag t USING (location_tag_id) WHERE t.uuid = ?', [U.tag]);
    // The patient moves to another health centre.
    await c.query(`UPDATE person_attribute a SET a.value = (SELECT MAX(location_id) FROM location), a.date_changed = UTC_TIMESTAMP(), a.changed_by = 1 WHERE a.uuid = ?`, [U.healthCentre]);
    // The revised drug order is discontinued: a DISCONTINUE order pointing at it.
    await c.query(
      `INSERT INTO orders (order_type_id, concept_id, orderer, encounter_id, date_activated, creator, date_created, voided, patient_id, uuid, urgency, order_number,
         previous_order_id, order_action, care_setting)
       SELECT order_type_id, concept_id, orderer, encounter_id, UTC_TIMESTAMP(), 1, UTC_TIMESTAMP(), 0, patient_id, ?, 'ROUTINE', 'REC-4', order_id, 'DISCONTINUE', care_setting
       FROM orders WHERE uuid = ?`,
      [randomUUID(), U.revision],
    );
    await c.query(`INSERT INTO drug_order (order_id, drug_inventory_id, dispense_as_written) SELECT o.order_id, d.drug_inventory_id, 0
      FROM orders o JOIN orders p ON p.order_id = o.previous_order_id JOIN drug_order d ON d.order_id = p.order_id WHERE o.order_number = 'REC-4'`);
    await c.query(`UPDATE orders SET date_stopped = UTC_TIMESTAMP() WHERE uuid = ?`, [U.revision]);
    await drainOutbox();

    const r = await run(['subscribe', '--once', '--db', hq.url, '--node-id', 'hq', '--feed', feedOf('all')]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /0 waiting for a retry, 0 dead letters/);
    await assertConverged();
    assert.equal(await count(hq.pool, 'SELECT COUNT(*) AS n FROM orders WHERE uuid = ? AND voided = 1', [U.testOrder]), 1);
    assert.equal(await count(hq.pool, 'SELECT COUNT(*) AS n FROM allergy_reaction WHERE uuid = ?', [U.reaction]), 0);
    assert.equal(await count(hq.pool, 'SELECT COUNT(*) AS n FROM relationship WHERE uuid = ?', [U.caregiverOf]), 0);
    assert.equal(await count(hq.pool, 'SELECT COUNT(*) AS n FROM location_tag_map m JOIN location_tag t USING (location_tag_id) WHERE t.uuid = ?', [U.tag]), 0);
    assert.equal(await count(hq.pool, `SELECT COUNT(*) AS n FROM orders o JOIN orders p ON p.order_id = o.previous_order_id WHERE p.uuid = ? AND o.order_action = 'DISCONTINUE'`, [U.revision]), 1);
    assert.equal(await count(hq.pool, 'SELECT COUNT(*) AS n FROM atomsync_conflict'), 0);
  });
});
