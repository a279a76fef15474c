// Reads every non-voided patient in pages of person ids: one query for a page of people, then one
// per related table over the same id range, so memory per page is flat and each query uses the
// person_id keys. Nothing here is logged: the rows hold names and identifiers.
import { queryRows } from '../../shared/db.ts';
import type { Queryable } from '../../shared/db.ts';
import type { RawPerson } from './record.ts';
import { hasTable, identifierScopes, notVoided, phoneAttributeTypes, readColumns } from './schema-read.ts';
import type { Columns } from './schema-read.ts';

export const DEFAULT_PAGE_SIZE = 5000;

interface PersonRow { id: number; uuid: string; gender: string | null; bd: string | null; est: number }

async function readPage(db: Queryable, cols: Columns, after: number, limit: number): Promise<PersonRow[]> {
  return queryRows<PersonRow>(
    db,
    `SELECT ${PERSON_COLUMNS}
     FROM person p JOIN patient pa ON pa.patient_id = p.person_id
     WHERE p.person_id > ?${notVoided(cols, 'person', 'p')}${notVoided(cols, 'patient', 'pa')}
     ORDER BY p.person_id LIMIT ?`,
    [after, limit],
  );
}

/** Attaches names, identifiers, addresses and phones of the people the filter names to their records. */
/** Which people a detail query reads: an id range (a page) or a list of ids (arrivals). */
export type IdFilter = { range: [number, number] } | { ids: number[] };

function idWhere(f: IdFilter): { sql: string; params: unknown[] } {
  return 'range' in f ? { sql: 'BETWEEN ? AND ?', params: f.range } : { sql: 'IN (?)', params: [f.ids] };
}

/** What the reads need to know about this database, learnt once per scan. */
interface ReadContext {
  cols: Columns;
  phoneTypes: number[];
  scopes: Map<number, 'LOCATION' | 'NON_UNIQUE'>;
}

async function attachDetails(db: Queryable, ctx: ReadContext, byId: Map<number, RawPerson>, filter: IdFilter): Promise<void> {
  const { cols, phoneTypes } = ctx;
  const w = idWhere(filter);
  const names = await queryRows<{ id: number; g: string | null; m: string | null; f: string | null }>(
    db,
    `SELECT person_id AS id, given_name AS g, middle_name AS m, family_name AS f FROM person_name
     WHERE person_id ${w.sql}${notVoided(cols, 'person_name')} ORDER BY person_id, preferred DESC, person_name_id`,
    w.params,
  );
  for (const n of names) byId.get(n.id)?.names.push({ given: n.g, middle: n.m, family: n.f });
  const ids = await queryRows<{ id: number; t: number; v: string; l: number | null }>(
    db,
    `SELECT patient_id AS id, identifier_type AS t, identifier AS v, location_id AS l FROM patient_identifier
     WHERE patient_id ${w.sql}${notVoided(cols, 'patient_identifier')}`,
    w.params,
  );
  for (const i of ids) {
    // A value unique only at its location is the same identifier only at the same location; a
    // type whose values may be shared says nothing about identity.
    const scope = ctx.scopes.get(Number(i.t));
    if (scope === 'NON_UNIQUE') continue;
    byId.get(i.id)?.identifiers.push({ type: Number(i.t), value: i.v, location: scope === 'LOCATION' ? (i.l ?? 0) : undefined });
  }
  if (hasTable(cols, 'person_address')) {
    const addresses = await queryRows<{ id: number; c: string | null; a: string | null }>(
      db,
      `SELECT person_id AS id, city_village AS c, address1 AS a FROM person_address
       WHERE person_id ${w.sql}${notVoided(cols, 'person_address')} ORDER BY person_id, preferred DESC, person_address_id DESC`,
      w.params,
    );
    for (const a of addresses) byId.get(a.id)?.addresses.push({ city: a.c, address1: a.a });
  }
  if (phoneTypes.length > 0) {
    const phones = await queryRows<{ id: number; v: string }>(
      db,
      `SELECT person_id AS id, value AS v FROM person_attribute
       WHERE person_id ${w.sql} AND person_attribute_type_id IN (?)${notVoided(cols, 'person_attribute')}`,
      [...w.params, phoneTypes],
    );
    for (const p of phones) byId.get(p.id)?.phones.push(p.v);
  }
}

function toRaw(rows: PersonRow[]): Map<number, RawPerson> {
  const byId = new Map<number, RawPerson>();
  for (const r of rows) {
    byId.set(Number(r.id), {
      id: Number(r.id), uuid: r.uuid, gender: r.gender, birthdate: r.bd, birthdateEstimated: Boolean(Number(r.est)),
      names: [], addresses: [], phones: [], identifiers: [],
    });
  }
  return byId;
}

async function patientColumns(db: Queryable): Promise<ReadContext> {
  const cols = await readColumns(db);
  if (!hasTable(cols, 'person') || !hasTable(cols, 'patient') || !hasTable(cols, 'person_name') || !hasTable(cols, 'patient_identifier')) {
    throw new Error('this database has no OpenMRS patient tables (person, patient, person_name, patient_identifier)');
  }
  return { cols, phoneTypes: await phoneAttributeTypes(db, cols), scopes: await identifierScopes(db, cols) };
}

const PERSON_COLUMNS = `p.person_id AS id, p.uuid, p.gender, DATE_FORMAT(p.birthdate, '%Y-%m-%d') AS bd, p.birthdate_estimated AS est`;

/** The non-voided patients among these person ids, or with these uuids (arrivals). */
export async function readPatientsWhere(db: Queryable, by: { ids: number[] } | { uuids: string[] }): Promise<RawPerson[]> {
  const list = 'ids' in by ? by.ids : by.uuids;
  if (list.length === 0) return [];
  const ctx = await patientColumns(db);
  const { cols } = ctx;
  const rows = await queryRows<PersonRow>(
    db,
    `SELECT ${PERSON_COLUMNS} FROM person p JOIN patient pa ON pa.patient_id = p.person_id
     WHERE ${'ids' in by ? 'p.person_id' : 'p.uuid'} IN (?)${notVoided(cols, 'person', 'p')}${notVoided(cols, 'patient', 'pa')}`,
    [list],
  );
  const byId = toRaw(rows);
  if (byId.size > 0) await attachDetails(db, ctx, byId, { ids: [...byId.keys()] });
  return [...byId.values()];
}

/** Pages of patients, in person_id order. */
export async function* readPatients(db: Queryable, pageSize = DEFAULT_PAGE_SIZE): AsyncGenerator<RawPerson[]> {
  const ctx = await patientColumns(db);
  let after = 0;
  for (;;) {
    const rows = await readPage(db, ctx.cols, after, pageSize);
    if (rows.length === 0) return;
    const byId = toRaw(rows);
    const lo = Number(rows[0].id);
    after = Number(rows[rows.length - 1].id);
    await attachDetails(db, ctx, byId, { range: [lo, after] });
    yield [...byId.values()];
    if (rows.length < pageSize) return;
  }
}
