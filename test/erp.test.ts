// The ERP integration end to end, with real processes: two clinics publish,
// HQ (`atomsync subscribe`) and the ERP (`atomsync erp`, its own database and
// credentials) read the same feeds at the same time. HQ must converge, and the
// ERP must hold one customer per patient, one order per encounter and one line
// per non-voided coded obs, as the clinics have them now.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { queryRows } from '../shared/db.ts';
import type { Pool } from '../shared/db.ts';
import { silentLogger } from '../shared/logger.ts';
import { loadRepresentation } from '../shared/representation.ts';
import { RESOURCES } from '../shared/resources.ts';
import type { ResourceName } from '../shared/resources.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { createPatient, createVisitWithEncounter, editPatientName, openLiveContext, seedNode, voidEncounter } from '../shared/seed/index.ts';
import type { LiveContext } from '../shared/seed/index.ts';
import { customerRecord } from '../subscriber/erp/erp-records.ts';
import { byUuid, erpHolds, expectedAt } from '../subscriber/erp/erp-verify.ts';
import { ErpReferenceMissingError, ErpSink } from '../subscriber/erp/erp-sink.ts';
import { isRetryable } from '../subscriber/errors.ts';
import { toRowTree } from '../subscriber/row-tree.ts';
import type { RowNode } from '../subscriber/row-tree.ts';
import type { SinkEvent } from '../subscriber/sink.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { killAll, run, startPublisher } from './helpers/processes.ts';

type Pub = Awaited<ReturnType<typeof startPublisher>>;
type Row = Record<string, unknown>;

function assertSame(kind: string, actual: Row[], expected: Row[]) {
  const a = byUuid(actual);
  const e = byUuid(expected);
  const missing = [...e.keys()].filter((k) => !a.has(k));
  const extra = [...a.keys()].filter((k) => !e.has(k));
  const wrong = [...e.keys()].filter((k) => a.has(k)).filter((k) => JSON.stringify(a.get(k)) !== JSON.stringify(e.get(k)));
  assert.deepEqual(
    { missing: missing.length, extra: extra.length, wrong: wrong.length },
    { missing: 0, extra: 0, wrong: 0 },
    `${kind}: ${JSON.stringify({ missing: missing.slice(0, 3), extra: extra.slice(0, 3), wrong: wrong.slice(0, 3).map((k) => ({ erp: a.get(k), clinic: e.get(k) })) })}`,
  );
}

describe('ERP integration: two clinics, HQ and the ERP on the same feeds', { timeout: 600_000 }, () => {
  let a: TestDb, b: TestDb, hq: TestDb, erp: TestDb;
  let pubA: Pub, pubB: Pub;
  let ctxA: LiveContext, ctxB: LiveContext;
  const feed = (pub: Pub, category: string, who = '') => `http://${who}127.0.0.1:${pub.port}/openmrs/ws/atomfeed/${category}/recent`;
  const hqArgs = () => ['subscribe', '--once', '--db', hq.url, '--node-id', 'hq', '--feed', feed(pubA, 'all', 'hq:hq-secret@'), '--feed', feed(pubB, 'all', 'hq:hq-secret@')];
  const erpArgs = () => [
    'erp', '--once', '--db', erp.url, '--node-id', 'erp', '--credentials', 'erp:erp-secret',
    ...[pubA, pubB].flatMap((p) => ['patient', 'encounter', 'obs'].flatMap((c) => ['--feed', feed(p, c)])),
  ];

  /** Both subscribers at once, as they would run in production; each must catch up with nothing left over. */
  async function runBoth() {
    const [h, e] = await Promise.all([run(hqArgs()), run(erpArgs())]);
    assert.equal(h.code, 0, h.out);
    assert.equal(e.code, 0, e.out);
    assert.match(h.out, /0 waiting for a retry, 0 dead letters/, h.out);
    assert.match(e.out, /0 waiting for a retry, 0 dead letters/, e.out);
    return e.out;
  }

  async function assertHqConverged() {
    const r = await run(['verify', '--source', a.url, '--source', b.url, '--target', hq.url]);
    assert.equal(r.code, 0, `verify found divergence:\n${r.out}`);
  }

  async function assertErpMatches() {
    const [ea, eb, got] = await Promise.all([expectedAt(a.pool, 'field-a'), expectedAt(b.pool, 'field-b'), erpHolds(erp.pool)]);
    assertSame('customers', got.customers, [...ea.customers, ...eb.customers]);
    assertSame('orders', got.orders, [...ea.orders, ...eb.orders]);
    assertSame('order lines', got.lines, [...ea.lines, ...eb.lines]);
    assert.ok(got.lines.length > 0, 'the clinics have coded obs, so the ERP has lines');
  }

  const one = async <T extends Row>(pool: Pool, sql: string, p: unknown[] = []) => (await queryRows<T>(pool, sql, p))[0];

  before(async () => {
    [a, b, hq, erp] = await Promise.all([freshDatabase('erp_a'), freshDatabase('erp_b'), freshDatabase('erp_hq'), freshDatabase('erp_erp')]);
    await Promise.all([migrate(a.pool, 'field-a'), migrate(b.pool, 'field-b'), migrate(hq.pool, 'hq')]);
    await seedNode(a.pool, { patients: 6, seed: 'erp' });
    await seedNode(b.pool, { patients: 6, seed: 'erp' });
    ctxA = await openLiveContext(a.pool, { seed: 'erp', stream: `live-${Date.now()}` });
    ctxB = await openLiveContext(b.pool, { seed: 'erp', stream: `live-${Date.now()}` });
    // The ERP may read its three resources and nothing else (it needs no more); HQ everything.
    const publisherOf = (url: string) => startPublisher(url, { users: 'hq:hq-secret,erp:erp-secret', extra: ['--user-rights', 'erp=patient,encounter,obs'] });
    [pubA, pubB] = await Promise.all([publisherOf(a.url), publisherOf(b.url)]);
  });

  after(async () => {
    killAll();
    await Promise.all([a, b, hq, erp].map((d) => d?.drop()));
  });

  test('catch-up from empty: HQ converges and the ERP matches the clinics', async () => {
    await runBoth();
    await assertHqConverged();
    await assertErpMatches();
    // The ERP's database holds its own tables and atomsync's bookkeeping, no OpenMRS tables.
    const tables = (await queryRows<{ t: string }>(erp.pool, 'SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()')).map((r) => r.t);
    assert.ok(tables.includes('erp_order_line') && tables.includes('atomsync_marker'));
    assert.ok(!tables.includes('patient') && !tables.includes('users'), tables.join(' '));
  });

  test('updates, voids and deletes at the clinics reach both', async () => {
    // A corrected name at A; a new patient with a visit at A; a new visit for a patient of B.
    const { id: pa } = await one<{ id: number }>(a.pool, 'SELECT patient_id AS id FROM patient WHERE voided = 0 ORDER BY patient_id LIMIT 1');
    assert.equal(await editPatientName(a.pool, ctxA, Number(pa)), true);
    const fresh = await createPatient(a.pool, ctxA);
    await createVisitWithEncounter(a.pool, ctxA, fresh.patientId);
    const { id: pb } = await one<{ id: number }>(b.pool, 'SELECT patient_id AS id FROM patient WHERE voided = 0 ORDER BY patient_id DESC LIMIT 1');
    await createVisitWithEncounter(b.pool, ctxB, Number(pb));
    // An encounter with coded obs voided at B (its obs with it): the order goes inactive, its lines go.
    const enc = await one<{ id: number; uuid: string }>(
      b.pool,
      `SELECT e.encounter_id AS id, e.uuid FROM encounter e JOIN obs o ON o.encounter_id = e.encounter_id
       WHERE e.voided = 0 AND o.value_coded IS NOT NULL AND o.voided = 0 ORDER BY e.encounter_id LIMIT 1`,
    );
    assert.equal((await voidEncounter(b.pool, ctxB, Number(enc.id))).voided, true);
    // A patient voided at B (patient and person, as OpenMRS voids them): the customer goes inactive.
    const victim = await one<{ id: number; uuid: string }>(
      b.pool, 'SELECT p.patient_id AS id, ps.uuid FROM patient p JOIN person ps ON ps.person_id = p.patient_id WHERE p.voided = 0 ORDER BY p.patient_id LIMIT 1',
    );
    await b.pool.query(`UPDATE patient SET voided = 1, voided_by = 1, date_voided = UTC_TIMESTAMP(), void_reason = 'duplicate' WHERE patient_id = ?`, [victim.id]);
    await b.pool.query(`UPDATE person SET voided = 1, voided_by = 1, date_voided = UTC_TIMESTAMP(), void_reason = 'duplicate' WHERE person_id = ?`, [victim.id]);
    // A coded obs deleted outright at A (nothing refers to it): its line is removed.
    const gone = await one<{ uuid: string }>(
      a.pool,
      `SELECT o.uuid FROM obs o WHERE o.value_coded IS NOT NULL AND o.voided = 0 AND o.obs_group_id IS NULL AND o.encounter_id IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM obs x WHERE x.obs_group_id = o.obs_id OR x.previous_version = o.obs_id) ORDER BY o.obs_id LIMIT 1`,
    );
    assert.ok(gone, 'a coded obs that nothing refers to');
    await a.pool.query('DELETE FROM obs WHERE uuid = ?', [gone.uuid]);
    await new Promise((r) => setTimeout(r, 500)); // the publishers' relays move the outbox into the feeds

    await runBoth();
    await assertHqConverged();
    await assertErpMatches();
    const order = await one<{ active: number; n_lines: number }>(
      erp.pool, 'SELECT o.active, (SELECT COUNT(*) FROM erp_order_line l WHERE l.order_id = o.id) AS n_lines FROM erp_order o WHERE o.encounter_uuid = ?', [enc.uuid],
    );
    assert.deepEqual({ active: Number(order.active), lines: Number(order.n_lines) }, { active: 0, lines: 0 });
    assert.equal(Number((await one<{ active: number }>(erp.pool, 'SELECT active FROM erp_customer WHERE patient_uuid = ?', [victim.uuid])).active), 0);
    assert.equal((await queryRows(erp.pool, 'SELECT 1 FROM erp_order_line WHERE obs_uuid = ?', [gone.uuid])).length, 0);
  });

  test('every feed read again from the start changes nothing in the ERP', async () => {
    const stamp = async () => one<{ c: string; o: string; l: string }>(
      erp.pool,
      `SELECT (SELECT MAX(updated_at) FROM erp_customer) AS c, (SELECT MAX(updated_at) FROM erp_order) AS o, (SELECT MAX(updated_at) FROM erp_order_line) AS l`,
    );
    const before = await stamp();
    await erp.pool.query('DELETE FROM atomsync_marker'); // the ERP forgets how far it read
    const r = await run(erpArgs());
    assert.equal(r.code, 0, r.out);
    assert.doesNotMatch(r.out, /caught up: 0 applied/, 'the events were applied again');
    // Read afresh, the obs deleted above is announced CREATED in one batch and DELETED in the next;
    // the CREATED (404) may be parked after the DELETED was applied, and must then be settled, not left waiting.
    assert.match(r.out, /0 waiting for a retry, 0 dead letters/, r.out);
    assert.deepEqual(await stamp(), before, 'no row was rewritten');
    await assertErpMatches();
  });
});

describe('ERP sink on its own: idempotent, newest state wins, lines need their order', () => {
  let a: TestDb, erp: TestDb;
  let sink: ErpSink;
  const ev = (resource: ResourceName, uuid: string, action: SinkEvent['action'] = 'UPDATED'): SinkEvent => ({
    resource, uuid, action, origin: 'field-a', feedUrl: 'http://a/feed', entryId: `tag:test:${Math.random()}`,
  });
  const state = async (resource: ResourceName, uuid: string) => {
    const rep = (await loadRepresentation(a.pool, RESOURCES[resource], uuid, 'http://a'))!;
    return { tree: toRowTree(RESOURCES[resource], rep, uuid), rep };
  };
  const apply = (resource: ResourceName, uuid: string, s: { tree: RowNode; rep: Record<string, unknown> }) => sink.apply(ev(resource, uuid), s.tree, s.rep);

  before(async () => {
    [a, erp] = await Promise.all([freshDatabase('erpsink_a'), freshDatabase('erpsink_erp')]);
    await migrate(a.pool, 'field-a');
    await seedNode(a.pool, { patients: 2, seed: 'erp-sink' });
    sink = await ErpSink.create(erp.pool, silentLogger);
  });
  after(async () => Promise.all([a.drop(), erp.drop()]));

  test('the same state twice writes once; an older state arriving late is refused', async () => {
    const ctx = await openLiveContext(a.pool, { seed: 'erp-sink', stream: `live-${Date.now()}` });
    const [{ id, uuid }] = await queryRows<{ id: number; uuid: string }>(a.pool, 'SELECT p.patient_id AS id, ps.uuid FROM patient p JOIN person ps ON ps.person_id = p.patient_id LIMIT 1');
    const old = await state('patient', uuid);
    assert.equal(await editPatientName(a.pool, ctx, Number(id)), true);
    const current = await state('patient', uuid);
    assert.equal(await apply('patient', uuid, current), 'applied');
    assert.equal(await apply('patient', uuid, current), 'unchanged');
    assert.equal(await apply('patient', uuid, old), 'superseded');
    const [row] = await queryRows<{ name: string }>(erp.pool, 'SELECT name FROM erp_customer WHERE patient_uuid = ?', [uuid]);
    assert.equal(row.name, customerRecord(current.tree, current.rep, 'field-a').name);
    assert.notEqual(row.name, customerRecord(old.tree, old.rep, 'field-a').name);
  });

  test('a coded obs before its encounter is retried later; after it, it is a line; deleted, it goes', async () => {
    const [{ uuid, enc }] = await queryRows<{ uuid: string; enc: string }>(
      a.pool,
      `SELECT o.uuid, e.uuid AS enc FROM obs o JOIN encounter e ON e.encounter_id = o.encounter_id WHERE o.value_coded IS NOT NULL AND o.voided = 0 LIMIT 1`,
    );
    assert.equal(await sink.has({ resource: 'encounter', uuid: enc }), false);
    assert.equal(await sink.has({ resource: 'concept', uuid: enc }), true, 'the ERP needs nothing else first');
    await assert.rejects(apply('obs', uuid, await state('obs', uuid)), (err: Error) => err instanceof ErpReferenceMissingError && isRetryable(err));
    const e = await state('encounter', enc);
    const patient = e.tree.refs.patient_id!.uuid;
    assert.equal(await apply('patient', patient, await state('patient', patient)).then(() => apply('encounter', enc, e)), 'applied');
    assert.equal(await apply('obs', uuid, await state('obs', uuid)), 'applied');
    assert.equal(await apply('obs', uuid, await state('obs', uuid)), 'unchanged');
    assert.equal(await sink.remove(ev('obs', uuid, 'DELETED')), 'deleted');
    assert.equal(await sink.remove(ev('obs', uuid, 'DELETED')), 'absent');
    assert.equal(await sink.remove(ev('encounter', enc, 'DELETED')), 'voided');
    const [order] = await queryRows<{ active: number }>(erp.pool, 'SELECT active FROM erp_order WHERE encounter_uuid = ?', [enc]);
    assert.equal(Number(order.active), 0);
  });
});
