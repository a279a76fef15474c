// OpenMRS orders written with plain SQL, as OpenMRS writes them: an `orders` row
// with its drug_order or test_order row in one transaction; a revision or a
// discontinuation is a new order pointing at the previous one, whose
// date_stopped is set in the same transaction; voiding a revision or a
// discontinuation clears the previous order's date_stopped again.
import { randomUUID } from 'node:crypto';
import { inTransaction, queryRows } from '../../shared/db.ts';
import type { Pool } from '../../shared/db.ts';

export interface OrderMeta {
  drugType: number;
  testType: number;
  plainType: number;
  careSetting: number;
  provider: number;
  /** Drugs with their concept. */
  drugs: Array<{ id: number; conceptId: number }>;
  /** Concepts that are neither a drug's nor each other (tests, units, a plain order). */
  concepts: number[];
}

export type OrderAction = 'NEW' | 'REVISE' | 'DISCONTINUE' | 'RENEW';

export interface NewOrder {
  encounterId: number;
  kind: 'drug' | 'test' | 'order';
  action?: OrderAction;
  previousId?: number;
  /** A drug order's drug (its concept becomes the order's, as OpenMRS requires); null for a non-coded drug. */
  drug?: { id: number; conceptId: number } | null;
  /** The order's concept when it has no drug. */
  conceptId?: number;
  quantity?: number | null;
  quantityUnits?: number | null;
  drugNonCoded?: string;
}

export interface InsertedOrder {
  id: number;
  uuid: string;
  orderNumber: string;
}

const one = async <T>(pool: Pool, sql: string, p: unknown[] = []): Promise<T | undefined> => (await queryRows<T & Record<string, unknown>>(pool, sql, p))[0];

/**
 * Metadata a test adds has the same uuid at every clinic, as OpenMRS metadata shipped with a
 * distribution does (two uuids for one unique name could not both reach HQ).
 */
const ADDED_UUIDS: Record<string, string> = {
  'Drug Order': '131168f4-15f5-102d-96e4-000c29c2a5d7',
  'Test Order': '52a447d3-a64a-11e3-9aeb-50e549534c5e',
  'Procedure Order': '5e5c1e2a-7b2d-4c57-9a0e-4f3f2e9c7d11',
  Outpatient: '6f0c9a92-6f24-11e3-af88-005056821db0',
};

async function typeId(pool: Pool, javaClass: string, name: string): Promise<number> {
  const have = await one<{ id: number }>(pool, 'SELECT order_type_id AS id FROM order_type WHERE java_class_name = ? ORDER BY order_type_id LIMIT 1', [javaClass]);
  if (have) return Number(have.id);
  const [res] = await pool.query(
    'INSERT INTO order_type (name, description, java_class_name, creator, date_created, uuid) VALUES (?, ?, ?, 1, UTC_TIMESTAMP(), ?)',
    [name, name, javaClass, ADDED_UUIDS[name]],
  );
  return Number((res as { insertId: number }).insertId);
}

/** What orders need at a seeded clinic; order types and a care setting are added when the seed has none. */
export async function orderMeta(pool: Pool): Promise<OrderMeta> {
  const drugType = await typeId(pool, 'org.openmrs.DrugOrder', 'Drug Order');
  const testType = await typeId(pool, 'org.openmrs.TestOrder', 'Test Order');
  const plainType = await typeId(pool, 'org.openmrs.Order', 'Procedure Order');
  let care = await one<{ id: number }>(pool, 'SELECT care_setting_id AS id FROM care_setting ORDER BY care_setting_id LIMIT 1');
  if (!care) {
    await pool.query(
      "INSERT INTO care_setting (name, description, care_setting_type, creator, date_created, uuid) VALUES ('Outpatient', 'Outpatient', 'OUTPATIENT', 1, UTC_TIMESTAMP(), ?)",
      [ADDED_UUIDS.Outpatient],
    );
    care = await one<{ id: number }>(pool, 'SELECT care_setting_id AS id FROM care_setting ORDER BY care_setting_id LIMIT 1');
  }
  const provider = await one<{ id: number }>(pool, 'SELECT provider_id AS id FROM provider ORDER BY provider_id LIMIT 1');
  if (!provider) throw new Error('the clinic has no provider: seed it first');
  const drugs = await queryRows<{ id: number; conceptId: number }>(
    pool,
    'SELECT drug_id AS id, concept_id AS conceptId FROM drug WHERE retired = 0 AND concept_id IS NOT NULL ORDER BY drug_id LIMIT 3',
  );
  if (drugs.length < 2) throw new Error('the clinic has fewer than two drugs: seed it first');
  const concepts = await queryRows<{ id: number }>(
    pool,
    `SELECT c.concept_id AS id FROM concept c WHERE c.retired = 0 AND NOT EXISTS (SELECT 1 FROM drug d WHERE d.concept_id = c.concept_id)
       AND EXISTS (SELECT 1 FROM concept_name cn WHERE cn.concept_id = c.concept_id AND cn.voided = 0) ORDER BY c.concept_id LIMIT 4`,
  );
  return {
    drugType,
    testType,
    plainType,
    careSetting: Number(care!.id),
    provider: Number(provider.id),
    drugs: drugs.map((d) => ({ id: Number(d.id), conceptId: Number(d.conceptId) })),
    concepts: concepts.map((c) => Number(c.id)),
  };
}

let counter = 0;

/** One order with its subclass row; a REVISE or DISCONTINUE stops its previous order in the same transaction. */
export function insertOrder(pool: Pool, meta: OrderMeta, o: NewOrder): Promise<InsertedOrder> {
  return inTransaction(pool, async (conn) => {
    const [enc] = await queryRows<{ patient: number }>(conn, 'SELECT patient_id AS patient FROM encounter WHERE encounter_id = ?', [o.encounterId]);
    const action = o.action ?? 'NEW';
    const drug = o.kind === 'drug' ? (o.drug === undefined ? meta.drugs[0] : o.drug) : null;
    const conceptId = drug ? drug.conceptId : (o.conceptId ?? meta.concepts[0]);
    const type = o.kind === 'drug' ? meta.drugType : o.kind === 'test' ? meta.testType : meta.plainType;
    const uuid = randomUUID();
    const orderNumber = `ORD-T${process.pid % 1000}-${++counter}`;
    const [res] = await conn.query(
      `INSERT INTO orders (order_type_id, concept_id, orderer, encounter_id, date_activated, patient_id, urgency, order_number,
         previous_order_id, order_action, care_setting, creator, date_created, uuid)
       VALUES (?, ?, ?, ?, UTC_TIMESTAMP(), ?, 'ROUTINE', ?, ?, ?, ?, 1, UTC_TIMESTAMP(), ?)`,
      [type, conceptId, meta.provider, o.encounterId, enc.patient, orderNumber, o.previousId ?? null, action, meta.careSetting, uuid],
    );
    const id = Number((res as { insertId: number }).insertId);
    if (o.kind === 'drug') {
      await conn.query(
        `INSERT INTO drug_order (order_id, drug_inventory_id, dose, dosing_type, quantity, quantity_units, dispense_as_written, drug_non_coded)
         VALUES (?, ?, 1, 'org.openmrs.SimpleDosingInstructions', ?, ?, 0, ?)`,
        [id, drug?.id ?? null, o.quantity ?? null, o.quantityUnits ?? null, drug ? null : (o.drugNonCoded ?? 'Herbal mixture')],
      );
    } else if (o.kind === 'test') {
      await conn.query('INSERT INTO test_order (order_id, number_of_repeats) VALUES (?, 1)', [id]);
    }
    if (o.previousId && (action === 'REVISE' || action === 'DISCONTINUE')) {
      await conn.query('UPDATE orders SET date_stopped = UTC_TIMESTAMP() WHERE order_id = ?', [o.previousId]);
    }
    return { id, uuid, orderNumber };
  });
}

/** Voids an order; a voided revision or discontinuation puts its previous order back in force, as OpenMRS's voidOrder does. */
export function voidOrder(pool: Pool, id: number): Promise<void> {
  return inTransaction(pool, async (conn) => {
    await conn.query(`UPDATE orders SET voided = 1, voided_by = 1, date_voided = UTC_TIMESTAMP(), void_reason = 'entered in error' WHERE order_id = ?`, [id]);
    await conn.query(
      `UPDATE orders p JOIN orders o ON o.previous_order_id = p.order_id SET p.date_stopped = NULL
       WHERE o.order_id = ? AND o.order_action IN ('REVISE', 'DISCONTINUE')`,
      [id],
    );
  });
}
