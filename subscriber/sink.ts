// The seam an integration plugs into. Markers, fetching, dependency resolution,
// retries and dead letters belong to the subscriber; a sink only decides what
// it consumes and what it does with each resource. HQ's MySQL upsert is one sink.
import type { Action } from '../shared/protocol.ts';
import type { PoolConnection } from '../shared/db.ts';
import type { Registry } from '../shared/registry.ts';
import type { ResourceName } from '../shared/resources.ts';
import type { RefValue, RowNode } from './row-tree.ts';

export interface SinkEvent {
  resource: ResourceName;
  uuid: string;
  action: Action;
  /** Node where the change was made; writes carry it so they are not echoed back. */
  origin: string;
  feedUrl: string;
  entryId: string;
}

export type ApplyOutcome =
  | 'applied'
  | 'unchanged'
  | 'superseded'
  | 'conflict-local-won'
  | 'conflict-remote-won'
  | 'deleted'
  | 'voided'
  | 'absent'
  | 'skipped';

/** A resource ready to store: its event, its rows, the representation as received. */
export interface SinkItem {
  ev: SinkEvent;
  tree: RowNode;
  rep: Record<string, unknown>;
  /** What the tree points at (referencesOf), when the caller has it already. */
  refs?: RefValue[];
  /** The tree's content hash and version, when prepareItem worked them out ahead of the write. */
  hash?: string;
  version?: string | null;
}

export interface Sink {
  /** Resources this sink stores. Events for others move the marker on without a fetch. */
  accepts(resource: ResourceName): boolean;
  /**
   * The sink reads `display` labels from representations (the ERP names customers and
   * products by them), so resources are fetched in OpenMRS's full form. Without it, list
   * requests to atomsync publishers ask for the lean `v=sync` form.
   */
  readonly needsLabels?: boolean;
  /**
   * The resources as this sink's database holds them (shared/registry.ts). Row trees are built
   * from these entries, so a column that database lacks is neither written nor hashed. Without
   * it, the declared registry.
   */
  readonly registry?: Registry;
  /** Whether a resource is present already, so dependency resolution need not fetch it. */
  has(ref: RefValue): Promise<boolean>;
  /**
   * Stores a resource. Must be idempotent: applying the same state twice, or an older
   * state late, changes nothing. `rep` is the representation as received.
   */
  apply(ev: SinkEvent, tree: RowNode, rep: Record<string, unknown>): Promise<ApplyOutcome>;
  /** The resource was deleted at its origin. */
  remove(ev: SinkEvent): Promise<ApplyOutcome>;
  /** Optional, for speed: which of these references are present (as "resource/uuid" keys). */
  hasMany?(refs: RefValue[]): Promise<Set<string>>;
  /**
   * Optional, with applyBatch: runs `work` as one transaction of the sink's database, run again
   * whole on deadlock. That database is the one the sink was made with, which holds the
   * subscriber's markers and inbox too: the commit stage puts a batch's writes, its inbox
   * bookkeeping and the marker move in one transaction, so no crash can leave the marker behind
   * (or ahead of) what it covers.
   */
  transaction?<T>(work: (conn: PoolConnection) => Promise<T>): Promise<T>;
  /**
   * Optional, for speed: stores many resources in the transaction given (see transaction),
   * references before the resources that need them, and answers one outcome per item. Throws
   * on anything wrong: the commit stage then rolls the transaction back and applies the items
   * one by one.
   */
  applyBatch?(conn: PoolConnection, items: SinkItem[]): Promise<ApplyOutcome[]>;
  /**
   * Optional, for speed: work on an item that needs no database (hashing, say), done while
   * the batch is prepared, so the previous batch's write, which is the pipeline's narrow
   * part, does less. May fill `hash` and `version`.
   */
  prepareItem?(item: SinkItem): void;
}
