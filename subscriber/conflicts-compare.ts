// Two versions of a conflict compared field by field, and why the rule kept the one it kept:
// pure functions the CLI (conflicts-command.ts) and the status page (conflicts-pages.ts) share.
import type { Conflict } from './conflicts-store.ts';

/** Fields of a representation flattened to dotted paths (display labels and links left out). */
export function flatten(value: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (value === null || typeof value !== 'object') {
    out.set(prefix || '(value)', value === undefined ? '' : JSON.stringify(value));
    return out;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) out.set(prefix, '[]');
    value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, out));
    return out;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k === 'links' || k === 'display' || k === 'resourceVersion') continue;
    flatten(v, prefix ? `${prefix}.${k}` : k, out);
  }
  return out;
}

export interface FieldPair {
  field: string;
  /** The field's JSON in each version; null where a version has no such field. */
  kept: string | null;
  other: string | null;
  differs: boolean;
}

/** Every field of either version, in the kept version's order then the other's new ones. */
export function compareVersions(kept: unknown, other: unknown): FieldPair[] {
  const a = flatten(kept);
  const b = flatten(other);
  return [...new Set([...a.keys(), ...b.keys()])].map((field) => {
    const [x, y] = [a.get(field) ?? null, b.get(field) ?? null];
    return { field, kept: x, other: y, differs: x !== y };
  });
}

export function differingFields(c: Pick<Conflict, 'kept' | 'other'>): number {
  return compareVersions(c.kept, c.other).filter((p) => p.differs).length;
}

const AUDIT_FIELD = /(^|\.)(dateCreated|dateChanged|dateVoided|dateRetired)$/;

/** The latest audit date a version carries (the rule's "version"), as written in it; null when none. */
export function latestAuditDate(version: unknown): string | null {
  let max: { t: number; text: string } | null = null;
  for (const [field, json] of flatten(version)) {
    if (!AUDIT_FIELD.test(field)) continue;
    const text = JSON.parse(json) as unknown;
    const t = typeof text === 'string' ? Date.parse(text) : NaN;
    if (!Number.isNaN(t) && (max === null || t > max.t)) max = { t, text: text as string };
  }
  return max?.text ?? null;
}

/** Why the rule (conflict-rule.ts) kept the version it kept, in a sentence for people. */
export function whyKept(c: Pick<Conflict, 'kept' | 'other' | 'winner'>): string {
  const whose = c.winner === 'local' ? "this node's version" : 'the incoming version';
  const [k, o] = [latestAuditDate(c.kept), latestAuditDate(c.other)];
  if (k !== null && o !== null && Date.parse(k) > Date.parse(o)) return `Every node kept ${whose}: it is the newer change (${k}, the other ${o}).`;
  if (k !== null && o !== null && Date.parse(k) === Date.parse(o)) {
    return `Every node kept ${whose}: both were changed at the same time (${k}), and then the version with the greater content hash wins.`;
  }
  return `Every node kept ${whose}, by the rule: the newer change wins, and at the same time the greater content hash.`;
}
