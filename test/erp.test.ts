// The ERP integration end to end, with real processes: two clinics publish,
// HQ (`atomsync subscribe`) and the ERP (`atomsync erp`, its own database and
// credentials) read the same feeds at the same time. HQ must converge, and the
// ERP must hold one customer per patient, one order per encounter and one line
// per non-voided coded obs and per drug or test order in force (not voided,
// revised or discontinued), as the clinics have them now.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { queryRows } from '../shared/db.ts';
import type { Pool } from '../shared/db.ts';
import { silentLogger } from '../shared/logger.ts';
import { loadRepresentation } from '../shared/representation.ts';
import { RESOURCES } from '../shared/resources.ts';
import type { ResourceName } from '../shared/resources.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { createPatient, createVisitWithEncounter, editPatientName, openLiveContext, seedNode, voidEncounter } from '../tools/seed/index.ts';
import type { LiveContext } from '../tools/seed/index.ts';
import { customerRecord } from '../subscriber/erp/erp-records.ts';
import { byUuid, erpHolds, expectedAt, verifyErp } from '../subscriber/erp/erp-verify.ts';
import { ERP_TABLES } from '../subscriber/erp/erp-schema.ts';
import { ErpReferenceMissingError, ErpSink } from '../subscriber/erp/erp-sink.ts';
import { isRetryable } from '../subscriber/errors.ts';
import { toRowTree } from '../subscriber/row-tree.ts';
import type { RowNode } from '../subscriber/row-tree.ts';
import type { SinkEvent } from '../subscriber/sink.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { insertOrder, orderMeta, voidOrder } from './helpers/orders.ts';
import type { InsertedOrder, OrderMeta } from './helpers/orders.ts';
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
  const erpArgs = (categories = ['patient', 'encounter', 'obs', 'order', 'drug']) => [
    'erp', '--once', '--db', erp.url, '--node-id', 'erp', '--credentials', 'erp:erp-secret',
    ...[pubA, pubB].flatMap((p) => categories.flatMap((c) => ['--feed', feed(p, c)])),
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
    assertSame('drug and test lines', got.orderLines, [...ea.orderLines, ...eb.orderLines]);
    assert.ok(got.lines.length > 0, 'the clinics have coded obs, so the ERP has lines');
    assert.ok(got.orderLines.length > 0, 'the clinics have drug and test orders, so the ERP has their lines');
  }

  /** The ERP's line of an order, quantity as a number; undefined when it has none. */
  const lineOf = async (o: InsertedOrder) => {
    const [l] = await queryRows<Row>(erp.pool, 'SELECT order_number, quantity FROM erp_order_line WHERE order_uuid = ?', [o.uuid]);
    return l && { order_number: l.order_number, quantity: l.quantity == null ? null : Number(l.quantity) };
  };

  /** Orders written at the clinics before the first run, and changed in later tests. */
  let metaA: OrderMeta, metaB: OrderMeta;
  const at: Record<string, InsertedOrder> = {};
  const lastEncounter = async (pool: Pool) => Number((await one<{ id: number }>(pool, 'SELECT encounter_id AS id FROM encounter WHERE voided = 0 ORDER BY encounter_id DESC LIMIT 1')).id);

  /** At A: a drug order, a test, a plain order, a non-coded drug, a drug order already revised; at B: orders the updates test stops or voids. */
  async function writeOrders() {
    [metaA, metaB] = await Promise.all([orderMeta(a.pool), orderMeta(b.pool)]);
    const [encA, encB] = await Promise.all([lastEncounter(a.pool), lastEncounter(b.pool)]);
    const units = metaA.concepts[1];
    at.drugA = await insertOrder(a.pool, metaA, { encounterId: encA, kind: 'drug', quantity: 10, quantityUnits: units });
    at.testA = await insertOrder(a.pool, metaA, { encounterId: encA, kind: 'test', conceptId: metaA.concepts[2] });
    at.plainA = await insertOrder(a.pool, metaA, { encounterId: encA, kind: 'order', conceptId: metaA.concepts[3] });
    at.nonCodedA = await insertOrder(a.pool, metaA, { encounterId: encA, kind: 'drug', drug: null, conceptId: metaA.concepts[0], quantity: 1 });
    at.revisedA = await insertOrder(a.pool, metaA, { encounterId: encA, kind: 'drug', drug: metaA.drugs[1], quantity: 5, quantityUnits: units });
    at.revisionA = await insertOrder(a.pool, metaA, {
      encounterId: encA, kind: 'drug', drug: metaA.drugs[1], quantity: 20, quantityUnits: units, action: 'REVISE', previousId: at.revisedA.id,
    });
    at.toVoidB = await insertOrder(b.pool, metaB, { encounterId: encB, kind: 'drug', quantity: 7 });
    at.toStopB = await insertOrder(b.pool, metaB, { encounterId: encB, kind: 'test', conceptId: metaB.concepts[2] });
    at.revisedB = await insertOrder(b.pool, metaB, { encounterId: encB, kind: 'drug', drug: metaB.drugs[1], quantity: 3 });
    at.revisionB = await insertOrder(b.pool, metaB, { encounterId: encB, kind: 'drug', drug: metaB.drugs[1], quantity: 6, action: 'REVISE', previousId: at.revisedB.id });
  }

  const one = async <T extends Row>(pool: Pool, sql: string, p: unknown[] = []) => (await queryRows<T>(pool, sql, p))[0];

  before(async () => {
    [a, b, hq, erp] = await Promise.all([freshDatabase('erp_a'), freshDatabase('erp_b'), freshDatabase('erp_hq'), freshDatabase('erp_erp')]);
    await Promise.all([migrate(a.pool, 'field-a'), migrate(b.pool, 'field-b'), migrate(hq.pool, 'hq')]);
    await seedNode(a.pool, { patients: 6, seed: 'erp' });
    await seedNode(b.pool, { patients: 6, seed: 'erp' });
    ctxA = await openLiveContext(a.pool, { seed: 'erp', stream: `live-${Date.now()}` });
    ctxB = await openLiveContext(b.pool, { seed: 'erp', stream: `live-${Date.now()}` });
    await writeOrders();
    // The ERP may read its five resources and nothing else (it needs no more); HQ everything.
    const publisherOf = (url: string) =>
      startPublisher(url, { users: 'hq:hq-secret,erp:erp-secret', extra: ['--user-rights', 'erp=patient,encounter,obs,order,drug'] });
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
    // A revision replaces the line of the order it revises; a plain order is kept but makes no line.
    assert.equal(await lineOf(at.revisedA), undefined);
    assert.deepEqual(await lineOf(at.revisionA), { order_number: at.revisionA.orderNumber, quantity: 20 });
    assert.deepEqual(await lineOf(at.drugA), { order_number: at.drugA.orderNumber, quantity: 10 });
    assert.deepEqual(await lineOf(at.testA), { order_number: at.testA.orderNumber, quantity: 1 });
    assert.equal(await lineOf(at.plainA), undefined);
    assert.equal((await queryRows(erp.pool, 'SELECT 1 FROM erp_source_order WHERE order_uuid = ?', [at.plainA.uuid])).length, 1);
  });

  test('orders read before their encounter: the ERP fetches what they need first, and nothing is lost', async () => {
    // A new patient, visit and encounter at A, and orders on it; the ERP reads only the order feeds.
    const fresh = await createPatient(a.pool, ctxA);
    const { encounterId } = await createVisitWithEncounter(a.pool, ctxA, fresh.patientId);
    const drug = await insertOrder(a.pool, metaA, { encounterId, kind: 'drug', drug: metaA.drugs[2] ?? metaA.drugs[0], quantity: 12 });
    const test = await insertOrder(a.pool, metaA, { encounterId, kind: 'test', conceptId: metaA.concepts[2] });
    await new Promise((r) => setTimeout(r, 500)); // the publishers' relays move the outbox into the feeds
    const r = await run(erpArgs(['order']));
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /0 waiting for a retry, 0 dead letters/, r.out);
    const enc = await one<{ uuid: string }>(a.pool, 'SELECT uuid FROM encounter WHERE encounter_id = ?', [encounterId]);
    assert.equal((await queryRows(erp.pool, 'SELECT 1 FROM erp_order WHERE encounter_uuid = ?', [enc.uuid])).length, 1, 'its encounter came first');
    assert.deepEqual(await lineOf(drug), { order_number: drug.orderNumber, quantity: 12 });
    assert.deepEqual(await lineOf(test), { order_number: test.orderNumber, quantity: 1 });
    await runBoth();
    await assertErpMatches();
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
    // Orders: A's drug order revised, its test discontinued; at B a drug order voided, and a revision
    // voided (the order it revised is in force again).
    const [encA, encB] = await Promise.all([lastEncounter(a.pool), lastEncounter(b.pool)]);
    at.revisionA2 = await insertOrder(a.pool, metaA, { encounterId: encA, kind: 'drug', quantity: 15, quantityUnits: metaA.concepts[1], action: 'REVISE', previousId: at.drugA.id });
    at.stopA = await insertOrder(a.pool, metaA, { encounterId: encA, kind: 'test', conceptId: metaA.concepts[2], action: 'DISCONTINUE', previousId: at.testA.id });
    await voidOrder(b.pool, at.toVoidB.id);
    await voidOrder(b.pool, at.revisionB.id);
    at.stopB = await insertOrder(b.pool, metaB, { encounterId: encB, kind: 'test', conceptId: metaB.concepts[2], action: 'DISCONTINUE', previousId: at.toStopB.id });
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
    assert.equal(await lineOf(at.drugA), undefined, 'revised');
    assert.deepEqual(await lineOf(at.revisionA2), { order_number: at.revisionA2.orderNumber, quantity: 15 });
    for (const o of [at.testA, at.stopA, at.toVoidB, at.revisionB, at.toStopB, at.stopB]) assert.equal(await lineOf(o), undefined, o.orderNumber);
    assert.deepEqual(await lineOf(at.revisedB), { order_number: at.revisedB.orderNumber, quantity: 3 }, 'its revision was voided');
  });

  test('every feed read again from the start changes nothing in the ERP', async () => {
    const stamp = async () => one<{ c: string; o: string; l: string; s: string; d: string }>(
      erp.pool,
      `SELECT (SELECT MAX(updated_at) FROM erp_customer) AS c, (SELECT MAX(updated_at) FROM erp_order) AS o, (SELECT MAX(updated_at) FROM erp_order_line) AS l,
         (SELECT MAX(updated_at) FROM erp_source_order) AS s, (SELECT MAX(updated_at) FROM erp_drug) AS d`,
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

  test("the ERP's check passes, and finds a missing, a wrong and a stale drug or test line", async () => {
    const clinics = [{ pool: a.pool, nodeId: 'field-a' }, { pool: b.pool, nodeId: 'field-b' }];
    const lines = async () => (await verifyErp(clinics, erp.pool)).find((d) => d.kind === 'drug and test lines')!;
    const clean = await verifyErp(clinics, erp.pool);
    assert.deepEqual(clean.map((d) => d.missing.length + d.extra.length + d.wrong.length), [0, 0, 0, 0]);
    assert.ok((await lines()).total >= 6);
    // A line lost, a quantity changed, and a line kept for an order that was revised.
    await erp.pool.query('DELETE FROM erp_order_line WHERE order_uuid = ?', [at.revisedB.uuid]);
    await erp.pool.query('UPDATE erp_order_line SET quantity = 99 WHERE order_uuid = ?', [at.revisionA2.uuid]);
    const [{ id }] = await queryRows<{ id: number }>(erp.pool, 'SELECT order_id AS id FROM erp_source_order WHERE order_uuid = ?', [at.revisedA.uuid]);
    await erp.pool.query(
      `INSERT INTO erp_order_line (order_id, order_uuid, concept_uuid, order_number, quantity, updated_at) VALUES (?, ?, 'x', ?, 5, UTC_TIMESTAMP(3))`,
      [id, at.revisedA.uuid, at.revisedA.orderNumber],
    );
    const d = await lines();
    assert.deepEqual(
      { missing: d.missing, wrong: d.wrong, extra: d.extra },
      { missing: [at.revisedB.uuid], wrong: [at.revisionA2.uuid], extra: [at.revisedA.uuid] },
    );
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

  test('a drug order before its encounter or its drug waits (retryable, nothing written); then it is a line of the drug\'s concept', async () => {
    const meta = await orderMeta(a.pool);
    const encounters = await queryRows<{ id: number; enc: string; patient: string }>(
      a.pool,
      `SELECT e.encounter_id AS id, e.uuid AS enc, ps.uuid AS patient FROM encounter e JOIN person ps ON ps.person_id = e.patient_id
       WHERE e.voided = 0 ORDER BY e.encounter_id DESC`,
    );
    const held = await Promise.all(encounters.map((e) => sink.has({ resource: 'encounter', uuid: e.enc })));
    const { id: encId, enc, patient } = encounters.find((_, i) => !held[i])!;
    const units = meta.concepts[1];
    const drug = meta.drugs[1];
    const o = await insertOrder(a.pool, meta, { encounterId: Number(encId), kind: 'drug', drug, quantity: 30, quantityUnits: units });
    const s = await state('order', o.uuid);
    const isMissing = (resource: string) => (err: Error) => err instanceof ErpReferenceMissingError && err.resource === resource && isRetryable(err);
    await assert.rejects(apply('order', o.uuid, s), isMissing('encounter'));
    assert.equal(await sink.has({ resource: 'order', uuid: o.uuid }), false, 'nothing kept of an order that waits');
    await apply('patient', patient, await state('patient', patient));
    await apply('encounter', enc, await state('encounter', enc));
    const drugUuid = s.tree.parts.find((p) => p.prop === 'drugOrder')!.rows[0].refs.drug_inventory_id!.uuid;
    await assert.rejects(apply('order', o.uuid, s), isMissing('drug'));
    assert.equal(await apply('drug', drugUuid, await state('drug', drugUuid)), 'applied');
    assert.equal(await apply('order', o.uuid, s), 'applied');
    assert.equal(await apply('order', o.uuid, s), 'unchanged');
    const [line] = await queryRows<Row>(erp.pool, 'SELECT concept_uuid, product, value, order_number, quantity, quantity_units FROM erp_order_line WHERE order_uuid = ?', [o.uuid]);
    const name = async (id: number) => (await queryRows<{ n: string }>(a.pool, 'SELECT name AS n FROM concept_name WHERE concept_id = ? AND voided = 0 ORDER BY locale_preferred DESC, concept_name_id LIMIT 1', [id]))[0].n;
    const [d] = await queryRows<{ uuid: string; name: string }>(a.pool, 'SELECT c.uuid, d.name FROM drug d JOIN concept c ON c.concept_id = d.concept_id WHERE d.drug_id = ?', [drug.id]);
    assert.deepEqual(
      { ...line, quantity: Number(line.quantity) },
      { concept_uuid: d.uuid.toLowerCase(), product: await name(drug.conceptId), value: d.name, order_number: o.orderNumber, quantity: 30, quantity_units: await name(units) },
    );
  });

  test('a discontinuation before the order it stops: that order, arriving later, has no line; voided, the order is back', async () => {
    const meta = await orderMeta(a.pool);
    const [{ id: encId }] = await queryRows<{ id: number }>(a.pool, 'SELECT encounter_id AS id FROM encounter WHERE voided = 0 ORDER BY encounter_id DESC LIMIT 1');
    const test = await insertOrder(a.pool, meta, { encounterId: Number(encId), kind: 'test', conceptId: meta.concepts[2] });
    const dc = await insertOrder(a.pool, meta, { encounterId: Number(encId), kind: 'test', conceptId: meta.concepts[2], action: 'DISCONTINUE', previousId: test.id });
    const plain = await insertOrder(a.pool, meta, { encounterId: Number(encId), kind: 'order', conceptId: meta.concepts[3] });
    const lineOf = async (uuid: string) => (await queryRows<Row>(erp.pool, 'SELECT concept_uuid, quantity FROM erp_order_line WHERE order_uuid = ?', [uuid]))[0];
    assert.equal(await apply('order', dc.uuid, await state('order', dc.uuid)), 'applied');
    assert.equal(await apply('order', test.uuid, await state('order', test.uuid)), 'applied');
    assert.equal(await lineOf(test.uuid), undefined, 'discontinued');
    assert.equal(await lineOf(dc.uuid), undefined, 'a discontinuation orders nothing');
    // A plain order is kept (orders may point at it) but not billed.
    assert.equal(await apply('order', plain.uuid, await state('order', plain.uuid)), 'applied');
    assert.equal(await sink.has({ resource: 'order', uuid: plain.uuid }), true);
    assert.equal(await lineOf(plain.uuid), undefined);
    // The discontinuation voided: the test is in force again, a line of one of the test's concept.
    const old = await state('order', dc.uuid);
    await new Promise((r) => setTimeout(r, 1100)); // OpenMRS dates are to the second: the void is a later version
    await voidOrder(a.pool, dc.id);
    const now = await state('order', dc.uuid);
    assert.equal(await apply('order', dc.uuid, now), 'applied');
    const [c] = await queryRows<{ uuid: string }>(a.pool, 'SELECT uuid FROM concept WHERE concept_id = ?', [meta.concepts[2]]);
    assert.deepEqual({ ...(await lineOf(test.uuid)), quantity: Number((await lineOf(test.uuid))?.quantity) }, { concept_uuid: c.uuid.toLowerCase(), quantity: 1 });
    // The discontinuation's old state arriving late changes nothing; deleted at its origin, it stays voided.
    assert.notEqual(await apply('order', dc.uuid, old), 'applied');
    assert.ok(await lineOf(test.uuid));
    assert.equal(await sink.remove(ev('order', dc.uuid, 'DELETED')), 'absent', 'voided already');
    assert.equal(await sink.remove(ev('order', test.uuid, 'DELETED')), 'deleted');
    assert.equal(await lineOf(test.uuid), undefined);
  });

  test('an ERP database from before orders were lines keeps its obs lines and gains the order columns', async () => {
    const old = await freshDatabase('erpsink_old');
    try {
      for (const t of ERP_TABLES.filter((x) => x.table === 'erp_customer' || x.table === 'erp_order')) await old.pool.query(t.ddl);
      await old.pool.query(`CREATE TABLE erp_order_line (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, order_id BIGINT NOT NULL, obs_uuid CHAR(38) NOT NULL, concept_uuid CHAR(38) NOT NULL,
        product VARCHAR(255) NULL, value VARCHAR(255) NULL, updated_at DATETIME(3) NOT NULL,
        UNIQUE KEY erp_order_line_obs (obs_uuid), CONSTRAINT erp_order_line_order FOREIGN KEY (order_id) REFERENCES erp_order (id)) ENGINE=InnoDB`);
      await old.pool.query("INSERT INTO erp_customer (id, patient_uuid, updated_at) VALUES (1, 'p', UTC_TIMESTAMP(3))");
      await old.pool.query("INSERT INTO erp_order (id, encounter_uuid, customer_id, order_date, updated_at) VALUES (1, 'e', 1, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))");
      await old.pool.query("INSERT INTO erp_order_line (order_id, obs_uuid, concept_uuid, updated_at) VALUES (1, 'o', 'c', UTC_TIMESTAMP(3))");
      await ErpSink.create(old.pool, silentLogger);
      await ErpSink.create(old.pool, silentLogger); // and again: nothing left to do
      assert.deepEqual(await queryRows(old.pool, 'SELECT obs_uuid, order_uuid FROM erp_order_line'), [{ obs_uuid: 'o', order_uuid: null }]);
      const cols = await queryRows<{ c: string; n: string }>(
        old.pool,
        "SELECT COLUMN_NAME AS c, IS_NULLABLE AS n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'erp_order_line'",
      );
      const has = Object.fromEntries(cols.map((r) => [r.c, r.n]));
      assert.deepEqual([has.obs_uuid, has.order_uuid, has.quantity, has.quantity_units, has.order_number], ['YES', 'YES', 'YES', 'YES', 'YES']);
      await assert.rejects(old.pool.query("INSERT INTO erp_order_line (order_id, concept_uuid, updated_at) VALUES (1, 'c', UTC_TIMESTAMP(3))"), 'a line needs an obs or an order');
    } finally {
      await old.drop();
    }
  });
});
