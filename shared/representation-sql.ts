// Compiles a registry entry into the SELECTs that load its representation: one
// query per table of the aggregate, each finding its rows from the resource's
// uuid through the unique uuid index, with every reference and audit user
// LEFT JOINed in. Queries do not depend on each other, so they run at once.
// Compiled once per ResourceDef and cached.
import { AUDIT_COLUMNS, LIFECYCLE_COLUMNS } from './rest-format.ts';
import { displaySql as rootDisplaySql, hasColumn, offers, targetOf } from './registry.ts';
import { tablesOf, uuidSql } from './resources.ts';
import type { Field, FieldType, Part, ResourceDef, ResourceName, TableSpec } from './resources.ts';

/**
 * A part table may declare its own label SQL (given its alias). The registry does not
 * have this yet; when it does, it is used, otherwise the label is derived from the row.
 */
export interface FieldColumn {
  col: string;
  prop: string;
  type: FieldType;
  /** For a value that is a reference by its attribute type's format: the columns holding the target's resource name, uuid and label. */
  byFormat?: { resourceCol: string; uuidCol: string; displayCol: string };
}

export interface RefColumn {
  prop: string;
  resource: ResourceName;
  /** A row of this part of the resource (Ref.part): shown as `{uuid, display}`, with no link of its own. */
  part?: string;
  uuidCol: string;
  displayCol: string;
}

export interface UserColumn {
  prop: string;
  uuidCol: string;
  displayCol: string;
}

export interface TableQuery {
  spec: TableSpec;
  /** Parts from the root down to this table; empty for the root. */
  path: Part[];
  /** The part this table is (undefined for the root). */
  part?: Part;
  /** Index (in `tables`) of the table whose rows own this one's; -1 for the root. */
  parentIndex: number;
  /** One `?`: the resource's uuid. Rows come ordered by key. */
  sql: string;
  /** One `?`: a list of uuids (for mysql2's query(), which expands arrays). */
  batchSql: string;
  fields: FieldColumn[];
  refs: RefColumn[];
  /** creator, changedBy (with changeAudit), voidedBy or retiredBy. */
  users: UserColumn[];
  /** A `_display` column is selected (root, or a part that declares its label). */
  hasDisplay: boolean;
  /** Labels are selected at all (false for `v=sync`: no `_display`, and no label columns for references and users). */
  labels: boolean;
}

export interface CompiledRepresentation {
  def: ResourceDef;
  /** Display labels and links are included (`v=full`); without them, `v=sync`. */
  labels: boolean;
  /** Root first, every parent before its parts (the order of `tablesOf`). */
  tables: TableQuery[];
}

// Fixed column aliases. Field, ref and user columns are numbered, so no prop can collide with them.
export const COL = {
  key: '_key',
  parent: '_parent',
  uuid: '_uuid',
  display: '_display',
  flag: '_flag',
  reason: '_reason',
  created: '_created',
  changed: '_changed',
  ended: '_ended',
} as const;

// Table aliases start with `ax_` so they cannot shadow the short aliases the registry's
// display and uuid SQL use inside their subqueries (u, pi, pn, cn, vt, l, et).
const SELF = 'ax_t';
const ROOT = 'ax_root';
const UUID_PART = 'ax_uuid';

function uuidPart(def: ResourceDef): Part {
  const p = def.root.parts.find((x) => x.prop === def.uuidFromPart);
  if (!p || p.many || !p.spec.uuidColumn) {
    throw new Error(`resource ${def.name}: uuidFromPart "${def.uuidFromPart}" must name a one-to-one part with a uuid column`);
  }
  return p;
}

/**
 * FROM and WHERE that select the rows of the table at `path` belonging to the resource
 * with a given uuid. Joins climb from the table to the root (each part points at its
 * parent's key), and the uuid is matched on its own unique index: the root's uuid column,
 * or for a root without one (patient) the uuid column of the part that carries it (person).
 */
function scope(def: ResourceDef, path: Part[]): { from: string; where: string; uuidExpr: string } {
  const leaf = path.length ? path[path.length - 1].spec : def.root;
  let from = `${leaf.table} ${SELF}`;
  let child = SELF;
  for (let i = path.length - 1; i >= 0; i--) {
    const parent = i === 0 ? def.root : path[i - 1].spec;
    const alias = i === 0 ? ROOT : `ax_p${i - 1}`;
    from += `\n  JOIN ${parent.table} ${alias} ON ${alias}.${parent.key} = ${child}.${path[i].parentKeyColumn}`;
    child = alias;
  }
  const root = child;
  if (def.root.uuidColumn) {
    const uuidExpr = `${root}.${def.root.uuidColumn}`;
    return { from, where: `${uuidExpr} = ?`, uuidExpr };
  }
  const up = uuidPart(def);
  from += `\n  JOIN ${up.spec.table} ${UUID_PART} ON ${UUID_PART}.${up.parentKeyColumn} = ${root}.${def.root.key}`;
  const uuidExpr = `${UUID_PART}.${up.spec.uuidColumn}`;
  return { from, where: `${uuidExpr} = ?`, uuidExpr };
}

/** OpenMRS shows a user as its username, or its system id when it has none. */
const userDisplay = (a: string) => `COALESCE(NULLIF(${a}.username, ''), ${a}.system_id)`;

/** The SELECT list and LEFT JOINs of one table's query, built up column by column. */
interface QueryParts {
  select: string[];
  joins: string[];
  /** Labels are selected (see TableQuery.labels). */
  labels: boolean;
}

// Two columns may hold one property under the names of different OpenMRS versions
// (concept_numeric.precise / allow_decimal): the one this database has is shown.
const shadowed = <T extends { column: string; prop: string }>(spec: TableSpec, all: T[], x: T) =>
  !hasColumn(spec, x.column) && all.some((g) => g !== x && g.prop === x.prop && hasColumn(spec, g.column));

/** A reference's uuid and (with labels) display columns, `${name}u` and `${name}d`; NULL when there is no target. */
function selectReference(q: QueryParts, name: string, uuidExpr: string, displayExpr: string): void {
  q.select.push(`${uuidExpr} AS ${name}u`);
  if (q.labels) q.select.push(`${displayExpr} AS ${name}d`);
}

function compileTable(def: ResourceDef, path: Part[], parentIndex: number, labels: boolean): TableQuery {
  const spec = path.length ? path[path.length - 1].spec : def.root;
  const part = path[path.length - 1];
  const { from, where, uuidExpr } = scope(def, path);
  const q: QueryParts = { select: [`${SELF}.${spec.key} AS ${COL.key}`], joins: [], labels };

  if (part) q.select.push(`${SELF}.${part.parentKeyColumn} AS ${COL.parent}`);
  if (!part) q.select.push(`${uuidExpr} AS ${COL.uuid}`);
  else if (spec.uuidColumn) q.select.push(`${SELF}.${spec.uuidColumn} AS ${COL.uuid}`);

  const declared = spec.display;
  const displaySql = !labels ? undefined : !part ? rootDisplaySql(def, SELF) : declared?.(SELF);
  if (displaySql) q.select.push(`${displaySql} AS ${COL.display}`);

  const fields = fieldColumns(def, spec, q);
  const refs = refColumns(def, spec, q);
  const users = userColumns(spec, q);
  lifecycleColumns(spec, q);

  const head = `SELECT ${q.select.join(',\n  ')}\nFROM ${from}` + (q.joins.length ? `\n  ${q.joins.join('\n  ')}` : '');
  const sql = `${head}\nWHERE ${where}\nORDER BY ${SELF}.${spec.key}`;
  const batchSql = `${head}\nWHERE ${uuidExpr} IN (?)\nORDER BY ${SELF}.${spec.key}`;
  return { spec, path, part, parentIndex, sql, batchSql, fields, refs, users, hasDisplay: Boolean(displaySql), labels };
}

// A column this database's table lacks (see shared/registry.ts) reads as NULL.
const column = (spec: TableSpec, c: string) => (hasColumn(spec, c) ? `${SELF}.${c}` : 'NULL');

function fieldColumns(def: ResourceDef, spec: TableSpec, q: QueryParts): FieldColumn[] {
  return spec.fields.filter((f) => !shadowed(spec, spec.fields, f)).map((f, i): FieldColumn => {
    // MariaDB sends a DOUBLE column to clients rounded to 15 digits (9.899999999999999 arrives
    // as 9.9); as text it gives the shortest exact form, so the value crosses nodes unchanged.
    const expr = f.type === 'number' && hasColumn(spec, f.column) ? `CAST(${SELF}.${f.column} AS CHAR)` : column(spec, f.column);
    q.select.push(`${expr} AS f${i}`);
    const out: FieldColumn = { col: `f${i}`, prop: f.prop, type: f.type };
    if (f.byFormat && hasColumn(spec, f.column) && hasColumn(spec, f.byFormat.typeColumn)) {
      out.byFormat = formatColumns(def, f, i, q);
    }
    return out;
  });
}

function refColumns(def: ResourceDef, spec: TableSpec, q: QueryParts): RefColumn[] {
  return spec.refs.filter((r) => !shadowed(spec, spec.refs, r)).map((r, i): RefColumn => {
    const target = targetOf(def, r.resource);
    const a = `ax_r${i}`;
    const partSpec = r.part ? target.root.parts.find((p) => p.prop === r.part)?.spec : undefined;
    if (r.part && hasColumn(spec, r.column) && partSpec?.uuidColumn) {
      // A row of another resource's part (one of a concept's names): its own uuid, its name as the label.
      q.joins.push(`LEFT JOIN ${partSpec.table} ${a} ON ${a}.${partSpec.key} = ${SELF}.${r.column}`);
      selectReference(q, `r${i}`, `${a}.${partSpec.uuidColumn}`, partSpec.fields.some((f) => f.column === 'name') ? `${a}.name` : 'NULL');
    } else if (hasColumn(spec, r.column) && !r.part) {
      q.joins.push(`LEFT JOIN ${target.root.table} ${a} ON ${a}.${target.root.key} = ${SELF}.${r.column}`);
      selectReference(q, `r${i}`, uuidSql(target, a), q.labels ? rootDisplaySql(target, a) : 'NULL');
    } else {
      selectReference(q, `r${i}`, 'NULL', 'NULL');
    }
    return { prop: r.prop, resource: r.resource, uuidCol: `r${i}u`, displayCol: `r${i}d`, ...(r.part ? { part: r.part } : {}) };
  });
}

/** creator, changedBy (with changeAudit), and voidedBy or retiredBy, as users. */
function userColumns(spec: TableSpec, q: QueryParts): UserColumn[] {
  const userCols: Array<{ prop: string; column: string }> = [AUDIT_COLUMNS.creator];
  if (spec.changeAudit) userCols.push(AUDIT_COLUMNS.changedBy);
  userCols.push(LIFECYCLE_COLUMNS[spec.lifecycle].by);
  return userCols.map(({ prop, column: c }, i): UserColumn => {
    const a = `ax_u${i}`;
    if (hasColumn(spec, c)) {
      q.joins.push(`LEFT JOIN users ${a} ON ${a}.user_id = ${SELF}.${c}`);
      selectReference(q, `u${i}`, `${a}.uuid`, userDisplay(a));
    } else {
      selectReference(q, `u${i}`, 'NULL', 'NULL');
    }
    return { prop, uuidCol: `u${i}u`, displayCol: `u${i}d` };
  });
}

/** The voided/retired flag, reason and date, and the audit dates. */
function lifecycleColumns(spec: TableSpec, q: QueryParts): void {
  const life = LIFECYCLE_COLUMNS[spec.lifecycle];
  q.select.push(
    `${column(spec, life.flag.column)} AS ${COL.flag}`,
    `${column(spec, life.reason.column)} AS ${COL.reason}`,
    `${column(spec, AUDIT_COLUMNS.dateCreated.column)} AS ${COL.created}`,
    `${column(spec, life.date.column)} AS ${COL.ended}`,
  );
  if (spec.changeAudit) q.select.push(`${column(spec, AUDIT_COLUMNS.dateChanged.column)} AS ${COL.changed}`);
}

/**
 * Columns for a value whose meaning depends on its attribute type's format: the resource its
 * format maps to, and that resource's uuid and label when the text is the key of one of its
 * rows. Only all-digit text is looked up (OpenMRS stores the key as text); anything else,
 * or a key with no row, stays text.
 */
function formatColumns(def: ResourceDef, f: Field, i: number, q: QueryParts) {
  const { select, joins, labels } = q;
  const fmt = f.byFormat!;
  const t = `ax_f${i}`;
  joins.push(`LEFT JOIN ${fmt.typeTable} ${t} ON ${t}.${fmt.typeKey} = ${SELF}.${fmt.typeColumn}`);
  const whens: string[] = [];
  const uuids: string[] = [];
  const displays: string[] = [];
  Object.entries(fmt.formats).forEach(([format, resource], j) => {
    if (!offers(def, resource)) return; // this database has no such table: the value stays text
    const home = targetOf(def, resource);
    const a = `${t}_${j}`;
    const lit = `'${format.replace(/'/g, "''")}'`;
    joins.push(
      `LEFT JOIN ${home.root.table} ${a} ON ${t}.${fmt.formatColumn} = ${lit} AND ${SELF}.${f.column} REGEXP '^[0-9]{1,10}$' ` +
        `AND ${a}.${home.root.key} = CAST(${SELF}.${f.column} AS UNSIGNED)`,
    );
    whens.push(`WHEN ${lit} THEN '${resource}'`);
    uuids.push(uuidSql(home, a));
    if (labels) displays.push(rootDisplaySql(home, a));
  });
  const coalesce = (xs: string[]) => (xs.length === 0 ? 'NULL' : xs.length === 1 ? xs[0] : `COALESCE(${xs.join(', ')})`);
  select.push(`${whens.length ? `CASE ${t}.${fmt.formatColumn} ${whens.join(' ')} END` : 'NULL'} AS f${i}r`);
  select.push(`${coalesce(uuids)} AS f${i}u`);
  if (labels) select.push(`${coalesce(displays)} AS f${i}d`);
  return { resourceCol: `f${i}r`, uuidCol: `f${i}u`, displayCol: `f${i}d` };
}

const cache = new WeakMap<ResourceDef, CompiledRepresentation>();
const cacheNoLabels = new WeakMap<ResourceDef, CompiledRepresentation>();

/**
 * The queries for a resource's representation, built on first use and reused after.
 * Without labels (`v=sync`) no display label is computed: the correlated lookups of names
 * (a person's identifier and name, a concept's name, an encounter's type) are most of what
 * the database does for an obs list, and a sync target derives nothing from them.
 */
export function compileRepresentation(def: ResourceDef, labels = true): CompiledRepresentation {
  const cached = labels ? cache : cacheNoLabels;
  let c = cached.get(def);
  if (c) return c;
  const all = tablesOf(def);
  // A part's owner is the table whose path is its own minus the last step.
  const ownerOf = (path: Part[]) =>
    path.length === 0
      ? -1
      : all.findIndex((t) => t.path.length === path.length - 1 && t.path.every((p, i) => p === path[i]));
  const tables = all.map(({ path }) => compileTable(def, path, ownerOf(path), labels));
  c = { def, labels, tables };
  cached.set(def, c);
  return c;
}
