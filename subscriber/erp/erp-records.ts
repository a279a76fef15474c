// What the ERP keeps of each resource, as pure functions of its row tree (the
// checked values and uuids) and its representation (the `display` labels of
// references, which is how the ERP learns names without OpenMRS tables), and
// the line an OpenMRS order makes.
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

export interface DrugRecord {
  name: string | null;
  concept_uuid: string;
  product: string | null;
  active: number;
}

/** What OpenMRS calls an order's `type`: a drug order, a test order, or any other order. */
export type OrderKind = 'drugorder' | 'testorder' | 'order';

/** An OpenMRS order as the ERP keeps it (erp_source_order), its encounter by uuid. */
export interface SourceOrderRecord {
  encounterUuid: string;
  kind: OrderKind;
  action: string;
  previous_order_uuid: string | null;
  order_number: string | null;
  concept_uuid: string;
  concept_name: string | null;
  drug_uuid: string | null;
  drug_non_coded: string | null;
  quantity: number | null;
  quantity_units: string | null;
  voided: number;
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

/** A drug as its orders' lines need it: the product is its concept, named by the concept's label. */
export function drugRecord(tree: RowNode, rep: Obj): DrugRecord {
  return {
    name: (tree.values.name as string | null) ?? null,
    concept_uuid: tree.refs.concept_id!.uuid, // required by the registry
    product: display(rep, 'concept'),
    active: tree.values.retired === 1 ? 0 : 1,
  };
}

/** An order, whatever its kind, as received: whether it makes a line is decided with its successors (orderLineOf). */
export function sourceOrderRecord(tree: RowNode, rep: Obj): SourceOrderRecord {
  const drug = rowsOf(tree, 'drugOrder')[0];
  const kind: OrderKind = drug ? 'drugorder' : rowsOf(tree, 'testOrder').length > 0 ? 'testorder' : 'order';
  return {
    encounterUuid: tree.refs.encounter_id!.uuid, // required by the registry
    kind,
    action: String(tree.values.order_action ?? 'NEW').toUpperCase(),
    previous_order_uuid: tree.refs.previous_order_id?.uuid ?? null,
    order_number: (tree.values.order_number as string | null) ?? null,
    concept_uuid: tree.refs.concept_id!.uuid,
    concept_name: display(rep, 'concept'),
    drug_uuid: drug?.refs.drug_inventory_id?.uuid ?? null,
    drug_non_coded: (drug?.values.drug_non_coded as string | null | undefined) ?? null,
    quantity: (drug?.values.quantity as number | null | undefined) ?? null,
    quantity_units: drug ? display(rep, 'quantityUnits') : null,
    voided: active(tree) ? 0 : 1,
  };
}

/** The actions that stop the order they point at: its line goes (Bahmni's connector removes it too). A RENEW does not. */
export const STOPPING_ACTIONS = ['REVISE', 'DISCONTINUE'] as const;

/** An order as erp_source_order holds it, with its drug (erp_drug) when it names one the ERP holds. */
export interface StoredOrder {
  order_id: number;
  kind: string;
  action: string;
  voided: number;
  order_number: string | null;
  concept_uuid: string;
  concept_name: string | null;
  drug_non_coded: string | null;
  quantity: number | null;
  quantity_units: string | null;
  drug_concept_uuid: string | null;
  drug_product: string | null;
  drug_name: string | null;
}

export interface OrderLineRow {
  order_id: number;
  concept_uuid: string;
  product: string | null;
  value: string | null;
  order_number: string | null;
  quantity: number | null;
  quantity_units: string | null;
}

/**
 * The line an order makes, or null. Only drug and test orders are billed; a voided order, a
 * DISCONTINUE (it orders nothing) and an order a live REVISE or DISCONTINUE points at
 * (`stopped`) make none. The product is the drug's concept for a drug order with a drug,
 * else the order's concept; a drug order's quantity is its own, a test is one.
 */
export function orderLineOf(o: StoredOrder, stopped: boolean): OrderLineRow | null {
  if (o.kind === 'order' || o.voided === 1 || o.action === 'DISCONTINUE' || stopped) return null;
  const drug = o.kind === 'drugorder';
  const coded = drug && o.drug_concept_uuid !== null;
  return {
    order_id: o.order_id,
    concept_uuid: coded ? o.drug_concept_uuid! : o.concept_uuid,
    product: coded ? o.drug_product : o.concept_name,
    value: drug ? (coded ? o.drug_name : o.drug_non_coded) : null,
    order_number: o.order_number,
    quantity: drug ? o.quantity : 1,
    quantity_units: drug ? o.quantity_units : null,
  };
}
