// New resources in bulk: a run of new aggregates of one kind (patients, encounters...) or of
// single-table leaves (obs) written table by table, one multi-row INSERT per table, with one
// query for the keys the next table needs. The bulk of a catch-up goes this way (new-run.ts).
import type { PoolConnection } from '../../shared/db.ts';
import type { ResourceDef, TableSpec } from '../../shared/resources.ts';
import type { RowNode } from '../row-tree.ts';
import type { KeyResolver } from './key-resolver.ts';
import type { ParentKey, RowColumns } from './row-columns.ts';
import { RowsByColumns } from './rows-by-columns.ts';

export class BulkWriter {
  constructor(
    private readonly rows: RowColumns,
    private readonly keys: KeyResolver,
  ) {}

  /**
   * Many single-table resources (no owned rows) in one INSERT: the bulk of a catch-up is obs.
   * `wanted` picks the rows whose keys are learnt afterwards, in one query, because something
   * about to be written points at them (an obs group's members, a correction); by default all.
   * Rows not picked are found by uuid if anything needs them later.
   */
  async writeLeaves(conn: PoolConnection, def: ResourceDef, trees: RowNode[], wanted: (t: RowNode) => boolean = () => true): Promise<void> {
    if (trees.length === 0) return;
    if (def.root.parts.length > 0 || !def.root.uuidColumn) throw new Error(`${def.name} is not a single-table resource`);
    const rows = new RowsByColumns();
    for (const t of trees) {
      const c = await this.rows.columnsOf(conn, t, undefined, undefined);
      if (this.rows.noUniqueUuid(def.root)) await this.rows.writeByLookup(conn, def.root, c.names, c.values, t.uuid);
      else rows.add(c.names, c.values);
    }
    for (const [names, values] of rows.groups()) await conn.query(this.rows.upsertSql(def.root, names), [values]);
    const ask = trees.filter(wanted).map((t) => t.uuid!);
    if (ask.length > 0) await this.keys.localKeys(conn, def.name, ask);
  }

  /**
   * New aggregates (patients, encounters...) of one kind, table by table: one multi-row INSERT
   * per table for the whole run, and one query for the keys the next table needs. Only for
   * resources that do not exist here yet, so there are no stale owned rows to remove.
   */
  async writeNewAggregates(conn: PoolConnection, def: ResourceDef, trees: RowNode[]): Promise<void> {
    if (trees.length === 0) return;
    const rootKeys = new Map<RowNode, number>();
    // The part carrying the uuid first: the root shares its key (patient.patient_id = person.person_id).
    for (const p of def.root.parts.filter((x) => x.prop === def.uuidFromPart)) {
      const nodes = trees.map((t) => t.parts.find((x) => x.prop === p.prop)!.rows[0]);
      const keys = await this.insertRows(conn, p.spec, nodes.map((node) => ({ node })));
      trees.forEach((t, i) => rootKeys.set(t, keys.get(nodes[i])!));
      await this.insertOwned(conn, p.spec, nodes, keys);
    }
    const keys = def.root.uuidColumn
      ? await this.insertRows(conn, def.root, trees.map((node) => ({ node })))
      : (await this.insertRows(conn, def.root, trees.map((node) => ({ node, fixedKey: rootKeys.get(node)! }))), rootKeys);
    // Subclass rows share their root's key (drug_order.order_id = orders.order_id).
    for (const p of def.root.parts.filter((x) => x.shape === 'inline')) {
      const items = trees.flatMap((t) => (t.parts.find((x) => x.prop === p.prop)?.rows ?? []).map((node) => ({ node, fixedKey: keys.get(t)! })));
      if (items.length) await this.insertRows(conn, p.spec, items, false);
    }
    await this.insertOwned(conn, def.root, trees, keys);
    for (const t of trees) {
      const uuid = t.uuid ?? t.parts.find((x) => !x.many)?.rows[0]?.uuid;
      if (uuid) this.keys.remember(def.name, uuid, keys.get(t)!);
    }
  }

  /** The many-parts of these rows (and theirs, recursively), one INSERT per part table. */
  private async insertOwned(conn: PoolConnection, spec: TableSpec, owners: RowNode[], ownerKeys: Map<RowNode, number>): Promise<void> {
    for (const p of spec.parts.filter((x) => x.many)) {
      const items = owners.flatMap((o) =>
        (o.parts.find((x) => x.prop === p.prop)?.rows ?? []).map((node) => ({ node, parent: { column: p.parentKeyColumn, value: ownerKeys.get(o)! } })),
      );
      if (items.length === 0) continue;
      // Keys are needed only for the rows' own parts: a leaf table (names, addresses,
      // identifiers, encounter providers) is written without asking for them back.
      const hasParts = p.spec.parts.some((x) => x.many);
      const keys = await this.insertRows(conn, p.spec, items, hasParts);
      if (hasParts) await this.insertOwned(conn, p.spec, items.map((i) => i.node), keys);
    }
  }

  /** One multi-row upsert; returns each row's key (looked up by uuid, or the fixed key given), unless `wantKeys` is false. */
  private async insertRows(
    conn: PoolConnection,
    spec: TableSpec,
    items: Array<{ node: RowNode; parent?: ParentKey; fixedKey?: number }>,
    wantKeys = true,
  ): Promise<Map<RowNode, number>> {
    const out = new Map<RowNode, number>();
    if (this.rows.noUniqueUuid(spec)) {
      for (const it of items) {
        const c = await this.rows.columnsOf(conn, it.node, it.parent, it.fixedKey);
        out.set(it.node, await this.rows.writeByLookup(conn, spec, c.names, c.values, it.node.uuid));
      }
      return out;
    }
    const groups = new RowsByColumns();
    for (const it of items) {
      const c = await this.rows.columnsOf(conn, it.node, it.parent, it.fixedKey);
      groups.add(c.names, c.values);
    }
    for (const [names, values] of groups.groups()) await conn.query(this.rows.upsertSql(spec, names), [values]);
    if (!wantKeys) return out;
    if (!spec.uuidColumn) {
      for (const it of items) out.set(it.node, it.fixedKey!);
      return out;
    }
    const [found] = await conn.query(`SELECT ${spec.key} AS k, ${spec.uuidColumn} AS u FROM ${spec.table} WHERE ${spec.uuidColumn} IN (?)`, [
      items.map((i) => i.node.uuid),
    ]);
    const byUuid = new Map((found as Array<{ k: number; u: string }>).map((r) => [r.u.toLowerCase(), Number(r.k)]));
    for (const it of items) out.set(it.node, byUuid.get(it.node.uuid!.toLowerCase())!);
    return out;
  }
}
