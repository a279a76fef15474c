// OpenMRS-style `?v=full` representations, built from the registry alone: what a
// subscriber fetches for each event. One query per table of the aggregate, all
// sent at once; rows are typed by the registry and nested by their parent keys.
// `?v=sync` is the same without display labels and links (see RepresentationForm).
import type { Pool, PoolConnection, RowDataPacket } from './db.ts';
import type { ResourceDef } from './resources.ts';
import {
  AUDIT_COLUMNS,
  LIFECYCLE_COLUMNS,
  RESOURCE_VERSION,
  USER_RESOURCE,
  restRef,
  selfLink,
  toRestDatetime,
  toRestValue,
} from './rest-format.ts';
import type { AuditInfo } from './rest-format.ts';
import { COL, compileRepresentation } from './representation-sql.ts';
import type { FieldColumn, TableQuery } from './representation-sql.ts';

export type Representation = Record<string, unknown>;
type Row = Record<string, unknown>;

/**
 * `full`: OpenMRS's full representation, with `display` labels and `links`.
 * `sync`: every field, reference uuid and audit datum of `full`, with no `display` and no
 * `links` (a reference is `{ uuid }`). It is what a database subscriber needs, at about
 * 40 % of the bytes and without the label lookups; a sink that shows labels (the ERP) asks for `full`.
 */
export type RepresentationForm = 'full' | 'sync';

/**
 * The full representation of the resource with this uuid, or null when there is none.
 * Voided and retired rows (the resource's or its parts') are included and say so: sync
 * must carry voids. Pass a PoolConnection inside a consistent-snapshot transaction when the
 * parts must be read at one instant; with a Pool the queries run in parallel.
 * `baseUrl` (e.g. 'http://host:8080') prefixes links; without it links are root-relative.
 */
export async function loadRepresentation(
  pool: Pool | PoolConnection,
  def: ResourceDef,
  uuid: string,
  baseUrl = '',
  form: RepresentationForm = 'full',
): Promise<Representation | null> {
  const { tables } = compileRepresentation(def, form === 'full');
  // Every query finds its rows from the uuid, so none waits for another.
  const results = await Promise.all(
    tables.map(async (t) => {
      const [rows] = await pool.execute<RowDataPacket[]>(t.sql, [uuid]);
      return rows as Row[];
    }),
  );
  if (results[0].length === 0) return null;
  return assemble(def, tables, results, baseUrl);
}

/**
 * Representations of many resources of one kind at once: one query per table for all of
 * them. Unknown uuids are simply absent from the result.
 */
export async function loadRepresentations(
  pool: Pool | PoolConnection,
  def: ResourceDef,
  uuids: string[],
  baseUrl = '',
  form: RepresentationForm = 'full',
): Promise<Map<string, Representation>> {
  if (uuids.length === 0) return new Map();
  const { tables } = compileRepresentation(def, form === 'full');
  const results = await Promise.all(
    tables.map(async (t) => {
      const [rows] = await pool.query<RowDataPacket[]>(t.batchSql, [uuids]);
      return rows as Row[];
    }),
  );
  const out = new Map<string, Representation>();
  for (const rep of assembleAll(def, tables, results, baseUrl)) out.set(String(rep.uuid).toLowerCase(), rep);
  return out;
}

/** Nests part rows under their owners; tables come parents first, so owners always exist by then. */
export function assemble(def: ResourceDef, tables: TableQuery[], results: Row[][], baseUrl: string): Representation {
  return assembleAll(def, tables, results, baseUrl)[0];
}

/** Like assemble, for results holding several resources: one representation per root row. */
export function assembleAll(def: ResourceDef, tables: TableQuery[], results: Row[][], baseUrl: string): Representation[] {
  const byKey = tables.map(() => new Map<string, Representation>());
  const roots: Representation[] = [];
  tables.forEach((t, i) => {
    for (const row of results[i]) {
      const owner = t.parentIndex < 0 ? undefined : byKey[t.parentIndex].get(String(row[COL.parent]));
      if (t.parentIndex >= 0 && !owner) continue;
      if (t.part?.shape === 'refs') {
        // A link row is a bare reference in its owner's list (a location's tags).
        const r = t.refs[0];
        const value = ref(t, baseUrl, r.resource, row[r.uuidCol], row[r.displayCol]);
        if (value !== null) (owner![t.part.prop] as unknown[]).push(value);
        continue;
      }
      if (t.part?.shape === 'inline') {
        // A subclass row's fields and references are the owner's own (a drug order's dose).
        const obj = renderRow(t, row, baseUrl, owner);
        for (const f of t.fields) owner![f.prop] = obj[f.prop];
        for (const r of t.refs) owner![r.prop] = obj[r.prop];
        if (t.part.subtype && def.subtypeProp) owner![def.subtypeProp.prop] = t.part.subtype;
        byKey[i].set(String(row[COL.key]), owner!);
        continue;
      }
      const obj = renderRow(t, row, baseUrl, owner);
      byKey[i].set(String(row[COL.key]), obj);
      if (!t.part) {
        roots.push(obj);
        if (def.subtypeProp) obj[def.subtypeProp.prop] = def.subtypeProp.base;
        if (t.labels) obj.links = [selfLink(baseUrl, def.name, String(obj.uuid))];
      } else if (t.part.many) {
        (owner![t.part.prop] as Representation[]).push(obj);
      } else {
        owner![t.part.prop] = obj;
      }
      obj.resourceVersion = RESOURCE_VERSION;
    }
  });
  return roots;
}

function renderRow(t: TableQuery, row: Row, baseUrl: string, owner: Representation | undefined): Representation {
  const out: Representation = {};
  if (row[COL.uuid] !== undefined) out.uuid = row[COL.uuid];
  if (t.labels) out.display = null; // placed second, filled in below
  for (const f of t.fields) out[f.prop] = f.byFormat ? formattedValue(f, row, baseUrl, t.labels) : toRestValue(f.type, row[f.col]);
  for (const r of t.refs) {
    out[r.prop] = r.part ? partRef(t, row[r.uuidCol], row[r.displayCol]) : ref(t, baseUrl, r.resource, row[r.uuidCol], row[r.displayCol]);
  }
  // Parts are filled in after this row; reserving their keys keeps them before the audit data.
  // Inline parts have no key of their own: their fields join this row's when the subclass row exists.
  for (const p of t.spec.parts) if (p.shape !== 'inline') out[p.prop] = p.many ? [] : null;
  const life = LIFECYCLE_COLUMNS[t.spec.lifecycle];
  out[life.flag.prop] = toRestValue('bool', row[COL.flag]);
  out.auditInfo = auditInfo(t, row, baseUrl);
  if (t.labels) out.display = t.hasDisplay ? String(row[COL.display] ?? '') : derivedDisplay(t, out, owner);
  return out;
}

/**
 * A value that is a reference by its attribute type's format: OpenMRS shows the referenced
 * object (a location's `{uuid, display, links}`); other values are text. The self link is kept
 * even without labels: it names the resource the uuid belongs to, which the value alone cannot.
 */
function formattedValue(f: FieldColumn, row: Row, baseUrl: string, labels: boolean): unknown {
  const resource = row[f.byFormat!.resourceCol] as string | null;
  const uuid = row[f.byFormat!.uuidCol] as string | null;
  if (!resource || !uuid) return toRestValue(f.type, row[f.col]);
  const r = restRef(baseUrl, resource, uuid, labels ? (row[f.byFormat!.displayCol] as string | null) : null)!;
  return labels ? r : { uuid: r.uuid, links: r.links };
}

/** A row of another resource's part (a concept name): `{uuid, display}`, or `{uuid}` without labels. */
function partRef(t: TableQuery, uuid: unknown, display: unknown): unknown {
  if (uuid == null) return null;
  return t.labels ? { uuid, display: display ?? '' } : { uuid };
}

/** A reference: OpenMRS's `{uuid, display, links}`, or just `{uuid}` without labels. */
function ref(t: TableQuery, baseUrl: string, resource: string, uuid: unknown, display: unknown): unknown {
  if (!t.labels) return uuid == null ? null : { uuid };
  return restRef(baseUrl, resource, uuid as string | null, display as string | null);
}

/**
 * A label for a part row that declares none: a one-to-one extension is the same entity as its
 * owner (patient.person) and takes its label; otherwise the `name` field when there is one
 * (concept_name), else the string fields in registry order (person_name → "Jane Doe"), else
 * the labels of its references (encounter_provider → "P1 - Dr Who : Clinician").
 */
function derivedDisplay(t: TableQuery, out: Representation, owner: Representation | undefined): string {
  if (t.part && !t.part.many && owner) return String(owner.display ?? '');
  const name = t.fields.find((f) => f.prop === 'name' && f.type === 'string');
  if (name && out.name != null) return String(out.name);
  const words = t.fields.filter((f) => f.type === 'string' && out[f.prop] != null && out[f.prop] !== '').map((f) => out[f.prop]);
  if (words.length) return words.join(' ');
  return t.refs
    .map((r) => (out[r.prop] as { display?: string } | null)?.display)
    .filter(Boolean)
    .join(' : ');
}

function auditInfo(t: TableQuery, row: Row, baseUrl: string): AuditInfo {
  const life = LIFECYCLE_COLUMNS[t.spec.lifecycle];
  const a: Record<string, unknown> = {};
  const raw: Record<string, string | null> = {};
  const user = (prop: string) => {
    const u = t.users.find((x) => x.prop === prop);
    a[prop] = u ? ref(t, baseUrl, USER_RESOURCE, row[u.uuidCol], row[u.displayCol]) : null;
  };
  const date = (prop: string, col: string) => {
    const v = (row[col] as string | null | undefined) ?? null;
    a[prop] = toRestDatetime(v);
    raw[prop] = v;
  };
  user(AUDIT_COLUMNS.creator.prop);
  date(AUDIT_COLUMNS.dateCreated.prop, COL.created);
  if (t.spec.changeAudit) {
    user(AUDIT_COLUMNS.changedBy.prop);
    date(AUDIT_COLUMNS.dateChanged.prop, COL.changed);
  }
  user(life.by.prop);
  date(life.date.prop, COL.ended);
  a[life.reason.prop] = row[COL.reason] ?? null;
  a.raw = raw; // last, after the keys OpenMRS clients know
  return a as unknown as AuditInfo;
}
