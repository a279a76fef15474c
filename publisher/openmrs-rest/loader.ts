// Loads what an OpenMRS representation needs, in batches: internal `full`
// representations by uuid (shared/representation.ts, one query per table of the
// aggregate) and the rows of another resource that point at one (an encounter's
// obs). Requests made while one rendering step runs are collected and sent together
// on the next turn of the event loop, so a representation costs one batch of
// queries per level of nesting, not one per object.
import type { Pool, RowDataPacket } from '../../shared/db.ts';
import { hasColumn } from '../../shared/registry.ts';
import type { Registry } from '../../shared/registry.ts';
import { loadRepresentations } from '../../shared/representation.ts';
import type { Representation } from '../../shared/representation.ts';
import { isResourceName, tablesOf, uuidSql } from '../../shared/resources.ts';
import type { ResourceName } from '../../shared/resources.ts';
import { LIFECYCLE_COLUMNS } from '../../shared/rest-format.ts';

/** Rows of `resource` whose reference `via` points at a parent (see Source `children` in table-types.ts). */
export interface ChildrenQuery {
  resource: ResourceName;
  via: string;
  active: boolean;
  notInGroup?: string;
}

interface Batch<T> {
  keys: Set<string>;
  waiters: Array<{ key: string; resolve: (v: T) => void; reject: (e: unknown) => void }>;
}

export class RepLoader {
  private readonly reps = new Map<string, Promise<Representation | null>>();
  private readonly kids = new Map<string, Promise<string[]>>();
  private readonly repBatches = new Map<ResourceName, Batch<Representation | null>>();
  private readonly kidBatches = new Map<string, { q: ChildrenQuery; batch: Batch<string[]> }>();
  private scheduled = false;
  /** Queries sent, for tests and logs. */
  queries = 0;

  constructor(
    private readonly pool: Pool,
    readonly registry: Registry,
    private readonly baseUrl: string,
  ) {}

  /** Whether this database offers a resource (a table's `load` or a `children` source may name one it does not). */
  offers(resource: string): resource is ResourceName {
    return isResourceName(resource) && this.registry.has(resource);
  }

  /** The internal `full` representation, or null when there is none. Each uuid is loaded once per loader. */
  rep(resource: ResourceName, uuid: string): Promise<Representation | null> {
    const key = `${resource}/${uuid.toLowerCase()}`;
    let p = this.reps.get(key);
    if (!p) {
      p = new Promise((resolve, reject) => {
        let b = this.repBatches.get(resource);
        if (!b) this.repBatches.set(resource, (b = { keys: new Set(), waiters: [] }));
        b.keys.add(uuid.toLowerCase());
        b.waiters.push({ key: uuid.toLowerCase(), resolve, reject });
        this.schedule();
      });
      this.reps.set(key, p);
    }
    return p;
  }

  /** Uuids of the rows that point at `parentUuid`, in key order. */
  children(q: ChildrenQuery, parentUuid: string): Promise<string[]> {
    const qk = `${q.resource}.${q.via}.${q.active}.${q.notInGroup ?? ''}`;
    const key = `${qk}/${parentUuid.toLowerCase()}`;
    let p = this.kids.get(key);
    if (!p) {
      p = new Promise((resolve, reject) => {
        let e = this.kidBatches.get(qk);
        if (!e) this.kidBatches.set(qk, (e = { q, batch: { keys: new Set(), waiters: [] } }));
        e.batch.keys.add(parentUuid.toLowerCase());
        e.batch.waiters.push({ key: parentUuid.toLowerCase(), resolve, reject });
        this.schedule();
      });
      this.kids.set(key, p);
    }
    return p;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate runs after every pending promise continuation: a whole rendering step's requests.
    setImmediate(() => {
      this.scheduled = false;
      const reps = [...this.repBatches];
      const kids = [...this.kidBatches.values()];
      this.repBatches.clear();
      this.kidBatches.clear();
      for (const [resource, b] of reps) void this.flushReps(resource, b);
      for (const { q, batch } of kids) void this.flushChildren(q, batch);
    });
  }

  private async flushReps(resource: ResourceName, b: Batch<Representation | null>): Promise<void> {
    try {
      const def = this.registry.def(resource);
      this.queries += tablesOf(def).length;
      const found = await loadRepresentations(this.pool, def, [...b.keys], this.baseUrl, 'full');
      for (const w of b.waiters) w.resolve(found.get(w.key) ?? null);
    } catch (err) {
      for (const w of b.waiters) w.reject(err);
    }
  }

  private async flushChildren(q: ChildrenQuery, b: Batch<string[]>): Promise<void> {
    try {
      const sql = childrenSql(this.registry, q);
      const out = new Map<string, string[]>();
      if (sql) {
        this.queries++;
        const [rows] = await this.pool.query<RowDataPacket[]>(sql, [[...b.keys]]);
        for (const r of rows) {
          const k = String(r.parent).toLowerCase();
          const list = out.get(k) ?? [];
          list.push(String(r.child));
          out.set(k, list);
        }
      }
      for (const w of b.waiters) w.resolve(out.get(w.key) ?? []);
    } catch (err) {
      for (const w of b.waiters) w.reject(err);
    }
  }
}

/** The SELECT for a children query, from the registry; null when this database cannot answer it (no such reference or column). */
export function childrenSql(registry: Registry, q: ChildrenQuery): string | null {
  if (!registry.has(q.resource)) return null;
  const child = registry.def(q.resource);
  const via = child.root.refs.find((r) => r.prop === q.via);
  if (!via || !hasColumn(child.root, via.column) || !registry.has(via.resource)) return null;
  const parent = registry.def(via.resource);
  const flag = LIFECYCLE_COLUMNS[child.root.lifecycle].flag.column;
  const where = [`${uuidSql(parent, 'p')} IN (?)`];
  if (q.active && hasColumn(child.root, flag)) where.push(`c.${flag} = 0`);
  if (q.notInGroup) {
    const g = child.root.refs.find((r) => r.prop === q.notInGroup);
    if (g && hasColumn(child.root, g.column)) where.push(`c.${g.column} IS NULL`);
  }
  return `SELECT ${uuidSql(parent, 'p')} AS parent, ${uuidSql(child, 'c')} AS child
FROM ${child.root.table} c JOIN ${parent.root.table} p ON p.${parent.root.key} = c.${via.column}
WHERE ${where.join(' AND ')}
ORDER BY c.${child.root.key}`;
}
