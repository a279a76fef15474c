// People: persons (patients or not), their names, addresses and attributes,
// patients with their identifiers, and the relationships between persons.
import {
  ATTRIBUTABLE_FORMATS,
  f,
  later,
  namedMetadata,
  part,
  personNameSql,
  ref,
  table,
} from '../resource-vocabulary.ts';
import type { Field, ResourceDef, TableSpec } from '../resource-vocabulary.ts';

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

/** A person attribute's value: text, or the key of a location, concept... by its type's format. */
const attributeValue: Field = {
  ...f('value', 'value'),
  byFormat: {
    typeColumn: 'person_attribute_type_id',
    typeTable: 'person_attribute_type',
    typeKey: 'person_attribute_type_id',
    formatColumn: 'format',
    formats: ATTRIBUTABLE_FORMATS,
  },
};

const personAttribute = table(
  'person_attribute',
  'person_attribute_id',
  'voidable',
  [attributeValue],
  [ref('person_attribute_type_id', 'attributeType', 'personattributetype', true)],
);
personAttribute.display = (a) =>
  `CONCAT_WS(' = ', (SELECT t.name FROM person_attribute_type t WHERE t.person_attribute_type_id = ${a}.person_attribute_type_id), ${a}.value)`;

/** The person table and what hangs off it: shared by the `person` and `patient` resources. */
export const personSpec: TableSpec = table(
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
  [part('names', 'person_id', personName), part('addresses', 'person_id', personAddress), later(part('attributes', 'person_id', personAttribute))],
);
personSpec.display = (a) => personNameSql(`${a}.person_id`);

const patientIdentifier = table(
  'patient_identifier',
  'patient_identifier_id',
  'voidable',
  [f('identifier', 'identifier'), f('preferred', 'preferred', 'bool')],
  [ref('identifier_type', 'identifierType', 'patientidentifiertype', true), ref('location_id', 'location', 'location')],
);
patientIdentifier.display = (a) =>
  `CONCAT_WS(' = ', (SELECT t.name FROM patient_identifier_type t WHERE t.patient_identifier_type_id = ${a}.identifier_type), ${a}.identifier)`;

/** SQL for a patient's label: preferred identifier and preferred name, as OpenMRS displays it. */
function patientDisplay(a: string): string {
  return `CONCAT_WS(' - ',
    (SELECT pi.identifier FROM patient_identifier pi WHERE pi.patient_id = ${a}.patient_id AND pi.voided = 0
      ORDER BY pi.preferred DESC, pi.patient_identifier_id LIMIT 1),
    ${personNameSql(`${a}.patient_id`)})`;
}

export const PEOPLE = {
  patientidentifiertype: namedMetadata('patientidentifiertype', 'patient_identifier_type', [
    f('format', 'format'),
    f('check_digit', 'checkDigit', 'bool'),
    f('required', 'required', 'bool'),
    f('format_description', 'formatDescription'),
    f('validator', 'validator'),
    f('location_behavior', 'locationBehavior'),
    f('uniqueness_behavior', 'uniquenessBehavior'),
  ]),
  personattributetype: namedMetadata('personattributetype', 'person_attribute_type', [
    f('format', 'format'),
    f('foreign_key', 'foreignKey', 'int'),
    f('searchable', 'searchable', 'bool'),
    f('edit_privilege', 'editPrivilege'),
    f('sort_weight', 'sortWeight', 'number'),
  ]),
  relationshiptype: {
    name: 'relationshiptype',
    kind: 'metadata',
    root: table('relationship_type', 'relationship_type_id', 'retireable', [
      f('a_is_to_b', 'aIsToB'),
      f('b_is_to_a', 'bIsToA'),
      f('preferred', 'preferred', 'bool'),
      f('weight', 'weight', 'int'),
      f('description', 'description'),
    ]),
    display: (a) => `CONCAT(${a}.a_is_to_b, '/', ${a}.b_is_to_a)`,
  },
  person: {
    name: 'person',
    kind: 'clinical',
    root: personSpec,
    display: (a) => personNameSql(`${a}.person_id`),
    yieldsTo: 'patient',
    // A user account's person (the admin, a clerk) belongs to its node, like the account; a
    // provider's person travels with the provider.
    localRows: (k) =>
      `(EXISTS (SELECT 1 FROM users lu WHERE lu.person_id = ${k}) AND NOT EXISTS (SELECT 1 FROM provider lp WHERE lp.person_id = ${k}))`,
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
      [part('person', 'person_id', personSpec, false), part('identifiers', 'patient_id', patientIdentifier)],
      { uuid: false },
    ),
    uuidFromPart: 'person',
    display: patientDisplay,
  },
  relationship: {
    name: 'relationship',
    kind: 'clinical',
    root: table(
      'relationship',
      'relationship_id',
      'voidable',
      [f('start_date', 'startDate', 'datetime'), f('end_date', 'endDate', 'datetime')],
      [
        ref('person_a', 'personA', 'person', true),
        ref('relationship', 'relationshipType', 'relationshiptype', true),
        ref('person_b', 'personB', 'person', true),
      ],
    ),
    display: (a) =>
      `CONCAT_WS(' ', ${personNameSql(`${a}.person_a`)}, 'is', (SELECT rt.a_is_to_b FROM relationship_type rt
        WHERE rt.relationship_type_id = ${a}.relationship), 'to', ${personNameSql(`${a}.person_b`)})`,
  },
} satisfies Record<string, ResourceDef>;
