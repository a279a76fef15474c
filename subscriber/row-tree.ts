// Turns an OpenMRS representation back into database rows, guided by the
// registry: fields converted to column values, references kept as uuids (the
// upsert translates them to local keys), audit users kept as uuids. Everything
// a feed sends is checked here, so the upsert only ever sees well-formed rows.
import { UUID_PATTERN } from '../shared/protocol.ts';
import { isResourceName } from '../shared/resources.ts';
import type { ResourceDef, ResourceName, TableSpec } from '../shared/resources.ts';
import { AUDIT_COLUMNS, LIFECYCLE_COLUMNS, RestFormatError, fromRestDatetime, fromRestValue, refUuid } from '../shared/rest-format.ts';
import { InvalidResourceError, ReferenceCycleError } from './errors.ts';

export interface RefValue {
  resource: ResourceName;
  uuid: string;
  /** The column is NOT NULL (absent: it may be NULL, so a cycle can be broken there). */
  required?: boolean;
  /** A row of this part of the resource (Ref.part): `uuid` is that row's. Resolved through its owner, never fetched. */
  part?: string;
}

/** "resource/uuid", the uuid in lower case: how the resolver, the inbox and the sinks name a resource. */
export const keyOf = (r: { resource: string; uuid: string }) => `${r.resource}/${r.uuid.toLowerCase()}`;

export interface RowNode {
  spec: TableSpec;
  /** The row's own uuid (null for patient, whose uuid lives on its person). */
  uuid: string | null;
  /** Plain columns, lifecycle flag/reason and audit dates, as MariaDB stores them. */
  values: Record<string, unknown>;
  /** Reference columns, as uuids of the resource they point at. */
  refs: Record<string, RefValue | null>;
  /** Audit user columns (creator, changed_by, voided_by...), as user uuids. */
  users: Record<string, string | null>;
  /** Owned rows by part, in the order the registry lists the parts. */
  parts: Array<{ prop: string; many: boolean; parentKeyColumn: string; rows: RowNode[] }>;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function toRowTree(def: ResourceDef, rep: unknown, expectedUuid: string): RowNode {
  const ctx: Ctx = { def, expectedUuid };
  if (!isObj(rep)) throw failure(ctx, 'representation is not a JSON object');
  // OpenMRS compares uuids without regard to case (its uuid columns use a case-insensitive
  // collation), and CIEL's are upper case: '5089AAAA...' is the '5089aaaa...' that was asked for.
  if (typeof rep.uuid !== 'string' || rep.uuid.toLowerCase() !== expectedUuid.toLowerCase()) {
    throw failure(ctx, `representation has uuid ${JSON.stringify(rep.uuid)}, not the one requested`);
  }
  try {
    const root = node(ctx, def.root, rep, 'root');
    // A resource that is its own parent (or group, or ...) can never be inserted, and waiting
    // will not change that: say so, rather than "references X, which is not in the local database".
    for (const r of def.root.refs) {
      const to = root.refs[r.column];
      if (to?.resource === def.name && to.uuid === expectedUuid.toLowerCase()) {
        throw new ReferenceCycleError([`${def.name}/${to.uuid}`, `${def.name}/${to.uuid} (root.${r.prop})`]);
      }
    }
    return root;
  } catch (err) {
    if (err instanceof InvalidResourceError) throw err;
    if (err instanceof RestFormatError) throw failure(ctx, err.message);
    throw err;
  }
}

/** The resource being read: named in every error. (Module-level helpers, not closures: a catch-up reads tens of thousands.) */
interface Ctx {
  def: ResourceDef;
  expectedUuid: string;
}

function failure(ctx: Ctx, msg: string): InvalidResourceError {
  return new InvalidResourceError(`${ctx.def.name} ${ctx.expectedUuid}: ${msg}`, ctx.def.name, ctx.expectedUuid);
}

/** A value refused by the REST format, re-thrown with the place it was found ("root.names[0].givenName: ..."). */
function atPlace(ctx: Ctx, err: unknown, where: string, prop: string): unknown {
  return err instanceof RestFormatError ? failure(ctx, `${where}.${prop}: ${err.message}`) : err;
}

function node(ctx: Ctx, spec: TableSpec, obj: Obj, where: string): RowNode {
  const out: RowNode = { spec, uuid: null, values: {}, refs: {}, users: {}, parts: [] };
  if (spec.uuidColumn) {
    if (typeof obj.uuid !== 'string' || !UUID_PATTERN.test(obj.uuid)) throw failure(ctx, `${where}.uuid is not a uuid`);
    out.uuid = obj.uuid; // stored exactly as the origin has it (CIEL's are upper case)
  }
  readFields(ctx, spec, obj, where, out);
  readRefs(ctx, spec, obj, where, out);
  readAudit(ctx, spec, obj, where, out);
  if (spec.absent) blankAbsent(out, spec.absent);
  for (const p of spec.parts) out.parts.push({ prop: p.prop, many: p.many, parentKeyColumn: p.parentKeyColumn, rows: partRows(ctx, p, obj, where) });
  return out;
}

function readFields(ctx: Ctx, spec: TableSpec, obj: Obj, where: string, out: RowNode): void {
  for (const f of spec.fields) {
    const v = obj[f.prop];
    if (f.byFormat && isObj(v)) {
      // A reference by its attribute type's format (a person's health centre): kept as the
      // target's uuid, written back as the local row's key.
      out.refs[f.column] = formatRef(ctx, v, where, f.prop);
      continue;
    }
    try {
      out.values[f.column] = fromRestValue(f.type, v);
    } catch (err) {
      throw atPlace(ctx, err, where, f.prop);
    }
  }
}

function readRefs(ctx: Ctx, spec: TableSpec, obj: Obj, where: string, out: RowNode): void {
  for (const r of spec.refs) {
    let u: string | null;
    try {
      u = refUuid(obj[r.prop]);
    } catch (err) {
      throw atPlace(ctx, err, where, r.prop);
    }
    if (u !== null && !UUID_PATTERN.test(u)) throw failure(ctx, `${where}.${r.prop} does not hold a uuid`);
    if (u === null && r.required && !spec.absent?.has(r.column)) throw failure(ctx, `${where}.${r.prop} is required`);
    out.refs[r.column] =
      u === null ? null : { resource: r.resource, uuid: u.toLowerCase(), ...(r.required ? { required: true } : {}), ...(r.part ? { part: r.part } : {}) };
  }
}

/** The lifecycle flag, date, reason and user, and the audit columns, from auditInfo. */
function readAudit(ctx: Ctx, spec: TableSpec, obj: Obj, where: string, out: RowNode): void {
  const lc = LIFECYCLE_COLUMNS[spec.lifecycle];
  const audit = isObj(obj.auditInfo) ? obj.auditInfo : {};
  out.values[lc.flag.column] = obj[lc.flag.prop] === true ? 1 : 0;
  out.values[lc.date.column] = datetime(ctx, audit[lc.date.prop], where, lc.date.prop);
  out.values[lc.reason.column] = str(ctx, audit[lc.reason.prop], where, lc.reason.prop);
  out.users[lc.by.column] = userUuid(ctx, audit[lc.by.prop], where);
  const created = datetime(ctx, audit.dateCreated, where, 'dateCreated');
  out.values[AUDIT_COLUMNS.dateCreated.column] = created ?? '1970-01-01 00:00:00';
  out.users[AUDIT_COLUMNS.creator.column] = userUuid(ctx, audit.creator, where);
  if (spec.changeAudit) {
    out.values[AUDIT_COLUMNS.dateChanged.column] = datetime(ctx, audit.dateChanged, where, 'dateChanged');
    out.users[AUDIT_COLUMNS.changedBy.column] = userUuid(ctx, audit.changedBy, where);
  }
}

/** The rows of one part of a resource, by the part's shape. */
function partRows(ctx: Ctx, p: TableSpec['parts'][number], obj: Obj, where: string): RowNode[] {
  // A subclass row exists exactly when the owner shows its fields (a drug order's dose).
  if (p.shape === 'inline') return p.spec.fields[0].prop in obj ? [node(ctx, p.spec, obj, `${where}(${p.prop})`)] : [];
  const raw = obj[p.prop];
  if (p.shape === 'refs') return linkRows(ctx, p.spec, raw, `${where}.${p.prop}`);
  let items: Obj[];
  if (p.many) {
    if (raw == null) items = [];
    else if (Array.isArray(raw) && raw.every(isObj)) items = raw;
    else throw failure(ctx, `${where}.${p.prop} is not a list of objects`);
  } else {
    if (!isObj(raw)) throw failure(ctx, `${where}.${p.prop} is missing`);
    items = [raw];
  }
  const rows = items.map((it, i) => node(ctx, p.spec, it, `${where}.${p.prop}[${i}]`));
  const uuids = new Set(rows.map((r) => r.uuid?.toLowerCase()));
  if (uuids.size !== rows.length) throw failure(ctx, `${where}.${p.prop} lists a uuid twice`);
  return rows;
}

/** A value that is a reference by format: `{uuid, links}`, the resource named by its self link. */
function formatRef(ctx: Ctx, v: Obj, where: string, prop: string): RefValue {
  const uuid = v.uuid;
  if (typeof uuid !== 'string' || !UUID_PATTERN.test(uuid)) throw failure(ctx, `${where}.${prop} does not hold a uuid`);
  const links = Array.isArray(v.links) ? v.links.filter(isObj) : [];
  const self = links.find((l) => l.rel === 'self') ?? links[0];
  const alias = typeof self?.resourceAlias === 'string' ? self.resourceAlias : typeof self?.uri === 'string' ? self.uri.split('/').slice(-2)[0] : '';
  if (!isResourceName(alias)) throw failure(ctx, `${where}.${prop} refers to ${JSON.stringify(alias.slice(0, 40))}, not a resource this node syncs`);
  return { resource: alias, uuid: uuid.toLowerCase() };
}

/** A link table's rows from a list of references (a location's tags); each row is one reference. */
function linkRows(ctx: Ctx, spec: TableSpec, raw: unknown, where: string): RowNode[] {
  if (raw == null) return [];
  if (!Array.isArray(raw)) throw failure(ctx, `${where} is not a list`);
  const r = spec.refs[0];
  const seen = new Set<string>();
  const rows: RowNode[] = [];
  raw.forEach((item, i) => {
    let u: string | null;
    try {
      u = refUuid(item);
    } catch (err) {
      throw atPlace(ctx, err, where, String(i));
    }
    if (u === null || !UUID_PATTERN.test(u)) throw failure(ctx, `${where}[${i}] does not hold a uuid`);
    if (seen.has(u.toLowerCase())) return; // a tag listed twice is one row
    seen.add(u.toLowerCase());
    rows.push({ spec, uuid: null, values: {}, refs: { [r.column]: { resource: r.resource, uuid: u.toLowerCase(), required: true } }, users: {}, parts: [] });
  });
  return rows;
}

/**
 * Columns this database's table lacks hold NULL in the tree, whatever the origin sent: the
 * writer skips them, and the content hash then describes what is stored here, so it matches
 * the hash of the local state read back (a value that cannot be kept is not a local change).
 */
function blankAbsent(out: RowNode, absent: ReadonlySet<string>): void {
  for (const c of absent) {
    if (c in out.values) out.values[c] = null;
    if (c in out.refs) out.refs[c] = null;
    if (c in out.users) out.users[c] = null;
  }
}

/** An auditInfo date (`prop` of auditInfo), as MariaDB stores it. */
function datetime(ctx: Ctx, v: unknown, where: string, prop: string): string | null {
  const s = str(ctx, v, where, prop);
  try {
    return fromRestDatetime(s);
  } catch (err) {
    throw atPlace(ctx, err, `${where}.auditInfo`, prop);
  }
}

function str(ctx: Ctx, v: unknown, where: string, prop: string): string | null {
  if (v == null) return null;
  if (typeof v !== 'string') throw failure(ctx, `${where}.auditInfo.${prop} is not a string`);
  return v;
}

function userUuid(ctx: Ctx, v: unknown, where: string): string | null {
  const u = refUuid(v);
  if (u !== null && !UUID_PATTERN.test(u)) throw failure(ctx, `${where}: an audit user is not a uuid`);
  return u;
}

/**
 * Every reference in the aggregate, deduplicated, excluding references to the resource itself.
 * A reference counts as required when any row holds it in a NOT NULL column.
 */
export function referencesOf(tree: RowNode, self: RefValue): RefValue[] {
  const seen = new Map<string, RefValue>();
  const visit = (n: RowNode) => {
    for (const r of Object.values(n.refs)) {
      // A part row (a concept name) comes with its owner, which the row references too.
      if (!r || r.part || (r.resource === self.resource && r.uuid === self.uuid)) continue;
      const k = `${r.resource}/${r.uuid}`;
      if (!seen.get(k)?.required) seen.set(k, r);
    }
    for (const p of n.parts) p.rows.forEach(visit);
  };
  visit(tree);
  return [...seen.values()];
}

/**
 * The tree with the references `keep` refuses set to NULL, where the column allows it: how a
 * resource is first written when it sits on a cycle of references (a concept whose answer is
 * a drug of that very concept). Required references are kept; the caller resolves those first.
 */
export function withoutRefs(tree: RowNode, keep: (r: RefValue) => boolean): RowNode {
  const refs: RowNode['refs'] = {};
  for (const [c, r] of Object.entries(tree.refs)) refs[c] = r && !r.required && !keep(r) ? null : r;
  return { ...tree, refs, parts: tree.parts.map((p) => ({ ...p, rows: p.rows.map((row) => withoutRefs(row, keep)) })) };
}
