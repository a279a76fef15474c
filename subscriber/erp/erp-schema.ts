// The ERP's own tables: customers (patients), orders (encounters), order lines
// (an encounter's coded obs, drug and test orders), and what the lines of drug and
// test orders are worked out from (drugs, and the OpenMRS orders as received). Not
// OpenMRS tables: the ERP keeps only what it bills, keyed by the OpenMRS uuids so
// every write can be an upsert.
import { queryRows } from '../../shared/db.ts';
import type { Pool } from '../../shared/db.ts';

const CHARSET = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4';

/** What a line of a drug or test order adds to erp_order_line (also added to a table created before orders were billed). */
const LINE_ORDER_COLUMNS = `order_uuid CHAR(38) NULL,
  order_number VARCHAR(50) NULL,
  quantity DOUBLE NULL,
  quantity_units VARCHAR(255) NULL`;
const LINE_ORDER_KEYS = `UNIQUE KEY erp_order_line_source_order (order_uuid),
  CONSTRAINT erp_order_line_one_source CHECK ((obs_uuid IS NULL) <> (order_uuid IS NULL))`;

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
    // One per drug, as its orders need it: the drug's concept is the product of a drug order's line.
    table: 'erp_drug',
    ddl: `CREATE TABLE IF NOT EXISTS erp_drug (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  drug_uuid CHAR(38) NOT NULL,
  name VARCHAR(255) NULL,
  concept_uuid CHAR(38) NOT NULL,
  product VARCHAR(255) NULL,
  active TINYINT(1) NOT NULL DEFAULT 1,
  updated_at DATETIME(3) NOT NULL,
  source_version DATETIME(3) NULL,
  UNIQUE KEY erp_drug_uuid (drug_uuid)
) ${CHARSET}`,
  },
  {
    // Every OpenMRS order of an encounter the ERP holds (drug, test or other), voided ones too:
    // a line depends on the order and on the orders that revise or discontinue it, which may
    // arrive in any order, so each is kept and the lines are worked out again from them
    // (erp-order-lines.ts). kind: 'drugorder', 'testorder' or 'order'.
    table: 'erp_source_order',
    ddl: `CREATE TABLE IF NOT EXISTS erp_source_order (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_uuid CHAR(38) NOT NULL,
  order_id BIGINT NOT NULL,
  kind VARCHAR(16) NOT NULL,
  action VARCHAR(50) NOT NULL,
  previous_order_uuid CHAR(38) NULL,
  order_number VARCHAR(50) NULL,
  concept_uuid CHAR(38) NOT NULL,
  concept_name VARCHAR(255) NULL,
  drug_uuid CHAR(38) NULL,
  drug_non_coded VARCHAR(255) NULL,
  quantity DOUBLE NULL,
  quantity_units VARCHAR(255) NULL,
  voided TINYINT(1) NOT NULL DEFAULT 0,
  updated_at DATETIME(3) NOT NULL,
  source_version DATETIME(3) NULL,
  UNIQUE KEY erp_source_order_uuid (order_uuid),
  KEY erp_source_order_previous (previous_order_uuid),
  KEY erp_source_order_drug (drug_uuid),
  CONSTRAINT erp_source_order_order FOREIGN KEY (order_id) REFERENCES erp_order (id)
) ${CHARSET}`,
  },
  {
    // A line of an encounter's order, from exactly one of: a non-voided coded obs (product the
    // coded answer, value the question), or a drug or test order that nothing revised or
    // discontinued (product its concept, value the drug's name, quantity and units).
    table: 'erp_order_line',
    ddl: `CREATE TABLE IF NOT EXISTS erp_order_line (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_id BIGINT NOT NULL,
  obs_uuid CHAR(38) NULL,
  concept_uuid CHAR(38) NOT NULL,
  product VARCHAR(255) NULL,
  value VARCHAR(255) NULL,
  updated_at DATETIME(3) NOT NULL,
  ${LINE_ORDER_COLUMNS},
  UNIQUE KEY erp_order_line_obs (obs_uuid),
  ${LINE_ORDER_KEYS},
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
  if (have.has('erp_order_line')) await addOrderColumns(pool);
  return created;
}

/** An erp_order_line made before drug and test orders were lines: its obs_uuid becomes optional and the order's columns are added. */
async function addOrderColumns(pool: Pool): Promise<void> {
  const cols = await queryRows(
    pool,
    "SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'erp_order_line' AND COLUMN_NAME = 'order_uuid'",
  );
  if (cols.length > 0) return;
  const add = (list: string) => list.split(/,\n\s*/).map((d) => (/^(UNIQUE|CONSTRAINT) /.test(d) ? `ADD ${d}` : `ADD COLUMN ${d}`));
  await pool.query(`ALTER TABLE erp_order_line MODIFY obs_uuid CHAR(38) NULL, ${[...add(LINE_ORDER_COLUMNS), ...add(LINE_ORDER_KEYS)].join(', ')}`);
}
