// The states a bundle carried for events that wait in the inbox (a dependency that was in no
// bundle yet, a conflict of order): kept in atomsync_bundle_held, with what they refer to that
// the bundle carried, so that the next import of that origin retries them without the file.
import { referencesIn } from '../../shared/bundle/references.ts';
import { inTransaction, queryRows } from '../../shared/db.ts';
import type { Pool } from '../../shared/db.ts';
import { DECLARED_REGISTRY } from '../../shared/registry.ts';
import { isResourceName } from '../../shared/resources.ts';

type Rep = Record<string, unknown>;

export async function heldStates(pool: Pool, feedKey: string): Promise<Map<string, Rep>> {
  const rows = await queryRows<{ resource: string; uuid: string; rep: string }>(pool, 'SELECT resource, uuid, rep FROM atomsync_bundle_held WHERE feed_url = ?', [feedKey]);
  return new Map(rows.map((r) => [`${r.resource}/${r.uuid.toLowerCase()}`, JSON.parse(r.rep) as Rep]));
}

/** Replaces what is held for this source by the states its waiting events need. */
export async function keepHeldStates(pool: Pool, feedKey: string, states: ReadonlyMap<string, Rep>): Promise<number> {
  const waiting = await queryRows<{ resource: string; uuid: string }>(pool, "SELECT resource, uuid FROM atomsync_inbox WHERE feed_url = ? AND status = 'pending'", [feedKey]);
  const keep = new Map<string, { resource: string; uuid: string; rep: Rep }>();
  const visit = (resource: string, uuid: string) => {
    const k = `${resource}/${uuid.toLowerCase()}`;
    const rep = states.get(k);
    if (keep.has(k) || !rep || !isResourceName(resource)) return;
    keep.set(k, { resource, uuid: uuid.toLowerCase(), rep });
    for (const ref of referencesIn(DECLARED_REGISTRY.def(resource), rep)) visit(ref.resource, ref.uuid);
  };
  for (const w of waiting) visit(w.resource, w.uuid);
  await inTransaction(pool, async (conn) => {
    await conn.query('DELETE FROM atomsync_bundle_held WHERE feed_url = ?', [feedKey]);
    const rows = [...keep.values()];
    for (let i = 0; i < rows.length; i += 200) {
      const chunk = rows.slice(i, i + 200);
      await conn.query('INSERT INTO atomsync_bundle_held (feed_url, resource, uuid, rep) VALUES ?', [chunk.map((r) => [feedKey, r.resource, r.uuid, JSON.stringify(r.rep)])]);
    }
  });
  return keep.size;
}
