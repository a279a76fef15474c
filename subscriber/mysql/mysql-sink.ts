// HQ's sink: mirrors resources into a local OpenMRS database by uuid, keeping
// the newest version, recording conflicts and superseded events, and tagging
// every write with its origin so HQ's own feed republishes it without echo.
import { ORIGIN_SESSION_VAR } from '../../shared/schema/triggers.ts';
import { appendTo } from '../collections.ts';
import { queryRows, retryingTransaction } from '../../shared/db.ts';
import type { Pool, PoolConnection } from '../../shared/db.ts';
import type { Logger } from '../../shared/logger.ts';
import { loadRepresentations } from '../../shared/representation.ts';
import { hasColumn, loadRegistry } from '../../shared/registry.ts';
import type { Registry } from '../../shared/registry.ts';
import type { ResourceName } from '../../shared/resources.ts';
import { LIFECYCLE_COLUMNS } from '../../shared/rest-format.ts';
import { contentHash, versionOf } from '../content-hash.ts';
import { sameTimeKeepsLocal } from '../conflict-rule.ts';
import { keyOf, referencesOf, toRowTree } from '../row-tree.ts';
import type { RefValue, RowNode } from '../row-tree.ts';
import type { ApplyOutcome, Sink, SinkEvent, SinkItem } from '../sink.ts';
import { loadColumnInfo } from './column-info.ts';
import { KeyResolver, UserMapper } from './key-resolver.ts';
import { NewRun } from './new-run.ts';
import { recordConflict, recordSuperseded, saveStates } from './sync-records.ts';
import { TreeWriter } from './tree-writer.ts';

export interface MysqlSinkOptions {
  /** Local user that stands in for audit users this database does not have. */
  fallbackUserId?: number;
  /** Resources to store; all by default. */
  resources?: ResourceName[];
  /** Attempts of one transaction that hits a deadlock or lock wait timeout. */
  deadlockRetries?: number;
}

const FK_IN_USE = 1451;


/** A resource as it stands here, what the careful path compares an incoming state with. */
interface LocalState {
  rep: Record<string, unknown> | null;
  tree: RowNode | null;
  hash: string | null;
  /** Hash of the state last applied from a feed (atomsync_sync_state), or null. */
  synced: string | null;
  /** The node that state was first made at (its origin), or null. */
  syncedOrigin: string | null;
}

/** The item's content hash and version, worked out once (by prepareItem, or here) and kept on it. */
function digestOf(it: SinkItem): { hash: string; version: string | null } {
  if (it.hash === undefined || it.version === undefined) {
    it.hash = contentHash(it.tree);
    it.version = versionOf(it.tree);
  }
  return { hash: it.hash, version: it.version };
}

export class MysqlSink implements Sink {
  private readonly keys = new KeyResolver();
  private writer!: TreeWriter;
  private readonly accepted: Set<string>;

  private constructor(
    private readonly pool: Pool,
    private readonly log: Logger,
    private readonly o: MysqlSinkOptions,
    /** The resources as this database holds them: a table it lacks is not accepted, a column not written. */
    readonly registry: Registry,
  ) {
    this.accepted = new Set((o.resources ?? registry.names).filter((r) => registry.has(r)));
  }

  /** Rows are written from fields and uuids; labels are not stored. */
  readonly needsLabels = false;

  static async create(pool: Pool, log: Logger, o: MysqlSinkOptions = {}): Promise<MysqlSink> {
    const registry = await loadRegistry(pool);
    if (registry.absentColumns.length > 0 || registry.missingTables.length > 0) {
      // An older OpenMRS: what it has no place for is not stored, and says so once.
      log.warn('this database lacks some of the columns or tables atomsync syncs; values for them are not stored here', {
        absentColumns: registry.absentColumns,
        missingTables: registry.missingTables,
      });
    }
    const sink = new MysqlSink(pool, log, o, registry);
    sink.writer = new TreeWriter(await loadColumnInfo(pool), sink.keys, new UserMapper(o.fallbackUserId ?? 1));
    return sink;
  }

  accepts(resource: ResourceName): boolean {
    return this.accepted.has(resource);
  }

  async has(ref: RefValue): Promise<boolean> {
    return (await this.keys.localKey(this.pool, ref.resource, ref.uuid)) !== null;
  }

  async hasMany(refs: RefValue[]): Promise<Set<string>> {
    const found = new Set<string>();
    const byResource = new Map<ResourceName, string[]>();
    for (const r of refs) appendTo(byResource, r.resource, r.uuid);
    await Promise.all(
      [...byResource].map(async ([resource, uuids]) => {
        for (const u of (await this.keys.localKeys(this.pool, resource, uuids)).keys()) found.add(`${resource}/${u}`);
      }),
    );
    return found;
  }

  async apply(ev: SinkEvent, tree: RowNode, rep: Record<string, unknown>): Promise<ApplyOutcome> {
    return this.transaction((conn) => this.applyInTx(conn, { ev, tree, rep }), ev.origin);
  }

  /**
   * Applies many resources in the transaction given (Sink.transaction), in the order given
   * (references first). Resources new to this database (the bulk of a catch-up) are written
   * straight away, one multi-row INSERT per table and run; those that exist take the careful
   * path with version and conflict checks. Throws on anything wrong: the commit stage then
   * rolls the whole batch back.
   */
  async applyBatch(conn: PoolConnection, items: SinkItem[]): Promise<ApplyOutcome[]> {
    if (items.length === 0) return [];
    const refsOf = items.map((it) => it.refs ?? referencesOf(it.tree, it.ev));
    const { existing, referenced } = await this.survey(conn, items, refsOf);
    const locals = await this.readLocals(conn, items.filter((it) => existing.has(keyOf(it.ev))).map((it) => it.ev), 'skip');
    let origin: string | null = null;
    const outcomes: ApplyOutcome[] = [];
    const states: unknown[][] = [];
    // New resources of one kind queue up and go in one INSERT per table, until something
    // needs them written first (a reference to one of them, another kind, another origin).
    const run = new NewRun(this.writer, this.registry, referenced);
    for (const [i, it] of items.entries()) {
      const key = keyOf(it.ev);
      const isNew = !existing.has(key);
      if (!isNew || it.ev.origin !== origin || !run.takes(it, refsOf[i])) await run.flush(conn);
      if (it.ev.origin !== origin) {
        origin = it.ev.origin;
        await conn.query(`SET ${ORIGIN_SESSION_VAR} = ?`, [origin]);
      }
      if (!isNew) {
        outcomes.push(await this.applyInTx(conn, it, locals.get(key) ?? undefined));
        continue;
      }
      run.add(it);
      const { hash, version } = digestOf(it);
      states.push([it.ev.resource, it.ev.uuid, hash, version, it.ev.origin]);
      outcomes.push('applied');
    }
    await run.flush(conn);
    await saveStates(conn, states);
    return outcomes;
  }

  /**
   * One query per kind for the keys of the batch's resources (which of them exist here already)
   * and of everything they point at, rather than one per reference while writing. What the
   * batch points at is also what an insert's keys are asked back for, so a run of new obs does
   * not learn 200 keys to use a few.
   */
  private async survey(conn: PoolConnection, items: SinkItem[], refsOf: RefValue[][]) {
    const existing = new Set<string>();
    const referenced = new Set<string>();
    const ask = new Map<ResourceName, Set<string>>();
    const want = (resource: ResourceName, uuid: string) => {
      const set = ask.get(resource);
      if (set) set.add(uuid);
      else ask.set(resource, new Set([uuid]));
    };
    for (const [i, it] of items.entries()) {
      want(it.ev.resource, it.ev.uuid);
      for (const r of refsOf[i]) {
        referenced.add(keyOf(r));
        want(r.resource, r.uuid);
      }
    }
    for (const [resource, uuids] of ask) {
      for (const u of (await this.keys.localKeys(conn, resource, [...uuids])).keys()) existing.add(`${resource}/${u}`);
    }
    return { existing, referenced };
  }

  /**
   * What the careful path compares an incoming resource with: the local state of these
   * resources, their rows and sync states locked (so two applies of one resource queue up; rows
   * first, then sync states, always in that order so two transactions never deadlock on them),
   * their local representations loaded and hashed, one query per table and kind. A resource
   * with no row here is absent from the map (its sync state alone does not count); one the row
   * tree refuses is left out with 'skip' (the careful path then reads it alone and says why)
   * and throws with 'throw'. In a catch-up most resources that exist already are edits that the
   * batch creating them applied in their newest state: found unchanged without a query of their own.
   */
  private async readLocals(conn: PoolConnection, refs: RefValue[], unreadable: 'skip' | 'throw'): Promise<Map<string, LocalState>> {
    const out = new Map<string, LocalState>();
    if (refs.length === 0) return out;
    const byResource = new Map<ResourceName, string[]>();
    for (const r of refs) appendTo(byResource, r.resource, r.uuid);
    const present = new Map<ResourceName, Set<string>>();
    for (const [resource, uuids] of byResource) present.set(resource, await this.keys.lockKeys(conn, resource, uuids));
    const stateRows = await queryRows<{ resource: string; uuid: string; hash: string; origin: string | null }>(
      conn,
      'SELECT resource, uuid, hash, origin FROM atomsync_sync_state WHERE (resource, uuid) IN (?) FOR UPDATE',
      [refs.map((r) => [r.resource, r.uuid])],
    );
    const synced = new Map(stateRows.map((r) => [keyOf(r), r]));
    for (const [resource, uuids] of present) {
      const def = this.registry.def(resource);
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
        out.set(key, { rep, tree, hash: tree ? contentHash(tree) : null, synced: state?.hash ?? null, syncedOrigin: state?.origin ?? null });
      }
    }
    return out;
  }

  /** Hash and version need only the tree: worked out while the batch is prepared, not while it is written. */
  prepareItem(it: SinkItem): void {
    digestOf(it);
  }

  /** The careful path: compares with the local state, keeps the newer, records conflicts. `known`: that state, read for the batch already. */
  private async applyInTx(conn: PoolConnection, it: SinkItem, known?: LocalState): Promise<ApplyOutcome> {
    const { ev, tree, rep } = it;
    const def = this.registry.def(ev.resource);
    const { hash: incomingHash, version: incomingVersion } = digestOf(it);
    const local = known !== undefined ? known : ((await this.readLocals(conn, [ev], 'throw')).get(keyOf(ev)) ?? null);
    const synced = local?.synced ?? null;
    let outcome: ApplyOutcome = 'applied';
    if (local) {
      const { rep: localRep, tree: localTree, hash: localHash } = local;
      if (localHash === incomingHash) {
        if (synced !== incomingHash) await saveStates(conn, [[ev.resource, ev.uuid, incomingHash, incomingVersion, ev.origin]]);
        return 'unchanged';
      }
      const localVersion = localTree ? versionOf(localTree) : null;
      const localChanged = synced === null || synced !== localHash;
      const remoteChanged = synced !== incomingHash;
      // Two versions made at two nodes at the same audit time (changed here, or last received from
      // another node than this one comes from): every node keeps the same one of the two. Two
      // versions from one node follow each other, and the later simply applies.
      const otherLineage = localChanged || (local.syncedOrigin !== null && local.syncedOrigin !== ev.origin);
      const tied = remoteChanged && otherLineage && incomingVersion === localVersion;
      const localWins =
        (incomingVersion !== null && localVersion !== null && incomingVersion < localVersion) ||
        (tied && sameTimeKeepsLocal({ version: incomingVersion, hash: incomingHash }, { version: localVersion, hash: localHash }));
      if (localWins) {
        await recordSuperseded(conn, ev, incomingVersion, localVersion);
        if ((localChanged && remoteChanged) || tied) await this.saveConflict(conn, ev, 'local', localRep, rep);
        return 'superseded';
      }
      if ((localChanged && remoteChanged) || tied) {
        await this.saveConflict(conn, ev, 'remote', localRep, rep);
        outcome = 'conflict-remote-won';
      }
    }
    await this.writer.write(conn, def, tree);
    await saveStates(conn, [[ev.resource, ev.uuid, incomingHash, incomingVersion, ev.origin]]);
    return outcome;
  }

  async remove(ev: SinkEvent): Promise<ApplyOutcome> {
    const def = this.registry.def(ev.resource);
    try {
      return await this.transaction(async (conn) => {
        const key = await this.keys.localKey(conn, ev.resource, ev.uuid, true);
        if (key === null) return 'absent';
        await this.writer.delete(conn, def, key);
        await conn.query('DELETE FROM atomsync_sync_state WHERE resource = ? AND uuid = ?', [ev.resource, ev.uuid]);
        this.keys.forget(ev.resource, ev.uuid);
        return 'deleted';
      }, ev.origin);
    } catch (err) {
      if ((err as { errno?: number }).errno !== FK_IN_USE) throw err;
    }
    // Other rows still point at it: keep the row, voided (or retired), so nothing dangles.
    const lc = LIFECYCLE_COLUMNS[def.root.lifecycle];
    return this.transaction(async (conn) => {
      const key = await this.keys.localKey(conn, ev.resource, ev.uuid, true);
      if (key === null) return 'absent';
      await conn.query(
        `UPDATE ${def.root.table} SET ${lc.flag.column} = 1, ${lc.date.column} = COALESCE(${lc.date.column}, UTC_TIMESTAMP()),
           ${lc.reason.column} = COALESCE(${lc.reason.column}, ?) WHERE ${def.root.key} = ?`,
        [`deleted at ${ev.origin}`, key],
      );
      return 'voided';
    }, ev.origin);
  }

  private async saveConflict(conn: PoolConnection, ev: SinkEvent, winner: 'local' | 'remote', local: unknown, remote: unknown) {
    await recordConflict(conn, ev, winner, local, remote);
    this.log.info('conflict resolved: newer version kept, both saved', { resource: ev.resource, uuid: ev.uuid, winner });
  }

  /**
   * One transaction on this database (the subscriber's own tables included: see Sink.transaction),
   * run again on deadlock or lost connection (shared/db.ts retryingTransaction). Writes in it
   * carry their origin for the triggers (applyBatch sets it per item); the origin is always
   * cleared after: a pooled connection must not carry it into someone else's writes, and one that
   * cannot be cleared is not pooled again.
   */
  /**
   * Writes a version of a resource as this node's own change, dated now (`atomsync conflicts
   * resolve`): its triggers publish it with this node as origin, and being the newest it wins
   * at every node it reaches.
   */
  async writeLocalChange(resource: ResourceName, uuid: string, rep: Record<string, unknown>, userId: number): Promise<void> {
    const def = this.registry.def(resource);
    const tree = toRowTree(def, rep, uuid);
    await this.transaction(async (conn) => {
      const key = await this.writer.write(conn, def, tree);
      if (def.root.changeAudit && hasColumn(def.root, 'date_changed')) {
        await conn.query(`UPDATE ${def.root.table} SET date_changed = UTC_TIMESTAMP(3), changed_by = ? WHERE ${def.root.key} = ?`, [userId, key]);
      }
    });
  }

  transaction<T>(work: (conn: PoolConnection) => Promise<T>, origin?: string): Promise<T> {
    return retryingTransaction(this.pool, work, {
      attempts: this.o.deadlockRetries ?? 5,
      before: async (conn) => void (origin !== undefined && (await conn.query(`SET ${ORIGIN_SESSION_VAR} = ?`, [origin]))),
      after: async (conn) => (await conn.query(`SET ${ORIGIN_SESSION_VAR} = NULL`), true),
      onFailure: (err, attempt) => {
        this.keys.clear(); // keys remembered inside the rolled-back transaction may name rows that are gone
        this.log.debug('transaction failed', { attempt, error: err as Error });
      },
    });
  }
}
