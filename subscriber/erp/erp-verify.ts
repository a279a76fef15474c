// Checks an ERP database against the clinics it reads: every patient a customer (name,
// identifier, clinic, active), every encounter an order (customer, date, location, type,
// active), every non-voided coded obs a line, and every drug or test order that is in
// force a line (product, quantity, units, order number), while voided, discontinued and
// revised ones have none. Used by the ERP test and by the demo.
import { queryRows } from '../../shared/db.ts';
import type { Pool } from '../../shared/db.ts';

type Row = Record<string, unknown>;

const conceptName = (idExpr: string) => `(SELECT cn.name FROM concept_name cn WHERE cn.concept_id = ${idExpr} AND cn.voided = 0
  ORDER BY cn.locale_preferred DESC, cn.concept_name_id LIMIT 1)`;

/** What the ERP should hold for one clinic, straight from its OpenMRS tables. */
export async function expectedAt(pool: Pool, nodeId: string) {
  const customers = await queryRows<Row>(
    pool,
    `SELECT ps.uuid AS patient_uuid,
       NULLIF((SELECT CONCAT_WS(' ', NULLIF(pn.given_name, ''), NULLIF(pn.middle_name, ''), NULLIF(pn.family_name, '')) FROM person_name pn
         WHERE pn.person_id = pt.patient_id AND pn.voided = 0 ORDER BY pn.preferred DESC, pn.person_name_id LIMIT 1), '') AS name,
       (SELECT pi.identifier FROM patient_identifier pi WHERE pi.patient_id = pt.patient_id AND pi.voided = 0
         ORDER BY pi.preferred DESC, pi.patient_identifier_id LIMIT 1) AS identifier,
       COALESCE((SELECT l.name FROM patient_identifier pi JOIN location l ON l.location_id = pi.location_id
         WHERE pi.patient_id = pt.patient_id AND pi.voided = 0 ORDER BY pi.preferred DESC, pi.patient_identifier_id LIMIT 1), ?) AS clinic,
       IF(pt.voided OR ps.voided, 0, 1) AS active
     FROM patient pt JOIN person ps ON ps.person_id = pt.patient_id`,
    [nodeId],
  );
  const orders = await queryRows<Row>(
    pool,
    `SELECT e.uuid AS encounter_uuid, ps.uuid AS patient_uuid, DATE_FORMAT(e.encounter_datetime, '%Y-%m-%d %H:%i:%s') AS order_date,
       l.name AS location, et.name AS encounter_type, IF(e.voided, 0, 1) AS active
     FROM encounter e JOIN person ps ON ps.person_id = e.patient_id JOIN encounter_type et ON et.encounter_type_id = e.encounter_type
       LEFT JOIN location l ON l.location_id = e.location_id`,
  );
  const lines = await queryRows<Row>(
    pool,
    `SELECT o.uuid AS obs_uuid, e.uuid AS encounter_uuid, c.uuid AS concept_uuid, ${conceptName('o.value_coded')} AS product,
       ${conceptName('o.concept_id')} AS value
     FROM obs o JOIN encounter e ON e.encounter_id = o.encounter_id JOIN concept c ON c.concept_id = o.value_coded
     WHERE o.voided = 0`,
  );
  return { customers, orders, lines, orderLines: await expectedOrderLines(pool) };
}

/**
 * The drug and test orders that should be lines, as erp-records.ts orderLineOf decides: not
 * voided, not a DISCONTINUE, and no live REVISE or DISCONTINUE pointing at them. The product
 * is the drug's concept for a drug order with a drug, else the order's; a test is one unit.
 */
async function expectedOrderLines(pool: Pool): Promise<Row[]> {
  return queryRows<Row>(
    pool,
    `SELECT o.uuid AS order_uuid, e.uuid AS encounter_uuid, COALESCE(dc.uuid, c.uuid) AS concept_uuid,
       ${conceptName('COALESCE(d.concept_id, o.concept_id)')} AS product,
       IF(dor.order_id IS NULL, NULL, IF(d.drug_id IS NULL, dor.drug_non_coded, d.name)) AS value, o.order_number,
       IF(dor.order_id IS NULL, 1, dor.quantity) AS quantity, IF(dor.order_id IS NULL, NULL, ${conceptName('dor.quantity_units')}) AS quantity_units
     FROM orders o JOIN encounter e ON e.encounter_id = o.encounter_id JOIN concept c ON c.concept_id = o.concept_id
       LEFT JOIN drug_order dor ON dor.order_id = o.order_id LEFT JOIN drug d ON d.drug_id = dor.drug_inventory_id
       LEFT JOIN concept dc ON dc.concept_id = d.concept_id LEFT JOIN test_order tor ON tor.order_id = o.order_id
     WHERE o.voided = 0 AND (dor.order_id IS NOT NULL OR tor.order_id IS NOT NULL) AND UPPER(o.order_action) <> 'DISCONTINUE'
       AND NOT EXISTS (SELECT 1 FROM orders n WHERE n.previous_order_id = o.order_id AND n.voided = 0
         AND UPPER(n.order_action) IN ('REVISE', 'DISCONTINUE'))`,
  );
}

export async function erpHolds(pool: Pool) {
  const customers = await queryRows<Row>(pool, 'SELECT patient_uuid, name, identifier, clinic, active FROM erp_customer');
  const orders = await queryRows<Row>(
    pool,
    `SELECT o.encounter_uuid, c.patient_uuid, DATE_FORMAT(o.order_date, '%Y-%m-%d %H:%i:%s') AS order_date, o.location, o.encounter_type, o.active
     FROM erp_order o JOIN erp_customer c ON c.id = o.customer_id`,
  );
  const lines = await queryRows<Row>(
    pool,
    `SELECT l.obs_uuid, o.encounter_uuid, l.concept_uuid, l.product, l.value FROM erp_order_line l JOIN erp_order o ON o.id = l.order_id
     WHERE l.obs_uuid IS NOT NULL`,
  );
  const orderLines = await queryRows<Row>(
    pool,
    `SELECT l.order_uuid, o.encounter_uuid, l.concept_uuid, l.product, l.value, l.order_number, l.quantity, l.quantity_units
     FROM erp_order_line l JOIN erp_order o ON o.id = l.order_id WHERE l.order_uuid IS NOT NULL`,
  );
  return { customers, orders, lines, orderLines };
}

/** Rows keyed by their first column, values as strings, so the two sides compare exactly. */
export function byUuid(rows: Row[]): Map<string, Row> {
  const norm = (v: unknown) => (v == null ? null : String(v));
  return new Map(rows.map((r) => [String(Object.values(r)[0]).toLowerCase(), Object.fromEntries(Object.entries(r).map(([k, v]) => [k, norm(v)]))]));
}

export interface ErpDiff {
  kind: 'customers' | 'orders' | 'order lines' | 'drug and test lines';
  missing: string[];
  extra: string[];
  wrong: string[];
  total: number;
}

/** Compares by uuid and content; an empty `missing`, `extra` and `wrong` everywhere means the ERP matches. */
export function diff(kind: ErpDiff['kind'], actual: Row[], expected: Row[]): ErpDiff {
  const a = byUuid(actual);
  const e = byUuid(expected);
  return {
    kind,
    missing: [...e.keys()].filter((k) => !a.has(k)),
    extra: [...a.keys()].filter((k) => !e.has(k)),
    wrong: [...e.keys()].filter((k) => a.has(k) && JSON.stringify(a.get(k)) !== JSON.stringify(e.get(k))),
    total: e.size,
  };
}

export async function verifyErp(clinics: Array<{ pool: Pool; nodeId: string }>, erp: Pool): Promise<ErpDiff[]> {
  const [got, ...want] = await Promise.all([erpHolds(erp), ...clinics.map((c) => expectedAt(c.pool, c.nodeId))]);
  return [
    diff('customers', got.customers, want.flatMap((w) => w.customers)),
    diff('orders', got.orders, want.flatMap((w) => w.orders)),
    diff('order lines', got.lines, want.flatMap((w) => w.lines)),
    diff('drug and test lines', got.orderLines, want.flatMap((w) => w.orderLines)),
  ];
}
