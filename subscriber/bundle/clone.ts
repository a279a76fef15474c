// `atomsync clone`: a new node made from its parent's bundle in one step. The new database must
// be empty; it is migrated with the new node id, the bundle's states are loaded once each in
// bulk through the batch path (not every change replayed), and the node then continues from the
// position the copy was taken at: by file (the acknowledgement goes back to the parent) or over
// HTTP (with --feed, its marker on the parent's feed starts at that position).
import { readFile } from 'node:fs/promises';
import { decodeFile } from '../../shared/bundle/format.ts';
import { ensureDatabase, openPool, queryRows } from '../../shared/db.ts';
import type { Logger } from '../../shared/logger.ts';
import { migrate } from '../../shared/schema/migrate.ts';
import { FeedAddress } from '../feed-address.ts';
import type { FeedAddressOptions } from '../feed-address.ts';
import { COPY_ENTRY_PREFIX, MarkerStore } from '../marker-store.ts';
import { importFiles } from './import.ts';
import type { ImportReport } from './import.ts';

export interface CloneOptions {
  dbUrl: string;
  nodeId: string;
  key: Buffer;
  files: string[];
  /** The parent's feed this node will read over HTTP (a catchment's, when the bundle was one). */
  feed?: string;
  feedOptions?: FeedAddressOptions;
  ackOut?: string;
  auditUserId?: number;
  log: Logger;
  say: (line: string) => void;
}

export async function cloneNode(o: CloneOptions): Promise<ImportReport> {
  // Every file checked, and for this node, before the database is touched.
  let origin: string | null = null;
  for (const file of o.files) {
    const d = decodeFile(file, await readFile(file), o.key);
    if (d.kind !== 'bundle') throw new Error(`${file} is an acknowledgement, not a bundle`);
    if (d.header.peer !== o.nodeId) throw new Error(`${file} was exported for node ${d.header.peer}, not ${o.nodeId}: export it at the parent with --for ${o.nodeId}`);
    if (d.header.origin === o.nodeId) throw new Error(`--node-id ${o.nodeId} is the parent's own id: a new node needs its own`);
    if (origin !== null && d.header.origin !== origin) throw new Error(`the bundles come from two nodes (${origin}, ${d.header.origin}): clone from one parent`);
    origin = d.header.origin;
  }
  await ensureDatabase(o.dbUrl);
  const pool = openPool(o.dbUrl, { connectionLimit: 2 });
  try {
    const [{ n }] = await queryRows<{ n: number }>(pool, 'SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()');
    if (Number(n) > 0) throw new Error(`the database already has ${n} tables: clone makes a new node in an empty database`);
    await migrate(pool, o.nodeId);
  } finally {
    await pool.end();
  }
  o.say(`database created for node ${o.nodeId}; loading the copy of ${origin}`);
  const report = await importFiles({ dbUrl: o.dbUrl, key: o.key, files: o.files, ackOut: o.ackOut, auditUserId: o.auditUserId, log: o.log, say: o.say, collapse: true });
  const done = report.imported[0];
  if (report.refused.length > 0 || !done) throw new Error(`the copy was not loaded: ${report.refused.map((r) => `${r.file}: ${r.why}`).join('; ') || 'nothing imported'}`);
  if (o.feed) await startFeedAt(o, done.to);
  return report;
}

/** Sets this node's marker on the parent's feed at the copy's position: reading over HTTP goes on from there. */
async function startFeedAt(o: CloneOptions, position: number): Promise<void> {
  const address = new FeedAddress(o.feed!, o.feedOptions);
  const pool = openPool(o.dbUrl, { connectionLimit: 1 });
  try {
    const moved = await new MarkerStore(pool).advance(
      address.key,
      { lastEntryId: `${COPY_ENTRY_PREFIX}${position}`, lastPageUrl: address.firstPageUrl, lastPosition: position, lastSeq: null, nextPageUrl: null, consumed: 0, newestChangedAt: null },
      null,
    );
    if (!moved) throw new Error(`could not set the marker of ${address.key}`);
    o.say(`reading ${address.key} will go on after position ${position}`);
  } finally {
    await pool.end();
  }
}
