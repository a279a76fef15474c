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
  Rng,
  seedNode,
  voidEncounter,
} from '../shared/seed/index.ts';
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
    `SELECT o.*, g.uuid AS group_uuid, pv.uuid AS previous_uuid FROM obs o
     LEFT JOIN obs g ON g.obs_id = o.obs_group_id LEFT JOIN obs pv ON pv.obs_id = o.previous_version ORDER BY o.uuid`,
  );
  out.obs = obs.map(({ obs_id: _id, obs_group_id: _group, previous_version: _previous, ...rest }) => rest);
  return out;
}

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
