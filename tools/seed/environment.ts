// What seeding and live activity both need from a node before writing: its id,
// the shared metadata (written if missing) and its ids, the node's site, and
// how bulk inserts learn their keys. Read once, passed to everything else.
import { inTransaction, queryRows } from '../../shared/db.ts';
import type { Pool } from '../../shared/db.ts';
import { detectIdStrategy } from './bulk-insert.ts';
import type { IdStrategy } from './bulk-insert.ts';
import { ensureMetadata, loadMetadataIds } from './ensure-metadata.ts';
import type { MetadataIds } from './ensure-metadata.ts';
import { SchemaShape } from './schema-shape.ts';
import { nodePrefix } from './identifier.ts';
import { ensureSite, planSite } from './site.ts';
import type { Site } from './site.ts';
import { addDays, sqlDatetime } from './sql-time.ts';

/**
 * Default end of the seeded period. Fixed, not "now", because the same seed must
 * give the same dates whenever it runs; the history reaches back from here.
 */
export const DEFAULT_SEED_END_AT = new Date('2026-11-01T00:00:00Z');
export const DEFAULT_HISTORY_DAYS = 730;
/** The site exists this long before the first seeded registration. */
const SITE_LEAD_DAYS = 30;

export class NotMigratedError extends Error {
  override name = 'NotMigratedError';
  constructor() {
    super('this database has no node id; run `atomsync migrate` (migrate(pool, nodeId)) first');
  }
}

export interface NodeEnv {
  nodeId: string;
  /** Prefix of the OpenMRS IDs this node issues. */
  idPrefix: string;
  seed: string;
  meta: MetadataIds;
  site: Site;
  idStrategy: IdStrategy;
  /** The tables and columns this database has; the seed writes only what fits. */
  shape: SchemaShape;
  endAt: Date;
  historyDays: number;
}

export interface NodeEnvOptions {
  seed: string | number;
  endAt?: Date;
  historyDays?: number;
  /** Overrides detection; `lookup` is right on any server, `insertId` needs innodb_autoinc_lock_mode 0 or 1. */
  idStrategy?: IdStrategy;
  /**
   * The node the data is for, on a database atomsync has not adopted yet: an OpenMRS site's
   * history, written before `migrate` (no triggers, so no events). Must match the stored id if any.
   */
  nodeId?: string;
}

export async function readNodeId(pool: Pool): Promise<string> {
  const rows = await queryRows<{ value: string }>(pool, `SELECT value FROM atomsync_meta WHERE name = 'node_id'`).catch((err: { errno?: number }) => {
    if (err.errno === 1146) return []; // no atomsync tables: not migrated (other errors say what they are)
    throw err;
  });
  if (rows.length === 0) throw new NotMigratedError();
  return rows[0].value;
}

/** Ensures metadata and the node's site exist, and returns what writers need. */
export async function prepareNode(pool: Pool, opts: NodeEnvOptions): Promise<NodeEnv> {
  const nodeId = await readNodeId(pool).catch((err) => {
    if (err instanceof NotMigratedError && opts.nodeId) return opts.nodeId;
    throw err;
  });
  if (opts.nodeId && opts.nodeId !== nodeId) throw new Error(`this database belongs to node "${nodeId}", not "${opts.nodeId}"`);
  const seed = String(opts.seed);
  const endAt = opts.endAt ?? DEFAULT_SEED_END_AT;
  const historyDays = opts.historyDays ?? DEFAULT_HISTORY_DAYS;
  const idPrefix = nodePrefix(nodeId);
  await ensureMetadata(pool);
  const shape = await SchemaShape.read(pool);
  const meta = await loadMetadataIds(pool, shape);
  const siteCreatedAt = sqlDatetime(addDays(endAt, -(historyDays + SITE_LEAD_DAYS)));
  const site = await inTransaction(pool, (conn) => ensureSite(conn, planSite(seed, nodeId, idPrefix, siteCreatedAt), meta.record));
  const idStrategy = opts.idStrategy ?? (await detectIdStrategy(pool));
  return { nodeId, idPrefix, seed, meta, site, idStrategy, shape, endAt, historyDays };
}
