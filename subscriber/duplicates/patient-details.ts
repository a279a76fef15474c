// One patient's record as a reviewer needs it to decide "same person or not": names, identifiers,
// birth date, gender, addresses, phones and the last visits. For the operator's terminal (and a
// review page), never for logs.
import { queryRows } from '../../shared/db.ts';
import type { Queryable } from '../../shared/db.ts';
import { hasTable, notVoided, phoneAttributeTypes, readColumns } from './schema-read.ts';
import type { Columns } from './schema-read.ts';

export interface PatientDetails {
  uuid: string;
  /** False when no patient has this uuid here any more. */
  found: boolean;
  voided: boolean;
  gender: string;
  birthdate: string;
  names: string[];
  identifiers: string[];
  addresses: string[];
  phones: string[];
  /** Newest first: 'YYYY-MM-DD type at location'. */
  visits: string[];
}

export const LAST_VISITS = 3;

const join = (parts: Array<string | null | undefined>) => parts.filter((p) => p && p.trim()).join(' ');

async function readVisits(db: Queryable, cols: Columns, id: number): Promise<string[]> {
  if (!hasTable(cols, 'visit')) return [];
  const rows = await queryRows<{ d: string; t: string | null; l: string | null }>(
    db,
    `SELECT DATE_FORMAT(v.date_started, '%Y-%m-%d') AS d, vt.name AS t, l.name AS l FROM visit v
     LEFT JOIN visit_type vt ON vt.visit_type_id = v.visit_type_id LEFT JOIN location l ON l.location_id = v.location_id
     WHERE v.patient_id = ?${notVoided(cols, 'visit', 'v')} ORDER BY v.date_started DESC LIMIT ?`,
    [id, LAST_VISITS],
  );
  return rows.map((r) => join([r.d, r.t ?? 'visit', r.l ? `at ${r.l}` : null]));
}

async function readLists(db: Queryable, cols: Columns, id: number): Promise<Pick<PatientDetails, 'names' | 'identifiers' | 'addresses' | 'phones'>> {
  const names = await queryRows<{ p: string | null; g: string | null; m: string | null; f: string | null }>(
    db,
    `SELECT prefix AS p, given_name AS g, middle_name AS m, family_name AS f FROM person_name
     WHERE person_id = ?${notVoided(cols, 'person_name')} ORDER BY preferred DESC, person_name_id`,
    [id],
  );
  const ids = await queryRows<{ t: string | null; v: string }>(
    db,
    `SELECT t.name AS t, i.identifier AS v FROM patient_identifier i LEFT JOIN patient_identifier_type t ON t.patient_identifier_type_id = i.identifier_type
     WHERE i.patient_id = ?${notVoided(cols, 'patient_identifier', 'i')} ORDER BY i.preferred DESC, i.patient_identifier_id`,
    [id],
  );
  const addresses = hasTable(cols, 'person_address')
    ? await queryRows<{ a: string | null; c: string | null; d: string | null }>(
        db,
        `SELECT address1 AS a, city_village AS c, county_district AS d FROM person_address WHERE person_id = ?${notVoided(cols, 'person_address')} ORDER BY preferred DESC, person_address_id DESC`,
        [id],
      )
    : [];
  const phoneTypes = await phoneAttributeTypes(db, cols);
  const phones = phoneTypes.length
    ? await queryRows<{ v: string }>(db, `SELECT value AS v FROM person_attribute WHERE person_id = ? AND person_attribute_type_id IN (?)${notVoided(cols, 'person_attribute')}`, [id, phoneTypes])
    : [];
  return {
    names: names.map((n) => join([n.p, n.g, n.m, n.f])),
    identifiers: ids.map((i) => `${i.v} (${i.t ?? 'unknown type'})`),
    addresses: addresses.map((a) => [a.a, a.c, a.d].filter((x) => x && x.trim()).join(', ')).filter(Boolean),
    phones: phones.map((p) => p.v),
  };
}

export async function readPatientDetails(db: Queryable, uuid: string): Promise<PatientDetails> {
  const cols = await readColumns(db);
  const [p] = await queryRows<{ id: number; g: string | null; bd: string | null; est: number; v: number }>(
    db,
    `SELECT p.person_id AS id, p.gender AS g, DATE_FORMAT(p.birthdate, '%Y-%m-%d') AS bd, p.birthdate_estimated AS est,
       ${cols.get('patient')?.has('voided') ? 'pa.voided' : '0'} AS v
     FROM person p JOIN patient pa ON pa.patient_id = p.person_id WHERE p.uuid = ?`,
    [uuid],
  );
  if (!p) return { uuid, found: false, voided: false, gender: '', birthdate: '', names: [], identifiers: [], addresses: [], phones: [], visits: [] };
  const id = Number(p.id);
  return {
    uuid, found: true, voided: Boolean(Number(p.v)), gender: p.g ?? '',
    birthdate: p.bd ? `${p.bd}${Number(p.est) ? ' (estimated)' : ''}` : '',
    ...(await readLists(db, cols, id)),
    visits: await readVisits(db, cols, id),
  };
}

/** Which of these uuids are non-voided patients here now (a pair whose patient was merged or voided since is flagged). */
export async function activePatients(db: Queryable, uuids: readonly string[]): Promise<Set<string>> {
  if (uuids.length === 0) return new Set();
  const cols = await readColumns(db);
  const out = new Set<string>();
  for (let i = 0; i < uuids.length; i += 1000) {
    const rows = await queryRows<{ uuid: string }>(
      db,
      `SELECT p.uuid FROM person p JOIN patient pa ON pa.patient_id = p.person_id WHERE p.uuid IN (?)${notVoided(cols, 'person', 'p')}${notVoided(cols, 'patient', 'pa')}`,
      [uuids.slice(i, i + 1000)],
    );
    for (const r of rows) out.add(r.uuid);
  }
  return out;
}
