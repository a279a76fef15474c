// Writes the shared metadata (metadata.ts, concepts.ts) into a node database and
// reads back its integer ids. Idempotent by uuid: a row whose uuid is already
// there is left alone, so seeding twice, seeding HQ, or running on a real
// OpenMRS that already has the Reference Application metadata adds nothing twice.
import { queryRows } from '../../shared/db.ts';
import type { Pool, PoolConnection } from '../../shared/db.ts';
import { CONCEPTS, conceptNames } from './concepts.ts';
import type { ConceptKey } from './concepts.ts';
import { CONCEPT_CLASSES, DATATYPES, ENCOUNTER_ROLES, ENCOUNTER_TYPES, IDENTIFIER_TYPES, VISIT_TYPES } from './metadata.ts';
import type { MetadataItem } from './metadata.ts';
import { ensureRecordMetadata, loadRecordIds } from './ensure-record-metadata.ts';
import type { RecordIds } from './ensure-record-metadata.ts';
import { SchemaShape } from './schema-shape.ts';

type Db = Pool | PoolConnection;
type SqlValue = string | number | null;

/** Metadata rows carry this creation date on every node, so they are identical everywhere. */
export const METADATA_DATE_CREATED = '2020-01-01 00:00:00';
const ADMIN_USER_ID = 1;
/** Seconds to wait for another process that is writing the same database's metadata. */
export const METADATA_LOCK_TIMEOUT_S = 60;

export class MissingMetadataError extends Error {
  override name = 'MissingMetadataError';
  constructor(
    readonly table: string,
    readonly uuid: string,
  ) {
    super(`${table} ${uuid} is missing; run ensureMetadata first`);
  }
}

/** Integer ids of the shared metadata in one database, by the keys of metadata.ts and concepts.ts. */
export interface MetadataIds {
  datatype: Record<keyof typeof DATATYPES, number>;
  conceptClass: Record<keyof typeof CONCEPT_CLASSES, number>;
  concept: Record<ConceptKey, number>;
  identifierType: Record<keyof typeof IDENTIFIER_TYPES, number>;
  visitType: Record<keyof typeof VISIT_TYPES, number>;
  encounterType: Record<keyof typeof ENCOUNTER_TYPES, number>;
  encounterRole: Record<keyof typeof ENCOUNTER_ROLES, number>;
  /** Orders, programs, attributes...; null parts where the database lacks the table. */
  record: RecordIds;
}

const audit = [ADMIN_USER_ID, METADATA_DATE_CREATED];

/** Inserts the rows whose uuid is absent; returns how many it inserted. */
async function insertMissing(conn: PoolConnection, table: string, columns: string[], rows: Array<{ uuid: string; values: SqlValue[] }>): Promise<number> {
  const have = await uuidsPresent(conn, table, rows.map((r) => r.uuid));
  const missing = rows.filter((r) => !have.has(r.uuid));
  if (missing.length === 0) return 0;
  await conn.query(`INSERT INTO ${table} (${[...columns, 'creator', 'date_created', 'uuid'].join(', ')}) VALUES ?`, [
    missing.map((r) => [...r.values, ...audit, r.uuid]),
  ]);
  return missing.length;
}

async function uuidsPresent(db: Db, table: string, uuids: string[]): Promise<Set<string>> {
  if (uuids.length === 0) return new Set();
  const rows = await queryRows<{ uuid: string }>(db, `SELECT uuid FROM ${table} WHERE uuid IN (?)`, [uuids]);
  return new Set(rows.map((r) => r.uuid));
}

/** Ids by key for one metadata table; throws when any item is missing. */
async function idsByKey<K extends string>(db: Db, table: string, items: Record<K, { uuid: string }>): Promise<Record<K, number>> {
  const keys = Object.keys(items) as K[];
  const rows = await queryRows<{ id: number; uuid: string }>(db, `SELECT ${table}_id AS id, uuid FROM ${table} WHERE uuid IN (?)`, [
    keys.map((k) => items[k].uuid),
  ]);
  const byUuid = new Map(rows.map((r) => [r.uuid, Number(r.id)]));
  const out = {} as Record<K, number>;
  for (const k of keys) {
    const id = byUuid.get(items[k].uuid);
    if (id === undefined) throw new MissingMetadataError(table, items[k].uuid);
    out[k] = id;
  }
  return out;
}

export async function loadMetadataIds(db: Db, shape?: SchemaShape): Promise<MetadataIds> {
  const record = await loadRecordIds(db, shape ?? (await SchemaShape.read(db)));
  return {
    record,
    datatype: await idsByKey(db, 'concept_datatype', DATATYPES),
    conceptClass: await idsByKey(db, 'concept_class', CONCEPT_CLASSES),
    concept: await idsByKey(db, 'concept', CONCEPTS),
    identifierType: await idsByKey(db, 'patient_identifier_type', IDENTIFIER_TYPES),
    visitType: await idsByKey(db, 'visit_type', VISIT_TYPES),
    encounterType: await idsByKey(db, 'encounter_type', ENCOUNTER_TYPES),
    encounterRole: await idsByKey(db, 'encounter_role', ENCOUNTER_ROLES),
  };
}

const named = (items: Record<string, MetadataItem>) =>
  Object.values(items).map((m) => ({ uuid: m.uuid, values: [m.name, m.description] as SqlValue[] }));

async function writeAll(conn: PoolConnection): Promise<number> {
  let n = 0;
  n += await insertMissing(
    conn,
    'concept_datatype',
    ['name', 'hl7_abbreviation', 'description'],
    Object.values(DATATYPES).map((d) => ({ uuid: d.uuid, values: [d.name, d.hl7Abbreviation, d.description] })),
  );
  n += await insertMissing(conn, 'concept_class', ['name', 'description'], named(CONCEPT_CLASSES));
  // Concepts point at datatype and class by integer id, which differs per database.
  const datatype = await idsByKey(conn, 'concept_datatype', DATATYPES);
  const conceptClass = await idsByKey(conn, 'concept_class', CONCEPT_CLASSES);
  const concepts = Object.values(CONCEPTS);
  n += await insertMissing(
    conn,
    'concept',
    ['short_name', 'description', 'datatype_id', 'class_id', 'is_set', 'version'],
    concepts.map((c) => ({
      uuid: c.uuid,
      values: [c.shortName, c.description, datatype[c.datatype], conceptClass[c.conceptClass], c.setMembers.length > 0 ? 1 : 0, '1.0'],
    })),
  );
  const conceptId = await idsByKey(conn, 'concept', CONCEPTS);
  const keys = Object.keys(CONCEPTS) as ConceptKey[];
  n += await insertMissing(
    conn,
    'concept_name',
    ['concept_id', 'name', 'locale', 'locale_preferred', 'concept_name_type'],
    keys.flatMap((k) =>
      conceptNames(CONCEPTS[k]).map((cn) => ({ uuid: cn.uuid, values: [conceptId[k], cn.name, 'en', cn.preferred ? 1 : 0, cn.type] })),
    ),
  );
  n += await insertMissing(
    conn,
    'patient_identifier_type',
    ['name', 'description', 'format', 'check_digit', 'required', 'format_description', 'validator', 'uniqueness_behavior'],
    Object.values(IDENTIFIER_TYPES).map((t) => ({
      uuid: t.uuid,
      values: [t.name, t.description, t.format, t.checkDigit ? 1 : 0, t.required ? 1 : 0, t.formatDescription, t.validator, t.uniquenessBehavior],
    })),
  );
  n += await insertMissing(conn, 'visit_type', ['name', 'description'], named(VISIT_TYPES));
  n += await insertMissing(conn, 'encounter_type', ['name', 'description'], named(ENCOUNTER_TYPES));
  n += await insertMissing(conn, 'encounter_role', ['name', 'description'], named(ENCOUNTER_ROLES));
  n += (await ensureRecordMetadata(conn, await SchemaShape.read(conn), conceptId, METADATA_DATE_CREATED)).inserted;
  return n;
}

/**
 * Writes whatever shared metadata is missing, in one transaction, and returns
 * how many rows it inserted (0 when everything was there). A named lock keeps
 * two seeders of the same database from both inserting the same uuid.
 */
export async function ensureMetadata(pool: Pool): Promise<{ inserted: number }> {
  const conn = await pool.getConnection();
  const lock = `CONCAT('atomsync_seed_meta_', LEFT(MD5(DATABASE()), 16))`;
  try {
    const [[{ got }]] = (await conn.query(`SELECT GET_LOCK(${lock}, ?) AS got`, [METADATA_LOCK_TIMEOUT_S])) as unknown as [[{ got: number | null }]];
    if (Number(got) !== 1) throw new Error(`another process held the metadata lock for ${METADATA_LOCK_TIMEOUT_S}s`);
    try {
      await conn.beginTransaction();
      const inserted = await writeAll(conn);
      await conn.commit();
      return { inserted };
    } catch (err) {
      await conn.rollback().catch(() => undefined);
      throw err;
    } finally {
      await conn.query(`SELECT RELEASE_LOCK(${lock})`).catch(() => undefined);
    }
  } finally {
    conn.release();
  }
}
