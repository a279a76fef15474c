// Property tables of the rest of the clinical record: programs, their workflows and
// states, enrolments; person attribute and relationship types, relationships;
// diagnoses, conditions, allergies; visit and location attribute types, their
// attributes, and location tags. From the webservices.rest module's classes for
// OpenMRS 2.2-2.4 (named in each comment). Some of these classes describe their own
// ref representation (`ref`), and some leave `display` out of default and full.
import type { Level } from './custom-spec.ts';
import { AUDIT, DISPLAY, UUID, children, constant, fields, namedMetadata, part, prop, ref, retired, voided } from './table-builders.ts';
import type { Prop, Table } from './table-types.ts';

// ---- programs ---------------------------------------------------------------------------

/** ProgramResource1_10: its default has no display; its ref lists the workflows. */
const program: Table = (() => {
  const all = (rep: Level) => children('allWorkflows', 'programworkflow', 'program', false, rep);
  return {
    name: 'program',
    version: '1.8',
    display: 'label',
    load: [{ resource: 'program' }],
    ref: [UUID, DISPLAY, ...fields('name'), retired, all('ref')],
    default: [...fields('name', 'uuid'), retired, ...fields('description'), ref('concept', 'concept', 'ref'), all('default'), ref('outcomesConcept', 'concept', 'full')],
    full: [UUID, ...fields('name', 'description'), retired, ref('concept', 'concept', 'default'), ref('outcomesConcept', 'concept', 'default'), all('full'), AUDIT],
  };
})();

/**
 * ProgramWorkflowResource1_8 (OpenMRS's `workflow`): no display and no auditInfo; `states` are the
 * unretired ones. A workflow has no description in OpenMRS's table.
 */
const programworkflow: Table = (() => {
  const states = (rep: Level) => children('states', 'programworkflowstate', 'programWorkflow', true, rep);
  const row = (concept: Level, st: Level) => [UUID, ref('concept', 'concept', concept), constant('description'), retired, states(st)];
  return {
    name: 'programworkflow',
    version: '1.8',
    display: 'label',
    load: [{ resource: 'programworkflow' }],
    ref: [UUID, ref('concept', 'concept', 'ref'), retired, states('ref')],
    default: row('ref', 'default'),
    // Full names concept twice, at full and then at default; the map keeps the place and the second level.
    full: row('default', 'full'),
  };
})();

/** ProgramWorkflowStateResource1_8 (OpenMRS's `workflow/{uuid}/state`): no display, initial or terminal. */
const programworkflowstate: Table = (() => {
  const row = (rep: Level) => [UUID, constant('description'), retired, ref('concept', 'concept', rep)];
  return {
    name: 'programworkflowstate',
    version: '1.8',
    display: 'label',
    load: [{ resource: 'programworkflowstate' }],
    ref: [UUID, retired, ref('concept', 'concept', 'ref')],
    default: row('default'),
    full: row('full'),
  };
})();

/** PatientStateResource1_8 (`programenrollment/{uuid}/state`), shown without voided states. */
const patientstate: Table = (() => {
  const row = (state: Level, owner: Level | null): Prop[] => [
    ref('state', 'programworkflowstate', state),
    UUID,
    ...(owner ? [prop('patientProgram', { kind: 'owner' }, owner)] : []),
    ...fields('startDate', 'endDate'),
    voided,
  ];
  return { name: 'state', version: '1.8', display: 'uuid', sub: true, ref: row('ref', null), default: row('default', 'ref'), full: [...row('full', 'default'), AUDIT] };
})();

/** ProgramEnrollmentResource2_2 (1_10's, with attributes, which are not synced); full shows states as refs. */
const programenrollment: Table = (() => {
  const states = part('states', 'patientstate', 'ref');
  const head = (rep: Level) => [UUID, ref('patient', 'patient', rep), ref('program', 'program', rep), DISPLAY, ...fields('dateEnrolled', 'dateCompleted'), ref('location', 'location', rep), voided, ref('outcome', 'concept', rep), states];
  return {
    name: 'programenrollment',
    version: '1.8',
    display: 'label',
    load: [{ resource: 'programenrollment' }],
    ref: [UUID, ref('program', 'program', 'ref'), DISPLAY, ...fields('dateEnrolled', 'dateCompleted')],
    refLinks: ['self', 'full'],
    default: [...head('ref'), constant('attributes', [])],
    full: [...head('default'), AUDIT, constant('attributes', [])],
  };
})();

// ---- people -----------------------------------------------------------------------------

/** PersonAttributeTypeResource1_8. Full's `concept` (a Concept format's foreign key, at full) is not resolved: null. */
const personattributetype: Table = (() => {
  const base = [UUID, DISPLAY, ...fields('name', 'description', 'format', 'foreignKey', 'sortWeight', 'searchable', 'editPrivilege'), retired];
  return { name: 'personattributetype', version: '1.8', display: 'label', load: [{ resource: 'personattributetype' }], default: base, full: [...base, constant('concept'), AUDIT] };
})();

/** RelationShipTypeResource1_8: display is RelationshipType.toString(), "aIsToB/bIsToA", as the registry's label. */
const relationshiptype: Table = (() => {
  const shown = (name: string, from: string) => prop(name, { kind: 'field', from, orEmpty: true });
  const base = [UUID, DISPLAY, ...fields('description', 'aIsToB', 'bIsToA'), shown('displayAIsToB', 'aIsToB'), shown('displayBIsToA', 'bIsToA'), retired];
  return { name: 'relationshiptype', version: '1.8', display: 'label', load: [{ resource: 'relationshiptype' }], default: base, full: [...base, ...fields('weight'), AUDIT] };
})();

/** RelationshipResource1_9. */
const relationship: Table = (() => {
  const head = (rep: Level) => [UUID, DISPLAY, ref('personA', 'person', rep), ref('relationshipType', 'relationshiptype', rep), ref('personB', 'person', rep), voided];
  return {
    name: 'relationship',
    version: '1.9',
    display: 'relationship',
    load: [{ resource: 'relationship' }],
    default: [...head('ref'), ...fields('startDate', 'endDate')],
    full: [...head('default'), AUDIT, ...fields('startDate', 'endDate')],
  };
})();

// ---- problems ---------------------------------------------------------------------------

/** DiagnosisResource2_2 (2.2-2.4): `diagnosis` is a CodedOrFreeText; its default links full before self. */
const patientdiagnoses: Table = (() => {
  const diagnosis = (rep: Level) => prop('diagnosis', { kind: 'codedOrFreeText', coded: ['coded'], nonCoded: 'nonCoded' }, rep);
  return {
    name: 'patientdiagnoses',
    version: '1.8',
    display: 'label',
    load: [{ resource: 'patientdiagnoses' }],
    defaultLinks: ['full', 'self'],
    default: [UUID, diagnosis('ref'), ref('condition', 'condition', 'ref'), ref('encounter', 'encounter', 'ref'), ...fields('certainty', 'rank'), voided, DISPLAY, ref('patient', 'patient', 'ref')],
    full: [UUID, diagnosis('default'), ref('patient', 'patient', 'ref'), ref('condition', 'condition', 'default'), ref('encounter', 'encounter', 'default'), ...fields('certainty', 'rank'), voided, AUDIT, DISPLAY],
  };
})();

/** ConditionResource2_2: `condition` is a CodedOrFreeText (2.2's condition_coded, or 2.0's concept_id). */
const condition: Table = (() => {
  const cond = (rep: Level) => prop('condition', { kind: 'codedOrFreeText', coded: ['conditionCoded', 'concept'], nonCoded: 'conditionNonCoded' }, rep);
  const head = (rep: Level) => [UUID, DISPLAY, cond(rep), ref('patient', 'patient', 'ref'), ...fields('clinicalStatus', 'verificationStatus'), ref('previousVersion', 'condition', rep), ...fields('onsetDate', 'endDate')];
  return {
    name: 'condition',
    version: '1.8',
    display: 'label',
    load: [{ resource: 'condition' }],
    default: [...head('ref'), voided],
    full: [...head('default'), ...fields('additionalDetail'), voided, AUDIT],
  };
})();

/** AllergyReactionConverter2_0 (shown at default in both levels of an allergy). */
const allergyreaction: Table = {
  name: 'reaction',
  version: '1.8',
  display: 'uuid',
  sub: true,
  converter: true,
  default: [ref('reaction', 'concept', 'ref'), ...fields('reactionNonCoded')],
  full: [ref('reaction', 'concept', 'default'), ...fields('reactionNonCoded')],
};

/**
 * PatientAllergyResource2_0 (OpenMRS's `patient/{uuid}/allergy`, served here as `allergy/{uuid}`).
 * `allergen` is AllergenConverter2_0's object at default.
 */
const allergy: Table = (() => {
  const allergen = prop('allergen', { kind: 'object', props: [...fields('allergenType'), ref('codedAllergen', 'concept', 'ref'), ...fields('nonCodedAllergen')] });
  const reactions = part('reactions', 'allergyreaction', 'default');
  return {
    name: 'allergy',
    version: '1.8',
    display: 'label',
    load: [{ resource: 'allergy' }],
    default: [DISPLAY, UUID, allergen, ref('severity', 'concept', 'ref'), ...fields('comment'), reactions, ref('patient', 'patient', 'ref')],
    full: [DISPLAY, UUID, allergen, ref('severity', 'concept', 'default'), ...fields('comment'), reactions, ref('patient', 'patient', 'default'), voided, AUDIT],
  };
})();

// ---- attributes and tags ----------------------------------------------------------------

/** BaseAttributeTypeCrudResource1_9 (visit and location attribute types). */
function attributeType(name: string): Table {
  const head = [UUID, DISPLAY, ...fields('name', 'description', 'minOccurs', 'maxOccurs', 'datatypeClassname')];
  return {
    name,
    version: '1.9',
    display: 'label',
    load: [{ resource: name }],
    default: [...head, ...fields('preferredHandlerClassname'), retired],
    full: [...head, ...fields('datatypeConfig', 'preferredHandlerClassname', 'handlerConfig'), retired, AUDIT],
  };
}

/** BaseAttributeCrudResource1_9 (`visit/{uuid}/attribute`, `location/{uuid}/attribute`): the value as its reference string. */
function attribute(typeTable: string): Table {
  const base = [DISPLAY, UUID, ref('attributeType', typeTable, 'ref'), ...fields('value'), voided];
  return { name: 'attribute', version: '1.9', display: 'typedAttribute', sub: true, default: base, full: [...base, AUDIT] };
}

export const RECORD_TABLES: Record<string, Table> = {
  program,
  programworkflow,
  programworkflowstate,
  patientstate,
  programenrollment,
  personattributetype,
  relationshiptype,
  relationship,
  patientdiagnoses,
  condition,
  allergyreaction,
  allergy,
  visitattributetype: attributeType('visitattributetype'),
  locationattributetype: attributeType('locationattributetype'),
  visitattribute: attribute('visitattributetype'),
  locationattribute: attribute('locationattributetype'),
  /** LocationTagResource1_8: MetadataDelegatingCrudResource's default and full. */
  locationtag: namedMetadata('locationtag'),
};
