// Per peer reached by file: what it was sent, what it acknowledged, and what waits for it
// (`atomsync peers` and the publisher's root page).
import { listPeers } from '../../shared/bundle/peers.ts';
import type { PeerState } from '../../shared/bundle/peers.ts';
import { queryRows } from '../../shared/db.ts';
import type { Pool } from '../../shared/db.ts';

export interface PeerLine extends PeerState {
  /** Changes of this node the peer has not acknowledged (less those it made itself). */
  pending: number;
}

export async function peerLines(pool: Pool): Promise<PeerLine[]> {
  const out: PeerLine[] = [];
  for (const p of await listPeers(pool)) {
    const [r] = p.feed === 'all'
      ? await queryRows<{ n: number }>(pool, 'SELECT COUNT(*) AS n FROM atomsync_event WHERE seq > ? AND origin <> ?', [p.ackedTo, p.peer])
      : await queryRows<{ n: number }>(
          pool,
          `SELECT COUNT(*) AS n FROM atomsync_catchment c JOIN atomsync_catchment_event ce ON ce.catchment_id = c.id JOIN atomsync_event e ON e.seq = ce.seq
            WHERE c.locations_key = ? AND ce.position > ? AND e.origin <> ?`,
          [p.feed.slice('catchment:'.length), p.ackedTo, p.peer],
        );
    out.push({ ...p, pending: Number(r.n) });
  }
  return out;
}
