// The concept dictionary the seed writes obs against: a small, CIEL-like slice
// of what a primary-care clinic records. Uuids are name-based on a fixed key,
// so they are the same on every node (they do not pretend to be CIEL's, which a
// real dictionary loaded beside them may hold). Set members, coded answers and
// numeric ranges listed here are written to concept_set, concept_answer and
// concept_numeric too, and the generator reads them. The concepts of orders,
// programs, allergies and attributes are in record-concepts.ts.
import { answer, concept, num } from './concept-item.ts';
import type { ConceptItem } from './concept-item.ts';
import { RECORD_CONCEPTS } from './record-concepts.ts';
import { metadataUuid } from './uuid.ts';

export type { ConceptItem, NumericRange } from './concept-item.ts';

const SYMPTOMS = ['fever', 'cough', 'headache', 'diarrhoea', 'abdominalPain', 'vomiting', 'rash', 'fatigue', 'jointPain', 'shortnessOfBreath'] as const;
const DIAGNOSES = ['malaria', 'pneumonia', 'tuberculosis', 'hivDisease', 'hypertension', 'diabetes', 'urti', 'gastroenteritis', 'anaemia', 'uti', 'asthma'] as const;

const CLINIC_CONCEPTS = {
  // ---- answers -----------------------------------------------------------------
  yes: answer('YES', 'Yes'),
  no: answer('NO', 'No'),
  unknown: answer('UNKNOWN', 'Unknown'),
  positive: answer('POSITIVE', 'Positive', 'finding'),
  negative: answer('NEGATIVE', 'Negative', 'finding'),
  indeterminate: answer('INDETERMINATE', 'Indeterminate', 'finding'),
  good: answer('GOOD', 'Good'),
  fair: answer('FAIR', 'Fair'),
  poor: answer('POOR', 'Poor'),
  confirmed: answer('CONFIRMED_DIAGNOSIS', 'Confirmed diagnosis'),
  presumed: answer('PRESUMED_DIAGNOSIS', 'Presumed diagnosis'),
  primary: answer('PRIMARY', 'Primary'),
  secondary: answer('SECONDARY', 'Secondary'),
  fever: answer('FEVER', 'Fever', 'symptom'),
  cough: answer('COUGH', 'Cough', 'symptom'),
  headache: answer('HEADACHE', 'Headache', 'symptom'),
  diarrhoea: answer('DIARRHOEA', 'Diarrhoea', 'symptom'),
  abdominalPain: answer('ABDOMINAL_PAIN', 'Abdominal pain', 'symptom'),
  vomiting: answer('VOMITING', 'Vomiting', 'symptom'),
  rash: answer('RASH', 'Rash', 'symptom'),
  fatigue: answer('FATIGUE', 'Fatigue', 'symptom'),
  jointPain: answer('JOINT_PAIN', 'Joint pain', 'symptom'),
  shortnessOfBreath: answer('SHORTNESS_OF_BREATH', 'Shortness of breath', 'symptom'),
  malaria: answer('MALARIA', 'Malaria', 'diagnosis'),
  pneumonia: answer('PNEUMONIA', 'Pneumonia', 'diagnosis'),
  tuberculosis: answer('TUBERCULOSIS', 'Tuberculosis', 'diagnosis'),
  hivDisease: answer('HIV_DISEASE', 'Human immunodeficiency virus (HIV) disease', 'diagnosis'),
  hypertension: answer('HYPERTENSION', 'Hypertension', 'diagnosis'),
  diabetes: answer('DIABETES_MELLITUS', 'Diabetes mellitus', 'diagnosis'),
  urti: answer('UPPER_RESPIRATORY_TRACT_INFECTION', 'Upper respiratory tract infection', 'diagnosis'),
  gastroenteritis: answer('GASTROENTERITIS', 'Gastroenteritis', 'diagnosis'),
  anaemia: answer('ANAEMIA', 'Anaemia', 'diagnosis'),
  uti: answer('URINARY_TRACT_INFECTION', 'Urinary tract infection', 'diagnosis'),
  asthma: answer('ASTHMA', 'Asthma', 'diagnosis'),

  // ---- numeric questions -------------------------------------------------------
  weight: num('WEIGHT_KG', 'Weight (kg)', 'Weight', { units: 'kg', lowNormal: 0, hiNormal: 250, decimals: 1 }),
  height: num('HEIGHT_CM', 'Height (cm)', 'Height', { units: 'cm', lowNormal: 0, hiNormal: 228, decimals: 0 }),
  temperature: num('TEMPERATURE_C', 'Temperature (C)', 'Temp', { units: 'DEG C', lowNormal: 36.0, hiNormal: 37.5, decimals: 1 }),
  systolic: num('SYSTOLIC_BP', 'Systolic blood pressure', 'SBP', { units: 'mmHg', lowNormal: 90, hiNormal: 139, decimals: 0 }),
  diastolic: num('DIASTOLIC_BP', 'Diastolic blood pressure', 'DBP', { units: 'mmHg', lowNormal: 60, hiNormal: 89, decimals: 0 }),
  pulse: num('PULSE', 'Pulse', 'Pulse', { units: 'beats/min', lowNormal: 60, hiNormal: 100, decimals: 0 }),
  respiratoryRate: num('RESPIRATORY_RATE', 'Respiratory rate', 'RR', { units: 'breaths/min', lowNormal: 12, hiNormal: 20, decimals: 0 }),
  oxygenSaturation: num('OXYGEN_SATURATION', 'Arterial blood oxygen saturation (pulse oximeter)', 'SpO2', { units: '%', lowNormal: 95, hiNormal: 100, decimals: 0 }),
  muac: num('MUAC_CM', 'Mid-upper arm circumference (cm)', 'MUAC', { units: 'cm', lowNormal: 12.5, hiNormal: 40, decimals: 1 }),
  cd4: num('CD4_COUNT', 'CD4 count', 'CD4', { units: 'cells/mm3', lowNormal: 500, hiNormal: 1500, decimals: 0 }),
  haemoglobin: num('HAEMOGLOBIN', 'Haemoglobin', 'Hb', { units: 'g/dL', lowNormal: 12, hiNormal: 17, decimals: 1 }),
  glucose: num('SERUM_GLUCOSE', 'Serum glucose', 'Glucose', { units: 'mmol/L', lowNormal: 3.9, hiNormal: 7.8, decimals: 1 }),
  viralLoad: num('HIV_VIRAL_LOAD', 'HIV viral load', 'VL', { units: 'copies/mL', lowNormal: 0, hiNormal: 1000, decimals: 0 }),
  wbc: num('WHITE_BLOOD_CELLS', 'White blood cells', 'WBC', { units: '10^9/L', lowNormal: 4, hiNormal: 11, decimals: 1 }),
  platelets: num('PLATELETS', 'Platelets', 'PLT', { units: '10^9/L', lowNormal: 150, hiNormal: 400, decimals: 0 }),
  creatinine: num('SERUM_CREATININE', 'Serum creatinine', 'Creat', { units: 'umol/L', lowNormal: 45, hiNormal: 110, decimals: 0 }),
  alt: num('ALT', 'Alanine aminotransferase', 'ALT', { units: 'U/L', lowNormal: 7, hiNormal: 56, decimals: 0 }),
  esr: num('ESR', 'Erythrocyte sedimentation rate', 'ESR', { units: 'mm/hr', lowNormal: 0, hiNormal: 20, decimals: 0 }),
  sodium: num('SERUM_SODIUM', 'Serum sodium', 'Na', { units: 'mmol/L', lowNormal: 135, hiNormal: 145, decimals: 0 }),
  potassium: num('SERUM_POTASSIUM', 'Serum potassium', 'K', { units: 'mmol/L', lowNormal: 3.5, hiNormal: 5.1, decimals: 1 }),

  // ---- coded questions ---------------------------------------------------------
  symptom: concept('SYMPTOM_PRESENT', 'Symptom present', 'coded', 'question', { answers: SYMPTOMS }),
  codedDiagnosis: concept('CODED_DIAGNOSIS', 'Coded diagnosis', 'coded', 'question', { answers: DIAGNOSES }),
  diagnosisCertainty: concept('DIAGNOSIS_CERTAINTY', 'Diagnosis certainty', 'coded', 'question', { answers: ['confirmed', 'presumed'] }),
  diagnosisOrder: concept('DIAGNOSIS_ORDER', 'Diagnosis order', 'coded', 'question', { answers: ['primary', 'secondary'] }),
  hivTest: concept('HIV_TEST_RESULT', 'HIV test result', 'coded', 'test', { answers: ['positive', 'negative', 'indeterminate'] }),
  malariaTest: concept('MALARIA_RDT', 'Malaria rapid diagnostic test', 'coded', 'test', { shortName: 'mRDT', answers: ['positive', 'negative'] }),
  pregnancyStatus: concept('PREGNANCY_STATUS', 'Pregnancy status', 'coded', 'question', { answers: ['yes', 'no', 'unknown'] }),
  generalCondition: concept('GENERAL_CONDITION', 'General condition', 'coded', 'finding', { answers: ['good', 'fair', 'poor'] }),

  // ---- text and date questions -------------------------------------------------
  clinicalNotes: concept('CLINICAL_NOTES', 'Clinical notes', 'text', 'question'),
  treatmentPlan: concept('TREATMENT_PLAN', 'Treatment plan', 'text', 'question'),
  returnVisitDate: concept('RETURN_VISIT_DATE', 'Return visit date', 'date', 'question'),

  // ---- sets (obs groups) -------------------------------------------------------
  vitals: concept('VITALS', 'Vitals', 'na', 'convSet', {
    setMembers: ['weight', 'height', 'temperature', 'systolic', 'diastolic', 'pulse', 'respiratoryRate', 'oxygenSaturation', 'muac'],
  }),
  visitDiagnoses: concept('VISIT_DIAGNOSES', 'Visit diagnoses', 'na', 'convSet', {
    setMembers: ['codedDiagnosis', 'diagnosisCertainty', 'diagnosisOrder'],
  }),
  haematology: concept('HAEMATOLOGY', 'Haematology', 'na', 'labSet', { setMembers: ['haemoglobin', 'wbc', 'platelets', 'esr'] }),
  chemistry: concept('CLINICAL_CHEMISTRY', 'Clinical chemistry', 'na', 'labSet', { setMembers: ['glucose', 'creatinine', 'alt', 'sodium', 'potassium'] }),
  hivMonitoring: concept('HIV_MONITORING', 'HIV monitoring', 'na', 'labSet', { setMembers: ['cd4', 'viralLoad'] }),
} as const satisfies Record<string, ConceptItem>;

export const CONCEPTS = { ...CLINIC_CONCEPTS, ...RECORD_CONCEPTS } as const satisfies Record<string, ConceptItem>;

export type ConceptKey = keyof typeof CONCEPTS;

export const SYMPTOM_KEYS: readonly ConceptKey[] = SYMPTOMS;
export const DIAGNOSIS_KEYS: readonly ConceptKey[] = DIAGNOSES;

/** The concept_name rows of a concept: its fully specified name, and its short name when it has one. */
export interface ConceptNameItem {
  uuid: string;
  name: string;
  type: 'FULLY_SPECIFIED' | 'SHORT';
  preferred: boolean;
}

export function conceptNames(c: ConceptItem): ConceptNameItem[] {
  const out: ConceptNameItem[] = [{ uuid: metadataUuid('concept_name', `${c.key}:en:FULLY_SPECIFIED`), name: c.name, type: 'FULLY_SPECIFIED', preferred: true }];
  if (c.shortName) {
    out.push({ uuid: metadataUuid('concept_name', `${c.key}:en:SHORT`), name: c.shortName, type: 'SHORT', preferred: false });
  }
  return out;
}
