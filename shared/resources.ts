// The resource registry: one declarative entry per synced resource, in the words of
// shared/resource-vocabulary.ts. Triggers, REST representations, and the
// subscriber's dependency resolution and upsert are all derived from these
// entries. Adding a module's table means adding an entry (and its DDL), not code
// in five places. The entries live by subject in shared/resources/.
import { CONCEPTS } from './resources/concepts.ts';
import { CARE } from './resources/care.ts';
import { ORDERS, PROGRAMS } from './resources/orders.ts';
import { PEOPLE } from './resources/people.ts';
import { RESOURCE_NAMES } from './resource-vocabulary.ts';
import type { Part, ResourceDef, ResourceName, TableSpec } from './resource-vocabulary.ts';

export { RESOURCE_NAMES } from './resource-vocabulary.ts';
export type {
  Field,
  FieldType,
  FormatRef,
  Lifecycle,
  Part,
  PartShape,
  Ref,
  ResourceDef,
  ResourceKind,
  ResourceName,
  TableSpec,
} from './resource-vocabulary.ts';

export const RESOURCES: Record<ResourceName, ResourceDef> = { ...CARE, ...CONCEPTS, ...PEOPLE, ...ORDERS, ...PROGRAMS };

for (const name of RESOURCE_NAMES) {
  if (RESOURCES[name]?.name !== name) throw new Error(`registry: no entry named ${name}`);
}

export function isResourceName(name: string): name is ResourceName {
  return (RESOURCE_NAMES as readonly string[]).includes(name);
}

/** Every table of a resource's aggregate, root first, with the path of parts leading to it. */
export function tablesOf(def: ResourceDef): Array<{ spec: TableSpec; path: Part[] }> {
  const out: Array<{ spec: TableSpec; path: Part[] }> = [];
  const walk = (spec: TableSpec, path: Part[]) => {
    out.push({ spec, path });
    for (const p of spec.parts) walk(p.spec, [...path, p]);
  };
  walk(def.root, []);
  return out;
}

/** SQL expression for a resource's uuid, given the alias of its root row. */
export function uuidSql(def: ResourceDef, alias: string): string {
  if (def.root.uuidColumn) return `${alias}.${def.root.uuidColumn}`;
  const p = def.root.parts.find((x) => x.prop === def.uuidFromPart);
  if (!p || !p.spec.uuidColumn) throw new Error(`resource ${def.name} has no uuid source`);
  return `(SELECT u.${p.spec.uuidColumn} FROM ${p.spec.table} u WHERE u.${p.parentKeyColumn} = ${alias}.${def.root.key})`;
}

/** Every table the registry publishes; used to keep triggers off everything else. */
export function syncedTables(): string[] {
  return RESOURCE_NAMES.flatMap((n) => tablesOf(RESOURCES[n]).map((t) => t.spec.table));
}

/**
 * SQL condition (with a leading AND) keeping the root rows a resource publishes itself: for one
 * that yields to another (person to patient), those that are not also rows of that one; and not
 * the rows each node keeps for itself (ResourceDef.localRows). Empty when neither applies.
 */
export function ownRowsSql(def: ResourceDef, alias: string): string {
  let out = '';
  if (def.yieldsTo) {
    const w = RESOURCES[def.yieldsTo].root;
    out += ` AND NOT EXISTS (SELECT 1 FROM ${w.table} yw WHERE yw.${w.key} = ${alias}.${def.root.key})`;
  }
  if (def.localRows) out += ` AND NOT ${def.localRows(`${alias}.${def.root.key}`)}`;
  return out;
}
