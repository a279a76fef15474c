// Whose record a resource belongs to, for routing events into catchments (router.ts).
//
// A resource is either everyone's (metadata, locations, providers: every child receives it) or
// hangs off patients: a visit, an encounter, an obs, an order... belongs to its patient; a person
// to the patient they are, or else to the patients they are related to; a relationship to both of
// its people. A person who is no patient and related to none is everyone's when a provider (every
// child needs its providers), and nobody's otherwise: a relative registered before the
// relationship that ties them to a patient is held back until it comes (router.ts sends the
// person with it), rather than sent to every child.
import { queryRows } from '../../shared/db.ts';
import type { Queryable } from '../../shared/db.ts';
import type { Registry } from '../../shared/registry.ts';
import type { ResourceName } from '../../shared/resources.ts';

export type Owners = 'everyone' | number[];

/** The patient column of each resource that hangs off one patient, by its root table. */
const PATIENT_COLUMN: Partial<Record<ResourceName, string>> = {
  visit: 'patient_id',
  encounter: 'patient_id',
  order: 'patient_id',
  obs: 'person_id',
  patientdiagnoses: 'patient_id',
  condition: 'patient_id',
  allergy: 'patient_id',
  programenrollment: 'patient_id',
};

/** Resources that belong to patients (the rest are everyone's). */
export function isPatientOwned(resource: ResourceName): boolean {
  return resource in PATIENT_COLUMN || resource === 'patient' || resource === 'person' || resource === 'relationship';
}

/**
 * The patients each resource belongs to, found from its row as it stands, for many uuids of one
 * resource at once. A uuid whose row is gone (a deleted resource) is left out of the map.
 */
export async function ownersOf(db: Queryable, registry: Registry, resource: ResourceName, uuids: string[]): Promise<Map<string, Owners>> {
  const out = new Map<string, Owners>();
  if (uuids.length === 0) return out;
  if (!isPatientOwned(resource)) {
    for (const u of uuids) out.set(u.toLowerCase(), 'everyone');
    return out;
  }
  if (!registry.has(resource)) return out;
  if (resource === 'patient' || resource === 'person') {
    const rows = await queryRows<{ u: string; id: number; patient: number | null }>(
      db,
      'SELECT pe.uuid AS u, pe.person_id AS id, pt.patient_id AS patient FROM person pe LEFT JOIN patient pt ON pt.patient_id = pe.person_id WHERE pe.uuid IN (?)',
      [uuids],
    );
    for (const r of rows) out.set(r.u.toLowerCase(), r.patient !== null ? [Number(r.patient)] : await relatedOwners(db, Number(r.id)));
    return out;
  }
  if (resource === 'relationship') {
    const rows = await queryRows<{ u: string; a: number; b: number }>(db, 'SELECT uuid AS u, person_a AS a, person_b AS b FROM relationship WHERE uuid IN (?)', [uuids]);
    for (const r of rows) {
      const patients = await patientsAmong(db, [Number(r.a), Number(r.b)]);
      out.set(r.u.toLowerCase(), patients.length > 0 ? patients : 'everyone');
    }
    return out;
  }
  const root = registry.def(resource).root;
  const column = PATIENT_COLUMN[resource]!;
  const rows = await queryRows<{ u: string; id: number | null }>(db, `SELECT ${root.uuidColumn} AS u, ${column} AS id FROM ${root.table} WHERE ${root.uuidColumn} IN (?)`, [uuids]);
  for (const r of rows) if (r.u !== null) out.set(r.u.toLowerCase(), r.id === null ? 'everyone' : [Number(r.id)]);
  return out;
}

/** A person who is no patient belongs to the patients they are related to; else to everyone when a provider, to nobody yet otherwise. */
async function relatedOwners(db: Queryable, personId: number): Promise<Owners> {
  const related = await queryRows<{ id: number }>(
    db,
    `SELECT r.person_b AS id FROM relationship r JOIN patient p ON p.patient_id = r.person_b WHERE r.person_a = ?
     UNION SELECT r.person_a FROM relationship r JOIN patient p ON p.patient_id = r.person_a WHERE r.person_b = ?`,
    [personId, personId],
  );
  if (related.length > 0) return related.map((r) => Number(r.id));
  const [provider] = await queryRows<{ n: number }>(db, 'SELECT EXISTS (SELECT 1 FROM provider WHERE person_id = ?) AS n', [personId]);
  return Number(provider.n) === 1 ? 'everyone' : [];
}

/**
 * The people of these relationships who are no patients (a caregiver, a relative), by relationship
 * uuid: what a child needs with the relationship, and did not get before it (they were nobody's).
 */
export async function strangersOf(db: Queryable, relationshipUuids: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (relationshipUuids.length === 0) return out;
  const rows = await queryRows<{ r: string; u: string }>(
    db,
    `SELECT r.uuid AS r, pe.uuid AS u FROM relationship r JOIN person pe ON pe.person_id IN (r.person_a, r.person_b)
     WHERE r.uuid IN (?) AND NOT EXISTS (SELECT 1 FROM patient p WHERE p.patient_id = pe.person_id)`,
    [relationshipUuids],
  );
  for (const row of rows) {
    const key = row.r.toLowerCase();
    out.set(key, [...(out.get(key) ?? []), row.u]);
  }
  return out;
}

async function patientsAmong(db: Queryable, personIds: number[]): Promise<number[]> {
  const rows = await queryRows<{ id: number }>(db, 'SELECT patient_id AS id FROM patient WHERE patient_id IN (?)', [personIds]);
  return rows.map((r) => Number(r.id));
}

/**
 * Every resource of a patient's record, as (resource, uuid): the person and patient, their visits,
 * encounters, obs, orders, diagnoses, conditions, allergies, enrolments, relationships and the
 * people at the other end of them. What a child receives when the patient enters its catchment.
 */
export async function recordOf(db: Queryable, registry: Registry, patientId: number): Promise<Array<{ resource: ResourceName; uuid: string }>> {
  const out: Array<{ resource: ResourceName; uuid: string }> = [];
  const add = (resource: ResourceName, rows: Array<{ u: string | null }>) => {
    for (const r of rows) if (r.u !== null) out.push({ resource, uuid: r.u });
  };
  const person = await queryRows<{ u: string }>(db, 'SELECT uuid AS u FROM person WHERE person_id = ?', [patientId]);
  add('person', person);
  add('patient', person);
  for (const [resource, column] of Object.entries(PATIENT_COLUMN) as Array<[ResourceName, string]>) {
    if (!registry.has(resource)) continue;
    const root = registry.def(resource).root;
    add(resource, await queryRows<{ u: string | null }>(db, `SELECT ${root.uuidColumn} AS u FROM ${root.table} WHERE ${column} = ?`, [patientId]));
  }
  if (registry.has('relationship')) {
    add('relationship', await queryRows<{ u: string }>(db, 'SELECT uuid AS u FROM relationship WHERE person_a = ? OR person_b = ?', [patientId, patientId]));
    add(
      'person',
      await queryRows<{ u: string }>(
        db,
        `SELECT pe.uuid AS u FROM relationship r JOIN person pe ON pe.person_id = IF(r.person_a = ?, r.person_b, r.person_a)
         WHERE (r.person_a = ? OR r.person_b = ?) AND pe.person_id NOT IN (SELECT patient_id FROM patient)`,
        [patientId, patientId, patientId],
      ),
    );
  }
  return out;
}
