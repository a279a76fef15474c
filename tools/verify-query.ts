// The query `atomsync verify` reads each synced table with (verify.ts): (uuid, content
// hash) per row, in uuid order, a page after a given uuid. MariaDB computes the hash;
// references hash as the uuid they point at, audit users are left out since they are
// mapped on the way in.
import { hasColumn, offers } from '../shared/registry.ts';
import { RESOURCES, uuidSql } from '../shared/resources.ts';
import type { Field, Part, ResourceDef, TableSpec } from '../shared/resources.ts';
import { LIFECYCLE_COLUMNS } from '../shared/rest-format.ts';
import { rootKeySql } from '../shared/schema/triggers.ts';

/** What the query joins, and the values it hashes, built up part by part. */
interface HashQuery {
  joins: string[];
  parts: string[];
}

/** A value as it enters the hash: text, with NULL written as \N so it differs from ''. */
const hashed = (expr: string) => `IFNULL(CAST(${expr} AS CHAR), '\\\\N')`;

/** SQL for the uuid of the row a key column points to, joined under `alias`. */
function refJoin(target: ResourceDef, column: string, alias: string): { join: string; uuid: string } {
  const r = target.root;
  if (r.uuidColumn) return { join: `LEFT JOIN ${r.table} ${alias} ON ${alias}.${r.key} = t.${column}`, uuid: `${alias}.${r.uuidColumn}` };
  const p = r.parts.find((x) => x.prop === target.uuidFromPart)!;
  // The one-to-one part shares the root's key (patient_id = person_id), so join it directly.
  return { join: `LEFT JOIN ${p.spec.table} ${alias} ON ${alias}.${p.parentKeyColumn} = t.${column}`, uuid: `${alias}.${p.spec.uuidColumn}` };
}

/** Owned rows count only when their resource exists (a person is synced as part of a patient, not alone). */
const ownerExists = (def: ResourceDef, path: Part[]) =>
  ` AND EXISTS (SELECT 1 FROM ${def.root.table} own_root WHERE own_root.${def.root.key} = ${rootKeySql(path, 't')})`;

const pageOf = (uuidExpr: string, hash: string, spec: TableSpec, joins: string[], filter: string, owners?: string) =>
  `SELECT ${uuidExpr} AS u, ${hash} AS h${owners ? `, ${owners} AS o` : ''} FROM ${spec.table} t ${joins.join(' ')}
    WHERE ${uuidExpr} > ?${filter} ORDER BY ${uuidExpr} LIMIT ?`;

/**
 * The query listing (uuid, hash) of one table, in uuid order, after a given uuid. `spec` is the
 * table as this database holds it (shared/registry.ts): a column it lacks hashes as NULL, which
 * is what a database that has the column holds when the value could not come from this one.
 * Uuids of references hash in lower case: uuid columns compare without regard to case.
 * `owners`, when given, is SQL over the row `t` read as a third column, o (verify-catchment.ts).
 */
export function tableQuery(def: ResourceDef, spec: TableSpec, path: Part[], owners?: string): string {
  if (path[path.length - 1]?.shape === 'refs') return linkRowQuery(def, spec, path);
  const q: HashQuery = { joins: [], parts: [] };
  let uuidExpr: string;
  if (spec.uuidColumn) uuidExpr = `t.${spec.uuidColumn}`;
  else {
    const j = refJoin(def, spec.key, 'own');
    q.joins.push(j.join);
    uuidExpr = j.uuid;
  }
  hashFields(def, spec, q);
  const lc = LIFECYCLE_COLUMNS[spec.lifecycle];
  for (const c of [lc.flag.column, lc.date.column, lc.reason.column, 'date_created', ...(spec.changeAudit ? ['date_changed'] : [])]) {
    q.parts.push(hashed(column(spec, c)));
  }
  hashRefs(spec, q);
  hashParent(def, path, q);
  let filter = path.length > 0 ? ownerExists(def, path) : '';
  // Rows each node keeps for itself (the persons behind its own user accounts) are not compared.
  if (def.localRows) filter += ` AND NOT ${def.localRows(path.length > 0 ? rootKeySql(path, 't') : `t.${def.root.key}`)}`;
  return pageOf(uuidExpr, `MD5(CONCAT_WS('|', ${q.parts.join(', ')}))`, spec, q.joins, filter, owners);
}

/** A link row (a location's tag) has no uuid: it is named by its owner's and its target's. */
function linkRowQuery(def: ResourceDef, spec: TableSpec, path: Part[]): string {
  const parentPart = path[path.length - 1];
  const ownerSpec = path.length >= 2 ? path[path.length - 2].spec : def.root;
  const ref = spec.refs[0];
  const target = refJoin(RESOURCES[ref.resource], ref.column, 'lt');
  const joins = [`JOIN ${ownerSpec.table} lo ON lo.${ownerSpec.key} = t.${parentPart.parentKeyColumn}`, target.join];
  const uuidExpr = `CONCAT(LOWER(lo.${ownerSpec.uuidColumn}), '/', LOWER(${target.uuid}))`;
  return pageOf(uuidExpr, `MD5(${uuidExpr})`, spec, joins, path.length > 1 ? ownerExists(def, path) : '');
}

// A column this database's table lacks hashes as NULL.
const column = (spec: TableSpec, c: string) => (hasColumn(spec, c) ? `t.${c}` : 'NULL');

function hashFields(def: ResourceDef, spec: TableSpec, q: HashQuery): void {
  spec.fields.forEach((f, i) => {
    // Columns naming one property in different OpenMRS versions (status / clinical_status): one value.
    const alts = spec.fields.filter((g) => g.prop === f.prop);
    if (alts.length > 1) {
      if (alts[0] === f) q.parts.push(hashed(`COALESCE(${alts.map((g) => column(spec, g.column)).join(', ')})`));
      return;
    }
    const fmt = f.byFormat;
    if (!fmt || !hasColumn(spec, f.column) || !hasColumn(spec, fmt.typeColumn)) return void q.parts.push(hashed(column(spec, f.column)));
    q.parts.push(hashed(byFormatUuid(def, f, i, q)));
  });
}

/** A key by its attribute type's format differs between nodes: compare the uuid it names. */
function byFormatUuid(def: ResourceDef, f: Field, i: number, q: HashQuery): string {
  const fmt = f.byFormat!;
  q.joins.push(`LEFT JOIN ${fmt.typeTable} ft${i} ON ft${i}.${fmt.typeKey} = t.${fmt.typeColumn}`);
  const whens = Object.entries(fmt.formats).filter(([, resource]) => offers(def, resource)).map(([format, resource]) => {
    const target = RESOURCES[resource].root;
    return `WHEN '${format}' THEN (SELECT LOWER(${uuidSql(RESOURCES[resource], 'fx')}) FROM ${target.table} fx
        WHERE t.${f.column} REGEXP '^[0-9]{1,10}$' AND fx.${target.key} = CAST(t.${f.column} AS UNSIGNED))`;
  });
  return `COALESCE(CASE ft${i}.${fmt.formatColumn} ${whens.join(' ')} END, t.${f.column})`;
}

/** Each referenced row's uuid, one value per property (of two columns naming it, the one set). */
function hashRefs(spec: TableSpec, q: HashQuery): void {
  const refUuids = new Map<string, string[]>();
  spec.refs.forEach((ref, i) => {
    const list = refUuids.get(ref.prop) ?? [];
    refUuids.set(ref.prop, list);
    if (!hasColumn(spec, ref.column)) return void list.push('NULL');
    const partSpec = ref.part ? RESOURCES[ref.resource].root.parts.find((p) => p.prop === ref.part)?.spec : undefined;
    if (partSpec?.uuidColumn) {
      // A row of another resource's part (a concept name): compared by its own uuid.
      q.joins.push(`LEFT JOIN ${partSpec.table} r${i} ON r${i}.${partSpec.key} = t.${ref.column}`);
      return void list.push(`LOWER(r${i}.${partSpec.uuidColumn})`);
    }
    const j = refJoin(RESOURCES[ref.resource], ref.column, `r${i}`);
    q.joins.push(j.join);
    list.push(`LOWER(${j.uuid})`);
  });
  for (const list of refUuids.values()) q.parts.push(hashed(list.length > 1 ? `COALESCE(${list.join(', ')})` : list[0]));
}

/** A row of a one-to-many part hashes its owner's uuid too. */
function hashParent(def: ResourceDef, path: Part[], q: HashQuery): void {
  const parent = path[path.length - 1];
  if (!parent || !parent.many) return;
  // The owner's uuid: for a part of the root, the resource's uuid; deeper, the parent row's own uuid.
  const parentSpec = path.length >= 2 ? path[path.length - 2].spec : def.root;
  if (path.length === 1 && !def.root.uuidColumn) {
    const j = refJoin(def, parent.parentKeyColumn, 'par');
    q.joins.push(j.join);
    q.parts.push(hashed(`LOWER(${j.uuid})`));
  } else {
    q.joins.push(`LEFT JOIN ${parentSpec.table} par ON par.${parentSpec.key} = t.${parent.parentKeyColumn}`);
    q.parts.push(hashed(`LOWER(par.${parentSpec.uuidColumn})`));
  }
}
