// Writes a population with known duplicates (duplicates-plan.ts) into an OpenMRS database, ours
// (after `atomsync migrate`) or a real one, and returns the truth so a test can measure the
// matcher's precision and recall, and the bench can time a scan of a large register.
import { inTransaction, queryRows } from '../../shared/db.ts';
import type { Pool, PoolConnection } from '../../shared/db.ts';
import { planPopulation } from './duplicates-plan.ts';
import type { PlannedPatient, PopulationOptions, TruePair } from './duplicates-plan.ts';
import { metadataUuid, nameUuid } from './uuid.ts';

export interface PopulationIds {
  creator: number;
  location: number;
  clinicIdType: number;
  nationalIdType: number;
  phoneType: number;
}

export interface WrittenPopulation {
  patients: number;
  truth: TruePair[];
  ids: PopulationIds;
}

const CREATED = '2024-01-01 00:00:00';
const BATCH = 2000;

async function one(db: Pool, sql: string, params: unknown[] = []): Promise<number | null> {
  const [r] = await queryRows<{ id: number | null }>(db, sql, params);
  return r?.id === null || r?.id === undefined ? null : Number(r.id);
}

async function ensureIdentifierType(db: Pool, creator: number, name: string): Promise<number> {
  const uuid = metadataUuid('patient_identifier_type', name);
  const found = await one(db, 'SELECT patient_identifier_type_id AS id FROM patient_identifier_type WHERE uuid = ?', [uuid]);
  if (found !== null) return found;
  await db.query('INSERT INTO patient_identifier_type (name, description, creator, date_created, uuid) VALUES (?, ?, ?, ?, ?)', [name, 'made by the duplicates generator', creator, CREATED, uuid]);
  return (await one(db, 'SELECT patient_identifier_type_id AS id FROM patient_identifier_type WHERE uuid = ?', [uuid]))!;
}

/** The user, location and types the rows need; made when missing. */
export async function ensurePopulationMetadata(db: Pool): Promise<PopulationIds> {
  const creator = await one(db, 'SELECT MIN(user_id) AS id FROM users');
  if (creator === null) throw new Error('the database has no users: run atomsync migrate first (or use an OpenMRS database)');
  let location = await one(db, 'SELECT MIN(location_id) AS id FROM location');
  if (location === null) {
    await db.query('INSERT INTO location (name, creator, date_created, uuid) VALUES (?, ?, ?, ?)', ['Duplicates Clinic', creator, CREATED, metadataUuid('location', 'duplicates')]);
    location = (await one(db, 'SELECT MIN(location_id) AS id FROM location'))!;
  }
  let phoneType = await one(db, "SELECT MIN(person_attribute_type_id) AS id FROM person_attribute_type WHERE name = 'Telephone Number'");
  if (phoneType === null) {
    await db.query("INSERT INTO person_attribute_type (name, description, format, creator, date_created, uuid) VALUES ('Telephone Number', '', 'java.lang.String', ?, ?, ?)", [creator, CREATED, metadataUuid('person_attribute_type', 'telephone')]);
    phoneType = (await one(db, "SELECT MIN(person_attribute_type_id) AS id FROM person_attribute_type WHERE name = 'Telephone Number'"))!;
  }
  return {
    creator, location, phoneType,
    clinicIdType: await ensureIdentifierType(db, creator, 'Clinic Number (generated)'),
    nationalIdType: await ensureIdentifierType(db, creator, 'National ID (generated)'),
  };
}

async function writeBatch(conn: PoolConnection, ids: PopulationIds, batch: PlannedPatient[], firstId: number): Promise<void> {
  const c = ids.creator;
  const u = (p: PlannedPatient, what: string) => nameUuid(`${p.uuid}:${what}`);
  const persons = batch.map((p, i) => [firstId + i, p.gender ?? '', p.birthdate, p.estimated ? 1 : 0, c, CREATED, p.uuid]);
  await conn.query('INSERT INTO person (person_id, gender, birthdate, birthdate_estimated, creator, date_created, uuid) VALUES ?', [persons]);
  await conn.query('INSERT INTO patient (patient_id, creator, date_created) VALUES ?', [batch.map((_, i) => [firstId + i, c, CREATED])]);
  const names = batch.map((p, i) => [firstId + i, 1, p.given, p.family, c, CREATED, u(p, 'name')]);
  await conn.query('INSERT INTO person_name (person_id, preferred, given_name, family_name, creator, date_created, uuid) VALUES ?', [names]);
  const idRows = batch.flatMap((p, i) => [
    [firstId + i, p.clinicId, ids.clinicIdType, 1, ids.location, c, CREATED, u(p, 'clinic-id')],
    ...(p.nationalId ? [[firstId + i, p.nationalId, ids.nationalIdType, 0, ids.location, c, CREATED, u(p, 'national-id')]] : []),
  ]);
  await conn.query('INSERT INTO patient_identifier (patient_id, identifier, identifier_type, preferred, location_id, creator, date_created, uuid) VALUES ?', [idRows]);
  const addresses = batch.flatMap((p, i) => (p.city || p.address1 ? [[firstId + i, 1, p.address1, p.city, c, CREATED, u(p, 'address')]] : []));
  if (addresses.length) await conn.query('INSERT INTO person_address (person_id, preferred, address1, city_village, creator, date_created, uuid) VALUES ?', [addresses]);
  const phones = batch.flatMap((p, i) => (p.phone ? [[firstId + i, p.phone, ids.phoneType, c, CREATED, u(p, 'phone')]] : []));
  if (phones.length) await conn.query('INSERT INTO person_attribute (person_id, value, person_attribute_type_id, creator, date_created, uuid) VALUES ?', [phones]);
}

/** Plans and writes the population; `progress` gets a line per 20,000 patients written. */
export async function writeDuplicatePopulation(db: Pool, o: PopulationOptions, progress: (line: string) => void = () => undefined): Promise<WrittenPopulation> {
  const ids = await ensurePopulationMetadata(db);
  const { patients, truth } = planPopulation(o);
  let next = ((await one(db, 'SELECT MAX(person_id) AS id FROM person')) ?? 0) + 1;
  for (let i = 0; i < patients.length; i += BATCH) {
    const batch = patients.slice(i, i + BATCH);
    await inTransaction(db, (conn) => writeBatch(conn, ids, batch, next));
    next += batch.length;
    if ((i + BATCH) % 20_000 < BATCH) progress(`wrote ${Math.min(i + BATCH, patients.length)} of ${patients.length} patients`);
  }
  return { patients: patients.length, truth, ids };
}
