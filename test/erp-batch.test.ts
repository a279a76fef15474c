// The ERP sink's batch path (ErpSink.applyBatch, erp-batch.ts) against its one-by-one
// path, on the real MariaDB: the same resources give the same ERP rows and outcomes,
// a replay changes nothing, the subscriber's `alongside` work commits with the batch,
// and one item that cannot be applied rolls the whole batch back.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { queryRows } from '../shared/db.ts';
import type { Pool, PoolConnection } from '../shared/db.ts';
import { silentLogger } from '../shared/logger.ts';
import { loadRepresentation } from '../shared/representation.ts';
import { RESOURCES } from '../shared/resources.ts';
import type { ResourceName } from '../shared/resources.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { editPatientName, openLiveContext, seedNode } from '../tools/seed/index.ts';
import { erpHolds, expectedAt } from '../subscriber/erp/erp-verify.ts';
import { ErpReferenceMissingError, ErpSink } from '../subscriber/erp/erp-sink.ts';
import { toRowTree } from '../subscriber/row-tree.ts';
import type { SinkItem } from '../subscriber/sink.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { insertOrder, orderMeta, voidOrder } from './helpers/orders.ts';

/** Every ERP table as content (no ids, no times), sorted, so two ERP databases can be compared. */
async function contents(pool: Pool) {
  const held = await erpHolds(pool);
  const sorted = (rows: Record<string, unknown>[]) => rows.map((r) => JSON.stringify(r)).sort();
  const plain = async (sql: string) => sorted(await queryRows(pool, sql));
  return {
    customers: sorted(held.customers),
    orders: sorted(held.orders),
    lines: sorted(held.lines),
    orderLines: sorted(held.orderLines),
    sourceOrders: await plain(`SELECT s.order_uuid, o.encounter_uuid, s.kind, s.action, s.previous_order_uuid, s.order_number, s.concept_uuid,
      s.concept_name, s.drug_uuid, s.drug_non_coded, s.quantity, s.quantity_units, s.voided, s.source_version FROM erp_source_order s JOIN erp_order o ON o.id = s.order_id`),
    drugs: await plain('SELECT drug_uuid, name, concept_uuid, product, active, source_version FROM erp_drug'),
  };
}

const stamp = async (pool: Pool) =>
  (await queryRows(pool, `SELECT (SELECT MAX(updated_at) FROM erp_customer) AS c, (SELECT MAX(updated_at) FROM erp_order) AS o,
    (SELECT MAX(updated_at) FROM erp_order_line) AS l, (SELECT MAX(updated_at) FROM erp_source_order) AS s, (SELECT MAX(updated_at) FROM erp_drug) AS d`))[0];

/** A batch in a transaction of its own, then the subscriber's bookkeeping in it, as the commit stage writes one. */
async function batchOf(sink: ErpSink, items: SinkItem[], then?: (conn: PoolConnection) => Promise<void>) {
  return sink.transaction(async (conn) => {
    const outcomes = await sink.applyBatch(conn, items);
    await then?.(conn);
    return outcomes;
  });
}

describe('ERP sink, batch path: the same rows as one by one, all or nothing', { timeout: 180_000 }, () => {
  let a: TestDb, single: TestDb, batch: TestDb, failing: TestDb;
  let items: SinkItem[];

  /** A resource of clinic A as an item, in its current state. */
  const item = async (resource: ResourceName, uuid: string): Promise<SinkItem> => {
    const rep = (await loadRepresentation(a.pool, RESOURCES[resource], uuid, 'http://a'))!;
    const ev = { resource, uuid, action: 'UPDATED' as const, origin: 'field-a', feedUrl: 'http://a/feed', entryId: `tag:test:${resource}:${uuid}` };
    return { ev, tree: toRowTree(RESOURCES[resource], rep, uuid), rep };
  };
  const uuids = async (sql: string) => (await queryRows<{ uuid: string }>(a.pool, sql)).map((r) => r.uuid);

  before(async () => {
    [a, single, batch, failing] = await Promise.all(['erpb_a', 'erpb_one', 'erpb_batch', 'erpb_fail'].map((p) => freshDatabase(p)));
    await migrate(a.pool, 'field-a');
    await seedNode(a.pool, { patients: 5, seed: 'erp-batch' });
    // Drug and test orders, one revised, one discontinued, one voided, a plain one: every kind of line and of no line.
    const meta = await orderMeta(a.pool);
    const encs = (await queryRows<{ id: number }>(a.pool, 'SELECT encounter_id AS id FROM encounter WHERE voided = 0 ORDER BY encounter_id LIMIT 3')).map((r) => Number(r.id));
    const drug = await insertOrder(a.pool, meta, { encounterId: encs[0], kind: 'drug', drug: meta.drugs[0], quantity: 10, quantityUnits: meta.concepts[1] });
    await insertOrder(a.pool, meta, { encounterId: encs[1], kind: 'drug', drug: meta.drugs[0], quantity: 20, action: 'REVISE', previousId: drug.id });
    const lab = await insertOrder(a.pool, meta, { encounterId: encs[1], kind: 'test', conceptId: meta.concepts[2] });
    await insertOrder(a.pool, meta, { encounterId: encs[2], kind: 'test', conceptId: meta.concepts[2], action: 'DISCONTINUE', previousId: lab.id });
    await voidOrder(a.pool, (await insertOrder(a.pool, meta, { encounterId: encs[2], kind: 'drug', drug: meta.drugs[1], quantity: 3 })).id);
    await insertOrder(a.pool, meta, { encounterId: encs[2], kind: 'order', conceptId: meta.concepts[3] });
    await insertOrder(a.pool, meta, { encounterId: encs[0], kind: 'drug', drug: null, conceptId: meta.concepts[0], quantity: 1 });
    // References first, as the subscriber orders a batch.
    const all: Array<[ResourceName, string[]]> = [
      ['patient', await uuids('SELECT ps.uuid FROM patient p JOIN person ps ON ps.person_id = p.patient_id ORDER BY p.patient_id')],
      ['drug', await uuids('SELECT d.uuid FROM drug d WHERE d.drug_id IN (SELECT drug_inventory_id FROM drug_order) ORDER BY d.drug_id')],
      ['encounter', await uuids('SELECT uuid FROM encounter ORDER BY encounter_id')],
      ['order', await uuids('SELECT uuid FROM orders ORDER BY order_id')],
      ['obs', await uuids('SELECT uuid FROM obs ORDER BY obs_id')],
    ];
    items = [];
    for (const [resource, list] of all) for (const u of list) items.push(await item(resource, u));
  });
  after(async () => Promise.all([a, single, batch, failing].map((d) => d?.drop())));

  test('a batch of patients, drugs, encounters, orders and obs gives the rows and outcomes of one by one; a replay changes nothing', async () => {
    const one = await ErpSink.create(single.pool, silentLogger);
    const many = await ErpSink.create(batch.pool, silentLogger);
    const outcomesOne = [];
    for (const it of items) outcomesOne.push(await one.apply(it.ev, it.tree, it.rep));
    await batch.pool.query('CREATE TABLE alongside (n INT)');
    const outcomesBatch = await batchOf(many, items, async (conn) => void (await conn.query('INSERT INTO alongside VALUES (1)')));
    assert.deepEqual(outcomesBatch, outcomesOne);
    const [got, want] = await Promise.all([contents(batch.pool), contents(single.pool)]);
    assert.deepEqual(got, want);
    // And both are what the clinic holds.
    const expected = await expectedAt(a.pool, 'field-a');
    const sorted = (rows: Record<string, unknown>[]) => rows.map((r) => JSON.stringify(r)).sort();
    for (const kind of ['customers', 'orders', 'lines', 'orderLines'] as const) assert.deepEqual(got[kind], sorted(expected[kind]), kind);
    assert.ok(got.lines.length > 0 && got.orderLines.length >= 3 && got.sourceOrders.length >= 7, JSON.stringify({ lines: got.lines.length, orderLines: got.orderLines.length }));
    assert.equal((await queryRows(batch.pool, 'SELECT n FROM alongside')).length, 1, "the subscriber's work committed with the batch");
    // Applied again, as a batch and one by one: nothing is rewritten.
    const before = await stamp(batch.pool);
    const again = await batchOf(many, items);
    assert.ok(again.every((o) => o === 'unchanged' || o === 'skipped'), again.join(' '));
    for (const it of items.slice(0, 40)) assert.ok(['unchanged', 'skipped'].includes(await many.apply(it.ev, it.tree, it.rep)));
    assert.deepEqual(await stamp(batch.pool), before, 'no row was rewritten');
    assert.deepEqual(await contents(batch.pool), want);
    // hasMany: one answer for many references, as has() answers for each.
    const refs = items.slice(0, 30).map((it) => ({ resource: it.ev.resource, uuid: it.ev.uuid }));
    const missing = { resource: 'encounter' as const, uuid: '00000000-0000-0000-0000-000000000000' };
    const present = await many.hasMany([...refs, missing, { resource: 'concept', uuid: missing.uuid }]);
    assert.deepEqual([...present].sort(), [...refs.map((r) => `${r.resource}/${r.uuid}`), `concept/${missing.uuid}`].sort());
  });

  test('two states of one patient in a batch: the newer wins, in either order', async () => {
    const ctx = await openLiveContext(a.pool, { seed: 'erp-batch', stream: `live-${Date.now()}` });
    const [{ id, uuid }] = await queryRows<{ id: number; uuid: string }>(a.pool, 'SELECT p.patient_id AS id, ps.uuid FROM patient p JOIN person ps ON ps.person_id = p.patient_id ORDER BY p.patient_id DESC LIMIT 1');
    const old = await item('patient', uuid);
    await new Promise((r) => setTimeout(r, 1100)); // OpenMRS dates are to the second: the edit is a later version
    assert.equal(await editPatientName(a.pool, ctx, Number(id)), true);
    const now = await item('patient', uuid);
    const many = await ErpSink.create(failing.pool, silentLogger);
    assert.deepEqual(await batchOf(many, [now, old]), ['applied', 'superseded']);
    const nameIn = async () => (await queryRows<{ name: string }>(failing.pool, 'SELECT name FROM erp_customer WHERE patient_uuid = ?', [uuid]))[0].name;
    const newest = await nameIn();
    await failing.pool.query('DELETE FROM erp_customer');
    assert.deepEqual(await batchOf(many, [old, now]), ['applied', 'applied']);
    assert.equal(await nameIn(), newest);
    await failing.pool.query('DELETE FROM erp_customer');
  });

  test('an item whose reference the ERP lacks fails the whole batch: nothing is written, the subscriber\'s work neither', async () => {
    const many = await ErpSink.create(failing.pool, silentLogger);
    await failing.pool.query('CREATE TABLE IF NOT EXISTS alongside (n INT)');
    const patients = items.filter((it) => it.ev.resource === 'patient');
    const encounter = items.find((it) => it.ev.resource === 'encounter')!;
    // A coded obs of another encounter, which is not in the batch nor in the ERP.
    const orphan = items.find((it) => it.ev.resource === 'obs' && it.tree.refs.value_coded && it.tree.refs.encounter_id && it.tree.refs.encounter_id.uuid !== encounter.ev.uuid && it.tree.values.voided !== 1)!;
    let ran = 0;
    await assert.rejects(
      batchOf(many, [...patients, encounter, orphan], async (conn) => {
        ran++;
        await conn.query('INSERT INTO alongside VALUES (1)');
      }),
      (err: Error) => err instanceof ErpReferenceMissingError && err.resource === 'encounter' && err.neededBy === `obs ${orphan.ev.uuid}`,
    );
    assert.equal(ran, 0, 'the bookkeeping waits for the writes');
    const count = async (t: string) => Number((await queryRows<{ n: number }>(failing.pool, `SELECT COUNT(*) AS n FROM ${t}`))[0].n);
    assert.deepEqual([await count('erp_customer'), await count('erp_order'), await count('erp_order_line'), await count('alongside')], [0, 0, 0, 0]);
    // The same batch without the orphan goes through whole.
    assert.ok((await batchOf(many, [...patients, encounter])).every((o) => o === 'applied'));
    assert.equal(await count('erp_customer'), patients.length);
  });
});
