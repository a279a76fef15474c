// "No echo, no ping-pong": once writers have stopped, a node that keeps publishing is bouncing
// changes. Waits until no node's newest event has moved for a 3 s look.
import { queryRows } from '../../shared/db.ts';
import type { TestDb } from './db.ts';
import { eventually } from './processes.ts';

/** Resolves once no node's newest seq changed over one 3 s look; fails after `timeoutMs`. */
export async function untilPublishingStops(nodes: TestDb[], timeoutMs: number): Promise<void> {
  const published = () =>
    Promise.all(nodes.map(async (db) => Number((await queryRows<{ n: number }>(db.pool, 'SELECT COALESCE(MAX(seq), 0) AS n FROM atomsync_event'))[0].n)));
  let last = await published();
  await eventually(async () => {
    await new Promise((r) => setTimeout(r, 3000));
    const now = await published();
    const still = now.every((n, i) => n === last[i]);
    last = now;
    return still;
  }, timeoutMs, 'every node to stop publishing once the writers stopped');
}
