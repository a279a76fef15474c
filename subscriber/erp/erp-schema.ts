// The ERP's own tables: customers (patients), orders (encounters) and order
// lines (an encounter's coded obs). Not OpenMRS tables: the ERP keeps only what
// it bills, keyed by the OpenMRS uuids so every write can be an upsert.
import { queryRows } from '../../shared/db.ts';
import type { Pool } from '../../shared/db.ts';

const CHARSET = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4';

export const ERP_TABLES: Array<{ table: string; ddl: string }> = [
  {
    // One per patient. clinic: the location of the preferred identifier, else the node the change came from.
    // source_version: the newest audit date of the patient as applied; an older state arriving late is ignored.
    table: 'erp_customer',
    ddl: `CREATE TABLE IF NOT EXISTS erp_customer (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  patient_uuid CHAR(38) NOT NULL,
  name VARCHAR(255) NULL,
  identifier VARCHAR(64) NULL,
  clinic VARCHAR(255) NULL,
  active TINYINT(1) NOT NULL DEFAULT 1,
  updated_at DATETIME(3) NOT NULL,
  source_version DATETIME(3) NULL,
  UNIQUE KEY erp_customer_patient (patient_uuid)
) ${CHARSET}`,
  },
  {
    // One per encounter; inactive when the encounter is voided or deleted.
    table: 'erp_order',
    ddl: `CREATE TABLE IF NOT EXISTS erp_order (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  encounter_uuid CHAR(38) NOT NULL,
  customer_id BIGINT NOT NULL,
  order_date DATETIME(3) NOT NULL,
  location VARCHAR(255) NULL,
  encounter_type VARCHAR(255) NULL,
  active TINYINT(1) NOT NULL DEFAULT 1,
  updated_at DATETIME(3) NOT NULL,
  source_version DATETIME(3) NULL,
  UNIQUE KEY erp_order_encounter (encounter_uuid),
  CONSTRAINT erp_order_customer FOREIGN KEY (customer_id) REFERENCES erp_customer (id)
) ${CHARSET}`,
  },
  {
    // One per non-voided coded obs of an encounter: product is the coded answer, value the question.
    table: 'erp_order_line',
    ddl: `CREATE TABLE IF NOT EXISTS erp_order_line (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_id BIGINT NOT NULL,
  obs_uuid CHAR(38) NOT NULL,
  concept_uuid CHAR(38) NOT NULL,
  product VARCHAR(255) NULL,
  value VARCHAR(255) NULL,
  updated_at DATETIME(3) NOT NULL,
  UNIQUE KEY erp_order_line_obs (obs_uuid),
  CONSTRAINT erp_order_line_order FOREIGN KEY (order_id) REFERENCES erp_order (id)
) ${CHARSET}`,
  },
];

/** Creates the ERP tables that are missing; safe to run on every start. Returns the tables created. */
export async function ensureErpSchema(pool: Pool): Promise<string[]> {
  const rows = await queryRows<{ t: string }>(pool, 'SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()');
  const have = new Set(rows.map((r) => r.t));
  const created: string[] = [];
  for (const { table, ddl } of ERP_TABLES) {
    if (have.has(table)) continue;
    await pool.query(ddl);
    created.push(table);
  }
  return created;
}
