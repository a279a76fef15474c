// Which rows of a source belong to a catchment, for `atomsync verify --catchment` (verify.ts).
//
// Worked out from the source's own OpenMRS tables, never from the router's bookkeeping
// (publisher/catchments/), so the check does not trust the code it checks:
//   - a patient is in the catchment when they have an identifier, a visit or an encounter at one of
//     its locations or any location below them (location.parent_location), voided rows included;
//   - a row of a patient's record (the person and patient with their names, addresses, attributes
//     and identifiers; visits, encounters, obs, orders, diagnoses, conditions, allergies,
//     enrolments) is in when its patient is;
//   - a person who is no patient is in when related to a patient who is in, and is everyone's
//     when related to no patient at all. Related only to patients outside, they may still be at
//     the child: the router sends such a person to every child while no relationship ties them
//     to a patient yet, and a child deletes nothing. So they are allowed, neither wanted nor
//     compared, never reported as outside;
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
  const rows = await queryRows<{ p: number }>(
    db,
    `WITH RECURSIVE under (id) AS (
       SELECT location_id FROM location WHERE uuid IN (?)
       UNION SELECT l.location_id FROM location l JOIN under u ON l.parent_location = u.id
     )
     SELECT patient_id AS p FROM patient_identifier WHERE location_id IN (SELECT id FROM under)
     UNION SELECT patient_id FROM visit WHERE location_id IN (SELECT id FROM under)
     UNION SELECT patient_id FROM encounter WHERE location_id IN (SELECT id FROM under)`,
    [locationUuids],
  );
  return new Set(rows.map((r) => Number(r.p)));
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
    return { expr: `COALESCE(CAST(${patientOr(key)} AS CHAR), CONCAT('~', COALESCE(${related}, '')))`, every: false };
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
    if (list === null || list === '') return 'in';
    const ids = list.split(',').map(Number);
    const holds = (ok: (id: number) => boolean) => (every ? ids.every(ok) : ids.some(ok));
    if (holds((id) => this.members.has(id))) return 'in';
    if (nonPatient || holds((id) => this.members.has(id) || this.targetOwn.has(id))) return 'allowed';
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
