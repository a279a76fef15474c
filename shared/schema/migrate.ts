// `atomsync migrate`: creates the OpenMRS core tables a node needs (when absent),
// atomsync's own tables and the change-capture triggers. Idempotent: a second
// run reports nothing to do, and on an existing OpenMRS database only the sync
// parts are added.
import { randomUUID } from 'node:crypto';
import { NODE_ID_PATTERN } from '../protocol.ts';
import { queryRows } from '../db.ts';
import type { Pool } from '../db.ts';
import { loadRegistry } from '../registry.ts';
import type { Registry } from '../registry.ts';
import type { ResourceName } from '../resources.ts';
import { ADMIN_PERSON_UUID, ADMIN_USER_UUID, OPENMRS_LATE_KEYS, OPENMRS_TABLES } from './openmrs-core.ts';
import { requestSnapshot, resourcesWithRows } from './snapshot-state.ts';
import { SYNC_TABLES } from './sync-tables.ts';
import { DUPLICATE_TABLES } from './duplicate-tables.ts';
import { allTriggers, createTriggerSql } from './triggers.ts';

export interface MigrateReport {
  /** One line per thing created or changed; empty when the database was already up to date. */
  changes: string[];
  nodeId: string;
}

export class NodeIdMismatchError extends Error {
  override name = 'NodeIdMismatchError';
  constructor(
    readonly stored: string,
    readonly requested: string,
  ) {
    super(`this database belongs to node "${stored}"; refusing to relabel it "${requested}" (events already carry the old id)`);
  }
}

async function existingTables(pool: Pool): Promise<Set<string>> {
  const rows = await queryRows<{ t: string }>(
    pool,
    'SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()',
  );
  return new Set(rows.map((r) => r.t));
}

function assertNodeId(nodeId: string): void {
  if (!NODE_ID_PATTERN.test(nodeId)) {
    throw new Error(`node id "${nodeId}" must be 1-63 letters, digits, - or _, starting with a letter or digit`);
  }
}

/** The table OpenMRS's liquibase keeps its change log in: every database OpenMRS made has it. */
export const OPENMRS_CHANGELOG_TABLE = 'liquibasechangelog';

export interface MigrateOptions {
  /**
   * On the first migrate of a database that already holds rows (an OpenMRS site with its
   * history), request a snapshot so the publisher publishes them. Default true.
   */
  snapshot?: boolean;
}

export async function migrate(pool: Pool, nodeId: string, o: MigrateOptions = {}): Promise<MigrateReport> {
  assertNodeId(nodeId);
  const changes: string[] = [];
  const before = await existingTables(pool);

  // OpenMRS's own tables are created only in a database OpenMRS did not make (a demo, a test,
  // an HQ started empty). In one it made (it keeps its liquibase log), a table it lacks is a
  // table of a newer OpenMRS: the resource is not offered there, rather than half-invented.
  const openmrsMade = before.has(OPENMRS_CHANGELOG_TABLE);
  await createMissingTables(pool, [...(openmrsMade ? [] : OPENMRS_TABLES), ...SYNC_TABLES, ...DUPLICATE_TABLES], before, changes);
  await addMissingIndexes(pool, changes);
  await addMissingColumns(pool, changes);
  // The circular users/person keys are only ours to add when we created those tables.
  if (!before.has('users') || !before.has('person')) await addLateKeys(pool, changes);
  await bootstrapAdmin(pool, changes);
  const adopted = await ensureNodeId(pool, nodeId, changes);
  // Triggers for what this database really has (a real OpenMRS may lack columns or tables).
  const registry = await loadRegistry(pool);
  const newlyCovered = await updateTriggers(pool, registry, changes);
  if (o.snapshot !== false) await snapshotUntracked(pool, registry, adopted, newlyCovered, changes);
  return { changes, nodeId };
}

/**
 * Only atomsync's own tables (markers, inbox...) and the node id: for a subscriber whose
 * database is not an OpenMRS one, such as an ERP integration. No OpenMRS tables, no triggers.
 */
export async function migrateSyncTables(pool: Pool, nodeId: string): Promise<MigrateReport> {
  assertNodeId(nodeId);
  const changes: string[] = [];
  await createMissingTables(pool, [...SYNC_TABLES, ...DUPLICATE_TABLES], await existingTables(pool), changes);
  await addMissingColumns(pool, changes);
  await ensureNodeId(pool, nodeId, changes);
  return { changes, nodeId };
}

async function createMissingTables(pool: Pool, tables: Array<{ table: string; ddl: string }>, before: Set<string>, changes: string[]): Promise<void> {
  for (const { table, ddl } of tables) {
    if (before.has(table)) continue;
    await pool.query(ddl);
    changes.push(`created table ${table}`);
  }
}

/**
 * Indexes added to atomsync's tables after they were first created (a CREATE TABLE IF NOT EXISTS
 * does not change a table that exists; sync-tables.ts has them for new ones): added where missing,
 * so old and new nodes end alike.
 */
const LATE_INDEXES = [
  // A resource's events by uuid: a patient's record when the patient enters a catchment (publisher/catchments/router.ts).
  { table: 'atomsync_event', name: 'atomsync_event_resource_uuid', ddl: 'ALTER TABLE atomsync_event ADD KEY atomsync_event_resource_uuid (resource, uuid, seq)' },
];

/** Columns added to atomsync's tables after they were first created, the same way. */
const LATE_COLUMNS: Array<{ table: string; column: string; ddl: string | string[] }> = [
  // A conflict reviewed and settled (`atomsync conflicts resolve`): when, and which version was kept.
  { table: 'atomsync_conflict', column: 'resolved_at', ddl: 'ALTER TABLE atomsync_conflict ADD COLUMN resolved_at DATETIME(3) NULL' },
  { table: 'atomsync_conflict', column: 'resolution', ddl: 'ALTER TABLE atomsync_conflict ADD COLUMN resolution VARCHAR(16) NULL' },
  // Readers of catchment feeds (categories longer than the 64 characters the feed column had),
  // keyed by the category's SHA-1, and the node id each reader names.
  {
    table: 'atomsync_subscriber_position',
    column: 'feed_key',
    // A new table filled from the old and swapped in by one RENAME (the old primary key, on feed,
    // cannot take a longer feed column); a run cut short starts again from the first statement.
    ddl: [
      'DROP TABLE IF EXISTS atomsync_subscriber_position_new',
      `CREATE TABLE atomsync_subscriber_position_new (subscriber VARCHAR(64) NOT NULL, feed_key CHAR(40) NOT NULL, feed VARCHAR(2048) NOT NULL,
        node VARCHAR(64) NULL, position BIGINT NOT NULL, page INT NOT NULL, seen_at DATETIME(3) NOT NULL, PRIMARY KEY (subscriber, feed_key))
        ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      `INSERT INTO atomsync_subscriber_position_new (subscriber, feed_key, feed, position, page, seen_at)
        SELECT subscriber, SHA1(feed), feed, position, page, seen_at FROM atomsync_subscriber_position`,
      'RENAME TABLE atomsync_subscriber_position TO atomsync_subscriber_position_old, atomsync_subscriber_position_new TO atomsync_subscriber_position',
      'DROP TABLE atomsync_subscriber_position_old',
    ],
  },
];

async function addMissingColumns(pool: Pool, changes: string[]): Promise<void> {
  const have = await queryRows<{ t: string; c: string }>(
    pool,
    'SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE ?',
    ['atomsync%'],
  );
  const names = new Set(have.map((r) => `${r.t}.${r.c}`));
  for (const c of LATE_COLUMNS) {
    if (names.has(`${c.table}.${c.column}`)) continue;
    for (const ddl of typeof c.ddl === 'string' ? [c.ddl] : c.ddl) await pool.query(ddl);
    changes.push(`added column ${c.table}.${c.column}`);
  }
}

async function addMissingIndexes(pool: Pool, changes: string[]): Promise<void> {
  const have = await queryRows<{ t: string; n: string }>(
    pool,
    'SELECT DISTINCT TABLE_NAME AS t, INDEX_NAME AS n FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()',
  );
  const names = new Set(have.map((r) => `${r.t}.${r.n}`));
  for (const ix of LATE_INDEXES) {
    if (names.has(`${ix.table}.${ix.name}`)) continue;
    await pool.query(ix.ddl);
    changes.push(`added index ${ix.name}`);
  }
}

/** The users/person foreign keys that point at each other, added once both tables exist. */
async function addLateKeys(pool: Pool, changes: string[]): Promise<void> {
  const have = await queryRows<{ n: string }>(
    pool,
    `SELECT CONSTRAINT_NAME AS n FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = DATABASE() AND CONSTRAINT_TYPE = 'FOREIGN KEY'`,
  );
  const names = new Set(have.map((r) => r.n));
  for (const k of OPENMRS_LATE_KEYS) {
    if (names.has(k.name)) continue;
    await pool.query(k.ddl);
    changes.push(`added key ${k.name}`);
  }
}

/** Creates or replaces every trigger whose body differs; returns the resources that had no trigger before. */
async function updateTriggers(pool: Pool, registry: Registry, changes: string[]): Promise<ResourceName[]> {
  const current = new Map(
    (
      await queryRows<{ name: string; body: string }>(
        pool,
        'SELECT TRIGGER_NAME AS name, ACTION_STATEMENT AS body FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()',
      )
    ).map((r) => [r.name, r.body]),
  );
  // Resources this atomsync covers for the first time on an adopted database (an upgrade that
  // adds orders, say): their rows predate their triggers, so they need a snapshot too.
  const newlyCovered = registry.names.filter((n) => !current.has(`atomsync_${registry.def(n).root.table}_ai`));
  for (const t of allTriggers(registry)) {
    if (current.get(t.name) === t.body) continue;
    await pool.query(createTriggerSql(t));
    changes.push(`${current.has(t.name) ? 'replaced' : 'created'} trigger ${t.name}`);
  }
  return newlyCovered;
}

/**
 * Rows that were here before the triggers have no events: the snapshot publishes them. Only
 * when this database is adopted now, or for resources newly covered; later, `atomsync
 * snapshot` asks for one on demand.
 */
async function snapshotUntracked(pool: Pool, registry: Registry, adopted: boolean, newlyCovered: ResourceName[], changes: string[]): Promise<void> {
  if (!adopted && newlyCovered.length === 0) return;
  const withRows = (await resourcesWithRows(pool, registry)).filter((n) => adopted || newlyCovered.includes(n));
  if (withRows.length === 0) return;
  await requestSnapshot(pool, withRows);
  changes.push(`requested a snapshot of the existing rows of ${withRows.join(', ')}${adopted ? '' : ', newly synced'} (the publisher publishes them)`);
}

/** Every OpenMRS database has user 1 (admin) with person 1; audit columns need someone to point at. */
async function bootstrapAdmin(pool: Pool, changes: string[]): Promise<void> {
  const [{ n }] = await queryRows<{ n: number }>(pool, 'SELECT COUNT(*) AS n FROM users');
  if (Number(n) > 0) return;
  const conn = await pool.getConnection();
  try {
    // person.creator -> users and users.person_id -> person: one of the two must come first.
    // The same admin on every node, to the second (OpenMRS ships its own dated 2005-01-01):
    // its person is a person like any other, and verify compares persons across nodes.
    await conn.query('SET FOREIGN_KEY_CHECKS = 0');
    await conn.query(
      `INSERT INTO person (person_id, gender, creator, date_created, uuid) VALUES (1, 'M', 1, '2005-01-01 00:00:00', ?)`,
      [ADMIN_PERSON_UUID],
    );
    await conn.query(
      `INSERT INTO users (user_id, system_id, username, person_id, creator, date_created, uuid)
       VALUES (1, 'admin', 'admin', 1, 1, '2005-01-01 00:00:00', ?)`,
      [ADMIN_USER_UUID],
    );
  } finally {
    await conn.query('SET FOREIGN_KEY_CHECKS = 1').catch(() => undefined);
    conn.release();
  }
  changes.push('created admin user');
}

/** Sets the node id on first use; returns true when it did (the database is adopted now). */
async function ensureNodeId(pool: Pool, nodeId: string, changes: string[]): Promise<boolean> {
  const rows = await queryRows<{ value: string }>(pool, `SELECT value FROM atomsync_meta WHERE name = 'node_id'`);
  if (rows.length > 0) {
    if (rows[0].value !== nodeId) throw new NodeIdMismatchError(rows[0].value, nodeId);
    return false;
  }
  await pool.query(
    `INSERT INTO atomsync_meta (name, value) VALUES ('node_id', ?), ('node_uuid', ?), ('created_at', DATE_FORMAT(UTC_TIMESTAMP(3), '%Y-%m-%d %H:%i:%s.%f'))`,
    [nodeId, randomUUID()],
  );
  changes.push(`set node id ${nodeId}`);
  return true;
}

export async function readMeta(pool: Pool): Promise<Record<string, string>> {
  const rows = await queryRows<{ name: string; value: string }>(pool, 'SELECT name, value FROM atomsync_meta');
  return Object.fromEntries(rows.map((r) => [r.name, r.value]));
}
