// OpenMRS REST conventions, as pure functions both ways: the publisher renders
// database values into representations, the subscriber maps them back. Keeping
// the two directions side by side is what stops them drifting apart.
import { REST_PATH } from './protocol.ts';
import type { FieldType } from './resources.ts';

/** What OpenMRS 1.8+ puts in `resourceVersion`. */
export const RESOURCE_VERSION = '1.8';

/** REST resource name of OpenMRS user accounts (audit references point at them). */
export const USER_RESOURCE = 'user';

export interface RestLink {
  rel: string;
  uri: string;
  resourceAlias?: string;
}

/** An OpenMRS reference to another resource: enough to find it by uuid, and a label for people. */
export interface RestRef {
  uuid: string;
  display: string;
  links: RestLink[];
}

// ---- dates ------------------------------------------------------------------------

// MariaDB with dateStrings: 'YYYY-MM-DD', 'YYYY-MM-DD HH:MM:SS' or with a fraction of 1-6 digits.
const DB_DATETIME = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?)?$/;
// OpenMRS writes '2016-03-09T14:47:58.000+0000'; clients also send 'Z', '+05:30' or no zone at all.
const REST_DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

export class RestFormatError extends Error {
  override name = 'RestFormatError';
  constructor(
    readonly kind: string,
    readonly value: unknown,
  ) {
    super(`not a valid ${kind}: ${preview(value)}`);
  }
}

/** A short, safe rendering of a bad value for a message (it may be huge, or nested deeper than JSON.stringify goes). */
function preview(v: unknown): string {
  if (typeof v === 'object' && v !== null && !(v instanceof Date)) return Array.isArray(v) ? 'a list' : 'an object';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function dbDateString(v: string | Date): string {
  if (typeof v === 'string') return v;
  // A pool opened without dateStrings hands out Dates; they are UTC instants here.
  if (Number.isNaN(v.getTime())) throw new RestFormatError('date', v);
  return v.toISOString().replace('T', ' ').replace('Z', '');
}

/**
 * A stored UTC datetime (or date) as OpenMRS writes it: '2016-03-09T14:47:58.000+0000'.
 * Milliseconds are the format's limit; use the raw value to keep microseconds.
 */
export function toRestDatetime(v: string | Date | null | undefined): string | null {
  if (v == null) return null;
  const s = dbDateString(v);
  const m = DB_DATETIME.exec(s);
  if (!m) throw new RestFormatError('database datetime', v);
  const [, date, time = '00:00:00', frac = ''] = m;
  return `${date}T${time}.${frac.padEnd(3, '0').slice(0, 3)}+0000`;
}

/** A stored DATE; OpenMRS renders dates (birthdate) in the full datetime format, at midnight. */
export const toRestDate = toRestDatetime;

/**
 * An OpenMRS datetime back to the UTC string MariaDB stores: 'YYYY-MM-DD HH:MM:SS' plus
 * '.fff' when there are milliseconds. A value without a zone is taken as UTC.
 */
export function fromRestDatetime(v: string | null | undefined): string | null {
  if (v == null) return null;
  const m = REST_DATETIME.exec(v.trim());
  if (!m) throw new RestFormatError('OpenMRS datetime', v);
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone = 'Z'] = m;
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  let offsetMin = 0;
  if (zone !== 'Z') {
    const z = zone.replace(':', '');
    if (Number(z.slice(1, 3)) > 18 || Number(z.slice(3, 5)) > 59) throw new RestFormatError('OpenMRS datetime', v);
    offsetMin = (z[0] === '-' ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5)));
  }
  const local = utcTime(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s), ms);
  if (local === null) throw new RestFormatError('OpenMRS datetime', v);
  const t = local - offsetMin * 60_000;
  const u = new Date(t);
  // MariaDB's DATETIME holds four-digit years; the zone may push a value just past either end.
  if (u.getUTCFullYear() < 1 || u.getUTCFullYear() > 9999) throw new RestFormatError('OpenMRS datetime', v);
  const base =
    `${pad(u.getUTCFullYear(), 4)}-${pad(u.getUTCMonth() + 1)}-${pad(u.getUTCDate())} ` +
    `${pad(u.getUTCHours())}:${pad(u.getUTCMinutes())}:${pad(u.getUTCSeconds())}`;
  return u.getUTCMilliseconds() ? `${base}.${pad(u.getUTCMilliseconds(), 3)}` : base;
}

/**
 * An OpenMRS date (birthdate) back to 'YYYY-MM-DD'. The calendar day is read as written,
 * ignoring the zone: a server in UTC+3 sends midnight as '...T00:00:00.000+0300', and
 * shifting that to UTC would move the birthday to the day before.
 */
export function fromRestDate(v: string | null | undefined): string | null {
  if (v == null) return null;
  const m = REST_DATETIME.exec(v.trim());
  if (!m || utcTime(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), 0) === null) {
    throw new RestFormatError('OpenMRS date', v);
  }
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/**
 * The instant of a calendar date and time in UTC, or null when there is no such date or
 * time. Date.UTC rolls over silently (February 30 becomes March 1, hour 24 the next day)
 * and reads years below 100 as 19xx, so a value is only accepted when it comes back as written.
 */
function utcTime(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number | null {
  if (y < 1) return null; // MariaDB has no year 0
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d);
  t.setUTCHours(h, mi, s, ms);
  const same =
    t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d &&
    t.getUTCHours() === h && t.getUTCMinutes() === mi && t.getUTCSeconds() === s;
  return same ? t.getTime() : null;
}

// ---- references -------------------------------------------------------------------

/** Absolute (or, with an empty base, root-relative) REST address of a resource. */
export function restUri(baseUrl: string, resource: string, uuid: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${REST_PATH}/${resource}/${uuid}`;
}

export function selfLink(baseUrl: string, resource: string, uuid: string): RestLink {
  return { rel: 'self', uri: restUri(baseUrl, resource, uuid), resourceAlias: resource };
}

/** An OpenMRS reference, or null when there is nothing to point at. */
export function restRef(
  baseUrl: string,
  resource: string,
  uuid: string | null | undefined,
  display: string | null | undefined,
): RestRef | null {
  if (uuid == null) return null;
  return { uuid, display: display ?? '', links: [selfLink(baseUrl, resource, uuid)] };
}

/** The uuid a reference points at. OpenMRS also accepts a bare uuid string in place of a reference. */
export function refUuid(v: unknown): string | null {
  if (v == null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && typeof (v as { uuid?: unknown }).uuid === 'string') return (v as { uuid: string }).uuid;
  throw new RestFormatError('reference', v);
}

// ---- typed values -----------------------------------------------------------------

/** A column value as the representation shows it, by the registry's field type. */
export function toRestValue(type: FieldType, v: unknown): unknown {
  if (v == null) return null;
  switch (type) {
    case 'bool':
      if (Buffer.isBuffer(v)) return v.length > 0 && v[0] !== 0; // BIT(1)
      return Number(v) !== 0;
    case 'int':
    case 'number':
      return typeof v === 'number' ? v : Number(v); // DECIMAL/BIGINT may arrive as strings
    case 'datetime':
      return toRestDatetime(v as string | Date);
    case 'date':
      return toRestDate(v as string | Date);
    case 'string':
      return typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }
}

/** A representation value back to what the column stores (bool → 0/1, dates → UTC strings). */
export function fromRestValue(type: FieldType, v: unknown): unknown {
  if (v == null) return null;
  switch (type) {
    case 'bool':
      return v === true || v === 'true' || v === 1 || v === '1' ? 1 : 0;
    case 'int':
    case 'number': {
      const n = typeof v === 'number' ? v : Number(v);
      if (!Number.isFinite(n) || (type === 'int' && !Number.isInteger(n))) throw new RestFormatError(type, v);
      return n;
    }
    case 'datetime':
      return fromRestDatetime(String(v));
    case 'date':
      return fromRestDate(String(v));
    case 'string':
      // A number is fine ("12" for a code); an object or a list would be stored as "[object Object]".
      if (typeof v === 'object') throw new RestFormatError('string', v);
      return String(v);
  }
}

// ---- audit columns ------------------------------------------------------------------

/** OpenMRS's column names for the retire/void lifecycle and the props they appear under. */
export const LIFECYCLE_COLUMNS = {
  voidable: {
    flag: { column: 'voided', prop: 'voided' },
    by: { column: 'voided_by', prop: 'voidedBy' },
    date: { column: 'date_voided', prop: 'dateVoided' },
    reason: { column: 'void_reason', prop: 'voidReason' },
  },
  retireable: {
    flag: { column: 'retired', prop: 'retired' },
    by: { column: 'retired_by', prop: 'retiredBy' },
    date: { column: 'date_retired', prop: 'dateRetired' },
    reason: { column: 'retire_reason', prop: 'retireReason' },
  },
} as const;

/** Creation and change audit columns every synced OpenMRS table has (change only when `changeAudit`). */
export const AUDIT_COLUMNS = {
  creator: { column: 'creator', prop: 'creator' },
  dateCreated: { column: 'date_created', prop: 'dateCreated' },
  changedBy: { column: 'changed_by', prop: 'changedBy' },
  dateChanged: { column: 'date_changed', prop: 'dateChanged' },
} as const;

/**
 * `auditInfo` of a representation. Dates are in the OpenMRS format; `raw` repeats them exactly
 * as stored (UTC, 'YYYY-MM-DD HH:MM:SS[.ffffff]'), so versions compare without losing precision.
 */
export interface AuditInfo {
  creator: RestRef | null;
  dateCreated: string | null;
  changedBy?: RestRef | null;
  dateChanged?: string | null;
  voidedBy?: RestRef | null;
  dateVoided?: string | null;
  voidReason?: string | null;
  retiredBy?: RestRef | null;
  dateRetired?: string | null;
  retireReason?: string | null;
  raw: Record<string, string | null>;
}
