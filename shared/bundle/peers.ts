// What each peer was sent by file and what it acknowledged (atomsync_peer). The exporting side
// reads it to know where the next bundle starts; importing an acknowledgement moves it.
import { queryRows } from '../db.ts';
import type { Queryable } from '../db.ts';

export interface PeerState {
  peer: string;
  /** The log exported to it: `all`, or `catchment:<key>` (positions count in that log). */
  feed: string;
  /** Last position put in a bundle for the peer. */
  sentTo: number;
  /** Last position the peer acknowledged holding: the next bundle starts after it. */
  ackedTo: number;
  exports: number;
  lastExportId: string | null;
  lastSentAt: string | null;
  lastAckedAt: string | null;
}

interface Row {
  peer: string;
  feed: string;
  sent_to: number;
  acked_to: number;
  exports: number;
  last_export_id: string | null;
  last_sent_at: string | null;
  last_acked_at: string | null;
}

const toState = (r: Row): PeerState => ({
  peer: r.peer,
  feed: r.feed,
  sentTo: Number(r.sent_to),
  ackedTo: Number(r.acked_to),
  exports: Number(r.exports),
  lastExportId: r.last_export_id,
  lastSentAt: r.last_sent_at,
  lastAckedAt: r.last_acked_at,
});

export async function listPeers(db: Queryable): Promise<PeerState[]> {
  return (await queryRows<Row>(db, 'SELECT * FROM atomsync_peer ORDER BY peer')).map(toState);
}

export async function peerState(db: Queryable, peer: string): Promise<PeerState> {
  const [r] = await queryRows<Row>(db, 'SELECT * FROM atomsync_peer WHERE peer = ?', [peer]);
  return r ? toState(r) : { peer, feed: 'all', sentTo: 0, ackedTo: 0, exports: 0, lastExportId: null, lastSentAt: null, lastAckedAt: null };
}

export async function recordExport(db: Queryable, peer: string, feed: string, exportId: string, to: number): Promise<void> {
  await db.query(
    `INSERT INTO atomsync_peer (peer, feed, sent_to, exports, last_export_id, last_sent_at) VALUES (?, ?, ?, 1, ?, UTC_TIMESTAMP(3))
     ON DUPLICATE KEY UPDATE sent_to = GREATEST(sent_to, VALUES(sent_to)), exports = exports + 1,
       last_export_id = VALUES(last_export_id), last_sent_at = VALUES(last_sent_at)`,
    [peer, feed, to, exportId],
  );
}

/** Moves the peer's acknowledged position forward (never back: acknowledgements may arrive out of order). Returns the new state. */
export async function recordAck(db: Queryable, peer: string, to: number): Promise<PeerState> {
  await db.query(
    `INSERT INTO atomsync_peer (peer, acked_to, last_acked_at) VALUES (?, ?, UTC_TIMESTAMP(3))
     ON DUPLICATE KEY UPDATE acked_to = GREATEST(acked_to, VALUES(acked_to)), last_acked_at = VALUES(last_acked_at)`,
    [peer, to],
  );
  return peerState(db, peer);
}
