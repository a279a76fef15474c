// Addresses the operator maps to locations (issue 18): "a patient is in a catchment when they have
// an identifier, visit or encounter at one of its locations, or an address the operator maps to it".
//
// A rule is (location, person_address field, value), in atomsync_catchment_address. A patient
// matches it when one of their non-voided person_address rows has that field equal to the value,
// both trimmed, in any case. A patient who matches a rule of location L is in every catchment
// whose locations cover L (L itself, or an ancestor of L). Rules are written by `atomsync
// catchments address` (catchments-command.ts) and read by the router (router.ts, address-sweep.ts).
import { queryRows } from '../../shared/db.ts';
import type { Queryable } from '../../shared/db.ts';
import { UnknownLocationError } from './router.ts';

/** The person_address columns a rule may name: OpenMRS's address hierarchy fields. */
export const ADDRESS_FIELDS: readonly string[] = [
  'country',
  'state_province',
  'county_district',
  'city_village',
  'postal_code',
  ...Array.from({ length: 15 }, (_, i) => `address${i + 1}`),
];

/** The longest value a rule holds (person_address's own columns are at most 255 characters). */
export const MAX_ADDRESS_VALUE = 255;

export class AddressFieldError extends Error {
  constructor(
    readonly field: string,
    readonly allowed: string[],
  ) {
    super(
      ADDRESS_FIELDS.includes(field)
        ? `this database's person_address has no column ${field}; a rule may name ${allowed.join(', ')}`
        : `"${field.slice(0, 64)}" is not an address field a rule may name: one of ${allowed.join(', ')}`,
    );
    this.name = 'AddressFieldError';
  }
}

export interface AddressRule {
  id: number;
  locationUuid: string;
  /** The location's name, or null when the location is gone since the rule was made. */
  locationName: string | null;
  field: string;
  value: string;
  /** When it was added, as the database wrote it (YYYY-MM-DD hh:mm:ss.fff). */
  createdAt: string;
}

export interface RuleOfLocation {
  id: number;
  field: string;
  value: string;
}

/** The fields of ADDRESS_FIELDS this database's person_address really has, in that order. */
export async function addressFieldsOf(db: Queryable): Promise<string[]> {
  const rows = await queryRows<{ c: string }>(
    db,
    `SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'person_address'`,
  );
  const have = new Set(rows.map((r) => r.c.toLowerCase()));
  return ADDRESS_FIELDS.filter((f) => have.has(f));
}

/** The rule as written: a known location (its uuid as stored), a field this database has, a trimmed value. */
async function checkedRule(db: Queryable, location: string, field: string, value: string): Promise<{ locationUuid: string; field: string; value: string }> {
  const fields = await addressFieldsOf(db);
  const f = field.trim().toLowerCase();
  if (!fields.includes(f)) throw new AddressFieldError(f, fields);
  const v = value.trim();
  if (v === '') throw new RangeError('an address rule needs a value that is not blank');
  if (v.length > MAX_ADDRESS_VALUE) throw new RangeError(`an address value has at most ${MAX_ADDRESS_VALUE} characters (got ${v.length})`);
  const [loc] = await queryRows<{ u: string }>(db, 'SELECT uuid AS u FROM location WHERE uuid = ?', [location.trim()]);
  if (!loc) throw new UnknownLocationError([location.trim()], "an address rule maps to one of this node's locations");
  return { locationUuid: loc.u, field: f, value: v };
}

/** Adds a rule; `added` is false when the same rule (in any case) is there already. */
export async function addAddressRule(db: Queryable, location: string, field: string, value: string): Promise<{ added: boolean; rule: AddressRule }> {
  const r = await checkedRule(db, location, field, value);
  const [res] = (await db.query('INSERT IGNORE INTO atomsync_catchment_address (location_uuid, field, value) VALUES (?, ?, ?)', [r.locationUuid, r.field, r.value])) as unknown as [
    { affectedRows: number },
  ];
  const rule = (await listAddressRules(db)).find((x) => sameRule(x, r))!;
  return { added: Number(res.affectedRows) === 1, rule };
}

/**
 * Removes a rule; null when there is none. The patients it brought in stay in their catchments:
 * nothing ever leaves one.
 */
export async function removeAddressRule(db: Queryable, location: string, field: string, value: string): Promise<AddressRule | null> {
  const r = await checkedRule(db, location, field, value);
  const rule = (await listAddressRules(db)).find((x) => sameRule(x, r));
  if (!rule) return null;
  await db.query('DELETE FROM atomsync_catchment_address WHERE id = ?', [rule.id]);
  await db.query('DELETE FROM atomsync_catchment_address_swept WHERE rule_id = ?', [rule.id]);
  return rule;
}

export async function listAddressRules(db: Queryable): Promise<AddressRule[]> {
  const rows = await queryRows<{ id: number; u: string; name: string | null; field: string; value: string; created_at: string | Date }>(
    db,
    `SELECT r.id, r.location_uuid AS u, l.name, r.field, r.value, r.created_at
       FROM atomsync_catchment_address r LEFT JOIN location l ON l.uuid = r.location_uuid ORDER BY r.id`,
  );
  return rows.map((r) => ({ id: Number(r.id), locationUuid: r.u, locationName: r.name, field: r.field, value: r.value, createdAt: r.created_at instanceof Date ? r.created_at.toISOString().replace('T', ' ').replace('Z', '') : String(r.created_at) }));
}

function sameRule(a: { locationUuid: string; field: string; value: string }, b: { locationUuid: string; field: string; value: string }): boolean {
  return a.locationUuid.toLowerCase() === b.locationUuid.toLowerCase() && a.field === b.field && a.value.toLowerCase() === b.value.toLowerCase();
}

/**
 * The rules of locations among `locationIds` (a catchment's locations and every location below
 * them), only those naming a field this database has: the field goes into SQL as a column name.
 */
export async function rulesUnder(db: Queryable, locationIds: Set<number>, fields: readonly string[]): Promise<RuleOfLocation[]> {
  if (locationIds.size === 0) return [];
  const rows = await queryRows<{ id: number; field: string; value: string }>(
    db,
    `SELECT r.id, r.field, r.value FROM atomsync_catchment_address r JOIN location l ON l.uuid = r.location_uuid
      WHERE l.location_id IN (?) ORDER BY r.id`,
    [[...locationIds]],
  );
  return rows.filter((r) => fields.includes(r.field)).map((r) => ({ id: Number(r.id), field: r.field, value: r.value }));
}

/** SQL: the non-voided address `pa` matches one of these rules' values of one field (trimmed, any case). */
function matchSql(field: string): string {
  if (!ADDRESS_FIELDS.includes(field)) throw new AddressFieldError(field, [...ADDRESS_FIELDS]);
  return `pa.voided = 0 AND LOWER(TRIM(pa.${field})) IN (?)`;
}

/** The rules' values by field, trimmed and lower-cased as matchSql compares them. */
function valuesByField(rules: RuleOfLocation[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of rules) {
    const list = out.get(r.field) ?? [];
    list.push(r.value.trim().toLowerCase());
    out.set(r.field, list);
  }
  return out;
}

/** Which of these patients have an address that matches one of the rules. A query per field named, by patient. */
export async function patientsMatching(db: Queryable, patientIds: number[], rules: RuleOfLocation[]): Promise<Set<number>> {
  const out = new Set<number>();
  if (patientIds.length === 0 || rules.length === 0) return out;
  for (const [field, values] of valuesByField(rules)) {
    const rows = await queryRows<{ p: number }>(
      db,
      `SELECT DISTINCT pa.person_id AS p FROM person_address pa WHERE pa.person_id IN (?) AND ${matchSql(field)}`,
      [patientIds, values],
    );
    for (const r of rows) out.add(Number(r.p));
  }
  return out;
}

/**
 * Up to `limit` patients, not yet in the catchment, whose address matches one of the rules: those
 * a newly added rule brings in. Lowest ids first.
 */
export async function newcomersMatching(db: Queryable, catchmentId: number, rules: RuleOfLocation[], limit: number): Promise<number[]> {
  const found = new Set<number>();
  for (const [field, values] of valuesByField(rules)) {
    const rows = await queryRows<{ p: number }>(
      db,
      `SELECT DISTINCT pa.person_id AS p FROM person_address pa JOIN patient pt ON pt.patient_id = pa.person_id
         LEFT JOIN atomsync_catchment_patient cp ON cp.catchment_id = ? AND cp.patient_id = pa.person_id
        WHERE cp.patient_id IS NULL AND ${matchSql(field)} ORDER BY pa.person_id LIMIT ?`,
      [catchmentId, values, limit],
    );
    for (const r of rows) found.add(Number(r.p));
  }
  return [...found].sort((a, b) => a - b).slice(0, limit);
}
