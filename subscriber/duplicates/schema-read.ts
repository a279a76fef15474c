// What the database at hand has: a real OpenMRS may lack a table (person_attribute on a trimmed
// install) or an audit column. Reads ask this first instead of failing on a missing column.
import { queryRows } from '../../shared/db.ts';
import type { Queryable } from '../../shared/db.ts';

export const PATIENT_TABLES = ['person', 'patient', 'person_name', 'patient_identifier', 'patient_identifier_type', 'person_address', 'person_attribute', 'person_attribute_type', 'visit', 'visit_type', 'location'] as const;

export type Columns = Map<string, Set<string>>;

export async function readColumns(db: Queryable): Promise<Columns> {
  const rows = await queryRows<{ t: string; c: string }>(
    db,
    'SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?)',
    [PATIENT_TABLES],
  );
  const out: Columns = new Map();
  for (const r of rows) {
    const set = out.get(r.t) ?? new Set<string>();
    set.add(r.c);
    out.set(r.t, set);
  }
  return out;
}

/** `AND alias.voided = 0` when the table has the column, else nothing. */
export function notVoided(cols: Columns, table: string, alias = table): string {
  return cols.get(table)?.has('voided') ? ` AND ${alias}.voided = 0` : '';
}

export function hasTable(cols: Columns, table: string): boolean {
  return cols.has(table);
}

/** The person_attribute_type ids for telephone numbers ("Telephone Number", as OpenMRS names it). */
export async function phoneAttributeTypes(db: Queryable, cols: Columns): Promise<number[]> {
  if (!hasTable(cols, 'person_attribute') || !hasTable(cols, 'person_attribute_type')) return [];
  const rows = await queryRows<{ id: number }>(
    db,
    "SELECT person_attribute_type_id AS id FROM person_attribute_type WHERE name IN ('Telephone Number', 'Telephone', 'Phone Number')",
  );
  return rows.map((r) => Number(r.id));
}

/**
 * How far each identifier type's values are unique, from OpenMRS's
 * patient_identifier_type.uniqueness_behavior: LOCATION (unique at one location only: a clinic's
 * register number; two clinics may give the same number to two people) or NON_UNIQUE (shared
 * legitimately). Types not listed are unique (UNIQUE, or NULL as older OpenMRS leaves it).
 */
export async function identifierScopes(db: Queryable, cols: Columns): Promise<Map<number, 'LOCATION' | 'NON_UNIQUE'>> {
  if (!cols.get('patient_identifier_type')?.has('uniqueness_behavior')) return new Map();
  const rows = await queryRows<{ id: number; b: string }>(
    db,
    "SELECT patient_identifier_type_id AS id, UPPER(uniqueness_behavior) AS b FROM patient_identifier_type WHERE UPPER(uniqueness_behavior) IN ('LOCATION', 'NON_UNIQUE')",
  );
  return new Map(rows.map((r) => [Number(r.id), r.b as 'LOCATION' | 'NON_UNIQUE']));
}
