// `atomsync verify`: proves a target holds exactly what its sources hold.
// Every synced table is read from each database in uuid order, in pages through
// the unique uuid index, with a content hash computed by MariaDB per row
// (references replaced by the uuid they point at, audit users left out since
// they are mapped on the way in). A merge of the sorted streams then counts
// rows missing from the target, rows that differ, and rows the target has extra.
// Memory stays flat whatever the size: only one page per database is held.
import { openPool, queryRows } from '../shared/db.ts';
import type { Pool } from '../shared/db.ts';
import { DECLARED_REGISTRY, hasColumn, loadRegistry, offers } from '../shared/registry.ts';
import type { Registry } from '../shared/registry.ts';
import { RESOURCES, tablesOf, uuidSql } from '../shared/resources.ts';
import type { Part, ResourceDef, ResourceName, TableSpec } from '../shared/resources.ts';
import { LIFECYCLE_COLUMNS } from '../shared/rest-format.ts';
import { rootKeySql } from '../shared/schema/triggers.ts';

export interface TableReport {
  resource: string;
  table: string;
  sourceRows: number;
  targetRows: number;
  missing: number;
  different: number;
  extra: number;
  /** A few uuids of each kind, to start looking. */
  examples: { missing: string[]; different: string[]; extra: string[] };
  /** Columns left out of the comparison because one of the databases has no such column (an older OpenMRS). */
  notCompared: string[];
}

export interface VerifyOptions {
  /** Rows fetched per query. */
  pageRows?: number;
  resources?: ResourceName[];
  onTable?: (r: TableReport) => void;
}

const EXAMPLES = 3;

/** SQL for the uuid of the row a key column points to, joined under `alias`. */
function refJoin(target: ResourceDef, column: string, alias: string): { join: string; uuid: string } {
  const r = target.root;
  if (r.uuidColumn) return { join: `LEFT JOIN ${r.table} ${alias} ON ${alias}.${r.key} = t.${column}`, uuid: `${alias}.${r.uuidColumn}` };
  const p = r.parts.find((x) => x.prop === target.uuidFromPart)!;
  // The one-to-one part shares the root's key (patient_id = person_id), so join it directly.
  return { join: `LEFT JOIN ${p.spec.table} ${alias} ON ${alias}.${p.parentKeyColumn} = t.${column}`, uuid: `${alias}.${p.spec.uuidColumn}` };
}

/**
 * The query listing (uuid, hash) of one table, in uuid order, after a given uuid. `spec` is the
 * table as this database holds it (shared/registry.ts): a column it lacks hashes as NULL, which
 * is what a database that has the column holds when the value could not come from this one.
 * Uuids of references hash in lower case: uuid columns compare without regard to case.
 */
export function tableQuery(def: ResourceDef, spec: TableSpec, path: Part[]): string {
  const joins: string[] = [];
  const parts: string[] = [];
  const v = (expr: string) => `IFNULL(CAST(${expr} AS CHAR), '\\\\N')`;
  const col = (c: string) => (hasColumn(spec, c) ? `t.${c}` : 'NULL');
  let uuidExpr: string;
  const parentPart = path[path.length - 1];
  if (parentPart?.shape === 'refs') {
    // A link row (a location's tag) has no uuid: it is named by its owner's and its target's.
    const ownerSpec = path.length >= 2 ? path[path.length - 2].spec : def.root;
    const ref = spec.refs[0];
    joins.push(`JOIN ${ownerSpec.table} lo ON lo.${ownerSpec.key} = t.${parentPart.parentKeyColumn}`);
    const target = refJoin(RESOURCES[ref.resource], ref.column, 'lt');
    joins.push(target.join);
    uuidExpr = `CONCAT(LOWER(lo.${ownerSpec.uuidColumn}), '/', LOWER(${target.uuid}))`;
    const owned = path.length > 1 ? ` AND EXISTS (SELECT 1 FROM ${def.root.table} own_root WHERE own_root.${def.root.key} = ${rootKeySql(path, 't')})` : '';
    return `SELECT ${uuidExpr} AS u, MD5(${uuidExpr}) AS h FROM ${spec.table} t ${joins.join(' ')}
    WHERE ${uuidExpr} > ?${owned} ORDER BY ${uuidExpr} LIMIT ?`;
  }
  if (spec.uuidColumn) uuidExpr = `t.${spec.uuidColumn}`;
  else {
    const j = refJoin(def, spec.key, 'own');
    joins.push(j.join);
    uuidExpr = j.uuid;
  }
  spec.fields.forEach((f, i) => {
    const fmt = f.byFormat;
    // Columns naming one property in different OpenMRS versions (status / clinical_status): one value.
    const alts = spec.fields.filter((g) => g.prop === f.prop);
    if (alts.length > 1) {
      if (alts[0] === f) parts.push(v(`COALESCE(${alts.map((g) => col(g.column)).join(', ')})`));
      return;
    }
    if (!fmt || !hasColumn(spec, f.column) || !hasColumn(spec, fmt.typeColumn)) return void parts.push(v(col(f.column)));
    // A key by its attribute type's format differs between nodes: compare the uuid it names.
    joins.push(`LEFT JOIN ${fmt.typeTable} ft${i} ON ft${i}.${fmt.typeKey} = t.${fmt.typeColumn}`);
    const whens = Object.entries(fmt.formats).filter(([, resource]) => offers(def, resource)).map(([format, resource]) => {
      const target = RESOURCES[resource].root;
      return `WHEN '${format}' THEN (SELECT LOWER(${uuidSql(RESOURCES[resource], 'fx')}) FROM ${target.table} fx
        WHERE t.${f.column} REGEXP '^[0-9]{1,10}$' AND fx.${target.key} = CAST(t.${f.column} AS UNSIGNED))`;
    });
    parts.push(v(`COALESCE(CASE ft${i}.${fmt.formatColumn} ${whens.join(' ')} END, t.${f.column})`));
  });
  const lc = LIFECYCLE_COLUMNS[spec.lifecycle];
  for (const c of [lc.flag.column, lc.date.column, lc.reason.column, 'date_created', ...(spec.changeAudit ? ['date_changed'] : [])]) {
    parts.push(v(col(c)));
  }
  const refUuids = new Map<string, string[]>();
  spec.refs.forEach((ref, i) => {
    const list = refUuids.get(ref.prop) ?? [];
    refUuids.set(ref.prop, list);
    if (!hasColumn(spec, ref.column)) return void list.push('NULL');
    const partSpec = ref.part ? RESOURCES[ref.resource].root.parts.find((p) => p.prop === ref.part)?.spec : undefined;
    if (partSpec?.uuidColumn) {
      // A row of another resource's part (a concept name): compared by its own uuid.
      joins.push(`LEFT JOIN ${partSpec.table} r${i} ON r${i}.${partSpec.key} = t.${ref.column}`);
      return void list.push(`LOWER(r${i}.${partSpec.uuidColumn})`);
    }
    const j = refJoin(RESOURCES[ref.resource], ref.column, `r${i}`);
    joins.push(j.join);
    list.push(`LOWER(${j.uuid})`);
  });
  for (const list of refUuids.values()) parts.push(v(list.length > 1 ? `COALESCE(${list.join(', ')})` : list[0]));
  const parent = path[path.length - 1];
  if (parent && parent.many) {
    const owner = path.length === 1 ? def : null;
    // The owner's uuid: for a part of the root, the resource's uuid; deeper, the parent row's own uuid.
    const parentSpec = path.length >= 2 ? path[path.length - 2].spec : def.root;
    if (owner && !def.root.uuidColumn) {
      const j = refJoin(def, parent.parentKeyColumn, 'par');
      joins.push(j.join);
      parts.push(v(`LOWER(${j.uuid})`));
    } else {
      joins.push(`LEFT JOIN ${parentSpec.table} par ON par.${parentSpec.key} = t.${parent.parentKeyColumn}`);
      parts.push(v(`LOWER(par.${parentSpec.uuidColumn})`));
    }
  }
  // Owned rows count only when their resource exists (a person is synced as part of a patient, not alone).
  let owned = path.length > 0 ? ` AND EXISTS (SELECT 1 FROM ${def.root.table} own_root WHERE own_root.${def.root.key} = ${rootKeySql(path, 't')})` : '';
  // Rows each node keeps for itself (the persons behind its own user accounts) are not compared.
  if (def.localRows) owned += ` AND NOT ${def.localRows(path.length > 0 ? rootKeySql(path, 't') : `t.${def.root.key}`)}`;
  return `SELECT ${uuidExpr} AS u, MD5(CONCAT_WS('|', ${parts.join(', ')})) AS h FROM ${spec.table} t ${joins.join(' ')}
    WHERE ${uuidExpr} > ?${owned} ORDER BY ${uuidExpr} LIMIT ?`;
}

/** Streams (uuid, hash) of a table in uuid order, a page at a time, asking for the next page while this one is compared. */
async function* rowsOf(pool: Pool, sql: string, pageRows: number): AsyncGenerator<{ u: string; h: string }> {
  const page = (after: string) => queryRows<{ u: string; h: string }>(pool, sql, [after, pageRows]);
  let pending = page('');
  for (;;) {
    const rows = await pending;
    if (rows.length === pageRows) pending = page(rows[rows.length - 1].u);
    for (const r of rows) yield { u: r.u.toLowerCase(), h: r.h };
    if (rows.length < pageRows) return;
  }
}

class Cursor {
  head: { u: string; h: string } | null = null;
  count = 0;
  constructor(private readonly it: AsyncGenerator<{ u: string; h: string }>) {}
  async advance(): Promise<void> {
    const n = await this.it.next();
    this.head = n.done ? null : n.value;
    if (this.head) this.count++;
  }
}

/** A database being compared, with its registry (its real columns). */
interface Side {
  pool: Pool;
  registry: Registry;
}

/** The table as this side holds it, or null when it has no such table. */
function sideTable(side: Side, name: ResourceName, table: string): { def: ResourceDef; spec: TableSpec; path: Part[] } | null {
  if (!side.registry.has(name)) return null;
  const def = side.registry.def(name);
  const t = tablesOf(def).find((x) => x.spec.table === table);
  return t ? { def, spec: t.spec, path: t.path } : null;
}

async function* noRows(): AsyncGenerator<{ u: string; h: string }> {}

export async function verifyTable(sources: Side[], target: Side, def: ResourceDef, spec: TableSpec, pageRows: number): Promise<TableReport> {
  const tables = [...sources, target].map((side) => sideTable(side, def.name, spec.table));
  // Only what every database can hold is compared: a column one of them lacks (an older OpenMRS
  // at HQ, say) is left out everywhere, and the report names it.
  // A column one side lacks is still compared when it is one of two naming a property and every
  // side has one of them (a 2.1 clinic's conditions.status against a 2.4 HQ's clinical_status).
  const sides = tables.filter((t): t is NonNullable<typeof t> => t !== null);
  const alternatives = (c: string) => {
    const all = [...spec.fields, ...spec.refs];
    const prop = all.find((x) => x.column === c)?.prop;
    return prop === undefined ? [] : all.filter((x) => x.prop === prop).map((x) => x.column);
  };
  const coveredEverywhere = (c: string) => {
    const alts = alternatives(c);
    return alts.length > 1 && sides.every((t) => alts.some((a) => hasColumn(t.spec, a)));
  };
  const notCompared = [...new Set(sides.flatMap((t) => [...(t.spec.absent ?? [])]))].filter((c) => !coveredEverywhere(c)).sort();
  const stream = (side: Side, i: number) => {
    const t = tables[i];
    if (!t) return new Cursor(noRows());
    const absent = new Set([...notCompared, ...(t.spec.absent ?? [])].filter((c) => !coveredEverywhere(c) || t.spec.absent?.has(c)));
    const spec = absent.size ? { ...t.spec, absent } : t.spec;
    return new Cursor(rowsOf(side.pool, tableQuery(t.def, spec, t.path), pageRows));
  };
  const src = sources.map(stream);
  const tgt = stream(target, sources.length);
  await Promise.all([...src, tgt].map((c) => c.advance()));
  // Worth naming: not the columns OpenMRS builds the table without (drug_order has no audit at all).
  const declared = tablesOf(RESOURCES[def.name]).find((t) => t.spec.table === spec.table)?.spec.absent;
  const report: TableReport = {
    resource: def.name, table: spec.table, sourceRows: 0, targetRows: 0, missing: 0, different: 0, extra: 0,
    examples: { missing: [], different: [], extra: [] }, notCompared: notCompared.filter((c) => !declared?.has(c)),
  };
  const note = (kind: 'missing' | 'different' | 'extra', u: string) => {
    report[kind]++;
    if (report.examples[kind].length < EXAMPLES) report.examples[kind].push(u);
  };
  for (;;) {
    const heads = [...src.map((c) => c.head?.u), tgt.head?.u].filter((u): u is string => u !== undefined);
    if (heads.length === 0) break;
    const u = heads.reduce((a, b) => (b < a ? b : a));
    const here = src.filter((c) => c.head?.u === u);
    // The same uuid may come from several sources (shared metadata, a patient seen at two clinics):
    // the target must match one of them.
    const hashes = new Set(here.map((c) => c.head!.h));
    if (here.length > 0) report.sourceRows++;
    if (tgt.head?.u === u) {
      if (here.length === 0) note('extra', u);
      else if (!hashes.has(tgt.head.h)) note('different', u);
      await tgt.advance();
    } else note('missing', u);
    await Promise.all(here.map((c) => c.advance()));
  }
  report.targetRows = tgt.count;
  return report;
}

export async function verify(sourceUrls: string[], targetUrl: string, o: VerifyOptions = {}): Promise<TableReport[]> {
  const sourcePools = sourceUrls.map((u) => openPool(u, { connectionLimit: 2 }));
  const targetPool = openPool(targetUrl, { connectionLimit: 2 });
  try {
    // Each database is read as it is (a real OpenMRS may lack some columns): see tableQuery.
    const side = async (pool: Pool): Promise<Side> => ({ pool, registry: await loadRegistry(pool) });
    const sources = await Promise.all(sourcePools.map(side));
    const target = await side(targetPool);
    const reports: TableReport[] = [];
    for (const name of o.resources ?? DECLARED_REGISTRY.names) {
      for (const { spec } of tablesOf(DECLARED_REGISTRY.def(name))) {
        const r = await verifyTable(sources, target, DECLARED_REGISTRY.def(name), spec, o.pageRows ?? 20_000);
        o.onTable?.(r);
        reports.push(r);
      }
    }
    return reports;
  } finally {
    await Promise.all([...sourcePools, targetPool].map((p) => p.end().catch(() => undefined)));
  }
}

export function formatReport(reports: TableReport[]): string {
  const rows = reports.map((r) => [r.resource, r.table, String(r.sourceRows), String(r.targetRows), String(r.missing), String(r.different), String(r.extra)]);
  const head = ['resource', 'table', 'source rows', 'target rows', 'missing', 'different', 'extra'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const out = [line(head), ...rows.map(line)];
  for (const r of reports) {
    if (r.notCompared.length) out.push(`  ${r.table}: not compared (a database has no such column): ${r.notCompared.join(', ')}`);
    for (const kind of ['missing', 'different', 'extra'] as const) {
      if (r.examples[kind].length) out.push(`  ${r.table} ${kind}: ${r.examples[kind].join(', ')}${r[kind] > EXAMPLES ? ', ...' : ''}`);
    }
  }
  return out.join('\n');
}

export const diverges = (reports: TableReport[]) => reports.some((r) => r.missing + r.different + r.extra > 0);
