// Which version of a resource wins a conflict, decided the same way at every node.
//
// A conflict is a resource changed at two nodes since they last agreed on it. The newer change
// wins, by the resource's version (its latest audit date, content-hash.ts). Two changes with the
// same version (OpenMRS keeps audit dates to the second, so two edits in one second at two nodes
// tie) are told apart by their content hashes: the greater hash wins. Every node compares the
// same two (version, hash) pairs, whichever of them it holds and whichever arrives, so every node
// keeps the same one. The loser is kept too, in atomsync_conflict.
//
// Which two versions are concurrent: the incoming one and a local one changed here, or one last
// received from another origin (a node in the middle of a tree sees both edits arrive, neither
// made by it). Two versions from the same origin follow each other: the later one applies even
// at the same audit time, so two edits within a second at one clinic reach HQ as the clinic has them.

export interface Versioned {
  /** The latest audit date, as versionOf gives it; null when the resource has none. */
  version: string | null;
  /** Null when it could not be worked out: then nothing is decided here. */
  hash: string | null;
}

/**
 * For two conflicting versions with the same audit time: true when the local one is kept.
 * Versions that differ are not decided here (the newer one wins); nor is an unchanged local
 * version, which the incoming change simply follows.
 */
export function sameTimeKeepsLocal(incoming: Versioned, local: Versioned): boolean {
  if (incoming.version !== local.version || incoming.hash === null || local.hash === null) return false;
  return local.hash > incoming.hash;
}

/** What this node holds of a resource, as the rule needs it. */
export interface LocalVersion extends Versioned {
  /** Hash of the state last applied from a feed (atomsync_sync_state), or null. */
  synced: string | null;
  /** The node that state was first made at, or null. */
  syncedOrigin: string | null;
}

/** An incoming state and the node it was made at. */
export interface IncomingVersion extends Versioned {
  origin: string;
}

/**
 * What to do with an incoming state, given the local one: `unchanged` (the same content),
 * `keep-local` (the local one is newer, or wins the tie) or `apply`; `conflict` when the two were
 * changed concurrently (both since the last agreed state, or a tie between two lineages), so both
 * versions are recorded.
 */
export function judge(local: LocalVersion, incoming: IncomingVersion): { verdict: 'unchanged' | 'keep-local' | 'apply'; conflict: boolean } {
  if (local.hash === incoming.hash) return { verdict: 'unchanged', conflict: false };
  const localChanged = local.synced === null || local.synced !== local.hash;
  const remoteChanged = local.synced !== incoming.hash;
  // Two versions made at two nodes at the same audit time (changed here, or last received from
  // another node than this one comes from): every node keeps the same one of the two. Two
  // versions from one node follow each other, and the later simply applies.
  const otherLineage = localChanged || (local.syncedOrigin !== null && local.syncedOrigin !== incoming.origin);
  const tied = remoteChanged && otherLineage && incoming.version === local.version;
  const conflict = (localChanged && remoteChanged) || tied;
  const localNewer = incoming.version !== null && local.version !== null && incoming.version < local.version;
  const keepLocal = localNewer || (tied && sameTimeKeepsLocal(incoming, local));
  return { verdict: keepLocal ? 'keep-local' : 'apply', conflict };
}
