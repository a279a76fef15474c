// HQ's sink: mirrors resources into a local OpenMRS database by uuid, keeping
// the newest version, recording conflicts and superseded events, and tagging
// every write with its origin so HQ's own feed republishes it without echo.
import { ORIGIN_SESSION_VAR } from '../../shared/schema/triggers.ts';
import { appendTo } from '../collections.ts';
import { queryRows, retryingTransaction } from '../../shared/db.ts';
import { MergedAwayError } from '../errors.ts';
import type { Pool, PoolConnection } from '../../shared/db.ts';
import type { Logger } from '../../shared/logger.ts';
import { hasColumn, loadRegistry } from '../../shared/registry.ts';
import type { Registry } from '../../shared/registry.ts';
import type { ResourceName } from '../../shared/resources.ts';
import { LIFECYCLE_COLUMNS } from '../../shared/rest-format.ts';
import { contentHash, versionOf } from '../content-hash.ts';
import { judge } from '../conflict-rule.ts';
import { keyOf, referencesOf, toRowTree } from '../row-tree.ts';
import type { RefValue, RowNode } from '../row-tree.ts';
import type { ApplyOutcome, Sink, SinkEvent, SinkItem } from '../sink.ts';
import { loadColumnInfo } from './column-info.ts';
import { readLocalStates } from './local-state.ts';
import type { LocalState } from './local-state.ts';
import { KeyResolver, UserMapper } from './key-resolver.ts';
import { NewRun } from './new-run.ts';
import { recordConflict, recordSuperseded, saveStates } from './sync-records.ts';
import { TreeWriter } from './tree-writer.ts';
import { BulkWriter } from './bulk-writer.ts';
import { RowColumns } from './row-columns.ts';

export interface MysqlSinkOptions {
  /** Local user that stands in for audit users this database does not have. */
  fallbackUserId?: number;
  /** Resources to store; all by default. */
  resources?: ResourceName[];
  /** Attempts of one transaction that hits a deadlock or lock wait timeout. */
  deadlockRetries?: number;
  /** This node's id: a state made here that comes back is not applied again (see applyInTx). */
  nodeId?: string;
}

const FK_IN_USE = 1451;

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
  private bulk!: BulkWriter;
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
    const rows = new RowColumns(await loadColumnInfo(pool), sink.keys, new UserMapper(o.fallbackUserId ?? 1));
    sink.writer = new TreeWriter(rows, sink.keys);
    sink.bulk = new BulkWriter(rows, sink.keys);
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
    const locals = await readLocalStates(conn, this.registry, this.keys, items.filter((it) => existing.has(keyOf(it.ev))).map((it) => it.ev), 'skip');
    let origin: string | null = null;
    const outcomes: ApplyOutcome[] = [];
    const states: unknown[][] = [];
    // New resources of one kind queue up and go in one INSERT per table, until something
    // needs them written first (a reference to one of them, another kind, another origin).
    const run = new NewRun(this.bulk, this.registry, referenced);
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

  /** Hash and version need only the tree: worked out while the batch is prepared, not while it is written. */
  prepareItem(it: SinkItem): void {
    digestOf(it);
  }

  /** The careful path: compares with the local state, keeps the newer, records conflicts (conflict-rule.ts). `known`: that state, read for the batch already. */
  private async applyInTx(conn: PoolConnection, it: SinkItem, known?: LocalState): Promise<ApplyOutcome> {
    const { ev, tree, rep } = it;
    const { hash, version } = digestOf(it);
    const local = known !== undefined ? known : ((await readLocalStates(conn, this.registry, this.keys, [ev], 'throw')).get(keyOf(ev)) ?? null);
    // A state this node made, come back from a parent (which serves its current state, whatever
    // entry announced it): this node has had it, and has since kept it or moved on, by its own edit
    // or by another node's state winning over it. Taking it again would record a false conflict
    // with its own later edit.
    if (local && this.o.nodeId !== undefined && ev.origin === this.o.nodeId) return 'unchanged';
    const state = [ev.resource, ev.uuid, hash, version, ev.origin];
    const { verdict, conflict } = local ? judge(local, { hash, version, origin: ev.origin }) : { verdict: 'apply' as const, conflict: false };
    if (verdict === 'unchanged') {
      if (local!.synced !== hash) await saveStates(conn, [state]);
      return 'unchanged';
    }
    if (verdict === 'keep-local') {
      await recordSuperseded(conn, ev, version, local!.version);
      if (conflict) await this.saveConflict(conn, ev, 'local', local!.rep, rep);
      return 'superseded';
    }
    if (ev.resource === 'patient' && local && isVoided(local.tree) && !isVoided(tree)) {
      const kept = await mergedInto(conn, ev.uuid);
      if (kept) throw new MergedAwayError(ev.uuid, kept);
    }
    if (conflict) await this.saveConflict(conn, ev, 'remote', local!.rep, rep);
    await this.writer.write(conn, this.registry.def(ev.resource), tree);
    await saveStates(conn, [state]);
    return conflict ? 'conflict-remote-won' : 'applied';
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

  /**
   * One transaction on this database (the subscriber's own tables included: see Sink.transaction),
   * run again on deadlock or lost connection (shared/db.ts retryingTransaction). Writes in it
   * carry their origin for the triggers (applyBatch sets it per item); the origin is always
   * cleared after: a pooled connection must not carry it into someone else's writes, and one that
   * cannot be cleared is not pooled again.
   */
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

const isVoided = (t: RowNode | null): boolean => Boolean(t && Number(t.values.voided ?? 0));

/** The patient this one was merged into here (person_merge_log), or null; a database without the log has none. */
async function mergedInto(conn: PoolConnection, uuid: string): Promise<string | null> {
  try {
    const [row] = await queryRows<{ u: string }>(
      conn,
      `SELECT w.uuid AS u FROM person_merge_log m JOIN person l ON l.person_id = m.loser_person_id JOIN person w ON w.person_id = m.winner_person_id
        WHERE l.uuid = ? AND m.voided = 0 ORDER BY m.person_merge_log_id DESC LIMIT 1`,
      [uuid],
    );
    return row?.u ?? null;
  } catch (err) {
    if ((err as { errno?: number }).errno === 1146) return null; // no such table
    throw err;
  }
}
