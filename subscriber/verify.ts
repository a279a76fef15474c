// `atomsync verify`: proves a target holds exactly what its sources hold.
// Every synced table is read from each database in uuid order, in pages through
// the unique uuid index, with a content hash computed by MariaDB per row
// (references replaced by the uuid they point at, audit users left out since
// they are mapped on the way in). A merge of the sorted streams then counts
// rows missing from the target, rows that differ, and rows the target has extra.
// Memory stays flat whatever the size: only one page per database is held.
import { openPool, queryRows } from '../shared/db.ts';
import type { Pool } from '../shared/db.ts';
import { RESOURCE_NAMES, RESOURCES, tablesOf } from '../shared/resources.ts';
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

/** The query listing (uuid, hash) of one table, in uuid order, after a given uuid. */
export function tableQuery(def: ResourceDef, spec: TableSpec, path: Part[]): string {
  const joins: string[] = [];
  const parts: string[] = [];
  const v = (expr: string) => `IFNULL(CAST(${expr} AS CHAR), '\\\\N')`;
  let uuidExpr: string;
  if (spec.uuidColumn) uuidExpr = `t.${spec.uuidColumn}`;
  else {
    const j = refJoin(def, spec.key, 'own');
    joins.push(j.join);
    uuidExpr = j.uuid;
  }
  for (const f of spec.fields) parts.push(v(`t.${f.column}`));
  const lc = LIFECYCLE_COLUMNS[spec.lifecycle];
  for (const c of [lc.flag.column, lc.date.column, lc.reason.column, 'date_created', ...(spec.changeAudit ? ['date_changed'] : [])]) {
    parts.push(v(`t.${c}`));
  }
  spec.refs.forEach((ref, i) => {
    const j = refJoin(RESOURCES[ref.resource], ref.column, `r${i}`);
    joins.push(j.join);
    parts.push(v(j.uuid));
  });
  const parent = path[path.length - 1];
  if (parent && parent.many) {
    const owner = path.length === 1 ? def : null;
    // The owner's uuid: for a part of the root, the resource's uuid; deeper, the parent row's own uuid.
    const parentSpec = path.length >= 2 ? path[path.length - 2].spec : def.root;
    if (owner && !def.root.uuidColumn) {
      const j = refJoin(def, parent.parentKeyColumn, 'par');
      joins.push(j.join);
      parts.push(v(j.uuid));
    } else {
      joins.push(`LEFT JOIN ${parentSpec.table} par ON par.${parentSpec.key} = t.${parent.parentKeyColumn}`);
      parts.push(v(`par.${parentSpec.uuidColumn}`));
    }
  }
  // Owned rows count only when their resource exists (a person is synced as part of a patient, not alone).
  const owned = path.length > 0 ? ` AND EXISTS (SELECT 1 FROM ${def.root.table} own_root WHERE own_root.${def.root.key} = ${rootKeySql(path, 't')})` : '';
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

export async function verifyTable(sources: Pool[], target: Pool, def: ResourceDef, spec: TableSpec, path: Part[], pageRows: number): Promise<TableReport> {
  const sql = tableQuery(def, spec, path);
  const src = sources.map((p) => new Cursor(rowsOf(p, sql, pageRows)));
  const tgt = new Cursor(rowsOf(target, sql, pageRows));
  await Promise.all([...src, tgt].map((c) => c.advance()));
  const report: TableReport = {
    resource: def.name, table: spec.table, sourceRows: 0, targetRows: 0, missing: 0, different: 0, extra: 0,
    examples: { missing: [], different: [], extra: [] },
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
  const sources = sourceUrls.map((u) => openPool(u, { connectionLimit: 2 }));
  const target = openPool(targetUrl, { connectionLimit: 2 });
  try {
    const reports: TableReport[] = [];
    for (const name of o.resources ?? RESOURCE_NAMES) {
      const def = RESOURCES[name];
      for (const { spec, path } of tablesOf(def)) {
        const r = await verifyTable(sources, target, def, spec, path, o.pageRows ?? 20_000);
        o.onTable?.(r);
        reports.push(r);
      }
    }
    return reports;
  } finally {
    await Promise.all([...sources, target].map((p) => p.end().catch(() => undefined)));
  }
}

export function formatReport(reports: TableReport[]): string {
  const rows = reports.map((r) => [r.resource, r.table, String(r.sourceRows), String(r.targetRows), String(r.missing), String(r.different), String(r.extra)]);
  const head = ['resource', 'table', 'source rows', 'target rows', 'missing', 'different', 'extra'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const out = [line(head), ...rows.map(line)];
  for (const r of reports) {
    for (const kind of ['missing', 'different', 'extra'] as const) {
      if (r.examples[kind].length) out.push(`  ${r.table} ${kind}: ${r.examples[kind].join(', ')}${r[kind] > EXAMPLES ? ', ...' : ''}`);
    }
  }
  return out.join('\n');
}

export const diverges = (reports: TableReport[]) => reports.some((r) => r.missing + r.different + r.extra > 0);
