// Entry point of the OpenMRS representation layer: parse `v`, check it against the
// resource's table, load in batches and render. The publisher's REST routes call this
// for every `v` but `sync` (and the labelled form its own subscribers are served).
import type { Pool } from '../../shared/db.ts';
import type { Registry } from '../../shared/registry.ts';
import { parseRep } from './custom-spec.ts';
import type { Rep } from './custom-spec.ts';
import { RepLoader } from './loader.ts';
import { checkRep, offeredTable, renderResource } from './render.ts';

export { RepresentationSpecError } from './custom-spec.ts';
export { UnknownPropertyError } from './render.ts';

export interface OpenmrsRequest {
  pool: Pool;
  registry: Registry;
  /** Prefix of links ('http://host:8081'), or '' for root-relative links. */
  baseUrl: string;
  /** Whether the reader may read a registry resource beyond its ref. */
  mayRead: (resource: string) => boolean;
  /** Today (UTC): a person's age. */
  now: Date;
}

/** Whether the layer renders this resource for this database (a table, and the registry offers what it loads from). */
export function servesOpenmrs(o: Pick<OpenmrsRequest, 'pool' | 'registry'>, resource: string): boolean {
  return offeredTable(resource, new RepLoader(o.pool, o.registry, '')) !== undefined;
}

/**
 * OpenMRS representations of resources of one kind at `v`, by lower-case uuid; unknown uuids are
 * absent. Throws RepresentationSpecError or UnknownPropertyError (both `status` 400) for a bad `v`.
 */
export async function loadOpenmrsRepresentations(
  o: OpenmrsRequest,
  resource: string,
  uuids: string[],
  v: string | undefined,
): Promise<{ reps: Map<string, Record<string, unknown>>; queries: number }> {
  const rep: Rep = parseRep(v);
  const loader = new RepLoader(o.pool, o.registry, o.baseUrl);
  const table = offeredTable(resource, loader);
  if (!table) throw new Error(`no OpenMRS representation of "${resource}" in this database`);
  checkRep(table, rep);
  const ctx = { loader, baseUrl: o.baseUrl, mayRead: o.mayRead, today: o.now.toISOString().slice(0, 10) };
  const out = new Map<string, Record<string, unknown>>();
  const reps = await Promise.all(uuids.map((u) => renderResource(resource, u, rep, ctx)));
  uuids.forEach((u, i) => {
    if (reps[i]) out.set(u.toLowerCase(), reps[i]!);
  });
  return { reps: out, queries: loader.queries };
}
