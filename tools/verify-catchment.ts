// Which rows of a source belong to a catchment, for `atomsync verify --catchment` (verify.ts).
//
// Worked out from the source's own OpenMRS tables, never from the router's bookkeeping
// (publisher/catchments/), so the check does not trust the code it checks:
//   - a patient is in the catchment when they have an identifier, a visit or an encounter at one of
//     its locations or any location below them (location.parent_location), voided rows included,
//     or a non-voided address equal (trimmed, any case) to one the operator mapped to one of those
//     locations (atomsync_catchment_address, the operator's rules; read, not worked out);
//   - a row of a patient's record (the person and patient with their names, addresses, attributes
//     and identifiers; visits, encounters, obs, orders, diagnoses, conditions, allergies,
//     enrolments) is in when its patient is;
//   - a person who is no patient is in when related to a patient who is in; a provider's person is
//     everyone's; one related only to patients outside is outside (a relative of another
//     catchment's patient); one related to no patient is sent to no child, but is allowed there,
//     not compared (the child may have them of its own, from the base data both were made from);
//   - a relationship is in when every patient among its two people is in (everyone's when neither
//     is a patient);
//   - everything else (metadata, locations, providers) is everyone's: in every catchment.
// The patient ids are held in memory (a set of numbers per source); rows are still read a page at
// a time, each with the ids of the patients it belongs to (ownersSql).
import { queryRows } from '../shared/db.ts';
import type { Queryable } from '../shared/db.ts';
import type { Part, ResourceDef, ResourceName } from '../shared/resources.ts';
import { rootKeySql } from '../shared/schema/triggers.ts';

/** The patient column of each resource that hangs off one patient, on its root table. */
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

/** Resources whose rows belong to patients; the rest are everyone's. */
export function belongsToPatients(resource: ResourceName): boolean {
  return resource in PATIENT_COLUMN || resource === 'patient' || resource === 'person' || resource === 'relationship';
}

/** The ids of the patients in the catchment of these locations, at this database, as its rows stand now. */
export async function catchmentPatientIds(db: Queryable, locationUuids: string[]): Promise<Set<number>> {
  if (locationUuids.length === 0) return new Set();
  const under = `WITH RECURSIVE under (id, uuid) AS (
       SELECT location_id, uuid FROM location WHERE uuid IN (?)
       UNION SELECT l.location_id, l.uuid FROM location l JOIN under u ON l.parent_location = u.id
     )`;
  const rows = await queryRows<{ p: number }>(
    db,
    `${under}
     SELECT patient_id AS p FROM patient_identifier WHERE location_id IN (SELECT id FROM under)
     UNION SELECT patient_id FROM visit WHERE location_id IN (SELECT id FROM under)
     UNION SELECT patient_id FROM encounter WHERE location_id IN (SELECT id FROM under)`,
    [locationUuids],
  );
  const out = new Set(rows.map((r) => Number(r.p)));
  for (const p of await addressedPatientIds(db, under, locationUuids)) out.add(p);
  return out;
}

/** The patients with a non-voided address an operator's rule maps to one of the locations (`under`: their CTE). */
async function addressedPatientIds(db: Queryable, under: string, locationUuids: string[]): Promise<number[]> {
  const [has] = await queryRows<{ n: number }>(db, `SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'atomsync_catchment_address'`);
  if (Number(has.n) === 0) return [];
  const rules = await queryRows<{ field: string }>(
    db,
    `${under} SELECT DISTINCT r.field FROM atomsync_catchment_address r WHERE r.location_uuid IN (SELECT uuid FROM under)`,
    [locationUuids],
  );
  const out: number[] = [];
  for (const { field } of rules) {
    if (!/^[a-z_0-9]{1,64}$/.test(field)) continue; // a column name, as the rules' command checks it
    const found = await queryRows<{ p: number }>(
      db,
      `${under} SELECT DISTINCT pa.person_id AS p FROM person_address pa JOIN patient pt ON pt.patient_id = pa.person_id
       JOIN atomsync_catchment_address r ON r.field = ? AND LOWER(TRIM(r.value)) = LOWER(TRIM(pa.${field}))
       WHERE pa.voided = 0 AND r.location_uuid IN (SELECT uuid FROM under)`,
      [locationUuids, field],
    );
    out.push(...found.map((r) => Number(r.p)));
  }
  return out;
}

/** Which of these location uuids this database does not have. */
export async function unknownLocations(db: Queryable, locationUuids: string[]): Promise<string[]> {
  const rows = await queryRows<{ u: string }>(db, 'SELECT uuid AS u FROM location WHERE uuid IN (?)', [locationUuids]);
  const have = new Set(rows.map((r) => r.u.toLowerCase()));
  return locationUuids.filter((u) => !have.has(u.toLowerCase()));
}

/**
 * The patients the target registered itself: those of its patients it never received from a feed
 * (no atomsync_sync_state row names them). A child may keep these whatever the catchment (a
 * district registers patients at its own sites, which are no clinic's). Uuids, in lower case.
 */
export async function ownPatientUuids(target: Queryable): Promise<string[]> {
  const [has] = await queryRows<{ n: number }>(target, `SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'atomsync_sync_state'`);
  if (Number(has.n) === 0) return [];
  const rows = await queryRows<{ u: string }>(
    target,
    `SELECT pe.uuid AS u FROM patient p JOIN person pe ON pe.person_id = p.patient_id
     WHERE NOT EXISTS (SELECT 1 FROM atomsync_sync_state s WHERE s.resource = 'patient' AND s.uuid = pe.uuid)`,
  );
  return rows.map((r) => r.u.toLowerCase());
}

/** The person ids these uuids have at this database, looked up a few thousand at a time. */
export async function personIdsOf(db: Queryable, uuids: string[]): Promise<Set<number>> {
  const out = new Set<number>();
  for (let i = 0; i < uuids.length; i += 5000) {
    const rows = await queryRows<{ id: number }>(db, 'SELECT person_id AS id FROM person WHERE uuid IN (?)', [uuids.slice(i, i + 5000)]);
    for (const r of rows) out.add(Number(r.id));
  }
  return out;
}

/**
 * How a row of a source stands against the catchment: wanted at the target ('in'), allowed there
 * but not wanted (of the target's own patients, or a person who is no patient), or not allowed.
 */
export type RowClass = 'in' | 'allowed' | 'out';

/**
 * SQL (over the row alias `t`) for the ids of the patients a row belongs to, comma-separated: NULL
 * or '' when it is everyone's; after a '~' for a person who is no patient (the patients they are
 * related to). `every`: the row needs all of them in (a relationship), not one. Null when the
 * resource is everyone's.
 */
export function ownersSql(def: ResourceDef, path: Part[]): { expr: string; every: boolean } | null {
  if (!belongsToPatients(def.name)) return null;
  const key = path.length === 0 ? `t.${def.root.key}` : rootKeySql(path, 't');
  const onRoot = (column: string) => (path.length === 0 ? `t.${column}` : `(SELECT ow.${column} FROM ${def.root.table} ow WHERE ow.${def.root.key} = ${key})`);
  const patientOr = (person: string) => `(SELECT op.patient_id FROM patient op WHERE op.patient_id = ${person})`;
  if (def.name === 'relationship') return { expr: `CONCAT_WS(',', ${patientOr(onRoot('person_a'))}, ${patientOr(onRoot('person_b'))})`, every: true };
  if (def.name === 'patient') return { expr: `CAST(${key} AS CHAR)`, every: false };
  if (def.name === 'person') {
    const related = `(SELECT GROUP_CONCAT(rp.patient_id) FROM relationship rr
        JOIN patient rp ON rp.patient_id = IF(rr.person_a = ${key}, rr.person_b, rr.person_a)
        WHERE rr.person_a = ${key} OR rr.person_b = ${key})`;
    // A provider's person is everyone's (NULL); anyone else who is no patient, '~' and their related patients.
    const provider = `EXISTS (SELECT 1 FROM provider pv WHERE pv.person_id = ${key})`;
    return { expr: `COALESCE(CAST(${patientOr(key)} AS CHAR), IF(${provider}, NULL, CONCAT('~', COALESCE(${related}, ''))))`, every: false };
  }
  return { expr: `CAST(${onRoot(PATIENT_COLUMN[def.name]!)} AS CHAR)`, every: false };
}

/** The patients of one source that are in the catchment, and those the target may keep besides (its own). */
export class CatchmentScope {
  constructor(
    readonly members: ReadonlySet<number>,
    readonly targetOwn: ReadonlySet<number> = new Set(),
  ) {}

  /** `owners` as ownersSql gives them. */
  classify(owners: string | null, every: boolean): RowClass {
    const nonPatient = owners?.startsWith('~') === true;
    const list = nonPatient ? owners!.slice(1) : owners;
    if (list === null) return 'in';
    // A person tied to no patient is sent to no child, but may be there as the child's own (base
    // data both were made from, say): allowed, not compared.
    if (list === '') return nonPatient ? 'allowed' : 'in';
    const ids = list.split(',').map(Number);
    const holds = (ok: (id: number) => boolean) => (every ? ids.every(ok) : ids.some(ok));
    if (holds((id) => this.members.has(id))) return 'in';
    if (holds((id) => this.members.has(id) || this.targetOwn.has(id))) return 'allowed';
    return 'out';
  }
}

export class UnknownCatchmentLocationError extends Error {
  override name = 'UnknownCatchmentLocationError';
  constructor(readonly uuids: string[]) {
    super(`--catchment: no source has a location with uuid ${uuids.join(', ')}`);
  }
}

/**
 * The scope of each source: its patients in the catchment, and the target's own patients as that
 * source numbers them. Every location must be at one source at least (a typo would otherwise
 * give an empty catchment, and a check that proves nothing).
 */
export async function catchmentScopes(sources: Queryable[], target: Queryable, locationUuids: string[]): Promise<CatchmentScope[]> {
  const unknown = await Promise.all(sources.map((s) => unknownLocations(s, locationUuids)));
  const nowhere = locationUuids.filter((u) => unknown.every((list) => list.includes(u)));
  if (nowhere.length > 0) throw new UnknownCatchmentLocationError(nowhere);
  const own = await ownPatientUuids(target);
  return Promise.all(sources.map(async (s) => new CatchmentScope(await catchmentPatientIds(s, locationUuids), await personIdsOf(s, own))));
}
