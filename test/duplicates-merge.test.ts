// `atomsync duplicates merge` (mergePatients) against the real MariaDB, on our migrated schema
// and on a real OpenMRS one (the Reference Application fixture): what moves, what is copied,
// the dropped patient voided, person_merge_log, the pair marked merged, and the changes
// published as ordinary events once the relay has run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../bin/main.ts';
import { queryRows } from '../shared/db.ts';
import type { Pool } from '../shared/db.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { MergeRefused, mergePatients } from '../subscriber/duplicates/merge.ts';
import type { MergeResult } from '../subscriber/duplicates/merge.ts';
import { listCandidates, rejectCandidate, upsertCandidates } from '../subscriber/duplicates/store.ts';
import { fixtureSkipReason, loadFixture } from '../tools/bench/openmrs-fixture.ts';
import { seedNode } from '../tools/seed/index.ts';
import { freshDatabase } from './helpers/db.ts';
import { drainOutbox } from './helpers/relay.ts';

const count = async (pool: Pool, sql: string, p: unknown[] = []) => Number((await queryRows<{ n: number }>(pool, sql, p))[0].n);
const uuids = async (pool: Pool, sql: string, p: unknown[] = []) => (await queryRows<{ uuid: string }>(pool, sql, p)).map((r) => r.uuid);

interface Pick { id: number; uuid: string }

/** The two seeded patients with the most encounters: the dropped one is the second. */
async function pickPair(pool: Pool): Promise<[Pick, Pick]> {
  const rows = await queryRows<Pick>(
    pool,
    `SELECT pa.patient_id AS id, pe.uuid FROM patient pa JOIN person pe ON pe.person_id = pa.patient_id
     WHERE pa.voided = 0 ORDER BY (SELECT COUNT(*) FROM encounter e WHERE e.patient_id = pa.patient_id) DESC, pa.patient_id LIMIT 2`,
  );
  return [rows[0], rows[1]];
}

/** What the dropped patient holds before, as the merge should move it. */
async function holdings(pool: Pool, id: number) {
  return {
    visits: await uuids(pool, 'SELECT uuid FROM visit WHERE patient_id = ?', [id]),
    encounters: await uuids(pool, 'SELECT uuid FROM encounter WHERE patient_id = ?', [id]),
    orders: await count(pool, 'SELECT COUNT(*) AS n FROM orders WHERE patient_id = ?', [id]),
    obs: await count(pool, 'SELECT COUNT(*) AS n FROM obs WHERE person_id = ? AND voided = 0', [id]),
    programs: await count(pool, 'SELECT COUNT(*) AS n FROM patient_program WHERE patient_id = ? AND voided = 0', [id]),
    conditions: await count(pool, 'SELECT COUNT(*) AS n FROM conditions WHERE patient_id = ? AND voided = 0', [id]),
  };
}

/** A running order of a type on both patients makes OpenMRS refuse the merge; the test stops the kept patient's. */
async function stopClashingOrders(pool: Pool, keep: number, drop: number): Promise<void> {
  await pool.query(
    `UPDATE orders k JOIN orders d ON d.order_type_id = k.order_type_id AND d.patient_id = ? SET k.date_stopped = UTC_TIMESTAMP()
     WHERE k.patient_id = ? AND k.date_stopped IS NULL AND k.voided = 0`,
    [drop, keep],
  );
}

type Scenario = Awaited<ReturnType<typeof prepare>>;

/** Two seeded patients to merge, with what a merge must handle added, their pair recorded, and what they hold. */
async function prepare(pool: Pool, nodeId: string) {
  const [keep, drop] = await pickPair(pool);
  await pool.query(`UPDATE person SET gender = 'U', birthdate = NULL WHERE person_id = ?`, [keep.id]);
  await pool.query(`INSERT INTO person_name (person_id, preferred, given_name, family_name, creator, date_created, uuid) VALUES (?, 1, 'Ann', 'Other', 1, UTC_TIMESTAMP(), UUID())`, [drop.id]);
  // An obs outside any encounter, and a relationship between the two patients.
  await pool.query(
    `INSERT INTO obs (person_id, concept_id, obs_datetime, value_numeric, creator, date_created, uuid) SELECT person_id, concept_id, obs_datetime, value_numeric, 1, date_created, UUID()
     FROM obs WHERE person_id = ? AND obs_group_id IS NULL AND value_numeric IS NOT NULL AND voided = 0 LIMIT 1`,
    [drop.id],
  );
  await pool.query('INSERT INTO relationship (person_a, relationship, person_b, creator, date_created, uuid) SELECT ?, MIN(relationship_type_id), ?, 1, UTC_TIMESTAMP(), UUID() FROM relationship_type', [keep.id, drop.id]);
  // Allergies: one allergen on both (stays with the dropped patient, as OpenMRS skips it), another on the dropped one only.
  const allergy = `INSERT INTO allergy (patient_id, coded_allergen, allergen_type, creator, date_created, voided, uuid) SELECT ?, %s(concept_id), 'DRUG', 1, UTC_TIMESTAMP(), 0, UUID() FROM concept`;
  for (const [id, which] of [[keep.id, 'MIN'], [drop.id, 'MIN'], [drop.id, 'MAX']] as const) await pool.query(allergy.replace('%s', which), [id]);
  await upsertCandidates(pool, [{ patientA: keep.uuid, patientB: drop.uuid, class: 'certain', score: 99, reasons: {} as never }]);
  const [pair] = await listCandidates(pool);
  await drainOutbox(pool, nodeId);
  const before = await holdings(pool, drop.id);
  const keptBefore = await holdings(pool, keep.id);
  const dropNames = await count(pool, 'SELECT COUNT(*) AS n FROM person_name WHERE person_id = ? AND voided = 0', [drop.id]);
  assert.ok(before.encounters.length > 0 && before.obs > 0, 'the dropped patient has a record to move');

  await stopClashingOrders(pool, keep.id, drop.id);
  await drainOutbox(pool, nodeId);
  const seqBefore = await count(pool, 'SELECT COALESCE(MAX(seq), 0) AS n FROM atomsync_event');
  return { keep, drop, pair, before, keptBefore, dropNames, seqBefore };
}

async function checkMoved(pool: Pool, { keep, drop, before, keptBefore }: Scenario, r: MergeResult): Promise<void> {
  assert.deepEqual([...r.encounters].sort(), [...before.encounters].sort());
  assert.deepEqual([...r.visits].sort(), [...before.visits].sort());
  assert.equal(r.orders.length, before.orders);
  assert.equal(r.programs.length, before.programs);
  assert.equal(r.conditions.length, before.conditions);
  assert.equal(r.encounterObs + r.independentObs.length, before.obs);
  assert.equal(r.independentObs.length, 1, 'the obs outside any encounter has a new version too');
  assert.deepEqual([r.allergies.length, r.allergiesSkipped], [1, 1], 'the allergen the kept patient records stays behind');
  assert.equal(await count(pool, 'SELECT COUNT(*) AS n FROM relationship WHERE person_a = ? AND person_b = ? AND voided = 1', [keep.id, drop.id]), 1, 'the relationship between the two voided');
  assert.equal(await count(pool, 'SELECT COUNT(*) AS n FROM relationship WHERE person_a = ? AND person_b = ?', [keep.id, keep.id]), 0, 'and not copied onto the kept patient');
  const after = await holdings(pool, keep.id);
  assert.equal(after.encounters.length, keptBefore.encounters.length + before.encounters.length);
  assert.equal(after.obs, keptBefore.obs + before.obs, 'every obs has a new version on the kept patient');
  assert.equal(after.orders, keptBefore.orders + before.orders);
  const left = await holdings(pool, drop.id);
  assert.deepEqual([left.visits.length, left.encounters.length, left.orders, left.obs, left.programs, left.conditions], [0, 0, 0, 0, 0, 0]);
  assert.equal(await count(pool, 'SELECT COUNT(*) AS n FROM obs o JOIN encounter e ON e.encounter_id = o.encounter_id WHERE o.voided = 0 AND o.person_id <> e.patient_id'), 0);
}

/** The dropped patient voided as OpenMRS does, with the reason; what it had copied; the kept one's preferred name unchanged. */
async function checkVoidedAndCopied(pool: Pool, { keep, drop, dropNames }: Scenario, r: MergeResult): Promise<void> {
  const reason = `Merged with ${keep.uuid}`;
  const [pv] = await queryRows<{ a: number; b: number; ra: string; rb: string; by: number }>(
    pool,
    'SELECT pe.voided AS a, pa.voided AS b, pe.void_reason AS ra, pa.void_reason AS rb, pa.voided_by AS `by` FROM person pe JOIN patient pa ON pa.patient_id = pe.person_id WHERE pe.person_id = ?',
    [drop.id],
  );
  assert.deepEqual(pv, { a: 1, b: 1, ra: reason, rb: reason, by: 1 });
  assert.equal(await count(pool, 'SELECT COUNT(*) AS n FROM patient_identifier WHERE patient_id = ? AND voided = 0', [drop.id]), 0);
  assert.equal(await count(pool, 'SELECT COUNT(*) AS n FROM person_name WHERE person_id = ? AND preferred = 1 AND voided = 0', [keep.id]), 1);
  assert.equal(r.createdNames.length, dropNames, 'the dropped names, all different, copied');
  assert.equal(await count(pool, "SELECT COUNT(*) AS n FROM person_name WHERE person_id = ? AND given_name = 'Ann' AND preferred = 0", [keep.id]), 1);
  assert.ok(r.createdIdentifiers.length > 0, 'the clinic number copied');
  const [person] = await queryRows<{ gender: string; b: string | null }>(pool, 'SELECT gender, birthdate AS b FROM person WHERE person_id = ?', [keep.id]);
  assert.ok(person.gender !== 'U' && person.b !== null, "the kept patient's missing gender and birth date filled");
}

/** person_merge_log, the pair, and the events published once the relay has run. */
async function checkLoggedAndPublished(pool: Pool, nodeId: string, { keep, drop, pair, before, seqBefore }: Scenario, r: MergeResult): Promise<void> {
  const [log] = await queryRows<{ w: number; l: number; d: string }>(pool, 'SELECT winner_person_id AS w, loser_person_id AS l, merged_data AS d FROM person_merge_log WHERE uuid = ?', [r.logUuid]);
  assert.deepEqual([log.w, log.l], [keep.id, drop.id]);
  const data = JSON.parse(log.d) as Record<string, unknown>;
  assert.deepEqual((data.movedEncounters as string[]).sort(), [...before.encounters].sort());
  assert.ok(!log.d.includes('Ann'), 'no name in the log');
  assert.equal(r.pairId, pair.id);
  assert.equal((await listCandidates(pool, { status: 'merged' }))[0]?.id, pair.id);

  // Published: the moved encounters and visits, both patients, the new obs versions.
  await drainOutbox(pool, nodeId);
  const events = await queryRows<{ resource: string; uuid: string; action: string }>(pool, 'SELECT resource, uuid, action FROM atomsync_event WHERE seq > ?', [seqBefore]);
  const has = (resource: string, uuid: string, action = 'UPDATED') => events.some((e) => e.resource === resource && e.uuid === uuid && e.action === action);
  for (const u of before.encounters) assert.ok(has('encounter', u), `encounter ${u} published`);
  for (const u of before.visits) assert.ok(has('visit', u), `visit ${u} published`);
  assert.ok(has('patient', drop.uuid, 'VOIDED'), `the dropped patient published as voided: ${JSON.stringify(events.filter((e) => e.uuid === drop.uuid))}`);
  assert.ok(has('patient', keep.uuid), 'the kept patient published');
  for (const u of r.independentObs) assert.ok(has('obs', u, 'CREATED'));
  assert.equal(events.filter((e) => e.resource === 'obs' && e.action === 'CREATED').length, before.obs);
}

async function mergeScenario(pool: Pool, nodeId: string): Promise<void> {
  const s = await prepare(pool, nodeId);
  const r = await mergePatients(pool, { keep: s.keep.uuid, drop: s.drop.uuid, userId: 1 });
  await checkMoved(pool, s, r);
  await checkVoidedAndCopied(pool, s, r);
  await checkLoggedAndPublished(pool, nodeId, s, r);
  const { keep, drop } = s;
  // Merged already: refused, nothing changed.
  await assert.rejects(mergePatients(pool, { keep: keep.uuid, drop: drop.uuid, userId: 1 }), (e: unknown) => e instanceof MergeRefused && e.reason === 'voided-patient');
}

test('merge on our migrated schema: the record moves, the dropped patient is voided, logged and published', { timeout: 120_000 }, async () => {
  const db = await freshDatabase('dup_merge');
  try {
    await migrate(db.pool, 'hq');
    await seedNode(db.pool, { patients: 6, seed: 'merge' });
    await mergeScenario(db.pool, 'hq');
  } finally {
    await db.drop();
  }
});

test('merge on a real OpenMRS database (Reference Application 2.1)', { skip: fixtureSkipReason(), timeout: 180_000 }, async () => {
  const db = await freshDatabase('dup_merge_real');
  try {
    await loadFixture(db.url);
    await migrate(db.pool, 'real-site', { snapshot: false });
    await seedNode(db.pool, { patients: 6, seed: 'merge-real' });
    await mergeScenario(db.pool, 'real-site');
  } finally {
    await db.drop();
  }
});

test('merge refuses the same patient twice, an unknown one, an unknown user, an unknown or rejected pair; merge <id> --keep drops the other; the CLI says why', { timeout: 60_000 }, async () => {
  const db = await freshDatabase('dup_merge_refuse');
  try {
    await migrate(db.pool, 'hq');
    await seedNode(db.pool, { patients: 3, seed: 'merge-refuse' });
    const [a, b] = await pickPair(db.pool);
    const refused = (o: Parameters<typeof mergePatients>[1], reason: string) =>
      assert.rejects(mergePatients(db.pool, o), (e: unknown) => e instanceof MergeRefused && e.reason === reason);
    await refused({ keep: a.uuid, drop: a.uuid, userId: 1 }, 'same-patient');
    await refused({ keep: a.uuid, drop: '00000000-0000-4000-8000-000000000000', userId: 1 }, 'unknown-patient');
    await refused({ keep: a.uuid, drop: b.uuid, userId: 424242 }, 'unknown-user');
    await refused({ keep: a.uuid, drop: b.uuid, userId: 1, pairId: 77 }, 'unknown-pair');
    await upsertCandidates(db.pool, [{ patientA: a.uuid, patientB: b.uuid, class: 'probable', score: 20, reasons: {} as never }]);
    const [pair] = await listCandidates(db.pool);
    await rejectCandidate(db.pool, pair.id);
    await refused({ keep: a.uuid, drop: b.uuid, userId: 1 }, 'pair-reviewed');
    assert.equal(await main(['duplicates', 'merge', String(pair.id), '--keep', '00000000-0000-4000-8000-000000000000', '--db', db.url], {}), 1, 'keep not of the pair');
    await db.pool.query("UPDATE atomsync_duplicate SET status = 'open'", []);
    assert.equal(await count(db.pool, 'SELECT COUNT(*) AS n FROM patient WHERE voided = 1'), 0, 'nothing changed');
    assert.equal(await main(['duplicates', 'merge', '--db', db.url], {}), 2, 'no --keep/--drop: a usage error');
    assert.equal(await main(['duplicates', 'merge', '--keep', a.uuid, '--drop', a.uuid, '--db', db.url], {}), 1);
    await stopClashingOrders(db.pool, a.id, b.id);
    assert.equal(await main(['duplicates', 'merge', String(pair.id), '--keep', b.uuid, '--db', db.url], {}), 0, 'merge <id> --keep: the other one dropped');
    assert.equal((await listCandidates(db.pool, { status: 'merged' }))[0]?.id, pair.id);
    const [c] = await queryRows<Pick>(db.pool, 'SELECT pe.person_id AS id, pe.uuid FROM person pe JOIN patient pa ON pa.patient_id = pe.person_id WHERE pe.person_id NOT IN (?, ?) LIMIT 1', [a.id, b.id]);
    await stopClashingOrders(db.pool, b.id, c.id);
    assert.equal(await main(['duplicates', 'merge', '--keep', b.uuid, '--drop', c.uuid, '--db', db.url], {}), 0, 'two patients no scan paired: merged');
    assert.equal(await count(db.pool, 'SELECT COUNT(*) AS n FROM patient WHERE voided = 1'), 2);
  } finally {
    await db.drop();
  }
});
