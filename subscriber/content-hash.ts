// What a resource's state is, for comparing: a content hash of its row tree
// (stored in atomsync_sync_state, so every byte of the hashed text matters) and
// its version, the latest audit date anywhere in it ("new is the best").
import { createHash } from 'node:crypto';
import type { TableSpec } from '../shared/resources.ts';
import { AUDIT_COLUMNS, LIFECYCLE_COLUMNS } from '../shared/rest-format.ts';
import type { RowNode } from './row-tree.ts';

/**
 * Hash of the content that sync carries: values, references by uuid, owned rows sorted by uuid.
 * Audit users are left out: they are mapped to local users on the way in, so they differ by design.
 */
export function contentHash(tree: RowNode): string {
  return createHash('sha256').update(canonicalJson(tree)).digest('hex');
}

/**
 * The hashed text: JSON of `[uuid, [[column, value]...], [[column, ref uuid]...], [[part, [row...]]...]]`,
 * columns sorted by name and owned rows sorted by their own text. Stored hashes depend on
 * every byte of it. Written out directly, each row's text made once (sorting arrays by their
 * JSON made it again on every comparison).
 */
export function canonicalJson(n: RowNode): string {
  const later = laterOf(n.spec);
  // Uuids in lower case, as they were hashed before upper-case ones were kept as sent.
  let out = `[${json(n.uuid === null ? null : n.uuid.toLowerCase())},[`;
  const values = Object.keys(n.values).sort();
  let first = true;
  for (const c of values) {
    if (n.values[c] == null && later.has(c)) continue;
    out += `${first ? '' : ','}[${json(c)},${json(n.values[c])}]`;
    first = false;
  }
  out += '],[';
  const refs = Object.keys(n.refs).sort();
  first = true;
  for (const c of refs) {
    if (n.refs[c] == null && later.has(c)) continue;
    out += `${first ? '' : ','}[${json(c)},${json(n.refs[c]?.uuid ?? null)}]`;
    first = false;
  }
  out += '],[';
  first = true;
  for (const p of n.parts) {
    if (p.rows.length === 0 && later.has(`part:${p.prop}`)) continue;
    const rows = p.rows.map(canonicalJson).sort((a, b) => (a < b ? -1 : 1));
    out += `${first ? '' : ','}[${json(p.prop)},[${rows.join(',')}]]`;
    first = false;
  }
  return `${out}]]`;
}

const LATER = new WeakMap<TableSpec, ReadonlySet<string>>();
/** Columns and parts (`part:<prop>`) added to the entry after hashes were stored (see later() in the vocabulary). */
function laterOf(spec: TableSpec): ReadonlySet<string> {
  let set = LATER.get(spec);
  if (!set) {
    set = new Set([
      ...spec.fields.filter((f) => f.addedLater).map((f) => f.column),
      ...spec.refs.filter((r) => r.addedLater).map((r) => r.column),
      ...spec.parts.filter((p) => p.addedLater).map((p) => `part:${p.prop}`),
    ]);
    LATER.set(spec, set);
  }
  return set;
}

/** Characters JSON.stringify escapes in a string: quote, backslash, controls, and surrogates (lone ones). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A value as JSON.stringify writes it inside an array (undefined becomes null), without calling it for plain values. */
function json(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return NEEDS_ESCAPE.test(v) ? JSON.stringify(v) : `"${v}"`;
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return v == null ? 'null' : (JSON.stringify(v) ?? 'null');
  }
}

/** Latest audit date anywhere in the aggregate (created, changed, voided or retired), as 'YYYY-MM-DD HH:MM:SS.mmm'. */
export function versionOf(tree: RowNode): string | null {
  let max: string | null = null;
  const visit = (n: RowNode) => {
    const lc = LIFECYCLE_COLUMNS[n.spec.lifecycle];
    for (const col of [AUDIT_COLUMNS.dateCreated.column, AUDIT_COLUMNS.dateChanged.column, lc.date.column]) {
      const v = n.values[col];
      if (typeof v === 'string') {
        const norm = normalizeDb(v);
        if (max === null || norm > max) max = norm;
      }
    }
    for (const p of n.parts) p.rows.forEach(visit);
  };
  visit(tree);
  return max;
}

function normalizeDb(v: string): string {
  const [date, time = '00:00:00'] = v.split(' ');
  const [hms, frac = ''] = time.split('.');
  return `${date} ${hms}.${(frac + '000').slice(0, 3)}`;
}

