// Which tables and columns the database really has. The seed plans the same
// history everywhere (so a seed stays deterministic), and writes what the
// schema can hold: a table an older OpenMRS lacks (encounter_diagnosis before
// 2.2) is skipped, a column it names differently is written under its name
// there, and a column it lacks is left out.
import { queryRows } from '../../shared/db.ts';
import type { Pool, PoolConnection } from '../../shared/db.ts';

/** Our (OpenMRS 2.4) column -> its name in older OpenMRS versions. */
const OLDER_NAMES: Record<string, Record<string, string>> = {
  allergy: { comments: 'comment' }, // before 2.3
  concept_numeric: { allow_decimal: 'precise' }, // before 2.2
  // Before 2.2, `conditions` was emrapi's table, with these names and the same status values.
  conditions: { clinical_status: 'status', condition_coded: 'concept_id', previous_version: 'previous_condition_id' },
};

/** How one insert's columns land in a table: the names to write, and which of ours each one takes. */
export interface ColumnPlan {
  names: string[];
  /** Index into our column list for each name written. */
  from: number[];
}

export class SchemaShape {
  constructor(private readonly tables: Map<string, Set<string>>) {}

  static async read(db: Pool | PoolConnection): Promise<SchemaShape> {
    const rows = await queryRows<{ t: string; c: string }>(
      db,
      'SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()',
    );
    const tables = new Map<string, Set<string>>();
    for (const r of rows) {
      let cols = tables.get(r.t);
      if (!cols) tables.set(r.t, (cols = new Set()));
      cols.add(r.c);
    }
    return new SchemaShape(tables);
  }

  /** A shape that has every table and column asked about (for callers that know their schema). */
  static everything(): SchemaShape {
    return new EverythingShape();
  }

  has(table: string): boolean {
    return this.tables.has(table);
  }

  hasColumn(table: string, column: string): boolean {
    return this.tables.get(table)?.has(column) ?? false;
  }

  /** The columns of `columns` this table can take, under its names; null when the table is absent. */
  plan(table: string, columns: readonly string[]): ColumnPlan | null {
    if (!this.has(table)) return null;
    const names: string[] = [];
    const from: number[] = [];
    columns.forEach((c, i) => {
      const bare = c.replace(/`/g, '');
      const older = OLDER_NAMES[table]?.[bare];
      const name = this.hasColumn(table, bare) ? c : older && this.hasColumn(table, older) ? older : null;
      if (name === null) return;
      names.push(name);
      from.push(i);
    });
    return { names, from };
  }
}

class EverythingShape extends SchemaShape {
  constructor() {
    super(new Map());
  }
  override has(): boolean {
    return true;
  }
  override hasColumn(): boolean {
    return true;
  }
}
