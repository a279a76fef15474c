// The registry fitted to a database's real columns (shared/registry.ts): pure fitting, and
// sync between databases that lack different columns, as OpenMRS versions do.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { queryRows } from '../shared/db.ts';
import type { Pool } from '../shared/db.ts';
import { DECLARED_REGISTRY, fitRegistry, readSchemaColumns } from '../shared/registry.ts';
import { compileRepresentation } from '../shared/representation-sql.ts';
import { RESOURCES, tablesOf } from '../shared/resources.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { editPatientName, openLiveContext, pickPatientId, seedNode } from '../tools/seed/index.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { basic, get } from './helpers/http.ts';
import { killAll, run, startPublisher } from './helpers/processes.ts';

/** Every column the declared registry reads, by table: a database `migrate` created. */
function fullSchema(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const name of DECLARED_REGISTRY.names) {
    for (const { spec, path } of tablesOf(RESOURCES[name])) {
      const cols = out.get(spec.table) ?? new Set<string>();
      const part = path[path.length - 1];
      for (const c of [spec.key, spec.uuidColumn, part?.parentKeyColumn, ...spec.fields.map((f) => f.column), ...spec.refs.map((r) => r.column),
        'creator', 'date_created', 'changed_by', 'date_changed', 'voided', 'voided_by', 'date_voided', 'void_reason', 'retired', 'retired_by', 'date_retired', 'retire_reason']) {
        if (c && !spec.absent?.has(c)) cols.add(c); // not the columns OpenMRS builds the table without
      }
      out.set(spec.table, cols);
    }
  }
  return out;
}

describe('fitting the registry to a schema', () => {
  test('a complete schema gives the declared entries themselves', () => {
    const r = fitRegistry(fullSchema());
    assert.deepEqual(r.names, DECLARED_REGISTRY.names);
    for (const n of r.names) assert.equal(r.def(n), RESOURCES[n], n);
    assert.deepEqual([r.absentColumns, r.missingTables], [[], []]);
  });

  test('missing columns are marked absent and read as NULL; a missing table drops its part or its resource', () => {
    const schema = fullSchema();
    for (const c of ['changed_by', 'date_changed']) schema.get('concept_datatype')!.delete(c);
    schema.get('obs')!.delete('status');
    schema.get('obs')!.delete('previous_version');
    schema.delete('encounter_provider');
    schema.delete('visit');
    const r = fitRegistry(schema);
    assert.equal(r.has('visit'), false);
    assert.throws(() => r.def('visit'), /no table for resource "visit"/);
    assert.deepEqual([...r.missingTables].sort(), ['encounter_provider', 'visit']);
    assert.deepEqual([...(r.def('conceptdatatype').root.absent ?? [])].sort(), ['changed_by', 'date_changed']);
    assert.deepEqual(r.def('encounter').root.parts, []);
    const obs = compileRepresentation(r.def('obs'), true).tables[0].sql;
    assert.match(obs, /NULL AS f\d+/, 'obs.status selected as NULL');
    assert.doesNotMatch(obs, /ax_t\.status\b/);
    assert.doesNotMatch(obs, /ax_t\.previous_version/);
    const dt = compileRepresentation(r.def('conceptdatatype'), true).tables[0].sql;
    assert.doesNotMatch(dt, /date_changed|changed_by/);
    // The declared entry is untouched.
    assert.match(compileRepresentation(RESOURCES.obs, true).tables[0].sql, /ax_t\.status\b/);
  });

  test('a table without its key, uuid or owner column cannot be used at all', () => {
    const schema = fullSchema();
    schema.get('person_name')!.delete('uuid');
    schema.get('person')!.delete('uuid');
    const r = fitRegistry(schema);
    assert.equal(r.has('patient'), false, "a patient's uuid is its person's");
    assert.ok(r.missingTables.includes('person'));
  });
});

describe('sync between OpenMRS versions that lack different columns', { timeout: 300_000 }, () => {
  let clinic: TestDb, hq: TestDb;
  let pub: Awaited<ReturnType<typeof startPublisher>>;
  const count = async (pool: Pool, sql: string, params: unknown[] = []) => Number((await queryRows<{ n: number }>(pool, sql, params))[0].n);
  const feed = () => `http://hq:hq-secret@127.0.0.1:${pub.port}/openmrs/ws/atomfeed/all/recent`;

  before(async () => {
    [clinic, hq] = await Promise.all([freshDatabase('fit_clinic'), freshDatabase('fit_hq')]);
    await migrate(clinic.pool, 'clinic');
    await migrate(hq.pool, 'hq');
    // The clinic is like a real 2.x OpenMRS: no change audit on concept_datatype.
    await clinic.pool.query('ALTER TABLE concept_datatype DROP FOREIGN KEY concept_datatype_changed_by_fk').catch(() => undefined);
    await clinic.pool.query('ALTER TABLE concept_datatype DROP COLUMN changed_by, DROP COLUMN date_changed');
    // HQ is an older OpenMRS: no obs.status or obs.interpretation, no patient.allergy_status.
    await hq.pool.query('ALTER TABLE obs DROP COLUMN status, DROP COLUMN interpretation');
    await hq.pool.query('ALTER TABLE patient DROP COLUMN allergy_status');
    await seedNode(clinic.pool, { patients: 8, seed: 'fit' });
    pub = await startPublisher(clinic.url);
  });

  after(async () => {
    killAll();
    await Promise.all([clinic, hq].map((d) => d?.drop()));
  });

  test("the clinic's representation shows a missing column as null", async () => {
    const [{ uuid }] = await queryRows<{ uuid: string }>(clinic.pool, 'SELECT uuid FROM concept_datatype LIMIT 1');
    const r = await get(`http://127.0.0.1:${pub.port}/openmrs/ws/rest/v1/conceptdatatype/${uuid}?v=full`, { authorization: basic('hq', 'hq-secret') });
    assert.equal(r.status, 200, r.body);
    const rep = JSON.parse(r.body);
    assert.equal(rep.auditInfo.dateChanged, null);
    assert.equal(rep.auditInfo.changedBy, null);
    const sync = await get(`http://127.0.0.1:${pub.port}/openmrs/ws/rest/v1/conceptdatatype?uuids=${uuid}&v=sync`, { authorization: basic('hq', 'hq-secret') });
    assert.equal(JSON.parse(sync.body).results[0].auditInfo.dateChanged, null);
  });

  test('an older HQ stores what it has columns for; verify compares what both hold and says what it left out', async () => {
    const first = await run(['subscribe', '--once', '--db', hq.url, '--node-id', 'hq', '--feed', feed()]);
    assert.equal(first.code, 0, first.out);
    assert.match(first.out, /0 waiting for a retry, 0 dead letters/);
    assert.match(first.out, /lacks some of the columns or tables atomsync syncs/);
    assert.equal(await count(hq.pool, 'SELECT COUNT(*) AS n FROM obs'), await count(clinic.pool, 'SELECT COUNT(*) AS n FROM obs'));
    const v = await run(['verify', '--source', clinic.url, '--target', hq.url]);
    assert.equal(v.code, 0, v.out);
    assert.match(v.out, /obs: not compared \(a database has no such column\): interpretation, status/);
    assert.match(v.out, /concept_datatype: not compared \(a database has no such column\): changed_by, date_changed/);
  });

  test('changes at the clinic update the older HQ without being taken for conflicts', async () => {
    const ctx = await openLiveContext(clinic.pool, { seed: 'fit', stream: `fit-${Date.now()}` });
    for (let i = 0; i < 4; i++) {
      const id = await pickPatientId(clinic.pool, ctx.rng);
      if (id !== null) await editPatientName(clinic.pool, ctx, id);
    }
    await new Promise((r) => setTimeout(r, 500)); // the relay numbers them
    const again = await run(['subscribe', '--once', '--db', hq.url, '--node-id', 'hq', '--feed', feed()]);
    assert.equal(again.code, 0, again.out);
    assert.match(again.out, /caught up: [1-9]\d* applied/);
    // HQ's own rows (without the columns it lacks) are what it last synced: no "changed at both ends".
    assert.equal(await count(hq.pool, 'SELECT COUNT(*) AS n FROM atomsync_conflict'), 0);
    assert.equal(await count(hq.pool, 'SELECT COUNT(*) AS n FROM atomsync_superseded'), 0);
    const v = await run(['verify', '--source', clinic.url, '--target', hq.url]);
    assert.equal(v.code, 0, v.out);
  });

  test('readSchemaColumns sees what ALTER TABLE left', async () => {
    const cols = await readSchemaColumns(hq.pool);
    assert.equal(cols.get('obs')!.has('status'), false);
    assert.equal(cols.get('obs')!.has('value_numeric'), true);
  });
});
