// How the ERP stores resources, many at once: one read and one or two writes per
// table for the whole batch, in a transaction the caller gives. A single event is
// a batch of one (ErpSink.apply), so both paths write the same rows. The tables
// are written in the order they refer to each other (customers, drugs, orders,
// OpenMRS orders, obs lines), whatever the order of the items; the lines of drug
// and test orders are worked out last, from what is stored by then, so the result
// is that of applying the items one after another.
import type { PoolConnection } from '../../shared/db.ts';
import type { ResourceName } from '../../shared/resources.ts';
import { versionOf } from '../content-hash.ts';
import type { ApplyOutcome, SinkItem } from '../sink.ts';
import { customerRecord, drugRecord, lineRecord, orderRecord, sourceOrderRecord } from './erp-records.ts';
import { ordersOfDrugs, refreshOrderLines } from './erp-order-lines.ts';
import { ErpReferenceMissingError, heldIds } from './erp-held.ts';
import { deleteRows, upsertRows } from './erp-store.ts';
import type { UpsertInput } from './erp-store.ts';

/**
 * Stores `items` on `conn`, inside the caller's transaction, and answers one outcome per item,
 * as ErpSink.apply would for each. Every write is an upsert by uuid (or a delete of what should
 * not be there), so a replay changes nothing. Throws (ErpReferenceMissingError, a database
 * error) with part of the batch written: the caller rolls the transaction back.
 */
export async function applyBatchIn(conn: PoolConnection, items: SinkItem[]): Promise<ApplyOutcome[]> {
  const outcomes: ApplyOutcome[] = new Array(items.length).fill('skipped');
  for (const round of rounds(items)) await applyRound(conn, round.map((i) => ({ i, it: items[i], uuid: items[i].ev.uuid.toLowerCase() })), outcomes);
  return outcomes;
}

/** The items as rounds in which no resource comes twice (a batch has it once; a second state is applied after the first). */
function rounds(items: SinkItem[]): number[][] {
  const out: number[][] = [];
  const seen = new Map<string, number>();
  items.forEach((it, i) => {
    const key = `${it.ev.resource}/${it.ev.uuid.toLowerCase()}`;
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    (out[n] ??= []).push(i);
  });
  return out;
}

interface Entry {
  i: number;
  it: SinkItem;
  uuid: string;
}

async function applyRound(conn: PoolConnection, round: Entry[], outcomes: ApplyOutcome[]): Promise<void> {
  const of = (r: ResourceName) => round.filter((e) => e.it.ev.resource === r);
  const set = (entries: Entry[], got: ApplyOutcome[]) => entries.forEach((e, k) => (outcomes[e.i] = got[k]));
  const patients = of('patient');
  set(patients, await upsertRows(conn, 'erp_customer', 'patient_uuid', patients.map((e) => versioned(e, { ...customerRecord(e.it.tree, e.it.rep, e.it.ev.origin) })), true));
  const drugs = of('drug');
  const drugOutcomes = await upsertRows(conn, 'erp_drug', 'drug_uuid', drugs.map((e) => versioned(e, { ...drugRecord(e.it.tree, e.it.rep) })), true);
  set(drugs, drugOutcomes);
  await applyEncounters(conn, of('encounter'), outcomes);
  const touched = await applyOrders(conn, of('order'), outcomes);
  await applyObs(conn, of('obs'), outcomes);
  // A drug's concept is its orders' product: their lines follow a change of it.
  touched.push(...(await ordersOfDrugs(conn, drugs.filter((_, k) => drugOutcomes[k] === 'applied').map((e) => e.uuid))));
  const lines = await refreshOrderLines(conn, touched);
  // 'voided' when a voided order's line went, so the log tells a void from an update, as it does for obs.
  for (const e of of('order')) {
    if (outcomes[e.i] === 'applied' && e.it.tree.values.voided === 1 && lines.get(e.uuid) === 'removed') outcomes[e.i] = 'voided';
  }
}

const versioned = (e: Entry, rec: Record<string, unknown>): UpsertInput => ({ key: e.uuid, rec, version: versionOf(e.it.tree) });

/** Encounters as orders of their patients' customers, which must be in the ERP already. */
async function applyEncounters(conn: PoolConnection, entries: Entry[], outcomes: ApplyOutcome[]): Promise<void> {
  const recs = entries.map((e) => orderRecord(e.it.tree, e.it.rep));
  const customers = await idsOf(conn, 'patient', entries.map((e, k) => ({ uuid: recs[k].customerUuid, neededBy: `encounter ${e.uuid}` })));
  const rows = entries.map((e, k) => {
    const { customerUuid, orderDate, location, encounterType, active } = recs[k];
    return versioned(e, { customer_id: customers.get(customerUuid.toLowerCase()), order_date: orderDate, location, encounter_type: encounterType, active });
  });
  const got = await upsertRows(conn, 'erp_order', 'encounter_uuid', rows, true);
  entries.forEach((e, k) => (outcomes[e.i] = got[k]));
}

/**
 * Any OpenMRS order is kept (a plain order too, so the orders pointing at it find it); its
 * encounter's order and its drug must be in the ERP first. Answers the orders whose lines must
 * be worked out again: those written, and the orders they revise or discontinue.
 */
async function applyOrders(conn: PoolConnection, entries: Entry[], outcomes: ApplyOutcome[]): Promise<string[]> {
  const recs = entries.map((e) => sourceOrderRecord(e.it.tree, e.it.rep));
  const orders = await idsOf(conn, 'encounter', entries.map((e, k) => ({ uuid: recs[k].encounterUuid, neededBy: `order ${e.uuid}` })));
  await idsOf(conn, 'drug', entries.flatMap((e, k) => (recs[k].drug_uuid ? [{ uuid: recs[k].drug_uuid!, neededBy: `order ${e.uuid}` }] : [])));
  const rows = entries.map((e, k) => {
    const { encounterUuid, ...rec } = recs[k];
    return versioned(e, { order_id: orders.get(encounterUuid.toLowerCase()), ...rec });
  });
  const got = await upsertRows(conn, 'erp_source_order', 'order_uuid', rows, true);
  entries.forEach((e, k) => (outcomes[e.i] = got[k]));
  // Unchanged or superseded: nothing the lines depend on has changed.
  return entries.flatMap((e, k) => (got[k] === 'applied' ? [e.uuid, recs[k].previous_order_uuid] : [])).filter((u): u is string => u !== null);
}

/** A coded obs of an encounter is a line of that encounter's order; one that is voided, not coded or outside an encounter has none (any line it had goes). */
async function applyObs(conn: PoolConnection, entries: Entry[], outcomes: ApplyOutcome[]): Promise<void> {
  const recs = entries.map((e) => lineRecord(e.it.tree, e.it.rep));
  const without = entries.filter((_, k) => !recs[k]);
  const removed = await deleteRows(conn, 'erp_order_line', 'obs_uuid', without.map((e) => e.uuid));
  for (const e of without) outcomes[e.i] = removed.has(e.uuid) ? 'voided' : 'skipped';
  const lines = entries.flatMap((e, k) => (recs[k] ? [{ e, line: recs[k]! }] : []));
  const orders = await idsOf(conn, 'encounter', lines.map(({ e, line }) => ({ uuid: line.encounterUuid, neededBy: `obs ${e.uuid}` })));
  const rows = lines.map(({ e, line }) => ({
    key: e.uuid,
    rec: { order_id: orders.get(line.encounterUuid.toLowerCase()), concept_uuid: line.conceptUuid, product: line.product, value: line.value },
  }));
  const got = await upsertRows(conn, 'erp_order_line', 'obs_uuid', rows, false);
  lines.forEach(({ e }, k) => (outcomes[e.i] = got[k]));
}

/** The ERP ids of customers (by patient uuid), orders (by encounter uuid) or drugs, keyed by lower-case uuid; the first one missing throws. */
async function idsOf(conn: PoolConnection, resource: 'patient' | 'encounter' | 'drug', wants: Array<{ uuid: string; neededBy: string }>): Promise<Map<string, number>> {
  const ids = await heldIds(conn, resource, wants.map((w) => w.uuid));
  const missing = wants.find((w) => !ids.has(w.uuid.toLowerCase()));
  if (missing) throw new ErpReferenceMissingError(resource, missing.uuid, missing.neededBy);
  return ids;
}
