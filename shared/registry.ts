// The registry as one database holds it. Databases that OpenMRS created years ago
// differ from the tables `migrate` creates: some metadata tables have no change audit
// (concept_datatype has no changed_by/date_changed), older versions lack newer columns
// (obs.status, patient.allergy_status), and a table may be missing altogether. A
// Registry is the declared registry fitted to the columns one database really has:
// - a column the table lacks is kept in the entry but marked absent: it is read as NULL
//   (so the representation keeps OpenMRS's shape, as OpenMRS itself shows an unmapped
//   audit field as null), carried as NULL in row trees and content hashes, and never written;
// - a part whose table is missing (or lacks its key, uuid or parent key) is dropped;
// - a resource whose root table is missing is not offered by this database.
// Publisher, subscriber, triggers, snapshot and verify each work from the Registry of
// the database they touch, so nothing ever names a column that is not there.
import { queryRows } from './db.ts';
import type { Queryable } from './db.ts';
import { RESOURCE_NAMES, RESOURCES, tablesOf } from './resources.ts';
import type { Part, ResourceDef, ResourceName, TableSpec } from './resources.ts';
import { AUDIT_COLUMNS, LIFECYCLE_COLUMNS } from './rest-format.ts';

export interface Registry {
  /** The resources this database offers, in the registry's (dependency) order. */
  readonly names: readonly ResourceName[];
  /** Registry columns this database lacks, as `table.column`. */
  readonly absentColumns: readonly string[];
  /** Registry tables this database lacks (their parts or resources are left out). */
  readonly missingTables: readonly string[];
  has(name: ResourceName): boolean;
  /** The entry as this database holds it; throws for a resource it does not offer. */
  def(name: ResourceName): ResourceDef;
}

/** Table name -> its column names, as information_schema lists them. */
export type SchemaColumns = ReadonlyMap<string, ReadonlySet<string>>;

/** The registry each entry was fitted in, so an entry can find the entries it refers to as the same database holds them. */
const HOME = new WeakMap<ResourceDef, Registry>();

class FittedRegistry implements Registry {
  readonly names: readonly ResourceName[];
  constructor(
    private readonly defs: ReadonlyMap<ResourceName, ResourceDef>,
    readonly absentColumns: readonly string[],
    readonly missingTables: readonly string[],
  ) {
    this.names = RESOURCE_NAMES.filter((n) => defs.has(n));
    for (const d of defs.values()) if (!HOME.has(d)) HOME.set(d, this);
  }
  has(name: ResourceName): boolean {
    return this.defs.has(name);
  }
  def(name: ResourceName): ResourceDef {
    const d = this.defs.get(name);
    if (!d) throw new Error(`this database has no table for resource "${name}"`);
    return d;
  }
}

/** The registry as declared: what `migrate` creates, every column present. */
export const DECLARED_REGISTRY: Registry = new FittedRegistry(new Map(RESOURCE_NAMES.map((n) => [n, RESOURCES[n]])), [], []);

/** Columns an entry cannot do without: its key, its own uuid, and the key of its owner. */
function structural(spec: TableSpec, part?: Part): string[] {
  return [spec.key, ...(spec.uuidColumn ? [spec.uuidColumn] : []), ...(part ? [part.parentKeyColumn] : [])];
}

/** Every other column the entry reads: fields, references, audit and lifecycle. */
export function entryColumns(spec: TableSpec): string[] {
  const lc = LIFECYCLE_COLUMNS[spec.lifecycle];
  return [
    ...spec.fields.map((f) => f.column),
    ...spec.refs.map((r) => r.column),
    AUDIT_COLUMNS.creator.column,
    AUDIT_COLUMNS.dateCreated.column,
    ...(spec.changeAudit ? [AUDIT_COLUMNS.changedBy.column, AUDIT_COLUMNS.dateChanged.column] : []),
    lc.flag.column,
    lc.by.column,
    lc.date.column,
    lc.reason.column,
  ];
}

/**
 * Fits the declared registry to a schema (pure). Entries that need no change are the
 * declared objects themselves, so a database `migrate` created gets the declared registry back.
 * A reference to a resource this database does not offer (obs.value_drug where there is no
 * drug table) reads as NULL like a missing column: there is nothing here it could point at.
 */
export function fitRegistry(schema: SchemaColumns): Registry {
  const absentColumns: string[] = [];
  const missingTables: string[] = [];
  const hasTable = (spec: TableSpec, part?: Part) => {
    const cols = schema.get(spec.table);
    return Boolean(cols) && structural(spec, part).every((c) => cols!.has(c));
  };
  // First which resources this database offers: their root table, and the part carrying the uuid.
  const offered = new Set<ResourceName>(
    RESOURCE_NAMES.filter((name) => {
      const def = RESOURCES[name];
      if (!hasTable(def.root)) return false;
      const up = def.uuidFromPart ? def.root.parts.find((p) => p.prop === def.uuidFromPart) : undefined;
      return !up || hasTable(up.spec, up);
    }),
  );

  const fitTable = (spec: TableSpec, part?: Part): TableSpec | null => {
    if (!hasTable(spec, part)) {
      missingTables.push(spec.table);
      return null;
    }
    const cols = schema.get(spec.table)!;
    const absent = new Set(entryColumns(spec).filter((c) => !cols.has(c)));
    for (const c of absent) if (!spec.absent?.has(c)) absentColumns.push(`${spec.table}.${c}`);
    for (const r of spec.refs) if (!offered.has(r.resource)) absent.add(r.column);
    const parts: Part[] = [];
    for (const p of spec.parts) {
      const fitted = fitTable(p.spec, p);
      if (fitted) parts.push(fitted === p.spec ? p : { ...p, spec: fitted });
    }
    const sameAbsent = absent.size === (spec.absent?.size ?? 0) && [...absent].every((c) => spec.absent?.has(c));
    if (sameAbsent && parts.length === spec.parts.length && parts.every((p, i) => p === spec.parts[i])) return spec;
    return { ...spec, parts, absent: absent.size ? absent : undefined };
  };

  const defs = new Map<ResourceName, ResourceDef>();
  for (const name of RESOURCE_NAMES) {
    if (!offered.has(name)) {
      missingTables.push(RESOURCES[name].root.table);
      continue;
    }
    const def = RESOURCES[name];
    const root = fitTable(def.root)!;
    defs.set(name, root === def.root ? def : { ...def, root });
  }
  // An entry kept as declared whose references lead to entries fitted differently gets its own
  // copy, so that targetOf() finds those fitted entries (their labels may name other columns).
  for (const [name, def] of defs) {
    if (def !== RESOURCES[name]) continue;
    const targets = tablesOf(def).flatMap((t) => t.spec.refs.map((r) => r.resource));
    if (targets.some((t) => defs.get(t) !== RESOURCES[t])) defs.set(name, { ...def });
  }
  return new FittedRegistry(defs, absentColumns, [...new Set(missingTables)]);
}

/** The columns of the registry's tables in the connected database. */
export async function readSchemaColumns(db: Queryable): Promise<SchemaColumns> {
  const rows = await queryRows<{ t: string; c: string }>(
    db,
    'SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()',
  );
  const out = new Map<string, Set<string>>();
  for (const r of rows) {
    let set = out.get(r.t);
    if (!set) out.set(r.t, (set = new Set()));
    set.add(r.c);
  }
  return out;
}

/** The registry fitted to the connected database. */
export async function loadRegistry(db: Queryable): Promise<Registry> {
  return fitRegistry(await readSchemaColumns(db));
}

/** The entry a reference of `def` points at, as the database `def` was fitted to holds it. */
export function targetOf(def: ResourceDef, resource: ResourceName): ResourceDef {
  const home = HOME.get(def) ?? DECLARED_REGISTRY;
  return home.has(resource) ? home.def(resource) : RESOURCES[resource];
}

/** Whether the database `def` was fitted to offers that resource. */
export function offers(def: ResourceDef, resource: ResourceName): boolean {
  return (HOME.get(def) ?? DECLARED_REGISTRY).has(resource);
}

/** Whether an entry's column exists in its database. */
export const hasColumn = (spec: TableSpec, column: string): boolean => !spec.absent?.has(column);

/** The label SQL of a resource as one database holds it (labels may name columns an older OpenMRS lacks). */
export const displaySql = (def: ResourceDef, alias: string): string => def.display(alias, (c) => hasColumn(def.root, c));
