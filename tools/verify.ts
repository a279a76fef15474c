// `atomsync verify`: proves a target holds exactly what its sources hold.
// Every synced table is read from each database in uuid order, in pages through
// the unique uuid index, with a content hash computed by MariaDB per row
// (references replaced by the uuid they point at, audit users left out since
// they are mapped on the way in: verify-query.ts). A merge of the sorted streams then counts
// rows missing from the target, rows that differ, and rows the target has extra.
// Memory stays flat whatever the size: only one page per database is held.
import { openPool, queryRows } from '../shared/db.ts';
import type { Pool } from '../shared/db.ts';
import { DECLARED_REGISTRY, hasColumn, loadRegistry } from '../shared/registry.ts';
import type { Registry } from '../shared/registry.ts';
import { RESOURCES, tablesOf } from '../shared/resources.ts';
import type { Part, ResourceDef, ResourceName, TableSpec } from '../shared/resources.ts';
import { tableQuery } from './verify-query.ts';

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
