// Writes the clinical record's metadata (record-metadata.ts) and the concept
// dictionary's answers, sets and numeric ranges, and reads back their ids.
// Idempotent by uuid (concept_numeric by its concept), like ensure-metadata.ts.
// A table the database lacks is skipped, and its ids are null: the writers then
// skip the rows that need them.
import { queryRows } from '../../shared/db.ts';
import type { Pool, PoolConnection } from '../../shared/db.ts';
import { BulkWriter } from './bulk-insert.ts';
import type { SqlValue } from './bulk-insert.ts';
import { CONCEPTS } from './concepts.ts';
import type { ConceptKey } from './concepts.ts';
import {
  CARE_SETTINGS, DRUGS, LOCATION_ATTRIBUTE_TYPES, LOCATION_TAGS, ORDER_FREQUENCIES, ORDER_TYPES,
  PERSON_ATTRIBUTE_TYPES, PROGRAMS, RELATIONSHIP_TYPES, VISIT_ATTRIBUTE_TYPES,
} from './record-metadata.ts';
import type { AttributeTypeItem, ProgramKey } from './record-metadata.ts';
import type { SchemaShape } from './schema-shape.ts';
import { metadataUuid } from './uuid.ts';

const ADMIN_USER_ID = 1;
type Items = Record<string, { uuid: string; name?: string }>;
type Ids<T> = Record<keyof T, number>;

/** Integer ids of the record metadata in one database; null where the database has no such table. */
export interface RecordIds {
  orderType: Ids<typeof ORDER_TYPES> | null;
  careSetting: Ids<typeof CARE_SETTINGS> | null;
  drug: Ids<typeof DRUGS> | null;
  frequency: Ids<typeof ORDER_FREQUENCIES> | null;
  /** Program ids, and per program its workflow states' ids by key. */
  program: Record<ProgramKey, { id: number; states: Record<string, number> }> | null;
  personAttributeType: Ids<typeof PERSON_ATTRIBUTE_TYPES> | null;
  relationshipType: Ids<typeof RELATIONSHIP_TYPES> | null;
  visitAttributeType: Ids<typeof VISIT_ATTRIBUTE_TYPES> | null;
  locationAttributeType: Ids<typeof LOCATION_ATTRIBUTE_TYPES> | null;
  locationTag: Ids<typeof LOCATION_TAGS> | null;
}

/**
 * Ids by key, found by uuid or else by name (a real database may hold "Drug Order"
 * under a uuid of its own); null when the table is absent or an item is missing.
 */
async function idsOf<T extends Items>(db: Pool | PoolConnection, shape: SchemaShape, table: string, items: T, nameColumn?: string): Promise<Ids<T> | null> {
  if (!shape.has(table)) return null;
  const keys = Object.keys(items) as Array<keyof T & string>;
  const rows = await queryRows<{ id: number; uuid: string; name: string | null }>(
    db,
    `SELECT ${table}_id AS id, uuid, ${nameColumn ?? 'NULL'} AS name FROM ${table} WHERE uuid IN (?)${nameColumn ? ` OR ${nameColumn} IN (?)` : ''}`,
    [keys.map((k) => items[k].uuid), keys.map((k) => items[k].name ?? '')],
  );
  const out = {} as Ids<T>;
  for (const k of keys) {
    const row = rows.find((r) => r.uuid === items[k].uuid) ?? rows.find((r) => nameColumn && r.name === items[k].name);
    if (!row) return null;
    out[k] = Number(row.id);
  }
  return out;
}

/** Inserts the rows whose uuid (and, for uniquely named tables, name) is not there yet. */
async function insertMissing(
  bulk: BulkWriter,
  table: string,
  columns: string[],
  rows: Array<{ uuid: string; name?: string; values: SqlValue[] }>,
  at: string,
  nameColumn?: string,
): Promise<void> {
  if (!bulk.has(table) || rows.length === 0) return;
  const have = await queryRows<{ uuid: string; name: string | null }>(
    bulk.conn,
    `SELECT uuid, ${nameColumn ?? 'NULL'} AS name FROM ${table} WHERE uuid IN (?)${nameColumn ? ` OR ${nameColumn} IN (?)` : ''}`,
    [rows.map((r) => r.uuid), rows.map((r) => r.name ?? '')],
  );
  const uuids = new Set(have.map((r) => r.uuid));
  const names = new Set(have.map((r) => r.name));
  const missing = rows.filter((r) => !uuids.has(r.uuid) && !(nameColumn && names.has(r.name ?? null)));
  await bulk.insert(table, [...columns, 'creator', 'date_created', 'uuid'], missing.map((r) => [...r.values, ADMIN_USER_ID, at, r.uuid]));
}

const attributeTypeRows = (items: Record<string, AttributeTypeItem>) =>
  Object.values(items).map((t) => ({ uuid: t.uuid, name: t.name, values: [t.name, t.description, t.datatype, t.datatypeConfig, t.minOccurs, t.maxOccurs] as SqlValue[] }));
const ATTRIBUTE_TYPE_COLUMNS = ['name', 'description', 'datatype', 'datatype_config', 'min_occurs', 'max_occurs'];

/** concept_answer, concept_set and concept_numeric rows of the seed's dictionary. */
async function writeDictionaryDetails(bulk: BulkWriter, concept: Record<ConceptKey, number>, at: string): Promise<void> {
  const keys = Object.keys(CONCEPTS) as ConceptKey[];
  const answers = keys.flatMap((k) =>
    (CONCEPTS[k].answers as readonly ConceptKey[]).map((a, i) => ({
      uuid: metadataUuid('concept_answer', `${CONCEPTS[k].key}:${CONCEPTS[a].key}`),
      values: [concept[k], concept[a], i + 1] as SqlValue[],
    })),
  );
  await insertMissing(bulk, 'concept_answer', ['concept_id', 'answer_concept', 'sort_weight'], answers, at);
  const members = keys.flatMap((k) =>
    (CONCEPTS[k].setMembers as readonly ConceptKey[]).map((m, i) => ({
      uuid: metadataUuid('concept_set', `${CONCEPTS[k].key}:${CONCEPTS[m].key}`),
      values: [concept[m], concept[k], i + 1] as SqlValue[],
    })),
  );
  await insertMissing(bulk, 'concept_set', ['concept_id', 'concept_set', 'sort_weight'], members, at);
  if (!bulk.has('concept_numeric')) return;
  const numeric = keys.filter((k) => CONCEPTS[k].numeric);
  const have = new Set(
    (await queryRows<{ id: number }>(bulk.conn, 'SELECT concept_id AS id FROM concept_numeric WHERE concept_id IN (?)', [numeric.map((k) => concept[k])])).map((r) => Number(r.id)),
  );
  const rows = numeric
    .filter((k) => !have.has(concept[k]))
    .map((k) => {
      const n = CONCEPTS[k].numeric!;
      // Absolute limits: what a person can measure at all; critical: what calls for action now.
      const span = n.hiNormal - n.lowNormal;
      return [concept[k], n.hiNormal + span * 3, n.hiNormal + span, n.hiNormal, 0, Math.max(0, n.lowNormal - span / 2), n.lowNormal, n.units, n.decimals > 0 ? 1 : 0, n.decimals];
    });
  await bulk.insert(
    'concept_numeric',
    ['concept_id', 'hi_absolute', 'hi_critical', 'hi_normal', 'low_absolute', 'low_critical', 'low_normal', 'units', 'allow_decimal', 'display_precision'],
    rows,
  );
}

/** Writes what is missing (inside the caller's transaction) and returns the ids. */
export async function ensureRecordMetadata(conn: PoolConnection, shape: SchemaShape, concept: Record<ConceptKey, number>, at: string): Promise<{ inserted: number; ids: RecordIds }> {
  const bulk = new BulkWriter(conn, { idStrategy: 'lookup', rowsPerInsert: 500, shape });
  await insertMissing(bulk, 'order_type', ['name', 'description', 'java_class_name'],
    Object.values(ORDER_TYPES).map((t) => ({ uuid: t.uuid, name: t.name, values: [t.name, t.description, t.javaClassName] })), at, 'name');
  await insertMissing(bulk, 'care_setting', ['name', 'description', 'care_setting_type'],
    Object.values(CARE_SETTINGS).map((c) => ({ uuid: c.uuid, name: c.name, values: [c.name, c.description, c.type] })), at, 'name');
  await insertMissing(bulk, 'order_frequency', ['concept_id', 'frequency_per_day'],
    Object.values(ORDER_FREQUENCIES).map((f) => ({ uuid: f.uuid, values: [concept[f.concept], f.perDay] })), at);
  await insertMissing(bulk, 'drug', ['name', 'concept_id', 'combination', 'dosage_form', 'route', 'strength'],
    Object.values(DRUGS).map((d) => ({ uuid: d.uuid, values: [d.name, concept[d.concept], d.name.includes('/') ? 1 : 0, concept[d.dosageForm], concept[d.route], d.strength] })), at);
  await writeDictionaryDetails(bulk, concept, at);
  await insertMissing(bulk, 'program', ['name', 'description', 'concept_id'],
    Object.values(PROGRAMS).map((p) => ({ uuid: p.uuid, values: [p.name, p.description, concept[p.concept]] })), at);
  const programIds = await idsOf(conn, shape, 'program', PROGRAMS);
  if (programIds) {
    const keys = Object.keys(PROGRAMS) as ProgramKey[];
    await insertMissing(bulk, 'program_workflow', ['program_id', 'concept_id'],
      keys.map((k) => ({ uuid: PROGRAMS[k].workflow.uuid, values: [programIds[k], concept[PROGRAMS[k].workflow.concept]] })), at);
    const workflowIds = await idsOf(conn, shape, 'program_workflow', Object.fromEntries(keys.map((k) => [k, PROGRAMS[k].workflow])));
    if (workflowIds) {
      await insertMissing(bulk, 'program_workflow_state', ['program_workflow_id', 'concept_id', 'initial', 'terminal'],
        keys.flatMap((k) => Object.values(PROGRAMS[k].states).map((s) => ({ uuid: s.uuid, values: [workflowIds[k], concept[s.concept], s.initial ? 1 : 0, s.terminal ? 1 : 0] }))), at);
    }
  }
  await insertMissing(bulk, 'person_attribute_type', ['name', 'description', 'format', 'foreign_key', 'searchable', 'sort_weight'],
    Object.values(PERSON_ATTRIBUTE_TYPES).map((t) => ({ uuid: t.uuid, values: [t.name, t.description, t.format, t.foreignKey ? concept[t.foreignKey] : null, 0, t.sortWeight] })), at);
  await insertMissing(bulk, 'relationship_type', ['a_is_to_b', 'b_is_to_a', 'preferred', 'weight', 'description'],
    Object.values(RELATIONSHIP_TYPES).map((r) => ({ uuid: r.uuid, values: [r.aIsToB, r.bIsToA, 0, 0, r.description] })), at);
  await insertMissing(bulk, 'visit_attribute_type', ATTRIBUTE_TYPE_COLUMNS, attributeTypeRows(VISIT_ATTRIBUTE_TYPES), at);
  await insertMissing(bulk, 'location_attribute_type', ATTRIBUTE_TYPE_COLUMNS, attributeTypeRows(LOCATION_ATTRIBUTE_TYPES), at, 'name');
  await insertMissing(bulk, 'location_tag', ['name', 'description'],
    Object.values(LOCATION_TAGS).map((t) => ({ uuid: t.uuid, values: [t.name, t.description] })), at);
  return { inserted: bulk.rows, ids: await loadRecordIds(conn, shape) };
}

export async function loadRecordIds(conn: Pool | PoolConnection, shape: SchemaShape): Promise<RecordIds> {
  const programIds = await idsOf(conn, shape, 'program', PROGRAMS);
  let program: RecordIds['program'] = null;
  if (programIds) {
    const keys = Object.keys(PROGRAMS) as ProgramKey[];
    const states = await Promise.all(keys.map((k) => idsOf(conn, shape, 'program_workflow_state', PROGRAMS[k].states as Items)));
    if (states.every((s) => s !== null)) {
      program = Object.fromEntries(keys.map((k, i) => [k, { id: programIds[k], states: states[i] as Record<string, number> }])) as RecordIds['program'];
    }
  }
  return {
    orderType: await idsOf(conn, shape, 'order_type', ORDER_TYPES, 'name'),
    careSetting: await idsOf(conn, shape, 'care_setting', CARE_SETTINGS, 'name'),
    drug: await idsOf(conn, shape, 'drug', DRUGS),
    frequency: await idsOf(conn, shape, 'order_frequency', ORDER_FREQUENCIES),
    program,
    personAttributeType: await idsOf(conn, shape, 'person_attribute_type', PERSON_ATTRIBUTE_TYPES),
    relationshipType: await idsOf(conn, shape, 'relationship_type', RELATIONSHIP_TYPES),
    visitAttributeType: await idsOf(conn, shape, 'visit_attribute_type', VISIT_ATTRIBUTE_TYPES),
    locationAttributeType: await idsOf(conn, shape, 'location_attribute_type', LOCATION_ATTRIBUTE_TYPES, 'name'),
    locationTag: await idsOf(conn, shape, 'location_tag', LOCATION_TAGS),
  };
}
