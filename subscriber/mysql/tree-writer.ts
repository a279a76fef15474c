// Writes a row tree (a resource and the rows it owns) into the local database,
// inside the caller's transaction. Every write is an upsert by uuid:
// INSERT ... ON DUPLICATE KEY UPDATE on the unique uuid key, so applying the
// same state twice, or after a crash half way, leaves one row with that state.
import type { PoolConnection } from '../../shared/db.ts';
import type { ResourceDef, TableSpec } from '../../shared/resources.ts';
import { InvalidResourceError, MissingReferenceError } from '../errors.ts';
import type { RowNode } from '../row-tree.ts';
import { misfit } from './column-info.ts';
import type { ColumnMap } from './column-info.ts';
import type { KeyResolver, UserMapper } from './key-resolver.ts';
import { RowsByColumns } from './rows-by-columns.ts';

const FK_IN_USE = 1451;

export class TreeWriter {
  constructor(
    private readonly columns: ColumnMap,
    private readonly keys: KeyResolver,
    private readonly users: UserMapper,
  ) {}

  /** Writes the aggregate; returns the local key of its root row. */
  async write(conn: PoolConnection, def: ResourceDef, tree: RowNode): Promise<number> {
    // The part carrying the uuid first: the root shares its key (patient.patient_id = person.person_id).
    let sharedKey: number | undefined;
    for (const p of tree.parts.filter((x) => x.prop === def.uuidFromPart)) {
      sharedKey = await this.writeWithParts(conn, p.rows[0], undefined, undefined);
    }
    const rootKey = await this.writeRow(conn, tree, undefined, sharedKey);
    // Subclass rows after it: they share the root's key (drug_order.order_id = orders.order_id).
    for (const p of inlineParts(tree)) for (const row of p.rows) await this.writeRow(conn, row, undefined, rootKey);
    await this.writeManyParts(conn, tree, rootKey);
    const uuid = tree.uuid ?? tree.parts.find((p) => !p.many)?.rows[0]?.uuid;
    if (uuid) this.keys.remember(def.name, uuid, rootKey);
    return rootKey;
  }

  private async writeWithParts(conn: PoolConnection, node: RowNode, parent: ParentKey | undefined, fixedKey: number | undefined) {
    const key = await this.writeRow(conn, node, parent, fixedKey);
    await this.writeManyParts(conn, node, key);
    return key;
  }

  private async writeManyParts(conn: PoolConnection, node: RowNode, key: number): Promise<void> {
    for (const p of node.parts.filter((x) => x.many)) {
      const spec = partSpec(node.spec, p.prop);
      if (isLinkTable(spec)) {
        await this.writeLinks(conn, spec, p.parentKeyColumn, key, p.rows);
        continue;
      }
      for (const row of p.rows) await this.writeWithParts(conn, row, { column: p.parentKeyColumn, value: key }, undefined);
      await this.dropStaleParts(conn, p.rows[0]?.spec ?? partSpec(node.spec, p.prop), p.parentKeyColumn, key, p.rows);
    }
  }

  /**
   * A link table's rows for one owner (a location's tags): exactly the references given.
   * Each row is its two keys, so it is inserted if missing and the others are removed.
   */
  private async writeLinks(conn: PoolConnection, spec: TableSpec, parentColumn: string, key: number, rows: RowNode[]): Promise<void> {
    const ref = spec.refs[0];
    const targets: number[] = [];
    for (const row of rows) {
      const to = row.refs[ref.column]!;
      const k = await this.keys.localKey(conn, to.resource, to.uuid);
      if (k === null) throw new MissingReferenceError(to.resource, to.uuid);
      targets.push(k);
    }
    if (targets.length) {
      await conn.query(`INSERT IGNORE INTO ${spec.table} (${parentColumn}, ${ref.column}) VALUES ?`, [targets.map((t) => [key, t])]);
    }
    const sql = `DELETE FROM ${spec.table} WHERE ${parentColumn} = ?` + (targets.length ? ` AND ${ref.column} NOT IN (?)` : '');
    await conn.query(sql, targets.length ? [key, targets] : [key]);
  }

  /** Owned rows the origin no longer has are removed, unless something still points at them. */
  private async dropStaleParts(conn: PoolConnection, spec: TableSpec, parentColumn: string, key: number, keep: RowNode[]) {
    if (!spec.uuidColumn) return;
    const uuids = keep.map((r) => r.uuid);
    const sql =
      `DELETE FROM ${spec.table} WHERE ${parentColumn} = ?` + (uuids.length ? ` AND ${spec.uuidColumn} NOT IN (?)` : '');
    try {
      await conn.query(sql, uuids.length ? [key, uuids] : [key]);
    } catch (err) {
      if ((err as { errno?: number }).errno !== FK_IN_USE) throw err;
    }
  }

  /** Column names and values of one row, references translated to local keys. */
  private async columnsOf(conn: PoolConnection, node: RowNode, parent: ParentKey | undefined, fixedKey: number | undefined) {
    const spec = node.spec;
    const cols = this.columns.get(spec.table);
    const names: string[] = [];
    const values: unknown[] = [];
    if (fixedKey !== undefined) this.put(cols, node, names, values, spec.key, fixedKey);
    if (parent) this.put(cols, node, names, values, parent.column, parent.value);
    if (spec.uuidColumn) this.put(cols, node, names, values, spec.uuidColumn, node.uuid);
    for (const c in node.values) this.put(cols, node, names, values, c, node.values[c]);
    for (const c in node.refs) {
      const ref = node.refs[c];
      if (ref === null) {
        this.put(cols, node, names, values, c, null);
        continue;
      }
      const k = ref.part ? await this.keys.partKey(conn, ref.resource, ref.part, ref.uuid) : await this.keys.localKey(conn, ref.resource, ref.uuid);
      if (k === null) throw new MissingReferenceError(ref.part ? `${ref.resource} ${ref.part}` : ref.resource, ref.uuid);
      this.put(cols, node, names, values, c, k);
    }
    for (const c in node.users) {
      const uuid = node.users[c];
      this.put(cols, node, names, values, c, c === 'creator' ? await this.users.requiredId(conn, uuid) : await this.users.localId(conn, uuid));
    }
    return { names, values };
  }

  /** Adds one column, refusing a value the local column cannot hold. (A method, not a closure per row: a catch-up writes tens of thousands.) */
  private put(cols: ReturnType<ColumnMap['get']>, node: RowNode, names: string[], values: unknown[], c: string, v: unknown): void {
    if (node.spec.absent?.has(c)) return; // this database's table has no such column (shared/registry.ts)
    const why = misfit(cols?.get(c), v);
    if (why) throw new InvalidResourceError(`${node.spec.table}.${c} is too long: ${why}`, node.spec.table, node.uuid ?? '');
    names.push(c);
    values.push(v);
  }

  private upsertSql(spec: TableSpec, names: string[]): string {
    const updates = names.filter((c) => c !== spec.uuidColumn && c !== spec.key).map((c) => `${c} = VALUES(${c})`);
    updates.push(`${spec.key} = LAST_INSERT_ID(${spec.key})`); // makes insertId the row's key on update too
    return `INSERT INTO ${spec.table} (${names.join(', ')}) VALUES ? ON DUPLICATE KEY UPDATE ${updates.join(', ')}`;
  }

  /**
   * The uuid column is not a unique key here (OpenMRS builds allergy and allergy_reaction without
   * one): ON DUPLICATE KEY cannot find the row, so it is looked up by uuid instead.
   */
  private noUniqueUuid(spec: TableSpec): boolean {
    return Boolean(spec.uuidColumn) && this.columns.get(spec.table)?.get(spec.uuidColumn!)?.unique !== true;
  }

  /** Update-or-insert by uuid without a unique key: the row is locked while it is looked for. */
  private async writeByLookup(conn: PoolConnection, spec: TableSpec, names: string[], values: unknown[], uuid: string | null): Promise<number> {
    const [found] = await conn.query(`SELECT ${spec.key} AS k FROM ${spec.table} WHERE ${spec.uuidColumn} = ? ORDER BY ${spec.key} LIMIT 1 FOR UPDATE`, [uuid]);
    const existing = (found as Array<{ k: number }>)[0];
    if (existing) {
      const sets = names.filter((c) => c !== spec.key && c !== spec.uuidColumn);
      if (sets.length) {
        await conn.query(`UPDATE ${spec.table} SET ${sets.map((c) => `${c} = ?`).join(', ')} WHERE ${spec.key} = ?`, [
          ...sets.map((c) => values[names.indexOf(c)]),
          existing.k,
        ]);
      }
      return Number(existing.k);
    }
    const [res] = await conn.query(`INSERT INTO ${spec.table} (${names.join(', ')}) VALUES ?`, [[values]]);
    return Number((res as { insertId: number }).insertId);
  }

  private async writeRow(conn: PoolConnection, node: RowNode, parent: ParentKey | undefined, fixedKey: number | undefined): Promise<number> {
    const spec = node.spec;
    const { names, values } = await this.columnsOf(conn, node, parent, fixedKey);
    if (this.noUniqueUuid(spec)) return this.writeByLookup(conn, spec, names, values, node.uuid);
    const [res] = await conn.query(this.upsertSql(spec, names), [[values]]);
    // An explicit key is not an AUTO_INCREMENT value, so insertId would be 0 on insert.
    if (fixedKey !== undefined) return fixedKey;
    const id = Number((res as { insertId: number }).insertId);
    if (id > 0) return id;
    // An update that changed nothing does not report the key: ask for it.
    const [rows] = await conn.query(`SELECT ${spec.key} AS k FROM ${spec.table} WHERE ${spec.uuidColumn} = ?`, [node.uuid]);
    return Number((rows as Array<{ k: number }>)[0].k);
  }

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
      const c = await this.columnsOf(conn, t, undefined, undefined);
      if (this.noUniqueUuid(def.root)) await this.writeByLookup(conn, def.root, c.names, c.values, t.uuid);
      else rows.add(c.names, c.values);
    }
    for (const [names, values] of rows.groups()) await conn.query(this.upsertSql(def.root, names), [values]);
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
    if (this.noUniqueUuid(spec)) {
      for (const it of items) {
        const c = await this.columnsOf(conn, it.node, it.parent, it.fixedKey);
        out.set(it.node, await this.writeByLookup(conn, spec, c.names, c.values, it.node.uuid));
      }
      return out;
    }
    const groups = new RowsByColumns();
    for (const it of items) {
      const c = await this.columnsOf(conn, it.node, it.parent, it.fixedKey);
      groups.add(c.names, c.values);
    }
    for (const [names, values] of groups.groups()) await conn.query(this.upsertSql(spec, names), [values]);
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

  /** Deletes the aggregate, owned rows first. Throws the FK error when other rows still point at it. */
  async delete(conn: PoolConnection, def: ResourceDef, rootKey: number): Promise<void> {
    await this.deleteManyParts(conn, def.root, rootKey);
    for (const p of def.root.parts.filter((x) => x.shape === 'inline')) {
      await conn.query(`DELETE FROM ${p.spec.table} WHERE ${p.spec.key} = ?`, [rootKey]);
    }
    await conn.query(`DELETE FROM ${def.root.table} WHERE ${def.root.key} = ?`, [rootKey]);
    for (const p of def.root.parts.filter((x) => !x.many && x.shape !== 'inline')) {
      await this.deleteManyParts(conn, p.spec, rootKey);
      await conn.query(`DELETE FROM ${p.spec.table} WHERE ${p.spec.key} = ?`, [rootKey]);
    }
  }

  private async deleteManyParts(conn: PoolConnection, spec: TableSpec, key: number): Promise<void> {
    for (const p of spec.parts.filter((x) => x.many)) {
      if (p.spec.parts.length > 0) {
        const [rows] = await conn.query(`SELECT ${p.spec.key} AS k FROM ${p.spec.table} WHERE ${p.parentKeyColumn} = ?`, [key]);
        for (const r of rows as Array<{ k: number }>) await this.deleteManyParts(conn, p.spec, Number(r.k));
      }
      await conn.query(`DELETE FROM ${p.spec.table} WHERE ${p.parentKeyColumn} = ?`, [key]);
    }
  }
}

interface ParentKey {
  column: string;
  value: number;
}

/** A table of (owner key, one reference) and nothing else: see PartShape 'refs'. */
const isLinkTable = (spec: TableSpec): boolean => !spec.uuidColumn && spec.refs.length === 1 && spec.refs[0].column === spec.key;

/** The inline (subclass) parts of a row: see PartShape 'inline'. */
function inlineParts(node: RowNode): RowNode['parts'] {
  return node.parts.filter((p) => !p.many && node.spec.parts.find((x) => x.prop === p.prop)?.shape === 'inline');
}

function partSpec(spec: TableSpec, prop: string): TableSpec {
  return spec.parts.find((p) => p.prop === prop)!.spec;
}
