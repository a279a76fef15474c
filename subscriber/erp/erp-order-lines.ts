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
import { upsertRow } from './erp-store.ts';

export type LineChange = 'applied' | 'unchanged' | 'removed' | 'none';

/**
 * Makes the line of each order match what erp_source_order and erp_drug hold now. Reads lock
 * (FOR UPDATE), so an order and its revision applied at the same moment cannot both decide on
 * a state the other is changing: one waits for the other, or deadlocks and is retried
 * (erpTransaction), and the later one sees both.
 */
export async function refreshOrderLines(conn: PoolConnection, orderUuids: Iterable<string | null>): Promise<Map<string, LineChange>> {
  const out = new Map<string, LineChange>();
  for (const uuid of new Set([...orderUuids].filter((u): u is string => u !== null))) {
    out.set(uuid, await refreshOne(conn, uuid));
  }
  return out;
}

async function refreshOne(conn: PoolConnection, orderUuid: string): Promise<LineChange> {
  const [order] = await queryRows<StoredOrder>(
    conn,
    `SELECT s.order_id, s.kind, s.action, s.voided, s.order_number, s.concept_uuid, s.concept_name, s.drug_non_coded,
       s.quantity, s.quantity_units, d.concept_uuid AS drug_concept_uuid, d.product AS drug_product, d.name AS drug_name
     FROM erp_source_order s LEFT JOIN erp_drug d ON d.drug_uuid = s.drug_uuid WHERE s.order_uuid = ? FOR UPDATE`,
    [orderUuid],
  );
  // Locks every order pointing at this one (and the gap where a new one would go).
  const stoppers = await queryRows<{ n: number }>(
    conn,
    `SELECT 1 AS n FROM erp_source_order WHERE previous_order_uuid = ? AND voided = 0 AND action IN (${STOPPING_ACTIONS.map(() => '?').join(', ')}) FOR UPDATE`,
    [orderUuid, ...STOPPING_ACTIONS],
  );
  const line = order ? orderLineOf({ ...order, voided: Number(order.voided), order_id: Number(order.order_id) }, stoppers.length > 0) : null;
  if (!line) {
    const [res] = await conn.query('DELETE FROM erp_order_line WHERE order_uuid = ?', [orderUuid]);
    return (res as { affectedRows: number }).affectedRows > 0 ? 'removed' : 'none';
  }
  return (await upsertRow(conn, 'erp_order_line', 'order_uuid', orderUuid, { ...line })).outcome === 'unchanged' ? 'unchanged' : 'applied';
}

/** The orders of a drug, whose lines name its concept. */
export async function ordersOfDrug(conn: PoolConnection, drugUuid: string): Promise<string[]> {
  const rows = await queryRows<{ u: string }>(conn, 'SELECT order_uuid AS u FROM erp_source_order WHERE drug_uuid = ? FOR UPDATE', [drugUuid]);
  return rows.map((r) => r.u);
}
