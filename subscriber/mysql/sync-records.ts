// What HQ's sink records beside the rows it writes: the state last applied from a
// feed (atomsync_sync_state, what "changed here since" is measured against), the
// conflicts it resolved, and the events it refused as older than what it holds.
import type { PoolConnection } from '../../shared/db.ts';
import type { SinkEvent } from '../sink.ts';

/** What was applied, or found equal, as rows of [resource, uuid, hash, version, origin]: one statement. */
export async function saveStates(conn: PoolConnection, rows: unknown[][]): Promise<void> {
  if (rows.length === 0) return;
  await conn.query(
    `INSERT INTO atomsync_sync_state (resource, uuid, hash, version, origin) VALUES ?
     ON DUPLICATE KEY UPDATE hash = VALUES(hash), version = VALUES(version), origin = VALUES(origin)`,
    [rows],
  );
}

/** Both sides of a conflict, and which one was kept. */
export async function recordConflict(conn: PoolConnection, ev: SinkEvent, winner: 'local' | 'remote', local: unknown, remote: unknown): Promise<void> {
  await conn.query(
    `INSERT INTO atomsync_conflict (resource, uuid, feed_url, entry_id, winner, local_version, remote_version) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [ev.resource, ev.uuid, ev.feedUrl, ev.entryId, winner, JSON.stringify(local), JSON.stringify(remote)],
  );
}

/** An event whose state is older than the one held here: not applied, and said so. */
export async function recordSuperseded(conn: PoolConnection, ev: SinkEvent, incomingVersion: string | null, localVersion: string | null): Promise<void> {
  await conn.query(
    `INSERT INTO atomsync_superseded (resource, uuid, feed_url, entry_id, incoming_version, local_version) VALUES (?, ?, ?, ?, ?, ?)`,
    [ev.resource, ev.uuid, ev.feedUrl, ev.entryId, incomingVersion, localVersion],
  );
}
