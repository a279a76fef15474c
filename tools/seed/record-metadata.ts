// Metadata of the whole clinical record, shared by every node like metadata.ts:
// order types, care settings, drugs, order frequencies, programs with their
// workflows and states, person attribute types, relationship types, visit and
// location attribute types, location tags. Where OpenMRS core or the Reference
// Application ships the item, its uuid is theirs (a real database that has it
// is recognised); the others are name-based, fixed by their key.
import type { ConceptKey } from './concepts.ts';
import { metadataUuid } from './uuid.ts';

/** OpenMRS core's order types (liquibase core data). */
export const ORDER_TYPES = {
  drug: { uuid: '131168f4-15f5-102d-96e4-000c29c2a5d7', name: 'Drug Order', description: 'An order for a medication to be given to the patient', javaClassName: 'org.openmrs.DrugOrder' },
  test: { uuid: '52a447d3-a64a-11e3-9aeb-50e549534c5e', name: 'Test Order', description: 'Order type for test orders', javaClassName: 'org.openmrs.TestOrder' },
} as const;

/** OpenMRS core's care settings. */
export const CARE_SETTINGS = {
  outpatient: { uuid: '6f0c9a92-6f24-11e3-af88-005056821db0', name: 'Outpatient', description: 'Out-patient care setting', type: 'OUTPATIENT' },
  inpatient: { uuid: 'c365e560-c3ec-11e3-9c1a-0800200c9a66', name: 'Inpatient', description: 'In-patient care setting', type: 'INPATIENT' },
} as const;
export type CareSettingKey = keyof typeof CARE_SETTINGS;

export interface DrugItem {
  uuid: string;
  name: string;
  concept: ConceptKey;
  strength: string;
  dosageForm: ConceptKey;
  route: ConceptKey;
  /** How it is usually prescribed: dose in doseUnits, how often, for how long. */
  dose: number;
  doseUnits: ConceptKey;
  frequency: FrequencyKey;
  duration: number;
  durationUnits: 'days' | 'weeks' | 'months';
}

const drug = (key: string, d: Omit<DrugItem, 'uuid'>): DrugItem => ({ uuid: metadataUuid('drug', key), ...d });

export const DRUGS = {
  amoxicillin: drug('AMOXICILLIN_500_CAP', { name: 'Amoxicillin 500mg capsule', concept: 'amoxicillin', strength: '500mg', dosageForm: 'capsule', route: 'oral', dose: 1, doseUnits: 'capsule', frequency: 'thriceDaily', duration: 5, durationUnits: 'days' }),
  amoxicillinSyrup: drug('AMOXICILLIN_125_SYRUP', { name: 'Amoxicillin 125mg/5mL syrup', concept: 'amoxicillin', strength: '125mg/5mL', dosageForm: 'syrup', route: 'oral', dose: 5, doseUnits: 'millilitre', frequency: 'thriceDaily', duration: 5, durationUnits: 'days' }),
  paracetamol: drug('PARACETAMOL_500_TAB', { name: 'Paracetamol 500mg tablet', concept: 'paracetamol', strength: '500mg', dosageForm: 'tablet', route: 'oral', dose: 2, doseUnits: 'tablet', frequency: 'thriceDaily', duration: 3, durationUnits: 'days' }),
  al: drug('AL_20_120_TAB', { name: 'Artemether/Lumefantrine 20/120mg tablet', concept: 'artemetherLumefantrine', strength: '20mg/120mg', dosageForm: 'tablet', route: 'oral', dose: 4, doseUnits: 'tablet', frequency: 'twiceDaily', duration: 3, durationUnits: 'days' }),
  cotrimoxazole: drug('CTX_960_TAB', { name: 'Cotrimoxazole 960mg tablet', concept: 'cotrimoxazole', strength: '960mg', dosageForm: 'tablet', route: 'oral', dose: 1, doseUnits: 'tablet', frequency: 'onceDaily', duration: 1, durationUnits: 'months' }),
  tld: drug('TLD_300_300_50_TAB', { name: 'TDF/3TC/DTG 300/300/50mg tablet', concept: 'tld', strength: '300mg/300mg/50mg', dosageForm: 'tablet', route: 'oral', dose: 1, doseUnits: 'tablet', frequency: 'onceDaily', duration: 1, durationUnits: 'months' }),
  rhze: drug('RHZE_150_75_400_275_TAB', { name: 'RHZE 150/75/400/275mg tablet', concept: 'rhze', strength: '150mg/75mg/400mg/275mg', dosageForm: 'tablet', route: 'oral', dose: 4, doseUnits: 'tablet', frequency: 'onceDaily', duration: 2, durationUnits: 'months' }),
  rh: drug('RH_150_75_TAB', { name: 'RH 150/75mg tablet', concept: 'rh', strength: '150mg/75mg', dosageForm: 'tablet', route: 'oral', dose: 4, doseUnits: 'tablet', frequency: 'onceDaily', duration: 4, durationUnits: 'months' }),
  isoniazid: drug('INH_300_TAB', { name: 'Isoniazid 300mg tablet', concept: 'isoniazid', strength: '300mg', dosageForm: 'tablet', route: 'oral', dose: 1, doseUnits: 'tablet', frequency: 'onceDaily', duration: 6, durationUnits: 'months' }),
  metformin: drug('METFORMIN_500_TAB', { name: 'Metformin 500mg tablet', concept: 'metformin', strength: '500mg', dosageForm: 'tablet', route: 'oral', dose: 1, doseUnits: 'tablet', frequency: 'twiceDaily', duration: 1, durationUnits: 'months' }),
  amlodipine: drug('AMLODIPINE_5_TAB', { name: 'Amlodipine 5mg tablet', concept: 'amlodipine', strength: '5mg', dosageForm: 'tablet', route: 'oral', dose: 1, doseUnits: 'tablet', frequency: 'onceDaily', duration: 1, durationUnits: 'months' }),
  hctz: drug('HCTZ_25_TAB', { name: 'Hydrochlorothiazide 25mg tablet', concept: 'hydrochlorothiazide', strength: '25mg', dosageForm: 'tablet', route: 'oral', dose: 1, doseUnits: 'tablet', frequency: 'onceDaily', duration: 1, durationUnits: 'months' }),
  salbutamol: drug('SALBUTAMOL_100_MDI', { name: 'Salbutamol 100mcg inhaler', concept: 'salbutamol', strength: '100mcg/dose', dosageForm: 'inhaler', route: 'inhaled', dose: 2, doseUnits: 'puff', frequency: 'asNeeded', duration: 1, durationUnits: 'months' }),
  ferrous: drug('FERROUS_SULFATE_200_TAB', { name: 'Ferrous sulfate 200mg tablet', concept: 'ferrousSulfate', strength: '200mg', dosageForm: 'tablet', route: 'oral', dose: 1, doseUnits: 'tablet', frequency: 'onceDaily', duration: 3, durationUnits: 'months' }),
  ors: drug('ORS_SACHET', { name: 'ORS sachet', concept: 'ors', strength: '20.5g', dosageForm: 'sachet', route: 'oral', dose: 1, doseUnits: 'sachet', frequency: 'thriceDaily', duration: 3, durationUnits: 'days' }),
  zinc: drug('ZINC_20_TAB', { name: 'Zinc sulfate 20mg dispersible tablet', concept: 'zinc', strength: '20mg', dosageForm: 'tablet', route: 'oral', dose: 1, doseUnits: 'tablet', frequency: 'onceDaily', duration: 10, durationUnits: 'days' }),
  nitrofurantoin: drug('NITROFURANTOIN_100_TAB', { name: 'Nitrofurantoin 100mg tablet', concept: 'nitrofurantoin', strength: '100mg', dosageForm: 'tablet', route: 'oral', dose: 1, doseUnits: 'tablet', frequency: 'twiceDaily', duration: 5, durationUnits: 'days' }),
} as const satisfies Record<string, DrugItem>;
export type DrugKey = keyof typeof DRUGS;

/** Order frequencies: the concept each is coded by, and doses a day (null: as needed). */
export const ORDER_FREQUENCIES = {
  onceDaily: { uuid: metadataUuid('order_frequency', 'OD'), concept: 'onceDaily', perDay: 1 },
  twiceDaily: { uuid: metadataUuid('order_frequency', 'BD'), concept: 'twiceDaily', perDay: 2 },
  thriceDaily: { uuid: metadataUuid('order_frequency', 'TDS'), concept: 'thriceDaily', perDay: 3 },
  fourTimesDaily: { uuid: metadataUuid('order_frequency', 'QID'), concept: 'fourTimesDaily', perDay: 4 },
  asNeeded: { uuid: metadataUuid('order_frequency', 'PRN'), concept: 'asNeeded', perDay: null },
} as const satisfies Record<string, { uuid: string; concept: ConceptKey; perDay: number | null }>;
export type FrequencyKey = keyof typeof ORDER_FREQUENCIES;

export interface StateItem {
  uuid: string;
  concept: ConceptKey;
  initial: boolean;
  terminal: boolean;
}
export interface ProgramItem {
  uuid: string;
  name: string;
  description: string;
  concept: ConceptKey;
  workflow: { uuid: string; concept: ConceptKey };
  states: Record<string, StateItem>;
}

const state = (program: string, concept: ConceptKey, initial: boolean, terminal: boolean): StateItem => ({
  uuid: metadataUuid('program_workflow_state', `${program}:${concept}`),
  concept,
  initial,
  terminal,
});

export const PROGRAMS = {
  hiv: {
    uuid: metadataUuid('program', 'HIV'),
    name: 'HIV Care and Treatment',
    description: 'HIV care: enrolment, pre-ART follow-up and antiretroviral therapy',
    concept: 'hivProgram',
    workflow: { uuid: metadataUuid('program_workflow', 'HIV:TREATMENT_STATUS'), concept: 'hivTreatmentStatus' },
    states: {
      preArt: state('HIV', 'preArt', true, false),
      onArt: state('HIV', 'onArt', true, false),
      defaulted: state('HIV', 'defaulted', false, false),
      transferredOut: state('HIV', 'transferredOut', false, true),
      died: state('HIV', 'patientDied', false, true),
    },
  },
  tb: {
    uuid: metadataUuid('program', 'TB'),
    name: 'TB Treatment',
    description: 'Treatment of drug-susceptible tuberculosis, intensive then continuation phase',
    concept: 'tbProgram',
    workflow: { uuid: metadataUuid('program_workflow', 'TB:TREATMENT_PHASE'), concept: 'tbTreatmentPhase' },
    states: {
      intensive: state('TB', 'intensivePhase', true, false),
      continuation: state('TB', 'continuationPhase', false, false),
      completed: state('TB', 'treatmentComplete', false, true),
      cured: state('TB', 'cured', false, true),
      died: state('TB', 'patientDied', false, true),
    },
  },
} as const satisfies Record<string, ProgramItem>;
export type ProgramKey = keyof typeof PROGRAMS;

/**
 * Person attribute types. OpenMRS stores an attribute of format org.openmrs.Location or
 * org.openmrs.Concept as that row's integer id, as text, in person_attribute.value.
 */
export const PERSON_ATTRIBUTE_TYPES = {
  telephone: { uuid: '14d4f066-15f5-102d-96e4-000c29c2a5d7', name: 'Telephone Number', description: 'The telephone number for the person', format: 'java.lang.String', foreignKey: null, sortWeight: 7 },
  healthCenter: { uuid: '8d87236c-c2cc-11de-8d13-0010c6dffd0f', name: 'Health Center', description: "Specific Location of this person's home health center.", format: 'org.openmrs.Location', foreignKey: null, sortWeight: 3 },
  civilStatus: { uuid: '8d871f2a-c2cc-11de-8d13-0010c6dffd0f', name: 'Civil Status', description: 'Marriage status of this person', format: 'org.openmrs.Concept', foreignKey: 'civilStatus', sortWeight: 2 },
  mothersName: { uuid: '8d871d18-c2cc-11de-8d13-0010c6dffd0f', name: "Mother's Name", description: "First or last name of this person's mother", format: 'java.lang.String', foreignKey: null, sortWeight: 5 },
} as const satisfies Record<string, { uuid: string; name: string; description: string; format: string; foreignKey: ConceptKey | null; sortWeight: number }>;
export type PersonAttributeTypeKey = keyof typeof PERSON_ATTRIBUTE_TYPES;

/** OpenMRS core's relationship types, and one of ours. A is to B as a_is_to_b says. */
export const RELATIONSHIP_TYPES = {
  doctor: { uuid: '8d919b58-c2cc-11de-8d13-0010c6dffd0f', aIsToB: 'Doctor', bIsToA: 'Patient', description: 'Relationship from a primary care provider to the patient' },
  sibling: { uuid: '8d91a01c-c2cc-11de-8d13-0010c6dffd0f', aIsToB: 'Sibling', bIsToA: 'Sibling', description: 'Relationship between brother/sister, brother/brother, and sister/sister' },
  parent: { uuid: '8d91a210-c2cc-11de-8d13-0010c6dffd0f', aIsToB: 'Parent', bIsToA: 'Child', description: 'Relationship from a mother/father to the child' },
  auntUncle: { uuid: '8d91a3dc-c2cc-11de-8d13-0010c6dffd0f', aIsToB: 'Aunt/Uncle', bIsToA: 'Niece/Nephew', description: "Relationship from a parent's sibling to a child of that parent" },
  caregiver: { uuid: metadataUuid('relationship_type', 'CAREGIVER'), aIsToB: 'Caregiver', bIsToA: 'Patient', description: 'Relationship from a caregiver (treatment supporter, guardian) to the patient' },
} as const;
export type RelationshipTypeKey = keyof typeof RELATIONSHIP_TYPES;

export interface AttributeTypeItem {
  uuid: string;
  name: string;
  description: string;
  datatype: string;
  datatypeConfig: string | null;
  minOccurs: number;
  maxOccurs: number | null;
}

export const VISIT_ATTRIBUTE_TYPES = {
  paymentMethod: {
    uuid: metadataUuid('visit_attribute_type', 'PAYMENT_METHOD'),
    name: 'Payment Method',
    description: 'How the visit is paid for',
    datatype: 'org.openmrs.customdatatype.datatype.SpecifiedTextOptionsDatatype',
    datatypeConfig: 'Cash,Insurance,Waiver',
    minOccurs: 0,
    maxOccurs: 1,
  },
  insuranceNumber: {
    uuid: metadataUuid('visit_attribute_type', 'INSURANCE_NUMBER'),
    name: 'Insurance Member Number',
    description: "The patient's health insurance membership number, for an insured visit",
    datatype: 'org.openmrs.customdatatype.datatype.FreeTextDatatype',
    datatypeConfig: null,
    minOccurs: 0,
    maxOccurs: 1,
  },
} as const satisfies Record<string, AttributeTypeItem>;

export const LOCATION_ATTRIBUTE_TYPES = {
  facilityCode: {
    uuid: metadataUuid('location_attribute_type', 'FACILITY_CODE'),
    name: 'Master Facility Code',
    description: "The facility's code in the national master facility list",
    datatype: 'org.openmrs.customdatatype.datatype.FreeTextDatatype',
    datatypeConfig: null,
    minOccurs: 0,
    maxOccurs: 1,
  },
  keph: {
    uuid: metadataUuid('location_attribute_type', 'KEPH_LEVEL'),
    name: 'KEPH Level',
    description: 'Level of the facility in the Kenya Essential Package for Health',
    datatype: 'org.openmrs.customdatatype.datatype.SpecifiedTextOptionsDatatype',
    datatypeConfig: 'Level 1,Level 2,Level 3,Level 4,Level 5,Level 6',
    minOccurs: 0,
    maxOccurs: 1,
  },
} as const satisfies Record<string, AttributeTypeItem>;

/** The Reference Application's location tags. */
export const LOCATION_TAGS = {
  login: { uuid: 'b8bbf83e-645f-451f-8efe-a0db56f09676', name: 'Login Location', description: 'When a user logs in and chooses a session location, they may only choose one with this tag' },
  visit: { uuid: '37dd4458-dc9e-4ae6-a1f1-789c1162d37b', name: 'Visit Location', description: 'Visits are only allowed to happen at locations tagged with this location tag or at locations that descend from a location tagged with this tag.' },
  admission: { uuid: '1c783dca-fd54-4ea8-a0fc-2875374e9cb6', name: 'Admission Location', description: 'Patients may only be admitted to inpatient care in a location with this tag' },
  transfer: { uuid: '8d4626ca-7abd-42ad-be48-56767bbcf272', name: 'Transfer Location', description: 'Patients may only be transferred (within the hospital) to a location with this tag' },
} as const;
