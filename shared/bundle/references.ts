// What a resource's representation refers to, read with the registry: a bundle carries the
// states its events name and, round by round, what those refer to, so that the node importing it
// finds every dependency in the file or already at home, whatever it held before.
import { refUuid } from '../rest-format.ts';
import type { ResourceDef, ResourceName, TableSpec } from '../resources.ts';

export interface ResourceRef {
  resource: ResourceName;
  uuid: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The resources `rep` (a `sync` or `full` representation of `def`) refers to, itself left out; uuids in lower case. */
export function referencesIn(def: ResourceDef, rep: Obj): ResourceRef[] {
  const out = new Map<string, ResourceRef>();
  const add = (resource: ResourceName, v: unknown) => {
    let u: string | null = null;
    try {
      u = refUuid(v);
    } catch {
      return; // not a reference: the import says what is wrong with it
    }
    if (!u) return;
    const uuid = u.toLowerCase();
    const self = resource === def.name && uuid === String(rep.uuid ?? '').toLowerCase();
    if (!self) out.set(`${resource}/${uuid}`, { resource, uuid });
  };
  const walk = (spec: TableSpec, obj: Obj) => {
    for (const r of spec.refs) if (!r.part) add(r.resource, obj[r.prop]);
    for (const p of spec.parts) {
      if (p.shape === 'inline') {
        walk(p.spec, obj);
        continue;
      }
      const v = obj[p.prop];
      const rows = Array.isArray(v) ? v : isObj(v) ? [v] : [];
      if (p.shape === 'refs') {
        const target = p.spec.refs[0]?.resource;
        if (target) for (const row of rows) add(target, row);
        continue;
      }
      for (const row of rows) if (isObj(row)) walk(p.spec, row);
    }
  };
  walk(def.root, rep);
  return [...out.values()];
}
