// Where and how care happens: locations, providers, visits, encounters, obs,
// and what a clinician records about a patient's problems (diagnoses,
// conditions, allergies).
import {
  NO_CREATION,
  NO_LIFECYCLE,
  conceptDisplay,
  conceptNameSql,
  f,
  later,
  namedMetadata,
  part,
  partRef,
  ref,
  refsPart,
  table,
} from '../resource-vocabulary.ts';
import type { Field, ResourceDef, ResourceName } from '../resource-vocabulary.ts';

/** OpenMRS 1.9+ attribute types (visit, location...): a datatype, a handler, and how often it may occur. */
function attributeType(name: ResourceName, t: string): ResourceDef {
  return namedMetadata(name, t, [
    f('datatype', 'datatypeClassname'),
    f('datatype_config', 'datatypeConfig'),
    f('preferred_handler', 'preferredHandlerClassname'),
    f('handler_config', 'handlerConfig'),
    f('min_occurs', 'minOccurs', 'int'),
    f('max_occurs', 'maxOccurs', 'int'),
  ]);
}

/** A 1.9+ attribute row: its value_reference is already portable (a uuid or a literal), so it travels as text. */
function attributeRows(t: string, owner: string, typeResource: ResourceName) {
  const spec = table(t, `${t}_id`, 'voidable', [f('value_reference', 'value')], [ref('attribute_type_id', 'attributeType', typeResource, true)]);
  return part('attributes', owner, spec);
}

const encounterProvider = table(
  'encounter_provider',
  'encounter_provider_id',
  'voidable',
  [],
  [ref('provider_id', 'provider', 'provider', true), ref('encounter_role_id', 'encounterRole', 'encounterrole', true)],
);

const allergyReaction = table(
  'allergy_reaction',
  'allergy_reaction_id',
  'voidable',
  [f('reaction_non_coded', 'reactionNonCoded')],
  [ref('reaction_concept_id', 'reaction', 'concept', true)],
  [],
  { changeAudit: false, lacks: [...NO_LIFECYCLE, ...NO_CREATION] },
);

const obsFields: Field[] = [
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
];

export const CARE = {
  locationtag: namedMetadata('locationtag', 'location_tag'),
  locationattributetype: attributeType('locationattributetype', 'location_attribute_type'),
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
      [
        later(refsPart('tags', 'location_tag_map', 'location_id', ref('location_tag_id', 'tag', 'locationtag', true))),
        later(attributeRows('location_attribute', 'location_id', 'locationattributetype')),
      ],
    ),
    display: (a) => `${a}.name`,
  },
  visittype: namedMetadata('visittype', 'visit_type'),
  visitattributetype: attributeType('visitattributetype', 'visit_attribute_type'),
  encountertype: namedMetadata('encountertype', 'encounter_type'),
  encounterrole: namedMetadata('encounterrole', 'encounter_role'),
  provider: {
    name: 'provider',
    kind: 'clinical',
    root: table('provider', 'provider_id', 'retireable', [f('name', 'name'), f('identifier', 'identifier')], [
      later(ref('person_id', 'person', 'person')),
    ]),
    display: (a) => `CONCAT_WS(' - ', ${a}.identifier, ${a}.name)`,
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
      [later(attributeRows('visit_attribute', 'visit_id', 'visitattributetype'))],
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
      obsFields,
      [
        ref('person_id', 'person', 'patient', true),
        ref('concept_id', 'concept', 'concept', true),
        ref('encounter_id', 'encounter', 'encounter'),
        later(ref('order_id', 'order', 'order')),
        ref('location_id', 'location', 'location'),
        ref('obs_group_id', 'obsGroup', 'obs'),
        ref('value_coded', 'valueCoded', 'concept'),
        later(ref('value_drug', 'valueDrug', 'drug')),
        later(partRef('value_coded_name_id', 'valueCodedName', 'concept', 'names')),
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
  patientdiagnoses: {
    name: 'patientdiagnoses',
    kind: 'clinical',
    root: table(
      'encounter_diagnosis',
      'diagnosis_id',
      'voidable',
      [f('diagnosis_non_coded', 'nonCoded'), f('certainty', 'certainty'), f('rank', 'rank', 'int'), f('dx_rank', 'rank', 'int')],
      [
        ref('diagnosis_coded', 'coded', 'concept'),
        partRef('diagnosis_coded_name', 'specificName', 'concept', 'names'),
        ref('encounter_id', 'encounter', 'encounter', true),
        ref('patient_id', 'patient', 'patient', true),
        ref('condition_id', 'condition', 'condition'),
      ],
      [],
      // OpenMRS 2.5 renamed `rank` (a reserved word in MySQL 8) to `dx_rank`; 2.2-2.4 have `rank`.
      { lacks: ['dx_rank'] },
    ),
    display: (a) => `COALESCE(${conceptNameSql(`${a}.diagnosis_coded`)}, ${a}.diagnosis_non_coded)`,
  },
  condition: {
    name: 'condition',
    kind: 'clinical',
    // OpenMRS 2.0/2.1 and 2.2+ name three of the columns differently (status / clinical_status,
    // concept_id / condition_coded, previous_condition_id / previous_version): each pair is one
    // property, and each database has one column of it.
    root: table(
      'conditions',
      'condition_id',
      'voidable',
      [
        f('condition_non_coded', 'conditionNonCoded'),
        f('clinical_status', 'clinicalStatus'),
        f('status', 'clinicalStatus'),
        f('verification_status', 'verificationStatus'),
        f('onset_date', 'onsetDate', 'datetime'),
        f('end_date', 'endDate', 'datetime'),
        f('additional_detail', 'additionalDetail'),
        f('form_namespace_and_path', 'formFieldPath'),
      ],
      [
        ref('patient_id', 'patient', 'patient', true),
        ref('condition_coded', 'conditionCoded', 'concept'),
        partRef('condition_coded_name', 'conditionCodedName', 'concept', 'names'),
        ref('concept_id', 'conditionCoded', 'concept'),
        ref('encounter_id', 'encounter', 'encounter'),
        ref('previous_version', 'previousVersion', 'condition'),
        ref('previous_condition_id', 'previousVersion', 'condition'),
        ref('end_reason', 'endReason', 'concept'),
      ],
      [],
      // The 2.0/2.1 columns: read and written where a database has them, not missed where it does not.
      { lacks: ['status', 'concept_id', 'previous_condition_id', 'end_reason'], uuidMayBeNull: true },
    ),
    display: (a, has) => {
      const coded = ['condition_coded', 'concept_id'].filter(has).map((c) => `${a}.${c}`);
      const name = coded.length ? conceptNameSql(coded.length > 1 ? `COALESCE(${coded.join(', ')})` : coded[0]) : 'NULL';
      return `COALESCE(${name}, ${has('condition_non_coded') ? `${a}.condition_non_coded` : 'NULL'})`;
    },
  },
  allergy: {
    name: 'allergy',
    kind: 'clinical',
    root: table(
      'allergy',
      'allergy_id',
      'voidable',
      // OpenMRS 2.x before 2.3 (and the 2.1 Reference Application) call it `comment`, later ones `comments`.
      [f('non_coded_allergen', 'nonCodedAllergen'), f('allergen_type', 'allergenType'), f('comments', 'comment'), f('comment', 'comment')],
      [
        ref('patient_id', 'patient', 'patient', true),
        ref('coded_allergen', 'codedAllergen', 'concept', true),
        ref('severity_concept_id', 'severity', 'concept'),
      ],
      [part('reactions', 'allergy_id', allergyReaction)],
      { lacks: ['comment'], uuidMayBeNull: true },
    ),
    display: (a) => `COALESCE(${conceptNameSql(`${a}.coded_allergen`)}, ${a}.non_coded_allergen)`,
  },
} satisfies Record<string, ResourceDef>;
