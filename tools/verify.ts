// `atomsync verify`: proves a target holds exactly what its sources hold.
// Every synced table is read from each database in uuid order, in pages through
// the unique uuid index, with a content hash computed by MariaDB per row
// (references replaced by the uuid they point at, audit users left out since
// they are mapped on the way in: verify-query.ts). A merge of the sorted streams then counts
// rows missing from the target, rows that differ, and rows the target has extra.
// Memory stays flat whatever the size: only one page per database is held.
// With a catchment (verify-catchment.ts), each source row is first classed: in the catchment (or
// everyone's), and so wanted at the target; allowed there, not wanted (the target's own patients',
// people who are no patients); or outside, which the target must not hold.
import { openPool, queryRows } from '../shared/db.ts';
import type { Pool } from '../shared/db.ts';
import { DECLARED_REGISTRY, hasColumn, loadRegistry } from '../shared/registry.ts';
import type { Registry } from '../shared/registry.ts';
import { RESOURCES, tablesOf } from '../shared/resources.ts';
import type { Part, ResourceDef, ResourceName, TableSpec } from '../shared/resources.ts';
import { tableQuery } from './verify-query.ts';
import { catchmentScopes, ownersSql } from './verify-catchment.ts';
import type { CatchmentScope, RowClass } from './verify-catchment.ts';

export interface TableReport {
  resource: string;
  table: string;
  sourceRows: number;
  targetRows: number;
  missing: number;
  different: number;
  /** Rows the target has and no source has. */
  extra: number;
  /** With a catchment: rows the target has that a source holds as a patient's outside the catchment. */
  outside: number;
  /** With a catchment: rows the target holds outside the catchment that it may keep (verify-catchment.ts), not compared. */
  allowed: number;
  /** Whether the check was scoped to a catchment. */
  scoped: boolean;
  /** A few uuids of each kind, to start looking. */
  examples: Record<Divergence, string[]>;
  /** Columns left out of the comparison because one of the databases has no such column (an older OpenMRS). */
  notCompared: string[];
}

export interface VerifyOptions {
  /** Rows fetched per query. */
  pageRows?: number;
  resources?: ResourceName[];
  /** Location uuids: the target should hold the catchment of these locations (verify-catchment.ts), not all. */
  catchment?: string[];
  onTable?: (r: TableReport) => void;
}

type Divergence = 'missing' | 'different' | 'extra' | 'outside';
const DIVERGENCES: Divergence[] = ['missing', 'different', 'extra', 'outside'];
const EXAMPLES = 3;

/** A row as read: uuid, content hash, and how it stands against the catchment (always 'in' without one). */
interface Row {
  u: string;
  h: string;
  k: RowClass;
}

/** Streams the rows of a table in uuid order, a page at a time, asking for the next page while this one is compared. */
async function* rowsOf(pool: Pool, sql: string, pageRows: number, classify?: (owners: string | null) => RowClass): AsyncGenerator<Row> {
  const page = (after: string) => queryRows<{ u: string; h: string; o?: string | null }>(pool, sql, [after, pageRows]);
  let pending = page('');
  for (;;) {
    const rows = await pending;
    if (rows.length === pageRows) pending = page(rows[rows.length - 1].u);
    for (const r of rows) yield { u: r.u.toLowerCase(), h: r.h, k: classify ? classify(r.o ?? null) : 'in' };
    if (rows.length < pageRows) return;
  }
}

class Cursor {
  head: Row | null = null;
  count = 0;
  constructor(private readonly it: AsyncGenerator<Row>) {}
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
  /** A source's catchment, when the check is scoped to one. */
  scope?: CatchmentScope;
}

/** The table as this side holds it, or null when it has no such table. */
function sideTable(side: Side, name: ResourceName, table: string): { def: ResourceDef; spec: TableSpec; path: Part[] } | null {
  if (!side.registry.has(name)) return null;
  const def = side.registry.def(name);
  const t = tablesOf(def).find((x) => x.spec.table === table);
  return t ? { def, spec: t.spec, path: t.path } : null;
}

async function* noRows(): AsyncGenerator<Row> {}

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
    const scope = side.scope;
    const owners = scope ? ownersSql(t.def, t.path) : null;
    if (!scope || !owners) return new Cursor(rowsOf(side.pool, tableQuery(t.def, spec, t.path), pageRows));
    return new Cursor(rowsOf(side.pool, tableQuery(t.def, spec, t.path, owners.expr), pageRows, (o) => scope.classify(o, owners.every)));
  };
  const src = sources.map(stream);
  const tgt = stream(target, sources.length);
  await Promise.all([...src, tgt].map((c) => c.advance()));
  // Worth naming: not the columns OpenMRS builds the table without (drug_order has no audit at all).
  const declared = tablesOf(RESOURCES[def.name]).find((t) => t.spec.table === spec.table)?.spec.absent;
  const report: TableReport = {
    resource: def.name, table: spec.table, sourceRows: 0, targetRows: 0, missing: 0, different: 0, extra: 0, outside: 0, allowed: 0,
    scoped: sources.some((s) => s.scope), examples: { missing: [], different: [], extra: [], outside: [] }, notCompared: notCompared.filter((c) => !declared?.has(c)),
  };
  await mergeRows(src, tgt, report);
  report.targetRows = tgt.count;
  return report;
}

/** Walks the sources' and the target's rows together in uuid order, counting into the report. */
async function mergeRows(src: Cursor[], tgt: Cursor, report: TableReport): Promise<void> {
  const note = (kind: Divergence, u: string) => {
    report[kind]++;
    if (report.examples[kind].length < EXAMPLES) report.examples[kind].push(u);
  };
  for (;;) {
    const heads = [...src.map((c) => c.head?.u), tgt.head?.u].filter((u): u is string => u !== undefined);
    if (heads.length === 0) break;
    const u = heads.reduce((a, b) => (b < a ? b : a));
    const here = src.filter((c) => c.head?.u === u);
    // The same uuid may come from several sources (shared metadata, a patient seen at two clinics):
    // the target must match one of those that want it there.
    const wanted = here.filter((c) => c.head!.k === 'in');
    const hashes = new Set(wanted.map((c) => c.head!.h));
    if (wanted.length > 0) report.sourceRows++;
    if (tgt.head?.u === u) {
      if (wanted.length > 0) {
        if (!hashes.has(tgt.head.h)) note('different', u);
      } else if (here.length === 0) note('extra', u);
      else if (here.some((c) => c.head!.k === 'allowed')) report.allowed++;
      else note('outside', u);
      await tgt.advance();
    } else if (wanted.length > 0) note('missing', u);
    await Promise.all(here.map((c) => c.advance()));
  }
}

export async function verify(sourceUrls: string[], targetUrl: string, o: VerifyOptions = {}): Promise<TableReport[]> {
  const sourcePools = sourceUrls.map((u) => openPool(u, { connectionLimit: 2 }));
  const targetPool = openPool(targetUrl, { connectionLimit: 2 });
  try {
    // Each database is read as it is (a real OpenMRS may lack some columns): see tableQuery.
    const side = async (pool: Pool): Promise<Side> => ({ pool, registry: await loadRegistry(pool) });
    const sources = await Promise.all(sourcePools.map(side));
    const target = await side(targetPool);
    if (o.catchment) {
      const scopes = await catchmentScopes(sourcePools, targetPool, o.catchment);
      sources.forEach((s, i) => (s.scope = scopes[i]));
    }
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
  const scoped = reports.some((r) => r.scoped);
  const kinds = scoped ? DIVERGENCES : DIVERGENCES.filter((k) => k !== 'outside');
  const head = ['resource', 'table', scoped ? 'rows checked' : 'source rows', 'target rows', ...kinds.map((k) => (k === 'outside' ? 'outside catchment' : k))];
  const rows = reports.map((r) => [r.resource, r.table, String(r.sourceRows), String(r.targetRows), ...kinds.map((k) => String(r[k]))]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const out = [line(head), ...rows.map(line)];
  for (const r of reports) {
    if (r.notCompared.length) out.push(`  ${r.table}: not compared (a database has no such column): ${r.notCompared.join(', ')}`);
    if (r.allowed > 0) out.push(`  ${r.table}: ${r.allowed} rows outside the catchment the target may keep (its own patients', people who are no patients), not compared`);
    for (const kind of kinds) {
      if (r.examples[kind].length) out.push(`  ${r.table} ${kind}: ${r.examples[kind].join(', ')}${r[kind] > EXAMPLES ? ', ...' : ''}`);
    }
  }
  return out.join('\n');
}

export const diverges = (reports: TableReport[]) => reports.some((r) => r.missing + r.different + r.extra + r.outside > 0);
