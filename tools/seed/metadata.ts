// The metadata every node shares, as an OpenMRS metadata package would ship it.
// Uuids are identical on every node: where the OpenMRS core or the Reference
// Application defines the item we use its uuid, so a real OpenMRS database that
// already has it is recognised; the rest are name-based (metadataUuid), fixed
// forever by their key. Concepts live in concepts.ts.
import { metadataUuid } from './uuid.ts';

export interface MetadataItem {
  uuid: string;
  name: string;
  description: string;
}

export interface DatatypeItem extends MetadataItem {
  hl7Abbreviation: string;
}

export interface IdentifierTypeItem extends MetadataItem {
  format: string | null;
  formatDescription: string | null;
  checkDigit: boolean;
  required: boolean;
  validator: string | null;
  uniquenessBehavior: string | null;
}

/** OpenMRS core datatypes (org.openmrs.ConceptDatatype *_UUID). */
export const DATATYPES = {
  numeric: {
    uuid: '8d4a4488-c2cc-11de-8d13-0010c6dffd0f',
    name: 'Numeric',
    hl7Abbreviation: 'NM',
    description: 'Numeric value, including integer or float (e.g., creatinine, weight)',
  },
  coded: {
    uuid: '8d4a48b6-c2cc-11de-8d13-0010c6dffd0f',
    name: 'Coded',
    hl7Abbreviation: 'CWE',
    description: 'Value determined by term dictionary lookup (i.e., term identifier)',
  },
  text: {
    uuid: '8d4a4ab4-c2cc-11de-8d13-0010c6dffd0f',
    name: 'Text',
    hl7Abbreviation: 'ST',
    description: 'Free text',
  },
  na: {
    uuid: '8d4a4c94-c2cc-11de-8d13-0010c6dffd0f',
    name: 'N/A',
    hl7Abbreviation: 'ZZ',
    description: 'Not associated with a datatype (e.g., term answers, sets)',
  },
  date: {
    uuid: '8d4a505e-c2cc-11de-8d13-0010c6dffd0f',
    name: 'Date',
    hl7Abbreviation: 'DT',
    description: 'Absolute date',
  },
  boolean: {
    uuid: '8d4a5cca-c2cc-11de-8d13-0010c6dffd0f',
    name: 'Boolean',
    hl7Abbreviation: 'BIT',
    description: 'Boolean value (yes/no, true/false)',
  },
} as const satisfies Record<string, DatatypeItem>;
export type DatatypeKey = keyof typeof DATATYPES;

/** OpenMRS core concept classes (org.openmrs.ConceptClass *_UUID). */
export const CONCEPT_CLASSES = {
  test: { uuid: '8d4907b2-c2cc-11de-8d13-0010c6dffd0f', name: 'Test', description: 'Acq. during patient encounter (vitals, labs, etc.)' },
  diagnosis: { uuid: '8d4918b0-c2cc-11de-8d13-0010c6dffd0f', name: 'Diagnosis', description: 'Conclusion drawn through findings' },
  finding: { uuid: '8d491a9a-c2cc-11de-8d13-0010c6dffd0f', name: 'Finding', description: 'Practitioner observation/finding' },
  question: { uuid: '8d491e50-c2cc-11de-8d13-0010c6dffd0f', name: 'Question', description: 'Question (eg, patient history, SF36 items)' },
  labSet: { uuid: '8d492026-c2cc-11de-8d13-0010c6dffd0f', name: 'LabSet', description: 'Term to describe laboratory sets' },
  convSet: { uuid: '8d492594-c2cc-11de-8d13-0010c6dffd0f', name: 'ConvSet', description: 'Term to describe convenience sets' },
  misc: { uuid: '8d492774-c2cc-11de-8d13-0010c6dffd0f', name: 'Misc', description: 'Terms which do not fit in other classes' },
  symptom: { uuid: '8d492954-c2cc-11de-8d13-0010c6dffd0f', name: 'Symptom', description: 'Patient-reported observation' },
  drug: { uuid: '8d490dfc-c2cc-11de-8d13-0010c6dffd0f', name: 'Drug', description: 'Drug' },
  specimen: { uuid: '8d492d0a-c2cc-11de-8d13-0010c6dffd0f', name: 'Specimen', description: 'Body or fluid specimen' },
  frequency: { uuid: '8e071bfe-520c-44c0-a89b-538e9129b42a', name: 'Frequency', description: 'A class for order frequencies' },
} as const satisfies Record<string, MetadataItem>;
export type ConceptClassKey = keyof typeof CONCEPT_CLASSES;

export const IDENTIFIER_TYPES = {
  /** The Reference Application's "OpenMRS ID", Luhn mod-30 check digit. */
  openmrsId: {
    uuid: '05a29f94-c0ed-11e2-94be-8c13b969e334',
    name: 'OpenMRS ID',
    description: 'OpenMRS patient identifier, with check-digit',
    format: null,
    formatDescription: null,
    checkDigit: true,
    required: true,
    validator: 'org.openmrs.module.idgen.validator.LuhnMod30IdentifierValidator',
    uniquenessBehavior: 'UNIQUE',
  },
  /** The paper register number a clinic wrote before it had OpenMRS. */
  registerNumber: {
    uuid: metadataUuid('patient_identifier_type', 'CLINIC_REGISTER_NUMBER'),
    name: 'Clinic Register Number',
    description: 'Number in the clinic paper register, e.g. OPD/2024/0153',
    format: '[A-Z]+/\\d{4}/\\d{4}',
    formatDescription: 'REGISTER/YEAR/NUMBER',
    checkDigit: false,
    required: false,
    validator: null,
    uniquenessBehavior: 'NON_UNIQUE',
  },
} as const satisfies Record<string, IdentifierTypeItem>;

export const VISIT_TYPES = {
  facility: { uuid: '7b0f5697-27e3-40c4-8bae-f4049abfb4ed', name: 'Facility Visit', description: 'Patient visits the clinic/hospital (as opposed to a home visit, or telephone contact)' },
  outreach: { uuid: metadataUuid('visit_type', 'OUTREACH'), name: 'Outreach Visit', description: 'Seen by a mobile team in the community' },
} as const satisfies Record<string, MetadataItem>;

export const ENCOUNTER_TYPES = {
  vitals: { uuid: '67a71486-1a54-468f-ac3e-7091a9a79584', name: 'Vitals', description: 'For capturing vital signs' },
  visitNote: { uuid: 'd7151f82-c1f3-4152-a605-2f9ea7414a79', name: 'Visit Note', description: 'Encounter where a full or abbreviated examination is done, usually leading to a presumptive or confirmed diagnosis, recorded by the principal clinician' },
  labResults: { uuid: '3596fafb-6f6f-4396-8c87-6e63a0f1bd71', name: 'Lab Results', description: 'Encounter where lab results are entered' },
} as const satisfies Record<string, MetadataItem>;

export const ENCOUNTER_ROLES = {
  unknown: { uuid: 'a0b03050-c99b-11e0-9572-0800200c9a66', name: 'Unknown', description: 'Unknown encounter role for legacy providers with no encounter role set' },
  clinician: { uuid: '240b26f9-dd88-4172-823d-4a8bfeb7841f', name: 'Clinician', description: 'Doctor or clinical officer in charge of the encounter' },
  nurse: { uuid: metadataUuid('encounter_role', 'NURSE'), name: 'Nurse', description: 'Nurse taking part in the encounter' },
  labTechnician: { uuid: metadataUuid('encounter_role', 'LAB_TECHNICIAN'), name: 'Lab Technician', description: 'Ran the tests whose results the encounter records' },
} as const satisfies Record<string, MetadataItem>;
export type EncounterRoleKey = keyof typeof ENCOUNTER_ROLES;
