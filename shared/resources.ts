// The resource registry: one declarative entry per synced resource. Triggers,
// REST representations, and the subscriber's dependency resolution and upsert
// are all derived from these entries. Adding a module's table means adding an
// entry here (and its DDL), not code in five places.

export type FieldType = 'string' | 'int' | 'number' | 'bool' | 'date' | 'datetime';

/** A plain column, shown in the representation under `prop`. */
export interface Field {
  column: string;
  prop: string;
  type: FieldType;
}

/** A column holding another resource's integer key; shown as an OpenMRS reference and synced by uuid. */
export interface Ref {
  column: string;
  prop: string;
  resource: ResourceName;
  /** The column is NOT NULL: the row cannot be written without the referenced resource. */
  required: boolean;
}

export type Lifecycle = 'voidable' | 'retireable';

/** One table of a resource's aggregate. */
export interface TableSpec {
  table: string;
  /** Integer primary key. Never leaves the node: references travel as uuids. */
  key: string;
  /** Column holding this row's own uuid (absent on `patient`, whose uuid is its person's). */
  uuidColumn?: string;
  lifecycle: Lifecycle;
  /** obs has no changed_by/date_changed: OpenMRS edits an obs by voiding it and writing a new one. */
  changeAudit: boolean;
  fields: Field[];
  refs: Ref[];
  parts: Part[];
  /** SQL for the label of a part row, given its alias (roots use ResourceDef.display). */
  display?: (alias: string) => string;
  /**
   * Columns of this entry that one database's table lacks (set by fitRegistry, never in the
   * declared registry): they read as NULL, carry NULL in representations and are never written.
   */
  absent?: ReadonlySet<string>;
}

/** Rows owned by their parent: written, versioned and published with it. */
export interface Part {
  prop: string;
  /** `false` for a one-to-one extension sharing the parent's key (patient → person). */
  many: boolean;
  /** Column of this part pointing at the parent's key. */
  parentKeyColumn: string;
  spec: TableSpec;
}

export type ResourceKind = 'metadata' | 'clinical';

export interface ResourceDef {
  /** REST resource name and feed category. */
  name: ResourceName;
  kind: ResourceKind;
  root: TableSpec;
  /** Prop of a one-to-one part that carries the uuid, when the root table has none. */
  uuidFromPart?: string;
  /** SQL for the human label of a row, given the alias of its root table. */
  display: (alias: string) => string;
}

export const RESOURCE_NAMES = [
  'location',
  'conceptdatatype',
  'conceptclass',
  'concept',
  'patientidentifiertype',
  'visittype',
  'encountertype',
  'encounterrole',
  'provider',
  'patient',
  'visit',
  'encounter',
  'obs',
] as const;
export type ResourceName = (typeof RESOURCE_NAMES)[number];

// ---- small builders keep the entries below readable -------------------------------

const f = (column: string, prop: string, type: FieldType = 'string'): Field => ({ column, prop, type });
const ref = (column: string, prop: string, resource: ResourceName, required = false): Ref => ({
  column,
  prop,
  resource,
  required,
});

function table(
  t: string,
  key: string,
  lifecycle: Lifecycle,
  fields: Field[],
  refs: Ref[] = [],
  parts: Part[] = [],
  opts: { uuid?: boolean; changeAudit?: boolean } = {},
): TableSpec {
  return {
    table: t,
    key,
    uuidColumn: opts.uuid === false ? undefined : 'uuid',
    lifecycle,
    changeAudit: opts.changeAudit ?? true,
    fields,
    refs,
    parts,
  };
}

const part = (prop: string, parentKeyColumn: string, spec: TableSpec, many = true): Part => ({
  prop,
  many,
  parentKeyColumn,
  spec,
});

/** Metadata with a name and a description, the commonest OpenMRS shape. */
function namedMetadata(name: ResourceName, t: string, extra: Field[] = []): ResourceDef {
  return {
    name,
    kind: 'metadata',
    root: table(t, `${t}_id`, 'retireable', [f('name', 'name'), f('description', 'description'), ...extra]),
    display: (a) => `${a}.name`,
  };
}

// ---- the registry -------------------------------------------------------------------

const personName = table('person_name', 'person_name_id', 'voidable', [
  f('preferred', 'preferred', 'bool'),
  f('prefix', 'prefix'),
  f('given_name', 'givenName'),
  f('middle_name', 'middleName'),
  f('family_name_prefix', 'familyNamePrefix'),
  f('family_name', 'familyName'),
  f('family_name2', 'familyName2'),
  f('family_name_suffix', 'familyNameSuffix'),
  f('degree', 'degree'),
]);

const personAddress = table('person_address', 'person_address_id', 'voidable', [
  f('preferred', 'preferred', 'bool'),
  f('address1', 'address1'),
  f('address2', 'address2'),
  f('city_village', 'cityVillage'),
  f('state_province', 'stateProvince'),
  f('postal_code', 'postalCode'),
  f('country', 'country'),
  f('county_district', 'countyDistrict'),
  f('latitude', 'latitude'),
  f('longitude', 'longitude'),
  f('start_date', 'startDate', 'datetime'),
  f('end_date', 'endDate', 'datetime'),
]);

const person = table(
  'person',
  'person_id',
  'voidable',
  [
    f('gender', 'gender'),
    f('birthdate', 'birthdate', 'date'),
    f('birthdate_estimated', 'birthdateEstimated', 'bool'),
    f('dead', 'dead', 'bool'),
    f('death_date', 'deathDate', 'datetime'),
  ],
  [ref('cause_of_death', 'causeOfDeath', 'concept')],
  [part('names', 'person_id', personName), part('addresses', 'person_id', personAddress)],
);
person.display = (a) =>
  `(SELECT CONCAT_WS(' ', pn.given_name, pn.middle_name, pn.family_name) FROM person_name pn
    WHERE pn.person_id = ${a}.person_id AND pn.voided = 0 ORDER BY pn.preferred DESC, pn.person_name_id LIMIT 1)`;

const patientIdentifier = table(
  'patient_identifier',
  'patient_identifier_id',
  'voidable',
  [f('identifier', 'identifier'), f('preferred', 'preferred', 'bool')],
  [ref('identifier_type', 'identifierType', 'patientidentifiertype', true), ref('location_id', 'location', 'location')],
);
patientIdentifier.display = (a) =>
  `CONCAT_WS(' = ', (SELECT t.name FROM patient_identifier_type t WHERE t.patient_identifier_type_id = ${a}.identifier_type), ${a}.identifier)`;

const encounterProvider = table(
  'encounter_provider',
  'encounter_provider_id',
  'voidable',
  [],
  [ref('provider_id', 'provider', 'provider', true), ref('encounter_role_id', 'encounterRole', 'encounterrole', true)],
);

const conceptNameTable = table('concept_name', 'concept_name_id', 'voidable', [
  f('name', 'name'),
  f('locale', 'locale'),
  f('locale_preferred', 'localePreferred', 'bool'),
  f('concept_name_type', 'conceptNameType'),
]);

/** SQL for a patient's label: preferred identifier and preferred name, as OpenMRS displays it. */
function patientDisplay(a: string): string {
  return `CONCAT_WS(' - ',
    (SELECT pi.identifier FROM patient_identifier pi WHERE pi.patient_id = ${a}.patient_id AND pi.voided = 0
      ORDER BY pi.preferred DESC, pi.patient_identifier_id LIMIT 1),
    (SELECT CONCAT_WS(' ', pn.given_name, pn.middle_name, pn.family_name) FROM person_name pn
      WHERE pn.person_id = ${a}.patient_id AND pn.voided = 0 ORDER BY pn.preferred DESC, pn.person_name_id LIMIT 1))`;
}

/** SQL for a concept's preferred name, given an expression for its concept_id. */
function conceptNameSql(idExpr: string): string {
  return `(SELECT cn.name FROM concept_name cn WHERE cn.concept_id = ${idExpr} AND cn.voided = 0
    ORDER BY cn.locale_preferred DESC, cn.concept_name_id LIMIT 1)`;
}
const conceptDisplay = (a: string) => conceptNameSql(`${a}.concept_id`);

export const RESOURCES: Record<ResourceName, ResourceDef> = {
  location: {
    name: 'location',
    kind: 'clinical',
    root: table(
      'location',
      'location_id',
      'retireable',
      [
        f('name', 'name'),
        f('description', 'description'),
        f('address1', 'address1'),
        f('city_village', 'cityVillage'),
        f('state_province', 'stateProvince'),
        f('postal_code', 'postalCode'),
        f('country', 'country'),
        f('county_district', 'countyDistrict'),
        f('latitude', 'latitude'),
        f('longitude', 'longitude'),
      ],
      [ref('parent_location', 'parentLocation', 'location')],
    ),
    display: (a) => `${a}.name`,
  },
  conceptdatatype: namedMetadata('conceptdatatype', 'concept_datatype', [f('hl7_abbreviation', 'hl7Abbreviation')]),
  conceptclass: namedMetadata('conceptclass', 'concept_class'),
  concept: {
    name: 'concept',
    kind: 'metadata',
    root: table(
      'concept',
      'concept_id',
      'retireable',
      [
        f('short_name', 'shortName'),
        f('description', 'description'),
        f('form_text', 'formText'),
        f('is_set', 'set', 'bool'),
        f('version', 'version'),
      ],
      [ref('datatype_id', 'datatype', 'conceptdatatype', true), ref('class_id', 'conceptClass', 'conceptclass', true)],
      [part('names', 'concept_id', conceptNameTable)],
    ),
    display: conceptDisplay,
  },
  patientidentifiertype: namedMetadata('patientidentifiertype', 'patient_identifier_type', [
    f('format', 'format'),
    f('check_digit', 'checkDigit', 'bool'),
    f('required', 'required', 'bool'),
    f('format_description', 'formatDescription'),
    f('validator', 'validator'),
    f('location_behavior', 'locationBehavior'),
    f('uniqueness_behavior', 'uniquenessBehavior'),
  ]),
  visittype: namedMetadata('visittype', 'visit_type'),
  encountertype: namedMetadata('encountertype', 'encounter_type'),
  encounterrole: namedMetadata('encounterrole', 'encounter_role'),
  provider: {
    name: 'provider',
    kind: 'clinical',
    // person_id is not synced: a provider's person is a user account, not a patient.
    root: table('provider', 'provider_id', 'retireable', [f('name', 'name'), f('identifier', 'identifier')]),
    display: (a) => `CONCAT_WS(' - ', ${a}.identifier, ${a}.name)`,
  },
  patient: {
    name: 'patient',
    kind: 'clinical',
    root: table(
      'patient',
      'patient_id',
      'voidable',
      [f('allergy_status', 'allergyStatus')],
      [],
      [part('person', 'person_id', person, false), part('identifiers', 'patient_id', patientIdentifier)],
      { uuid: false },
    ),
    uuidFromPart: 'person',
    display: patientDisplay,
  },
  visit: {
    name: 'visit',
    kind: 'clinical',
    root: table(
      'visit',
      'visit_id',
      'voidable',
      [f('date_started', 'startDatetime', 'datetime'), f('date_stopped', 'stopDatetime', 'datetime')],
      [
        ref('patient_id', 'patient', 'patient', true),
        ref('visit_type_id', 'visitType', 'visittype', true),
        ref('indication_concept_id', 'indication', 'concept'),
        ref('location_id', 'location', 'location'),
      ],
    ),
    display: (a) =>
      `CONCAT_WS(' @ ', (SELECT vt.name FROM visit_type vt WHERE vt.visit_type_id = ${a}.visit_type_id),
        (SELECT l.name FROM location l WHERE l.location_id = ${a}.location_id), DATE_FORMAT(${a}.date_started, '%d/%m/%Y'))`,
  },
  encounter: {
    name: 'encounter',
    kind: 'clinical',
    root: table(
      'encounter',
      'encounter_id',
      'voidable',
      [f('encounter_datetime', 'encounterDatetime', 'datetime')],
      [
        ref('encounter_type', 'encounterType', 'encountertype', true),
        ref('patient_id', 'patient', 'patient', true),
        ref('location_id', 'location', 'location'),
        ref('visit_id', 'visit', 'visit'),
      ],
      [part('encounterProviders', 'encounter_id', encounterProvider)],
    ),
    display: (a) =>
      `CONCAT_WS(' ', (SELECT et.name FROM encounter_type et WHERE et.encounter_type_id = ${a}.encounter_type),
        DATE_FORMAT(${a}.encounter_datetime, '%d/%m/%Y'))`,
  },
  obs: {
    name: 'obs',
    kind: 'clinical',
    root: table(
      'obs',
      'obs_id',
      'voidable',
      [
        f('obs_datetime', 'obsDatetime', 'datetime'),
        f('accession_number', 'accessionNumber'),
        f('value_numeric', 'valueNumeric', 'number'),
        f('value_text', 'valueText'),
        f('value_datetime', 'valueDatetime', 'datetime'),
        f('value_modifier', 'valueModifier'),
        f('value_complex', 'valueComplex'),
        f('comments', 'comment'),
        f('status', 'status'),
        f('interpretation', 'interpretation'),
        f('form_namespace_and_path', 'formFieldPath'),
      ],
      [
        ref('person_id', 'person', 'patient', true),
        ref('concept_id', 'concept', 'concept', true),
        ref('encounter_id', 'encounter', 'encounter'),
        ref('location_id', 'location', 'location'),
        ref('obs_group_id', 'obsGroup', 'obs'),
        ref('value_coded', 'valueCoded', 'concept'),
        ref('previous_version', 'previousVersion', 'obs'),
      ],
      [],
      { changeAudit: false },
    ),
    display: (a) =>
      `CONCAT_WS(': ', ${conceptDisplay(a)},
        COALESCE(${a}.value_text, CAST(${a}.value_numeric AS CHAR), ${conceptNameSql(`${a}.value_coded`)},
          DATE_FORMAT(${a}.value_datetime, '%Y-%m-%d %H:%i')))`,
  },
};

export function isResourceName(name: string): name is ResourceName {
  return (RESOURCE_NAMES as readonly string[]).includes(name);
}

export function resourceDef(name: ResourceName): ResourceDef {
  return RESOURCES[name];
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
