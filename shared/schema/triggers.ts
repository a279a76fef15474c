// Change-capture triggers, derived from the registry. Each synced table gets an
// AFTER INSERT/UPDATE/DELETE trigger that writes one outbox row naming the
// resource whose aggregate the table belongs to. The row is written inside the
// writer's transaction, so a rollback leaves no event.
import { DECLARED_REGISTRY } from '../registry.ts';
import type { Registry } from '../registry.ts';
import { tablesOf, uuidSql } from '../resources.ts';
import type { Part, ResourceDef, TableSpec } from '../resources.ts';

/** MariaDB session variable a writer sets to name the node a change came from; the triggers record it. */
export const ORIGIN_SESSION_VAR = '@atomsync_origin';

export interface TriggerDef {
  name: string;
  table: string;
  timing: 'INSERT' | 'UPDATE' | 'DELETE';
  /** The statement the trigger runs (what information_schema.TRIGGERS calls ACTION_STATEMENT). */
  body: string;
}

const ROW_FOR: Record<TriggerDef['timing'], 'NEW' | 'OLD'> = { INSERT: 'NEW', UPDATE: 'NEW', DELETE: 'OLD' };
const SUFFIX: Record<TriggerDef['timing'], string> = { INSERT: 'ai', UPDATE: 'au', DELETE: 'ad' };

/**
 * SQL for the root row's key, starting from a row of a table reached by `path`.
 * Each part points at its parent's key, so we climb one parent per level.
 */
export function rootKeySql(path: Part[], row: string): string {
  if (path.length === 0) throw new Error('root rows know their own key');
  let expr = `${row}.${path[path.length - 1].parentKeyColumn}`;
  for (let i = path.length - 2; i >= 0; i--) {
    const p = path[i];
    expr = `(SELECT t${i}.${p.parentKeyColumn} FROM ${p.spec.table} t${i} WHERE t${i}.${p.spec.key} = ${expr})`;
  }
  return expr;
}

/** SQL for the uuid of the resource a row belongs to; NULL when the row's root does not exist (a person who is not a patient). */
export function resourceUuidSql(def: ResourceDef, path: Part[], row: string): string {
  if (path.length === 0) return uuidSql(def, row);
  return `(SELECT ${uuidSql(def, 'r')} FROM ${def.root.table} r WHERE r.${def.root.key} = ${rootKeySql(path, row)})`;
}

function actionSql(spec: TableSpec, isRoot: boolean, timing: TriggerDef['timing']): string {
  if (!isRoot) return `'UPDATED'`; // a change to an owned row is a change to its resource
  if (timing === 'INSERT') return `'CREATED'`;
  if (timing === 'DELETE') return `'DELETED'`;
  if (spec.absent?.has(spec.lifecycle === 'voidable' ? 'voided' : 'retired')) return `'UPDATED'`;
  if (spec.lifecycle === 'voidable') {
    return `CASE WHEN NEW.voided <> 0 AND OLD.voided = 0 THEN 'VOIDED' WHEN NEW.voided = 0 AND OLD.voided <> 0 THEN 'UNVOIDED' ELSE 'UPDATED' END`;
  }
  return `CASE WHEN NEW.retired <> 0 AND OLD.retired = 0 THEN 'RETIRED' ELSE 'UPDATED' END`;
}

export function triggersFor(def: ResourceDef): TriggerDef[] {
  const out: TriggerDef[] = [];
  for (const { spec, path } of tablesOf(def)) {
    for (const timing of ['INSERT', 'UPDATE', 'DELETE'] as const) {
      const row = ROW_FOR[timing];
      const action = actionSql(spec, path.length === 0, timing);
      // changed_at in UTC whatever the writer's session time zone (OpenMRS sets its own).
      const insert = `INSERT INTO atomsync_outbox (resource, uuid, action, origin, changed_at) `;
      const plain = `${insert}VALUES ('${def.name}', ${row}.${spec.uuidColumn}, ${action}, ${ORIGIN_SESSION_VAR}, UTC_TIMESTAMP(3))`;
      const body =
        path.length === 0 && spec.uuidColumn
          ? // A root row carries its own uuid: a plain insert, the cheapest thing a trigger can do per row
            // (a row without a uuid, where OpenMRS allows one, has nothing to publish and must still be written).
            spec.uuidMayBeNull
            ? `IF ${row}.${spec.uuidColumn} IS NOT NULL THEN ${plain}; END IF`
            : plain
          : // Other rows find their resource's uuid, which may not exist (a person who is not a patient).
            `${insert}SELECT '${def.name}', x.u, ${action}, ${ORIGIN_SESSION_VAR}, UTC_TIMESTAMP(3) ` +
            `FROM (SELECT ${resourceUuidSql(def, path, row)} AS u) x WHERE x.u IS NOT NULL`;
      out.push({ name: `atomsync_${spec.table}_${SUFFIX[timing]}`, table: spec.table, timing, body });
    }
  }
  return out;
}

/** SQL for the key of the root row a row of `def` belongs to. */
function rootKeyOf(def: ResourceDef, path: Part[], row: string): string {
  return path.length === 0 ? `${row}.${def.root.key}` : rootKeySql(path, row);
}

/**
 * One trigger for a table two resources share, where one yields to the other (ResourceDef.yieldsTo):
 * a change to a person who is a patient is published as the patient, any other person's as the
 * person. The two share their root key (patient.patient_id = person.person_id).
 */
function yieldingTrigger(yielder: ResourceDef, winner: ResourceDef, y: TriggerDef, w: TriggerDef): TriggerDef {
  const path = tablesOf(yielder).find((t) => t.spec.table === y.table)!.path;
  const key = rootKeyOf(yielder, path, ROW_FOR[y.timing]);
  const body =
    `BEGIN IF EXISTS (SELECT 1 FROM ${winner.root.table} yw WHERE yw.${winner.root.key} = ${key}) ` +
    `THEN ${w.body}; ELSE ${y.body}; END IF; END`;
  return { ...y, body };
}

/** The triggers of every table the registry (fitted to one database) holds. */
export function allTriggers(registry: Registry = DECLARED_REGISTRY): TriggerDef[] {
  const byName = new Map<string, { def: ResourceDef; t: TriggerDef }[]>();
  for (const n of registry.names) {
    const def = registry.def(n);
    for (const t of triggersFor(def)) {
      const list = byName.get(t.name) ?? [];
      list.push({ def, t });
      byName.set(t.name, list);
    }
  }
  const out: TriggerDef[] = [];
  for (const list of byName.values()) {
    if (list.length === 1) {
      out.push(list[0].t);
      continue;
    }
    const [a, b] = list;
    const yielder = list.length === 2 ? [a, b].find((x) => x.def.yieldsTo === (x === a ? b : a).def.name) : undefined;
    if (!yielder) throw new Error(`table ${a.t.table} belongs to two resources; a table may have one owner unless one yields to the other`);
    const winner = yielder === a ? b : a;
    out.push(yieldingTrigger(yielder.def, winner.def, yielder.t, winner.t));
  }
  return out;
}

export function createTriggerSql(t: TriggerDef): string {
  return `CREATE OR REPLACE TRIGGER ${t.name} AFTER ${t.timing} ON ${t.table} FOR EACH ROW ${t.body}`;
}
