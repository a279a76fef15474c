// The words the resource registry is written in: fields, references, parts and
// their shapes, and the small builders that keep the entries readable. The
// entries themselves live in shared/resources/*.ts; shared/resources.ts joins
// them into the registry. Triggers, REST representations, dependency resolution,
// upsert, snapshot and verify are all derived from these declarations.

export type FieldType = 'string' | 'int' | 'number' | 'bool' | 'date' | 'datetime';

/**
 * A text column that holds another resource's integer key when its attribute type's format
 * says so (OpenMRS's Attributable: a person attribute of format org.openmrs.Location stores
 * the location_id as text). Shown as a reference to that resource, synced by uuid, and
 * written back as the local key; any other format is plain text.
 */
export interface FormatRef {
  /** Column of this table pointing at the attribute type. */
  typeColumn: string;
  typeTable: string;
  typeKey: string;
  /** Column of the attribute type naming the format (a Java class name). */
  formatColumn: string;
  /** Format -> the resource whose key the value holds. */
  formats: Readonly<Record<string, ResourceName>>;
}

/** A plain column, shown in the representation under `prop`. */
export interface Field {
  column: string;
  prop: string;
  type: FieldType;
  /** The value is a reference when the row's attribute type has one of these formats. */
  byFormat?: FormatRef;
  /** See later(). */
  addedLater?: boolean;
}

/** A column holding another resource's integer key; shown as an OpenMRS reference and synced by uuid. */
export interface Ref {
  column: string;
  prop: string;
  resource: ResourceName;
  /** The column is NOT NULL: the row cannot be written without the referenced resource. */
  required: boolean;
  /** See later(). */
  addedLater?: boolean;
  /**
   * The column keys a row of this part of `resource`, not the resource itself (obs.value_coded_name_id
   * names one of a concept's names). Travels as that row's uuid; the resource that owns it is
   * referenced by another column of the same row (value_coded), which is resolved first.
   */
  part?: string;
}

export type Lifecycle = 'voidable' | 'retireable';

/** One table of a resource's aggregate. */
export interface TableSpec {
  table: string;
  /** Integer primary key. Never leaves the node: references travel as uuids. */
  key: string;
  /** Column holding this row's own uuid (absent on `patient`, whose uuid is its person's, and on subclass and link tables). */
  uuidColumn?: string;
  /** OpenMRS lets the uuid be NULL here (allergy, conditions): such a row cannot be synced, and must not break a write. */
  uuidMayBeNull?: boolean;
  lifecycle: Lifecycle;
  /** obs has no changed_by/date_changed: OpenMRS edits an obs by voiding it and writing a new one. */
  changeAudit: boolean;
  fields: Field[];
  refs: Ref[];
  parts: Part[];
  /** SQL for the label of a part row, given its alias (roots use ResourceDef.display). */
  display?: (alias: string) => string;
  /**
   * Columns of this entry the table lacks: they read as NULL, carry NULL in representations and
   * are never written. Declared for tables OpenMRS itself builds without them (drug_order has no
   * audit columns at all, program no retired_by), and added by fitRegistry for the columns one
   * database's table lacks (an older OpenMRS).
   */
  absent?: ReadonlySet<string>;
}

/**
 * How a part's rows appear in the owner's representation:
 * - `rows` (default): a list (or, one-to-one, an object) of the rows under `prop`;
 * - `inline`: a one-to-one subclass table sharing the owner's key (drug_order of orders,
 *   concept_numeric of concept), optional, its fields shown on the owner itself as OpenMRS
 *   shows a subclass; present exactly when the representation has the part's first field;
 * - `refs`: a link table of (owner key, one reference) and nothing else (location_tag_map),
 *   shown as a list of references.
 */
export type PartShape = 'rows' | 'inline' | 'refs';

/** Rows owned by their parent: written, versioned and published with it. */
export interface Part {
  prop: string;
  /** `false` for a one-to-one extension sharing the parent's key (patient → person, orders → drug_order). */
  many: boolean;
  /** Column of this part pointing at the parent's key. */
  parentKeyColumn: string;
  spec: TableSpec;
  shape: PartShape;
  /** For an inline subclass: the owner's `type` when this row exists (drug_order → 'drugorder'). */
  subtype?: string;
  /** See later(). */
  addedLater?: boolean;
}

export type ResourceKind = 'metadata' | 'clinical';

export interface ResourceDef {
  /** REST resource name and feed category. */
  name: ResourceName;
  kind: ResourceKind;
  root: TableSpec;
  /** Prop of a one-to-one part that carries the uuid, when the root table has none. */
  uuidFromPart?: string;
  /**
   * SQL for the human label of a row, given the alias of its root table and whether this
   * database's table has a column (most labels need not ask; see shared/registry.ts).
   */
  display: (alias: string, has: (column: string) => boolean) => string;
  /** A prop naming the subclass, as OpenMRS's `type` of an order: `base` unless an inline part says otherwise. */
  subtypeProp?: { prop: string; base: string };
  /**
   * Rows of this resource that are also rows of that one are published as that one: a
   * person who is a patient changes as a `patient`, and only other persons (a caregiver,
   * a provider) as `person`. Both resources are served; triggers pick one per change.
   */
  yieldsTo?: ResourceName;
  /**
   * SQL condition, given an expression for a root key, true for rows each node keeps for itself:
   * not published, not compared by verify (the persons behind a node's own user accounts).
   */
  localRows?: (key: string) => string;
}

export const RESOURCE_NAMES = [
  'locationtag',
  'locationattributetype',
  'location',
  'conceptdatatype',
  'conceptclass',
  'concept',
  'drug',
  'patientidentifiertype',
  'personattributetype',
  'relationshiptype',
  'visittype',
  'visitattributetype',
  'encountertype',
  'encounterrole',
  'ordertype',
  'caresetting',
  'orderfrequency',
  'program',
  'programworkflow',
  'programworkflowstate',
  'person',
  'provider',
  'patient',
  'relationship',
  'visit',
  'encounter',
  'order',
  'obs',
  'patientdiagnoses',
  'condition',
  'allergy',
  'programenrollment',
] as const;
export type ResourceName = (typeof RESOURCE_NAMES)[number];

// ---- builders -------------------------------------------------------------------------

/**
 * Marks a field, reference or part added to an entry after subscribers had stored content hashes
 * of its rows (atomsync_sync_state): the hash leaves it out while it is NULL or empty, so a row
 * synced before keeps its hash and is not taken for a local change after an upgrade.
 */
export const later = <T extends Field | Ref | Part>(x: T): T => ({ ...x, addedLater: true });

export const f = (column: string, prop: string, type: FieldType = 'string'): Field => ({ column, prop, type });

export const ref = (column: string, prop: string, resource: ResourceName, required = false): Ref => ({
  column,
  prop,
  resource,
  required,
});

/** A reference to a row of a part of another resource (see Ref.part). */
export const partRef = (column: string, prop: string, resource: ResourceName, part: string): Ref => ({ ...ref(column, prop, resource), part });

export interface TableOptions {
  /** The table has a uuid column (default true). */
  uuid?: boolean;
  /** The table has changed_by/date_changed (default true). */
  changeAudit?: boolean;
  /** Columns OpenMRS builds this table without (see TableSpec.absent). */
  lacks?: readonly string[];
  /** See TableSpec.uuidMayBeNull. */
  uuidMayBeNull?: boolean;
}

export function table(
  t: string,
  key: string,
  lifecycle: Lifecycle,
  fields: Field[],
  refs: Ref[] = [],
  parts: Part[] = [],
  opts: TableOptions = {},
): TableSpec {
  const spec: TableSpec = {
    table: t,
    key,
    uuidColumn: opts.uuid === false ? undefined : 'uuid',
    lifecycle,
    changeAudit: opts.changeAudit ?? true,
    fields,
    refs,
    parts,
  };
  if (opts.lacks?.length) spec.absent = new Set(opts.lacks);
  if (opts.uuidMayBeNull) spec.uuidMayBeNull = true;
  return spec;
}

/** Lifecycle and audit columns, for tables OpenMRS builds with none or only some of them. */
export const NO_LIFECYCLE = ['voided', 'voided_by', 'date_voided', 'void_reason'] as const;
export const NO_RETIRE_DETAILS = ['retired_by', 'date_retired', 'retire_reason'] as const;
export const NO_CREATION = ['creator', 'date_created'] as const;

export const part = (prop: string, parentKeyColumn: string, spec: TableSpec, many = true): Part => ({
  prop,
  many,
  parentKeyColumn,
  spec,
  shape: 'rows',
});

/** A subclass table sharing its owner's key, its fields shown on the owner (see PartShape). */
export function inlinePart(prop: string, spec: TableSpec, subtype?: string): Part {
  if (spec.uuidColumn) throw new Error(`inline part ${spec.table} must not have a uuid of its own`);
  if (spec.fields.length === 0) throw new Error(`inline part ${spec.table} needs a field to mark its presence`);
  return { prop, many: false, parentKeyColumn: spec.key, spec, shape: 'inline', ...(subtype ? { subtype } : {}) };
}

/** A link table of (owner key, one reference), shown as a list of references (see PartShape). */
export function refsPart(prop: string, t: string, parentKeyColumn: string, target: Ref): Part {
  const spec = table(t, target.column, 'voidable', [], [target], [], {
    uuid: false,
    changeAudit: false,
    lacks: [...NO_LIFECYCLE, ...NO_CREATION],
  });
  return { prop, many: true, parentKeyColumn, spec, shape: 'refs' };
}

/** Metadata with a name and a description, the commonest OpenMRS shape. */
export function namedMetadata(name: ResourceName, t: string, extra: Field[] = [], refs: Ref[] = [], opts: TableOptions = {}): ResourceDef {
  return {
    name,
    kind: 'metadata',
    root: table(t, `${t}_id`, 'retireable', [f('name', 'name'), f('description', 'description'), ...extra], refs, [], opts),
    display: (a) => `${a}.name`,
  };
}

/** SQL for a concept's preferred name, given an expression for its concept_id. */
export function conceptNameSql(idExpr: string): string {
  return `(SELECT cn.name FROM concept_name cn WHERE cn.concept_id = ${idExpr} AND cn.voided = 0
    ORDER BY cn.locale_preferred DESC, cn.concept_name_id LIMIT 1)`;
}
export const conceptDisplay = (a: string): string => conceptNameSql(`${a}.concept_id`);

/** SQL for a person's preferred name, given an expression for the person_id. */
export function personNameSql(idExpr: string): string {
  return `(SELECT CONCAT_WS(' ', pn.given_name, pn.middle_name, pn.family_name) FROM person_name pn
    WHERE pn.person_id = ${idExpr} AND pn.voided = 0 ORDER BY pn.preferred DESC, pn.person_name_id LIMIT 1)`;
}

/** OpenMRS's Attributable formats whose values are keys of synced resources. */
export const ATTRIBUTABLE_FORMATS: Readonly<Record<string, ResourceName>> = {
  'org.openmrs.Location': 'location',
  'org.openmrs.Concept': 'concept',
  'org.openmrs.Drug': 'drug',
  'org.openmrs.Provider': 'provider',
};
