// Where each resource's current state was made, as atomsync's forms say (SPEC.md, "Origin of a
// state"): served with every `sync` representation, and put in every bundle.
import { queryRows } from '../shared/db.ts';
import type { Pool } from '../shared/db.ts';
import { ORIGIN_FIELD } from '../shared/protocol.ts';
import { loadRepresentations } from '../shared/representation.ts';
import type { RepresentationForm } from '../shared/representation.ts';
import type { ResourceDef, ResourceName } from '../shared/resources.ts';

/** Representations in one of atomsync's forms, each saying where its state was made. */
export async function representationsWithOrigins(
  pool: Pool,
  def: ResourceDef,
  uuids: string[],
  baseUrl: string,
  form: RepresentationForm,
  nodeId: string,
): Promise<Map<string, Record<string, unknown>>> {
  const reps = await loadRepresentations(pool, def, uuids, baseUrl, form);
  for (const [u, origin] of await statesOrigins(pool, def.name, [...reps.keys()], nodeId)) {
    const rep = reps.get(u);
    if (rep) rep[ORIGIN_FIELD] = origin;
  }
  return reps;
}

/**
 * The origin of each resource's current state: that of its latest change here, a row still in the
 * outbox (this node's own when it has none) or else its newest event. Keys in lower case.
 */
async function statesOrigins(pool: Pool, resource: ResourceName, uuids: string[], nodeId: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (uuids.length === 0) return out;
  const events = await queryRows<{ u: string; o: string }>(
    pool,
    `SELECT e.uuid AS u, e.origin AS o FROM atomsync_event e
       JOIN (SELECT uuid, MAX(seq) AS s FROM atomsync_event WHERE resource = ? AND uuid IN (?) GROUP BY uuid) m ON m.s = e.seq`,
    [resource, uuids],
  );
  for (const r of events) out.set(r.u.toLowerCase(), r.o);
  const pending = await queryRows<{ u: string; o: string | null }>(
    pool,
    'SELECT uuid AS u, origin AS o FROM atomsync_outbox WHERE resource = ? AND uuid IN (?) ORDER BY id',
    [resource, uuids],
  );
  for (const r of pending) out.set(r.u.toLowerCase(), r.o ?? nodeId);
  return out;
}
