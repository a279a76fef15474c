// The tables of the whole clinical record that `migrate` creates have OpenMRS's
// columns: compared, by name, with the same tables of a real OpenMRS 2.1
// database (the Reference Application fixture). Our columns are OpenMRS 2.4's,
// so what changed between 2.1 and 2.4 is listed here, with the changeset that
// changed it, and nothing else may differ.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FIXTURE_PATH, fixtureSkipReason } from '../tools/bench/openmrs-fixture.ts';
import { queryRows } from '../shared/db.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { freshDatabase } from './helpers/db.ts';

const NEW_TABLES = [
  'order_type', 'care_setting', 'drug', 'order_frequency', 'orders', 'drug_order', 'test_order',
  'program', 'program_workflow', 'program_workflow_state', 'patient_program', 'patient_state',
  'person_attribute_type', 'person_attribute', 'relationship_type', 'relationship',
  'encounter_diagnosis', 'conditions', 'allergy', 'allergy_reaction',
  'concept_answer', 'concept_set', 'concept_numeric',
  'visit_attribute_type', 'visit_attribute', 'location_attribute_type', 'location_attribute', 'location_tag', 'location_tag_map',
];

/** Tables OpenMRS 2.1 does not have. */
const NEW_IN_2_4 = ['encounter_diagnosis']; // 2.2, TRUNK-5339

/** Columns 2.4 has and 2.1 has not ([table, column, why]). */
const ADDED_BY_2_4: Array<[string, string, string]> = [
  ['drug', 'dose_limit_units', '2.3, TRUNK-5411'],
  ['orders', 'fulfiller_comment', '2.2, TRUNK-5400'],
  ['orders', 'fulfiller_status', '2.2, TRUNK-5400'],
  ['concept_numeric', 'allow_decimal', '2.2: precise renamed'],
  ['allergy', 'comments', '2.3: comment renamed'],
  // 2.2 renamed 2.1's (emrapi's) conditions table to emrapi_conditions and created a new one; 2.4 added the last two.
  ['conditions', 'previous_version', '2.2 (was previous_condition_id)'],
  ['conditions', 'condition_coded', '2.2 (was concept_id)'],
  ['conditions', 'condition_coded_name', '2.2'],
  ['conditions', 'clinical_status', '2.2 (was status)'],
  ['conditions', 'verification_status', '2.2'],
  ['conditions', 'changed_by', '2.2'],
  ['conditions', 'date_changed', '2.2'],
  ['conditions', 'encounter_id', '2.4, TRUNK-5728'],
  ['conditions', 'form_namespace_and_path', '2.4, TRUNK-5862'],
];

/** Columns 2.1 has and 2.4 has not. */
const GONE_BY_2_4: Array<[string, string]> = [
  ['concept_numeric', 'precise'],
  ['allergy', 'comment'],
  ['conditions', 'previous_condition_id'],
  ['conditions', 'status'],
  ['conditions', 'concept_id'],
  ['conditions', 'end_reason'],
];

/** Column names of each CREATE TABLE in a mysqldump. */
function fixtureColumns(sql: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of sql.matchAll(/CREATE TABLE `(\w+)` \(\n([\s\S]*?)\n\) ENGINE/g)) {
    out.set(m[1], [...m[2].matchAll(/^ {2}`(\w+)` /gm)].map((c) => c[1]));
  }
  return out;
}

test('the clinical-record tables migrate creates have OpenMRS 2.4 columns: those of OpenMRS 2.1 plus the known additions', { skip: fixtureSkipReason() }, async (t) => {
  const db = await freshDatabase('ddl');
  t.after(() => db.drop());
  await migrate(db.pool, 'ddl-check');
  const rows = await queryRows<{ t: string; c: string }>(
    db.pool,
    'SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION',
  );
  const ours = new Map<string, Set<string>>();
  for (const r of rows) ours.set(r.t, (ours.get(r.t) ?? new Set()).add(r.c));
  const fixture = fixtureColumns(readFileSync(FIXTURE_PATH, 'utf8'));

  for (const table of NEW_TABLES) {
    const have = ours.get(table);
    assert.ok(have, `migrate created ${table}`);
    const theirs = fixture.get(table);
    if (NEW_IN_2_4.includes(table)) {
      assert.equal(theirs, undefined, `${table} is not in OpenMRS 2.1`);
      continue;
    }
    assert.ok(theirs, `the fixture has ${table}`);
    const added = [...have].filter((c) => !theirs.includes(c)).sort();
    const gone = theirs.filter((c) => !have.has(c)).sort();
    assert.deepEqual(added, ADDED_BY_2_4.filter(([t]) => t === table).map(([, c]) => c).sort(), `${table}: columns beyond OpenMRS 2.1`);
    assert.deepEqual(gone, GONE_BY_2_4.filter(([t]) => t === table).map(([, c]) => c).sort(), `${table}: OpenMRS 2.1 columns we lack`);
  }
  // No secrets beyond what users already has: none of the new tables holds a password, salt or secret.
  for (const table of NEW_TABLES) {
    for (const c of ours.get(table) ?? []) assert.doesNotMatch(c, /password|salt|secret/i, `${table}.${c}`);
  }
});

test('migrate keys obs to drug and orders on a new database, and a second migrate changes nothing', async (t) => {
  const db = await freshDatabase('ddl');
  t.after(() => db.drop());
  await migrate(db.pool, 'ddl-keys');
  const keys = await queryRows<{ n: string; ref: string }>(
    db.pool,
    `SELECT CONSTRAINT_NAME AS n, REFERENCED_TABLE_NAME AS ref FROM information_schema.REFERENTIAL_CONSTRAINTS
     WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = 'obs' AND CONSTRAINT_NAME IN ('obs_value_drug_fk', 'obs_order_fk') ORDER BY n`,
  );
  assert.deepEqual(keys, [
    { n: 'obs_order_fk', ref: 'orders' },
    { n: 'obs_value_drug_fk', ref: 'drug' },
  ]);
  const again = await migrate(db.pool, 'ddl-keys');
  assert.deepEqual(again.changes, []);
});
