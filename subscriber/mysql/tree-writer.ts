// Writes one row tree (a resource and the rows it owns) into the local database, or deletes
// one, inside the caller's transaction (new ones in bulk: bulk-writer.ts). Every write is an upsert by uuid:
// INSERT ... ON DUPLICATE KEY UPDATE on the unique uuid key, so applying the
// same state twice, or after a crash half way, leaves one row with that state.
import type { PoolConnection } from '../../shared/db.ts';
import type { ResourceDef, TableSpec } from '../../shared/resources.ts';
import { MissingReferenceError } from '../errors.ts';
import type { RowNode } from '../row-tree.ts';
import type { KeyResolver } from './key-resolver.ts';
import type { ParentKey, RowColumns } from './row-columns.ts';

const FK_IN_USE = 1451;

export class TreeWriter {
  constructor(
    private readonly rows: RowColumns,
    private readonly keys: KeyResolver,
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

  private async writeRow(conn: PoolConnection, node: RowNode, parent: ParentKey | undefined, fixedKey: number | undefined): Promise<number> {
    const spec = node.spec;
    const { names, values } = await this.rows.columnsOf(conn, node, parent, fixedKey);
    if (this.rows.noUniqueUuid(spec)) return this.rows.writeByLookup(conn, spec, names, values, node.uuid);
    const [res] = await conn.query(this.rows.upsertSql(spec, names), [[values]]);
    // An explicit key is not an AUTO_INCREMENT value, so insertId would be 0 on insert.
    if (fixedKey !== undefined) return fixedKey;
    const id = Number((res as { insertId: number }).insertId);
    if (id > 0) return id;
    // An update that changed nothing does not report the key: ask for it.
    const [rows] = await conn.query(`SELECT ${spec.key} AS k FROM ${spec.table} WHERE ${spec.uuidColumn} = ?`, [node.uuid]);
    return Number((rows as Array<{ k: number }>)[0].k);
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

/** A table of (owner key, one reference) and nothing else: see PartShape 'refs'. */
const isLinkTable = (spec: TableSpec): boolean => !spec.uuidColumn && spec.refs.length === 1 && spec.refs[0].column === spec.key;

/** The inline (subclass) parts of a row: see PartShape 'inline'. */
function inlineParts(node: RowNode): RowNode['parts'] {
  return node.parts.filter((p) => !p.many && node.spec.parts.find((x) => x.prop === p.prop)?.shape === 'inline');
}

function partSpec(spec: TableSpec, prop: string): TableSpec {
  return spec.parts.find((p) => p.prop === prop)!.spec;
}
