// What the ERP keeps of each resource, as pure functions of its row tree (the
// checked values and uuids) and its representation (the `display` labels of
// references, which is how the ERP learns names without OpenMRS tables).
import type { RowNode } from '../row-tree.ts';

export interface CustomerRecord {
  name: string | null;
  identifier: string | null;
  clinic: string;
  active: number;
}

export interface OrderRecord {
  customerUuid: string;
  orderDate: string;
  location: string | null;
  encounterType: string | null;
  active: number;
}

export interface LineRecord {
  encounterUuid: string;
  conceptUuid: string;
  product: string | null;
  value: string | null;
}

type Obj = Record<string, unknown>;

const rowsOf = (n: RowNode, prop: string): RowNode[] => n.parts.find((p) => p.prop === prop)?.rows ?? [];
const active = (n: RowNode): boolean => n.values.voided !== 1;

/** The `display` label of a reference in a representation, or null. */
function display(obj: unknown, prop: string): string | null {
  const ref = (obj as Obj | null)?.[prop] as Obj | null | undefined;
  return typeof ref?.display === 'string' && ref.display !== '' ? ref.display : null;
}

/** The first non-voided row, preferred ones first, in the order the representation lists them. */
function preferred(rows: RowNode[]): number {
  const live = rows.map((r, i) => ({ r, i })).filter(({ r }) => active(r));
  return (live.find(({ r }) => r.values.preferred === 1) ?? live[0])?.i ?? -1;
}

/** A patient as a customer: preferred name and identifier; the clinic is where the identifier was issued. */
export function customerRecord(tree: RowNode, rep: Obj, origin: string): CustomerRecord {
  const person = rowsOf(tree, 'person')[0];
  const names = person ? rowsOf(person, 'names') : [];
  const n = names[preferred(names)];
  const name = n ? [n.values.given_name, n.values.middle_name, n.values.family_name].filter((v) => typeof v === 'string' && v !== '').join(' ') : '';
  const ids = rowsOf(tree, 'identifiers');
  const i = preferred(ids);
  const repIds = Array.isArray(rep.identifiers) ? rep.identifiers : [];
  return {
    name: name || null,
    identifier: i >= 0 ? (ids[i].values.identifier as string | null) : null,
    clinic: (i >= 0 ? display(repIds[i], 'location') : null) ?? origin,
    active: active(tree) && (!person || active(person)) ? 1 : 0,
  };
}

/** An encounter as an order of its patient's customer. */
export function orderRecord(tree: RowNode, rep: Obj): OrderRecord {
  return {
    customerUuid: tree.refs.patient_id!.uuid, // required by the registry, so always there
    orderDate: tree.values.encounter_datetime as string,
    location: display(rep, 'location'),
    encounterType: display(rep, 'encounterType'),
    active: active(tree) ? 1 : 0,
  };
}

/**
 * A coded obs of an encounter as a line of that encounter's order: the product is the
 * coded answer, the value the question. Null when the obs makes no line (voided, not
 * coded, or outside any encounter).
 */
export function lineRecord(tree: RowNode, rep: Obj): LineRecord | null {
  const encounter = tree.refs.encounter_id;
  const coded = tree.refs.value_coded;
  if (!active(tree) || !encounter || !coded) return null;
  return { encounterUuid: encounter.uuid, conceptUuid: coded.uuid, product: display(rep, 'valueCoded'), value: display(rep, 'concept') };
}
