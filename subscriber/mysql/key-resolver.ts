// Finds local rows by uuid. Integer keys never travel between nodes: every
// reference is translated to the key of the local row with the same uuid.
import { queryRows } from '../../shared/db.ts';
import type { PoolConnection, Queryable as Q } from '../../shared/db.ts';
import { RESOURCES } from '../../shared/resources.ts';
import type { ResourceDef, ResourceName } from '../../shared/resources.ts';

/** Where a resource's root key and uuid are found (patient: its person carries the uuid). */
function lookup(def: ResourceDef): { from: string; key: string; uuid: string } {
  const r = def.root;
  if (r.uuidColumn) return { from: `${r.table} r`, key: `r.${r.key}`, uuid: `r.${r.uuidColumn}` };
  const p = r.parts.find((x) => x.prop === def.uuidFromPart)!;
  return { from: `${r.table} r JOIN ${p.spec.table} u ON u.${p.parentKeyColumn} = r.${r.key}`, key: `r.${r.key}`, uuid: `u.${p.spec.uuidColumn}` };
}

/** SQL selecting the root key of a resource by its uuid, through the unique uuid index. */
function keyByUuidSql(def: ResourceDef): string {
  const l = lookup(def);
  return `SELECT ${l.key} AS k FROM ${l.from} WHERE ${l.uuid} = ?`;
}

const SQL = new Map<ResourceName, string>(Object.values(RESOURCES).map((d) => [d.name, keyByUuidSql(d)]));
/** The same lookup for a list of uuids (mysql2's query() expands the list). */
const MANY_SQL = new Map<ResourceName, string>(
  Object.values(RESOURCES).map((d) => {
    const l = lookup(d);
    return [d.name, `SELECT ${l.key} AS k, ${l.uuid} AS u FROM ${l.from} WHERE ${l.uuid} IN (?)`];
  }),
);

export class KeyResolver {
  /**
   * A row's key never changes while the row exists, so found keys are cached (bounded).
   * Deletes through the sink forget theirs; a foreign key error clears the lot.
   */
  private readonly cache = new Map<string, number>();

  constructor(private readonly maxCached = 50_000) {}

  // Cache keys are in lower case: uuid columns compare without regard to case, and CIEL's are upper case.
  async localKey(q: Q, resource: ResourceName, uuid: string, forUpdate = false): Promise<number | null> {
    const cacheable = !forUpdate;
    const ck = `${resource}/${uuid.toLowerCase()}`;
    if (cacheable) {
      const hit = this.cache.get(ck);
      if (hit !== undefined) return hit;
    }
    const rows = await queryRows<{ k: number }>(q, SQL.get(resource)! + (forUpdate ? ' FOR UPDATE' : ''), [uuid]);
    if (rows.length === 0) return null;
    const k = Number(rows[0].k);
    if (this.cache.size >= this.maxCached) this.cache.clear();
    this.cache.set(ck, k);
    return k;
  }

  /** The key of a row of a part of a resource (one of a concept's names), by that row's own uuid. */
  async partKey(q: Q, resource: ResourceName, part: string, uuid: string): Promise<number | null> {
    const spec = RESOURCES[resource].root.parts.find((p) => p.prop === part)?.spec;
    if (!spec?.uuidColumn) return null;
    const ck = `${resource}.${part}/${uuid.toLowerCase()}`;
    const hit = this.cache.get(ck);
    if (hit !== undefined) return hit;
    const rows = await queryRows<{ k: number }>(q, `SELECT ${spec.key} AS k FROM ${spec.table} WHERE ${spec.uuidColumn} = ?`, [uuid]);
    if (rows.length === 0) return null;
    const k = Number(rows[0].k);
    if (this.cache.size >= this.maxCached) this.cache.clear();
    this.cache.set(ck, k);
    return k;
  }

  /** Keys of those uuids that exist locally (keyed by the uuid in lower case), in one query per call. */
  async localKeys(q: Q, resource: ResourceName, uuids: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const ask: string[] = [];
    for (const given of uuids) {
      const u = given.toLowerCase();
      const hit = this.cache.get(`${resource}/${u}`);
      if (hit !== undefined) out.set(u, hit);
      else ask.push(u);
    }
    if (ask.length === 0) return out;
    const rows = await queryRows<{ k: number; u: string }>(q, MANY_SQL.get(resource)!, [ask]);
    for (const r of rows) {
      const u = r.u.toLowerCase();
      const k = Number(r.k);
      out.set(u, k);
      if (this.cache.size >= this.maxCached) this.cache.clear();
      this.cache.set(`${resource}/${u}`, k);
    }
    return out;
  }

  /** Locks the local rows of these uuids (FOR UPDATE) until the transaction ends; returns the uuids found (in lower case). */
  async lockKeys(conn: PoolConnection, resource: ResourceName, uuids: string[]): Promise<Set<string>> {
    if (uuids.length === 0) return new Set();
    const rows = await queryRows<{ k: number; u: string }>(conn, `${MANY_SQL.get(resource)!} FOR UPDATE`, [uuids]);
    return new Set(rows.map((r) => r.u.toLowerCase()));
  }

  /** Records the key of a row just written (the transaction's failure clears the cache). */
  remember(resource: ResourceName, uuid: string, key: number): void {
    if (this.cache.size >= this.maxCached) this.cache.clear();
    this.cache.set(`${resource}/${uuid.toLowerCase()}`, key);
  }

  forget(resource: ResourceName, uuid: string): void {
    this.cache.delete(`${resource}/${uuid.toLowerCase()}`);
  }

  clear(): void {
    this.cache.clear();
  }
}

/** Audit users: the local user with the same uuid, or the configured stand-in. */
export class UserMapper {
  private readonly cache = new Map<string, number>();
  constructor(private readonly fallbackUserId: number) {}

  async localId(q: Q, uuid: string | null): Promise<number | null> {
    if (uuid === null) return null;
    const hit = this.cache.get(uuid);
    if (hit !== undefined) return hit;
    const rows = await queryRows<{ id: number }>(q, 'SELECT user_id AS id FROM users WHERE uuid = ?', [uuid]);
    const id = rows.length > 0 ? Number(rows[0].id) : this.fallbackUserId;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(uuid, id);
    return id;
  }

  /** For columns that must name a user (creator): never null. */
  async requiredId(q: Q, uuid: string | null): Promise<number> {
    return (await this.localId(q, uuid)) ?? this.fallbackUserId;
  }
}
