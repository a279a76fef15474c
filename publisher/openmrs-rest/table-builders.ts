// Small builders the property tables (tables*.ts) are written with, so each table
// reads as the resource class's list of addProperty calls.
import type { Level } from './custom-spec.ts';
import type { Prop, Source, Table } from './table-types.ts';

export const prop = (name: string, src: Source, rep: Level = 'default'): Prop => ({ name, src, rep });
/** Plain values, by their internal names. */
export const fields = (...names: string[]): Prop[] => names.map((n) => prop(n, { kind: 'field', from: n }));
export const field = (name: string, from = name, optional = false): Prop => prop(name, { kind: 'field', from, optional });
export const ref = (name: string, to: string, rep: Level, from = name): Prop => prop(name, { kind: 'ref', from, to }, rep);
export const constant = (name: string, value: unknown = null): Prop => prop(name, { kind: 'constant', value });
export const nulls = (...names: string[]): Prop[] => names.map((n) => constant(n));
/** Rows of another resource pointing at this one (see Source `children`). */
export const children = (name: string, resource: string, via: string, active: boolean, rep: Level): Prop =>
  prop(name, { kind: 'children', resource, via, active }, rep);
/** The rows of a registry part, as the sub-resource `sub`, voided ones left out. */
export const part = (name: string, sub: string, rep: Level, from = name): Prop => prop(name, { kind: 'part', from, sub, active: true }, rep);
export const UUID = field('uuid');
export const DISPLAY = prop('display', { kind: 'display' });
export const AUDIT = prop('auditInfo', { kind: 'audit' });
export const voided = prop('voided', { kind: 'lifecycle' });
export const retired = prop('retired', { kind: 'lifecycle' });

/** MetadataDelegatingCrudResource: uuid, display, name, description, retired (+ auditInfo in full). */
export function namedMetadata(name: string, version = '1.8', extra: string[] = []): Table {
  const base = [UUID, DISPLAY, ...fields('name', 'description', ...extra), retired];
  return { name, version, display: 'label', load: [{ resource: name }], default: base, full: [...base, AUDIT] };
}
