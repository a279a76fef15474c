// A real OpenMRS site adopted with its history. The clinic is the Reference Application
// database from ../shared/fixtures (OpenMRS's own schema: concept_datatype without
// changed_by/date_changed, CIEL concept uuids, modules' tables beside the core) with two
// years of patients written into it before atomsync was installed, plus rows written the
// way OpenMRS writes them (CIEL uuids of 32 and 36 characters, a mixed-case uuid). Then
// `migrate` (which requests the snapshot), `publish`, and HQ's `subscribe --once` into an
// empty database and into a second copy of the real schema, while a writer keeps
// changing, voiding and deleting the clinic's rows during the snapshot. Both HQs end with
// `verify` clean and no dead letters.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { queryRows } from '../shared/db.ts';
import type { Pool } from '../shared/db.ts';
import { loadRegistry } from '../shared/registry.ts';
import type { ResourceName } from '../shared/resources.ts';
import { resourcesWithRows } from '../shared/schema/snapshot-state.ts';
import { openLiveContext } from '../tools/seed/index.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { basic, get } from './helpers/http.ts';
import { startLiveWrites } from './helpers/live-writes.ts';
import { fixtureSkipReason, loadFixture } from '../tools/bench/openmrs-fixture.ts';
import { atomsync, eventually, killAll, run, waitForOutput } from './helpers/processes.ts';
import type { Proc } from './helpers/processes.ts';

const skip = fixtureSkipReason();
const CIEL_32 = '5242AAAAAAAAAAAAAAAAAAAAAAAAAAAA'; // CIEL "Respiratory rate", in the 32-character form
const CIEL_36 = '5089AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'; // CIEL "Weight (kg)", as the fixture holds it
const MIXED = 'Obs-Written-By-A-Module-0001';

const count = async (pool: Pool, sql: string, params: unknown[] = []) => Number((await queryRows<{ n: number }>(pool, sql, params))[0].n);

/** Rows as OpenMRS itself writes them: a CIEL concept with a 32-character uuid, obs pointing at CIEL concepts. */
async function writeOpenmrsStyleRows(pool: Pool): Promise<void> {
  await pool.query(
    `INSERT INTO concept (datatype_id, class_id, is_set, creator, date_created, retired, uuid)
     SELECT dt.concept_datatype_id, cc.concept_class_id, 0, 1, '2016-03-09 14:47:58', 0, ?
     FROM concept_datatype dt, concept_class cc WHERE dt.name = 'Numeric' AND cc.name = 'Test'`,
    [CIEL_32],
  );
  await pool.query(
    `INSERT INTO concept_name (concept_id, name, locale, locale_preferred, creator, date_created, concept_name_type, voided, uuid)
     SELECT concept_id, 'Respiratory rate', 'en', 1, 1, '2016-03-09 14:47:58', 'FULLY_SPECIFIED', 0, '5242AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
     FROM concept WHERE uuid = ?`,
    [CIEL_32],
  );
  const insertObs = (conceptUuid: string, value: number, uuid: string) =>
    pool.query(
      `INSERT INTO obs (person_id, concept_id, encounter_id, obs_datetime, location_id, value_numeric, creator, date_created, voided, status, uuid)
       SELECT e.patient_id, c.concept_id, e.encounter_id, e.encounter_datetime, e.location_id, ?, 1, e.date_created, 0, 'FINAL', ?
       FROM encounter e, concept c WHERE c.uuid = ? AND e.voided = 0 ORDER BY e.encounter_id LIMIT 1`,
      [value, uuid, conceptUuid],
    );
  await insertObs(CIEL_32, 18, crypto.randomUUID());
  await insertObs(CIEL_36, 61.5, crypto.randomUUID());
  await insertObs(CIEL_36, 62, MIXED);
}

/** Deletes rows now and then, as a purge would: obs nothing points at, and patients' addresses. */
function startDeletes(pool: Pool, everyMs = 120) {
  let stopped = false;
  let deleted = 0;
  const loop = (async () => {
    while (!stopped) {
      try {
        const [r] = (await pool.query(
          `DELETE FROM obs WHERE obs_id = (SELECT id FROM (SELECT o.obs_id AS id FROM obs o WHERE o.obs_group_id IS NULL
             AND NOT EXISTS (SELECT 1 FROM obs c WHERE c.obs_group_id = o.obs_id OR c.previous_version = o.obs_id)
             ORDER BY RAND() LIMIT 1) x)`,
        )) as unknown as [{ affectedRows: number }];
        deleted += r.affectedRows;
        if (deleted % 5 === 0) await pool.query('DELETE FROM person_address ORDER BY RAND() LIMIT 1');
      } catch {
        // a deadlock with the other writer: the next round tries again
      }
      await new Promise((res) => setTimeout(res, everyMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return deleted;
    },
  };
}

describe('a real OpenMRS site adopted with its history', { skip, timeout: 600_000 }, () => {
  let clinic: TestDb, hqEmpty: TestDb, hqReal: TestDb;
  let pub: Proc;
  let base = '';
  let withRows: ResourceName[] = [];
  const feed = () => `http://hq:hq-secret@${base.replace('http://', '')}/openmrs/ws/atomfeed/all/recent`;
  const subscribe = (db: TestDb, node: string) => run(['subscribe', '--once', '--db', db.url, '--node-id', node, '--feed', feed()]);

  before(async () => {
    [clinic, hqEmpty, hqReal] = await Promise.all([freshDatabase('real_clinic'), freshDatabase('real_hq'), freshDatabase('real_hqfx')]);
    await Promise.all([loadFixture(clinic.url), loadFixture(hqReal.url)]);
    // Two years of history, written before atomsync is installed: no triggers, so no events.
    const seeded = await run(['seed', '--db', clinic.url, '--node-id', 'clinic', '--patients', '40', '--seed', 'real']);
    assert.equal(seeded.code, 0, seeded.out);
    await writeOpenmrsStyleRows(clinic.pool);
    assert.equal(await count(clinic.pool, `SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'atomsync%'`), 0);
  });

  after(async () => {
    killAll();
    await Promise.all([clinic, hqEmpty, hqReal].map((d) => d?.drop()));
  });

  test('migrate adopts the site and requests a snapshot of its history; HQ databases are migrated too', async () => {
    const m = await run(['migrate', '--db', clinic.url, '--node-id', 'clinic']);
    assert.equal(m.code, 0, m.out);
    assert.match(m.out, /requested a snapshot of the existing rows of .*location, conceptdatatype, .*patient, .*visit, encounter, .*obs/);
    withRows = await resourcesWithRows(clinic.pool, await loadRegistry(clinic.pool));
    assert.ok(withRows.includes('order') && withRows.includes('programenrollment') && withRows.includes('relationship'), withRows.join());
    assert.equal(await count(clinic.pool, `SELECT COUNT(*) AS n FROM atomsync_snapshot WHERE status = 'pending'`), withRows.length);
    assert.equal(await count(clinic.pool, 'SELECT COUNT(*) AS n FROM atomsync_outbox'), 0, 'the history has no events of its own');
    for (const [db, node] of [[hqEmpty, 'hq'], [hqReal, 'hq-real']] as const) {
      const r = await run(['migrate', '--db', db.url, '--node-id', node]);
      assert.equal(r.code, 0, r.out);
    }
    // The second migrate of the clinic changes nothing and requests nothing again.
    const again = await run(['migrate', '--db', clinic.url, '--node-id', 'clinic']);
    assert.match(again.out, /already up to date/);
  });

  test('the publisher publishes the history while the clinic keeps changing, voiding and deleting rows', async () => {
    // Small chunks, so the live events interleave with many of them; and the obs snapshot is
    // held (its progress row locked) until the writers have worked, so the test does not rest
    // on how long a snapshot of this size takes on the machine at hand.
    assert.ok(withRows.includes('obs'), withRows.join());
    const hold = await clinic.pool.getConnection();
    await hold.beginTransaction();
    await hold.query(`SELECT resource FROM atomsync_snapshot WHERE resource = 'obs' FOR UPDATE`);
    pub = atomsync(['publish', '--db', clinic.url, '--port', '0', '--users', 'hq:hq-secret', '--snapshot-chunk', '5']);
    base = await waitForOutput(pub, /publishing at (http:\/\/[^/\s]+)/, 20_000);
    const ctx = await openLiveContext(clinic.pool, { seed: 'real', stream: `live-${Date.now()}` });
    const writes = startLiveWrites(clinic.pool, ctx, 60);
    const deletes = startDeletes(clinic.pool);
    let duringSnapshot = 0;
    const snapshotRunning = async () => (await count(clinic.pool, `SELECT COUNT(*) AS n FROM atomsync_snapshot WHERE status <> 'done'`)) > 0;
    // Watched from the start: HQ's early read below may last as long as the snapshot itself.
    const finished = eventually(async () => {
      const running = await snapshotRunning();
      if (running) duringSnapshot = writes.counts.patients + writes.counts.visits + writes.counts.edits + writes.counts.voids;
      return !running;
    }, 300_000, 'the snapshot to finish');
    // HQ reads while the snapshot is under way, too: the live events are interleaved with its chunks.
    const early = await subscribe(hqEmpty, 'hq');
    assert.equal(early.code, 0, early.out);
    await eventually(async () => duringSnapshot >= 5, 120_000, 'five writes during the snapshot');
    await hold.commit();
    hold.release();
    await finished;
    await new Promise((r) => setTimeout(r, 500));
    const counts = await writes.stop();
    const deleted = await deletes.stop();
    assert.ok(duringSnapshot >= 5, `the writer changed the clinic during the snapshot (${duringSnapshot} actions; ${JSON.stringify(counts)})`);
    assert.ok(deleted >= 3, `rows were deleted during the snapshot (${deleted})`);
    assert.ok(counts.voids + counts.edits > 0, 'rows were edited or voided');
    await eventually(async () => (await count(clinic.pool, 'SELECT COUNT(*) AS n FROM atomsync_outbox')) === 0, 60_000, 'the relay to drain the outbox');
    const states = await queryRows<{ resource: string; rows_done: number; rows_total: number }>(clinic.pool, 'SELECT resource, rows_done, rows_total FROM atomsync_snapshot');
    assert.equal(states.length, withRows.length);
    for (const s of states) assert.ok(Number(s.rows_done) > 0, `${s.resource}: rows published`);
  });

  test('the real schema is served as OpenMRS shows it: missing audit columns are null, not a 500', async () => {
    const [{ uuid }] = await queryRows<{ uuid: string }>(clinic.pool, `SELECT uuid FROM concept_datatype WHERE name = 'Numeric'`);
    const r = await get(`${base}/openmrs/ws/rest/v1/conceptdatatype/${uuid}?v=full`, { authorization: basic('hq', 'hq-secret') });
    assert.equal(r.status, 200, r.body);
    const rep = JSON.parse(r.body);
    assert.equal(rep.uuid, uuid);
    assert.equal(rep.name, 'Numeric');
    assert.equal(rep.auditInfo.dateChanged, null);
    assert.equal(rep.auditInfo.changedBy, null);
    assert.ok(rep.auditInfo.creator?.uuid, 'the creator is there');
    // A CIEL uuid of 32 characters, asked for in any case, answers with the uuid as stored.
    const c = await get(`${base}/openmrs/ws/rest/v1/concept/${CIEL_32.toLowerCase()}?v=full`, { authorization: basic('hq', 'hq-secret') });
    assert.equal(c.status, 200, c.body);
    assert.equal(JSON.parse(c.body).uuid, CIEL_32);
  });

  test("the snapshot's progress is on the root page and in /metrics", async () => {
    const auth = { authorization: basic('hq', 'hq-secret') };
    const root = await get(`${base}/`, { ...auth, accept: 'application/json' });
    assert.equal(root.status, 200, root.body);
    const snap = JSON.parse(root.body).snapshot as Array<{ resource: string; status: string; rowsDone: number; rowsTotal: number }>;
    assert.equal(snap.length, withRows.length);
    const at = (r: string) => snap.findIndex((x) => x.resource === r);
    assert.ok(at('location') < at('concept') && at('concept') < at('patient') && at('patient') < at('obs'), 'in dependency order');
    const obs = snap.find((x) => x.resource === 'obs')!;
    assert.equal(obs.status, 'done');
    assert.ok(obs.rowsDone > 1000 && obs.rowsDone <= obs.rowsTotal, JSON.stringify(obs));
    const page = await get(`${base}/`, { ...auth, accept: 'text/html' });
    assert.match(page.body, /<h2>Snapshot<\/h2>/);
    assert.match(page.body, /Every existing row has been published/);
    const metrics = await get(`${base}/metrics`, auth);
    assert.match(metrics.body, new RegExp(`atomsync_snapshot_rows_published\\{resource="obs"\\} ${obs.rowsDone}\\n`));
    assert.match(metrics.body, /atomsync_snapshot_pending_resources 0\n/);
  });

  test('HQ, empty or a real OpenMRS of its own, ends with the whole site: verify clean, no dead letters', async () => {
    for (const [db, node] of [[hqEmpty, 'hq'], [hqReal, 'hq-real']] as const) {
      const r = await subscribe(db, node);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /caught up: \d+ applied, 0 waiting for a retry, 0 dead letters/, `${node}: ${r.out}`);
      const v = await run(['verify', '--source', clinic.url, '--target', db.url]);
      assert.equal(v.code, 0, `${node}: verify found divergence:\n${v.out}`);
      assert.match(v.out, /OK: \d+ source rows checked/);
      const failed = await run(['failed', 'list', '--db', db.url]);
      assert.match(failed.out, /no dead letters/, failed.out);
      assert.equal(await count(db.pool, 'SELECT COUNT(*) AS n FROM atomsync_inbox'), 0, `${node}: nothing waits`);
      // Uuids are kept exactly as OpenMRS stored them: CIEL's upper case, a module's mixed case.
      assert.equal(await count(db.pool, 'SELECT COUNT(*) AS n FROM concept WHERE BINARY uuid = ?', [CIEL_32]), 1, `${node}: ${CIEL_32}`);
      assert.equal(await count(db.pool, 'SELECT COUNT(*) AS n FROM obs WHERE BINARY uuid = ?', [MIXED]), 1, `${node}: ${MIXED}`);
      assert.equal(await count(db.pool, 'SELECT COUNT(*) AS n FROM concept WHERE BINARY uuid = ?', [CIEL_36]), 1, `${node}: ${CIEL_36}`);
    }
    // The real HQ's own dictionary met the clinic's identical one: nothing was taken for a conflict.
    assert.equal(await count(hqReal.pool, 'SELECT COUNT(*) AS n FROM atomsync_conflict'), 0);
    assert.equal(await count(hqReal.pool, 'SELECT COUNT(*) AS n FROM atomsync_superseded'), 0);
    // The whole record of a 2.1 site reached the second real schema (encounter_diagnosis: not before 2.2).
    for (const table of ['orders', 'drug_order', 'test_order', 'patient_program', 'patient_state', 'person_attribute', 'relationship', 'conditions',
      'allergy', 'allergy_reaction', 'concept_answer', 'concept_numeric', 'visit_attribute', 'location_tag_map']) {
      const [c, h] = [await count(clinic.pool, `SELECT COUNT(*) AS n FROM ${table}`), await count(hqReal.pool, `SELECT COUNT(*) AS n FROM ${table}`)];
      assert.ok(c > 0 && h >= c, `${table}: clinic ${c}, real HQ ${h}`);
    }
  });

  test("changes to rows whose uuid OpenMRS does not make unique (allergy) update HQ's row, never add one; a row without a uuid is written and not published", async () => {
    const [{ uuid }] = await queryRows<{ uuid: string }>(clinic.pool, 'SELECT uuid FROM allergy WHERE uuid IS NOT NULL AND voided = 0 ORDER BY allergy_id LIMIT 1');
    await clinic.pool.query(`UPDATE allergy SET comment = 'worse after the second dose', date_changed = UTC_TIMESTAMP(), changed_by = 1 WHERE uuid = ?`, [uuid]);
    await clinic.pool.query('UPDATE allergy_reaction r JOIN allergy a USING (allergy_id) SET r.reaction_non_coded = ? WHERE a.uuid = ?', ['hives', uuid]);
    // OpenMRS lets allergy.uuid be NULL: the clinic's write must not fail on atomsync's trigger.
    await clinic.pool.query(
      `INSERT INTO allergy (patient_id, coded_allergen, allergen_type, creator, date_created, voided, uuid)
       SELECT patient_id, coded_allergen, allergen_type, 1, UTC_TIMESTAMP(), 0, NULL FROM allergy WHERE uuid = ?`,
      [uuid],
    );
    await eventually(async () => (await count(clinic.pool, 'SELECT COUNT(*) AS n FROM atomsync_outbox')) === 0, 60_000, 'the relay to drain the outbox');
    const r = await subscribe(hqReal, 'hq-real');
    assert.match(r.out, /caught up: [1-9]\d* applied, 0 waiting for a retry, 0 dead letters/, r.out);
    assert.equal(await count(hqReal.pool, 'SELECT COUNT(*) AS n FROM allergy WHERE uuid = ?', [uuid]), 1, 'one row for the uuid');
    assert.equal(await count(hqReal.pool, `SELECT COUNT(*) AS n FROM allergy WHERE uuid = ? AND comment = 'worse after the second dose'`, [uuid]), 1);
    const hives = 'SELECT COUNT(*) AS n FROM allergy_reaction r JOIN allergy a USING (allergy_id) WHERE a.uuid = ? AND r.reaction_non_coded = ?';
    const reactions = await count(clinic.pool, hives, [uuid, 'hives']);
    assert.ok(reactions > 0);
    assert.equal(await count(hqReal.pool, hives, [uuid, 'hives']), reactions, 'each reaction updated, none added');
    const v = await run(['verify', '--source', clinic.url, '--target', hqReal.url]);
    assert.equal(v.code, 0, v.out);
  });
});
