// One row of a row tree as SQL: its column names and values (references translated to this
// database's keys, audit users mapped, each value checked against its column), the upsert by
// uuid, and the lookup-then-write for tables whose uuid is no unique key. TreeWriter writes one
// aggregate with it, BulkWriter many new ones.
import type { PoolConnection } from '../../shared/db.ts';
import type { TableSpec } from '../../shared/resources.ts';
import { InvalidResourceError, MissingReferenceError } from '../errors.ts';
import type { RowNode } from '../row-tree.ts';
import { misfit } from './column-info.ts';
import type { ColumnMap } from './column-info.ts';
import type { KeyResolver, UserMapper } from './key-resolver.ts';

/** The owner's key a many-part row carries (person_name.person_id). */
export interface ParentKey {
  column: string;
  value: number;
}

export class RowColumns {
  constructor(
    private readonly columns: ColumnMap,
    private readonly keys: KeyResolver,
    private readonly users: UserMapper,
  ) {}

  /** Column names and values of one row, references translated to local keys. */
  async columnsOf(conn: PoolConnection, node: RowNode, parent: ParentKey | undefined, fixedKey: number | undefined) {
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

  /** Rows with these columns upserted by their unique uuid key: INSERT ... ON DUPLICATE KEY UPDATE. */
  upsertSql(spec: TableSpec, names: string[]): string {
    const updates = names.filter((c) => c !== spec.uuidColumn && c !== spec.key).map((c) => `${c} = VALUES(${c})`);
    updates.push(`${spec.key} = LAST_INSERT_ID(${spec.key})`); // makes insertId the row's key on update too
    return `INSERT INTO ${spec.table} (${names.join(', ')}) VALUES ? ON DUPLICATE KEY UPDATE ${updates.join(', ')}`;
  }

  /**
   * The uuid column is not a unique key here (OpenMRS builds allergy and allergy_reaction without
   * one): ON DUPLICATE KEY cannot find the row, so it is looked up by uuid instead.
   */
  noUniqueUuid(spec: TableSpec): boolean {
    return Boolean(spec.uuidColumn) && this.columns.get(spec.table)?.get(spec.uuidColumn!)?.unique !== true;
  }

  /** Update-or-insert by uuid without a unique key: the row is locked while it is looked for. */
  async writeByLookup(conn: PoolConnection, spec: TableSpec, names: string[], values: unknown[], uuid: string | null): Promise<number> {
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
}
