// "No echo, no ping-pong": once writers have stopped, a node that keeps publishing is bouncing
// changes. Settled means, over one 3 s look: no node's newest event moved, no node's markers
// moved, and no node holds an event waiting for a retry. Publishing alone can be still for 3 s
// while a subscriber waits out a retry's delay with changes still to apply, and a check made
// then (verify) would see rows that are on their way.
import { queryRows } from '../../shared/db.ts';
import type { TestDb } from './db.ts';
import { eventually } from './processes.ts';

interface NodeState {
  seq: number;
  /** Events consumed over all markers, with the marker count: moves whenever a marker does. */
  consumed: string;
  waiting: number;
}

async function stateOf(db: TestDb): Promise<NodeState> {
  const one = async (sql: string) => (await queryRows<{ n: number | string | null }>(db.pool, sql))[0].n;
  const [seq, consumed, waiting] = await Promise.all([
    one('SELECT COALESCE(MAX(seq), 0) AS n FROM atomsync_event'),
    one("SELECT CONCAT(COUNT(*), '/', COALESCE(SUM(events_seen), 0), '/', COALESCE(MAX(last_seq), 0)) AS n FROM atomsync_marker"),
    one("SELECT COUNT(*) AS n FROM atomsync_inbox WHERE status <> 'dead'"),
  ]);
  return { seq: Number(seq), consumed: String(consumed), waiting: Number(waiting) };
}

/** Resolves once every node is settled over one 3 s look (see above); fails after `timeoutMs`. */
export async function untilPublishingStops(nodes: TestDb[], timeoutMs: number): Promise<void> {
  const states = () => Promise.all(nodes.map(stateOf));
  let last = await states();
  await eventually(async () => {
    await new Promise((r) => setTimeout(r, 3000));
    const now = await states();
    const still = now.every((s, i) => s.seq === last[i].seq && s.consumed === last[i].consumed && s.waiting === 0);
    last = now;
    return still;
  }, timeoutMs, 'every node to stop publishing and have nothing left to apply once the writers stopped');
}
