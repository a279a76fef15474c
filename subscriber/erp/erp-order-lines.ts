// The lines of drug and test orders, worked out again from what the ERP holds
// whenever an order or a drug changes. An order's line depends on the order, its
// drug, and the orders that revise or discontinue it, and these arrive in any
// order (a revision before the order it revises, a void after both), so a line is
// never patched by an event: it is recomputed from the stored orders, which makes
// every apply idempotent and independent of arrival order.
import { queryRows } from '../../shared/db.ts';
import type { PoolConnection } from '../../shared/db.ts';
import { STOPPING_ACTIONS, orderLineOf } from './erp-records.ts';
import type { StoredOrder } from './erp-records.ts';
import { deleteRows, upsertRows } from './erp-store.ts';

export type LineChange = 'applied' | 'unchanged' | 'removed' | 'none';

/**
 * Makes the line of each order match what erp_source_order and erp_drug hold now, for many
 * orders at once (keyed by lower-case uuid). Reads lock (FOR UPDATE), so an order and its
 * revision applied at the same moment cannot both decide on a state the other is changing: one
 * waits for the other, or deadlocks and is retried (erpTransaction), and the later one sees both.
 */
export async function refreshOrderLines(conn: PoolConnection, orderUuids: Iterable<string | null>): Promise<Map<string, LineChange>> {
  const out = new Map<string, LineChange>();
  const uuids = [...new Set([...orderUuids].filter((u): u is string => u !== null).map((u) => u.toLowerCase()))];
  if (uuids.length === 0) return out;
  const orders = await queryRows<StoredOrder & { u: string }>(
    conn,
    `SELECT s.order_uuid AS u, s.order_id, s.kind, s.action, s.voided, s.order_number, s.concept_uuid, s.concept_name, s.drug_non_coded,
       s.quantity, s.quantity_units, d.concept_uuid AS drug_concept_uuid, d.product AS drug_product, d.name AS drug_name
     FROM erp_source_order s LEFT JOIN erp_drug d ON d.drug_uuid = s.drug_uuid WHERE s.order_uuid IN (?) FOR UPDATE`,
    [uuids],
  );
  // Locks every order pointing at these (those that stop them).
  const stoppers = await queryRows<{ u: string }>(
    conn,
    `SELECT previous_order_uuid AS u FROM erp_source_order
     WHERE previous_order_uuid IN (?) AND voided = 0 AND action IN (${STOPPING_ACTIONS.map(() => '?').join(', ')}) FOR UPDATE`,
    [uuids, ...STOPPING_ACTIONS],
  );
  const stopped = new Set(stoppers.map((s) => s.u.toLowerCase()));
  const byUuid = new Map(orders.map((o) => [o.u.toLowerCase(), o]));
  const lines = uuids.map((u) => {
    const o = byUuid.get(u);
    return { u, line: o ? orderLineOf({ ...o, voided: Number(o.voided), order_id: Number(o.order_id) }, stopped.has(u)) : null };
  });
  const gone = lines.filter((l) => !l.line).map((l) => l.u);
  const removed = await deleteRows(conn, 'erp_order_line', 'order_uuid', gone);
  for (const u of gone) out.set(u, removed.has(u) ? 'removed' : 'none');
  const kept = lines.filter((l) => l.line);
  const written = await upsertRows(conn, 'erp_order_line', 'order_uuid', kept.map((l) => ({ key: l.u, rec: { ...l.line! } })), false);
  kept.forEach((l, i) => out.set(l.u, written[i] === 'unchanged' ? 'unchanged' : 'applied'));
  return out;
}

/** The orders of these drugs, whose lines name the drugs' concepts. */
export async function ordersOfDrugs(conn: PoolConnection, drugUuids: string[]): Promise<string[]> {
  if (drugUuids.length === 0) return [];
  const rows = await queryRows<{ u: string }>(conn, 'SELECT order_uuid AS u FROM erp_source_order WHERE drug_uuid IN (?) FOR UPDATE', [drugUuids]);
  return rows.map((r) => r.u);
}
