// What the careful path compares an incoming resource with: the resource as it stands in this
// database (its representation, row tree and content hash) and what was last applied of it from
// a feed (atomsync_sync_state). One reader for the batch and the careful path.
import { queryRows } from '../../shared/db.ts';
import type { PoolConnection } from '../../shared/db.ts';
import { loadRepresentations } from '../../shared/representation.ts';
import type { Registry } from '../../shared/registry.ts';
import type { ResourceName } from '../../shared/resources.ts';
import { appendTo } from '../collections.ts';
import { contentHash, versionOf } from '../content-hash.ts';
import type { LocalVersion } from '../conflict-rule.ts';
import { keyOf, toRowTree } from '../row-tree.ts';
import type { RefValue, RowNode } from '../row-tree.ts';
import type { KeyResolver } from './key-resolver.ts';

/** A resource as it stands here. */
export interface LocalState extends LocalVersion {
  rep: Record<string, unknown> | null;
  tree: RowNode | null;
}

/**
 * The local state of these resources, their rows and sync states locked (so two applies of one
 * resource queue up; rows first, then sync states, always in that order so two transactions
 * never deadlock on them), their local representations loaded and hashed, one query per table
 * and kind. A resource with no row here is absent from the map (its sync state alone does not
 * count); one the row tree refuses is left out with 'skip' (the careful path then reads it alone
 * and says why) and throws with 'throw'. In a catch-up most resources that exist already are
 * edits that the batch creating them applied in their newest state: found unchanged without a
 * query of their own.
 */
export async function readLocalStates(
  conn: PoolConnection,
  registry: Registry,
  keys: KeyResolver,
  refs: RefValue[],
  unreadable: 'skip' | 'throw',
): Promise<Map<string, LocalState>> {
  const out = new Map<string, LocalState>();
  if (refs.length === 0) return out;
  const byResource = new Map<ResourceName, string[]>();
  for (const r of refs) appendTo(byResource, r.resource, r.uuid);
  const present = new Map<ResourceName, Set<string>>();
  for (const [resource, uuids] of byResource) present.set(resource, await keys.lockKeys(conn, resource, uuids));
  const stateRows = await queryRows<{ resource: string; uuid: string; hash: string; origin: string | null }>(
    conn,
    'SELECT resource, uuid, hash, origin FROM atomsync_sync_state WHERE (resource, uuid) IN (?) FOR UPDATE',
    [refs.map((r) => [r.resource, r.uuid])],
  );
  const synced = new Map(stateRows.map((r) => [keyOf(r), r]));
  for (const [resource, uuids] of present) {
    const def = registry.def(resource);
    const reps = await loadRepresentations(conn, def, [...uuids]);
    for (const uuid of uuids) {
      const key = `${resource}/${uuid}`;
      const rep = reps.get(uuid) ?? null;
      let tree: RowNode | null = null;
      try {
        tree = rep ? toRowTree(def, rep, uuid) : null;
      } catch (err) {
        if (unreadable === 'throw') throw err;
        continue;
      }
      const state = synced.get(key);
      out.set(key, {
        rep,
        tree,
        hash: tree ? contentHash(tree) : null,
        version: tree ? versionOf(tree) : null,
        synced: state?.hash ?? null,
        syncedOrigin: state?.origin ?? null,
      });
    }
  }
  return out;
}
